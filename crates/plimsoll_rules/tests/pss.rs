//! The Pod Security evaluator against a table of cases (`pss-cases.json`), written so
//! that the same cases can be replayed against upstream pod-security-admission:
//! `{"cases": [{"name", "level", "version", "pod", "allowed", "failing"}]}` with
//! `level` one of privileged/baseline/restricted and `version` `latest` or `v1.<minor>`.

use plimsoll_model::{KubeVersion, PodTemplate};
use plimsoll_rules::input::load_text;
use plimsoll_rules::rules::pss::eval::{self, Level};
use plimsoll_rules::rules::pss::util::parse_version;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pss-cases.json");
    let text = std::fs::read_to_string(path).expect("pss-cases.json");
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    v["cases"].as_array().expect("cases").clone()
}

fn version(s: &str) -> Option<KubeVersion> {
    parse_version(s).unwrap_or_else(|e| panic!("case version: {e}"))
}

#[test]
fn evaluator_matches_the_case_table() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 100, "the table covers every check");
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let level = Level::parse(case["level"].as_str().unwrap()).unwrap();
        let ver = version(case["version"].as_str().unwrap());
        let text = serde_json::to_string(&case["pod"]).unwrap();
        let loaded = load_text(0, &text, "default");
        assert!(loaded.errors.is_empty(), "{name}: {:?}", loaded.errors);
        let obj = &loaded.objects[0];
        let t = PodTemplate::of(obj).expect("a pod");
        let violations = eval::evaluate(&t, level, ver);
        let mut got: Vec<&str> = eval::failing_checks(&violations);
        got.sort_unstable();
        let mut want: Vec<&str> = case["failing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        want.sort_unstable();
        let allowed = case["allowed"].as_bool().unwrap();
        if allowed != want.is_empty() {
            failures.push(format!("{name}: allowed and failing disagree in the table"));
        }
        if got != want {
            failures.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
        for v in &violations {
            if v.message.is_empty()
                || !v.path.to_string().starts_with("/spec")
                    && !v.path.to_string().starts_with("/metadata")
            {
                failures.push(format!("{name}: odd violation {v:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn versions_clamp_and_checks_exist_as_upstream() {
    assert_eq!(eval::policy_minor(None), 37);
    assert_eq!(eval::policy_minor(Some(KubeVersion::new(1, 40))), 37);
    assert_eq!(eval::policy_minor(Some(KubeVersion::new(1, 0))), 0);
    assert!(!eval::check_exists(
        "hostProbesAndHostLifecycle",
        Some(KubeVersion::new(1, 33))
    ));
    assert!(eval::check_exists(
        "hostProbesAndHostLifecycle",
        Some(KubeVersion::new(1, 34))
    ));
    assert!(!eval::check_exists(
        "procMount_restricted",
        Some(KubeVersion::new(1, 34))
    ));
    assert!(eval::check_exists("procMount_restricted", None));
    assert!(!eval::check_exists(
        "allowPrivilegeEscalation",
        Some(KubeVersion::new(1, 7))
    ));
    assert!(eval::checks_for(Level::Privileged, None).is_empty());
    let restricted = eval::checks_for(Level::Restricted, None);
    for gone in [
        "hostPathVolumes",
        "capabilities_baseline",
        "seccompProfile_baseline",
        "procMount",
    ] {
        assert!(
            !restricted.contains(&gone),
            "{gone} is overridden at restricted"
        );
    }
    assert_eq!(restricted.len(), 19 - 4);
    let old = eval::checks_for(Level::Restricted, Some(KubeVersion::new(1, 18)));
    assert!(old.contains(&"seccompProfile_baseline") && old.contains(&"capabilities_baseline"));
    assert!(old.contains(&"procMount") && !old.contains(&"hostPathVolumes"));
    assert_eq!(
        eval::checks_for(Level::Baseline, Some(KubeVersion::new(1, 33))).len(),
        11
    );
    assert_eq!(eval::checks_for(Level::Baseline, None).len(), 12);
}

#[test]
fn version_labels_parse_as_upstream() {
    assert_eq!(parse_version("latest"), Ok(None));
    assert_eq!(parse_version("v1.0"), Ok(Some(KubeVersion::new(1, 0))));
    assert_eq!(parse_version("v1.30"), Ok(Some(KubeVersion::new(1, 30))));
    for bad in ["1.30", "v1.30.2", "v1.05", "v2.0", "v1.", "Latest", ""] {
        assert!(parse_version(bad).is_err(), "{bad}");
    }
}
