use plimsoll_model::{Node, Object, Pointer};

use super::util::{
    Namespaces, is_pod_monitor, is_service_monitor, monitor, selects_pods, selects_service,
    service_port_names, template_port_names,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a prometheus-operator `ServiceMonitor` or `PodMonitor` that scrapes
    /// nothing:
    /// - its `selector`, in the namespaces of its `namespaceSelector` (by default the
    ///   monitor's own; `matchNames`; `any: true` for all), matches no Service (for a
    ///   ServiceMonitor) or no pod template (for a PodMonitor) of the input;
    /// - or it matches some, but an entry of `endpoints` (`podMetricsEndpoints`) names
    ///   a `port` that none of them declares: a ServiceMonitor's `port` is a Service
    ///   port **name**, a PodMonitor's a container port **name**. Entries that use
    ///   `targetPort` or `portNumber` instead are not judged.
    ///
    /// A monitor that matches nothing is judged only when the input holds every
    /// namespace it looks in (their Namespace objects, a directory, a live cluster);
    /// otherwise it is reported as not evaluated. With `any: true`, only a live audit
    /// holds them all.
    ///
    /// ## Why it matters in production
    /// The operator turns a monitor that matches nothing into a scrape configuration
    /// with no targets, silently: no error, no alert, just missing series. The usual
    /// causes are a selector copied from pod labels onto a ServiceMonitor, a Service
    /// in another namespace without `namespaceSelector`, and an unnamed port.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: monitoring.coreos.com/v1
    /// kind: ServiceMonitor
    /// metadata: {name: api, namespace: monitoring}
    /// spec:
    ///   selector: {matchLabels: {app: api}}   # the Service is in `shop`
    ///   endpoints: [{port: metrics}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   namespaceSelector: {matchNames: [shop]}
    ///   selector: {matchLabels: {app: api}}
    ///   endpoints: [{port: metrics}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the selector, the namespace or the port is wrong is
    /// for you to say.
    ///
    /// ## References
    /// - <https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor>
    /// - <https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PodMonitor>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/>
    pub struct MonitorSelectsNothing {
        code: "MON002",
        name: "monitor-selects-nothing",
        severity: Warning,
        default: true,
        summary: "A ServiceMonitor or PodMonitor matches no Service or pod, or no port of them",
    }
}

impl Rule for MonitorSelectsNothing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let service = is_service_monitor(obj);
        if !service && !is_pod_monitor(obj) {
            return;
        }
        let m = monitor(id, obj);
        if m.selector.is_none() {
            // missing or malformed: the API server's schema rejects it
            return;
        }
        let namespaces: Vec<&str> = match &m.namespaces {
            Namespaces::All => cx.index.namespaces().collect(),
            Namespaces::Only(l) => l.clone(),
        };
        // what it matches, and the port names they declare
        let mut matched: Vec<usize> = Vec::new();
        let mut ports: Vec<&str> = Vec::new();
        for ns in &namespaces {
            if service {
                for (sid, svc) in cx.index.of_kind_in("Service", ns) {
                    if svc.group().is_empty() && selects_service(&m, svc) {
                        matched.push(sid);
                        ports.extend(service_port_names(svc));
                    }
                }
            } else {
                for &w in cx.index.workloads_in(ns) {
                    if let Some(t) = cx.index.pod_template(w)
                        && selects_pods(&m, ns, &t)
                    {
                        matched.push(w);
                        ports.extend(template_port_names(&t));
                    }
                }
            }
        }
        let what = if service { "Service" } else { "pod template" };
        if matched.is_empty() {
            let held = match &m.namespaces {
                Namespaces::All => cx.live().is_some(),
                Namespaces::Only(l) => {
                    cx.live().is_some() || l.iter().all(|ns| cx.index.holds_namespace(ns))
                }
            };
            if !held {
                out.not_evaluated(
                    id,
                    format!(
                        "the input does not hold every namespace the {} looks in ({}), so \
                         whether its selector matches a {what} is unknown",
                        obj.kind,
                        match &m.namespaces {
                            Namespaces::All => "any: all namespaces".to_string(),
                            Namespaces::Only(l) => l.join(", "),
                        }
                    ),
                );
                return;
            }
            out.report(
                id,
                Pointer::root().keys(&["spec", "selector"]),
                format!(
                    "{} `{}` selects no {what} in {}: it scrapes nothing",
                    obj.kind,
                    obj.name,
                    match &m.namespaces {
                        Namespaces::All => "any namespace".to_string(),
                        Namespaces::Only(l) if l.len() == 1 => format!("namespace `{}`", l[0]),
                        Namespaces::Only(l) => format!("namespaces {}", l.join(", ")),
                    }
                ),
            );
            return;
        }
        let key = if service {
            "endpoints"
        } else {
            "podMetricsEndpoints"
        };
        let endpoints = obj
            .root
            .at(&["spec", key])
            .map(Node::items)
            .unwrap_or_default();
        for (i, e) in endpoints.iter().enumerate() {
            let Some(port) = e.get("port").and_then(Node::as_text) else {
                continue;
            };
            if ports.contains(&port) {
                continue;
            }
            let kind = if service {
                "Service port"
            } else {
                "container port"
            };
            let n = matched.len();
            let selected = if n == 1 {
                format!("the {what} it selects has no {kind}")
            } else {
                format!("none of the {n} {what}s it selects has a {kind}")
            };
            out.report(
                id,
                Pointer::root().keys(&["spec", key]).index(i).key("port"),
                format!(
                    "{} `{}` scrapes port `{port}`, but {selected} of that name: no target is \
                     created for it",
                    obj.kind, obj.name
                ),
            )
            .related_all(&matched, |_| Pointer::root());
        }
    }
}
