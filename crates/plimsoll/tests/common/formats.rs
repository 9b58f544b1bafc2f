//! The formats other tools read, checked by those tools: the structure of SARIF and
//! JUnit XML and GitHub workflow commands, Microsoft's SARIF multitool (npm) and
//! libxml2's `xmllint` against Jenkins' JUnit schema (`junit-10.xsd`, from pytest's
//! source distribution on the Python package index). Shared by `formats.rs` (files)
//! and `audit.rs` (a live cluster).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;

/// Checks the SARIF structure against the JSON report of the same input.
pub fn assert_sarif_matches(log: &Value, report: &Value) {
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "plimsoll");
    assert!(driver["version"].is_string());
    assert!(driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    for r in rules {
        for key in ["id", "name", "helpUri"] {
            assert!(r[key].is_string(), "rule without {key}: {r}");
        }
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"].is_string());
        assert!(r["help"]["markdown"].is_string());
        assert!(
            ["error", "warning", "note"]
                .contains(&r["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    let results = run["results"].as_array().expect("results is an array");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (res, f) in results.iter().zip(findings) {
        let id = res["ruleId"].as_str().unwrap();
        assert_eq!(id, f["code"]);
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], id, "ruleIndex points at the rule");
        let level = match f["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "note",
        };
        assert_eq!(res["level"], level);
        assert_eq!(res["message"]["text"], f["message"]);
        let loc = &res["locations"][0];
        let logical = &loc["logicalLocations"][0];
        assert_eq!(logical["kind"], "resource");
        assert_eq!(
            logical["fullyQualifiedName"].as_str().unwrap(),
            format!(
                "{}/{}/{}",
                f["object"]["kind"].as_str().unwrap(),
                f["object"]["namespace"].as_str().unwrap_or(""),
                f["object"]["name"].as_str().unwrap()
            )
        );
        let fp = res["partialFingerprints"]["plimsoll/v1"].as_str().unwrap();
        assert_eq!(fp.len(), 16);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
        if let Some(line) = f["location"]["line"].as_u64() {
            let pl = &loc["physicalLocation"];
            let uri = pl["artifactLocation"]["uri"].as_str().unwrap();
            assert!(!uri.contains('\\') && !uri.starts_with('/'), "{uri}");
            assert_eq!(uri, f["location"]["file"].as_str().unwrap());
            let region = &pl["region"];
            assert!(line >= 1);
            assert_eq!(region["startLine"].as_u64(), Some(line));
            assert_eq!(region["startColumn"], f["location"]["column"]);
            assert!(region["endLine"].as_u64().unwrap() >= line);
            assert!(region["endColumn"].as_u64().unwrap() >= 1);
        }
    }
    // every rule listed has a result
    for r in rules {
        assert!(results.iter().any(|res| res["ruleId"] == r["id"]));
    }
}

/// Element names and attributes of a well-formed XML document (panics otherwise):
/// (name, attributes) for every start or empty element, in document order.
pub fn parse_xml(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut elements = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed at {}: {e}", reader.error_position()));
        let (start, empty) = match &ev {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(e) => {
                let name = e.name().into_inner().to_string();
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()));
                (None, false)
            }
            Event::Text(t) => {
                let t: &str = t;
                assert!(
                    !stack.is_empty() || t.trim().is_empty(),
                    "text outside the root: {t:?}"
                );
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(e) = start {
            if stack.is_empty() {
                roots += 1;
            }
            let name = e.name().into_inner().to_string();
            let attrs = e
                .attributes()
                .map(|a| {
                    let a = a.expect("well-formed attribute");
                    (
                        a.key.into_inner().to_string(),
                        a.normalized_value(XmlVersion::Explicit1_0)
                            .expect("valid escapes")
                            .into_owned(),
                    )
                })
                .collect();
            elements.push((name.clone(), attrs));
            if !empty {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
    elements
}

pub fn count(attrs: &BTreeMap<String, String>, key: &str) -> usize {
    attrs[key].parse().unwrap()
}

/// The workflow command a finding of this severity is written as.
pub fn github_command(severity: &str) -> &'static str {
    match severity {
        "error" => "error",
        "warning" => "warning",
        _ => "notice",
    }
}

/// Parses `::command props::message`; panics when the syntax is wrong.
pub fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect("starts with ::");
    let (head, message) = rest.split_once("::").expect("`::` before the message");
    let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
    assert!(["error", "warning", "notice"].contains(&cmd), "{line}");
    assert!(!message.contains(['\n', '\r']));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            assert!(
                ["file", "line", "col", "endLine", "endColumn", "title"].contains(&k),
                "{line}"
            );
            assert!(!v.contains([':', ',', '\n', '\r']), "{line}");
            if k != "file" && k != "title" {
                assert!(v.parse::<u32>().unwrap() >= 1, "{line}");
            }
            (k.to_string(), v.to_string())
        })
        .collect();
    (cmd.to_string(), props, message.to_string())
}

