//! Real components shared by the integration tests.
#![allow(dead_code)]

pub mod formats;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod kube_env;
pub mod tools;

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
