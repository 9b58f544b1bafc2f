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
fn security_fields_resolve_container_over_pod() {
    let objs = objects(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsUser: 1000, runAsGroup: 3000}\n  containers:\n    - {name: a, securityContext: {runAsUser: 2000, runAsGroup: null}}\n    - {name: b}\n  ephemeralContainers: [{name: e, securityContext: {runAsNonRoot: true}}]\n",
    );
    let t = PodTemplate::of(&objs[0]).unwrap();
    let got: Vec<(&str, Option<i64>, String, bool)> = t
        .containers()
        .flat_map(|c| {
            ["runAsUser", "runAsGroup", "runAsNonRoot"]
                .into_iter()
                .filter_map(move |k| c.security_field(k).map(|f| (c.name, f)))
        })
        .map(|(n, f)| (n, f.node.as_i64(), f.pointer.to_string(), f.pod_level))
        .collect();
    let row = |n, v, p: &str, pod| (n, v, p.to_string(), pod);
    assert_eq!(
        got,
        [
            row(
                "a",
                Some(2000),
                "/spec/containers/0/securityContext/runAsUser",
                false
            ),
            row("a", Some(3000), "/spec/securityContext/runAsGroup", true),
            row("b", Some(1000), "/spec/securityContext/runAsUser", true),
            row("b", Some(3000), "/spec/securityContext/runAsGroup", true),
            row("e", Some(1000), "/spec/securityContext/runAsUser", true),
            row("e", Some(3000), "/spec/securityContext/runAsGroup", true),
            row(
                "e",
                None,
                "/spec/ephemeralContainers/0/securityContext/runAsNonRoot",
                false
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
        .map(|p| ix.object(p).name.as_str())
        .collect();
    assert_eq!(names, ["api", "all", "expr"]);
    assert_eq!(ix.hpas_for(dep).len(), 1);
    assert_eq!(ix.expected_min_replicas(dep), Some(2));
    assert!(ix.knows_namespace("shop"));
    assert!(!ix.knows_namespace("other"));
}

#[test]
fn a_namespace_is_held_through_its_namespace_object_or_the_front_end() {
    let objs = objects(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: pay}\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ops}\n",
    );
    let mut ix = Index::new(objs);
    assert!(ix.holds_namespace("shop"));
    assert!(ix.knows_namespace("pay") && !ix.holds_namespace("pay"));
    // the front-end read `b` from a directory: its namespace is held, `ops` is not
    ix.hold_namespaces_of(|o| o.name == "b");
    assert!(ix.holds_namespace("pay"));
    assert!(!ix.holds_namespace("ops"));
    assert!(!ix.holds_namespace("nowhere"));
    // a reference into a held namespace is judged even when nothing else of it is there
    let (c, _) = ix.get("ConfigMap", Some("ops"), "c").unwrap();
    assert!(!ix.knows_namespace_besides("ops", c));
    ix.hold_namespaces_of(|_| true);
    assert!(ix.knows_namespace_besides("ops", c));
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

#[test]
fn timestamps_parse_and_print_as_rfc3339() {
    let t = |s: &str| Timestamp::parse(s);
    assert_eq!(t("1970-01-01T00:00:00Z"), Some(Timestamp::from_unix(0)));
    assert_eq!(
        t("2024-02-29T12:30:05Z").unwrap().unix(),
        1_709_209_805,
        "a leap day"
    );
    assert_eq!(
        t("2024-02-29T14:30:05+02:00"),
        t("2024-02-29T12:30:05Z"),
        "offsets are applied"
    );
    assert_eq!(
        t("2024-02-29T12:30:05.123456Z"),
        t("2024-02-29T12:30:05Z"),
        "MicroTime fractions are dropped"
    );
    assert_eq!(t("1969-12-31T23:59:59Z").unwrap().unix(), -1);
    for bad in [
        "",
        "2024-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:00",
        "2024-01-01",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00+0200",
        "yesterday at noon, roughly",
    ] {
        assert_eq!(t(bad), None, "{bad}");
    }
    for s in [
        "2024-02-29T12:30:05Z",
        "1999-12-31T23:59:59Z",
        "2038-01-19T03:14:08Z",
    ] {
        assert_eq!(t(s).unwrap().to_string(), s);
    }
    assert_eq!(format_duration(45), "45s");
    assert_eq!(format_duration(12 * 60 + 5), "12m");
    assert_eq!(format_duration(3 * 3600), "3h");
    assert_eq!(format_duration(3 * 3600 + 20 * 60), "3h20m");
    assert_eq!(format_duration(2 * 86_400 + 5 * 3600 + 59), "2d5h");
    assert_eq!(format_duration(86_400 + 30), "1d");
}

const OWNED: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, uid: d-1}
spec: {template: {spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9
  namespace: shop
  uid: rs-1
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-1, controller: true}]
spec: {template: {spec: {containers: [{name: a}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-5c4
  namespace: shop
  uid: rs-0
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-1, controller: true}]
spec: {replicas: 0, template: {spec: {containers: [{name: a}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9-x1
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9, uid: rs-1, controller: true}]
spec: {nodeName: n1, containers: [{name: a}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-5c4-x2
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5c4, uid: rs-0, controller: true}]
spec: {containers: [{name: a}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9-stale
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9, uid: rs-old, controller: true}]
spec: {containers: [{name: a}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec: {schedule: '0 * * * *', jobTemplate: {spec: {template: {spec: {containers: [{name: r}]}}}}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: report-2891
  namespace: shop
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: report, controller: true}]
spec: {template: {spec: {containers: [{name: r}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: report-2891-abcde
  namespace: shop
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report-2891, controller: true}]
spec: {containers: [{name: r}]}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata: {name: events, namespace: shop, uid: k-1}
spec: {}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: events-kafka
  namespace: shop
  ownerReferences: [{apiVersion: kafka.strimzi.io/v1beta2, kind: Kafka, name: events, uid: k-1, controller: true}]
spec: {template: {spec: {containers: [{name: k}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: events-kafka-0
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: events-kafka, controller: true}]
spec: {containers: [{name: k}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan-x
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, controller: true}]
spec: {containers: [{name: a}]}
";

#[test]
fn owned_objects_resolve_by_uid_and_pods_are_found_through_one_level() {
    let ix = Index::new(objects(OWNED));
    let id = |k: &str, n: &str| ix.get(k, Some("shop"), n).unwrap().0;
    let names =
        |ids: &[usize]| -> Vec<String> { ids.iter().map(|&i| ix.object(i).name.clone()).collect() };
    let dep = id("Deployment", "api");
    assert_eq!(
        names(ix.controlled_by(dep)),
        ["api-7d9", "api-5c4"],
        "both ReplicaSets, old and new"
    );
    assert_eq!(
        names(&ix.pods_of(dep)),
        ["api-7d9-x1", "api-5c4-x2"],
        "the stale pod names a ReplicaSet of another uid"
    );
    assert!(ix.owner_of(id("Pod", "api-7d9-stale")).is_none());
    assert_eq!(
        names(&ix.pods_of(id("ReplicaSet", "api-7d9"))),
        ["api-7d9-x1"]
    );
    assert_eq!(
        names(&ix.pods_of(id("CronJob", "report"))),
        ["report-2891-abcde"]
    );
    assert_eq!(
        names(&ix.pods_of(id("Job", "report-2891"))),
        ["report-2891-abcde"]
    );
    assert!(ix.pods_of(id("Pod", "orphan-x")).is_empty());

    for (kind, name, through) in [
        ("Deployment", "api", false),
        ("ReplicaSet", "api-7d9", true),
        ("Pod", "api-7d9-x1", true),
        ("Pod", "api-7d9-stale", false),
        ("Job", "report-2891", true),
        ("Pod", "report-2891-abcde", true),
        ("StatefulSet", "events-kafka", false),
        ("Pod", "events-kafka-0", true),
        ("Pod", "orphan-x", false),
    ] {
        assert_eq!(
            ix.judged_through_owner(id(kind, name)),
            through,
            "{kind} {name}"
        );
    }
    assert_eq!(
        ix.owner_of(id("StatefulSet", "events-kafka"))
            .unwrap()
            .1
            .kind,
        "Kafka",
        "an owner without a pod template is still the owner"
    );
    assert_eq!(
        names(&ix.pods_of(id("StatefulSet", "events-kafka"))),
        ["events-kafka-0"]
    );
}

#[test]
fn deployment_configs_are_workloads_like_deployments() {
    let ix = Index::new(objects(
        "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: web, namespace: s, uid: dc}\nspec:\n  replicas: 3\n  selector: {app: web}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: a}]}\n---\n\
apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: idle, namespace: s}\nspec: {template: {metadata: {labels: {app: idle}}, spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: web-1\n  namespace: s\n  uid: rc\n  ownerReferences: [{apiVersion: apps.openshift.io/v1, kind: DeploymentConfig, name: web, uid: dc, controller: true}]\nspec: {}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1-x\n  namespace: s\n  ownerReferences: [{apiVersion: v1, kind: ReplicationController, name: web-1, uid: rc, controller: true}]\nspec: {containers: [{name: a}]}\n---\n\
apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: s}\nspec: {minAvailable: 2, selector: {matchLabels: {app: web}}}\n",
    ));
    let id = |k: &str, n: &str| ix.get(k, Some("s"), n).unwrap().0;
    let web = id("DeploymentConfig", "web");
    let t = PodTemplate::of(ix.object(web)).unwrap();
    assert_eq!(t.spec_pointer(&[]).to_string(), "/spec/template/spec");
    assert!(t.is_long_running());
    assert_eq!(ix.expected_min_replicas(web), Some(3));
    assert_eq!(
        ix.expected_min_replicas(id("DeploymentConfig", "idle")),
        Some(0),
        "a DeploymentConfig's replicas is not defaulted"
    );
    assert_eq!(ix.pdbs_for(web).len(), 1);
    assert_eq!(ix.workloads_in("s").len(), 2);
    assert!(
        ix.judged_through_owner(id("ReplicationController", "web-1")),
        "a slimmed ReplicationController of a DeploymentConfig"
    );
    let pods: Vec<&str> = ix
        .pods_of(web)
        .iter()
        .map(|&p| ix.object(p).name.as_str())
        .collect();
    assert_eq!(pods, ["web-1-x"]);
}

#[test]
fn slimmed_copies_are_judged_through_their_owner() {
    // what a live audit keeps of owned objects: metadata, node, containers, status
    let ix = Index::new(objects(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: s, uid: d}\nspec: {template: {spec: {containers: [{name: a}]}}}\n---\n\
apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: api-1, namespace: s, uid: r, ownerReferences: [{kind: Deployment, name: api, uid: d, controller: true}]}\nstatus: {replicas: 1}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {name: api-1-x, namespace: s, ownerReferences: [{kind: ReplicaSet, name: api-1, uid: r, controller: true}]}\nspec: {nodeName: n, containers: [{name: a}]}\nstatus: {phase: Running}\n",
    ));
    assert!(!ix.judged_through_owner(0));
    assert!(
        ix.judged_through_owner(1),
        "a ReplicaSet without its template"
    );
    assert!(ix.judged_through_owner(2));
    assert_eq!(ix.pods_of(0), [2]);
}

#[test]
fn owners_in_a_cycle_are_judged_on_their_own() {
    let ix = Index::new(objects(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: a, namespace: s, ownerReferences: [{kind: ReplicaSet, name: b, controller: true}]}\nspec: {template: {spec: {containers: [{name: c}]}}}\n---\n\
apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: b, namespace: s, ownerReferences: [{kind: ReplicaSet, name: a, controller: true}]}\nspec: {template: {spec: {containers: [{name: c}]}}}\n---\n\
apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: self, namespace: s, ownerReferences: [{kind: ReplicaSet, name: self, controller: true}]}\nspec: {template: {spec: {containers: [{name: c}]}}}\n",
    ));
    for id in 0..ix.len() {
        assert!(!ix.judged_through_owner(id), "{}", ix.object(id).name);
    }
    assert!(ix.owner_of(2).is_none(), "an object does not own itself");
}

#[test]
fn pod_status_reads_what_the_kubelet_writes() {
    let objs = objects(
        r#"apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: shop, creationTimestamp: "2024-05-01T09:00:00Z"}
spec:
  nodeName: node-a
  initContainers: [{name: init}]
  containers: [{name: api}, {name: proxy}]
status:
  phase: Running
  startTime: "2024-05-01T09:00:02Z"
  conditions:
    - {type: PodScheduled, status: "True", lastTransitionTime: "2024-05-01T09:00:00Z"}
    - {type: Ready, status: "False", reason: ContainersNotReady, message: "containers with unready status: [api]", lastTransitionTime: "2024-05-01T10:14:00Z"}
  initContainerStatuses:
    - name: init
      ready: true
      restartCount: 0
      state: {terminated: {exitCode: 0, reason: Completed, finishedAt: "2024-05-01T09:00:05Z"}}
  containerStatuses:
    - name: api
      ready: false
      restartCount: 7
      state: {waiting: {reason: CrashLoopBackOff, message: "back-off 5m0s restarting failed container=api"}}
      lastState: {terminated: {exitCode: 137, reason: OOMKilled, startedAt: "2024-05-01T10:13:30Z", finishedAt: "2024-05-01T10:14:00Z"}}
    - name: proxy
      ready: true
      restartCount: 0
      state: {running: {startedAt: "2024-05-01T09:00:06Z"}}
"#,
    );
    let p = PodStatus::of(&objs[0]).unwrap();
    assert_eq!(p.phase(), Some("Running"));
    assert_eq!(p.node_name(), Some("node-a"));
    assert!(p.is_running());
    assert!(!p.is_ready());
    assert_eq!(p.start_time(), Timestamp::parse("2024-05-01T09:00:02Z"));
    let names: Vec<&str> = p.containers().map(|c| c.name).collect();
    assert_eq!(names, ["init", "api", "proxy"]);
    let api = p.container("api").unwrap();
    assert_eq!(api.restart_count, 7);
    assert_eq!(api.state.unwrap().reason(), Some("CrashLoopBackOff"));
    assert_eq!(
        api.last_state,
        Some(ContainerState::Terminated {
            reason: Some("OOMKilled"),
            exit_code: Some(137),
            finished_at: Timestamp::parse("2024-05-01T10:14:00Z"),
        })
    );
    assert_eq!(
        api.pointer(&["lastState", "terminated"]).to_string(),
        "/status/containerStatuses/0/lastState/terminated"
    );
    assert_eq!(
        p.container("init").unwrap().pointer(&[]).to_string(),
        "/status/initContainerStatuses/0"
    );
    let ready = condition(&objs[0], "Ready").unwrap();
    assert_eq!(ready.status, "False");
    assert_eq!(ready.reason, Some("ContainersNotReady"));
    assert_eq!(ready.pointer().to_string(), "/status/conditions/1");
    assert_eq!(
        newest_timestamp(&objs[0]),
        Timestamp::parse("2024-05-01T10:14:00Z")
    );
    assert!(
        PodStatus::of(&objects("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {}\n")[0])
            .is_none()
    );
}

#[test]
fn controller_selectors_follow_kind_and_version() {
    let objs = objects(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  selector:
    matchLabels: {app: a}
    matchExpressions: [{key: tier, operator: In, values: [web]}]
  template:
    metadata: {labels: {app: a, tier: db}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec:
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: c}
spec:
  template:
    metadata: {labels: {app: c}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: d}
spec:
  selector: {}
  template:
    metadata: {labels: {app: d}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: e}
spec:
  selector: {app: e}
  template:
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: f}
spec:
  selector: {matchLabels: {app: f}}
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: x}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: g}
spec:
  manualSelector: true
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: x}]}
"#,
    );
    let sel = |i: usize| PodTemplate::of(&objs[i]).unwrap().controller_selector();
    let a = sel(0);
    let labels: Vec<(&str, &str)> = PodTemplate::of(&objs[0]).unwrap().labels().collect();
    let ControllerSelector::Written {
        selector: Some(s), ..
    } = &a
    else {
        panic!("{a:?}");
    };
    let (i, r) = s.first_unmatched(&labels).unwrap();
    assert_eq!(r.to_string(), "tier=web");
    assert_eq!(
        a.term_pointer(i).unwrap().to_string(),
        "/spec/selector/matchExpressions/0"
    );
    assert_eq!(
        a.term_pointer(0).unwrap().to_string(),
        "/spec/selector/matchLabels/app"
    );
    assert!(matches!(sel(1), ControllerSelector::Missing { .. }));
    assert!(matches!(sel(2), ControllerSelector::Defaulted));
    assert!(matches!(sel(3), ControllerSelector::Defaulted));
    let e = sel(4);
    assert!(matches!(e, ControllerSelector::Written { map: true, .. }));
    assert_eq!(e.term_pointer(0).unwrap().to_string(), "/spec/selector/app");
    assert!(matches!(sel(5), ControllerSelector::NotApplicable));
    assert!(matches!(sel(6), ControllerSelector::Missing { .. }));
}

