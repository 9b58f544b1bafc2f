use plimsoll_model::{Node, Object, Pointer};

use super::util::IntOrPct;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports DaemonSets whose updates do not roll out safely:
    /// `updateStrategy.type: OnDelete` (a template change reaches a node only when
    /// someone deletes the pod there), and `RollingUpdate` with `maxUnavailable: 100%`
    /// (every node's pod is replaced at the same time).
    ///
    /// ## Why it matters in production
    /// With `OnDelete`, `kubectl apply` succeeds and nothing changes: nodes keep the old
    /// version, for weeks, until they are recycled, and the fleet runs a mix of
    /// versions nobody chose. With `maxUnavailable: 100%`, a bad release of a node agent
    /// (CNI, log shipper, CSI driver) breaks every node at once.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// spec:
    ///   updateStrategy:
    ///     type: OnDelete
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// spec:
    ///   updateStrategy:
    ///     type: RollingUpdate
    ///     rollingUpdate: {maxUnavailable: 10%}
    /// ```
    ///
    /// ## Fix safety
    /// For `maxUnavailable: 100%` the fix writes `maxUnavailable: 1`, the DaemonSet
    /// default, so an update replaces one node's pod at a time. It is unsafe: a rollout
    /// over many nodes then takes much longer. `OnDelete` has no fix: it is sometimes
    /// chosen deliberately for agents whose restart disrupts the node (a CNI plugin),
    /// with a separate node-by-node procedure.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/>
    pub struct DaemonsetOnDelete {
        code: "AVL010",
        name: "daemonset-on-delete",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A DaemonSet update does not roll out, or replaces every pod at once",
    }
}

impl Rule for DaemonsetOnDelete {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.group() != "apps" || obj.kind != "DaemonSet" || obj.has_controller() {
            return;
        }
        let strategy = obj.root.at(&["spec", "updateStrategy"]);
        let ty = strategy
            .and_then(|s| s.get("type"))
            .and_then(Node::as_text)
            .unwrap_or("RollingUpdate");
        if ty == "OnDelete" {
            out.report(
                id,
                Pointer::root().keys(&["spec", "updateStrategy", "type"]),
                format!(
                    "DaemonSet `{}` uses updateStrategy OnDelete, so template changes reach a node only when its pod is deleted by hand",
                    obj.name
                ),
            );
            return;
        }
        if ty != "RollingUpdate" {
            return;
        }
        if let Some(v @ IntOrPct::Pct(p)) = strategy
            .and_then(|s| s.at(&["rollingUpdate", "maxUnavailable"]))
            .and_then(IntOrPct::of)
            && p >= 100
        {
            let path = Pointer::root().keys(&[
                "spec",
                "updateStrategy",
                "rollingUpdate",
                "maxUnavailable",
            ]);
            out.report(
                id,
                path.clone(),
                format!(
                    "DaemonSet `{}` has maxUnavailable {v}, so an update replaces the pod on every node at once",
                    obj.name
                ),
            )
            .fix(
                Fix::new(Applicability::Unsafe, "set maxUnavailable: 1")
                    .replace(&path, serde_json::json!(1)),
            );
        }
    }
}
