//! What a live audit hands the engine: workloads together with the ReplicaSets and Pods
//! they control (with status), and facts only the live front-end knows.

use plimsoll_model::{Index, KubeVersion, Timestamp};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Outcome, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::live::LiveFacts;
use plimsoll_rules::registry::{all_rules, find};
use plimsoll_rules::rule::{Finding, Rule};

fn run_with(text: &str, rules: &[&'static dyn Rule], live: Option<&LiveFacts>) -> (Index, Outcome) {
    let loaded = load_text(0, text, "default");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut index = Index::new(loaded.objects);
    // as the audit does: it lists every object of the namespaces it reads
    index.hold_namespaces_of(|_| true);
    let config = Config::default();
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
            live,
            file_paths: &[],
            context_files_from: None,
        },
    );
    (index, outcome)
}

fn rule(code: &str) -> &'static dyn Rule {
    find(code).unwrap_or_else(|| panic!("{code}"))
}

/// The objects the findings are on: `Deployment shop/api`.
fn shown_on<'f>(index: &Index, findings: impl IntoIterator<Item = &'f Finding>) -> Vec<String> {
    findings
        .into_iter()
        .map(|f| index.object(f.object).display_name())
        .collect()
}

/// Asserts that the rule reports exactly these objects of the input.
#[track_caller]
fn assert_reported_on(text: &str, code: &str, expected: &[&str]) {
    let (index, outcome) = run_with(text, &[rule(code)], None);
    assert_eq!(
        shown_on(&index, &outcome.findings),
        expected,
        "{outcome:#?}"
    );
}

/// The findings on copies a controller made (objects judged through their owner):
/// `RES001 on Pod shop/api-x7k2p`.
fn on_copies<'f>(index: &Index, findings: impl IntoIterator<Item = &'f Finding>) -> Vec<String> {
    findings
        .into_iter()
        .filter(|f| index.judged_through_owner(f.object))
        .map(|f| {
            format!(
                "{} on {}",
                f.rule.code,
                index.object(f.object).display_name()
            )
        })
        .collect()
}

/// A Deployment, its ReplicaSet and one Pod, as `kubectl get deploy,rs,pod -o yaml`
/// lists them (abridged): the controller copied the template into both.
const DEPLOYMENT_RS_POD: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  uid: 5d0c4f0e-8a53-4c1e-9d5e-0c7b8f1a2b01
  generation: 1
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api}
      annotations: {plimsoll.dev/ignore: "RES002 -- the api is bursty; reviewed"}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
status:
  observedGeneration: 1
  replicas: 1
  readyReplicas: 1
  availableReplicas: 1
  updatedReplicas: 1
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-6f7c9d8b4d
  namespace: shop
  uid: 9b1e6a52-3c7d-4f0a-8e2b-6d4c2a1f0e02
  labels: {app: api, pod-template-hash: 6f7c9d8b4d}
  ownerReferences:
    - apiVersion: apps/v1
      kind: Deployment
      name: api
      uid: 5d0c4f0e-8a53-4c1e-9d5e-0c7b8f1a2b01
      controller: true
      blockOwnerDeletion: true
spec:
  replicas: 1
  selector: {matchLabels: {app: api, pod-template-hash: 6f7c9d8b4d}}
  template:
    metadata:
      labels: {app: api, pod-template-hash: 6f7c9d8b4d}
      annotations: {plimsoll.dev/ignore: "RES002 -- the api is bursty; reviewed"}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
