use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports entries of `securityContext.capabilities.add` outside AUDIT_WRITE, CHOWN,
    /// DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID,
    /// SETPCAP, SETUID and SYS_CHROOT (exact, case-sensitive; NET_RAW is not allowed), on
    /// init, regular and ephemeral containers (Pod Security check `capabilities_baseline`,
    /// all policy versions). When `pss-capabilities-restricted` (PSS106) runs too and
    /// exists at the policy version (1.22+), it replaces this check, as upstream's
    /// restricted level does.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// Capabilities such as SYS_ADMIN, NET_ADMIN or SYS_PTRACE hand a container most of
    /// root's power over the node. The baseline level rejects them.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       capabilities:
    ///         add: [NET_ADMIN, SYS_TIME]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       capabilities:
    ///         add: [NET_BIND_SERVICE]
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes the capability from `capabilities.add`, as
    /// `pss-capabilities-restricted` does. A program that needs it (a network tool
    /// that opens raw sockets, an agent that configures interfaces) fails with
    /// `EPERM` once it is gone; test the workload first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container>
    pub struct CapabilitiesBaseline {
        code: "PSS004",
        name: "pss-capabilities-baseline",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A container adds a capability beyond the default set",
    }
}

impl Rule for CapabilitiesBaseline {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "capabilities_baseline",
            Some(("PSS106", "capabilities_restricted")),
            Some(fix::capabilities),
        );
    }
}
