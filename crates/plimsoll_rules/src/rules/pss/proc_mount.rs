use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `securityContext.procMount` other than `Default` on init, regular and
    /// ephemeral containers (Pod Security check `procMount`, baseline). From policy version
    /// 1.35 any value is allowed when the pod runs in a user namespace (`spec.hostUsers:
    /// false`). When `pss-proc-mount-restricted` (PSS107) runs too and exists at the policy
    /// version (1.35+), it replaces this check.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// `Unmasked` exposes the parts of /proc that the runtime masks to keep a container
    /// from reading or changing kernel state of the node.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes `procMount`, so the container gets the default, masked
    /// `/proc` (as `pss-proc-mount-restricted` does). A container that runs nested
    /// containers and needs an unmasked `/proc` stops working.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    pub struct ProcMount {
        code: "PSS009",
        name: "pss-proc-mount",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A container unmasks /proc",
    }
}

impl Rule for ProcMount {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "procMount",
            Some(("PSS107", "procMount_restricted")),
            Some(fix::proc_mount),
        );
    }
}
