use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `securityContext.procMount` other than `Default` on init, regular and
    /// ephemeral containers, without the user-namespace relaxation of the baseline check
    /// (Pod Security check `procMount_restricted`, restricted, policy version 1.35+,
    /// replacing `procMount`).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. Not in the `default`
    /// profile: restricted is a hardening target, not a risk every workload must fix;
    /// select the `pss-restricted` profile (or the rule) to apply it.
    ///
    /// ## Why it matters in production
    /// Even in a user namespace, an unmasked /proc exposes kernel interfaces that the
    /// restricted level keeps masked.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    ///       securityContext:
    ///         procMount: Unmasked
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes `procMount`, so the container gets the default, masked
    /// `/proc` (as `pss-proc-mount` does). A container that runs nested containers and
    /// needs an unmasked `/proc` stops working.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    pub struct ProcMountRestricted {
        code: "PSS107",
        name: "pss-proc-mount-restricted",
        severity: Error,
        default: false,
        profiles: ["pss-restricted"],
        fix: Unsafe,
        summary: "A container unmasks /proc, even in a user namespace",
    }
}

impl Rule for ProcMountRestricted {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "procMount_restricted",
            None,
            Some(fix::proc_mount),
        );
    }
}
