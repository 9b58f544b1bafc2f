use plimsoll_model::{Object, PodTemplate};

use super::util::{is_serving, serving_containers};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports the serving containers of serving workloads (see PRB001: long-running
    /// workloads whose regular container declares a port or that a Service selects;
    /// the containers that declare a port, or all regular containers when none does)
    /// without a `lifecycle.preStop` hook.
    ///
    /// ## Why it matters in production
    /// When a pod is deleted (rolling update, scale-down, node drain), the kubelet
    /// sends SIGTERM at the same time as the endpoints controller removes the pod from
    /// the Service; kube-proxy, ingress controllers and load balancers learn about it
    /// a few seconds later. An application that exits promptly on SIGTERM refuses the
    /// connections still being routed to it: every rollout produces a burst of 502s
    /// and connection resets. A short preStop pause (`sleep: {seconds: 5}`, or an
    /// `exec` of `sleep 5` on clusters before 1.30) keeps it serving until the
    /// endpoint removal has propagated.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     ports:
    ///       - containerPort: 8080
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     ports:
    ///       - containerPort: 8080
    ///     lifecycle:
    ///       preStop:
    ///         sleep: {seconds: 5}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the `sleep` action needs Kubernetes 1.30 or later and an
    /// `exec` hook needs a `sleep` binary in the image.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination>
    pub struct PrestopMissing {
        code: "PRB007",
        name: "prestop-missing",
        severity: Info,
        default: true,
        summary: "A serving container has no preStop hook",
    }
}

impl Rule for PrestopMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if !is_serving(cx, id) {
            return;
        }
        for c in serving_containers(&t) {
            if c.node
                .at(&["lifecycle", "preStop"])
                .is_some_and(|n| n.is_map())
            {
                continue;
            }
            out.report_container(
                id,
                &c,
                c.field_pointer(&["lifecycle", "preStop"]),
                format!(
                    "{} `{}` serves traffic but has no preStop hook, so it can exit before its endpoint is removed from load balancers",
                    c.kind.as_str(),
                    c.name
                ),
            );
        }
    }
}
