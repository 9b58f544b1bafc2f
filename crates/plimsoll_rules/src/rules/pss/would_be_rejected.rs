use plimsoll_model::{Object, PodTemplate, Pointer};

use super::eval::{self, Level};
use super::util::{ENFORCE, namespace_policy};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Evaluates every workload's pod template (and every Pod) against the `enforce`
    /// level of its namespace, at the namespace's `enforce-version` (the label wins over
    /// `--pss-version`; latest when neither is set), when the Namespace object is in the
    /// input, and reports the checks that fail. An invalid enforce level counts as
    /// `restricted`, as Kubernetes treats it. When the input declares Namespace objects
    /// but not this workload's, the workload is reported as not evaluated; input without
    /// any Namespace object is not judged.
    ///
    /// ## Why it matters in production
    /// Enforce applies only to Pods. The API server accepts the Deployment (at most with
    /// a warning), then the ReplicaSet controller's pod creations are rejected: the
    /// rollout never produces a pod, and the reason is only in the ReplicaSet's events.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       securityContext:
    ///         runAsNonRoot: true
    ///         seccompProfile: {type: RuntimeDefault}
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    ///           securityContext:
    ///             allowPrivilegeEscalation: false
    ///             capabilities: {drop: [ALL]}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the workload must be changed and tested, or the namespace's
    /// level reconsidered.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    pub struct WouldBeRejected {
        code: "PSS205",
        name: "pss-would-be-rejected",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A workload's pods violate its namespace's enforced Pod Security level",
    }
}

impl Rule for WouldBeRejected {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind == "PodTemplate" && obj.group() == "" {
            return; // creates no pods
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let Some((ns_id, ns_obj)) = cx.index.namespace_object(ns) else {
            if cx.index.knows_namespace(ns) && cx.index.of_kind("Namespace").next().is_some() {
                out.not_evaluated(
                    id,
                    format!("the Namespace `{ns}` is not in the input, so its enforced Pod Security level is unknown"),
                );
            }
            return;
        };
        let policy = namespace_policy(ns_obj, cx.pss_version);
        let level = policy.enforce.level;
        if level == Level::Privileged {
            return;
        }
        let violations = eval::evaluate(&t, level, policy.enforce.version);
        if violations.is_empty() {
            return;
        }
        let checks = eval::failing_checks(&violations).join(", ");
        let what = if t.is_pod() {
            "this pod is rejected".to_string()
        } else {
            format!("the pods of this {} are rejected", obj.kind)
        };
        let first = violations[0].path.clone();
        out.report(
            id,
            first,
            format!(
                "{what} by namespace `{ns}` enforcing Pod Security \"{}:{}\": {checks}",
                level.as_str(),
                eval::version_label(policy.enforce.version)
            ),
        )
        .related(
            ns_id,
            Pointer::root().keys(&["metadata", "labels", ENFORCE]),
        );
    }
}
