//! Differential test against upstream Pod Security Admission.
//!
//! `tools/psa-oracle` is a small Go program that evaluates pods and workload
//! templates with the upstream library `k8s.io/pod-security-admission` (the code
//! kube-apiserver runs) and reports the verdict and the failing check IDs. This
//! test builds it once and replays every case file that exists through it:
//!
//! * `crates/plimsoll_rules/tests/pss-cases.json` (written with plimsoll's PSS rules)
//! * `tools/psa-oracle/testdata/seed-cases.json` (hand-written seed cases)
//!
//! Each file is `{"cases": [{"name", "level", "version", "pod", "allowed", "failing"}]}`.
//! Upstream's `allowed` and `failing` must equal the case's expectations.
//!
//! Go is needed. Without it the test fails when `CI` is set and prints a loud
//! skip notice otherwise.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn oracle_dir() -> PathBuf {
    repo_root().join("tools/psa-oracle")
}

/// GOFLAGS without any `-mod=` flag, plus `-mod=readonly`: the build must use the
/// committed go.mod/go.sum as they are.
fn goflags() -> String {
    let mut flags: Vec<String> = std::env::var("GOFLAGS")
        .unwrap_or_default()
        .split_whitespace()
        .filter(|f| !f.starts_with("-mod="))
        .map(str::to_owned)
        .collect();
    flags.push("-mod=readonly".to_owned());
    flags.join(" ")
}

fn go_command() -> Command {
    let mut cmd = Command::new("go");
    cmd.env("GOTOOLCHAIN", "local").env("GOFLAGS", goflags());
    cmd
}

enum Oracle {
    Ready(PathBuf),
    NoGo(String),
}

/// Builds the oracle once per test binary.
fn oracle() -> &'static Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| {
        match go_command().arg("version").output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                return Oracle::NoGo(format!(
                    "`go version` failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Err(e) => return Oracle::NoGo(format!("cannot run `go`: {e}")),
        }
        let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("psa-oracle");
        let out = go_command()
            .current_dir(oracle_dir())
            .arg("build")
            .arg("-o")
            .arg(&bin)
            .arg(".")
            .output()
            .expect("run go build");
        assert!(
            out.status.success(),
            "building tools/psa-oracle failed (GOTOOLCHAIN=local GOFLAGS={:?}):\n{}",
            goflags(),
            String::from_utf8_lossy(&out.stderr)
        );
        Oracle::Ready(bin)
    })
}

/// The oracle binary, or `None` (after a loud notice) when Go is missing and
/// `CI` is not set.
fn oracle_binary() -> Option<&'static Path> {
    match oracle() {
        Oracle::Ready(bin) => Some(bin),
        Oracle::NoGo(why) => {
            let msg = format!(
                "the PSA oracle needs Go (https://go.dev/dl/) to build tools/psa-oracle: {why}"
            );
            if std::env::var_os("CI").is_some() {
                panic!("{msg} (CI is set, so this is a failure)");
            }
            if std::env::var_os("PLIMSOLL_SKIP_MISSING_TOOLS").is_none_or(|v| v != "1") {
                panic!(
                    "{msg}; install it with: apt-get install golang-go\n(or set PLIMSOLL_SKIP_MISSING_TOOLS=1 to skip the checks that need it, loudly)"
                );
            }
            // past the test harness's capture, so that it is seen when the test passes
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED psa_oracle: {msg}; upstream Pod Security Admission parity is NOT being checked ***"
            );
            None
        }
    }
}