status: {replicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6f7c9d8b4d-x7k2p
  namespace: shop
  labels: {app: api, pod-template-hash: 6f7c9d8b4d, build: 0755}
  annotations: {plimsoll.dev/ignore: "RES002 -- the api is bursty; reviewed"}
  ownerReferences:
    - apiVersion: apps/v1
      kind: ReplicaSet
      name: api-6f7c9d8b4d
      uid: 9b1e6a52-3c7d-4f0a-8e2b-6d4c2a1f0e02
      controller: true
      blockOwnerDeletion: true
spec:
  nodeName: node-a
  containers:
    - name: api
      image: registry.example.com/api:1.4.2
status:
  phase: Running
  conditions:
    - {type: Ready, status: "True", lastTransitionTime: "2024-05-01T09:00:10Z"}
  containerStatuses:
    - name: api
      ready: true
      restartCount: 0
      state: {running: {startedAt: "2024-05-01T09:00:05Z"}}
"#;

#[test]
fn a_workload_is_judged_once_not_through_its_replicasets_and_pods() {
    assert_reported_on(DEPLOYMENT_RS_POD, "RES001", &["Deployment shop/api"]);
}

#[test]
fn no_rule_reports_the_copies_a_controller_made() {
    let rules: Vec<&'static dyn Rule> = all_rules().to_vec();
    let (index, outcome) = run_with(DEPLOYMENT_RS_POD, &rules, None);
    let owned = on_copies(
        &index,
        outcome
            .findings
            .iter()
            .chain(outcome.exempted.iter().map(|e| &e.finding))
            .filter(|f| f.rule.group() != "YML"),
    );
    assert!(owned.is_empty(), "{owned:#?}");
    assert!(
        outcome
            .not_evaluated
            .iter()
            .all(|n| !index.judged_through_owner(n.object)),
        "{:#?}",
        outcome.not_evaluated
    );
    // the template's exemption is used on the Deployment; its copies on the
    // ReplicaSet and the Pod are not reported as unused
    assert_eq!(
        outcome
            .exempted
            .iter()
            .filter(|e| e.finding.rule.code == "RES002")
            .count(),
        1
    );
    assert!(
        outcome.unused_exemptions.is_empty(),
        "{:#?}",
        outcome.unused_exemptions
    );
}

#[test]
fn yaml_level_rules_still_read_every_document() {
    // `build: 0755` in the Pod's labels is a number where Kubernetes wants a string
    assert_reported_on(
        DEPLOYMENT_RS_POD,
        "YML003",
        &["Pod shop/api-6f7c9d8b4d-x7k2p"],
    );
}

#[test]
fn an_owner_missing_from_the_input_leaves_the_object_judged_on_its_own() {
    let pod_only = DEPLOYMENT_RS_POD
        .split("\n---\n")
        .nth(2)
        .expect("the Pod document");
    let (index, outcome) = run_with(pod_only, &[rule("RES001")], None);
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(index.object(outcome.findings[0].object).kind, "Pod");
}

#[test]
fn the_live_clock_decides_what_is_recent() {
    let text = r#"
apiVersion: v1
kind: Pod
metadata: {name: worker, namespace: jobs}
spec:
  nodeName: node-a
  containers:
    - name: worker
      image: registry.example.com/worker:2.0.0
      resources: {limits: {memory: 256Mi}}
status:
  phase: Running
  containerStatuses:
    - name: worker
      ready: true
      restartCount: 1
      state: {running: {startedAt: "2024-05-01T10:00:05Z"}}
      lastState: {terminated: {exitCode: 137, reason: OOMKilled, startedAt: "2024-05-01T08:00:00Z", finishedAt: "2024-05-01T10:00:00Z"}}
"#;
    let oom = [rule("LIV001")];
    // without a clock, the newest time in the input is "now": the kill is 5s old
    let (_, files) = run_with(text, &oom, None);
    assert_eq!(files.findings.len(), 1, "{files:#?}");
    assert!(
        files.findings[0].message.contains("256Mi"),
        "{}",
        files.findings[0].message
    );
    // a day and more later it is history
    let later = LiveFacts {
        now: Timestamp::parse("2024-05-02T10:00:01Z"),
        ..LiveFacts::default()
    };
    let (_, live) = run_with(text, &oom, Some(&later));
    assert!(live.findings.is_empty(), "{live:#?}");
    let soon = LiveFacts {
        now: Timestamp::parse("2024-05-01T13:00:00Z"),
        ..LiveFacts::default()
    };
    let (_, live) = run_with(text, &oom, Some(&soon));
    assert_eq!(live.findings.len(), 1);
    assert!(
        live.findings[0].message.contains("3h ago"),
        "{}",
        live.findings[0].message
    );
}

fn node(name: &str, zone: Option<&str>) -> String {
    let labels = match zone {
        Some(z) => format!("{{kubernetes.io/hostname: {name}, topology.kubernetes.io/zone: {z}}}"),
        None => format!("{{kubernetes.io/hostname: {name}}}"),
    };
    format!(
        "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {labels}}}\nstatus:\n  conditions:\n    - {{type: Ready, status: \"True\", lastHeartbeatTime: \"2024-05-01T12:00:00Z\"}}\n---\n"
    )
}

/// A StatefulSet (it owns its pods directly) with running pods on these nodes.
fn statefulset(name: &str, on: &[&str]) -> String {
    let mut s = format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: {name}, namespace: shop, uid: {name}-uid}}\nspec:\n  replicas: {}\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: app, image: registry.example.com/app:1.0.0}}]\n---\n",
        on.len()
    );
    for (i, n) in on.iter().enumerate() {
        s.push_str(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}-{i}\n  namespace: shop\n  ownerReferences: [{{apiVersion: apps/v1, kind: StatefulSet, name: {name}, uid: {name}-uid, controller: true}}]\nspec:\n  nodeName: {n}\n  containers: [{{name: app, image: registry.example.com/app:1.0.0}}]\nstatus:\n  phase: Running\n---\n"
        ));
    }
    s
}

