//! Helpers shared by the Service, Ingress and Gateway API rules (NET1xx).

use plimsoll_model::{ContainerKind, Index, LabelSelector, Object, PodTemplate};
use plimsoll_yaml::{Node, Pointer};

/// Whether `obj` is a core Service.
pub fn is_service(obj: &Object) -> bool {
    obj.kind == "Service" && obj.group().is_empty()
}

/// Whether `obj` is an Ingress of any served or removed API version
/// (`networking.k8s.io/v1`, `networking.k8s.io/v1beta1`, `extensions/v1beta1`).
pub fn is_ingress(obj: &Object) -> bool {
    obj.kind == "Ingress" && matches!(obj.group(), "networking.k8s.io" | "extensions")
}

/// Whether `obj` is a `networking.k8s.io/v1` Ingress (backends as `service.name` and
/// `service.port.number|name`).
pub fn is_ingress_v1(obj: &Object) -> bool {
    is_ingress(obj) && obj.api_version == "networking.k8s.io/v1"
}

/// Labels that controllers add to the pods they create, so that no pod template in the
/// input carries them although the running pods do (a per-pod Service selecting
/// `statefulset.kubernetes.io/pod-name: web-0` is a common pattern).
pub const CONTROLLER_LABELS: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "controller-uid",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/job-completion-index",
    "rollouts-pod-template-hash",
];

/// A Service's selector as Kubernetes applies it: `None` for an ExternalName Service
/// and for a missing or empty selector (the API stores `{}` as no selector; the
/// Endpoints of such a Service are managed by hand).
pub fn service_selector(svc: &Object) -> Option<LabelSelector> {
    let spec = svc.spec()?;
    if spec.get("type").and_then(Node::as_text) == Some("ExternalName") {
        return None;
    }
    let sel = LabelSelector::from_map(spec.get("selector")?);
    (!sel.is_empty()).then_some(sel)
}

/// The workloads in `ns` whose pod templates a Service selector selects. Requirements
/// on labels that controllers add to pods ([`CONTROLLER_LABELS`]) are left out, since
/// templates never carry them.
pub fn selected_workloads(index: &Index, ns: &str, sel: &LabelSelector) -> Vec<usize> {
    if sel
        .requirements
        .iter()
        .all(|r| !CONTROLLER_LABELS.contains(&r.key.as_str()))
    {
        return index.workloads_matching(ns, sel);
    }
    let reduced = LabelSelector {
        requirements: sel
            .requirements
            .iter()
            .filter(|r| !CONTROLLER_LABELS.contains(&r.key.as_str()))
            .cloned()
            .collect(),
    };
    index.workloads_matching(ns, &reduced)
}

/// A container port as the endpoints controller sees it.
pub struct DeclaredPort<'a> {
    pub name: Option<&'a str>,
    pub number: Option<i64>,
    /// `TCP` when not written.
    pub protocol: &'a str,
}

/// The ports the endpoints controller resolves a Service's `targetPort` against:
/// those of regular containers and of sidecars (`initContainers` with
/// `restartPolicy: Always`). Init containers that run to completion and ephemeral
/// containers never receive Service traffic.
pub fn serving_ports<'a>(t: &PodTemplate<'a>) -> Vec<DeclaredPort<'a>> {
    t.containers()
        .filter(|c| matches!(c.kind, ContainerKind::Regular | ContainerKind::Sidecar))
        .flat_map(|c| c.get("ports").map(Node::items).unwrap_or_default().iter())
        .map(|p| DeclaredPort {
            name: p.get("name").and_then(Node::as_text),
            number: p.get("containerPort").and_then(Node::as_i64),
            protocol: p.get("protocol").and_then(Node::as_text).unwrap_or("TCP"),
        })
        .collect()
}

/// A port an Ingress or route names on a Service: by number (the Service's `port`) or
/// by name (the Service port's `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRef<'a> {
    Number(i64),
    Name(&'a str),
}

impl std::fmt::Display for PortRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(n) => write!(f, "`{n}`"),
        }
    }
}

