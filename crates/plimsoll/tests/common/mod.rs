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
