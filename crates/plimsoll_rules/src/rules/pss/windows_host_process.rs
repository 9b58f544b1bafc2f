use plimsoll_model::Object;

use super::util::report_check;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `securityContext.windowsOptions.hostProcess: true` at pod level or on any
    /// init, regular or ephemeral container (Pod Security check `windowsHostProcess`,
    /// baseline, all policy versions).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// A HostProcess container runs directly on the Windows host with the node's
    /// privileges: it escapes every container boundary. The baseline level forbids it, so a
    /// namespace enforcing baseline rejects the pods.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     windowsOptions:
    ///       hostProcess: true
    ///   hostNetwork: true
    ///   containers:
    ///     - name: agent
    ///       image: registry.example.com/win-agent:1.0.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: agent
    ///       image: registry.example.com/win-agent:1.0.0
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: changing the security context can break an application that relies
    /// on the privilege, so the change needs a test.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/>
    pub struct WindowsHostProcess {
        code: "PSS001",
        name: "pss-windows-host-process",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A pod runs Windows HostProcess containers",
    }
}

impl Rule for WindowsHostProcess {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check(cx, id, obj, out, "windowsHostProcess", None);
    }
}
