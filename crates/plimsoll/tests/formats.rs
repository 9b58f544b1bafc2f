//! The report formats for other tools (`--format sarif|junit|github`), checked on
//! the binary's real output: structure, well-formedness and agreement with the JSON
//! report, and validation by the real tools: Microsoft's SARIF multitool (npm) and
//! libxml2's `xmllint` against Jenkins' JUnit schema (`junit-10.xsd`, from pytest's
//! source distribution on the Python package index).

mod common;

use common::{repo_root, run_in};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use common::formats::{
    assert_sarif_matches, count, github_command, have_xmllint, junit_schema, multitool_validate,
    parse_command, parse_xml, sarif_multitool, xmllint_validate,
};
use serde_json::Value;

fn stdout(out: &Output) -> String {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn check(dir: &Path, path: &str, format: &str) -> String {
    stdout(&run_in(dir, &["check", path, "--format", format]))
}

fn json_report(dir: &Path, path: &str) -> Value {
    serde_json::from_str(&check(dir, path, "json")).unwrap()
}

fn sarif(dir: &Path, path: &str) -> Value {
    let text = check(dir, path, "sarif");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("SARIF is not JSON ({e}):\n{text}"))
}

/// A directory holding a copy of `examples/naive`.
fn naive_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("k8s")).unwrap();
    for e in std::fs::read_dir(repo_root().join("examples/naive")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), d.path().join("k8s").join(e.file_name())).unwrap();
    }
    d
}

#[test]
fn sarif_on_the_naive_example() {
    let root = repo_root();
    let report = json_report(&root, "examples/naive");
    assert!(!report["findings"].as_array().unwrap().is_empty());
    let log = sarif(&root, "examples/naive");
    assert_sarif_matches(&log, &report);
}

fn fingerprints(log: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["plimsoll/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn start_lines(log: &Value) -> Vec<u64> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64())
        .collect()
}

#[test]
fn sarif_fingerprints_are_stable_across_runs_and_line_moves() {
    let d = naive_copy();
    let first = sarif(d.path(), "k8s");
    let second = sarif(d.path(), "k8s");
    assert_eq!(first, second, "two runs give the same SARIF");
    // insert lines above everything in every file
    for e in std::fs::read_dir(d.path().join("k8s")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("# inserted\n# above\n# everything\n{text}")).unwrap();
    }
    let moved = sarif(d.path(), "k8s");
    assert_eq!(fingerprints(&first), fingerprints(&moved));
    let (before, after) = (start_lines(&first), start_lines(&moved));
    assert!(!before.is_empty());
    let mut shifted: Vec<u64> = before.iter().map(|l| l + 3).collect();
    let mut after_sorted = after.clone();
    shifted.sort();
    after_sorted.sort();
    assert_eq!(
        shifted, after_sorted,
        "the lines moved, the fingerprints did not"
    );
}

/// A directory whose only input has no findings: a ConfigMap, and a file with nothing
/// to deploy yet.
fn clean_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("empty.yaml"), "# nothing to deploy yet\n").unwrap();
    std::fs::write(
        d.path().join("settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: fast\n",
    )
    .unwrap();
    d
}

