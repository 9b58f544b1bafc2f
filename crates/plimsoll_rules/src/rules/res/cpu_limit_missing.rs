use plimsoll_model::{Object, PodTemplate};

use super::util::{copied_fix, is_invalid};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers without `resources.limits.cpu`: regular containers, init
    /// containers and sidecars. Ephemeral containers are not checked, and a pod-level
    /// cpu limit (`spec.resources.limits.cpu`) covers every container.
    ///
    /// This rule is **off by default**. A cpu limit is a hard ceiling enforced by CFS
    /// quota: a container that reaches it is throttled for the rest of each 100 ms
    /// period even when the node has idle cpu, which shows up as latency spikes that
    /// no cpu graph explains. Many platform teams therefore set cpu requests (RES001)
    /// but deliberately no cpu limits, and the most common complaint about peer
    /// linters is that they demand cpu limits by default. Enable it where a policy
    /// (multi-tenant clusters, ResourceQuotas on `limits.cpu`, Guaranteed QoS for
    /// cpu pinning) requires cpu limits.
    ///
    /// ## Why it matters in production
    /// Without a cpu limit a busy container can use all idle cpu of its node; its
    /// neighbours still get their requested share, but a runaway process can make
    /// per-node cpu usage, and so noisy-neighbour latency, unpredictable. A namespace
    /// with a ResourceQuota on `limits.cpu` rejects pods without one.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi}
    ///       limits: {memory: 256Mi}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi}
    ///       limits: {cpu: "1", memory: 256Mi}
    /// ```
    ///
    /// ## Fix safety
    /// When the container has a cpu request, the fix writes a cpu limit equal to it
    /// (`resources.limits.cpu`, the request's text as written). It is display-only: a
    /// limit at the request throttles a container that used to burst above it, and
    /// the right ceiling depends on real usage. Without a request no value follows
    /// from the manifest and there is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-limits-are-run>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/>
    pub struct CpuLimitMissing {
        code: "RES004",
        name: "cpu-limit-missing",
        severity: Warning,
        default: false,
        fix: DisplayOnly,
        summary: "A container has no cpu limit",
    }
}

impl Rule for CpuLimitMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if t.pod_resources_at(cx.kube_version)
            .is_some_and(|r| r.limits.cpu.is_some())
        {
            return;
        }
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            let r = c.resources();
            if r.limits.cpu.is_none() && !is_invalid(&r, "cpu") {
                let path = c.field_pointer(&["resources", "limits", "cpu"]);
                let fix = copied_fix(
                    c.get("resources"),
                    &path,
                    "requests",
                    "limits",
                    "cpu",
                    |q| format!("set the cpu limit to the cpu request ({q})"),
                );
                let f = out.report_container(
                    id,
                    &c,
                    path,
                    format!("{} `{}` has no cpu limit", c.kind.as_str(), c.name),
                );
                if let Some(fix) = fix {
                    f.fix(fix);
                }
            }
        }
    }
}
