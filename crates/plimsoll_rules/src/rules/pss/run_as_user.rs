use plimsoll_model::Object;

use super::util::report_check;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `runAsUser: 0` at pod level or on any container (Pod Security check
    /// `runAsUser`, restricted, policy version 1.23+; from 1.35 pods with `spec.hostUsers:
    /// false` are exempt). An unset runAsUser passes (runAsNonRoot covers it).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. Not in the `default`
    /// profile: restricted is a hardening target, not a risk every workload must fix;
    /// select the `pss-restricted` profile (or the rule) to apply it.
    ///
    /// ## Why it matters in production
    /// UID 0 is root; an explicit `runAsUser: 0` overrides the image's non-root user.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 10001
    ///     runAsNonRoot: true
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: changing the security context can break an application that relies
    /// on the privilege, so the change needs a test.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    pub struct RunAsUser {
        code: "PSS104",
        name: "pss-run-as-user",
        severity: Error,
        default: false,
        profiles: ["pss-restricted"],
        summary: "A pod sets runAsUser to 0",
    }
}

impl Rule for RunAsUser {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check(cx, id, obj, out, "runAsUser", None);
    }
}
