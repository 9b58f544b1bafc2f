use std::collections::HashMap;

use plimsoll_model::{Index, Node, Object, PodTemplate, Pointer, closest};

use super::svc_util::{is_service, selected_workloads, service_selector, serving_ports};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a Service port whose `targetPort` the containers of the selected pod
    /// templates do not expose. `targetPort` defaults to the Service's `port`. A named
    /// `targetPort` resolves, as the endpoints controller does it, against the
    /// `containerPort` names of regular containers and sidecars (`initContainers` with
    /// `restartPolicy: Always`) with the same protocol, pod by pod: every pod template
    /// the Service selects must declare it. When none does, or when some do and others
    /// do not (the finding names those), the finding is an error.
    ///
    /// A numeric `targetPort` needs no declaration: `containerPort` is informational and
    /// many images listen on ports they never declare. It is reported, as a warning,
    /// only for pod templates whose containers declare ports and none with that number
    /// (most often a port renumbered on one side only). Templates that declare no ports
    /// are not judged for numeric ports. Services without a selector, `ExternalName`
    /// Services and Services that select nothing (see NET101) are skipped.
    ///
    /// ## Why it matters in production
    /// The endpoints controller leaves a pod out of a Service port when the named port
    /// does not resolve on it: when no pod declares it, the Service has no ready
    /// endpoints for that port, and clients get connection refused or 503s from the
    /// Ingress in front; when only some do, the others (a canary, a second version
    /// during a migration) silently receive no traffic. A numeric port
    /// that nothing listens on fails the same way, only later, at connection time.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{name: http, port: 80, targetPort: http}]
    /// ---
    /// kind: Deployment
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           ports: [{name: web, containerPort: 8080}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     ports: [{name: http, containerPort: 8080}]
    /// ```
    ///
    /// ## Fix safety
    /// When no selected pod template declares the target, the fix rewrites the
    /// Service's `targetPort` to a port name that every selected template declares for
    /// the port's protocol: for a named `targetPort`, the one such name close enough to
    /// be a slip of it (one edit for names up to 3 characters, two up to 8, three
    /// beyond; no fix when two names are that close); for a numeric one (or one
    /// defaulting to the port), the name of the Service port itself when the containers
    /// declare a port of that name. It is unsafe: the Service starts sending traffic to
    /// that container port, and the container side may be the one that is wrong.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/>
    pub struct ServiceTargetPortMissing {
        code: "NET102",
        name: "service-target-port-missing",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A Service's targetPort is exposed by no container of the pods it selects",
    }
}

/// How many workloads (or port numbers) a message names, and how many related
/// objects a finding lists.
const LISTED: usize = 20;

/// A container port of a signature: name, number, protocol (an owned
/// [`DeclaredPort`](super::svc_util::DeclaredPort)).
type Port = (Option<String>, Option<i64>, String);

/// The workloads one Service selector selects, grouped by port signature (the
/// serving ports of their pod templates, in order): every Service with that selector
/// checks each distinct signature once, not each workload.
struct Selection {
    /// How many workloads with a pod template it selects.
    templates: usize,
    /// The signatures in order of first appearance.
    groups: Vec<Group>,
    /// The first [`LISTED`] workloads' names, for messages.
    names: Vec<String>,
}

/// The workloads of a selection with one signature.
struct Group {
    /// The signature's number.
    sig: usize,
    /// The first [`LISTED`] workloads, as (position in the selection, object id).
    first: Vec<(usize, usize)>,
    /// How many workloads.
    count: usize,
}

impl Rule for ServiceTargetPortMissing {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        judge(cx, out);
    }
}

/// What [`judge`] did, for tests: the measure of its work.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Work {
    /// Distinct selectors evaluated.
    selections: usize,
    /// Workloads those selections visited.
    selected: usize,
    /// Pod templates whose serving ports were read.
    templates_read: usize,
    /// Distinct port signatures among them.
    signatures: usize,
    /// (Service port, signature) pairs judged.
    checks: usize,
}

