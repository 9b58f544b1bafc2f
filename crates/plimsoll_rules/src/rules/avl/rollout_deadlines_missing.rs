use plimsoll_model::{Node, Object, Pointer};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Deployments with the `RollingUpdate` strategy (the default) whose
    /// `spec.minReadySeconds` is absent or 0, unless they are scaled to 0. Deployments
    /// with a controlling owner and `Recreate` Deployments (which do not gate on
    /// availability) are not checked.
    ///
    /// `progressDeadlineSeconds` is not reported: absent, it defaults to 600 seconds,
    /// after which the Deployment gets the condition `Progressing=False`
    /// (`ProgressDeadlineExceeded`) and `kubectl rollout status` exits non-zero. It never
    /// stops or rolls back a rollout by itself, so a larger value only delays the
    /// signal.
    ///
    /// ## Why it matters in production
    /// A rolling update replaces old pods as soon as new ones are *available*, and
    /// without `minReadySeconds` a pod is available the moment its readiness probe first
    /// passes. A release that crashes ten seconds after start-up, or fails on its first
    /// real request, therefore replaces every healthy pod before anyone notices.
    /// `minReadySeconds` makes each new pod stay Ready (without a container crash) for
    /// that long before the rollout moves on.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// spec:
    ///   replicas: 3
    ///   template: ...
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// spec:
    ///   replicas: 3
    ///   minReadySeconds: 15
    ///   progressDeadlineSeconds: 600
    ///   template: ...
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `minReadySeconds: 15`, the soak time of the example above. It is
    /// display-only: the right soak time depends on how fast the application fails, and
    /// it lengthens every rollout by that much per batch.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#min-ready-seconds>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#progress-deadline-seconds>
    pub struct RolloutDeadlinesMissing {
        code: "AVL009",
        name: "rollout-deadlines-missing",
        severity: Info,
        default: true,
        fix: DisplayOnly,
        summary: "A Deployment has no minReadySeconds",
    }
}

impl Rule for RolloutDeadlinesMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.group() != "apps" || obj.kind != "Deployment" || obj.has_controller() {
            return;
        }
        let ty = obj
            .root
            .at(&["spec", "strategy", "type"])
            .and_then(Node::as_text)
            .unwrap_or("RollingUpdate");
        if ty != "RollingUpdate" || cx.index.expected_min_replicas(id) == Some(0) {
            return;
        }
        let min_ready = obj.root.at(&["spec", "minReadySeconds"]);
        let value = min_ready.and_then(Node::as_i64).unwrap_or(0);
        if value > 0 {
            return;
        }
        let path = Pointer::root().keys(&["spec", "minReadySeconds"]);
        out.report(
            id,
            path.clone(),
            if min_ready.is_some() {
                format!(
                    "Deployment `{}` sets minReadySeconds 0, so a new pod counts as available the moment it first becomes Ready",
                    obj.name
                )
            } else {
                format!(
                    "Deployment `{}` has no minReadySeconds, so a new pod counts as available the moment it first becomes Ready",
                    obj.name
                )
            },
        )
        .fix(
            Fix::new(Applicability::DisplayOnly, "set minReadySeconds: 15").set(
                &obj.root,
                &path,
                serde_json::json!(15),
            ),
        );
    }
}