#[test]
fn container_ports_default_their_protocol_and_names_follow_iana() {
    let objs = objects(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: x:1\n      ports:\n        - {name: http, containerPort: 8080}\n        - {containerPort: 53, protocol: UDP, hostPort: 0}\n        - {name: '', containerPort: '9090', protocol: '', hostPort: 9090, hostIP: 10.0.0.1}\n",
    );
    let t = PodTemplate::of(&objs[0]).unwrap();
    let c = t.containers().next().unwrap();
    let ports = c.port_entries();
    assert_eq!(ports.len(), 3);
    assert_eq!(
        (ports[0].name, ports[0].container_port, ports[0].protocol),
        (Some("http"), Some(8080), "TCP")
    );
    assert_eq!((ports[1].protocol, ports[1].host_port), ("UDP", None));
    assert_eq!(ports[2].name, None, "an empty name is no name");
    assert_eq!(ports[2].container_port, None, "a quoted number is a string");
    assert_eq!(
        ports[2].protocol, "TCP",
        "an empty protocol defaults to TCP"
    );
    assert_eq!(
        (ports[2].host_port, ports[2].host_ip),
        (Some(9090), "10.0.0.1")
    );

    for ok in ["http", "h2c", "grpc-web", "a", "x1234567890abcd"] {
        assert!(port_name_problems(ok).is_empty(), "{ok}");
    }
    for (bad, why) in [
        ("metrics-endpoint", "must be no more than 15 characters"),
        (
            "Http",
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        ),
        (
            "web_ui",
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        ),
        ("8080", "must contain at least one letter (a-z)"),
        ("grpc--web", "must not contain consecutive hyphens"),
        ("-http", "must not begin or end with a hyphen"),
        ("http-", "must not begin or end with a hyphen"),
    ] {
        assert_eq!(port_name_problems(bad), vec![why], "{bad}");
    }
    // upstream reads "at least one letter" as one lowercase letter
    assert_eq!(port_name_problems("HTTP").len(), 2);
    assert!(is_valid_port_num(1) && is_valid_port_num(65535));
    assert!(!is_valid_port_num(0) && !is_valid_port_num(65536));
}

