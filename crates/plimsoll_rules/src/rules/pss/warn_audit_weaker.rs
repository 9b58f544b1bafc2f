use plimsoll_model::{Object, Pointer};

use super::util::{AUDIT, WARN, namespace_policy};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports namespaces whose `warn` or `audit` level is weaker than their `enforce`
    /// level. An unset `warn` inherits the enforce level (and version) and is fine; an
    /// explicitly weaker `warn`, or an explicitly set weaker `audit`, is reported. An
    /// unset `audit` is not reported. Invalid values count as Kubernetes reads them
    /// (`pss-label-invalid`).
    ///
    /// ## Why it matters in production
    /// Enforce applies only to Pods. For Deployments, StatefulSets, Jobs and other
    /// workloads only warn and audit run, so with a weaker warn level `kubectl apply` of a
    /// violating Deployment succeeds without a word, and its pods are then rejected by the
    /// ReplicaSet controller: the rollout hangs with zero pods and the error is only in the
    /// ReplicaSet's events.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    ///     pod-security.kubernetes.io/warn: baseline
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    ///     pod-security.kubernetes.io/audit: restricted
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: removing or raising the label is simple, but the intent of the
    /// weaker level is unknown.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/#workload-resources-and-pod-templates>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces>
    pub struct WarnAuditWeaker {
        code: "PSS204",
        name: "pss-warn-audit-weaker",
        severity: Info,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A namespace warns or audits at a weaker level than it enforces",
    }
}

impl Rule for WarnAuditWeaker {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Namespace" || obj.group() != "" {
            return;
        }
        let p = namespace_policy(obj, None);
        let enforce = p.enforce.level;
        for (key, mode, set) in [
            (WARN, p.warn, obj.label(WARN).is_some()),
            (AUDIT, p.audit, obj.label(AUDIT).is_some()),
        ] {
            if set && mode.level < enforce {
                let what = if key == WARN {
                    "workloads that violate the enforced level are applied without a warning and their pods are rejected later"
                } else {
                    "violating workloads are not recorded in the audit log"
                };
                out.report(
                    id,
                    Pointer::root().keys(&["metadata", "labels", key]),
                    format!(
                        "namespace `{}` enforces {} but `{key}` is {}: {what}",
                        obj.name,
                        enforce.as_str(),
                        mode.level.as_str()
                    ),
                );
            }
        }
    }
}
