//! `IntOrString` fields (`maxUnavailable: 25%`), as `k8s.io/apimachinery/pkg/util/intstr`
//! reads and scales them.

use plimsoll_yaml::Node;

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
