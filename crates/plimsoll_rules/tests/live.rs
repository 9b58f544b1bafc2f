//! What a live audit hands the engine: workloads together with the ReplicaSets and Pods
//! they control (with status), and facts only the live front-end knows.

use plimsoll_model::{Index, KubeVersion};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Outcome, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::live::LiveFacts;
use plimsoll_rules::registry::{all_rules, find};
use plimsoll_rules::rule::Rule;

fn run_with(text: &str, rules: &[&'static dyn Rule], live: Option<&LiveFacts>) -> (Index, Outcome) {
    let loaded = load_text(0, text, "default");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let index = Index::new(loaded.objects);
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
        },
    );
    (index, outcome)
}

fn rule(code: &str) -> &'static dyn Rule {
    find(code).unwrap_or_else(|| panic!("{code}"))
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
    let (index, outcome) = run_with(DEPLOYMENT_RS_POD, &[rule("RES001")], None);
    let on: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| index.object(f.object).display_name())
        .collect();
    assert_eq!(on, ["Deployment shop/api"], "{outcome:#?}");
}

#[test]
fn no_rule_reports_the_copies_a_controller_made() {
    let rules: Vec<&'static dyn Rule> = all_rules().to_vec();
    let (index, outcome) = run_with(DEPLOYMENT_RS_POD, &rules, None);
    let owned: Vec<String> = outcome
        .findings
        .iter()
        .chain(outcome.exempted.iter().map(|e| &e.finding))
        .filter(|f| index.judged_through_owner(f.object))
        .filter(|f| f.rule.group() != "YML")
        .map(|f| {
            format!(
                "{} on {}",
                f.rule.code,
                index.object(f.object).display_name()
            )
        })
        .collect();
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
    let (index, outcome) = run_with(DEPLOYMENT_RS_POD, &[rule("YML003")], None);
    let on: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| index.object(f.object).display_name())
        .collect();
    assert_eq!(on, ["Pod shop/api-6f7c9d8b4d-x7k2p"], "{outcome:#?}");
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