fn codes_on(index: &Index, outcome: &Outcome) -> Vec<String> {
    outcome
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule.code, index.object(f.object).name))
        .collect()
}

#[test]
fn spreading_is_not_judged_without_nodes_nor_in_a_single_node_or_zone_cluster() {
    let rules = [rule("LIV006"), rule("LIV007")];
    let packed = statefulset("db", &["node-a", "node-a"]);
    let spread = statefulset("web", &["node-a", "node-b"]);

    // no Node in the input: whether the cluster has more is unknown
    let (_, out) = run_with(&format!("{packed}{spread}"), &rules, None);
    assert!(out.findings.is_empty(), "{out:#?}");
    let ne: Vec<&str> = out.not_evaluated.iter().map(|n| n.rule.code).collect();
    assert_eq!(ne, ["LIV006", "LIV007"], "{:#?}", out.not_evaluated);

    // a single-node cluster has nowhere else to put them
    let one = node("node-a", Some("eu-west-1a"));
    let (_, out) = run_with(&format!("{one}{packed}"), &rules, None);
    assert!(
        out.findings.is_empty() && out.not_evaluated.is_empty(),
        "{out:#?}"
    );

    // a single-zone cluster, with or without zone labels
    for zone in [Some("eu-west-1a"), None] {
        let nodes = format!("{}{}", node("node-a", zone), node("node-b", zone));
        let (_, out) = run_with(&format!("{nodes}{spread}"), &rules, None);
        assert!(
            out.findings.is_empty() && out.not_evaluated.is_empty(),
            "{out:#?}"
        );
    }

    // two zones: packed onto one node is LIV006 only, one zone on two nodes LIV007
    let nodes = format!(
        "{}{}{}",
        node("node-a", Some("eu-west-1a")),
        node("node-b", Some("eu-west-1a")),
        node("node-c", Some("eu-west-1b"))
    );
    let (index, out) = run_with(&format!("{nodes}{packed}{spread}"), &rules, None);
    assert_eq!(codes_on(&index, &out), ["LIV006 db", "LIV007 web"]);

    // a pod's node missing from the input, or without a zone label
    let partial = format!(
        "{}{}",
        node("node-a", Some("eu-west-1a")),
        node("node-c", Some("eu-west-1b"))
    );
    let (_, out) = run_with(&format!("{partial}{spread}"), &rules, None);
    assert!(out.findings.is_empty(), "{out:#?}");
    assert!(
        out.not_evaluated[0].reason.contains("`node-b`"),
        "{:#?}",
        out.not_evaluated
    );
}

