use plimsoll_model::{Node, Object, PodTemplate};

use super::util::is_windows;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers (init, sidecar, regular and ephemeral) whose effective
    /// `runAsUser` or `runAsGroup` is set below 10000: the container's own
    /// `securityContext` value, else the pod's `spec.securityContext` one. A low value
    /// set at pod level is reported once, on the pod-level field, naming the
    /// containers that inherit it.
    ///
    /// Unset values are not judged: the image's user then applies, which a manifest
    /// cannot show, and the Pod Security rule run-as-non-root (PSS103) covers running
    /// as root. ID 0 is left to the rules that report it already: `runAsUser: 0` to
    /// PSS104 (pss-run-as-user) and `runAsGroup: 0` to SEC006 (root-group). Pods with
    /// `spec.hostUsers: false` run in a user namespace, where low IDs map to
    /// unprivileged host IDs, and are skipped, as are Windows pods (the fields are
    /// forbidden there). kube-score's `container-security-context-user-group-id`
    /// also fires when the values are unset; plimsoll judges only what the manifest
    /// sets, so that the rule does not duplicate PSS103 on every workload.
    ///
    /// This rule is **off by default**: many images are built to run as a fixed low
    /// UID (1000, 101) and changing it needs a matching image.
    ///
    /// ## Why it matters in production
    /// Without user namespaces a container's UIDs and GIDs are the host's. Low IDs are
    /// where host accounts and system services live (1000 is usually the first human
    /// user, lower ones system daemons). A process that escapes its container, or
    /// reaches a host path or a shared volume, acts with that host account's files and
    /// permissions. IDs of 10000 and above are unlikely to belong to anything on the
    /// node.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 1000
    ///   runAsGroup: 1000
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    ///   runAsGroup: 10001
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: files in the image and on volumes may be owned by the old
    /// IDs, so the application must be tested with the new ones.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    pub struct RunAsLowUid {
        code: "SEC009",
        name: "run-as-low-uid",
        severity: Warning,
        default: false,
        summary: "A container runs with a UID or GID below 10000",
    }
}

const MIN_ID: i64 = 10000;

impl Rule for RunAsLowUid {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if is_windows(&t) || t.spec_field("hostUsers").and_then(Node::as_bool) == Some(false) {
            return;
        }
        for (key, what) in [("runAsUser", "UID"), ("runAsGroup", "GID")] {
            let mut inheriting = Vec::new();
            let mut pod_field = None;
            for c in t.containers() {
                let Some(f) = c.security_field(key) else {
                    continue;
                };
                let Some(v) = f.node.as_i64().filter(|v| (1..MIN_ID).contains(v)) else {
                    continue;
                };
                if f.pod_level {
                    inheriting.push(format!("`{}`", c.name));
                    pod_field = Some((f.pointer, v));
                    continue;
                }
                out.report_container(
                    id,
                    &c,
                    f.pointer,
                    format!(
                        "{} `{}` runs with {what} {v} (`{key}: {v}`, below {MIN_ID}): if it escapes the container it acts as whatever host account has that {what}",
                        c.kind.as_str(),
                        c.name
                    ),
                );
            }
            if let Some((pointer, v)) = pod_field {
                let plural = if inheriting.len() == 1 { "" } else { "s" };
                out.report(
                    id,
                    pointer,
                    format!(
                        "pod-level `{key}: {v}` (below {MIN_ID}) runs container{plural} {} with host {what} {v}: a process that escapes acts as whatever host account has it",
                        inheriting.join(", ")
                    ),
                );
            }
        }
    }
}
