use plimsoll_model::Object;

use super::util::report_check;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a non-zero `ports[*].hostPort` on any init, regular or ephemeral container
    /// (Pod Security check `hostPorts`, baseline, all policy versions). Upstream has no
    /// allow-list: every non-zero host port is forbidden.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// A host port opens the container on the node's address, bypassing Services and
    /// NetworkPolicies, and limits scheduling to one such pod per node. The baseline level
    /// forbids it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     ports:
    ///       - containerPort: 8080
    ///         hostPort: 8080
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     ports:
    ///       - containerPort: 8080
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: changing the security context can break an application that relies
    /// on the privilege, so the change needs a test.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    pub struct HostPorts {
        code: "PSS006",
        name: "pss-host-ports",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A container binds a host port",
    }
}

impl Rule for HostPorts {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check(cx, id, obj, out, "hostPorts", None);
    }
}
