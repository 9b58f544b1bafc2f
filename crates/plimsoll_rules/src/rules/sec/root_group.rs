use plimsoll_model::{Node, Object, PodTemplate};

use super::util::is_windows;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports the root group (GID 0) given to a pod's processes or files:
    /// - `runAsGroup: 0` on a container (init, sidecar, regular or ephemeral), or at
    ///   pod level when at least one container inherits it (a container's own
    ///   `runAsGroup` overrides the pod's);
    /// - `spec.securityContext.fsGroup: 0` (volumes become owned by group 0 and every
    ///   process gets it as a supplementary group);
    /// - `0` in `spec.securityContext.supplementalGroups`.
    ///
    /// An unset `runAsGroup` uses the image's group, which a manifest cannot show; it
    /// is not reported. Windows pods are skipped (the fields are forbidden there).
    /// Pod Security Standards do not check groups, which is why this rule exists; it
    /// is opt-in because many images expect group 0 (OpenShift-style images make
    /// their files group-0 writable on purpose).
    ///
    /// ## Why it matters in production
    /// Group 0 owns much of a container image and of the host (`/etc`, devices, some
    /// sockets). A process that escapes its container with GID 0 can read and write
    /// whatever is group-root accessible, even when its UID is not root.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    ///   runAsGroup: 0
    ///   fsGroup: 0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    ///   runAsGroup: 10001
    ///   fsGroup: 10001
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: files the application must read or write may be readable by
    /// group 0 only, and changing `fsGroup` changes the ownership of existing volume
    /// data.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    pub struct RootGroup {
        code: "SEC006",
        name: "root-group",
        severity: Info,
        default: false,
        summary: "Processes or volumes get the root group (GID 0)",
    }
}

fn is_zero(n: Option<&Node>) -> bool {
    n.and_then(Node::as_i64) == Some(0)
}

impl Rule for RootGroup {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if is_windows(&t) {
            return;
        }
        let psc = t.spec_field("securityContext");
        let pod_group = psc.and_then(|s| s.get("runAsGroup"));
        let mut inheriting = Vec::new();
        for c in t.containers() {
            let own = c.get("securityContext").and_then(|s| s.get("runAsGroup"));
            match own {
                Some(n) if !n.is_null() => {
                    if is_zero(Some(n)) {
                        out.report_container(
                            id,
                            &c,
                            c.field_pointer(&["securityContext", "runAsGroup"]),
                            format!(
                                "{} `{}` runs with the root group (`runAsGroup: 0`)",
                                c.kind.as_str(),
                                c.name
                            ),
                        );
                    }
                }
                _ => inheriting.push(format!("`{}`", c.name)),
            }
        }
        if is_zero(pod_group) && !inheriting.is_empty() {
            let plural = if inheriting.len() == 1 { "" } else { "s" };
            out.report(
                id,
                t.spec_pointer(&["securityContext", "runAsGroup"]),
                format!(
                    "pod-level `runAsGroup: 0` runs container{plural} {} with the root group",
                    inheriting.join(", ")
                ),
            );
        }
        if is_zero(psc.and_then(|s| s.get("fsGroup"))) {
            out.report(
                id,
                t.spec_pointer(&["securityContext", "fsGroup"]),
                "`fsGroup: 0` makes volumes owned by the root group and gives it to every process of the pod",
            );
        }
        let groups = psc
            .and_then(|s| s.get("supplementalGroups"))
            .map(Node::items)
            .unwrap_or_default();
        for (i, g) in groups.iter().enumerate() {
            if is_zero(Some(g)) {
                out.report(
                    id,
                    t.spec_pointer(&["securityContext", "supplementalGroups"])
                        .index(i),
                    "`supplementalGroups` gives every process of the pod the root group (0)",
                );
            }
        }
    }
}
