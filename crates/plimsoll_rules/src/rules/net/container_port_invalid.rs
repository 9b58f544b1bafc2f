use std::collections::HashMap;

use plimsoll_model::{
    Container, ContainerKind, ContainerPort, Node, Object, PORT_PROTOCOLS, PodTemplate, Pointer,
    is_valid_port_num, port_name_problems,
};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Reports container `ports` entries that the API server rejects, as
    /// `validateContainerPorts` and the pod's host-port check judge them, in init,
    /// sidecar and regular containers: no `containerPort` (or 0); a `containerPort` or
    /// `hostPort` outside 1-65535 or not an integer; a `name` that is not an
    /// IANA_SVC_NAME (at most 15 characters, only lowercase letters, digits and `-`, at
    /// least one letter, no leading or trailing `-`, no `--`); two ports of one
    /// container with the same name; a `protocol` other than `TCP`, `UDP` and `SCTP`
    /// (case matters); the same `hostPort`, protocol and `hostIP` twice among the
    /// regular containers, or twice in one init container. Ephemeral containers may not
    /// declare ports at all.
    ///
    /// The same `containerPort` and protocol declared twice in one pod (with the same
    /// or an unset `hostPort`) is accepted with a warning by the API server; it is
    /// reported as a warning. kube-score's optional `container-ports-check` looks only
    /// at name length, duplicate names and a missing `containerPort`, and kube-linter's
    /// `invalid-target-ports` only at the name syntax; plimsoll applies the API server's
    /// whole validation and runs by default, since each of these manifests fails to
    /// apply.
    ///
    /// ## Why it matters in production
    /// The API server rejects the whole object: the Deployment (or StatefulSet, Job,
    /// ...) is not created or not updated, and a rollout that carries a fix stops at
    /// `kubectl apply` or, worse, in a GitOps controller that keeps retrying. For a
    /// workload controller the rejection may come only when it creates pods, so the
    /// controller exists but never runs anything. Two containers of one pod declaring
    /// the same port share one network namespace: only one of them can listen on it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     ports:
    ///       - {name: http-metrics-endpoint, containerPort: 9090}   # longer than 15
    ///       - {name: http, containerPort: 8080, protocol: tcp}     # lowercase protocol
    ///       - {name: http, containerPort: 8443}                    # duplicate name
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     ports:
    ///       - {name: metrics, containerPort: 9090}
    ///       - {name: http, containerPort: 8080, protocol: TCP}
    ///       - {name: https, containerPort: 8443}
    /// ```
    ///
    /// ## Fix safety
    /// The fix writes a `protocol` given in the wrong case in capitals (`udp` becomes
    /// `UDP`), and removes a port entry that repeats an earlier entry of the same
    /// container field for field. Both are safe: the API server rejected the object, the
    /// protocol has only that one accepted spelling, and the removed entry declared
    /// nothing the earlier one does not. Other problems have no fix: a renamed port must
    /// be renamed where Services, probes and NetworkPolicies name it too, and a new port
    /// number or host port is the author's choice.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/>
    pub struct ContainerPortInvalid {
        code: "NET110",
        name: "container-port-invalid",
        severity: Error,
        default: true,
        fix: Safe,
        summary: "A container port that the API server rejects (number, name, protocol, duplicate)",
    }
}

/// How a number field of a port reads.
enum Num {
    Absent,
    Valid(i64),
    OutOfRange(i64),
    NotInteger(String),
}

fn number(node: &Node, key: &str) -> Num {
    match node.get(key).filter(|n| !n.is_null()) {
        None => Num::Absent,
        Some(n) => match n.as_i64() {
            Some(0) => Num::Absent,
            Some(v) if is_valid_port_num(v) => Num::Valid(v),
            Some(v) => Num::OutOfRange(v),
            None => Num::NotInteger(n.as_text().unwrap_or("").to_string()),
        },
    }
}

/// One declared port, for the pod-wide checks.
struct Seen<'a> {
    container: Container<'a>,
    port: ContainerPort<'a>,
    number: i64,
}

