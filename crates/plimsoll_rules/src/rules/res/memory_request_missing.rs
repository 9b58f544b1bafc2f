use plimsoll_model::Object;

use super::cpu_request_missing::request_missing;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers without a memory request: regular containers, init
    /// containers and sidecars (`initContainers` with `restartPolicy: Always`).
    /// Ephemeral containers cannot have resources and are not checked. A memory limit
    /// without a request counts as a request (the API server defaults the request to
    /// the limit), and a pod-level memory request (`spec.resources.requests.memory`)
    /// covers every container. A request of `0` is reported too.
    ///
    /// ## Why it matters in production
    /// The scheduler reserves memory by request. A container without one is placed as
    /// if it used no memory, so nodes are overcommitted; when the node then runs short,
    /// the kubelet evicts first the pods whose usage exceeds their requests, and with
    /// no request that is every byte this container uses. It is also the first choice
    /// of the kernel's OOM killer. Unlike cpu, memory cannot be throttled: the outcome
    /// is a killed pod, not a slow one.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi}
    ///       limits: {memory: 256Mi}
    /// ```
    ///
    /// ## Fix safety
    /// When the container writes a zero memory request beside a non-zero memory
    /// limit, the fix sets the request to the limit (the limit's text as written). It
    /// is display-only: the right request depends on the application's usage (read it
    /// from real usage: the container's peak in your metrics, or a VPA
    /// recommendation), and a request at the limit reserves the whole limit on the
    /// node. Without a limit no value follows from the manifest and there is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/>
    pub struct MemoryRequestMissing {
        code: "RES002",
        name: "memory-request-missing",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "A container has no memory request",
    }
}

impl Rule for MemoryRequestMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        request_missing(cx, id, obj, out, "memory");
    }
}
