//! When the input can tell that something is missing: the one coverage notion every
//! rule that concludes from an absence shares.
//!
//! The model decides whether the input holds a namespace whole
//! ([`Index::holds_namespace`]: its Namespace object, or a directory, chart, overlay,
//! stream or root the front-end read it from). On top of it:
//! - namespace-level rules (the namespace lacks a default-deny NetworkPolicy, a
//!   LimitRange, a ResourceQuota) judge only held namespaces: the objects they look
//!   for are namespace-wide and kept apart from the applications, so the other objects
//!   of a namespace say nothing about where they are;
//! - rules about one object's missing counterpart (a reference to a ConfigMap, a
//!   PodDisruptionBudget for a workload) also judge when the input holds an object of
//!   the kind they look for in that namespace ([`covers`]): such objects travel with
//!   the applications, so when the input manages that kind there, one that is not in
//!   it is missing.
//!
//! Everything else is reported as not evaluated, with a reason built here.

use plimsoll_model::Index;

/// What makes the input hold a namespace, for reasons.
const HELD_BY: &str = "its Namespace object, or a directory or root holding its manifests";

/// Objects of a kind and API group in a namespace.
pub fn has_kind_in(index: &Index, group: &str, kind: &str, ns: &str) -> bool {
    index.of_kind_in(kind, ns).any(|(_, o)| o.group() == group)
}

/// Whether the input can tell that an object of one of `kinds` (`(group, kind)`) is
/// missing from namespace `ns`: it holds the namespace whole, or at least one object
/// of one of `kinds` in it.
pub fn covers(index: &Index, kinds: &[(&str, &str)], ns: &str) -> bool {
    index.holds_namespace(ns) || kinds.iter().any(|(g, k)| has_kind_in(index, g, k, ns))
}

/// The reason of a namespace-level rule that did not judge `ns`: "the input does not
/// hold the whole of namespace `shop` (...), so whether {question} is unknown".
pub fn not_held(ns: &str, question: &str) -> String {
    format!(
        "the input does not hold the whole of namespace `{ns}` ({HELD_BY}), so whether {question} is unknown"
    )
}

/// The reason of a rule that did not judge a missing `kind` in `ns` ([`covers`]):
/// "the input holds neither a {kind} of namespace `shop` nor the whole namespace
/// (...), so whether {question} is unknown".
pub fn not_covered(kind: &str, ns: &str, question: &str) -> String {
    format!(
        "the input holds neither a {kind} of namespace `{ns}` nor the whole namespace ({HELD_BY}), so whether {question} is unknown"
    )
}