impl Rule for ContainerPortInvalid {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let rejects = format!("the API server rejects the {}", obj.kind);
        let mut seen: Vec<Seen> = Vec::new();
        // host ports of the regular containers, together: (protocol, hostIP, port)
        let mut regular_hosts: HashMap<(String, String, i64), String> = HashMap::new();
        for c in t.containers() {
            let what = format!("{} `{}`", c.kind.as_str(), c.name);
            let ports = c.port_entries();
            if c.kind == ContainerKind::Ephemeral {
                if !ports.is_empty() {
                    out.report_container(
                        id,
                        &c,
                        c.field_pointer(&["ports"]),
                        format!(
                            "{what} declares ports, which ephemeral containers may not: {rejects}"
                        ),
                    );
                }
                continue;
            }
            let mut names: HashMap<&str, usize> = HashMap::new();
            let mut init_hosts: HashMap<(String, String, i64), String> = HashMap::new();
            for p in &ports {
                let at = |key: &str| c.field_pointer(&["ports"]).index(p.index).key(key);
                let entry = format!("{what} ports[{}]", p.index);
                if let Some(name) = p.name {
                    let problems = port_name_problems(name);
                    if !problems.is_empty() {
                        out.report_container(
                            id,
                            &c,
                            at("name"),
                            format!(
                                "{entry}: port name `{name}` is not a valid IANA service name \
                                 ({}): {rejects}",
                                problems.join("; ")
                            ),
                        );
                    } else if let Some(first) = names.get(name) {
                        let same = ports
                            .iter()
                            .find(|o| o.index == *first)
                            .is_some_and(|o| o.node.to_json() == p.node.to_json());
                        let f = out.report_container(
                            id,
                            &c,
                            at("name"),
                            format!(
                                "{entry}: port name `{name}` is already used by ports[{first}] \
                                 of the same container: {rejects}"
                            ),
                        );
                        if same {
                            f.fix(remove_entry(&c, p.index));
                        }
                    } else {
                        names.insert(name, p.index);
                    }
                }
                let container_port = match number(p.node, "containerPort") {
                    Num::Absent => {
                        let (path, message) = if p.node.get("containerPort").is_some() {
                            (
                                at("containerPort"),
                                format!(
                                    "{entry}: containerPort 0 is no port (containerPort is \
                                     required): {rejects}"
                                ),
                            )
                        } else {
                            (
                                c.field_pointer(&["ports"]).index(p.index),
                                format!("{entry} has no containerPort (it is required): {rejects}"),
                            )
                        };
                        out.report_container(id, &c, path, message);
                        None
                    }
                    Num::OutOfRange(v) => {
                        out.report_container(
                            id,
                            &c,
                            at("containerPort"),
                            format!("{entry}: containerPort {v} is outside 1-65535: {rejects}"),
                        );
                        None
                    }
                    Num::NotInteger(v) => {
                        out.report_container(
                            id,
                            &c,
                            at("containerPort"),
                            format!(
                                "{entry}: containerPort `{v}` is not an integer (a quoted \
                                 number is a string): {rejects}"
                            ),
                        );
                        None
                    }
                    Num::Valid(v) => Some(v),
                };
                let mut host_error = false;
                match number(p.node, "hostPort") {
                    Num::Absent => {}
                    Num::OutOfRange(v) => {
                        host_error = true;
                        out.report_container(
                            id,
                            &c,
                            at("hostPort"),
                            format!("{entry}: hostPort {v} is outside 1-65535: {rejects}"),
                        );
                    }
                    Num::NotInteger(v) => {
                        host_error = true;
                        out.report_container(
                            id,
                            &c,
                            at("hostPort"),
                            format!("{entry}: hostPort `{v}` is not an integer: {rejects}"),
                        );
                    }
                    Num::Valid(v) => {
                        let key = (p.protocol.to_string(), p.host_ip.to_string(), v);
                        let hosts = if c.kind == ContainerKind::Regular {
                            &mut regular_hosts
                        } else {
                            // init containers run one by one: each is checked on its own
                            &mut init_hosts
                        };
                        if let Some(first) = hosts.get(&key) {
                            host_error = true;
                            let ip = if p.host_ip.is_empty() {
                                String::new()
                            } else {
                                format!(" on {}", p.host_ip)
                            };
                            out.report_container(
                                id,
                                &c,
                                at("hostPort"),
                                format!(
                                    "{entry}: hostPort {v}/{}{ip} is already declared by \
                                     {first}: {rejects}",
                                    p.protocol
                                ),
                            );
                        } else {
                            hosts.insert(key, entry.clone());
                        }
                    }
                }
                if !PORT_PROTOCOLS.contains(&p.protocol) {
                    let upper = p.protocol.to_ascii_uppercase();
                    let f = out.report_container(
                        id,
                        &c,
                        at("protocol"),
                        format!(
                            "{entry}: protocol `{}` is not supported (TCP, UDP or SCTP, in \
                             capitals): {rejects}",
                            p.protocol
                        ),
                    );
                    if PORT_PROTOCOLS.contains(&upper.as_str()) {
                        f.fix(
                            Fix::new(Applicability::Safe, format!("write protocol: {upper}"))
                                .replace(&at("protocol"), serde_json::json!(upper)),
                        );
                    }
                    continue;
                }
                if let (Some(number), false) = (container_port, host_error) {
                    seen.push(Seen {
                        container: c,
                        port: *p,
                        number,
                    });
                }
            }
        }
        duplicates(id, &seen, out);
    }
}

