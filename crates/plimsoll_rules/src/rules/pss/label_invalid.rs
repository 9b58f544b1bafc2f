use plimsoll_model::{Object, Pointer};

use super::eval::Level;
use super::util::{
    AUDIT, AUDIT_VERSION, ENFORCE, ENFORCE_VERSION, WARN, WARN_VERSION, parse_version,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `pod-security.kubernetes.io/*` namespace labels whose value Pod Security
    /// Admission does not accept, and says what Kubernetes does instead: an invalid
    /// `enforce` level is treated as `restricted` (fails closed), an invalid `audit` or
    /// `warn` level as `privileged` (fails open), an invalid `*-version` as `latest`.
    /// Levels are `privileged`, `baseline`, `restricted` (case-sensitive); versions are
    /// `latest` or `v1.<minor>` (`v1.30`, not `1.30` or `v1.30.2`).
    ///
    /// ## Why it matters in production
    /// A typo such as `Restricted` or `baseline ` silently changes the policy: every pod
    /// of the namespace is suddenly judged against `restricted` and rejected, or the
    /// warnings you rely on disappear.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: Baseline
    ///     pod-security.kubernetes.io/enforce-version: "1.30"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/enforce-version: v1.30
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the intended value cannot always be guessed.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/>
    pub struct LabelInvalid {
        code: "PSS203",
        name: "pss-label-invalid",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A namespace has an invalid Pod Security label value",
    }
}

impl Rule for LabelInvalid {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Namespace" || obj.group() != "" {
            return;
        }
        let ptr = |key: &str| Pointer::root().keys(&["metadata", "labels", key]);
        for (key, fallback) in [
            (
                ENFORCE,
                "restricted (fails closed: pods are judged against the strictest level)",
            ),
            (AUDIT, "privileged (fails open: nothing is audited)"),
            (WARN, "privileged (fails open: no warnings)"),
        ] {
            if let Some(v) = obj.label(key)
                && Level::parse(v).is_none()
            {
                out.report(
                    id,
                    ptr(key),
                    format!(
                        "`{key}: {v}` is not privileged, baseline or restricted; Kubernetes treats it as {fallback}"
                    ),
                );
            }
        }
        for key in [ENFORCE_VERSION, AUDIT_VERSION, WARN_VERSION] {
            if let Some(v) = obj.label(key)
                && parse_version(v).is_err()
            {
                out.report(
                    id,
                    ptr(key),
                    format!(
                        "`{key}: {v}` is not `latest` or `v1.<minor>`; Kubernetes treats it as latest"
                    ),
                );
            }
        }
    }
}
