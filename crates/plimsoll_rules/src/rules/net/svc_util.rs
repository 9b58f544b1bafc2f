//! Helpers shared by the Service, Ingress and Gateway API rules (NET1xx).

use std::collections::HashMap;

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

/// What the Services of one selector (in one namespace, as
/// [`selected_workloads`] reads it) reach.
#[derive(Debug, Default)]
pub struct ServiceClass {
    /// the workloads selected, ascending
    pub workloads: Vec<usize>,
    /// every distinct serving port of their templates: (name, number, protocol)
    pub ports: Vec<(Option<String>, Option<i64>, String)>,
}

/// The selections of every core Service of the input, computed once per distinct
/// selector: n Services sharing a selector over n workloads cost n, not n x n.
#[derive(Debug, Default)]
pub struct ServiceSelections {
    class_of: HashMap<usize, usize>,
    classes: Vec<ServiceClass>,
}

impl ServiceSelections {
    pub fn build(index: &Index) -> ServiceSelections {
        let mut out = ServiceSelections::default();
        let mut ids: HashMap<(String, LabelSelector), usize> = HashMap::new();
        for (id, svc) in index.of_kind("Service") {
            if !is_service(svc) {
                continue;
            }
            let (Some(ns), Some(sel)) = (svc.namespace.as_deref(), service_selector(svc)) else {
                continue;
            };
            let key = (ns.to_string(), sel.canonical());
            let next = out.classes.len();
            let c = *ids.entry(key).or_insert(next);
            if c == next {
                let workloads = selected_workloads(index, ns, &sel);
                let mut ports: Vec<(Option<String>, Option<i64>, String)> = workloads
                    .iter()
                    .filter_map(|&w| PodTemplate::of(index.object(w)))
                    .flat_map(|t| {
                        serving_ports(&t)
                            .into_iter()
                            .map(|d| (d.name.map(str::to_string), d.number, d.protocol.to_string()))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                ports.sort_unstable();
                ports.dedup();
                out.classes.push(ServiceClass { workloads, ports });
            }
            out.class_of.insert(id, c);
        }
        out
    }

    /// How many distinct selections there are.
    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    /// What a core Service with a selector selects (`None` for an ExternalName
    /// Service, one without a selector or without a namespace).
    pub fn of(&self, svc: usize) -> Option<&ServiceClass> {
        self.class_of.get(&svc).map(|&c| &self.classes[c])
    }
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

#[cfg(test)]
mod tests {
    use plimsoll_model::Index;

    use super::ServiceSelections;
    use crate::input::load_text;

    /// n Services sharing a selector over n workloads: one selection and one list of
    /// ports, however many Services (SEC008 and NET101 read it for each Service; they
    /// selected and read every workload for every Service).
    #[test]
    fn services_sharing_a_selector_share_one_selection() {
        for n in [10, 40] {
            let mut text = String::new();
            for i in 0..n {
                text += &format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: shop}}\nspec: {{template: {{metadata: {{labels: {{team: shop, app: d{i}}}}}, spec: {{containers: [{{name: c, ports: [{{name: http, containerPort: 8080}}]}}]}}}}}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: shop}}\nspec: {{selector: {{team: shop, statefulset.kubernetes.io/pod-name: x}}}}\n---\n"
                );
            }
            let index = Index::new(load_text(0, &text, "default").objects);
            let sel = ServiceSelections::build(&index);
            assert_eq!(sel.classes(), 1);
            let (s5, _) = index.get("Service", Some("shop"), "s5").unwrap();
            let class = sel.of(s5).unwrap();
            assert_eq!(class.workloads.len(), n, "controller labels are left out");
            assert_eq!(
                class.ports,
                [(Some("http".to_string()), Some(8080), "TCP".to_string())]
            );
        }
    }
}