/// The API server's warnings for one containerPort and protocol declared twice in a
/// pod (`pkg/api/pod/warnings.go`): duplicate, overlapping (one without hostPort) and
/// ambiguous (same hostPort, one without hostIP).
fn duplicates(id: usize, seen: &[Seen], out: &mut Sink) {
    for (i, s) in seen.iter().enumerate() {
        let earlier = seen[..i].iter().find_map(|o| {
            if o.number != s.number || o.port.protocol != s.port.protocol {
                return None;
            }
            let (a, b) = (s.port.host_port, o.port.host_port);
            let how = if a == b && s.port.host_ip == o.port.host_ip {
                "declared twice"
            } else if a.is_none() || b.is_none() {
                "declared twice (one with a hostPort, one without)"
            } else if a == b && (s.port.host_ip.is_empty() != o.port.host_ip.is_empty()) {
                "declared twice with the same hostPort, once with a hostIP and once without"
            } else {
                return None;
            };
            Some((o, how))
        });
        let Some((o, how)) = earlier else {
            continue;
        };
        let c = &s.container;
        let what = format!("{} `{}` ports[{}]", c.kind.as_str(), c.name, s.port.index);
        let other = format!(
            "{} `{}` ports[{}]",
            o.container.kind.as_str(),
            o.container.name,
            o.port.index
        );
        let consequence = if o.container.name == c.name && o.container.kind == c.kind {
            "the API server warns on every apply, and a Service or probe can name only one of them"
                .to_string()
        } else {
            "the containers share the pod's network namespace, so only one of them can \
             listen on it and the other fails to bind"
                .to_string()
        };
        let path: Pointer = c
            .field_pointer(&["ports"])
            .index(s.port.index)
            .key("containerPort");
        let f = out.report_container(
            id,
            c,
            path,
            format!(
                "{what}: containerPort {}/{} is {how} in the pod (first by {other}): {consequence}",
                s.number, s.port.protocol
            ),
        );
        f.severity = Severity::Warning;
        let same_container = o.container.name == c.name && o.container.kind == c.kind;
        if same_container && o.port.node.to_json() == s.port.node.to_json() {
            f.fix(remove_entry(c, s.port.index));
        }
    }
}

/// Removes a port entry that repeats an earlier one of its container field for field.
fn remove_entry(c: &Container, index: usize) -> Fix {
    Fix::new(
        Applicability::Safe,
        format!("remove ports[{index}], a copy of an earlier entry"),
    )
    .remove(&c.field_pointer(&["ports"]).index(index))
}
