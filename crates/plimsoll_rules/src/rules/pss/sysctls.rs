use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `spec.securityContext.sysctls[*].name` outside the safe set of the policy
    /// version (Pod Security check `sysctls`, baseline): `kernel.shm_rmid_forced`,
    /// `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
    /// `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`; from 1.27
    /// `net.ipv4.ip_local_reserved_ports`; from 1.29 `net.ipv4.tcp_keepalive_time`,
    /// `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`,
    /// `net.ipv4.tcp_keepalive_probes`; from 1.32 `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// Sysctls outside the namespaced safe set can change kernel behaviour for every pod on
    /// the node. Beyond Pod Security, the kubelet refuses unsafe sysctls unless
    /// allow-listed, and the pod fails with `SysctlForbidden`.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     sysctls:
    ///       - name: net.core.somaxconn
    ///         value: "1024"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     sysctls:
    ///       - name: net.ipv4.ip_local_port_range
    ///         value: "1024 65000"
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes the forbidden sysctl, so the kernel's default applies
    /// inside the pod; an application tuned for it (connection backlog, shared memory
    /// limits) may behave differently under load.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/>
    pub struct Sysctls {
        code: "PSS011",
        name: "pss-sysctls",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A pod sets a sysctl outside the safe set",
    }
}

impl Rule for Sysctls {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(cx, id, obj, out, "sysctls", None, Some(fix::sysctls));
    }
}
