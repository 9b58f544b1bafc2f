use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `securityContext.seccompProfile.type` other than `RuntimeDefault` or
    /// `Localhost` at pod level or on any container (policy version 1.19+); for policy
    /// versions before 1.19 the annotations `seccomp.security.alpha.kubernetes.io/pod` and
    /// `container.seccomp.security.alpha.kubernetes.io/<name>` other than
    /// `runtime/default`, `docker/default` or `localhost/*` (Pod Security check
    /// `seccompProfile_baseline`). An unset profile passes at baseline. When
    /// `pss-seccomp-profile-restricted` (PSS105) runs too and exists at the policy version
    /// (1.19+), it replaces this check.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// `Unconfined` turns off system-call filtering, leaving the whole kernel attack
    /// surface open to the container.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: Unconfined
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix sets the forbidden `seccompProfile.type` to `RuntimeDefault` (and
    /// an old seccomp annotation to `runtime/default`), as
    /// `pss-seccomp-profile-restricted` does. The runtime's default profile blocks
    /// system calls that debuggers, some JIT runtimes and nested container runtimes use;
    /// test the workload first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tutorials/security/seccomp/>
    pub struct SeccompProfileBaseline {
        code: "PSS010",
        name: "pss-seccomp-profile-baseline",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A pod sets the seccomp profile to Unconfined",
    }
}

impl Rule for SeccompProfileBaseline {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "seccompProfile_baseline",
            Some(("PSS105", "seccompProfile_restricted")),
            Some(fix::seccomp),
        );
    }
}
