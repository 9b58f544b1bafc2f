use plimsoll_model::{Object, Pointer};

use super::util::ENFORCE;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Namespace objects labelled `pod-security.kubernetes.io/enforce: privileged`.
    ///
    /// ## Why it matters in production
    /// `privileged` applies no checks: privileged containers, host namespaces and hostPath
    /// mounts are all admitted, and one compromised workload owns its node. Keep it for
    /// system namespaces that really need it (CNI, CSI, node agents) and exempt those
    /// namespaces here with a reason.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: privileged
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a stricter level rejects pods that need the privileges.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    pub struct EnforcePrivileged {
        code: "PSS202",
        name: "pss-enforce-privileged",
        severity: Warning,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A namespace enforces the privileged Pod Security level",
    }
}

impl Rule for EnforcePrivileged {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Namespace" || obj.group() != "" {
            return;
        }
        if obj.label(ENFORCE) == Some("privileged") {
            out.report(
                id,
                Pointer::root().keys(&["metadata", "labels", ENFORCE]),
                format!(
                    "namespace `{}` enforces the privileged level, which admits any pod",
                    obj.name
                ),
            );
        }
    }
}
