use plimsoll_model::{Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// The cluster-autoscaler pod annotation that marks a pod (not) evictable.
pub const SAFE_TO_EVICT: &str = "cluster-autoscaler.kubernetes.io/safe-to-evict";

declare_rule! {
    /// ## What it does
    /// Reports a replicated workload (a Deployment, ReplicaSet, StatefulSet,
    /// ReplicationController, Argo Rollout or DeploymentConfig that runs at least
    /// two replicas, counting an HPA's `minReplicas`) whose pod template carries
    /// `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`.
    ///
    /// ## Why it matters in production
    /// cluster-autoscaler never removes a node that runs a pod annotated so. Spread
    /// over a replicated workload, the annotation pins one node per replica: after a
    /// peak the cluster cannot shrink back, and the nodes are paid for until someone
    /// notices. The replicas of a controller are recreated elsewhere when evicted;
    /// what the annotation is meant to protect (availability during a scale-down) is
    /// what a PodDisruptionBudget protects without blocking the scale-down.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         cluster-autoscaler.kubernetes.io/safe-to-evict: "false"
    /// ```
    ///
    /// ## Use instead
    /// Drop the annotation and bound evictions with a PodDisruptionBudget:
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes the annotation. It is unsafe: the pods become evictable by
    /// scale-down, which a workload without a PodDisruptionBudget may not expect.
    ///
    /// ## References
    /// - <https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/FAQ.md#what-types-of-pods-can-prevent-ca-from-removing-a-node>
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    pub struct SafeToEvictFalse {
        code: "SCL010",
        name: "safe-to-evict-false",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "Replicated pods are marked not safe to evict, which blocks cluster scale-down",
    }
}

impl Rule for SafeToEvictFalse {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if t.annotation(SAFE_TO_EVICT)
            .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"))
        {
            return;
        }
        let Some(replicas) = cx.index.expected_min_replicas(id) else {
            return;
        };
        if replicas < 2 {
            return;
        }
        let path = t.meta_pointer(&["annotations", SAFE_TO_EVICT]);
        // the only annotation: remove the mapping, not leave `annotations: {}`
        let only = t
            .metadata()
            .and_then(|m| m.get("annotations"))
            .is_some_and(|a| a.entries().len() == 1);
        let fix = Fix::new(
            Applicability::Unsafe,
            "remove the annotation (bound evictions with a PodDisruptionBudget)",
        )
        .remove(&if only {
            t.meta_pointer(&["annotations"])
        } else {
            path.clone()
        });
        out.report(
            id,
            path,
            format!(
                "{} `{}` runs {replicas} replicas marked `safe-to-evict: \"false\"`: cluster-autoscaler cannot remove any node they run on, so the cluster does not scale down",
                obj.kind, obj.name
            ),
        )
        .fix(fix);
    }
}
