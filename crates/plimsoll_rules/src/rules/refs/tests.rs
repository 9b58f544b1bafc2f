//! Cases the fixtures cannot show (one fixture file is one input).

use plimsoll_model::{Index, KubeVersion};

use super::{PriorityClassNotFound, PvcNotFound, SecretNotFound};
use crate::input::{YamlFacts, load_text};
use crate::rule::{Context, Rule, Sink};
use crate::settings::Settings;

fn run(rule: &dyn Rule, text: &str) -> Sink {
    let loaded = load_text(0, text, "default");
    assert!(loaded.errors.is_empty());
    let index = Index::new(loaded.objects);
    let settings = Settings::default();
    let yaml = YamlFacts::default();
    let cx = Context {
        index: &index,
        settings: &settings,
        kube_version: KubeVersion::NEWEST,
        pss_version: None,
        yaml: &yaml,
        selected: &[],
        cache: Default::default(),
        live: None,
    };
    let mut out = Sink::new(rule.meta());
    for (id, o) in index.objects().iter().enumerate() {
        rule.check(&cx, id, o, &mut out);
    }
    out
}

const POD: &str = "
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop}
spec:
  priorityClassName: high
  containers:
    - name: app
      image: registry.example.com/app:1.0.0
      envFrom: [{secretRef: {name: db}}]
";

#[test]
fn priority_class_not_evaluated_without_any() {
    let out = run(&PriorityClassNotFound, POD);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
}

#[test]
fn secret_judged_with_a_producer_in_the_namespace() {
    let out = run(&SecretNotFound, POD);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    let with_producer = format!(
        "{POD}---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: app, namespace: shop}}
spec: {{secretName: app-tls}}
"
    );
    let out = run(&SecretNotFound, &with_producer);
    assert_eq!(out.findings.len(), 1);
    assert!(out.not_evaluated.is_empty());
}

/// A claim of a StatefulSet is found by cutting its name at two dashes, whatever
/// dashes the template and the StatefulSet names hold (the rule looks the StatefulSet
/// up instead of scanning every StatefulSet of the namespace for every claim).
#[test]
fn statefulset_claims_with_dashes_in_their_names() {
    let sts = "
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: my-db, namespace: shop}
spec:
  replicas: 3
  ordinals: {start: 1}
  template: {spec: {containers: [{name: db, image: x:1}]}}
  volumeClaimTemplates: [{metadata: {name: data-vol}}]
";
    let reader = |claim: &str| {
        format!(
            "{sts}---
apiVersion: v1
kind: Pod
metadata: {{name: reader, namespace: shop}}
spec:
  containers: [{{name: c, image: x:1}}]
  volumes: [{{name: v, persistentVolumeClaim: {{claimName: {claim}}}}}]
"
        )
    };
    for (claim, found) in [
        ("data-vol-my-db-1", true),
        ("data-vol-my-db-3", true),
        ("data-vol-my-db-0", false),
        ("data-vol-my-db-4", false),
        ("data-vol-my-db-+1", false),
        ("data-my-db-1", false),
        ("data-vol-db-1", false),
    ] {
        let out = run(&PvcNotFound, &reader(claim));
        assert_eq!(out.findings.is_empty(), found, "{claim}");
    }
}