/// Microsoft's SARIF multitool, from the npm registry, installed once per target dir.
/// `None` (with a loud notice) when npm is missing outside CI; a failure in CI.
pub fn sarif_multitool() -> Option<PathBuf> {
    const VERSION: &str = "5.7.0";
    let home =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sarif-multitool-{VERSION}"));
    let tool = home.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if !tool.exists() {
        std::fs::create_dir_all(&home).unwrap();
        let installed = Command::new("npm")
            .current_dir(&home)
            .args(["install", "--no-audit", "--no-fund", "--prefix", "."])
            .arg(format!("@microsoft/sarif-multitool-linux@{VERSION}"))
            .output();
        match installed {
            Ok(o) if o.status.success() => {}
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).to_string(),
                    Err(e) => e.to_string(),
                };
                super::missing(
                    &format!(
                        "npm, to install Microsoft's SARIF multitool ({})",
                        why.trim()
                    ),
                    "apt-get install npm",
                );
                return None;
            }
        }
    }
    Some(tool)
}

/// Validates a SARIF file with the multitool and returns its findings about it.
pub fn multitool_validate(tool: &Path, sarif: &Path) -> Vec<Value> {
    let out_path = sarif.with_extension("validation.sarif");
    let _ = std::fs::remove_file(&out_path);
    let out = Command::new(tool)
        .args(["validate"])
        .arg(sarif)
        .arg("--json-schema")
        .arg(tool.with_file_name("sarif-2.1.0.json"))
        .arg("--output")
        .arg(&out_path)
        .output()
        .expect("the multitool runs");
    assert!(
        out.status.success(),
        "multitool failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A missing tool: see [`super::missing`].
pub fn skip_or_fail(what: &str, install: &str) -> Option<PathBuf> {
    super::missing(what, install);
    None
}

/// The JUnit XML schema Jenkins (xunit-plugin) and GitLab read, `junit-10.xsd`, as
/// pytest's source distribution ships it (`testing/example_scripts/junit-10.xsd`, used by
/// pytest's own tests). Fetched with pip from the Python package index, once per target dir.
pub fn junit_schema() -> Option<PathBuf> {
    const PYTEST: &str = "8.3.5";
    let home =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("junit-xsd-pytest-{PYTEST}"));
    let xsd = home.join("junit-10.xsd");
    if xsd.exists() {
        return Some(xsd);
    }
    let sdist_dir = home.join("sdist");
    std::fs::create_dir_all(&sdist_dir).unwrap();
    let downloaded = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            "pytest",
            "-d",
        ])
        .arg(&sdist_dir)
        .arg(format!("pytest=={PYTEST}"))
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        // pip only downloads here (and builds the sdist's metadata in its own
        // environment); a distribution's "externally managed" marker does not apply
        .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
        .output();
    match downloaded {
        Ok(o) if o.status.success() => {}
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).to_string(),
                Err(e) => e.to_string(),
            };
            return skip_or_fail(
                &format!(
                    "python3 with pip, to download pytest's source distribution for junit-10.xsd ({})",
                    why.trim()
                ),
                "apt-get install python3-pip",
            );
        }
    }
    let member = format!("pytest-{PYTEST}/testing/example_scripts/junit-10.xsd");
    let out = Command::new("tar")
        .current_dir(&sdist_dir)
        .args(["-xzf", &format!("pytest-{PYTEST}.tar.gz"), &member])
        .output()
        .expect("tar runs");
    assert!(
        out.status.success(),
        "tar: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(sdist_dir.join(&member)).unwrap();
    assert!(
        text.contains("<xs:element name=\"testsuite\">")
            && text.contains("<xs:simpleType name=\"SUREFIRE_TIME\">"),
        "not the JUnit schema:\n{text}"
    );
    // in place only once complete
    let partial = home.join("junit-10.xsd.partial");
    std::fs::write(&partial, text).unwrap();
    std::fs::rename(&partial, &xsd).unwrap();
    Some(xsd)
}

/// `xmllint` (libxml2) validating `xml` against the schema: `Err` with its complaints.
pub fn xmllint_validate(xsd: &Path, xml: &str) -> Result<(), String> {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("junit.xml");
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(&path)
        .output()
        .expect("xmllint runs");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    match out.status.code() {
        Some(0) => Ok(()),
        // 3: does not validate, 4: schema problem, 1: not well-formed
        _ => Err(said),
    }
}

pub fn have_xmllint() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        || skip_or_fail("xmllint", "apt-get install libxml2-utils").is_some()
}