/// n Services and n PDBs sharing one selector over n workloads: each distinct selector
/// is matched once (2n label checks, where matching every Service and PDB on its own
/// made 2n^2, and a relation of 2n^2 entries), a workload holds one class of each, and
/// every PDB of a class shares one list of targets. A selector is looked up through
/// its rarest `key=value` pair: `{team: shop, app: d0}` checks one workload, not n.
#[test]
fn selectors_shared_by_many_objects_are_matched_once() {
    for n in [20, 80] {
        let mut text = String::new();
        for i in 0..n {
            text += &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: shop}}\nspec: {{template: {{metadata: {{labels: {{app: d{i}, team: shop}}}}, spec: {{containers: [{{name: a}}]}}}}}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: shop}}\nspec: {{selector: {{team: shop}}}}\n---\n\
apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: p{i}, namespace: shop}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{team: shop}}}}}}\n---\n"
            );
        }
        text += "apiVersion: v1\nkind: Service\nmetadata: {name: only-d0, namespace: shop}\nspec: {selector: {team: shop, app: d0}}\n";
        let ix = Index::new(objects(&text));
        assert_eq!(ix.selector_checks(), 2 * n + 1, "n = {n}");
        let id = |k: &str, name: &str| ix.get(k, Some("shop"), name).unwrap().0;
        let services: Vec<usize> = ix.of_kind("Service").map(|(id, _)| id).collect();
        let (d0, d1) = (id("Deployment", "d0"), id("Deployment", "d1"));
        // d0 is under two classes of Services; their members merge in input order
        assert_eq!(ix.services_for(d0).classes().len(), 2);
        assert_eq!(ix.services_for(d0).iter().collect::<Vec<_>>(), services);
        assert_eq!(ix.services_for(d0).len(), n + 1);
        assert_eq!(ix.services_for(d1).len(), n);
        assert_eq!(ix.services_for(d1).first(), Some(id("Service", "s0")));
        assert_eq!(ix.service_targets(id("Service", "only-d0")), [d0]);
        let pdbs = ix.pdbs_for(d1);
        assert_eq!((pdbs.classes().len(), pdbs.len()), (1, n));
        assert_eq!(pdbs.first(), Some(id("PodDisruptionBudget", "p0")));
        let lists: Vec<*const usize> = ix
            .of_kind("PodDisruptionBudget")
            .map(|(p, _)| ix.pdb_targets(p).as_ptr())
            .collect();
        assert!(lists.iter().all(|&l| l == lists[0]), "one list of targets");
        assert_eq!(ix.pdb_targets(id("PodDisruptionBudget", "p3")).len(), n);
    }
}

