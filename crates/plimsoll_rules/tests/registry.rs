//! The registry's invariants: stable, unique codes and names, and documentation in the
//! fixed sections for every rule.

use std::collections::HashSet;

use plimsoll_rules::registry::{all_rules, find};
use plimsoll_rules::rules::GROUPS;

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why it matters in production",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## References",
];

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for r in all_rules() {
        let m = r.meta();
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        let digits = &m.code[m.group().len()..];
        assert!(
            digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()),
            "{}: codes are a group prefix and three digits",
            m.code
        );
        assert!(
            GROUPS.iter().any(|g| g.prefix == m.group() && g.rules.iter().any(|gr| gr.meta().code == m.code)),
            "{}: listed under the wrong group",
            m.code
        );
        assert!(
            m.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}: names are kebab-case",
            m.code
        );
        assert!(
            !m.summary.ends_with('.'),
            "{}: summaries do not end with a period",
            m.code
        );
        assert_eq!(find(m.code).unwrap().meta().code, m.code);
        assert_eq!(find(m.name).unwrap().meta().code, m.code);
    }
}

#[test]
fn every_rule_is_documented_in_the_fixed_sections() {
    for r in all_rules() {
        let m = r.meta();
        let mut at = 0;
        for s in SECTIONS {
            let Some(pos) = m.doc[at..].find(s) else {
                panic!(
                    "{}: documentation lacks `{s}` (or it is out of order)",
                    m.code
                );
            };
            at += pos + s.len();
        }
        assert!(
            m.doc.contains("https://kubernetes.io/") || m.doc.contains("https://"),
            "{}: References need at least one link",
            m.code
        );
        assert!(m.doc.contains("```yaml"), "{}: the example is YAML", m.code);
    }
}
