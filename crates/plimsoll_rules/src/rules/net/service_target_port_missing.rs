use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use super::svc_util::{
    DeclaredPort, is_service, selected_workloads, service_selector, serving_ports,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Severity, Sink};

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
    /// No automatic fix: either side may be the one that is wrong.
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
        summary: "A Service's targetPort is exposed by no container of the pods it selects",
    }
}

/// How many workloads a message names.
const LISTED: usize = 20;

impl Rule for ServiceTargetPortMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_service(obj) {
            return;
        }
        let (Some(ns), Some(sel)) = (obj.namespace.as_deref(), service_selector(obj)) else {
            return;
        };
        if cx.index.workloads_in(ns).is_empty() {
            out.not_evaluated(
                id,
                format!("the input holds no workload of namespace `{ns}`, so its container ports are unknown"),
            );
            return;
        }
        let selected = selected_workloads(cx.index, ns, &sel);
        let templates: Vec<(usize, PodTemplate)> = selected
            .iter()
            .filter_map(|&w| PodTemplate::of(cx.index.object(w)).map(|t| (w, t)))
            .collect();
        if templates.is_empty() {
            return;
        }
        let declared: Vec<Vec<DeclaredPort>> =
            templates.iter().map(|(_, t)| serving_ports(t)).collect();
        let name_of = |w: usize| {
            let o = cx.index.object(w);
            format!("{} `{}`", o.kind, o.name)
        };
        let names: Vec<String> = templates.iter().map(|&(w, _)| name_of(w)).collect();
        let workloads = names.join(", ");
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
            let path = Pointer::root()
                .keys(&["spec", "ports"])
                .index(i)
                .key("targetPort");
            let target = p.get("targetPort").filter(|t| !t.is_null());
            let number = match target {
                None => Some(port),
                Some(t) => t.as_i64(),
            };
            let name = target.and_then(Node::as_text);
            if number.is_none() && name.is_none() {
                continue;
            }
            // per template: whether its containers receive this port's traffic
            let lacking: Vec<usize> = declared
                .iter()
                .enumerate()
                .filter(|(_, d)| match number {
                    // a template that declares no port numbers is not judged: many
                    // images listen on ports they never declare
                    Some(n) => {
                        d.iter().any(|d| d.number.is_some())
                            && !d.iter().any(|d| d.number == Some(n))
                    }
                    None => !d.iter().any(|d| d.name == name && d.protocol == protocol),
                })
                .map(|(k, _)| k)
                .collect();
            if lacking.is_empty() {
                continue;
            }
            let all: Vec<&DeclaredPort> = declared.iter().flatten().collect();
            let finding = if lacking.len() == templates.len() {
                match (number, name) {
                    (Some(n), _) => {
                        let mut numbers: Vec<i64> = all.iter().filter_map(|d| d.number).collect();
                        numbers.sort_unstable();
                        numbers.dedup();
                        let listed: Vec<String> = numbers.iter().map(i64::to_string).collect();
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
                                listed.join(", ")
                            ),
                        );
                        f.severity = Severity::Warning;
                        f
                    }
                    (None, Some(name)) => {
                        let other = all
                            .iter()
                            .find(|d| d.name == Some(name))
                            .map(|d| format!(" for {protocol} (only for {})", d.protocol))
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
                }
            } else {
                let missing: Vec<String> = lacking
                    .iter()
                    .take(LISTED)
                    .map(|&k| names[k].clone())
                    .collect();
                let more = if lacking.len() > LISTED {
                    format!(" and {} more", lacking.len() - LISTED)
                } else {
                    String::new()
                };
                let (they, have) = if lacking.len() == 1 {
                    ("its", "does")
                } else {
                    ("their", "do")
                };
                let missing = format!("{}{more}", missing.join(", "));
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
            for &k in lacking.iter().take(LISTED) {
                let (w, t) = &templates[k];
                finding.related(*w, t.spec_pointer(&["containers"]));
            }
        }
    }
}