#[test]
fn sarif_without_findings_is_still_a_log() {
    let d = clean_dir();
    let out = run_in(d.path(), &["check", ".", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"], Value::Array(vec![]));
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"],
        Value::Array(vec![])
    );
    assert_sarif_matches(&log, &json_report(d.path(), "."));
}

#[test]
fn junit_on_the_naive_example() {
    let root = repo_root();
    let report = json_report(&root, "examples/naive");
    let findings = report["findings"].as_array().unwrap();
    let text = check(&root, "examples/naive", "junit");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let elements = parse_xml(&text);
    assert_eq!(elements[0].0, "testsuites");
    // only findings at or above --fail-on (error by default) are failures, and a
    // testcase (an object) fails once however many of its findings fail
    let failing: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(!failing.is_empty() && failing.len() < findings.len());
    let mut failing_objects: Vec<String> =
        failing.iter().map(|f| f["object"].to_string()).collect();
    failing_objects.sort();
    failing_objects.dedup();
    assert_eq!(count(&elements[0].1, "failures"), failing_objects.len());
    let failures: Vec<_> = elements.iter().filter(|(n, _)| n == "failure").collect();
    assert_eq!(failures.len(), failing.len());
    for ((_, attrs), f) in failures.iter().zip(&failing) {
        assert_eq!(attrs["type"], f["code"].as_str().unwrap());
        assert_eq!(attrs["message"], f["message"].as_str().unwrap());
    }
    let outs = elements.iter().filter(|(n, _)| n == "system-out").count();
    assert!(outs > 0, "findings below --fail-on are in system-out");
    let suites: Vec<_> = elements.iter().filter(|(n, _)| n == "testsuite").collect();
    assert_eq!(
        suites.len(),
        report["summary"]["files"].as_u64().unwrap() as usize
    );
    let per_suite: usize = suites.iter().map(|(_, a)| count(a, "failures")).sum();
    assert_eq!(per_suite, failing_objects.len());
    for (_, a) in &suites {
        assert!(count(a, "failures") <= count(a, "tests"), "{a:?}");
    }
    // --fail-on never: no failure at all, as the exit code says
    let out = run_in(
        &root,
        &[
            "check",
            "examples/naive",
            "--format",
            "junit",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let never = parse_xml(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(count(&never[0].1, "failures"), 0);
    assert_eq!(never.iter().filter(|(n, _)| n == "failure").count(), 0);
    // --fail-on info: every finding is a failure
    let out = run_in(
        &root,
        &[
            "check",
            "examples/naive",
            "--format",
            "junit",
            "--fail-on",
            "info",
        ],
    );
    let info = parse_xml(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        info.iter().filter(|(n, _)| n == "failure").count(),
        findings.len()
    );
    let tests: usize = suites.iter().map(|(_, a)| count(a, "tests")).sum();
    assert_eq!(count(&elements[0].1, "tests"), tests);
    let cases = elements.iter().filter(|(n, _)| n == "testcase").count();
    assert_eq!(cases, tests);
    assert!(
        elements
            .iter()
            .any(|(n, a)| n == "testcase" && a["name"] == "Deployment shop/api")
    );
}

#[test]
fn junit_without_findings_and_with_markup_in_names() {
    let d = clean_dir();
    let elements = parse_xml(&check(d.path(), ".", "junit"));
    assert_eq!(count(&elements[0].1, "failures"), 0);
    let cases: Vec<_> = elements.iter().filter(|(n, _)| n == "testcase").collect();
    assert_eq!(cases.len(), 2, "a testcase per file");
    assert!(cases.iter().all(|(_, a)| a["name"] == "all objects"));
    assert!(!elements.iter().any(|(n, _)| n == "failure"));

    let d = tempfile::tempdir().unwrap();
    let name = "a&b<\"c'>,d.yaml";
    std::fs::write(
        d.path().join(name),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers:\n  - name: c\n    image: \"nginx:latest\"\n",
    )
    .unwrap();
    let report = json_report(d.path(), ".");
    let n = report["findings"].as_array().unwrap().len();
    assert!(n > 0);
    let errors = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .count();
    let elements = parse_xml(&check(d.path(), ".", "junit"));
    assert_eq!(
        elements.iter().filter(|(e, _)| e == "failure").count(),
        errors
    );
    let suite = elements.iter().find(|(e, _)| e == "testsuite").unwrap();
    assert_eq!(suite.1["name"], name);
}

#[test]
fn github_on_the_naive_example() {
    let root = repo_root();
    let report = json_report(&root, "examples/naive");
    let findings = report["findings"].as_array().unwrap();
    let text = check(&root, "examples/naive", "github");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), findings.len());
    for (line, f) in lines.iter().zip(findings) {
        let (cmd, props, message) = parse_command(line);
        let want = github_command(f["severity"].as_str().unwrap());
        assert_eq!(cmd, want);
        let props: BTreeMap<_, _> = props.into_iter().collect();
        assert_eq!(
            props["title"],
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["rule"].as_str().unwrap()
            )
        );
        let loc = &f["location"];
        assert_eq!(props["file"], loc["file"].as_str().unwrap());
        assert_eq!(props["line"], loc["line"].to_string());
        assert_eq!(props["col"], loc["column"].to_string());
        assert_eq!(props["endLine"], loc["endLine"].to_string());
        assert_eq!(props["endColumn"], loc["endColumn"].to_string());
        let unescaped = message
            .replace("%0A", "\n")
            .replace("%0D", "\r")
            .replace("%25", "%");
        assert_eq!(unescaped, f["message"].as_str().unwrap());
    }
}

#[test]
fn github_escapes_properties_and_is_silent_without_findings() {
    let d = clean_dir();
    assert_eq!(check(d.path(), ".", "github"), "");

    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("a,b:c.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers:\n  - name: c\n    image: \"nginx:latest\"\n",
    )
    .unwrap();
    let text = check(d.path(), ".", "github");
    assert!(!text.is_empty());
    for line in text.lines() {
        let (_, props, _) = parse_command(line);
        assert_eq!(props[0], ("file".to_string(), "a%2Cb%3Ac.yaml".to_string()));
    }
}

#[test]
fn several_formats_in_one_run() {
    let d = naive_copy();
    let out = run_in(
        d.path(),
        &[
            "check",
            "k8s",
            "--format",
            "github",
            "--format",
            "sarif=out.sarif",
            "--format",
            "junit=junit.xml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("out.sarif")).unwrap())
            .unwrap();
    let n = log["runs"][0]["results"].as_array().unwrap().len();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), n);
    let xml = std::fs::read_to_string(d.path().join("junit.xml")).unwrap();
    let elements = parse_xml(&xml);
    let errors = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "error")
        .count();
    assert_eq!(
        elements.iter().filter(|(e, _)| e == "failure").count(),
        errors
    );
    assert!(count(&elements[0].1, "failures") <= count(&elements[0].1, "tests"));
}

#[test]
#[should_panic(expected = "not well-formed")]
fn the_xml_check_rejects_mismatched_tags() {
    parse_xml("<a><b></a></b>");
}

