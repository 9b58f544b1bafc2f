use plimsoll_model::{Object, PodTemplate};

use super::util::copied_fix;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers without `resources.limits.memory`: regular containers,
    /// init containers and sidecars (`initContainers` with `restartPolicy: Always`).
    /// Ephemeral containers cannot have resources and are not checked. A pod-level
    /// memory limit (`spec.resources.limits.memory`) covers every container.
    ///
    /// ## Why it matters in production
    /// Memory is not compressible. A container without a memory limit can grow until
    /// the node runs short, and then the kubelet evicts pods and the kernel's OOM
    /// killer picks processes on the node, often ones that did nothing wrong. A limit
    /// confines the damage to the container that leaks.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi}
    ///       limits: {memory: 256Mi}
    /// ```
    ///
    /// ## Fix safety
    /// When the container has a memory request, the fix writes a memory limit equal to
    /// it (`resources.limits.memory`, the request's text as written). It is
    /// display-only: the right limit depends on the application's peak usage (read it
    /// from real usage: the container's peak in your metrics, or a VPA
    /// recommendation), and a limit at the request gets a container that bursts above
    /// its request OOM-killed. Without a request no value follows from the manifest and
    /// there is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/>
    pub struct MemoryLimitMissing {
        code: "RES003",
        name: "memory-limit-missing",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "A container has no memory limit",
    }
}

impl Rule for MemoryLimitMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if t.pod_resources_at(cx.kube_version)
            .is_some_and(|r| r.limits.memory.is_some())
        {
            return;
        }
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            if c.resources().limits.memory.is_none() {
                let path = c.field_pointer(&["resources", "limits", "memory"]);
                let fix = copied_fix(
                    c.get("resources"),
                    &path,
                    "requests",
                    "limits",
                    "memory",
                    |q| format!("set the memory limit to the memory request ({q})"),
                );
                let f = out.report_container(
                    id,
                    &c,
                    path,
                    format!("{} `{}` has no memory limit", c.kind.as_str(), c.name),
                );
                if let Some(fix) = fix {
                    f.fix(fix);
                }
            }
        }
    }
}
