//! Helpers shared by the AVL rules. `IntOrPct` and the scaling functions belong in the
//! model (they mirror `k8s.io/apimachinery/pkg/util/intstr`).

use plimsoll_model::Node;

use crate::rule::Context;

/// An `IntOrString` field as Kubernetes reads it: an integer or an `N%` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPct {
    Int(i64),
    Pct(i64),
}

impl IntOrPct {
    /// Parses an IntOrString node. `None` for anything the API server would reject
    /// (a string that is not `N%`, a negative value, a non-scalar).
    pub fn of(node: &Node) -> Option<IntOrPct> {
        if let Some(s) = node.as_str() {
            let n: i64 = s.strip_suffix('%')?.parse().ok()?;
            return (n >= 0).then_some(IntOrPct::Pct(n));
        }
        let n = node.as_i64()?;
        (n >= 0).then_some(IntOrPct::Int(n))
    }

    /// `intstr.GetScaledValueFromIntOrPercent`: percentages of `total`, rounded up or
    /// down.
    pub fn scaled(self, total: i64, round_up: bool) -> i64 {
        match self {
            IntOrPct::Int(n) => n,
            IntOrPct::Pct(p) => {
                let x = p * total;
                if round_up { (x + 99) / 100 } else { x / 100 }
            }
        }
    }

    /// Zero whatever the replica count (`0` or `0%`).
    pub fn is_zero(self) -> bool {
        matches!(self, IntOrPct::Int(0) | IntOrPct::Pct(0))
    }
}

impl std::fmt::Display for IntOrPct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrPct::Int(n) => write!(f, "{n}"),
            IntOrPct::Pct(p) => write!(f, "{p}%"),
        }
    }
}

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