fn coredns(replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: coredns, namespace: kube-system, labels: {{k8s-app: kube-dns}}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{k8s-app: kube-dns}}}}\n  template:\n    metadata: {{labels: {{k8s-app: kube-dns}}}}\n    spec:\n      containers: [{{name: coredns, image: registry.k8s.io/coredns/coredns:v1.11.1}}]\n---\n"
    )
}

#[test]
fn the_cluster_dns_is_sized_by_node_count() {
    let too_few = [rule("LIV011")];
    let nodes = |n: usize| -> String { (0..n).map(|i| node(&format!("n{i}"), None)).collect() };
    let fires = |replicas: u32, n: usize| {
        let (_, out) = run_with(
            &format!("{}{}", nodes(n), coredns(replicas)),
            &too_few,
            None,
        );
        assert!(out.not_evaluated.is_empty());
        !out.findings.is_empty()
    };
    assert!(!fires(1, 1), "a single node needs one replica");
    assert!(fires(1, 2), "two nodes: two replicas");
    assert!(!fires(2, 32), "32 nodes: two replicas");
    assert!(fires(2, 33), "33 nodes: three replicas");
    assert!(!fires(3, 48));
    let (_, out) = run_with(&format!("{}{}", nodes(40), coredns(2)), &too_few, None);
    assert!(
        out.findings[0].message.contains("at least 3"),
        "{}",
        out.findings[0].message
    );

    // large nodes: one replica per 256 cores
    let big: String = (0..4)
        .map(|i| {
            format!("apiVersion: v1\nkind: Node\nmetadata: {{name: big{i}}}\nstatus: {{capacity: {{cpu: \"192\", memory: 1536Gi}}}}\n---\n")
        })
        .collect();
    let (_, out) = run_with(&format!("{big}{}", coredns(2)), &too_few, None);
    assert!(
        out.findings[0]
            .message
            .contains("at least 3: one per 256 CPU cores (768 in all)"),
        "{}",
        out.findings[0].message
    );

    // without nodes: not evaluated; with a DNS autoscaler: its business
    let (_, out) = run_with(&coredns(1), &too_few, None);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    let autoscaler = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dns-autoscaler, namespace: kube-system}\nspec:\n  template:\n    spec:\n      containers: [{name: autoscaler, image: registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.8.9}]\n---\n";
    let (_, out) = run_with(
        &format!("{}{}{autoscaler}", nodes(3), coredns(1)),
        &too_few,
        None,
    );
    assert!(
        out.findings.is_empty() && out.not_evaluated.is_empty(),
        "{out:#?}"
    );
}

#[test]
fn live_rules_leave_what_their_static_counterparts_report() {
    // the DNS Deployment without a PDB: AVL002 reports two replicas, LIV012 one
    let both = [rule("AVL002"), rule("LIV012")];
    let (index, out) = run_with(&coredns(2), &both, None);
    assert_eq!(codes_on(&index, &out), ["AVL002 coredns"]);
    let (index, out) = run_with(&coredns(1), &both, None);
    assert_eq!(codes_on(&index, &out), ["LIV012 coredns"]);

    // a budget its spec never lets evict: AVL003's, unless AVL003 does not run
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache, namespace: shop}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: cache}}\n  template:\n    metadata: {labels: {app: cache}}\n    spec:\n      containers: [{name: cache, image: registry.example.com/cache:7.2.4}]\n---\n\
apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: cache, namespace: shop, generation: 1}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: cache}}\nstatus: {observedGeneration: 1, expectedPods: 1, currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0}\n";
    let (index, out) = run_with(text, &[rule("AVL003"), rule("LIV010")], None);
    assert_eq!(codes_on(&index, &out), ["AVL003 cache"]);
    let (index, out) = run_with(text, &[rule("LIV010")], None);
    assert_eq!(codes_on(&index, &out), ["LIV010 cache"]);
}

