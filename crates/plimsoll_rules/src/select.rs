//! Rule selection: codes, code prefixes, rule names and profiles, case-insensitive.

use crate::registry::all_rules;
use crate::rule::{Rule, RuleMeta};

/// Profiles every build knows.
pub const PROFILES: &[&str] = &["default", "all", "pss-baseline", "pss-restricted"];

/// Whether a selector names a rule.
pub fn matches(selector: &str, meta: &RuleMeta) -> bool {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("all") {
        return true;
    }
    if s.eq_ignore_ascii_case("default") {
        return meta.default;
    }
    if meta.profiles.iter().any(|p| p.eq_ignore_ascii_case(s)) {
        return true;
    }
    if meta.name.eq_ignore_ascii_case(s) {
        return true;
    }
    let upper = s.to_ascii_uppercase();
    // a code or a code prefix: letters, then optionally digits
    let letters = upper.trim_end_matches(|c: char| c.is_ascii_digit());
    !upper.is_empty()
        && letters.chars().all(|c| c.is_ascii_uppercase())
        && !letters.is_empty()
        && meta.code.starts_with(&upper)
        && (letters.len() < upper.len() || meta.group() == letters)
}

/// Whether a selector names anything at all (a rule, a prefix, a profile).
pub fn is_known(selector: &str) -> bool {
    PROFILES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(selector.trim()))
        || all_rules().iter().any(|r| matches(selector, r.meta()))
}

/// The known selector closest to an unknown one (a code, a group prefix, a rule name
/// or a profile), when it is close enough to be a slip.
pub fn suggest(selector: &str) -> Option<String> {
    let word = selector.trim().to_ascii_lowercase();
    let mut candidates: Vec<String> = PROFILES.iter().map(|p| p.to_string()).collect();
    for r in all_rules() {
        let m = r.meta();
        candidates.push(m.code.to_ascii_lowercase());
        candidates.push(m.group().to_ascii_lowercase());
        candidates.push(m.name.to_string());
    }
    candidates.sort();
    candidates.dedup();
    let close = plimsoll_model::closest(&word, candidates.iter().map(String::as_str))?;
    // codes and prefixes are written in capitals
    Some(if close.contains('-') || PROFILES.contains(&close) {
        close.to_string()
    } else {
        close.to_ascii_uppercase()
    })
}

/// The rules a run uses. `select` replaces the default set, `extend` adds, `ignore`
/// removes. Unknown selectors are an error: a typo must not silently select nothing.
pub fn resolve(
    select: Option<&[String]>,
    extend: &[String],
    ignore: &[String],
) -> Result<Vec<&'static dyn Rule>, String> {
    for s in select
        .unwrap_or_default()
        .iter()
        .chain(extend)
        .chain(ignore)
    {
        if !is_known(s) {
            return Err(match suggest(s) {
                Some(close) => format!("unknown rule selector `{s}`; did you mean `{close}`?"),
                None => format!(
                    "unknown rule selector `{s}` (expected a code like RES001, a prefix like RES, a rule name or a profile: {})",
                    PROFILES.join(", ")
                ),
            });
        }
    }
    let default = ["default".to_string()];
    let select = select.unwrap_or(&default);
    Ok(all_rules()
        .iter()
        .copied()
        .filter(|r| {
            let m = r.meta();
            (select.iter().any(|s| matches(s, m)) || extend.iter().any(|s| matches(s, m)))
                && !ignore.iter().any(|s| matches(s, m))
        })
        .collect())
}
