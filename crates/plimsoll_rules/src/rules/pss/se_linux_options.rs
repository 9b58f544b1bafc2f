use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `securityContext.seLinuxOptions` (pod level and every container) whose
    /// `type` is not empty, `container_t`, `container_init_t` or `container_kvm_t` (and
    /// from policy version 1.31 `container_engine_t`), or whose `user` or `role` is set
    /// (Pod Security check `seLinuxOptions`, baseline). `level` is not restricted.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// A custom SELinux type such as `spc_t` runs the container unconfined by SELinux; a
    /// custom user or role lifts the policy's separation between containers. The baseline
    /// level forbids them.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       seLinuxOptions:
    ///         type: spc_t
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       seLinuxOptions:
    ///         level: "s0:c123,c456"
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes the forbidden `type`, `user` or `role`, so the runtime's
    /// default SELinux context applies (`container_t`). A container that ran as `spc_t`
    /// loses its access to the host's files and devices.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#assign-selinux-labels-to-a-container>
    pub struct SeLinuxOptions {
        code: "PSS008",
        name: "pss-selinux-options",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A pod sets a custom SELinux user, role or type",
    }
}

impl Rule for SeLinuxOptions {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "seLinuxOptions",
            None,
            Some(fix::se_linux_options),
        );
    }
}
