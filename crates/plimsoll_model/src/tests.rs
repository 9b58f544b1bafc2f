use crate::*;
use plimsoll_yaml::{Limits, parse_stream};

fn objects(src: &str) -> Vec<Object> {
    let s = parse_stream(src, Limits::default());
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    s.documents
        .into_iter()
        .filter_map(|d| d.root)
        .enumerate()
        .filter_map(|(i, root)| {
            Object::from_node(
                root,
                SourceRef {
                    file: Some(0),
                    doc: i,
                    item: None,
                },
                "default",
                is_cluster_scoped,
            )
        })
        .collect()
}

#[test]
fn quantities_parse_exactly() {
    let q = |s: &str| Quantity::parse(s).unwrap();
    assert_eq!(q("500m"), q("0.5"));
    assert_eq!(q("1"), Quantity::from_milli(1000));
    assert_eq!(q("1Gi").units_ceil(), 1 << 30);
    assert_eq!(q("1G").units_ceil(), 1_000_000_000);
    assert_eq!(q("1e3").units_ceil(), 1000);
    assert_eq!(q("1E3"), q("1k"));
    assert_eq!(q("129M").units_ceil(), 129_000_000);
    assert_eq!(q("123Mi").units_ceil(), 123 * (1 << 20));
    assert_eq!(q("0.1").milli_ceil(), 100);
    assert_eq!(q("1n").nanos(), 1);
    assert_eq!(q("0.1n").nanos(), 1, "rounds up below a nano");
    assert_eq!(q("+1.5Gi").units_ceil(), 3 << 29);
    assert_eq!(q("512m").units_ceil(), 1, "512 millibytes");
    assert!(matches!(
        Quantity::parse("1K"),
        Err(QuantityError::Suffix(_))
    ));
    assert!(Quantity::parse("1gb").is_err());
    assert!(Quantity::parse("").is_err());
    assert!(Quantity::parse("abc").is_err());
    assert!(Quantity::parse("1.2.3").is_err());
    assert_eq!(q("250m").cpu_string(), "250m");
    assert_eq!(q("2").cpu_string(), "2");
    assert_eq!(q("1024Mi").memory_string(), "1Gi");
    assert_eq!(q("1G").memory_string(), "1G");
}

fn qos(resources: &str) -> QosClass {
    let src = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: x}}\nspec:\n  template:\n    spec:\n{resources}"
    );
    let objs = objects(&src);
    PodTemplate::of(&objs[0]).unwrap().qos_class()
}

#[test]
fn qos_follows_the_kubelet() {
    assert_eq!(qos("      containers: [{name: a}]\n"), QosClass::BestEffort);
    // limits only: requests default to limits
    assert_eq!(
        qos("      containers: [{name: a, resources: {limits: {cpu: 1, memory: 1Gi}}}]\n"),
        QosClass::Guaranteed
    );
    assert_eq!(
        qos(
            "      containers: [{name: a, resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: '0.5', memory: 1024Mi}}}]\n"
        ),
        QosClass::Guaranteed
    );
    assert_eq!(
        qos("      containers: [{name: a, resources: {limits: {memory: 1Gi}}}]\n"),
        QosClass::Burstable,
        "cpu missing"
    );
    // BestEffort + Guaranteed mix is Burstable; init containers count
    assert_eq!(
        qos(
            "      initContainers: [{name: i}]\n      containers: [{name: a, resources: {limits: {cpu: 1, memory: 1Gi}}}]\n"
        ),
        QosClass::Burstable
    );
    // ephemeral containers do not count
    assert_eq!(
        qos(
            "      ephemeralContainers: [{name: e}]\n      containers: [{name: a, resources: {limits: {cpu: 1, memory: 1Gi}}}]\n"
        ),
        QosClass::Guaranteed
    );
    // only cpu and memory count
    assert_eq!(
        qos("      containers: [{name: a, resources: {requests: {ephemeral-storage: 1Gi}}}]\n"),
        QosClass::BestEffort
    );
    // pod-level resources decide alone (from 1.34, where the feature is on by default)
    let objs = objects(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  resources: {limits: {cpu: 1, memory: 1Gi}}\n  containers: [{name: a}]\n",
    );
    let t = PodTemplate::of(&objs[0]).unwrap();
    assert_eq!(
        t.qos_class_at(KubeVersion::new(1, 33)),
        QosClass::BestEffort
    );
    assert_eq!(
        t.qos_class_at(KubeVersion::new(1, 34)),
        QosClass::Guaranteed
    );
    assert_eq!(
        qos("      resources: {limits: {cpu: 1, memory: 1Gi}}\n      containers: [{name: a}]\n"),
        QosClass::Guaranteed
    );
}

#[test]
fn pod_templates_of_every_workload_kind() {
    let objs = objects(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n---\n\
apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a}]}}}}}\n---\n\
apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec: {template: {spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata: {name: k}\nspec: {template: {spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {a: b}}\n---\n\
apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec: {template: {foo: 1}}\n",
    );
    let paths: Vec<Option<String>> = objs
        .iter()
        .map(|o| PodTemplate::of(o).map(|t| t.spec_pointer(&["containers"]).to_string()))
        .collect();
    assert_eq!(
        paths,
        [
            Some("/spec/containers".to_string()),
            Some("/spec/jobTemplate/spec/template/spec/containers".to_string()),
            Some("/spec/template/spec/containers".to_string()),
            Some("/spec/template/spec/containers".to_string()),
            None,
            None
        ]
    );
}

#[test]
fn container_kinds() {
    let objs = objects(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: i}, {name: s, restartPolicy: Always}]\n  containers: [{name: a}]\n  ephemeralContainers: [{name: e}]\n",
    );
    let t = PodTemplate::of(&objs[0]).unwrap();
    let kinds: Vec<(&str, ContainerKind, String)> = t
        .containers()
        .map(|c| (c.name, c.kind, c.pointer().to_string()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "i",
                ContainerKind::Init,
                "/spec/initContainers/0".to_string()
            ),
            (
                "s",
                ContainerKind::Sidecar,
                "/spec/initContainers/1".to_string()
            ),
            (
                "a",
                ContainerKind::Regular,
                "/spec/containers/0".to_string()
            ),
            (
                "e",
                ContainerKind::Ephemeral,
                "/spec/ephemeralContainers/0".to_string()
            ),
        ]
    );
}

