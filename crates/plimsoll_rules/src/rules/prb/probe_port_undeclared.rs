use plimsoll_model::{Node, Object, PodTemplate, closest};

use super::util::{PROBES, Probe, probed};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Reports liveness, readiness and startup probes of regular and sidecar containers
    /// whose port (`httpGet.port`, `tcpSocket.port`, `grpc.port`) does not resolve to a
    /// port the container declares:
    /// - **a named port that no `ports[].name` of the same container declares**, as an
    ///   error. The kubelet resolves the name against the container's own ports only;
    ///   when it cannot, the probe errors and the kubelet discards the result, so the
    ///   probe keeps its initial state for ever: a readiness probe never passes, a
    ///   startup probe never passes (so liveness and readiness never start), and a
    ///   liveness probe never fails.
    /// - **a number that no `containerPort` of the pod equals, when the container declares
    ///   ports**, as a warning: most often a port renumbered on one side only. A port
    ///   declared by another container of the pod is accepted (the containers share the
    ///   network namespace), and probes with an explicit `host` are skipped.
    ///
    /// A numeric port of a container that declares no ports at all is not reported:
    /// `containerPort` is informational and many images never declare the port they
    /// listen on. This differs from kube-linter's `liveness-port`, `readiness-port` and
    /// `startup-port`, which report any probe port the container does not expose. One
    /// rule covers both cases because they are the same mistake; the severity of each
    /// finding says how certain it is.
    ///
    /// ## Why it matters in production
    /// An unresolvable named readiness or startup port keeps every pod out of its
    /// Services and stalls every rollout at the first new pod; an unresolvable liveness
    /// port silently disables the probe, so a deadlocked process is never restarted. A
    /// wrong numeric port fails like any probe of a closed port: readiness never passes,
    /// startup and liveness probes restart the container in a loop.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     ports: [{name: http, containerPort: 8080}]
    ///     readinessProbe:
    ///       httpGet: {path: /ready, port: web}
    ///     livenessProbe:
    ///       tcpSocket: {port: 8081}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     ports: [{name: http, containerPort: 8080}]
    ///     readinessProbe:
    ///       httpGet: {path: /ready, port: http}
    ///     livenessProbe:
    ///       tcpSocket: {port: 8080}
    /// ```
    ///
    /// ## Fix safety
    /// For a named port the container does not declare, the fix rewrites the probe's
    /// port: to the one port name of the container close enough to be a slip of it
    /// (one edit for names up to 3 characters, two up to 8, three beyond; no fix when
    /// two are that close), or else, when exactly one other container of the pod
    /// declares a port of that name, to that port's number (the containers share the
    /// network namespace). It is unsafe: the probe then checks that port, and the
    /// port declaration may be the side that is wrong. Numeric ports have no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#use-a-named-port>
    /// - <https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe>
    pub struct ProbePortUndeclared {
        code: "PRB009",
        name: "probe-port-undeclared",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A probe targets a port its container does not declare",
    }
}

/// What an unresolvable named port does to each kind of probe.
fn unresolved_effect(probe: &str) -> &'static str {
    match probe {
        "livenessProbe" => {
            "the probe never fails, so a hung container is never restarted (the probe is \
             silently disabled)"
        }
        "readinessProbe" => {
            "the probe never passes, so the pod never becomes ready and never receives \
             Service traffic"
        }
        _ => {
            "the probe never passes, so the container is never marked started, its liveness \
             and readiness probes never run and the pod never becomes ready"
        }
    }
}

/// What a probe of a port nothing listens on does.
fn closed_effect(probe: &str) -> &'static str {
    match probe {
        "livenessProbe" => "the kubelet restarts the container in a loop",
        "readinessProbe" => "the pod never becomes ready",
        _ => "the kubelet kills the container before it starts",
    }
}

