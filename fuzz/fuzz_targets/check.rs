//! The whole check of one input: text to objects, the index, and every rule (opt-in
//! ones included) with the default configuration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_model::{Index, KubeVersion};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::registry::all_rules;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = plimsoll_rules::input::decode(0, data) else {
        return;
    };
    // as every front-end reads a file: a lone CR is a line break, written as `\n`
    let text: &str = &plimsoll_rules::input::normalize_line_breaks(text);
    let loaded = plimsoll_rules::input::load_text(0, text, "default");
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
    // bounded output: a finding is about an object of the input
    for f in &outcome.findings {
        assert!(f.object < index.len());
    }
});
