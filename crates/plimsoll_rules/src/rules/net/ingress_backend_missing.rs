use plimsoll_model::{Node, Object, Pointer};

use super::svc_util::{
    describe_service_ports, ingress_backend_nodes, ingress_backends, is_ingress_v1, is_service,
    namespace_has_services, service_has_port,
};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a backend of a `networking.k8s.io/v1` Ingress (`spec.defaultBackend` and
    /// `spec.rules[].http.paths[].backend`) whose Service is not in the input, or whose
    /// port the Service does not define: `port.number` must be one of the Service's
    /// `ports[].port` (not a `targetPort`), and `port.name` one of its `ports[].name`.
    /// An Ingress can only reach Services of its own namespace. When the input holds no
    /// Service of that namespace at all, the Ingress is reported as not evaluated.
    /// `ExternalName` Services without ports accept any port. Resource backends are not
    /// judged.
    ///
    /// Also reported, whatever else the input holds: a backend with neither `service`
    /// nor `resource`, or with both, which the API server rejects. The usual cause is a
    /// backend still written with the `networking.k8s.io/v1beta1` fields
    /// `serviceName`/`servicePort`, which v1 does not have: the message says so.
    ///
    /// ## Why it matters in production
    /// The ingress controller has nowhere to send the requests of that path: users get
    /// 503 (ingress-nginx) or 404/502 (cloud load balancers), often for a whole host
    /// when the default backend is the broken one. A Service renamed in one file but
    /// not in the Ingress is the usual cause.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web}
    /// spec:
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service: {name: web, port: {number: 8080}}  # the Service listens on 80
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// backend:
    ///   service: {name: web, port: {name: http}}
    /// ```
    ///
    /// ## Fix safety
    /// The fix rewrites a backend in the networking.k8s.io/v1beta1 form
    /// (`serviceName` and `servicePort`) to `service: {name, port: {number}}` (or
    /// `{name}` for a named port), and points a backend whose port the Service does not
    /// define at the Service's only port, by number, when it defines exactly one. It is
    /// unsafe: the Ingress starts routing to that Service port, and the Service may be
    /// the side that is wrong. A missing Service, or one with several ports, has no fix:
    /// the intended one cannot be inferred.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend>
    pub struct IngressBackendMissing {
        code: "NET104",
        name: "ingress-backend-missing",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "An Ingress backend names a Service or port that does not exist",
    }
}

impl Rule for IngressBackendMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_ingress_v1(obj) {
            return;
        }
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        for (node, path) in ingress_backend_nodes(obj) {
            let has = |k: &str| node.and_then(|n| n.get(k)).is_some_and(|v| !v.is_null());
            let message = match (has("service"), has("resource")) {
                (true, true) => "backend sets both `service` and `resource`; the API server \
                                 rejects it (exactly one must be given)"
                    .to_string(),
                (false, false) if has("serviceName") || has("servicePort") => {
                    let name = node
                        .and_then(|n| n.get("serviceName"))
                        .and_then(Node::as_text)
                        .unwrap_or("...");
                    format!(
                        "backend uses the networking.k8s.io/v1beta1 fields \
                         `serviceName`/`servicePort`, which v1 does not have: it names no \
                         Service and the API server rejects the Ingress; write \
                         `service: {{name: {name}, port: {{number: ...}}}}`"
                    )
                }
                (false, false) => "backend names neither a `service` nor a `resource`; the \
                                   API server rejects it"
                    .to_string(),
                _ => continue,
            };
            let fix = node.and_then(|n| v1beta1_migration(n, &path));
            let f = out.report(id, path, message);
            if let Some(fix) = fix {
                f.fix(fix);
            }
        }
        let backends = ingress_backends(obj);
        if backends.is_empty() {
            return;
        }
        if !namespace_has_services(cx.index, ns) {
            out.not_evaluated(
                id,
                format!("the input holds no Service of namespace `{ns}`, so the backends cannot be checked"),
            );
            return;
        }
        for b in backends {
            let name = b.name;
            match cx
                .index
                .get("Service", Some(ns), name)
                .filter(|(_, s)| is_service(s))
            {
                None => {
                    out.report(
                        id,
                        b.path.key("name"),
                        format!("backend Service `{name}` is not in namespace `{ns}`"),
                    );
                }
                Some((svc_id, svc)) => {
                    let Some((port, path)) = b.port else {
                        continue;
                    };
                    if !service_has_port(svc, port) {
                        let only: Vec<i64> = svc
                            .root
                            .at(&["spec", "ports"])
                            .map(Node::items)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|p| p.get("port").and_then(Node::as_i64))
                            .collect();
                        let fix = match (only.as_slice(), path.parent()) {
                            ([n], Some(port_path)) => Some(
                                Fix::new(
                                    Applicability::Unsafe,
                                    format!("use the Service's only port, {n}"),
                                )
                                .replace(&port_path, serde_json::json!({ "number": n })),
                            ),
                            _ => None,
                        };
                        let f = out.report(
                            id,
                            path,
                            format!(
                                "backend port {port} is not a port of Service `{name}` (it \
                                 defines {})",
                                describe_service_ports(svc)
                            ),
                        );
                        f.related(svc_id, Pointer::root().keys(&["spec", "ports"]));
                        if let Some(fix) = fix {
                            f.fix(fix);
                        }
                    }
                }
            }
        }
    }
}

/// A v1beta1 backend (`serviceName`, `servicePort`) rewritten in the v1 form.
fn v1beta1_migration(backend: &Node, path: &Pointer) -> Option<Fix> {
    let name = backend.get("serviceName").and_then(Node::as_text)?;
    let port = backend.get("servicePort")?;
    let port = match port.as_i64() {
        Some(n) => serde_json::json!({ "number": n }),
        None => serde_json::json!({ "name": port.as_text()? }),
    };
    // the backend whole, its other fields kept
    let mut rewritten = backend.to_json();
    let map = rewritten.as_object_mut()?;
    map.remove("serviceName");
    map.remove("servicePort");
    map.insert(
        "service".to_string(),
        serde_json::json!({ "name": name, "port": port }),
    );
    Some(
        Fix::new(
            Applicability::Unsafe,
            format!("write the backend as `service: {{name: {name}, port: ...}}`"),
        )
        .replace(path, rewritten),
    )
}
