use plimsoll_model::{Node, Object, PodTemplate, Pointer, QosClass, Resources};

use super::util::{burstable_reason, template_has_invalid};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates whose pods would get the `Burstable` QoS class, and says
    /// which container and resource make them so. A pod is `Guaranteed` only when
    /// every container (regular, init and sidecar) has cpu and memory limits equal to
    /// its requests (a limit alone counts, the request defaults to it), or when the
    /// pod-level `spec.resources` does. This rule is off by default: Burstable is the
    /// right class for most workloads; enable it for latency-critical namespaces.
    ///
    /// ## Why it matters in production
    /// Under node memory pressure, Burstable pods that use more than they request are
    /// evicted before Guaranteed ones, and their OOM score rises as their request
    /// falls. Only Guaranteed pods with integer cpu get exclusive cores from the static
    /// cpu manager policy.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 500m, memory: 256Mi}
    ///       limits: {memory: 512Mi}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       limits: {cpu: 500m, memory: 512Mi}
    /// ```
    ///
    /// ## Fix safety
    /// When the reported resources (the container's, or the pod-level ones) request a
    /// non-zero amount of both cpu and memory, the fix sets each limit that is missing
    /// or differs to its request (the request's text as written), which makes those
    /// resources Guaranteed. It is display-only: a limit at the request throttles or
    /// OOM-kills a container that used to burst above it, and raising the requests
    /// instead changes how much the scheduler reserves; which is right depends on real
    /// usage. When cpu or memory is not requested at all no value follows from the
    /// manifest and there is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/quality-service-pod/>
    pub struct QosBurstable {
        code: "RES008",
        name: "qos-burstable",
        severity: Info,
        default: false,
        fix: DisplayOnly,
        summary: "Pods would get the Burstable QoS class",
    }
}

impl Rule for QosBurstable {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if template_has_invalid(&t) || t.qos_class_at(cx.kube_version) != QosClass::Burstable {
            return;
        }
        let head = format!(
            "pods of {} `{}` get QoS class {}",
            obj.kind,
            obj.name,
            QosClass::Burstable.as_str()
        );
        if let Some(pod) = t.pod_resources_at(cx.kube_version)
            && (pod.requests.cpu.is_some()
                || pod.requests.memory.is_some()
                || pod.limits.cpu.is_some()
                || pod.limits.memory.is_some())
        {
            let why = burstable_reason(&pod).unwrap_or_else(|| "is not Guaranteed".into());
            let base = t.spec_pointer(&["resources"]);
            let fix = limits_to_requests(t.spec.get("resources"), &base);
            let f = out.report(id, base, format!("{head}: the pod-level resources {why}"));
            if let Some(fix) = fix {
                f.fix(fix);
            }
            return;
        }
        let containers: Vec<_> = t
            .containers()
            .filter(|c| c.kind.counts_for_resources())
            .collect();
        for c in &containers {
            if let Some(why) = burstable_reason(&c.resources()) {
                let base = c.field_pointer(&["resources"]);
                let fix = limits_to_requests(c.get("resources"), &base);
                let f = out.report_container(
                    id,
                    c,
                    base,
                    format!("{head}: {} `{}` {why}", c.kind.as_str(), c.name),
                );
                if let Some(fix) = fix {
                    f.fix(fix);
                }
                return;
            }
        }
        // a mix of Guaranteed and BestEffort containers
        if let Some(c) = containers.iter().find(|c| {
            let r = c.resources();
            r.effective_request("cpu").is_none_or(|q| q.is_zero())
                && r.effective_request("memory").is_none_or(|q| q.is_zero())
        }) {
            out.report_container(
                id,
                c,
                c.field_pointer(&["resources"]),
                format!(
                    "{head}: {} `{}` requests no cpu or memory while other containers are Guaranteed",
                    c.kind.as_str(),
                    c.name
                ),
            );
        }
    }
}

/// Sets the cpu and memory limits of `resources` (at `base`) to their requests, when
/// both are requested (a limit alone stands for an equal request): shown, never
/// applied. `None` when a resource is not requested or nothing would change.
fn limits_to_requests(resources: Option<&Node>, base: &Pointer) -> Option<Fix> {
    let node = resources?;
    let r = Resources::from_node(Some(node));
    let mut fix = Fix::new(
        Applicability::DisplayOnly,
        "set the cpu and memory limits to the requests (QoS class Guaranteed)",
    );
    let mut changed = false;
    for res in ["cpu", "memory"] {
        let lim = r.limits.get(res);
        match r.requests.get(res) {
            Some(q) if !q.is_zero() => {
                if lim == Some(q) {
                    continue;
                }
                let value = node.at(&["requests", res])?.to_json();
                let path = base.clone().key("limits").key(res);
                fix = if lim.is_some() {
                    fix.replace(&path, value)
                } else {
                    fix.add(&path, value)
                };
                changed = true;
            }
            None if lim.is_some_and(|l| !l.is_zero()) => {}
            _ => return None,
        }
    }
    changed.then_some(fix)
}
