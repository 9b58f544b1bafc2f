use std::collections::{BTreeMap, BTreeSet, HashMap};

use plimsoll_model::{LabelSelector, Node, Pointer};

use super::policy::{M, NetModel, Proto};
use crate::declare_rule;
use crate::rule::{Context, MAX_RELATED, Rule, Sink, list_capped};

declare_rule! {
    /// ## What it does
    /// Reports a NetworkPolicy that isolates the pods behind an Ingress for ingress
    /// and has no rule letting the ingress controller in. The path is followed
    /// through the input: an Ingress (`spec.defaultBackend` and every
    /// `rules[].http.paths[].backend`, `networking.k8s.io/v1` or the older
    /// `serviceName` form) names a Service, whose selector picks workloads of its
    /// namespace; each of those isolated for ingress must have an ingress rule (of a
    /// policy selecting it) whose peers match the controller's pods and that opens
    /// at least one port.
    ///
    /// The ingress controller is found in the input: workloads labelled
    /// `app.kubernetes.io/name` `ingress-nginx`, `nginx-ingress`, `traefik`,
    /// `haproxy-ingress`, `kong` or `contour` (on the object or its pod template),
    /// matched with their namespace and pod labels; failing that, a Namespace object
    /// named `ingress-nginx`, whose pods' labels are unknown (a peer with a non-empty
    /// podSelector is then not evaluated). Allowing any one controller found is
    /// enough. Without a known controller the Ingress is reported as not evaluated;
    /// controllers with `hostNetwork: true` are left out (their traffic comes from a
    /// node address, which no pod selector matches).
    /// The port must be open too: the Ingress backend's Service port (number or
    /// name) leads to the Service's `targetPort` (default: the port itself), a
    /// named targetPort is resolved on the pods' container ports; when that chain
    /// breaks (no such Service port), any open port counts.
    ///
    /// ## Why it matters in production
    /// The controller proxies every external request to the pods; a default-deny
    /// policy without an allowance for it turns the whole site into 502/504 errors
    /// the moment the policy is applied.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    ///   ingress:
    ///     - from: [{podSelector: {matchLabels: {app: api}}}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///   ingress:
    ///     - from: [{podSelector: {matchLabels: {app: api}}}]
    ///     - from:
    ///         - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
    ///           podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
    ///       ports: [{port: 8080}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the controller's namespace and labels depend on how it was
    /// installed.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/>
    pub struct IngressControllerCutOff {
        code: "NET006",
        name: "ingress-controller-cut-off",
        severity: Warning,
        default: true,
        summary: "A NetworkPolicy blocks the ingress controller from an Ingress backend",
    }
}

const CONTROLLERS: &[&str] = &[
    "ingress-nginx",
    "nginx-ingress",
    "traefik",
    "haproxy-ingress",
    "kong",
    "contour",
];
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// A controller: namespace and pod labels (`None`: unknown).
type Controller = (String, Option<Vec<(String, String)>>);

/// The Services an Ingress routes to, with the Service port it names (a number or
/// a port name).
fn backends<'a>(ing: &'a Node) -> Vec<(&'a str, Option<&'a Node>)> {
    let mut out: Vec<(&'a str, Option<&'a Node>)> = Vec::new();
    let mut push = |b: Option<&'a Node>| {
        if let Some(b) = b
            && let Some(name) = b
                .at(&["service", "name"])
                .or_else(|| b.get("serviceName"))
                .and_then(Node::as_text)
        {
            let port = b
                .at(&["service", "port", "number"])
                .or_else(|| b.at(&["service", "port", "name"]))
                .or_else(|| b.get("servicePort"));
            if !out.iter().any(|(n, p)| {
                *n == name && p.and_then(Node::as_text) == port.and_then(Node::as_text)
            }) {
                out.push((name, port));
            }
        }
    };
    push(ing.at(&["spec", "defaultBackend"]));
    push(ing.at(&["spec", "backend"]));
    for r in ing
        .at(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or_default()
    {
        for p in r
            .at(&["http", "paths"])
            .map(Node::items)
            .unwrap_or_default()
        {
            push(p.get("backend"));
        }
    }
    out
}

/// The pod port a Service port sends to, resolved on an endpoint's containers:
/// `None` when it cannot be told (then any open port counts).
fn target_port(
    svc: &Node,
    port: Option<&Node>,
    named: &[(String, Proto, i64)],
) -> Option<(Proto, i64)> {
    let port = port?;
    let sp = svc
        .at(&["spec", "ports"])?
        .items()
        .iter()
        .find(|p| match port.as_i64() {
            Some(n) => p.get("port").and_then(Node::as_i64) == Some(n),
            None => p.get("name").and_then(Node::as_text) == port.as_text(),
        })?;
    let proto = Proto::parse(sp.get("protocol").and_then(Node::as_text).unwrap_or("TCP"))?;
    let target = sp.get("targetPort").or_else(|| sp.get("port"))?;
    match target.as_i64() {
        Some(n) => Some((proto, n)),
        None => named
            .iter()
            .find(|(n, p, _)| Some(n.as_str()) == target.as_text() && *p == proto)
            .map(|(_, p, n)| (*p, *n)),
    }
}

