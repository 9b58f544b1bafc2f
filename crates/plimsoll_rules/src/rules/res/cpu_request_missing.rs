use plimsoll_model::{Object, PodTemplate};

use super::util::{copied_fix, is_invalid};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers without a cpu request: regular containers, init containers
    /// and sidecars (`initContainers` with `restartPolicy: Always`). Ephemeral
    /// containers cannot have resources and are not checked. A cpu limit without a
    /// request counts as a request (the API server defaults the request to the limit),
    /// and a pod-level cpu request (`spec.resources.requests.cpu`) covers every
    /// container. A request of `0` is reported too.
    ///
    /// ## Why it matters in production
    /// The scheduler places pods by their requests. A container without a cpu request
    /// is scheduled as if it needed no cpu at all, so nodes get packed beyond what they
    /// can run, and under contention the container gets the smallest cpu share
    /// (cgroup weight 2 against 1024 per core for its neighbours): latency spikes
    /// exactly when load is highest. Horizontal Pod Autoscalers that scale on cpu
    /// utilisation cannot compute it without a request.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {memory: 256Mi}
    ///       limits: {memory: 256Mi}
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
    /// When the container writes a zero cpu request beside a non-zero cpu limit, the
    /// fix sets the request to the limit (the limit's text as written). It is
    /// display-only: the right request depends on the application's usage (read it
    /// from real usage: the container's peak in your metrics, or a VPA
    /// recommendation), and a request at the limit reserves the whole limit on the
    /// node. Without a limit no value follows from the manifest and there is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/>
    pub struct CpuRequestMissing {
        code: "RES001",
        name: "cpu-request-missing",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "A container has no cpu request",
    }
}

impl Rule for CpuRequestMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        request_missing(cx, id, obj, out, "cpu");
    }
}

/// Shared by RES001 (cpu) and RES002 (memory).
pub(super) fn request_missing(cx: &Context, id: usize, obj: &Object, out: &mut Sink, res: &str) {
    let Some(t) = PodTemplate::of(obj) else {
        return;
    };
    if let Some(pod) = t.pod_resources_at(cx.kube_version) {
        if is_invalid(&pod, res) {
            return;
        }
        if pod.effective_request(res).is_some_and(|q| !q.is_zero()) {
            return;
        }
    }
    for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
        let r = c.resources();
        if is_invalid(&r, res) {
            continue;
        }
        let path = c.field_pointer(&["resources", "requests", res]);
        // a zero request beside a non-zero limit: the request may be the limit
        let fix = copied_fix(c.get("resources"), &path, "limits", "requests", res, |q| {
            format!("set the {res} request to the {res} limit ({q})")
        });
        let f = match r.effective_request(res) {
            None => out.report_container(
                id,
                &c,
                path,
                format!("{} `{}` has no {res} request", c.kind.as_str(), c.name),
            ),
            Some(q) if q.is_zero() => {
                let path = if r.requests.get(res).is_some() {
                    path
                } else {
                    c.field_pointer(&["resources", "limits", res])
                };
                out.report_container(
                    id,
                    &c,
                    path,
                    format!("{} `{}` has a zero {res} request", c.kind.as_str(), c.name),
                )
            }
            Some(_) => continue,
        };
        if let Some(fix) = fix {
            f.fix(fix);
        }
    }
}
