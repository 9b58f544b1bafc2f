//! Every rule, by code. Codes are never reused; a renamed rule keeps its code and its
//! old name keeps working through [`REDIRECTS`].

use std::sync::LazyLock;

use crate::rule::Rule;
use crate::rules;

/// Old rule names and codes that now mean another rule: (old, new code).
pub const REDIRECTS: &[(&str, &str)] = &[];

static ALL: LazyLock<Vec<&'static dyn Rule>> = LazyLock::new(|| {
    let mut v: Vec<&'static dyn Rule> = Vec::new();
    for group in rules::GROUPS {
        v.extend_from_slice(group.rules);
    }
    v.sort_by_key(|r| r.meta().code);
    v
});

/// All rules, sorted by code.
pub fn all_rules() -> &'static [&'static dyn Rule] {
    &ALL
}

/// A rule by code or name (case-insensitive), following redirects.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    let q = REDIRECTS
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(code_or_name))
        .map_or(code_or_name, |(_, new)| new);
    all_rules()
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(q) || r.meta().name.eq_ignore_ascii_case(q))
}
