//! Every rule has a fixture `fixtures/<group>/<CODE>.yaml` whose objects named `bad-*`
//! must draw at least one finding of that rule and whose objects named `good-*` must
//! draw none (an annotation `plimsoll.test/expect: pass|fire` overrides the name; objects
//! judged through their owner, such as the Pods of a Deployment, count as neither), and a
//! snapshot of the rendered findings. A fixture is read as a file named on its own:
//! a namespace is held whole only through its Namespace object, unless an object of it
//! carries the annotation `plimsoll.test/read-from: directory`, which stands for an
//! object read from a directory (see `Index::holds_namespace`). A fixture may have a
//! configuration beside it (`<CODE>.plimsoll.yaml`), and the API server's metrics text
//! (`<CODE>.metrics`) for rules that read what a live audit scrapes.

use std::path::PathBuf;
use std::sync::Arc;

use plimsoll_model::{Index, KubeVersion};
use plimsoll_report::{Report, RunResult, SourceFile, TextOptions, render_text};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::live::LiveFacts;
use plimsoll_rules::registry::all_rules;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[test]
fn every_rule_fires_on_bad_and_not_on_good() {
    let mut failures = Vec::new();
    let mut snapshots = Vec::new();
    for rule in all_rules() {
        let meta = rule.meta();
        let dir = fixtures().join(meta.group().to_ascii_lowercase());
        let path = dir.join(format!("{}.yaml", meta.code));
        let Ok(text) = std::fs::read_to_string(&path) else {
            failures.push(format!(
                "{}: no fixture at fixtures/{}/{}.yaml",
                meta.code,
                meta.group().to_ascii_lowercase(),
                meta.code
            ));
            continue;
        };
        let config = match std::fs::read_to_string(dir.join(format!("{}.plimsoll.yaml", meta.code)))
        {
            Ok(t) => Config::from_yaml(&t).expect("fixture config parses"),
            Err(_) => Config::default(),
        };
        let kube_version = config
            .kube_version
            .as_deref()
            .map(|v| KubeVersion::parse(v).unwrap())
            .unwrap_or(KubeVersion::NEWEST);
        // facts of a live audit: the API server's metrics text beside the fixture
        let live = std::fs::read_to_string(dir.join(format!("{}.metrics", meta.code)))
            .ok()
            .map(|t| LiveFacts {
                now: None,
                deprecated_requests: LiveFacts::parse_deprecated_metric(&t),
            });
        let loaded = load_text(0, &text, config.namespace.as_deref().unwrap_or("default"));
        if !loaded.errors.is_empty() {
            failures.push(format!(
                "{}: fixture does not parse: {:?}",
                meta.code, loaded.errors
            ));
            continue;
        }
        let mut index = Index::new(loaded.objects);
        index.hold_namespaces_of(|o| o.annotation("plimsoll.test/read-from") == Some("directory"));
        let rules = [*rule];
        let outcome = engine::run(
            &index,
            &Run {
                rules: &rules,
                config: &config,
                settings: &config.settings,
                kube_version,
                pss_version: None,
                facts: &loaded.facts,
                comments: &[],
                strict: false,
                baseline: None,
                live: live.as_ref(),
                file_paths: &[],
                context_files_from: None,
            },
        );
        let (mut bad, mut good) = (0, 0);
        for (id, o) in index.objects().iter().enumerate() {
            let n = outcome.findings.iter().filter(|f| f.object == id).count();
            // `plimsoll.test/expect: pass|fire` overrides the name (the first copy of a
            // duplicate shares its name with the copies that fire)
            let expect = o.annotation("plimsoll.test/expect");
            // objects judged through their controlling owner (the ReplicaSets and Pods
            // of a Deployment) are neither, unless annotated
            if expect.is_none() && index.judged_through_owner(id) {
                continue;
            }
            if expect == Some("fire") || expect.is_none() && o.name.starts_with("bad-") {
                bad += 1;
                if n == 0 {
                    failures.push(format!(
                        "{}: {} must fire but did not",
                        meta.code,
                        o.display_name()
                    ));
                }
            } else if expect == Some("pass") || o.name.starts_with("good-") {
                good += 1;
                if n > 0 {
                    failures.push(format!(
                        "{}: {} must not fire but did: {:?}",
                        meta.code,
                        o.display_name(),
                        outcome
                            .findings
                            .iter()
                            .filter(|f| f.object == id)
                            .map(|f| &f.message)
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
        if bad == 0 || good == 0 {
            failures.push(format!(
                "{}: the fixture needs both bad-* and good-* objects",
                meta.code
            ));
        }
        let report = Report::build(RunResult {
            sources: vec![SourceFile {
                path: format!(
                    "fixtures/{}/{}.yaml",
                    meta.group().to_ascii_lowercase(),
                    meta.code
                ),
                text: Some(Arc::from(text.as_str())),
                rendered: None,
            }],
            index: &index,
            outcome,
            notes: loaded.notes,
            errors: loaded.errors,
            general_errors: Vec::new(),
        });
        // every reason a rule was not evaluated is part of what a rule says
        let opts = TextOptions {
            show_not_evaluated: true,
            ..TextOptions::default()
        };
        snapshots.push((meta.code, render_text(&report, opts)));
    }
    assert!(
        failures.is_empty(),
        "fixture failures:\n{}",
        failures.join("\n")
    );
    for (code, text) in snapshots {
        insta::assert_snapshot!(code, text);
    }
}
