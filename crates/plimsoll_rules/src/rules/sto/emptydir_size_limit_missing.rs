use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `emptyDir` volumes without `sizeLimit`:
    /// - memory-backed ones (`medium: Memory`) always;
    /// - disk-backed ones unless the pod's ephemeral storage is bounded otherwise: an
    ///   `ephemeral-storage` limit on any container (the kubelet evicts the pod when
    ///   its containers' writable layers, logs and disk `emptyDir`s together exceed
    ///   the sum of those limits).
    ///
    /// ## Why it matters in production
    /// A disk `emptyDir` lives on the node's root or kubelet filesystem. A cache or
    /// spool that grows without bound fills it, the node reports `DiskPressure`, and
    /// the kubelet evicts pods that did nothing wrong. With `sizeLimit`, the kubelet
    /// evicts only the pod whose volume overflows.
    ///
    /// A `medium: Memory` `emptyDir` is a tmpfs: what is written to it is memory
    /// charged to the pod's memory cgroup. Without `sizeLimit` it may grow up to the
    /// pod's memory limit (or the node's allocatable memory when the pod has none),
    /// so a full tmpfs OOM-kills the container or starves the node.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: cache
    ///     emptyDir: {}
    ///   - name: scratch
    ///     emptyDir: {medium: Memory}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// volumes:
    ///   - name: cache
    ///     emptyDir: {sizeLimit: 2Gi}
    ///   - name: scratch
    ///     emptyDir: {medium: Memory, sizeLimit: 64Mi}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the limit depends on what the application writes; a limit too
    /// small gets the pod evicted.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/storage/volumes/#emptydir>
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/>
    pub struct EmptydirSizeLimitMissing {
        code: "STO003",
        name: "emptydir-size-limit-missing",
        severity: Warning,
        default: true,
        summary: "An emptyDir volume has no sizeLimit",
    }
}

impl Rule for EmptydirSizeLimitMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let volumes = t.spec_field("volumes").map(Node::items).unwrap_or_default();
        if volumes.is_empty() {
            return;
        }
        let storage_bounded = t
            .containers()
            .filter(|c| c.kind.counts_for_resources())
            .any(|c| c.resources().limits.get("ephemeral-storage").is_some());
        for (i, v) in volumes.iter().enumerate() {
            let Some(entry) = v.entry("emptyDir") else {
                continue;
            };
            let ed = &entry.value;
            if ed.get("sizeLimit").is_some_and(|s| !s.is_null()) {
                continue;
            }
            let name = v.get("name").and_then(Node::as_text).unwrap_or("");
            let path = t
                .spec_pointer(&["volumes"])
                .index(i)
                .keys(&["emptyDir", "sizeLimit"]);
            let memory = ed.get("medium").and_then(Node::as_text) == Some("Memory");
            if memory {
                out.report(
                    id,
                    path,
                    format!(
                        "memory-backed emptyDir `{name}` has no sizeLimit: its tmpfs grows \
                         into the pod's memory until the container is OOM-killed"
                    ),
                );
            } else if !storage_bounded {
                out.report(
                    id,
                    path,
                    format!(
                        "emptyDir `{name}` has no sizeLimit and no container limits \
                         ephemeral-storage: it can fill the node's disk"
                    ),
                );
            }
        }
    }
}
