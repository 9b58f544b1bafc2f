use plimsoll_model::{Object, condition, format_duration};

use super::util::is_cordoned;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Nodes whose `Ready` condition is `False` (the kubelet says the node
    /// cannot run pods: a runtime or network plugin down) or `Unknown` (the kubelet
    /// stopped reporting: the machine is down, cut off, or overloaded), with how long
    /// it has held, the reason and the message. Cordoned nodes
    /// (`spec.unschedulable: true`) are out of service on purpose and are not
    /// reported; neither are nodes that report no `Ready` condition yet.
    ///
    /// ## Why it matters in production
    /// Nothing new is scheduled on a NotReady node, and its pods are evicted once they
    /// have tolerated the `node.kubernetes.io/not-ready` or `unreachable` taint for
    /// their `tolerationSeconds` (300 by default): until then, pods on it count as
    /// replicas but may serve nothing. StatefulSet pods on an unreachable node are not
    /// replaced at all until the node is deleted or confirmed down. The cluster also
    /// runs with less capacity than it appears to have.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get node node-c -o yaml
    /// status:
    ///   conditions:
    ///     - type: Ready
    ///       status: Unknown
    ///       reason: NodeStatusUnknown
    ///       message: Kubelet stopped posting node status.
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// status:
    ///   conditions:
    ///     - type: Ready
    ///       status: "True"
    ///       reason: KubeletReady
    ///       message: kubelet is posting ready status
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: repair or replace the node; cordon and drain it while doing so.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/node/node-status/#condition>
    /// - <https://kubernetes.io/docs/concepts/architecture/nodes/#node-status>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/#taint-based-evictions>
    pub struct NodeNotReady {
        code: "LIV009",
        name: "node-not-ready",
        severity: Error,
        default: true,
        summary: "A node is NotReady",
    }
}

impl Rule for NodeNotReady {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Node" || !obj.group().is_empty() || is_cordoned(obj) {
            return;
        }
        let Some(c) = condition(obj, "Ready") else {
            return;
        };
        if c.status == "True" {
            return;
        }
        let state = if c.status == "False" {
            "NotReady"
        } else {
            "unreachable (Ready Unknown)"
        };
        let state = match (cx.now(), c.last_transition) {
            (Some(now), Some(t)) if now > t => format!(
                "has been {state} for {}",
                format_duration(now.unix() - t.unix())
            ),
            _ => format!("is {state}"),
        };
        let why = match (c.reason, c.message) {
            (Some(r), Some(m)) => format!(" ({r}: {})", m.trim()),
            (Some(r), None) => format!(" ({r})"),
            (None, Some(m)) => format!(" ({})", m.trim()),
            (None, None) => String::new(),
        };
        out.report(
            id,
            c.pointer(),
            format!(
                "node `{}` {state}{why}: nothing is scheduled on it and its pods are evicted once their not-ready or unreachable toleration runs out",
                obj.name
            ),
        );
    }
}
