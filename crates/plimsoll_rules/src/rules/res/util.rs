//! Helpers shared by the RES rules.

use plimsoll_model::{Node, PodTemplate, Pointer, Resources};

use crate::rule::{Applicability, Fix};

/// Whether the written value of `resource` in the requests or limits of `r` is not a
/// valid quantity (RES011 reports those; other rules do not guess around them).
pub fn is_invalid(r: &Resources, resource: &str) -> bool {
    r.requests
        .invalid
        .iter()
        .chain(r.limits.invalid.iter())
        .any(|(n, _)| n == resource)
}

/// Whether any cpu or memory value of the template (containers or pod level) is
/// invalid, which makes every prediction about it unreliable.
pub fn template_has_invalid(t: &PodTemplate) -> bool {
    let pod = t.pod_resources().unwrap_or_default();
    let bad = |r: &Resources| is_invalid(r, "cpu") || is_invalid(r, "memory");
    bad(&pod) || t.containers().any(|c| bad(&c.resources()))
}

/// Why a set of requests and limits (one container, or the pod level) is not
/// Guaranteed, as a phrase: `memory request (128Mi) differs from its limit (256Mi)`.
/// `None` when it is Guaranteed or BestEffort on its own.
pub fn burstable_reason(r: &Resources) -> Option<String> {
    let mut zero = Vec::new();
    let mut set = Vec::new();
    for res in ["cpu", "memory"] {
        let req = r.effective_request(res);
        let lim = r.limits.get(res);
        let fmt = |q: plimsoll_model::Quantity| {
            if res == "cpu" {
                q.cpu_string()
            } else {
                q.memory_string()
            }
        };
        match (req, lim) {
            (Some(q), None) if !q.is_zero() => {
                return Some(format!(
                    "has a {res} request ({}) but no {res} limit",
                    fmt(q)
                ));
            }
            (Some(q), Some(l)) if q != l => {
                return Some(format!(
                    "has a {res} request ({}) different from its limit ({})",
                    fmt(q),
                    fmt(l)
                ));
            }
            (Some(q), _) if !q.is_zero() => set.push(res),
            _ => zero.push(res),
        }
    }
    if !set.is_empty() && !zero.is_empty() {
        return Some(format!(
            "sets {} but neither requests nor limits {}",
            set[0], zero[0]
        ));
    }
    None
}

/// A display-only fix writing `to` (`limits` or `requests`) of `res` at `path` as the
/// value written for `res` in `from` of the same `resources` mapping, when that value
/// is a valid non-zero quantity; `None` when nothing follows from the manifest.
pub fn copied_fix(
    resources: Option<&Node>,
    path: &Pointer,
    from: &str,
    to: &str,
    res: &str,
    title: impl FnOnce(&str) -> String,
) -> Option<Fix> {
    let r = Resources::from_node(resources);
    if is_invalid(&r, res) {
        return None;
    }
    let list = if from == "limits" {
        &r.limits
    } else {
        &r.requests
    };
    if list.get(res)?.is_zero() {
        return None;
    }
    let node = resources?.at(&[from, res])?;
    let text = node.as_text()?;
    let fix = Fix::new(Applicability::DisplayOnly, title(text));
    Some(if resources?.at(&[to, res]).is_some() {
        fix.replace(path, node.to_json())
    } else {
        fix.add(path, node.to_json())
    })
}
