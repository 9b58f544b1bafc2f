//! The shared-selector family (`bench/gen_adversarial.py` at small n): many objects in
//! one namespace that select, target, bind or name the same few things, so that every
//! cross-object relation has n x n pairs. Every rule must report at most one finding
//! per object a user would edit, list at most 20 related objects, and the report must
//! grow linearly: at 4n, no rule's findings or message bytes grow more than 4x (with a
//! little slack for numbers that gain a digit).

use std::collections::{BTreeMap, HashMap};

use plimsoll_model::{Index, KubeVersion};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::registry::all_rules;
use plimsoll_rules::rule::MAX_RELATED;

fn family(n: usize) -> String {
    let mut y = String::from(
        "apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app, namespace: shop}
rules:
  - {apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}
  - {apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}
---
apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  replicas: 2
  selector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
  template:
    metadata: {labels: {app.kubernetes.io/name: ingress-nginx}}
    spec:
      containers: [{name: c, image: registry.k8s.io/ingress-nginx/controller:v1.12.0}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  clusterIP: None
  selector: {tier: db}
  ports: [{name: ssh, port: 22, targetPort: ssh}]
---
",
    );
    for i in 0..n {
        y += &format!(
            "apiVersion: apps/v1
kind: Deployment
metadata: {{name: d{i}, namespace: shop}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: d{i}}}}}
  template:
    metadata: {{labels: {{app: d{i}, team: shop}}}}
    spec:
      serviceAccountName: app
      containers:
        - name: app
          image: registry.example.com/app:1.0.0
          ports: [{{name: http, containerPort: 8080}}]
          env:
            - name: MODE
              valueFrom: {{configMapKeyRef: {{name: settings, key: mode}}}}
          volumeMounts: [{{name: data, mountPath: /data}}]
      volumes: [{{name: data, persistentVolumeClaim: {{claimName: data}}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: p{i}, namespace: shop}}
spec:
  maxUnavailable: 1
  selector: {{matchLabels: {{team: shop}}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: m{i}, namespace: shop}}
spec:
  minAvailable: 1000000
  selector: {{matchLabels: {{tier: db}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: s{i}, namespace: shop}}
spec:
  selector: {{team: shop}}
  ports: [{{name: http, port: 80, targetPort: http}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: n{i}, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{team: shop}}}}
  policyTypes: [Ingress, Egress]
  ingress: [{{from: [{{podSelector: {{matchLabels: {{team: shop}}}}}}]}}]
  egress: [{{to: [{{podSelector: {{matchLabels: {{team: shop}}}}}}]}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: h{i}, namespace: shop}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: d0}}
  minReplicas: 2
  maxReplicas: 4
  metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}}}]
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata: {{name: v{i}, namespace: shop}}
spec:
  targetRef: {{apiVersion: apps/v1, kind: Deployment, name: d0}}
  updatePolicy: {{updateMode: Auto}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: rb{i}, namespace: shop}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}}
subjects: [{{kind: ServiceAccount, name: app, namespace: shop}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: shop}}
data: {{copy: \"{i}\"}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: st{i}, namespace: shop}}
spec:
  serviceName: db
  replicas: 2
  selector: {{matchLabels: {{app: st{i}}}}}
  template:
    metadata: {{labels: {{app: st{i}, tier: db}}}}
    spec:
      containers: [{{name: db, image: registry.example.com/db:1.0.0, ports: [{{name: ssh, containerPort: 22}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: i{i}, namespace: shop}}
spec:
  rules:
    - http:
        paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: s0, port: {{name: http}}}}}}}}]
---
"
        );
    }
    y
}

/// Per code: (findings, message bytes, the most findings on one object).
fn run(n: usize) -> BTreeMap<&'static str, (usize, usize, usize)> {
    let text = family(n);
    let loaded = load_text(0, &text, "default");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let index = Index::new(loaded.objects);
    let config = Config::default();
    let rules = all_rules();
    let outcome = engine::run(
        &index,
        &Run {
            rules,
            config: &config,
            settings: &config.settings,
            kube_version: KubeVersion::NEWEST,
            pss_version: None,
            facts: &loaded.facts,
            comments: &[],
            strict: false,
            baseline: None,
            live: None,
            file_paths: &[],
            context_files_from: None,
        },
    );
    let mut per_code: BTreeMap<&'static str, (usize, usize, usize)> = BTreeMap::new();
    let mut per_object: HashMap<(&'static str, usize), usize> = HashMap::new();
    for f in &outcome.findings {
        assert!(
            f.related.len() <= MAX_RELATED,
            "n = {n}: {} lists {} related objects",
            f.rule.code,
            f.related.len()
        );
        let e = per_code.entry(f.rule.code).or_default();
        e.0 += 1;
        e.1 += f.message.len();
        let k = per_object.entry((f.rule.code, f.object)).or_default();
        *k += 1;
        e.2 = e.2.max(*k);
    }
    per_code
}

#[test]
fn cross_object_findings_are_bounded_and_grow_linearly() {
    // both above the cap of related objects, so that capped lists are full at both
    let (n, m) = (25, 100);
    let small = run(n);
    let large = run(m);
    for (code, &(count, bytes, most)) in &large {
        let (c0, b0, _) = small.get(code).copied().unwrap_or((1, 1, 1));
        assert!(
            count * 10 <= c0 * 45,
            "{code}: {c0} findings at n = {n}, {count} at n = {m}"
        );
        assert!(
            bytes * 10 <= b0 * 45,
            "{code}: {b0} message bytes at n = {n}, {bytes} at n = {m}"
        );
        // per object a user edits: one finding, except rules that judge each
        // container or reference of a workload
        if [
            "AVL003", "AVL005", "META004", "NET005", "NET006", "NET101", "SCL004", "SEC008",
        ]
        .contains(code)
        {
            assert_eq!(most, 1, "{code}: {most} findings on one object at n = {m}");
        }
    }
    // one finding per VPA (not per HPA and VPA), one for the policy that cuts the
    // Ingresses off (not one per Ingress and workload), one per PDB
    assert_eq!(large["SCL004"].0, m);
    assert_eq!(large["NET006"].0, 1);
    assert_eq!(large["AVL005"].0, 2 * (m - 1), "both PDB families overlap");
    assert_eq!(large["AVL003"].0, m);
    assert_eq!(large["META004"].0, m - 1);
}