#[test]
fn namespaces_default_and_scope() {
    let objs = objects(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: ignored}\n",
    );
    assert_eq!(objs[0].namespace.as_deref(), Some("default"));
    assert!(!objs[0].namespace_explicit);
    assert_eq!(objs[1].namespace, None);
    assert_eq!(objs[2].namespace, None);
}

#[test]
fn selectors_and_the_index() {
    let objs = objects(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec: {replicas: 3, template: {metadata: {labels: {app: api, tier: be}}, spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api, namespace: shop}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: api}}}\n---\n\
apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: all, namespace: shop}\nspec: {maxUnavailable: 1, selector: {}}\n---\n\
apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: old, namespace: shop}\nspec: {maxUnavailable: 1, selector: {}}\n---\n\
apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: expr, namespace: shop}\nspec: {maxUnavailable: 1, selector: {matchExpressions: [{key: tier, operator: NotIn, values: [fe]}]}}\n---\n\
apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: shop}\nspec: {minReplicas: 2, maxReplicas: 5, scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}}\n",
    );
    let ix = Index::new(objs);
    let (dep, _) = ix.get("Deployment", Some("shop"), "api").unwrap();
    let names: Vec<&str> = ix
        .pdbs_for(dep)
        .iter()
        .map(|&p| ix.object(p).name.as_str())
        .collect();
    assert_eq!(names, ["api", "all", "expr"]);
    assert_eq!(ix.hpas_for(dep).len(), 1);
    assert_eq!(ix.expected_min_replicas(dep), Some(2));
    assert!(ix.knows_namespace("shop"));
    assert!(!ix.knows_namespace("other"));
}

#[test]
fn kube_versions() {
    assert_eq!(
        KubeVersion::parse("v1.30.2").unwrap(),
        KubeVersion::new(1, 30)
    );
    assert_eq!(KubeVersion::parse("1.29").unwrap(), KubeVersion::new(1, 29));
    assert!(KubeVersion::parse("2.0").is_err());
    assert!(KubeVersion::parse("latest").is_err());
}

#[test]
fn services_select_workloads_and_serving_is_derived_once() {
    let objs = objects(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: shop}\nspec: {template: {metadata: {labels: {app: worker}}, spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: batch/v1\nkind: Job\nmetadata: {name: job, namespace: shop}\nspec: {template: {metadata: {labels: {app: web}}, spec: {restartPolicy: Never, containers: [{name: a, ports: [{containerPort: 80}]}]}}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: shop}\nspec: {type: ExternalName, externalName: x.example.com, selector: {app: worker}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: other}\nspec: {selector: {app: worker}}\n",
    );
    let ix = Index::new(objs);
    let id = |k: &str, n: &str| ix.get(k, Some("shop"), n).unwrap().0;
    assert_eq!(ix.services_for(id("Deployment", "web")).len(), 1);
    assert!(ix.is_serving(id("Deployment", "web")));
    assert!(
        !ix.is_serving(id("Deployment", "worker")),
        "ExternalName and other namespaces do not count"
    );
    assert!(
        !ix.is_serving(id("Job", "job")),
        "a Job is not long-running"
    );
}

#[test]
fn int_or_percent_scales_like_intstr() {
    let n = |s: &str| {
        let objs = objects(&format!(
            "apiVersion: v1\nkind: X\nmetadata: {{name: x}}\nv: {s}\n"
        ));
        IntOrPct::of(objs[0].root.get("v").unwrap())
    };
    assert_eq!(n("25%"), Some(IntOrPct::Pct(25)));
    assert_eq!(n("3"), Some(IntOrPct::Int(3)));
    assert_eq!(
        n("'3'"),
        None,
        "a string without % is rejected by the API server"
    );
    assert_eq!(n("-1"), None);
    assert_eq!(IntOrPct::Pct(25).scaled(3, true), 1);
    assert_eq!(IntOrPct::Pct(25).scaled(3, false), 0);
    assert_eq!(
        IntOrPct::Pct(50).scaled(7, true),
        4,
        "7 pods at 50% keeps 4 up"
    );
}

#[test]
fn owners_resolve_within_the_input() {
    let objs = objects(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: api-7d9, namespace: shop, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u, controller: true}]}\nspec: {template: {spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec: {template: {spec: {containers: [{name: a}]}}}\n",
    );
    let ix = Index::new(objs);
    let (rs, _) = ix.get("ReplicaSet", Some("shop"), "api-7d9").unwrap();
    assert_eq!(ix.owner_of(rs).unwrap().1.name, "api");
    assert!(
        ix.workloads_in("shop").iter().all(|&w| w != rs),
        "owned objects are not workloads of their own"
    );
}