/// Judges every Service of the input. The work is shared across Services: every
/// workload's port signature is read once, every distinct selector's selection
/// computed once, so that n Services over the same n workloads cost O(n) plus one
/// check per Service port and distinct signature, and a finding names at most
/// [`LISTED`] workloads.
fn judge(cx: &Context, out: &mut Sink) -> Work {
    let index = cx.index;
    let mut work = Work::default();
    let mut sig_ids: HashMap<Vec<Port>, usize> = HashMap::new();
    let mut sigs: Vec<Vec<Port>> = Vec::new();
    // per workload: its signature (`None`: no pod template)
    let mut sig_of: HashMap<usize, Option<usize>> = HashMap::new();
    type SelectorKey = (String, Vec<(String, u8, Vec<String>)>);
    let mut selections: HashMap<SelectorKey, Selection> = HashMap::new();
    let mut services: Vec<(usize, &Object)> = index
        .of_kind("Service")
        .filter(|&(id, o)| is_service(o) && !index.judged_through_owner(id))
        .collect();
    services.sort_unstable_by_key(|&(id, _)| id);
    for (id, obj) in services {
        let (Some(ns), Some(sel)) = (obj.namespace.as_deref(), service_selector(obj)) else {
            continue;
        };
        if index.workloads_in(ns).is_empty() {
            out.not_evaluated(
                id,
                format!(
                    "the input holds no workload of namespace `{ns}`, so its container ports are unknown"
                ),
            );
            continue;
        }
        let mut key: Vec<(String, u8, Vec<String>)> = sel
            .requirements
            .iter()
            .map(|r| (r.key.clone(), r.op as u8, r.values.clone()))
            .collect();
        key.sort();
        let selection = selections.entry((ns.to_string(), key)).or_insert_with(|| {
            work.selections += 1;
            let mut groups: Vec<Group> = Vec::new();
            let mut group_of: HashMap<usize, usize> = HashMap::new();
            let mut names = Vec::new();
            let mut templates = 0;
            for w in selected_workloads(index, ns, &sel) {
                work.selected += 1;
                let sig = *sig_of.entry(w).or_insert_with(|| {
                    let t = PodTemplate::of(index.object(w))?;
                    work.templates_read += 1;
                    let ports: Vec<Port> = serving_ports(&t)
                        .iter()
                        .map(|d| (d.name.map(str::to_string), d.number, d.protocol.to_string()))
                        .collect();
                    let next = sigs.len();
                    let id = *sig_ids.entry(ports.clone()).or_insert(next);
                    if id == next {
                        sigs.push(ports);
                    }
                    Some(id)
                });
                let Some(sig) = sig else { continue };
                let pos = templates;
                templates += 1;
                if names.len() < LISTED {
                    names.push(name_of(index, w));
                }
                let next = groups.len();
                let g = *group_of.entry(sig).or_insert(next);
                if g == next {
                    groups.push(Group {
                        sig,
                        first: Vec::new(),
                        count: 0,
                    });
                }
                let group = &mut groups[g];
                if group.first.len() < LISTED {
                    group.first.push((pos, w));
                }
                group.count += 1;
            }
            Selection {
                templates,
                groups,
                names,
            }
        });
        if selection.templates == 0 {
            continue;
        }
        work.checks += check_service(index, id, obj, selection, &sigs, out);
    }
    work.signatures = sigs.len();
    work
}

/// `a, b, c` naming at most [`LISTED`] of `total` things, then `and N more`.
fn capped(listed: &[String], total: usize) -> String {
    let shown = listed.len().min(LISTED);
    let mut s = listed[..shown].join(", ");
    if total > shown {
        s += &format!(" and {} more", total - shown);
    }
    s
}

fn name_of(index: &Index, w: usize) -> String {
    let o = index.object(w);
    format!("{} `{}`", o.kind, o.name)
}

fn path_of(i: usize) -> Pointer {
    Pointer::root()
        .keys(&["spec", "ports"])
        .index(i)
        .key("targetPort")
}

/// The port name a Service port's `targetPort` is rewritten to when no selected
/// template declares its target: among the names every template declares for the
/// protocol, the only one close to a named target, or, for a numeric target, the
/// Service port's own name.
fn renamed_target(
    sel: &Selection,
    sigs: &[Vec<Port>],
    protocol: &str,
    number: Option<i64>,
    name: Option<&str>,
    port: &Node,
) -> Option<String> {
    let mut groups = sel.groups.iter().map(|g| &sigs[g.sig]);
    let first = groups.next()?;
    let declares = |ports: &[Port], n: &str| {
        ports
            .iter()
            .any(|d| d.0.as_deref() == Some(n) && d.2 == protocol)
    };
    let rest: Vec<&Vec<Port>> = groups.collect();
    let mut common: Vec<&str> = first
        .iter()
        .filter(|d| d.2 == protocol)
        .filter_map(|d| d.0.as_deref())
        .filter(|n| rest.iter().all(|ports| declares(ports, n)))
        .collect();
    common.sort_unstable();
    common.dedup();
    match (number, name) {
        (None, Some(name)) => {
            let best = closest(name, common.iter().copied())?;
            let second = closest(name, common.iter().copied().filter(|c| *c != best));
            second.is_none().then(|| best.to_string())
        }
        (Some(_), _) => {
            let own = port.get("name").and_then(Node::as_text)?;
            common.contains(&own).then(|| own.to_string())
        }
        (None, None) => None,
    }
}

