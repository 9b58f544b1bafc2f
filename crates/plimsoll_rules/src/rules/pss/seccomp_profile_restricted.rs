use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pods where `securityContext.seccompProfile.type` is not `RuntimeDefault` or
    /// `Localhost` at pod level or on every container, and any explicit other value (Pod
    /// Security check `seccompProfile_restricted`, restricted, policy version 1.19+,
    /// replacing `seccompProfile_baseline`; from 1.25 Windows pods are exempt).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. Not in the `default`
    /// profile: restricted is a hardening target, not a risk every workload must fix;
    /// select the `pss-restricted` profile (or the rule) to apply it.
    ///
    /// ## Why it matters in production
    /// Without a seccomp profile containers run `Unconfined` by default (unless the
    /// kubelet's `seccompDefault` is on), with every system call available to an attacker.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix sets `seccompProfile.type: RuntimeDefault` where the finding
    /// points: the container's own security context when neither the pod nor the
    /// container sets a profile, or the forbidden type in place (as
    /// `pss-seccomp-profile-baseline` does); a container without its own profile under
    /// a forbidden pod-level one is fixed through the pod's finding. The runtime's
    /// default profile blocks system calls that debuggers, some JIT runtimes and nested
    /// container runtimes use; test the workload first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tutorials/security/seccomp/>
    pub struct SeccompProfileRestricted {
        code: "PSS105",
        name: "pss-seccomp-profile-restricted",
        severity: Error,
        default: false,
        profiles: ["pss-restricted"],
        fix: Unsafe,
        summary: "A pod does not set a RuntimeDefault or Localhost seccomp profile",
    }
}

impl Rule for SeccompProfileRestricted {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "seccompProfile_restricted",
            None,
            Some(fix::seccomp),
        );
    }
}
