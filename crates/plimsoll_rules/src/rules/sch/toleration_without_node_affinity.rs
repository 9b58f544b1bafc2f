use plimsoll_model::{Node, Object, PodTemplate};

use super::util::has_node_constraint;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates that tolerate a specific taint (`NoSchedule` or
    /// `NoExecute`, or any effect) but have no `nodeSelector`, required node affinity
    /// or `nodeName`. Also reports a toleration with an empty `key` and
    /// `operator: Exists`, which tolerates *every* taint, whatever the node selection.
    ///
    /// Not reported: DaemonSets (they are meant to run on every node, tainted or not),
    /// tolerations of the built-in `node.kubernetes.io/*` taints (not-ready,
    /// unreachable, pressure conditions), and `PreferNoSchedule` tolerations.
    ///
    /// ## Why it matters in production
    /// A taint keeps pods *off* a node pool; a toleration only lets pods *on* it. It
    /// does not keep them there. A workload meant for the GPU or high-memory pool
    /// that only tolerates the pool's taint is scheduled anywhere: it competes for
    /// ordinary nodes, and whatever lands on the expensive pool blocks the workloads
    /// that need it. Pair the toleration with a `nodeSelector` (or required node
    /// affinity) on the pool's label.
    ///
    /// A toleration with no key and `operator: Exists` also tolerates the
    /// `NoExecute` taints the node lifecycle controller sets on failed nodes, so the
    /// pods are never evicted from an unreachable node, and lets them onto control
    /// plane and every dedicated pool.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       tolerations:
    ///         - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    ///       containers:
    ///         - name: trainer
    ///           image: registry.example.com/trainer:2.1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       nodeSelector:
    ///         cloud.google.com/gke-accelerator: nvidia-l4
    ///       tolerations:
    ///         - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the label of the pool is cluster-specific.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/>
    pub struct TolerationWithoutNodeAffinity {
        code: "SCH001",
        name: "toleration-without-node-affinity",
        severity: Warning,
        default: true,
        summary: "A pod template tolerates a taint without selecting the tainted nodes",
    }
}

impl Rule for TolerationWithoutNodeAffinity {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind == "DaemonSet" {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let tolerations = t
            .spec_field("tolerations")
            .map(Node::items)
            .unwrap_or_default();
        if tolerations.is_empty() {
            return;
        }
        let constrained = has_node_constraint(&t);
        for (i, tol) in tolerations.iter().enumerate() {
            let text = |k: &str| tol.get(k).and_then(Node::as_text).unwrap_or("");
            let (key, op, value, effect) =
                (text("key"), text("operator"), text("value"), text("effect"));
            let path = t.spec_pointer(&["tolerations"]).index(i);
            if key.is_empty() {
                if op == "Exists" {
                    let scope = if effect.is_empty() {
                        "every taint".to_string()
                    } else {
                        format!("every {effect} taint")
                    };
                    out.report(
                        id,
                        path,
                        format!(
                            "the toleration without a key and `operator: Exists` tolerates \
                             {scope}: the pods may run on any node pool and, for NoExecute, \
                             stay on failed nodes"
                        ),
                    );
                }
                continue;
            }
            if key.starts_with("node.kubernetes.io/") || effect == "PreferNoSchedule" || constrained
            {
                continue;
            }
            let taint = match (op, value) {
                ("Exists", _) | (_, "") => key.to_string(),
                _ => format!("{key}={value}"),
            };
            let taint = if effect.is_empty() {
                taint
            } else {
                format!("{taint}:{effect}")
            };
            out.report(
                id,
                path,
                format!(
                    "the pods tolerate taint `{taint}` but have no nodeSelector or required \
                     node affinity: the toleration lets them onto the tainted nodes but does \
                     not keep them there"
                ),
            );
        }
    }
}
