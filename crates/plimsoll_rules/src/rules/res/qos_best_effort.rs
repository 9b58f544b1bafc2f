use plimsoll_model::{Object, PodTemplate, QosClass};

use super::util::template_has_invalid;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates whose pods would get the `BestEffort` QoS class: no
    /// container (regular, init or sidecar) and no pod-level `spec.resources` requests
    /// or limits any cpu or memory. Other resources (ephemeral-storage, GPUs) do not
    /// count for the QoS class.
    ///
    /// ## Why it matters in production
    /// BestEffort pods are the first the kubelet evicts when a node runs short of
    /// memory or disk, and their processes get the highest OOM score (1000), so the
    /// kernel kills them first. They are also scheduled with no reservation at all. For
    /// anything that should stay up, that is an outage waiting for a busy node.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
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
    /// No automatic fix: requests must come from the application's real usage.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/>
    pub struct QosBestEffort {
        code: "RES007",
        name: "qos-best-effort",
        severity: Warning,
        default: true,
        summary: "Pods would get the BestEffort QoS class",
    }
}

impl Rule for QosBestEffort {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(first) = t.containers().find(|c| c.kind.counts_for_resources()) else {
            return;
        };
        if template_has_invalid(&t) || t.qos_class_at(cx.kube_version) != QosClass::BestEffort {
            return;
        }
        out.report(
            id,
            first.field_pointer(&["resources"]),
            format!(
                "pods of {} `{}` get QoS class {}: no container requests or limits cpu or memory, so they are evicted and OOM-killed first",
                obj.kind,
                obj.name,
                QosClass::BestEffort.as_str()
            ),
        );
    }
}