fn run_oracle(bin: &Path, input: Vec<u8>) -> Value {
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start psa-oracle");
    let mut stdin = child.stdin.take().expect("oracle stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("wait for psa-oracle");
    writer
        .join()
        .expect("stdin writer thread")
        .expect("write oracle stdin");
    assert!(
        out.status.success(),
        "psa-oracle failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("psa-oracle prints JSON")
}

fn id_set(v: Option<&Value>) -> Option<BTreeSet<String>> {
    v?.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn show(ids: &BTreeSet<String>) -> String {
    format!("[{}]", ids.iter().cloned().collect::<Vec<_>>().join(", "))
}

/// Replays one case file through the oracle; returns one message per mismatch.
fn check_file(bin: &Path, path: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let doc: Value = serde_json::from_slice(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let cases = doc["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no \"cases\" array", path.display()));
    // The oracle ignores the expectation fields, so the file is its input as is.
    let output = run_oracle(bin, text);
    let results = output["results"].as_array().expect("oracle results");
    assert_eq!(
        results.len(),
        cases.len(),
        "{}: oracle returned {} results for {} cases",
        path.display(),
        results.len(),
        cases.len()
    );

    let mut mismatches = Vec::new();
    for (case, result) in cases.iter().zip(results) {
        let name = case["name"].as_str().unwrap_or("<unnamed>");
        let header = format!(
            "{name}  [level={} version={}]",
            case["level"].as_str().unwrap_or("?"),
            case["version"].as_str().unwrap_or("?")
        );
        assert_eq!(result["name"].as_str(), Some(name), "results out of order");
        if let Some(err) = result["error"].as_str() {
            mismatches.push(format!("{header}\n    oracle error: {err}"));
            continue;
        }
        let (Some(exp_allowed), Some(exp_failing)) =
            (case["allowed"].as_bool(), id_set(case.get("failing")))
        else {
            mismatches.push(format!(
                "{header}\n    case lacks \"allowed\" (bool) and/or \"failing\" (array of check IDs)"
            ));
            continue;
        };
        let got_allowed = result["allowed"].as_bool().expect("oracle allowed");
        let got_failing = id_set(result.get("failing")).expect("oracle failing");
        if exp_allowed == got_allowed && exp_failing == got_failing {
            continue;
        }
        let mut msg = format!(
            "{header}\n    expected: allowed={exp_allowed} failing={}\n    upstream: allowed={got_allowed} failing={}",
            show(&exp_failing),
            show(&got_failing)
        );
        let missing: BTreeSet<_> = got_failing.difference(&exp_failing).cloned().collect();
        let extra: BTreeSet<_> = exp_failing.difference(&got_failing).cloned().collect();
        if !missing.is_empty() {
            msg.push_str(&format!("\n    upstream also fails: {}", show(&missing)));
        }
        if !extra.is_empty() {
            msg.push_str(&format!("\n    upstream does not fail: {}", show(&extra)));
        }
        if let Some(v) = result["evaluatedVersion"].as_str() {
            msg.push_str(&format!("\n    evaluated as policy version {v}"));
        }
        for reason in result["reasons"].as_array().into_iter().flatten() {
            msg.push_str(&format!(
                "\n    upstream reason: {}",
                reason.as_str().unwrap_or("?")
            ));
        }
        mismatches.push(msg);
    }
    (cases.len(), mismatches)
}

fn replay(relative: &str) {
    let path = repo_root().join(relative);
    if !path.exists() {
        eprintln!("psa_oracle: {relative} does not exist; nothing to replay");
        return;
    }
    let Some(bin) = oracle_binary() else { return };
    let (total, mismatches) = check_file(bin, &path);
    assert!(total > 0, "{relative}: no cases");
    assert!(
        mismatches.is_empty(),
        "{relative}: {} of {total} cases disagree with upstream Pod Security Admission:\n\n{}\n",
        mismatches.len(),
        mismatches.join("\n\n")
    );
    eprintln!("psa_oracle: {relative}: all {total} cases agree with upstream");
}

#[test]
fn seed_cases_agree_with_upstream_psa() {
    replay("tools/psa-oracle/testdata/seed-cases.json");
}

#[test]
fn plimsoll_pss_cases_agree_with_upstream_psa() {
    replay("crates/plimsoll_rules/tests/pss-cases.json");
}
