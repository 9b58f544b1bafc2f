use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
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
    /// Unsafe: the fix removes the `hostPort`, so clients that reach the pod on the
    /// node's address and that port lose it; they must go through a Service instead. A
    /// pod on the host network gets no fix: there the API server sets `hostPort` to the
    /// container port again (remove `hostNetwork` first).
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
        fix: Unsafe,
        summary: "A container binds a host port",
    }
}

impl Rule for HostPorts {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(cx, id, obj, out, "hostPorts", None, Some(fix::host_ports));
    }
}
