//! Every input the fuzz targets (`fuzz/`) ever found a fault with, run through the same
//! checks as the targets, so that a fixed fault stays fixed under `cargo test`. A new
//! crash goes into `fuzz/regressions/<target>/` under a name that says what it found.

use std::path::PathBuf;

use plimsoll_model::{Index, KubeVersion};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::{decode, load_text, parse_text_in_parts};
use plimsoll_rules::registry::all_rules;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// What `fuzz/fuzz_targets/yaml.rs` asserts: parsing in small parts gives what parsing
/// in one piece gives whenever the stream is valid.
fn yaml_target(data: &[u8]) {
    let Ok(text) = decode(0, data) else {
        return;
    };
    // as every front-end reads a file: a lone CR is a line break, written as `\n`
    let text: &str = &plimsoll_rules::input::normalize_line_breaks(text);
    let whole = plimsoll_yaml::parse_stream(text, plimsoll_yaml::Limits::default());
    let parts = parse_text_in_parts(text, 16);
    if whole.errors.is_empty() {
        assert!(parts.errors.is_empty(), "parts: {:?}", parts.errors);
        assert_eq!(whole.documents.len(), parts.documents.len());
        for (a, b) in whole.documents.iter().zip(&parts.documents) {
            assert_eq!(a.index, b.index);
            assert_eq!(a.start_line, b.start_line);
            assert_eq!(a.root, b.root);
        }
    }
}

/// What `fuzz/fuzz_targets/check.rs` asserts: the whole check of one input ends, and
/// every finding is about an object of the input.
fn check_target(data: &[u8]) {
    let Ok(text) = decode(0, data) else {
        return;
    };
    // as every front-end reads a file: a lone CR is a line break, written as `\n`
    let text: &str = &plimsoll_rules::input::normalize_line_breaks(text);
    let loaded = load_text(0, text, "default");
    let config = Config::default();
    let index = Index::new(loaded.objects);
    let outcome = engine::run(
        &index,
        &Run {
            rules: all_rules(),
            config: &config,
            settings: &config.settings,
            kube_version: KubeVersion::NEWEST,
            pss_version: None,
            facts: &loaded.facts,
            comments: &[],
            strict: false,
            baseline: None,
            live: None,
            file_paths: &[],
            context_files_from: None,
        },
    );
    for f in &outcome.findings {
        assert!(f.object < index.len());
    }
}

#[test]
fn yaml_regressions() {
    let all = inputs("yaml");
    assert!(!all.is_empty());
    for (name, data) in all {
        let r = std::panic::catch_unwind(|| yaml_target(&data));
        assert!(r.is_ok(), "fuzz/regressions/yaml/{name}");
    }
}

#[test]
fn check_regressions() {
    for (name, data) in inputs("check") {
        let r = std::panic::catch_unwind(|| check_target(&data));
        assert!(r.is_ok(), "fuzz/regressions/check/{name}");
    }
}