#[test]
#[should_panic(expected = "valid escapes")]
fn the_xml_check_rejects_bad_escapes() {
    parse_xml("<a b=\"x & y\"/>");
}

#[test]
fn input_errors_are_junit_errors_and_github_errors() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("bad.yaml"), "a: [\n").unwrap();
    let out = run_in(d.path(), &["check", ".", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(2));
    let elements = parse_xml(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(count(&elements[0].1, "errors"), 1);
    assert_eq!(count(&elements[0].1, "failures"), 0);
    let suite = elements.iter().find(|(n, _)| n == "testsuite").unwrap();
    assert_eq!(suite.1["name"], "bad.yaml");
    assert_eq!(count(&suite.1, "errors"), 1);
    assert!(
        !elements
            .iter()
            .any(|(n, a)| n == "testcase" && a["name"] == "all objects"),
        "a file that could not be parsed does not pass"
    );
    assert_eq!(elements.iter().filter(|(n, _)| n == "error").count(), 1);

    let out = run_in(d.path(), &["check", ".", "--format", "github"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    let (cmd, props, _) = parse_command(text.trim_end());
    assert_eq!(cmd, "error");
    assert_eq!(props[0], ("file".to_string(), "bad.yaml".to_string()));
}

#[test]
fn sarif_passes_microsofts_multitool_validation() {
    let Some(tool) = sarif_multitool() else {
        return;
    };
    // the validator is live: a broken log draws errors
    let broken = tempfile::tempdir().unwrap();
    let broken_path = broken.path().join("broken.sarif");
    std::fs::write(&broken_path, r#"{"runs": "nope"}"#).unwrap();
    assert!(
        multitool_validate(&tool, &broken_path)
            .iter()
            .any(|r| r["level"] == "error"),
        "the multitool should reject a log without version and runs"
    );
    let naive = naive_copy();
    let clean = clean_dir();
    for (dir, path) in [(naive.path(), "."), (clean.path(), ".")] {
        let sarif_path = dir.join("report.sarif");
        std::fs::write(&sarif_path, check(dir, path, "sarif")).unwrap();
        let problems: Vec<Value> = multitool_validate(&tool, &sarif_path)
            .into_iter()
            .filter(|r| r["level"] != "note")
            .collect();
        assert!(
            problems.is_empty(),
            "the SARIF multitool reports errors or warnings: {problems:#?}"
        );
    }
}

#[test]
fn junit_validates_against_the_jenkins_junit_schema() {
    if !have_xmllint() {
        return;
    }
    let Some(xsd) = junit_schema() else {
        return;
    };
    // the validator is live: the schema's constraints reject these
    let valid = "<testsuites name=\"p\" tests=\"1\" failures=\"1\" errors=\"0\"><testsuite name=\"s\" tests=\"1\" failures=\"1\" errors=\"0\" time=\"1.5\"><testcase classname=\"c\" name=\"n\"><failure message=\"m\" type=\"T\">x</failure></testcase></testsuite></testsuites>";
    xmllint_validate(&xsd, valid).expect("the control document validates");
    for (broken, why) in [
        (
            valid.replace(" name=\"n\"", ""),
            "The attribute 'name' is required",
        ),
        (
            valid.replace(" tests=\"1\" failures=\"1\" errors=\"0\" time", " time"),
            "The attribute 'tests' is required",
        ),
        (
            valid.replace("time=\"1.5\"", "time=\"1.5s\""),
            "attribute 'time': [facet 'pattern']",
        ),
        (
            valid.replace("<failure message=\"m\" type=\"T\">x</failure>", "<failed/>"),
            "Element 'failed': This element is not expected",
        ),
        (
            valid.replace(
                "<testsuite name=\"s\"",
                "<testcase name=\"t\"/><testsuite name=\"s\"",
            ),
            "Element 'testcase': This element is not expected. Expected is ( testsuite )",
        ),
    ] {
        let said = xmllint_validate(&xsd, &broken)
            .expect_err(&format!("the schema should reject:\n{broken}"));
        assert!(said.contains(why), "{why:?} not in: {said}");
    }

    let root = repo_root();
    let mut checked = Vec::new();
    checked.push(("examples/naive", check(&root, "examples/naive", "junit")));
    checked.push((
        "examples/production",
        check(&root, "examples/production", "junit"),
    ));
    // input errors: an unreadable YAML file beside a good one
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("bad.yaml"), "a: [\n").unwrap();
    std::fs::write(
        d.path().join("a&b<\"c'>.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: \"p<&>\", namespace: x}\nspec:\n  containers:\n  - name: c\n    image: \"nginx:latest\"\n",
    )
    .unwrap();
    let out = run_in(d.path(), &["check", ".", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(2));
    let with_errors = String::from_utf8(out.stdout).unwrap();
    assert!(with_errors.contains("<error "));
    checked.push(("input errors", with_errors));
    checked.push(("no findings", check(clean_dir().path(), ".", "junit")));
    for (what, xml) in &checked {
        if let Err(said) = xmllint_validate(&xsd, xml) {
            panic!(
                "the JUnit XML of {what} does not validate against junit-10.xsd:\n{said}\n{xml}"
            );
        }
    }
}
