use plimsoll_model::{ContainerKind, Node, Object, PodTemplate, Pointer};

use crate::declare_rule;
use crate::rule::{Context, MAX_RELATED, Rule, Sink, list_capped};
use crate::rules::net::svc_util::{is_service, service_selector};

declare_rule! {
    /// ## What it does
    /// Reports a container that declares port 22 for TCP (the SSH port), and a Service
    /// whose `port`, or whose `targetPort` as it resolves on the pods it selects, is
    /// 22 for TCP, when it selects pods in the input (`targetPort` defaults to `port`;
    /// a named `targetPort` resolves against the ports the selected regular and sidecar
    /// containers declare). A Service whose namespace has no workloads in the input is
    /// reported as not evaluated when it names port 22 itself. kube-linter's `ssh-port`
    /// looks only at the containers of workloads; plimsoll also follows Services, which
    /// reach port 22 on containers that never declare it.
    ///
    /// ## Why it matters in production
    /// An SSH server in a container is a remote shell into the pod that bypasses
    /// Kubernetes RBAC and the API server's audit log: whoever holds a key gets in
    /// without `pods/exec` permission, and nothing records what they ran. `kubectl exec`
    /// (or an ephemeral debug container) is the audited path. SSH daemons also carry
    /// their own keys and CVEs to keep up with, in every image that ships one.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.4.2
    ///     ports:
    ///       - {name: http, containerPort: 8080}
    ///       - {name: ssh, containerPort: 22}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.4.2
    ///     ports:
    ///       - {name: http, containerPort: 8080}
    /// # and for a shell: kubectl exec -it deploy/app -- sh (authorised by RBAC, audited)
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the SSH server has to leave the image, and a Git or SFTP
    /// service that really speaks SSH is a decision to exempt with a reason.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/get-shell-running-container/>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/>
    pub struct SshPortExposed {
        code: "SEC008",
        name: "ssh-port-exposed",
        severity: Warning,
        default: true,
        summary: "A container or Service exposes SSH (port 22)",
    }
}

const SSH: i64 = 22;
const WHY: &str = "an SSH server in a container is a remote shell into the pod that \
                   bypasses RBAC and the API server's audit log (kubectl exec is the \
                   audited path)";

impl Rule for SshPortExposed {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if let Some(t) = PodTemplate::of(obj) {
            for c in t
                .containers()
                .filter(|c| c.kind != ContainerKind::Ephemeral)
            {
                for p in c.port_entries() {
                    if p.container_port == Some(SSH) && p.protocol == "TCP" {
                        out.report_container(
                            id,
                            &c,
                            c.field_pointer(&["ports"])
                                .index(p.index)
                                .key("containerPort"),
                            format!(
                                "{} `{}` declares containerPort 22/TCP (SSH): {WHY}",
                                c.kind.as_str(),
                                c.name
                            ),
                        );
                    }
                }
            }
            return;
        }
        if is_service(obj) {
            check_service(cx, id, obj, out);
        }
    }
}

/// A Service port's `targetPort`, when written.
fn target_of(p: &Node) -> Option<&Node> {
    p.get("targetPort").filter(|t| !t.is_null())
}

fn check_service(cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
    let (Some(ns), Some(_)) = (obj.namespace.as_deref(), service_selector(obj)) else {
        return;
    };
    let ports = obj
        .root
        .at(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or_default();
    let tcp = |p: &Node| p.get("protocol").and_then(Node::as_text).unwrap_or("TCP") == "TCP";
    let names_ssh = ports.iter().any(|p| {
        tcp(p)
            && (p.get("port").and_then(Node::as_i64) == Some(SSH)
                || target_of(p).and_then(Node::as_i64) == Some(SSH))
    });
    if cx.index.workloads_in(ns).is_empty() {
        if names_ssh {
            out.not_evaluated(
                id,
                format!(
                    "the input holds no workload of namespace `{ns}`, so whether the \
                     Service's port 22 reaches any pod is unknown"
                ),
            );
        }
        return;
    }
    // the selection and its ports, computed once for every Service of this selector
    let Some(class) = cx.services().of(id) else {
        return;
    };
    if class.workloads.is_empty() {
        return;
    }
    let w = list_capped(
        class.workloads.iter().map(|&w| {
            let o = cx.index.object(w);
            format!("{} `{}`", o.kind, o.name)
        }),
        class.workloads.len(),
        MAX_RELATED,
    );
    for (i, p) in ports.iter().enumerate() {
        if !tcp(p) {
            continue;
        }
        let Some(port) = p.get("port").and_then(Node::as_i64) else {
            continue;
        };
        let at = Pointer::root().keys(&["spec", "ports"]).index(i);
        let target = target_of(p);
        // the container ports the Service port reaches
        let targets: Vec<i64> = match target {
            None => vec![port],
            Some(t) => match (t.as_i64(), t.as_text()) {
                (Some(n), _) => vec![n],
                (None, Some(name)) => class
                    .ports
                    .iter()
                    .filter(|(n, _, proto)| n.as_deref() == Some(name) && proto == "TCP")
                    .filter_map(|(_, number, _)| *number)
                    .collect(),
                _ => Vec::new(),
            },
        };
        let to_ssh = targets.contains(&SSH);
        if port != SSH && !to_ssh {
            continue;
        }
        let label = match p.get("name").and_then(Node::as_text) {
            Some(n) => format!("port `{n}` ({port})"),
            None => format!("port {port}"),
        };
        let (path, message) = match target {
            Some(t) if to_ssh && t.as_i64().is_none() => (
                at.key("targetPort"),
                format!(
                    "{label} forwards through the named port `{}` to container port 22 (SSH) \
                     of {w}: {WHY}",
                    t.as_text().unwrap_or("")
                ),
            ),
            Some(_) if to_ssh => (
                at.key("targetPort"),
                format!("{label} forwards to container port 22 (SSH) of {w}: {WHY}"),
            ),
            _ if to_ssh => (
                at.key("port"),
                format!(
                    "{label} forwards to container port 22 (SSH; targetPort defaults to the \
                     port) of {w}: {WHY}"
                ),
            ),
            _ => (
                at.key("port"),
                format!("{label} serves the SSH port for {w}: {WHY}"),
            ),
        };
        let f = out.report(id, path, message);
        f.related_all(&class.workloads, |w| {
            PodTemplate::of(cx.index.object(w))
                .map_or_else(Pointer::root, |t| t.spec_pointer(&["containers"]))
        });
    }
}