/// `of_kind_in` is a look-up by kind and namespace, in input order.
#[test]
fn objects_of_a_kind_in_a_namespace() {
    let ix = Index::new(objects(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: y}\n---\n\
apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n",
    ));
    let names: Vec<&str> = ix
        .of_kind_in("ConfigMap", "x")
        .map(|(_, o)| o.name.as_str())
        .collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(ix.of_kind_in("ConfigMap", "z").count(), 0);
}

/// An Argo Rollout with a `workloadRef` runs the referenced Deployment's template: it
/// is a workload with those labels, so PDBs and Services that select them select it.
#[test]
fn workload_ref_rollouts_run_the_deployments_template() {
    let ix = Index::new(objects(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, namespace: x}\n\
spec:\n  replicas: 3\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: d}\n---\n\
apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: x}\n\
spec: {maxUnavailable: 1, selector: {matchLabels: {app: a}}}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\n\
spec:\n  replicas: 0\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec: {containers: [{name: c}]}\n---\n\
apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: lost, namespace: x}\n\
spec:\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: nowhere}\n---\n\
apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: schedules.velero.io}\n\
spec: {group: velero.io, names: {kind: Schedule, plural: schedules}, scope: Namespaced}\n",
    ));
    assert_eq!(ix.workload_ref(0), Some(2));
    assert_eq!(ix.workload_ref(3), None);
    assert!(PodTemplate::of(ix.object(0)).is_none());
    let t = ix.pod_template(0).expect("the Deployment's template");
    assert_eq!(t.labels().collect::<Vec<_>>(), [("app", "a")]);
    assert_eq!(ix.workloads_in("x"), [0, 2]);
    assert_eq!(ix.pdbs_for(0).len(), 1);
    assert_eq!(ix.pdb_targets(1), [0, 2]);
    assert!(ix.kind_known("velero.io", "Schedule"));
    assert!(ix.kind_known("argoproj.io", "Rollout"));
    assert!(ix.kind_known("policy", "PodDisruptionBudget"));
    assert!(!ix.kind_known("velero.io", "Restore"));
    assert!(!ix.kind_known("example.com", "Rollout"));
}