const API_SERVICES: &str = "\
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta3.flowcontrol.apiserver.k8s.io}
spec: {group: flowcontrol.apiserver.k8s.io, version: v1beta3, groupPriorityMinimum: 16100, versionPriority: 9}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.}
spec: {version: v1, groupPriorityMinimum: 18000, versionPriority: 1}
";

#[test]
fn deprecated_requests_are_reported_on_their_api_service() {
    let metrics = "\
apiserver_requested_deprecated_apis{group=\"flowcontrol.apiserver.k8s.io\",removed_release=\"1.32\",resource=\"flowschemas\",subresource=\"\",version=\"v1beta3\"} 1
apiserver_requested_deprecated_apis{group=\"flowcontrol.apiserver.k8s.io\",removed_release=\"1.32\",resource=\"prioritylevelconfigurations\",subresource=\"\",version=\"v1beta3\"} 1
apiserver_requested_deprecated_apis{group=\"batch\",removed_release=\"1.25\",resource=\"cronjobs\",subresource=\"\",version=\"v1beta1\"} 1
";
    let live = LiveFacts {
        now: None,
        deprecated_requests: LiveFacts::parse_deprecated_metric(metrics),
    };
    let requested = [rule("LIV013")];
    let (index, out) = run_with(API_SERVICES, &requested, Some(&live));
    // batch/v1beta1 has no APIService in the input: nothing to attach it to
    assert_eq!(
        codes_on(&index, &out),
        ["LIV013 v1beta3.flowcontrol.apiserver.k8s.io"]
    );
    let m = &out.findings[0].message;
    assert!(
        m.contains("(flowschemas, prioritylevelconfigurations)") && m.contains("removed in 1.32"),
        "{m}"
    );
    assert_eq!(out.findings[0].path.to_string(), "/metadata/name");

    // files know no metric
    let (_, out) = run_with(API_SERVICES, &requested, None);
    assert!(out.findings.is_empty());
    let (_, out) = run_with(API_SERVICES, &requested, Some(&LiveFacts::default()));
    assert!(out.findings.is_empty());
}

#[test]
fn slimmed_copies_of_owned_objects_are_read_only_through_their_owner() {
    // what a live audit keeps of owned ReplicaSets and Pods to bound memory: metadata,
    // the node, container names and resources, status
    let text = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, uid: d-1, generation: 1}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
          resources: {limits: {memory: 256Mi}}
status: {observedGeneration: 1, replicas: 2, readyReplicas: 2, updatedReplicas: 2}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-6f7c9d8b4d
  namespace: shop
  uid: rs-1
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-1, controller: true}]
status: {replicas: 2, readyReplicas: 2}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6f7c9d8b4d-x7k2p
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-6f7c9d8b4d, uid: rs-1, controller: true}]
spec:
  nodeName: node-a
  containers: [{name: api, resources: {limits: {memory: 256Mi}}}]
status:
  phase: Running
  containerStatuses:
    - name: api
      restartCount: 1
      state: {running: {startedAt: "2024-05-01T11:40:02Z"}}
      lastState: {terminated: {exitCode: 137, reason: OOMKilled, finishedAt: "2024-05-01T11:40:00Z"}}
"#;
    let rules: Vec<&'static dyn Rule> = all_rules().to_vec();
    let (index, out) = run_with(text, &rules, None);
    let copies = on_copies(&index, &out.findings);
    assert!(copies.is_empty(), "{copies:#?}");
    let oom = shown_on(
        &index,
        out.findings.iter().filter(|f| f.rule.code == "LIV001"),
    );
    assert_eq!(oom, ["Deployment shop/api"]);
}
