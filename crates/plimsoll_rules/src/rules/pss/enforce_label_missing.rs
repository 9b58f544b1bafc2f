use plimsoll_model::{Object, Pointer};

use super::util::ENFORCE;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Namespace objects in the input without the label
    /// `pod-security.kubernetes.io/enforce`.
    ///
    /// ## Why it matters in production
    /// Without the label, Pod Security Admission applies the cluster default, which is
    /// `privileged` unless the cluster's AdmissionConfiguration says otherwise: any pod,
    /// privileged or on the host network, is admitted. Setting the level in the namespace
    /// makes the boundary explicit and reviewable with the manifests.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/enforce-version: v1.34
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: enforcing a level rejects pods that violate it; check the
    /// namespace's workloads first (`pss-would-be-rejected` does).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/>
    pub struct EnforceLabelMissing {
        code: "PSS201",
        name: "pss-enforce-label-missing",
        severity: Warning,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A namespace has no Pod Security enforce label",
    }
}

impl Rule for EnforceLabelMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Namespace" || obj.group() != "" {
            return;
        }
        if obj.label(ENFORCE).is_none() {
            out.report(
                id,
                Pointer::root().keys(&["metadata", "labels", ENFORCE]),
                format!(
                    "namespace `{}` has no `{ENFORCE}` label, so the cluster default (privileged unless configured) applies",
                    obj.name
                ),
            );
        }
    }
}
