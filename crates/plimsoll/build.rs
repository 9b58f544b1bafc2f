//! Records the git commit the binary is built from, for `plimsoll --version`.
//!
//! `PLIMSOLL_GIT_COMMIT` in the environment wins (a build from a source archive has
//! no repository); otherwise `git rev-parse` in the crate's directory; otherwise
//! "unknown". The build script reruns when HEAD or the branch it points at moves.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A file that does not exist would make cargo rerun the script on every build.
fn watch(file: &str) {
    if std::path::Path::new(file).exists() {
        println!("cargo:rerun-if-changed={file}");
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=PLIMSOLL_GIT_COMMIT");
    let commit = match std::env::var("PLIMSOLL_GIT_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => {
            for path in ["HEAD", "packed-refs"] {
                if let Some(file) =
                    git(&["rev-parse", "--path-format=absolute", "--git-path", path])
                {
                    watch(&file);
                }
            }
            if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
                && let Some(file) =
                    git(&["rev-parse", "--path-format=absolute", "--git-path", &branch])
            {
                watch(&file);
            }
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned())
        }
    };
    println!("cargo:rustc-env=PLIMSOLL_GIT_COMMIT={commit}");
}
