use plimsoll_model::{Index, Node, Object, Pointer};

use super::svc_util::{
    PortRef, describe_service_ports, is_service, namespace_has_services, service_has_port,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
const ROUTES: &[&str] = &["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];

declare_rule! {
    /// ## What it does
    /// Reports a `backendRef` of a Gateway API route (HTTPRoute, GRPCRoute, TLSRoute,
    /// TCPRoute, UDPRoute of `gateway.networking.k8s.io`) that names a Service that is
    /// not in the input, or a port (`port` is the Service's `ports[].port`) the Service
    /// does not define. References to other kinds (`group`/`kind` other than the
    /// default core `Service`) are not judged. Request mirror `backendRef`s of route
    /// filters are checked too.
    ///
    /// A reference into another namespace (`namespace` set) is only allowed by a
    /// ReferenceGrant in the target namespace whose `from` names the route's kind and
    /// namespace and whose `to` names `Service` (with no name, or this Service's name);
    /// a missing grant is reported when the target namespace is in the input. When the
    /// input holds no Service of the target namespace (or nothing at all of it), the
    /// route is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// The Gateway sets the route's `ResolvedRefs` condition to false and answers 500
    /// for the share of traffic that goes to the broken backend: a whole path goes down
    /// when it is the only backend, and a weighted canary silently fails a share of the
    /// requests when it is one of several.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1
    /// kind: HTTPRoute
    /// metadata: {name: shop, namespace: web}
    /// spec:
    ///   parentRefs: [{name: public, namespace: gateways}]
    ///   rules:
    ///     - backendRefs:
    ///         - {name: cart, namespace: shop, port: 8080}   # no ReferenceGrant in shop
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: gateway.networking.k8s.io/v1beta1
    /// kind: ReferenceGrant
    /// metadata: {name: web-routes, namespace: shop}
    /// spec:
    ///   from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]
    ///   to: [{group: "", kind: Service, name: cart}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: granting cross-namespace access is a security decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/gateway/>
    /// - <https://gateway-api.sigs.k8s.io/api-types/referencegrant/>
    /// - <https://gateway-api.sigs.k8s.io/reference/spec/#backendref>
    pub struct RouteBackendMissing {
        code: "NET109",
        name: "route-backend-missing",
        severity: Error,
        default: true,
        summary: "A Gateway API route references a Service or port that does not exist or is not granted",
    }
}

/// The request mirror backends of a filter list.
fn mirrors<'a>(filters: Option<&'a Node>, at: &Pointer, refs: &mut Vec<(&'a Node, Pointer)>) {
    let filters = filters.map(Node::items).unwrap_or_default();
    for (k, f) in filters.iter().enumerate() {
        if let Some(b) = f.at(&["requestMirror", "backendRef"]) {
            refs.push((
                b,
                at.key("filters")
                    .index(k)
                    .keys(&["requestMirror", "backendRef"]),
            ));
        }
    }
}

fn text<'a>(n: &'a Node, k: &str) -> &'a str {
    n.get(k).and_then(Node::as_text).unwrap_or("")
}

/// Every backend reference of a route, with its pointer.
fn backend_refs(route: &Object) -> Vec<(&Node, Pointer)> {
    let mut refs = Vec::new();
    let rules = route
        .root
        .at(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or_default();
    for (i, rule) in rules.iter().enumerate() {
        let at = Pointer::root().keys(&["spec", "rules"]).index(i);
        mirrors(rule.get("filters"), &at, &mut refs);
        let backends = rule.get("backendRefs").map(Node::items).unwrap_or_default();
        for (j, b) in backends.iter().enumerate() {
            let bat = at.key("backendRefs").index(j);
            refs.push((b, bat.clone()));
            mirrors(b.get("filters"), &bat, &mut refs);
        }
    }
    refs
}

/// Whether a ReferenceGrant in `target_ns` lets routes of `kind` in `from_ns` refer to
/// the Service `name`.
fn granted(index: &Index, target_ns: &str, kind: &str, from_ns: &str, name: &str) -> bool {
    index
        .of_kind_in("ReferenceGrant", target_ns)
        .filter(|(_, g)| g.group() == GATEWAY_GROUP)
        .any(|(_, g)| {
            let from = g
                .root
                .at(&["spec", "from"])
                .map(Node::items)
                .unwrap_or_default();
            let to = g
                .root
                .at(&["spec", "to"])
                .map(Node::items)
                .unwrap_or_default();
            from.iter().any(|f| {
                text(f, "group") == GATEWAY_GROUP
                    && text(f, "kind") == kind
                    && text(f, "namespace") == from_ns
            }) && to.iter().any(|t| {
                text(t, "group").is_empty()
                    && text(t, "kind") == "Service"
                    && (text(t, "name").is_empty() || text(t, "name") == name)
            })
        })
}

impl Rule for RouteBackendMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.group() != GATEWAY_GROUP || !ROUTES.contains(&obj.kind.as_str()) {
            return;
        }
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let mut unknown: Vec<String> = Vec::new();
        for (b, at) in backend_refs(obj) {
            let field = |k: &str| b.get(k).and_then(Node::as_text);
            if !text(b, "group").is_empty() || field("kind").unwrap_or("Service") != "Service" {
                continue;
            }
            let Some(name) = field("name") else {
                continue;
            };
            let target_ns = field("namespace").unwrap_or(ns);
            let cross = target_ns != ns;
            if cross && !cx.index.knows_namespace(target_ns) {
                unknown.push(format!("Service `{target_ns}/{name}`"));
                continue;
            }
            if cross && !granted(cx.index, target_ns, &obj.kind, ns, name) {
                out.report(
                    id,
                    at.key("namespace"),
                    format!(
                        "no ReferenceGrant in namespace `{target_ns}` lets {}s of namespace \
                         `{ns}` reference Service `{name}`: the Gateway refuses the backend",
                        obj.kind
                    ),
                );
            }
            if !namespace_has_services(cx.index, target_ns) {
                unknown.push(format!("Service `{target_ns}/{name}`"));
                continue;
            }
            let Some((svc_id, svc)) = cx
                .index
                .get("Service", Some(target_ns), name)
                .filter(|(_, s)| is_service(s))
            else {
                out.report(
                    id,
                    at.key("name"),
                    format!("backend Service `{name}` is not in namespace `{target_ns}`"),
                );
                continue;
            };
            match b.get("port").and_then(Node::as_i64) {
                None => {
                    out.report(
                        id,
                        at.key("port"),
                        format!(
                            "backendRef to Service `{name}` has no port: the API requires one \
                             for a Service"
                        ),
                    );
                }
                Some(port) if !service_has_port(svc, PortRef::Number(port)) => {
                    out.report(
                        id,
                        at.key("port"),
                        format!(
                            "backend port {port} is not a port of Service `{name}` (it defines {})",
                            describe_service_ports(svc)
                        ),
                    )
                    .related(svc_id, Pointer::root().keys(&["spec", "ports"]));
                }
                Some(_) => {}
            }
        }
        if !unknown.is_empty() {
            unknown.dedup();
            out.not_evaluated(
                id,
                format!(
                    "the input holds no Service of the namespace of {}, so whether it exists is unknown",
                    unknown.join(", ")
                ),
            );
        }
    }
}
