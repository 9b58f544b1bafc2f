//! The YAML front-end on arbitrary bytes: decoding, the stream parser with its limits
//! (aliases, depth, size), and the split into parts parsed in parallel, which must give
//! what parsing in one piece gives whenever the stream is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = plimsoll_rules::input::decode(0, data) else {
        return;
    };
    // as every front-end reads a file: a lone CR is a line break, written as `\n`
    let text: &str = &plimsoll_rules::input::normalize_line_breaks(text);
    let whole = plimsoll_yaml::parse_stream(text, plimsoll_yaml::Limits::default());
    // tiny parts, so that the fuzzer reaches the cuts with small inputs
    let parts = plimsoll_rules::input::parse_text_in_parts(text, 16);
    if whole.errors.is_empty() {
        assert!(parts.errors.is_empty(), "parts: {:?}", parts.errors);
        assert_eq!(whole.documents.len(), parts.documents.len());
        for (a, b) in whole.documents.iter().zip(&parts.documents) {
            assert_eq!(a.index, b.index);
            assert_eq!(a.start_line, b.start_line);
            assert_eq!(a.root, b.root);
        }
    }
});
