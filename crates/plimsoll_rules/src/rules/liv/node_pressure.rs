use plimsoll_model::{Object, conditions, format_duration};

use super::util::is_cordoned;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Nodes whose kubelet reports a resource pressure condition as `True`:
    /// `MemoryPressure`, `DiskPressure` or `PIDPressure`, one finding per condition,
    /// with how long it has held and the kubelet's message. Cordoned nodes
    /// (`spec.unschedulable: true`) are out of service on purpose (drained for
    /// maintenance or being removed) and are not reported.
    ///
    /// ## Why it matters in production
    /// Under pressure the kubelet evicts pods to reclaim the resource, ignoring
    /// PodDisruptionBudgets and grace periods at the hard threshold: BestEffort pods
    /// and pods using more than they requested go first. The node is tainted
    /// (`node.kubernetes.io/memory-pressure` and the like) so new pods avoid it, and
    /// under disk pressure the kubelet also deletes unused images. A node that stays
    /// under pressure means its pods' requests do not match what they use.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get node node-b -o yaml
    /// status:
    ///   conditions:
    ///     - type: MemoryPressure
    ///       status: "True"
    ///       reason: KubeletHasInsufficientMemory
    ///       message: kubelet has insufficient memory available
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// status:
    ///   conditions:
    ///     - type: MemoryPressure
    ///       status: "False"
    ///       reason: KubeletHasSufficientMemory
    ///       message: kubelet has sufficient memory available
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: set requests to what pods use (memory requests equal to
    /// limits for the important ones), clean up disk, or add capacity.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/>
    /// - <https://kubernetes.io/docs/reference/node/node-status/#condition>
    pub struct NodePressure {
        code: "LIV008",
        name: "node-pressure",
        severity: Warning,
        default: true,
        summary: "A node reports memory, disk or PID pressure",
    }
}

impl Rule for NodePressure {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Node" || !obj.group().is_empty() || is_cordoned(obj) {
            return;
        }
        let now = cx.now();
        for c in conditions(obj) {
            let what = match c.type_ {
                "MemoryPressure" => "memory",
                "DiskPressure" => "disk space or inodes",
                "PIDPressure" => "process IDs",
                _ => continue,
            };
            if !c.is_true() {
                continue;
            }
            let state = match (now, c.last_transition) {
                (Some(now), Some(t)) if now > t => format!(
                    "has had {} for {}",
                    c.type_,
                    format_duration(now.unix() - t.unix())
                ),
                _ => format!("has {}", c.type_),
            };
            let said = c.message.map(|m| format!(" ({m})")).unwrap_or_default();
            out.report(
                id,
                c.pointer(),
                format!(
                    "node `{}` {state}{said}: the kubelet evicts pods to reclaim {what}",
                    obj.name
                ),
            );
        }
    }
}
