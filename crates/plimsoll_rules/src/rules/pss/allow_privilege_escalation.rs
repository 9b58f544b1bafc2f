use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports init, regular and ephemeral containers without
    /// `securityContext.allowPrivilegeEscalation: false` (unset counts as a violation) (Pod
    /// Security check `allowPrivilegeEscalation`, restricted, policy version 1.8+; from
    /// 1.25 Windows pods (`spec.os.name: windows`) are exempt).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. Not in the `default`
    /// profile: restricted is a hardening target, not a risk every workload must fix;
    /// select the `pss-restricted` profile (or the rule) to apply it.
    ///
    /// ## Why it matters in production
    /// Without it, setuid binaries and file capabilities let a process gain more privileges
    /// than its parent (`no_new_privs` is off).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the fix sets `allowPrivilegeEscalation: false` in the container's own
    /// security context when the field is unset. It only stops setuid binaries and file
    /// capabilities from raising a process's privileges, which a container that is
    /// neither privileged nor adds `CAP_SYS_ADMIN` is not expected to rely on. An
    /// explicit `allowPrivilegeEscalation: true` is a decision and gets no fix, nor does
    /// a container that is privileged or adds `CAP_SYS_ADMIN`, where the API server
    /// rejects `false`, nor a Windows pod (judged before policy version 1.25), where it
    /// forbids the field.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    pub struct AllowPrivilegeEscalation {
        code: "PSS102",
        name: "pss-allow-privilege-escalation",
        severity: Error,
        default: false,
        profiles: ["pss-restricted"],
        fix: Safe,
        summary: "A container does not set allowPrivilegeEscalation to false",
    }
}

impl Rule for AllowPrivilegeEscalation {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "allowPrivilegeEscalation",
            None,
            Some(fix::allow_privilege_escalation),
        );
    }
}
