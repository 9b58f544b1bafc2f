use plimsoll_model::{Node, Object, Pointer};

use super::util::is_nodepool;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// The disruption reasons a Karpenter budget can name (`karpenter.sh/v1`).
const REASONS: &[&str] = &["Empty", "Underutilized", "Drifted"];

declare_rule! {
    /// ## What it does
    /// Reports a Karpenter `NodePool` (`karpenter.sh`) whose written
    /// `spec.disruption.budgets` leave some voluntary disruption unbounded: for a
    /// reason Karpenter disrupts nodes for (`Empty`, `Underutilized`, `Drifted`), no
    /// budget is always active (no `schedule`) and applies to it (no `reasons`, or
    /// `reasons` naming it). Karpenter takes the most restrictive active budget that
    /// applies, and with none it allows every node of the pool to go at once.
    ///
    /// Three shapes do this: `budgets: []` (the field is present, so the API server
    /// does not default it); budgets that all carry a `schedule` (outside their
    /// windows nothing applies); budgets whose `reasons` leave a reason out. A NodePool
    /// without `budgets` (or without `disruption`) is not reported: Karpenter defaults
    /// it to one budget of `nodes: 10%`. Reasons the pool cannot have are skipped:
    /// `Underutilized` under `consolidationPolicy: WhenEmpty`, both consolidation
    /// reasons under `consolidateAfter: Never` or on a static pool (`spec.replicas`).
    /// Expiry (`expireAfter`) is not a budget reason in `karpenter.sh/v1`; budgets do
    /// not bound it either way.
    ///
    /// ## Why it matters in production
    /// A new AMI drifts every node of the pool at the same moment; a quiet night makes
    /// most of them underutilized together. Without a budget Karpenter drains them in
    /// parallel, bounded only by PodDisruptionBudgets, and workloads without one lose
    /// all their replicas at once.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: karpenter.sh/v1
    /// kind: NodePool
    /// metadata: {name: default}
    /// spec:
    ///   disruption:
    ///     consolidationPolicy: WhenEmptyOrUnderutilized
    ///     consolidateAfter: 1m
    ///     budgets: []
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   disruption:
    ///     budgets:
    ///       - nodes: "1"                  # one node at a time, whatever the reason
    ///       - nodes: "0"                  # none during working hours
    ///         reasons: [Underutilized, Drifted]
    ///         schedule: "0 9 * * mon-fri"
    ///         duration: 8h
    /// ```
    ///
    /// ## Fix safety
    /// The fix appends `{nodes: "10%"}`, the budget Karpenter would have applied had
    /// `budgets` been left out. It is unsafe: it slows down consolidation and drift
    /// replacement that ran unbounded before.
    ///
    /// ## References
    /// - <https://karpenter.sh/docs/concepts/disruption/#nodepool-disruption-budgets>
    /// - <https://github.com/kubernetes-sigs/karpenter/blob/main/pkg/apis/v1/nodepool.go>
    pub struct NodepoolDisruptionUnbounded {
        code: "SCL008",
        name: "nodepool-disruption-unbounded",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A Karpenter NodePool's disruption budgets leave some disruption unbounded",
    }
}

/// Whether a budget bounds `reason` at all times.
fn bounds_always(budget: &Node, reason: &str) -> bool {
    budget.get("schedule").is_none_or(Node::is_null)
        && match budget.get("reasons") {
            None => true,
            Some(r) if r.is_null() => true,
            Some(r) => r.items().iter().any(|x| x.as_text() == Some(reason)),
        }
}

impl Rule for NodepoolDisruptionUnbounded {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_nodepool(obj) {
            return;
        }
        let disruption = obj.root.at(&["spec", "disruption"]);
        let Some(budgets) = disruption
            .and_then(|d| d.get("budgets"))
            .filter(|b| !b.is_null())
        else {
            return;
        };
        let text = |k: &str| disruption.and_then(|d| d.get(k)).and_then(Node::as_text);
        let static_pool = obj.root.at(&["spec", "replicas"]).is_some();
        let never = text("consolidateAfter") == Some("Never");
        let when_empty = text("consolidationPolicy") == Some("WhenEmpty")
            || text("consolidateWhen") == Some("WhenEmpty");
        let possible = |r: &str| match r {
            "Drifted" => true,
            "Empty" => !static_pool && !never,
            _ => !static_pool && !never && !when_empty,
        };
        let open: Vec<&str> = REASONS
            .iter()
            .copied()
            .filter(|r| possible(r))
            .filter(|r| !budgets.items().iter().any(|b| bounds_always(b, r)))
            .collect();
        if open.is_empty() {
            return;
        }
        let path = Pointer::root().keys(&["spec", "disruption", "budgets"]);
        let why = if budgets.items().is_empty() {
            "`budgets: []` leaves no budget (Karpenter's default of 10% applies only when the field is left out)".to_string()
        } else if budgets.items().iter().all(|b| b.get("schedule").is_some()) {
            "every budget has a schedule, so outside their windows none applies".to_string()
        } else {
            format!(
                "no always-active budget names {}",
                open.iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        };
        let fix = Fix::new(
            Applicability::Unsafe,
            "add an always-active budget of 10% of the nodes (Karpenter's default)",
        )
        .add(&path.key("-"), serde_json::json!({"nodes": "10%"}));
        out.report(
            id,
            path,
            format!(
                "NodePool `{}` leaves {} disruptions unbounded: {why}; Karpenter may then disrupt every node of the pool at once",
                obj.name,
                match open.split_last() {
                    Some((last, [])) => last.to_string(),
                    Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                    None => String::new(),
                }
            ),
        )
        .fix(fix);
    }
}
