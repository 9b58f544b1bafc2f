use plimsoll_model::{Node, Object, PodTemplate, Pointer, Resources};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a resource (cpu, memory, ephemeral-storage, hugepages, extended
    /// resources) whose limit is below its request, in any container that has
    /// resources (regular, init, sidecar) or in the pod-level `spec.resources`.
    ///
    /// ## Why it matters in production
    /// The API server rejects such a pod (`must be greater than or equal to <resource>
    /// request`). For a Deployment, StatefulSet or Job the object itself is accepted,
    /// but its controller cannot create a single pod: the rollout hangs with the error
    /// only visible in the ReplicaSet's events, and the old pods keep running, or, for
    /// a new workload, nothing runs at all.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi}
    ///       limits: {memory: 128Mi}
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
    /// The fix raises the limit to the request and is display-only: either value may be
    /// the wrong one, and lowering the request may be what was meant.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/>
    pub struct LimitBelowRequest {
        code: "RES005",
        name: "limit-below-request",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "A resource limit is below its request",
    }
}

/// (resource, request text, limit text) for every resource whose limit < request.
fn below(node: Option<&Node>) -> Vec<(String, String, String)> {
    let r = Resources::from_node(node);
    let mut out = Vec::new();
    let text = |list: &str, res: &str| {
        node.and_then(|n| n.at(&[list, res]))
            .and_then(Node::as_text)
            .unwrap_or("")
            .to_string()
    };
    for e in node
        .and_then(|n| n.get("limits"))
        .map(Node::entries)
        .unwrap_or_default()
    {
        let res = e.key.as_str();
        if let (Some(req), Some(lim)) = (r.requests.get(res), r.limits.get(res))
            && lim < req
        {
            out.push((res.to_string(), text("requests", res), text("limits", res)));
        }
    }
    out
}

/// Raising the limit to the request: shown, never applied.
fn raise(path: &Pointer, res: &str, req: &str) -> Fix {
    Fix::new(
        Applicability::DisplayOnly,
        format!("raise the {res} limit to the request ({req}), or lower the request"),
    )
    .replace(path, serde_json::json!(req))
}

impl Rule for LimitBelowRequest {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for (res, req, lim) in below(t.spec.get("resources")) {
            let path = t.spec_pointer(&["resources", "limits"]).key(&res);
            out.report(
                id,
                path.clone(),
                format!(
                    "the pod-level {res} limit ({lim}) is below the pod-level {res} request ({req}); the API server rejects the pod"
                ),
            )
            .fix(raise(&path, &res, &req));
        }
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            for (res, req, lim) in below(c.get("resources")) {
                let path: Pointer = c.field_pointer(&["resources", "limits"]).key(&res);
                out.report_container(
                    id,
                    &c,
                    path.clone(),
                    format!(
                        "the {res} limit ({lim}) of {} `{}` is below its request ({req}); the API server rejects the pod",
                        c.kind.as_str(),
                        c.name
                    ),
                )
                .fix(raise(&path, &res, &req));
            }
        }
    }
}
