use plimsoll_model::{KubeVersion, Node, Object, Pointer};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `policy/v1` PodDisruptionBudgets without
    /// `spec.unhealthyPodEvictionPolicy: AlwaysAllow`. The field is beta and on by
    /// default from Kubernetes 1.27 (GA in 1.31); with `--kube-version` below 1.27 the
    /// rule does not fire.
    ///
    /// ## Why it matters in production
    /// The default, `IfHealthyBudget`, lets a Running but not Ready pod be evicted only
    /// while the budget is met. When the application crash-loops or never becomes
    /// Ready, the budget is never met, every eviction returns 429, and `kubectl drain`,
    /// node upgrades and cluster-autoscaler stall on pods that serve nothing anyway.
    /// `AlwaysAllow` lets unhealthy pods go while still protecting healthy ones; the
    /// Kubernetes docs recommend it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    ///   unhealthyPodEvictionPolicy: AlwaysAllow
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `unhealthyPodEvictionPolicy: AlwaysAllow` and is unsafe: an
    /// application that must not lose even unready pods (a quorum system recovering from
    /// a partition) may need `IfHealthyBudget` on purpose.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/>
    pub struct PdbUnhealthyEvictionPolicy {
        code: "AVL011",
        name: "pdb-unhealthy-eviction-policy",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A PodDisruptionBudget lets unhealthy pods block drains",
    }
}

impl Rule for PdbUnhealthyEvictionPolicy {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "PodDisruptionBudget" || obj.api_version != "policy/v1" {
            return;
        }
        if cx.kube_version < KubeVersion::new(1, 27) {
            return;
        }
        let policy = obj
            .root
            .at(&["spec", "unhealthyPodEvictionPolicy"])
            .and_then(Node::as_text);
        if policy == Some("AlwaysAllow") {
            return;
        }
        let path = Pointer::root().keys(&["spec", "unhealthyPodEvictionPolicy"]);
        let fix = Fix::new(
            Applicability::Unsafe,
            "set unhealthyPodEvictionPolicy: AlwaysAllow",
        )
        .set(&obj.root, &path, serde_json::json!("AlwaysAllow"));
        out.report(
            id,
            path,
            match policy {
                Some(p) => format!(
                    "PodDisruptionBudget `{}` sets unhealthyPodEvictionPolicy {p}, so crash-looping pods can block node drains",
                    obj.name
                ),
                None => format!(
                    "PodDisruptionBudget `{}` has no unhealthyPodEvictionPolicy (default IfHealthyBudget), so crash-looping pods can block node drains",
                    obj.name
                ),
            },
        )
        .fix(fix);
    }
}