impl Rule for IngressControllerCutOff {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let ingresses: Vec<usize> = cx
            .index
            .of_kind("Ingress")
            .filter(|(_, o)| matches!(o.group(), "networking.k8s.io" | "extensions"))
            .map(|(id, _)| id)
            .collect();
        if ingresses.is_empty() {
            return;
        }
        let model = cx.net();
        let found: Vec<&super::policy::Endpoint> = model
            .endpoints
            .iter()
            .filter(|e| {
                let o = cx.index.object(e.id);
                let is = |v: &str| CONTROLLERS.contains(&v);
                o.label(NAME_LABEL).is_some_and(is)
                    || e.labels.iter().any(|(k, v)| k == NAME_LABEL && is(v))
            })
            .collect();
        // a hostNetwork controller connects with its node's address, which pod
        // selectors never match: not judged
        let mut controllers: Vec<Controller> = found
            .iter()
            .filter(|e| !e.host_network)
            .map(|e| (e.ns.clone(), Some(e.labels.clone())))
            .collect();
        if found.is_empty() && cx.index.namespace_object("ingress-nginx").is_some() {
            controllers.push(("ingress-nginx".to_string(), None));
        }
        // Ingresses that route to the same Service port are judged once, and a
        // workload once per set of policies over it and target port: n Ingresses in
        // front of a Service over n workloads cost n, not n x n.
        // (Service, the port the Ingress names) -> the Ingresses routing to it
        type Backend<'n> = ((usize, Option<&'n Node>), Vec<usize>);
        let mut backends_of: Vec<Backend> = Vec::new();
        let mut backend_ids: HashMap<(usize, Option<&str>, Option<i64>), usize> = HashMap::new();
        for ing in ingresses {
            let io = cx.index.object(ing);
            let ns = io.namespace.as_deref().unwrap_or_default();
            for (svc, svc_port) in backends(&io.root) {
                let Some((sid, _)) = cx.index.get("Service", Some(ns), svc) else {
                    continue;
                };
                let key = (
                    sid,
                    svc_port.and_then(Node::as_text),
                    svc_port.and_then(Node::as_i64),
                );
                let b = *backend_ids.entry(key).or_insert_with(|| {
                    backends_of.push(((sid, svc_port), Vec::new()));
                    backends_of.len() - 1
                });
                // an Ingress naming the same backend twice counts once
                if backends_of[b].1.last() != Some(&ing) {
                    backends_of[b].1.push(ing);
                }
            }
        }
        let cns: BTreeSet<&str> = controllers.iter().map(|(n, _)| n.as_str()).collect();
        let cns: Vec<&str> = cns.into_iter().collect();
        // (policies over the endpoint, target port, its named ports) -> verdict
        type Key = (usize, Option<(Proto, i64)>, Vec<(String, Proto, i64)>);
        let mut verdicts: HashMap<Key, M> = HashMap::new();
        let mut unknown_reported = BTreeSet::new();
        let mut ingress_reported = BTreeSet::new();
        // per policy (the first isolating the pods): the backends, workloads and
        // target ports it cuts off
        let mut cut: BTreeMap<usize, Cut> = BTreeMap::new();
        for (b, ((sid, svc_port), ings)) in backends_of.iter().enumerate() {
            let so = cx.index.object(*sid);
            let ns = so.namespace.as_deref().unwrap_or_default();
            let sel = so
                .root
                .at(&["spec", "selector"])
                .map(LabelSelector::from_map)
                .unwrap_or_default();
            if sel.is_empty() {
                continue;
            }
            // ExternalName Services are not in the index's relation; their selector
            // is matched here
            let matched;
            let targets: &[usize] = if cx.index.service_targets(*sid).is_empty() {
                matched = cx.index.workloads_matching(ns, &sel);
                &matched
            } else {
                cx.index.service_targets(*sid)
            };
            for &w in targets {
                let Some(d) = model.endpoint_of(w) else {
                    continue;
                };
                let pols = model.ingress_of(d);
                if pols.is_empty() || model.endpoints[d].host_network {
                    continue;
                }
                if controllers.is_empty() {
                    for &ing in ings {
                        if ingress_reported.insert(ing) {
                            out.not_evaluated(
                                ing,
                                "no ingress controller in the input (a workload without hostNetwork labelled app.kubernetes.io/name: ingress-nginx or similar, or the ingress-nginx Namespace)",
                            );
                        }
                    }
                    continue;
                }
                let named = &model.endpoints[d].named_ports;
                let target = target_port(&so.root, *svc_port, named);
                let acc = *verdicts
                    .entry((model.ingress_group(d), target, named.clone()))
                    .or_insert_with(|| {
                        admits_controllers(model, pols, named, target, &controllers)
                    });
                match acc {
                    M::Yes => {}
                    M::Unknown => {
                        if unknown_reported.insert(w) {
                            out.not_evaluated(
                                w,
                                "whether its ingress rules admit the ingress controller depends on labels the input does not hold",
                            );
                        }
                    }
                    M::No => {
                        let c = cut.entry(pols[0]).or_default();
                        if c.backends.last() != Some(&b) {
                            c.backends.push(b);
                        }
                        c.workloads.insert(w);
                        if let Some(t) = target {
                            c.ports.insert(t);
                        }
                    }
                }
            }
        }
        for (pi, c) in cut {
            let p = &model.policies[pi];
            let has_ingress = cx
                .index
                .object(p.id)
                .root
                .at(&["spec", "ingress"])
                .is_some();
            let field = if has_ingress {
                "ingress"
            } else {
                "podSelector"
            };
            // the Ingresses and Services of its backends, ascending, without repeats
            let ings: BTreeSet<usize> = if c.backends.len() == 1 {
                BTreeSet::new()
            } else {
                c.backends
                    .iter()
                    .flat_map(|&b| backends_of[b].1.iter().copied())
                    .collect()
            };
            let ings: Vec<usize> = if c.backends.len() == 1 {
                backends_of[c.backends[0]].1.clone()
            } else {
                ings.into_iter().collect()
            };
            let svcs: Vec<usize> = c
                .backends
                .iter()
                .map(|&b| backends_of[b].0.0)
                .collect::<BTreeSet<usize>>()
                .into_iter()
                .collect();
            let workloads: Vec<usize> = c.workloads.into_iter().collect();
            let ports = match c.ports.len() {
                0 => String::new(),
                1 => {
                    let (p, n) = c.ports.first().copied().unwrap_or((Proto::Tcp, 0));
                    format!(" on port {n}/{}", p.as_str())
                }
                _ => format!(
                    " on ports {}",
                    c.ports
                        .iter()
                        .map(|(p, n)| format!("{n}/{}", p.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let name = |id: usize| &cx.index.object(id).name;
            let message = if ings.len() == 1 && svcs.len() == 1 && workloads.len() == 1 {
                let wo = cx.index.object(workloads[0]);
                format!(
                    "Ingress `{}` routes to Service `{}` whose pods ({} `{}`) this policy isolates for ingress, but no ingress rule admits the ingress controller in namespace `{}`{ports}",
                    name(ings[0]),
                    name(svcs[0]),
                    wo.kind,
                    wo.name,
                    cns.join("`, `"),
                )
            } else {
                format!(
                    "Ingress{} {} {} to Service{} {} whose pods ({}) this policy isolates for ingress, but no ingress rule admits the ingress controller in namespace `{}`{ports}",
                    if ings.len() == 1 { "" } else { "es" },
                    list_capped(
                        ings.iter().map(|&i| format!("`{}`", name(i))),
                        ings.len(),
                        MAX_RELATED
                    ),
                    if ings.len() == 1 { "routes" } else { "route" },
                    if svcs.len() == 1 { "" } else { "s" },
                    list_capped(
                        svcs.iter().map(|&s| format!("`{}`", name(s))),
                        svcs.len(),
                        MAX_RELATED
                    ),
                    list_capped(
                        workloads.iter().map(|&w| {
                            let wo = cx.index.object(w);
                            format!("{} `{}`", wo.kind, wo.name)
                        }),
                        workloads.len(),
                        MAX_RELATED
                    ),
                    cns.join("`, `"),
                )
            };
            let f = out.report(p.id, Pointer::root().keys(&["spec", field]), message);
            // one of each first, then the rest of each in turn
            let mut lists = [ings.as_slice(), svcs.as_slice(), workloads.as_slice()];
            let total: usize = lists.iter().map(|l| l.len()).sum();
            let mut listed = 0;
            while listed < MAX_RELATED.min(total) {
                for l in &mut lists {
                    if let Some((&first, rest)) = l.split_first()
                        && listed < MAX_RELATED
                    {
                        f.related(first, Pointer::root());
                        *l = rest;
                        listed += 1;
                    }
                }
            }
            f.related_omitted += total - listed;
        }
    }
}

/// What one policy cuts off from the ingress controller.
#[derive(Default)]
struct Cut {
    /// indices into the distinct backends, ascending
    backends: Vec<usize>,
    workloads: BTreeSet<usize>,
    ports: BTreeSet<(Proto, i64)>,
}

/// Whether the ingress rules of the policies isolating an endpoint admit one of the
/// controllers on the target port (any open port when it cannot be told).
fn admits_controllers(
    model: &NetModel,
    pols: &[usize],
    named: &[(String, Proto, i64)],
    target: Option<(Proto, i64)>,
    controllers: &[Controller],
) -> M {
    let mut acc = M::No;
    for &pi in pols {
        let p = &model.policies[pi];
        for r in &p.ingress {
            let open = NetModel::rule_ports(r, named);
            let opens = match target {
                Some((p, n)) => open.contains(p, n),
                None => !open.is_empty(),
            };
            if !opens {
                continue;
            }
            for (cns, labels) in controllers {
                let pairs: Option<Vec<(&str, &str)>> = labels
                    .as_ref()
                    .map(|l| l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect());
                acc = acc.or(model.rule_matches(r, &p.ns, cns, pairs.as_deref()));
            }
        }
    }
    acc
}
