use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `spec.hostNetwork`, `spec.hostPID` or `spec.hostIPC` set to `true` (Pod
    /// Security check `hostNamespaces`, baseline, all policy versions).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// A pod in the host's namespaces sees every process, every IPC object or every network
    /// interface of the node, can bind the node's ports and sniff its traffic. The baseline
    /// level forbids it.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    ///       ports:
    ///         - containerPort: 8080
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes `hostNetwork`, `hostPID` or `hostIPC: true`. The pod gets
    /// its own network namespace (its own IP; ports are no longer bound on the node),
    /// process namespace or IPC namespace, which breaks agents that watch the node's
    /// traffic or processes. A Windows HostProcess pod gets no fix for `hostNetwork`:
    /// the API server requires the host network for it.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    pub struct HostNamespaces {
        code: "PSS002",
        name: "pss-host-namespaces",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A pod shares the node's network, PID or IPC namespace",
    }
}

impl Rule for HostNamespaces {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "hostNamespaces",
            None,
            Some(fix::host_namespaces),
        );
    }
}