/// Whether a Service defines the port. An ExternalName Service without ports accepts
/// any port (the traffic goes to the external name as addressed).
pub fn service_has_port(svc: &Object, port: PortRef) -> bool {
    let spec = svc.spec();
    let ports = spec
        .and_then(|s| s.get("ports"))
        .map(Node::items)
        .unwrap_or_default();
    let external = spec.and_then(|s| s.get("type")).and_then(Node::as_text) == Some("ExternalName");
    if external && ports.is_empty() {
        return true;
    }
    ports.iter().any(|p| match port {
        PortRef::Number(n) => p.get("port").and_then(Node::as_i64) == Some(n),
        PortRef::Name(n) => p.get("name").and_then(Node::as_text) == Some(n),
    })
}

/// The ports a Service defines, for messages (`80/http, 443/https`).
pub fn describe_service_ports(svc: &Object) -> String {
    let ports: Vec<String> = svc
        .root
        .at(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let n = p.get("port").and_then(Node::as_text)?;
            Some(match p.get("name").and_then(Node::as_text) {
                Some(name) => format!("{n}/{name}"),
                None => n.to_string(),
            })
        })
        .collect();
    if ports.is_empty() {
        "none".to_string()
    } else {
        ports.join(", ")
    }
}

/// Whether the input holds any core Service in `ns`.
pub fn namespace_has_services(index: &Index, ns: &str) -> bool {
    index.of_kind_in("Service", ns).any(|(_, o)| is_service(o))
}

/// A Service backend of an Ingress (`networking.k8s.io/v1`): where it is written, the
/// Service name and the port.
pub struct IngressBackend<'a> {
    /// Pointer to the backend's `service` field.
    pub path: Pointer,
    pub name: &'a str,
    /// `None` when the backend names no port (the API rejects that).
    pub port: Option<(PortRef<'a>, Pointer)>,
}

/// Every backend of a v1 Ingress, written or not: `spec.defaultBackend` and
/// `spec.rules[].http.paths[].backend`, with where it is (a path's backend is `None`
/// when the path has none).
pub fn ingress_backend_nodes(ing: &Object) -> Vec<(Option<&Node>, Pointer)> {
    let mut found = Vec::new();
    let Some(spec) = ing.spec() else {
        return found;
    };
    if let Some(d) = spec.get("defaultBackend").filter(|n| !n.is_null()) {
        found.push((Some(d), Pointer::root().keys(&["spec", "defaultBackend"])));
    }
    for (i, rule) in spec
        .get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let paths = rule
            .at(&["http", "paths"])
            .map(Node::items)
            .unwrap_or_default();
        for (j, p) in paths.iter().enumerate() {
            found.push((
                p.get("backend").filter(|n| !n.is_null()),
                Pointer::root()
                    .keys(&["spec", "rules"])
                    .index(i)
                    .keys(&["http", "paths"])
                    .index(j)
                    .key("backend"),
            ));
        }
    }
    found
}

/// Every Service backend of a v1 Ingress: `spec.defaultBackend` and
/// `spec.rules[].http.paths[].backend`. Resource backends are left out.
pub fn ingress_backends<'a>(ing: &'a Object) -> Vec<IngressBackend<'a>> {
    let mut found = Vec::new();
    for (node, at) in ingress_backend_nodes(ing) {
        let Some(svc) = node.and_then(|b| b.get("service")) else {
            continue;
        };
        let Some(name) = svc.get("name").and_then(Node::as_text) else {
            continue;
        };
        let path = at.key("service");
        let port = svc.get("port").and_then(|p| {
            if let Some(n) = p.get("number").and_then(Node::as_i64) {
                Some((PortRef::Number(n), path.keys(&["port", "number"])))
            } else {
                p.get("name")
                    .and_then(Node::as_text)
                    .map(|n| (PortRef::Name(n), path.keys(&["port", "name"])))
            }
        });
        found.push(IngressBackend { path, name, port });
    }
    found
}