impl Rule for ProbePortUndeclared {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let pod_numbers: Vec<i64> = t
            .containers()
            .filter(|c| c.kind.counts_for_resources())
            .flat_map(|c| c.ports().filter_map(|(_, n)| n).collect::<Vec<_>>())
            .collect();
        for c in t.containers().filter(|c| probed(c.kind)) {
            let own: Vec<(Option<&str>, Option<i64>)> = c.ports().collect();
            for field in PROBES {
                let Some(p) = Probe::of(&c, field) else {
                    continue;
                };
                for handler in ["httpGet", "tcpSocket", "grpc"] {
                    let Some(h) = p.node.get(handler).filter(|h| h.is_map()) else {
                        continue;
                    };
                    if h.get("host")
                        .and_then(Node::as_text)
                        .is_some_and(|s| !s.is_empty())
                    {
                        continue;
                    }
                    let Some(port) = h.get("port").filter(|n| !n.is_null()) else {
                        continue;
                    };
                    let number = port
                        .as_i64()
                        .or_else(|| port.as_text().and_then(|s| s.parse().ok()));
                    let path = c.field_pointer(&[field, handler, "port"]);
                    let who = format!(
                        "{field} of {} `{}` in {} `{}`",
                        c.kind.as_str(),
                        c.name,
                        obj.kind,
                        obj.name
                    );
                    match (number, port.as_text()) {
                        (Some(n), _) => {
                            let declared: Vec<String> = own
                                .iter()
                                .filter_map(|(_, n)| n.map(|n| n.to_string()))
                                .collect();
                            if declared.is_empty() || pod_numbers.contains(&n) {
                                continue;
                            }
                            let f = out.report_container(
                                id,
                                &c,
                                path,
                                format!(
                                    "{who} probes port {n}, which no container of the pod declares \
                                     (`{}` declares {}): probably the wrong port; if nothing \
                                     listens on {n}, {}",
                                    c.name,
                                    declared.join(", "),
                                    closed_effect(field)
                                ),
                            );
                            f.severity = Severity::Warning;
                        }
                        (None, Some(name)) => {
                            if own.iter().any(|(pn, _)| *pn == Some(name)) {
                                continue;
                            }
                            let names: Vec<&str> = own.iter().filter_map(|(pn, _)| *pn).collect();
                            let known = if names.is_empty() {
                                "declares no named ports".to_string()
                            } else {
                                format!("declares only `{}`", names.join("`, `"))
                            };
                            // a slip of one of its own names, or the number of the one
                            // other container's port of that name
                            let close = closest(name, names.iter().copied()).filter(|best| {
                                closest(name, names.iter().copied().filter(|n| n != best)).is_none()
                            });
                            let elsewhere: Vec<i64> = t
                                .containers()
                                .filter(|o| o.kind.counts_for_resources() && o.name != c.name)
                                .flat_map(|o| {
                                    o.ports()
                                        .filter(|(pn, _)| *pn == Some(name))
                                        .filter_map(|(_, n)| n)
                                        .collect::<Vec<_>>()
                                })
                                .collect();
                            let to = match (close, elsewhere.as_slice()) {
                                (Some(n), _) => Some(serde_json::json!(n)),
                                (None, [n]) => Some(serde_json::json!(n)),
                                _ => None,
                            };
                            let f = out.report_container(
                                id,
                                &c,
                                path.clone(),
                                format!(
                                    "{who} probes the named port `{name}`, but the container {known}: \
                                     the kubelet cannot resolve it and discards every result; {}",
                                    unresolved_effect(field)
                                ),
                            );
                            if let Some(to) = to {
                                let shown =
                                    to.as_str().map_or_else(|| to.to_string(), str::to_string);
                                f.fix(
                                    Fix::new(
                                        Applicability::Unsafe,
                                        format!("set {handler}.port: {shown}"),
                                    )
                                    .replace(&path, to),
                                );
                            }
                        }
                        (None, None) => {}
                    }
                }
            }
        }
    }
}
