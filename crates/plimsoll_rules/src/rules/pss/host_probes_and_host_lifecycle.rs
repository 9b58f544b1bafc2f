use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a non-empty `host` in `httpGet` or `tcpSocket` of `livenessProbe`,
    /// `readinessProbe`, `startupProbe`, `lifecycle.postStart` and `lifecycle.preStop`, on
    /// init, regular and ephemeral containers (Pod Security check
    /// `hostProbesAndHostLifecycle`, baseline, policy version 1.34+; not evaluated before).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// The kubelet runs probes and hooks from the node, so a `host` lets a pod make the
    /// node send requests to arbitrary addresses (server-side request forgery from the
    /// node's network position).
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     host: 169.254.169.254
    ///     path: /latest/meta-data/
    ///     port: 80
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     path: /healthz
    ///     port: 8080
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes the `host`, so the kubelet connects to the pod's own IP.
    /// A probe or hook that was meant to reach another host (a database, a metadata
    /// endpoint) now checks the pod instead.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    pub struct HostProbesAndHostLifecycle {
        code: "PSS012",
        name: "pss-host-probes-and-host-lifecycle",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A probe or lifecycle hook targets another host",
    }
}

impl Rule for HostProbesAndHostLifecycle {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "hostProbesAndHostLifecycle",
            None,
            Some(fix::host_probes_and_host_lifecycle),
        );
    }
}
