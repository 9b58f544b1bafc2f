//! The admission webhook's index keeps objects trimmed (workloads as their neighbours'
//! rules read them, ConfigMaps as their keys, CustomResourceDefinitions without their
//! schemas, Namespaces as their metadata). Trimming must never change a verdict: on
//! every rule's fixture, each object judged whole among neighbours trimmed as the index
//! keeps them draws exactly the findings it draws among whole neighbours. The trimmed
//! side is judged as the webhook judges (`engine::run_on`: the per-object checks on
//! that object only), the whole side as `check` does (every object).

use plimsoll::serve::cluster::keep_of;
use plimsoll_model::{Index, KubeVersion, Object};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::registry::all_rules;

/// The findings of `rule` on object `id` of `objects`: (code, message, path).
fn on(
    rule: &'static dyn plimsoll_rules::Rule,
    objects: Vec<Object>,
    id: usize,
    config: &Config,
    facts: &plimsoll_rules::input::YamlFacts,
    focused: bool,
) -> Vec<String> {
    let mut index = Index::new(objects);
    index.hold_namespaces_of(|o| o.annotation("plimsoll.test/read-from") == Some("directory"));
    let rules = [rule];
    let run = Run {
        rules: &rules,
        config,
        settings: &config.settings,
        kube_version: KubeVersion::NEWEST,
        pss_version: None,
        facts,
        comments: &[],
        strict: false,
        baseline: None,
        live: None,
        file_paths: &[],
        context_files_from: None,
    };
    let out = if focused {
        engine::run_on(&index, &run, id)
    } else {
        engine::run(&index, &run)
    };
    let mut found: Vec<String> = out
        .findings
        .iter()
        .filter(|f| f.object == id)
        .map(|f| format!("{}: {}", f.rule.code, f.message))
        .collect();
    found.sort();
    found
}

fn trimmed(o: &Object) -> Object {
    let mut t = o.clone();
    let root = std::sync::Arc::unwrap_or_clone(o.root.clone());
    t.root = std::sync::Arc::new(plimsoll_cluster::trim(root, &o.kind, keep_of(&o.kind)));
    t
}

#[test]
fn trimmed_neighbours_give_the_same_verdicts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plimsoll_rules/fixtures");
    let mut differences = Vec::new();
    let mut judged = 0;
    for rule in all_rules() {
        let meta = rule.meta();
        // the rules serve never runs (the LIV and UNU rules, IMG006, CAP004, the
        // files-only rules that read the text); the SPEC rules skip objects the API server
        // sent: it has decoded them already, so the CRD schemas the index drops are never
        // read at admission
        if plimsoll::serve::not_at_admission(meta.code) || meta.code.starts_with("SPEC") {
            continue;
        }
        let dir = root.join(meta.group().to_ascii_lowercase());
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{}.yaml", meta.code))) else {
            continue;
        };
        let config = match std::fs::read_to_string(dir.join(format!("{}.plimsoll.yaml", meta.code)))
        {
            Ok(t) => Config::from_yaml(&t).expect("fixture config parses"),
            Err(_) => Config::default(),
        };
        let loaded = load_text(0, &text, config.namespace.as_deref().unwrap_or("default"));
        let objects = loaded.objects;
        for id in 0..objects.len() {
            let whole = on(*rule, objects.clone(), id, &config, &loaded.facts, false);
            let around: Vec<Object> = objects
                .iter()
                .enumerate()
                .map(|(i, o)| if i == id { o.clone() } else { trimmed(o) })
                .collect();
            let kept = on(*rule, around, id, &config, &loaded.facts, true);
            judged += 1;
            if whole != kept {
                differences.push(format!(
                    "{} on {}: whole {:?}, trimmed {:?}",
                    meta.code,
                    objects[id].display_name(),
                    whole,
                    kept
                ));
            }
        }
    }
    assert!(judged > 500, "only {judged} objects judged");
    assert!(
        differences.is_empty(),
        "trimming the neighbours changed {} verdict(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
}
