//! Helpers shared by the AVL rules.

pub use plimsoll_model::IntOrPct;
use plimsoll_model::Node;

use crate::rule::Context;

/// The HPA managing a workload and its maxReplicas (default: none; the field is
/// required), when there is one.
pub fn hpa_of(cx: &Context, id: usize) -> Option<(usize, Option<i64>)> {
    let h = *cx.index.hpas_for(id).first()?;
    let max = cx
        .index
        .object(h)
        .root
        .at(&["spec", "maxReplicas"])
        .and_then(Node::as_i64);
    Some((h, max))
}

/// Whether a top-level workload (no controlling owner) runs, or may run, more than one
/// pod: expected replicas >= 2, or an HPA that may scale it to 2 or more.
pub fn multi_replica(cx: &Context, id: usize) -> bool {
    let obj = cx.index.object(id);
    if obj.has_controller() {
        return false;
    }
    let Some(n) = cx.index.expected_min_replicas(id) else {
        return false;
    };
    n >= 2 || hpa_of(cx, id).is_some_and(|(_, max)| max.is_some_and(|m| m >= 2))
}

/// Topology keys that spread pods across failure domains (nodes or zones).
pub fn is_spread_key(key: &str) -> bool {
    matches!(
        key,
        "kubernetes.io/hostname"
            | "topology.kubernetes.io/zone"
            | "failure-domain.beta.kubernetes.io/zone"
            | "topology.kubernetes.io/region"
            | "failure-domain.beta.kubernetes.io/region"
    )
}