/// Judges every port of one Service against the signatures of its selection;
/// returns how many (port, signature) pairs it judged.
fn check_service(
    index: &Index,
    id: usize,
    obj: &Object,
    sel: &Selection,
    sigs: &[Vec<Port>],
    out: &mut Sink,
) -> usize {
    let mut checks = 0;
    let workloads = capped(&sel.names, sel.templates);
    let ports = obj
        .root
        .at(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or_default();
    for (i, p) in ports.iter().enumerate() {
        let Some(port) = p.get("port").and_then(Node::as_i64) else {
            continue;
        };
        let protocol = p.get("protocol").and_then(Node::as_text).unwrap_or("TCP");
        let label = match p.get("name").and_then(Node::as_text) {
            Some(n) => format!("port `{n}` ({port})"),
            None => format!("port {port}"),
        };
        let path = path_of(i);
        let target = p.get("targetPort").filter(|t| !t.is_null());
        let number = match target {
            None => Some(port),
            Some(t) => t.as_i64(),
        };
        let name = target.and_then(Node::as_text);
        if number.is_none() && name.is_none() {
            continue;
        }
        // per signature: whether its containers receive this port's traffic
        let lacks = |ports: &[Port]| match number {
            // a template that declares no port numbers is not judged: many
            // images listen on ports they never declare
            Some(n) => ports.iter().any(|d| d.1.is_some()) && !ports.iter().any(|d| d.1 == Some(n)),
            None => !ports
                .iter()
                .any(|d| d.0.as_deref() == name && d.2 == protocol),
        };
        checks += sel.groups.len();
        let lacking: Vec<&Group> = sel.groups.iter().filter(|g| lacks(&sigs[g.sig])).collect();
        if lacking.is_empty() {
            continue;
        }
        let count: usize = lacking.iter().map(|g| g.count).sum();
        // the first lacking workloads in selection order
        let mut first: Vec<(usize, usize)> = lacking
            .iter()
            .flat_map(|g| g.first.iter().copied())
            .collect();
        first.sort_unstable();
        first.truncate(LISTED);
        // every declared port of the selection, in selection order
        let all = sel.groups.iter().flat_map(|g| sigs[g.sig].iter());
        let finding = if count == sel.templates {
            let rename = renamed_target(sel, sigs, protocol, number, name, p);
            let finding = match (number, name) {
                (Some(n), _) => {
                    let mut numbers: Vec<i64> = all.filter_map(|d| d.1).collect();
                    numbers.sort_unstable();
                    numbers.dedup();
                    let listed: Vec<String> =
                        numbers.iter().take(LISTED).map(i64::to_string).collect();
                    let default = if target.is_none() {
                        " (targetPort defaults to the port)"
                    } else {
                        ""
                    };
                    let f = out.report(
                        id,
                        path,
                        format!(
                            "{label} targets container port {n}{default}, which no container \
                             of {workloads} declares (they declare {})",
                            capped(&listed, numbers.len())
                        ),
                    );
                    f.severity = Severity::Warning;
                    f
                }
                (None, Some(name)) => {
                    let other = all
                        .clone()
                        .find(|d| d.0.as_deref() == Some(name))
                        .map(|d| format!(" for {protocol} (only for {})", d.2))
                        .unwrap_or_default();
                    out.report(
                        id,
                        path,
                        format!(
                            "{label} targets the named port `{name}`, which no container of \
                             {workloads} declares{other}: the Service has no endpoints for it"
                        ),
                    )
                }
                (None, None) => continue,
            };
            if let Some(to) = rename {
                finding.fix(
                    Fix::new(Applicability::Unsafe, format!("set targetPort: {to}")).set(
                        &obj.root,
                        &path_of(i),
                        serde_json::json!(to),
                    ),
                );
            }
            finding
        } else {
            let names: Vec<String> = first.iter().map(|&(_, w)| name_of(index, w)).collect();
            let (they, have) = if count == 1 {
                ("its", "does")
            } else {
                ("their", "do")
            };
            let missing = capped(&names, count);
            match (number, name) {
                (Some(n), _) => {
                    let default = if target.is_none() {
                        " (targetPort defaults to the port)"
                    } else {
                        ""
                    };
                    let f = out.report(
                        id,
                        path,
                        format!(
                            "{label} targets container port {n}{default}, which {missing} \
                             {have} not declare although {they} containers declare other \
                             ports: unless they listen on it undeclared, connections the \
                             Service sends to {they} pods are refused"
                        ),
                    );
                    f.severity = Severity::Warning;
                    f
                }
                (None, Some(name)) => out.report(
                    id,
                    path,
                    format!(
                        "{label} targets the named port `{name}`, which {missing} {have} not \
                         declare for {protocol}: {they} pods get no traffic on this port \
                         (the other pods the Service selects declare it)"
                    ),
                ),
                (None, None) => continue,
            }
        };
        for &(_, w) in &first {
            if let Some(t) = PodTemplate::of(index.object(w)) {
                finding.related(w, t.spec_pointer(&["containers"]));
            }
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    //! The work and the report stay linear when many Services select many workloads.

    use plimsoll_model::{Index, KubeVersion};

    use super::{LISTED, Work, judge};
    use crate::input::{YamlFacts, load_text};
    use crate::rule::{Context, Described, Sink};
    use crate::settings::Settings;

    fn run(text: &str) -> (Index, Sink, Work) {
        let loaded = load_text(0, text, "default");
        assert!(loaded.errors.is_empty());
        let index = Index::new(loaded.objects);
        let settings = Settings::default();
        let yaml = YamlFacts::default();
        let cx = Context {
            index: &index,
            settings: &settings,
            kube_version: KubeVersion::NEWEST,
            pss_version: None,
            yaml: &yaml,
            selected: &[],
            cache: Default::default(),
            live: None,
        };
        let mut out = Sink::new(super::ServiceTargetPortMissing.meta());
        let work = judge(&cx, &mut out);
        drop(cx);
        (index, out, work)
    }

    fn deploy(name: &str, ports: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  template:\n    metadata: {{labels: {{team: shop, app: {name}}}}}\n    spec:\n      containers: [{{name: c, image: x:1, ports: [{ports}]}}]\n---\n"
        )
    }

    fn service(name: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{team: shop}}\n  ports:\n    - {{name: http, port: 80, targetPort: http}}\n    - {{name: admin, port: 81, targetPort: admin}}\n    - {{port: 8080}}\n---\n"
        )
    }

    /// n Services each selecting the same n Deployments: one selection, every
    /// template read once, one check per Service port (the rule used to select and
    /// read every workload for every Service, judge every Service port against every
    /// workload, and name every workload in every message: n^2).
    #[test]
    fn services_sharing_a_selector_share_the_work() {
        let mut lens = Vec::new();
        for n in [25, 100] {
            let mut text = String::new();
            for i in 0..n {
                text += &deploy(&format!("d{i}"), "{name: http, containerPort: 8080}");
            }
            for i in 0..n {
                text += &service(&format!("s{i}"));
            }
            let (_, out, work) = run(&text);
            assert_eq!(
                work,
                Work {
                    selections: 1,
                    selected: n,
                    templates_read: n,
                    signatures: 1,
                    checks: 3 * n,
                }
            );
            // one finding per Service (its `admin` port), each bounded
            assert_eq!(out.findings.len(), n);
            for f in &out.findings {
                assert_eq!(f.related.len(), LISTED);
                assert!(
                    f.message
                        .contains(&format!("and {} more declares", n - LISTED)),
                    "{}",
                    f.message
                );
            }
            lens.push(out.findings[0].message.len());
        }
        // the message does not grow with the workloads (but for the count's digits)
        assert!(lens[1] <= lens[0] + 1, "{lens:?}");
    }

    /// Workloads of several signatures: the finding names the first lacking ones in
    /// the order the selection holds them, and counts the rest.
    #[test]
    fn mixed_signatures_name_the_first_lacking_workloads() {
        let mut text = String::new();
        for i in 0..50 {
            let ports = if i % 2 == 0 {
                "{name: web, containerPort: 8081}"
            } else {
                "{name: http, containerPort: 8080}"
            };
            text += &deploy(&format!("d{i:02}"), ports);
        }
        text += "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec:\n  selector: {team: shop}\n  ports: [{port: 80, targetPort: http}]\n";
        let (index, out, work) = run(&text);
        assert_eq!(
            (work.templates_read, work.signatures, work.checks),
            (50, 2, 2)
        );
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        let want: Vec<String> = (0..LISTED)
            .map(|k| format!("Deployment `d{:02}`", 2 * k))
            .collect();
        assert!(
            f.message.contains(&format!(
                "which {} and 5 more do not declare for TCP",
                want.join(", ")
            )),
            "{}",
            f.message
        );
        let related: Vec<&str> = f
            .related
            .iter()
            .map(|r| index.object(r.object).name.as_str())
            .collect();
        let want: Vec<String> = (0..LISTED).map(|k| format!("d{:02}", 2 * k)).collect();
        assert_eq!(related, want);
    }
}
