//! `check --fix --unsafe-fixes` on the naive example, as a user runs it on a copy: every
//! comment line is kept, the security-context, image and removed-API findings that have
//! a mechanical fix are gone, a second run changes nothing, and the diff is a snapshot.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{repo_root, run_in};
use serde_json::Value;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn comment_lines(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for l in text.lines() {
            if let Some(at) = l.find('#') {
                out.insert(l[at..].to_string());
            }
        }
    }
    out
}

fn findings(dir: &Path) -> Vec<(String, String, String)> {
    let out = run_in(
        dir,
        &["check", ".", "--format", "json", "--fail-on", "never"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut all: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                format!("{}/{}", f["object"]["kind"], f["object"]["name"]),
                f["fix"]["applicability"]
                    .as_str()
                    .unwrap_or("none")
                    .to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn the_naive_example_fixed() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("naive");
    copy_dir(&repo_root().join("examples/naive"), &dir);
    let comments = comment_lines(&dir);
    let before = findings(&dir);

    let diff = run_in(&dir, &["check", ".", "--diff", "--unsafe-fixes"]);
    assert_eq!(diff.status.code(), Some(1), "there is something to fix");
    let diff = String::from_utf8(diff.stdout).unwrap();

    let out = run_in(&dir, &["check", ".", "--fix-only", "--unsafe-fixes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        comment_lines(&dir).is_superset(&comments),
        "a comment was lost"
    );
    let after = findings(&dir);

    // nothing fixable (safe or unsafe) remains, and fewer findings than before
    let fixable: Vec<_> = after
        .iter()
        .filter(|(_, _, a)| a == "safe" || a == "unsafe")
        .collect();
    assert!(fixable.is_empty(), "{fixable:#?}");
    assert!(after.len() < before.len());
    // the families the fixes are for lose findings
    for group in ["PSS", "SEC", "IMG", "API"] {
        let n = |fs: &[(String, String, String)]| {
            fs.iter().filter(|(c, _, _)| c.starts_with(group)).count()
        };
        if before
            .iter()
            .any(|(c, _, a)| c.starts_with(group) && a != "none" && a != "display-only")
        {
            assert!(
                n(&after) < n(&before),
                "{group}: {} before, {} after",
                n(&before),
                n(&after)
            );
        }
    }
    // a second run has nothing to change
    let again = run_in(&dir, &["check", ".", "--diff", "--unsafe-fixes"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());

    insta::assert_snapshot!("naive-unsafe-fixes.diff", diff);
}
