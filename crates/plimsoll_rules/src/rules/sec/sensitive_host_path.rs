use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `hostPath` volumes of a pod template that expose the container runtime
    /// or a sensitive part of the node. Paths are compared after normalisation
    /// (`//`, `.`, `..` and a trailing `/` removed).
    ///
    /// Container runtime sockets (full control of every container on the node):
    /// `/var/run/docker.sock`, `/run/docker.sock`, `/run/containerd/containerd.sock`,
    /// `/run/k3s/containerd/containerd.sock`, `/run/crio/crio.sock`,
    /// `/run/cri-dockerd.sock`, `/run/dockershim.sock`, `/run/podman/podman.sock`,
    /// each also spelt with `/var/run` (a symlink to `/run`), and the directories
    /// that hold them: `/run`, `/run/containerd`, `/run/crio` (and `/var/run/...`).
    ///
    /// Sensitive paths, matched exactly:
    /// - `/`: the whole node filesystem;
    /// - `/etc`: host configuration, `/etc/shadow`, kubelet and CNI configuration;
    /// - `/proc`: every process of the node, their environments and memory;
    /// - `/sys`: kernel and cgroup controls;
    /// - `/dev`: the node's devices, disks included;
    /// - `/var/log`: every pod's logs (log shippers mount it, read-only, by design).
    ///
    /// Credential stores, matched with everything below them:
    /// - `/var/lib/kubelet`: the kubelet's credentials and every pod's Secret volumes;
    /// - `/etc/kubernetes`: kubeconfigs and the cluster PKI on control-plane nodes;
    /// - `/var/lib/etcd`: the cluster's whole state, Secrets included;
    /// - `/root` and `/home`: SSH keys and cloud credentials of node users.
    ///
    /// Narrower paths such as `/etc/ssl/certs`, `/sys/fs/cgroup` or `/var/log/pods`
    /// are not reported. A `readOnly` mount is reported too: a socket can be used
    /// through a read-only mount, and secrets can be read.
    ///
    /// ## Why it matters in production
    /// Whoever controls such a container controls the node: the runtime socket starts
    /// privileged containers, `/var/lib/kubelet` and `/etc/kubernetes` hold
    /// credentials to the API server, `/` and `/proc` give away everything. One
    /// compromised pod becomes a compromised node, and often a compromised cluster.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: docker
    ///     hostPath:
    ///       path: /var/run/docker.sock
    ///       type: Socket
    /// ```
    ///
    /// ## Use instead
    /// Build images with a daemonless builder (BuildKit rootless, kaniko) and read
    /// node information through the API or a narrowly scoped path:
    /// ```yaml
    /// volumes:
    ///   - name: pod-logs
    ///     hostPath:
    ///       path: /var/log/pods
    ///       type: Directory
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the workload presumably needs some access to the node, and
    /// only its owner can say which narrower path or API replaces it. Node agents that
    /// truly need it (CSI node plugins, monitoring agents) should carry an exemption
    /// with the reason.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/storage/volumes/#hostpath>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/security-checklist/>
    pub struct SensitiveHostPath {
        code: "SEC004",
        name: "sensitive-host-path",
        severity: Error,
        default: true,
        summary: "A hostPath volume exposes the container runtime or a sensitive node path",
    }
}

/// Runtime sockets, under `/run` (`/var/run` is a symlink to it on every current
/// distribution, so both spellings are checked).
const SOCKETS: &[&str] = &[
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/cri-dockerd.sock",
    "/run/dockershim.sock",
    "/run/podman/podman.sock",
];

/// Directories that hold a runtime socket.
const SOCKET_DIRS: &[&str] = &["/run", "/run/containerd", "/run/crio"];

const EXACT: &[(&str, &str)] = &[
    ("/", "the node's root filesystem"),
    ("/etc", "the node's configuration"),
    ("/proc", "every process of the node"),
    ("/sys", "the node's kernel and cgroup controls"),
    ("/dev", "the node's devices"),
    ("/var/log", "every log of the node"),
];

const TREES: &[(&str, &str)] = &[
    (
        "/var/lib/kubelet",
        "the kubelet's credentials and pod secrets",
    ),
    ("/etc/kubernetes", "the node's kubeconfigs and cluster PKI"),
    ("/var/lib/etcd", "etcd's data"),
    ("/root", "the root user's home"),
    ("/home", "users' homes"),
];

/// `//`, `.`, `..` and a trailing `/` removed; `None` for a relative path.
fn normalise(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// What a normalised path exposes, when it is sensitive.
fn classify(path: &str) -> Option<String> {
    let run = match path.strip_prefix("/var/run") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/run{rest}"),
        _ => path.to_string(),
    };
    if SOCKETS.contains(&run.as_str()) {
        return Some("the container runtime socket".into());
    }
    if SOCKET_DIRS.contains(&run.as_str()) {
        return Some("a directory holding the container runtime socket".into());
    }
    if let Some((_, what)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some((*what).into());
    }
    TREES
        .iter()
        .find(|(p, _)| {
            path.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map(|(_, what)| (*what).into())
}

impl Rule for SensitiveHostPath {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let volumes = t.spec_field("volumes").map(Node::items).unwrap_or_default();
        for (i, v) in volumes.iter().enumerate() {
            let Some(path) = v.at(&["hostPath", "path"]).and_then(Node::as_text) else {
                continue;
            };
            let Some(norm) = normalise(path) else {
                continue;
            };
            let Some(what) = classify(&norm) else {
                continue;
            };
            let shown = if norm == path {
                format!("`{path}`")
            } else {
                format!("`{path}` (`{norm}`)")
            };
            let name = v.get("name").and_then(Node::as_text).unwrap_or("");
            out.report(
                id,
                t.spec_pointer(&["volumes"])
                    .index(i)
                    .keys(&["hostPath", "path"]),
                format!("hostPath volume `{name}` mounts {shown}, which exposes {what}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(p: &str) -> Option<String> {
        normalise(p).as_deref().and_then(classify)
    }

    #[test]
    fn classifies() {
        assert!(c("/var/run/docker.sock").is_some());
        assert!(c("/run//containerd/./containerd.sock").is_some());
        assert!(c("/var/run/").is_some());
        assert!(c("/").is_some());
        assert!(c("/etc/").is_some());
        assert!(c("/etc/kubernetes/pki").is_some());
        assert!(c("/var/lib/kubelet/pods").is_some());
        assert!(c("/home/user/.ssh").is_some());
        assert!(c("/tmp/../etc").is_some());
        assert!(c("/etc/ssl/certs").is_none());
        assert!(c("/var/log/pods").is_none());
        assert!(c("/sys/fs/cgroup").is_none());
        assert!(c("/homework").is_none());
        assert!(c("/var/runner").is_none());
        assert!(c("/run/udev").is_none());
        assert!(c("relative").is_none());
    }
}
