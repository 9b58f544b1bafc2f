use plimsoll_model::{Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Pods without a controlling `ownerReference` (one with
    /// `controller: true`). Mirror pods of static pods (annotation
    /// `kubernetes.io/config.mirror`) are managed by the kubelet and are not reported.
    ///
    /// ## Why it matters in production
    /// Nothing recreates a bare Pod. When its node fails, is drained or is scaled
    /// away, or the pod is evicted for node pressure, it is gone for good, and rolling
    /// out a new image means deleting and recreating it by hand.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: worker}
    /// spec:
    ///   containers:
    ///     - {name: worker, image: registry.example.com/worker:1.2.0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: worker}
    /// spec:
    ///   replicas: 2
    ///   selector: {matchLabels: {app: worker}}
    ///   template:
    ///     metadata: {labels: {app: worker}}
    ///     spec:
    ///       containers:
    ///         - {name: worker, image: registry.example.com/worker:1.2.0}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the right controller (Deployment, StatefulSet, Job) depends on
    /// what the pod does.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/overview/#naked-pods-vs-replicasets-deployments-and-jobs>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/#working-with-pods>
    pub struct BarePod {
        code: "AVL012",
        name: "bare-pod",
        severity: Warning,
        default: true,
        summary: "A Pod is not managed by a controller",
    }
}

impl Rule for BarePod {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Pod" || !obj.group().is_empty() || obj.has_controller() {
            return;
        }
        if obj.annotation("kubernetes.io/config.mirror").is_some() {
            return;
        }
        out.report(
            id,
            Pointer::root().keys(&["metadata", "ownerReferences"]),
            format!(
                "Pod `{}` has no controlling owner, so nothing recreates it when it is evicted or its node fails",
                obj.name
            ),
        );
    }
}
