use plimsoll_model::{Node, Object, Pointer};

use super::svc_util::{
    describe_service_ports, ingress_backend_nodes, ingress_backends, is_ingress_v1, is_service,
    namespace_has_services, service_has_port,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

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
    /// No automatic fix: the intended Service or port cannot be inferred safely.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend>
    pub struct IngressBackendMissing {
        code: "NET104",
        name: "ingress-backend-missing",
        severity: Error,
        default: true,
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
            out.report(id, path, message);
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
                        out.report(
                            id,
                            path,
                            format!(
                                "backend port {port} is not a port of Service `{name}` (it \
                                 defines {})",
                                describe_service_ports(svc)
                            ),
                        )
                        .related(svc_id, Pointer::root().keys(&["spec", "ports"]));
                    }
                }
            }
        }
    }
}
