//! Real components shared by the integration tests.
#![allow(dead_code)]

pub mod formats;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod kube_env;
pub mod prometheus;
pub mod serve;
pub mod tools;

/// A tool a test needs is missing. In CI (`CI` set) that is a failure; elsewhere too,
/// with the command that installs it, unless `PLIMSOLL_SKIP_MISSING_TOOLS=1` asks to
/// skip: then the test says so on the terminal (past the test harness's capture, so it
/// is seen even when the test passes) and the caller skips its check. A test never
/// prints `ok` as if a check ran that did not.
pub fn missing(what: &str, install: &str) {
    use std::io::Write;
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    let skip = std::env::var_os("PLIMSOLL_SKIP_MISSING_TOOLS").is_some_and(|v| v == "1");
    assert!(
        !ci && skip,
        "{what} is missing; install it with: {install}{}",
        if ci {
            " (CI is set, so a missing tool is a failure)"
        } else {
            "\n(or set PLIMSOLL_SKIP_MISSING_TOOLS=1 to skip the checks that need it, loudly)"
        }
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED ({}): {what} is missing, so a check did NOT run; install it with: {install} ***",
        std::thread::current().name().unwrap_or("a test")
    );
}

/// A program on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// A command's standard output as JSON, validated against `schemas/SCHEMA`.
pub fn valid_json(out: &Output, schema: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let text = std::fs::read_to_string(repo_root().join("schemas").join(schema)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "report violates the schema: {errors:?}");
    v
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the plimsoll binary in `dir` (without `NO_COLOR` from the environment).
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("runs")
}

/// Runs the plimsoll binary in the working directory.
pub fn run(args: &[&str]) -> Output {
    run_in(Path::new("."), args)
}

/// The JSON answer of a subcommand that answers a question (`rbac who-can`, `netpol
/// reach`): it must exit 0 whenever it answered.
pub fn answer_json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}
