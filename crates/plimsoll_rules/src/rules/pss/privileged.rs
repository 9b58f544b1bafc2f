use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `securityContext.privileged: true` on any init, regular or ephemeral
    /// container (Pod Security check `privileged`, baseline, all policy versions).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// A privileged container has every capability and access to all host devices: it is
    /// root on the node. The baseline level forbids it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       privileged: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       privileged: false
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix sets `privileged: false`. The container loses every capability
    /// beyond the default set and its access to the host's devices, which a node agent,
    /// storage driver or nested container runtime needs; test the workload first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    pub struct Privileged {
        code: "PSS003",
        name: "pss-privileged",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A container runs privileged",
    }
}

impl Rule for Privileged {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(cx, id, obj, out, "privileged", None, Some(fix::privileged));
    }
}
