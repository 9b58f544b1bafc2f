//! Helpers shared by the MON rules: prometheus-operator's monitors as the operator
//! reads them, and what exposes metrics.

use plimsoll_model::{Index, LabelSelector, Node, Object, PodTemplate, Pointer};

pub const OPERATOR: &str = "monitoring.coreos.com";

/// Port names that say "metrics here".
const METRICS_PORTS: &[&str] = &["metrics", "http-metrics"];

/// The annotation of the Prometheus `kubernetes_sd` convention.
pub const SCRAPE: &str = "prometheus.io/scrape";

pub fn is_service_monitor(o: &Object) -> bool {
    o.kind == "ServiceMonitor" && o.group() == OPERATOR
}

pub fn is_pod_monitor(o: &Object) -> bool {
    o.kind == "PodMonitor" && o.group() == OPERATOR
}

/// Whether prometheus-operator is installed, as far as the input shows.
pub fn operator_known(index: &Index) -> bool {
    index.kind_known(OPERATOR, "ServiceMonitor") || index.kind_known(OPERATOR, "PodMonitor")
}

/// The namespaces a monitor looks in.
#[derive(Debug, Clone, PartialEq)]
pub enum Namespaces<'a> {
    /// `namespaceSelector.any: true`
    All,
    /// `namespaceSelector.matchNames`, or the monitor's own namespace (the default)
    Only(Vec<&'a str>),
}

impl Namespaces<'_> {
    pub fn contains(&self, ns: &str) -> bool {
        match self {
            Namespaces::All => true,
            Namespaces::Only(l) => l.contains(&ns),
        }
    }
}

/// What a monitor selects: its namespaces and its label selector (`None` when the
/// selector is missing or cannot be parsed).
pub struct Monitor<'a> {
    pub id: usize,
    pub namespaces: Namespaces<'a>,
    pub selector: Option<LabelSelector>,
}

pub fn monitor(id: usize, o: &Object) -> Monitor<'_> {
    let own = o.namespace.as_deref().unwrap_or("default");
    let ns_sel = o.root.at(&["spec", "namespaceSelector"]);
    let namespaces = if ns_sel.and_then(|s| s.get("any")).and_then(Node::as_bool) == Some(true) {
        Namespaces::All
    } else {
        let names: Vec<&str> = ns_sel
            .and_then(|s| s.get("matchNames"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_text)
            .collect();
        if names.is_empty() {
            Namespaces::Only(vec![own])
        } else {
            Namespaces::Only(names)
        }
    };
    let selector = o
        .root
        .at(&["spec", "selector"])
        .filter(|s| !s.is_null())
        .and_then(LabelSelector::from_label_selector);
    Monitor {
        id,
        namespaces,
        selector,
    }
}

/// The ServiceMonitors and PodMonitors of the input.
pub fn monitors(index: &Index) -> (Vec<Monitor<'_>>, Vec<Monitor<'_>>) {
    let sm = index
        .of_kind("ServiceMonitor")
        .filter(|(_, o)| is_service_monitor(o))
        .map(|(id, o)| monitor(id, o))
        .collect();
    let pm = index
        .of_kind("PodMonitor")
        .filter(|(_, o)| is_pod_monitor(o))
        .map(|(id, o)| monitor(id, o))
        .collect();
    (sm, pm)
}

/// Whether a ServiceMonitor selects a Service.
pub fn selects_service(m: &Monitor, svc: &Object) -> bool {
    svc.namespace
        .as_deref()
        .is_some_and(|ns| m.namespaces.contains(ns))
        && m.selector
            .as_ref()
            .is_some_and(|s| s.matches(|k| svc.label(k)))
}

/// Whether a PodMonitor selects the pods of a template in namespace `ns`.
pub fn selects_pods(m: &Monitor, ns: &str, t: &PodTemplate) -> bool {
    m.namespaces.contains(ns)
        && m.selector.as_ref().is_some_and(|s| {
            let labels: Vec<(&str, &str)> = t.labels().collect();
            s.matches_pairs(&labels)
        })
}

/// Where a Service says it exposes metrics: a port named `metrics` or
/// `http-metrics`, else `prometheus.io/scrape: "true"`.
pub fn service_metrics(svc: &Object) -> Option<Pointer> {
    let ports = svc
        .root
        .at(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or_default();
    if let Some(i) = ports.iter().position(|p| {
        p.get("name")
            .and_then(Node::as_text)
            .is_some_and(|n| METRICS_PORTS.contains(&n))
    }) {
        return Some(
            Pointer::root()
                .keys(&["spec", "ports"])
                .index(i)
                .key("name"),
        );
    }
    (svc.annotation(SCRAPE) == Some("true"))
        .then(|| Pointer::root().keys(&["metadata", "annotations", SCRAPE]))
}

/// Where a pod template says it exposes metrics: a container port named `metrics` or
/// `http-metrics`, else `prometheus.io/scrape: "true"` on the template.
pub fn template_metrics(t: &PodTemplate) -> Option<(Pointer, Option<String>)> {
    for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
        let ports = c.node.get("ports").map(Node::items).unwrap_or_default();
        if let Some(i) = ports.iter().position(|p| {
            p.get("name")
                .and_then(Node::as_text)
                .is_some_and(|n| METRICS_PORTS.contains(&n))
        }) {
            return Some((
                c.field_pointer(&["ports"]).index(i).key("name"),
                Some(c.name.to_string()),
            ));
        }
    }
    (t.annotation(SCRAPE) == Some("true")).then(|| (t.meta_pointer(&["annotations", SCRAPE]), None))
}

/// The port names a Service declares.
pub fn service_port_names(svc: &Object) -> impl Iterator<Item = &str> {
    svc.root
        .at(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get("name").and_then(Node::as_text))
}

/// The container port names a pod template declares (sidecars included).
pub fn template_port_names<'a>(t: &PodTemplate<'a>) -> Vec<&'a str> {
    t.containers()
        .filter(|c| c.kind.counts_for_resources())
        .flat_map(|c| c.ports().filter_map(|(n, _)| n).collect::<Vec<_>>())
        .collect()
}
