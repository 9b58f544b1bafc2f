//! The rules of `reads::SECRET_FREE` do not look at Secrets: on every fixture of the
//! reference rules, and on one that mixes every kind of reference, their findings are
//! the same with the Secrets (and the objects that make Secrets) as without them.

use plimsoll_model::{Index, KubeVersion};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::reads::{SECRET_FREE, reads_secrets};
use plimsoll_rules::registry::all_rules;

const MIXED: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Secret
metadata: {name: settings, namespace: shop}
data: {mode: ZmFzdA==}
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: claim, namespace: shop}
spec: {target: {name: sa}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: sa
      priorityClassName: settings
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          envFrom: [{configMapRef: {name: settings}}, {secretRef: {name: settings}}]
          env:
            - {name: A, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
            - {name: B, valueFrom: {secretKeyRef: {name: settings, key: mode}}}
      volumes:
        - {name: c, persistentVolumeClaim: {claimName: claim}}
        - {name: s, secret: {secretName: claim}}
        - {name: p, projected: {sources: [{configMap: {name: settings}}, {secret: {name: settings}}]}}
"#;

fn makes_secrets(kind: &str) -> bool {
    matches!(
        kind,
        "Secret"
            | "ExternalSecret"
            | "ClusterExternalSecret"
            | "SealedSecret"
            | "VaultStaticSecret"
            | "VaultDynamicSecret"
            | "VaultPKISecret"
    )
}

/// (object name, message) of each finding of `code` on `text`, Secrets kept or not.
fn findings(code: &str, text: &str, secrets: bool, whole: bool) -> Vec<(String, String)> {
    let rule = *all_rules().iter().find(|r| r.meta().code == code).unwrap();
    let loaded = load_text(0, text, "default");
    let objects: Vec<_> = loaded
        .objects
        .into_iter()
        .filter(|o| secrets || !makes_secrets(&o.kind))
        .collect();
    let mut index = Index::new(objects);
    if whole {
        index.hold_namespaces_of(|_| true);
    } else {
        index.hold_namespaces_of(|o| o.annotation("plimsoll.test/read-from") == Some("directory"));
    }
    let config = Config::default();
    let rules = [rule];
    let out = engine::run(
        &index,
        &Run {
            rules: &rules,
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
    let mut found: Vec<_> = out
        .findings
        .iter()
        .map(|f| {
            (
                index.objects()[f.object].name.to_string(),
                f.message.clone(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn secret_free_rules_ignore_secrets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ref");
    let mut texts = vec![MIXED.to_string()];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            texts.push(std::fs::read_to_string(path).unwrap());
        }
    }
    let mut fired = 0;
    for code in SECRET_FREE {
        assert!(!reads_secrets(code));
        for text in &texts {
            for whole in [false, true] {
                let with = findings(code, text, true, whole);
                let without = findings(code, text, false, whole);
                assert_eq!(with, without, "{code} depends on Secrets");
                fired += with.len();
            }
        }
    }
    assert!(fired > 0, "the inputs draw findings of these rules");
    // the Secret rules are not on the list
    for code in ["REF003", "REF004", "REF008"] {
        assert!(reads_secrets(code), "{code}");
    }
}
