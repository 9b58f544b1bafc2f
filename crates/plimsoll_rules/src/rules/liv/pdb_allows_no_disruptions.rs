use plimsoll_model::{Node, Object, Pointer, status_i64};

use super::util::MAX_RELATED;
use crate::declare_rule;
use crate::rule::{Context, Described, Rule, Sink};
use crate::rules::avl::PdbBlocksEviction;

declare_rule! {
    /// ## What it does
    /// Reports PodDisruptionBudgets whose status allows no disruption right now:
    /// `status.disruptionsAllowed` is 0 while the budget covers pods
    /// (`status.expectedPods` above 0), in a status the disruption controller wrote for
    /// the current spec (`status.observedGeneration` present and not below
    /// `metadata.generation`). The message says why from the status: how many of the
    /// expected pods are healthy (`currentHealthy`, Ready pods) against how many the
    /// budget requires (`desiredHealthy`), and so how many more must become ready
    /// before an eviction is allowed.
    ///
    /// AVL003 reports budgets whose spec can never allow an eviction (`maxUnavailable:
    /// 0`, `minAvailable` equal to the replicas); when AVL003 runs and reports the same
    /// budget, this rule leaves it to AVL003. What remains are budgets that would allow
    /// evictions with every pod healthy, blocked now because some are not.
    ///
    /// ## Why it matters in production
    /// The eviction API refuses (429) every eviction of a covered pod, so `kubectl
    /// drain`, node upgrades and cluster-autoscaler scale-down hang on every node that
    /// runs one of them, retrying until the unhealthy pods recover. With the default
    /// `unhealthyPodEvictionPolicy: IfHealthyBudget`, a pod stuck in CrashLoopBackOff
    /// blocks the drain of its own node too.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get pdb api -o yaml
    /// spec:
    ///   maxUnavailable: 1
    /// status:
    ///   observedGeneration: 1
    ///   expectedPods: 3
    ///   currentHealthy: 2
    ///   desiredHealthy: 2
    ///   disruptionsAllowed: 0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # make the unhealthy pod healthy (or delete it); let the drain evict pods that
    /// # are not ready anyway
    /// spec:
    ///   maxUnavailable: 1
    ///   unhealthyPodEvictionPolicy: AlwaysAllow
    /// status:
    ///   expectedPods: 3
    ///   currentHealthy: 3
    ///   desiredHealthy: 2
    ///   disruptionsAllowed: 1
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the unhealthy pods must recover or be replaced.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/>
    pub struct PdbAllowsNoDisruptions {
        code: "LIV010",
        name: "pdb-allows-no-disruptions",
        severity: Warning,
        default: true,
        summary: "A PodDisruptionBudget allows no disruption now, so drains hang",
    }
}

impl Rule for PdbAllowsNoDisruptions {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "PodDisruptionBudget" || obj.group() != "policy" {
            return;
        }
        let Some(observed) = status_i64(obj, "observedGeneration") else {
            return;
        };
        let generation = obj
            .metadata()
            .and_then(|m| m.get("generation"))
            .and_then(Node::as_i64);
        if generation.is_some_and(|g| observed < g) {
            return;
        }
        let (Some(0), Some(expected)) = (
            status_i64(obj, "disruptionsAllowed"),
            status_i64(obj, "expectedPods"),
        ) else {
            return;
        };
        if expected <= 0 {
            return;
        }
        if cx.is_selected(PdbBlocksEviction.meta().code) {
            let mut spec = Sink::new(PdbBlocksEviction.meta());
            PdbBlocksEviction.check(cx, id, obj, &mut spec);
            if !spec.findings.is_empty() {
                return;
            }
        }
        let healthy = status_i64(obj, "currentHealthy").unwrap_or(0);
        let desired = status_i64(obj, "desiredHealthy").unwrap_or(0);
        let why = if desired >= expected {
            let all = if expected == 1 {
                "its only expected pod".to_string()
            } else {
                format!("all {expected} expected pods")
            };
            format!(
                "it requires {all} to stay healthy (desiredHealthy {desired}), so it never allows one"
            )
        } else if healthy > desired {
            // the controller's count and its verdict disagree (a pod it cannot place
            // under a controller, say): report what it says
            format!(
                "{healthy} of its {expected} expected pods are healthy and it requires {desired}, yet the disruption controller allows no eviction"
            )
        } else {
            let missing = desired + 1 - healthy;
            format!(
                "{healthy} of its {expected} expected pods are healthy and it requires {desired}, so no eviction is allowed until {} ready",
                if missing == 1 {
                    "one more is".to_string()
                } else {
                    format!("{missing} more are")
                }
            )
        };
        let f = out.report(
            id,
            Pointer::root().keys(&["status", "disruptionsAllowed"]),
            format!(
                "PodDisruptionBudget `{}` allows no disruption now: {why}; draining a node that runs one of its pods hangs",
                obj.name
            ),
        );
        for &w in cx.index.pdb_targets(id).iter().take(MAX_RELATED) {
            f.related(w, Pointer::root().keys(&["metadata", "name"]));
        }
    }
}
