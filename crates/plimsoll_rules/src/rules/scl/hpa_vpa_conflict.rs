use plimsoll_model::{ContainerKind, Object, PodTemplate, Pointer};

use super::util::{
    is_hpa, is_vpa, resource_metrics, target_ref, vpa_controlled_for, vpa_controlled_for_unnamed,
    vpa_named_containers, vpa_update_mode,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a VerticalPodAutoscaler (`autoscaling.k8s.io`) and an HPA that target
    /// the same workload when the HPA scales on cpu or memory (a `Resource` or
    /// `ContainerResource` metric, or the default 80% CPU) and the VPA controls that
    /// resource. A VPA in `updateMode: Off` (recommendations only) is not reported.
    /// What the VPA controls follows its `resourcePolicy.containerPolicies`: a
    /// container's own policy, else the `*` policy; `mode: Off` controls nothing, and
    /// `controlledResources` defaults to `[cpu, memory]`.
    ///
    /// ## Why it matters in production
    /// The two controllers chase each other. Under load the HPA adds pods because
    /// usage per pod is high relative to the request, while the VPA raises the request
    /// because usage is high; higher requests lower the utilization the HPA sees, so
    /// it scales in, and the VPA evicts pods to resize them. The VPA project states
    /// that it should not be used with an HPA on cpu or memory. The result is
    /// oscillating replica counts, evictions during peaks and unpredictable cost.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: autoscaling.k8s.io/v1
    /// kind: VerticalPodAutoscaler
    /// metadata: {name: api}
    /// spec:
    ///   targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   updatePolicy: {updateMode: Recreate}
    /// ---
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: api}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   maxReplicas: 10
    ///   metrics:
    ///     - type: Resource
    ///       resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    /// ```
    ///
    /// ## Use instead
    /// Let the VPA manage only what the HPA does not scale on:
    /// ```yaml
    /// spec:
    ///   targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   updatePolicy: {updateMode: Recreate}
    ///   resourcePolicy:
    ///     containerPolicies:
    ///       - containerName: "*"
    ///         controlledResources: [memory]
    /// ```
    /// Or scale horizontally on a custom or external metric (requests per second,
    /// queue length), or keep the VPA in `updateMode: Off` for recommendations.
    ///
    /// ## Fix safety
    /// No automatic fix: which autoscaler should own which resource is a design
    /// decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/autoscaling/>
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/>
    /// - <https://github.com/kubernetes/autoscaler/tree/master/vertical-pod-autoscaler#known-limitations>
    pub struct HpaVpaConflict {
        code: "SCL004",
        name: "hpa-vpa-conflict",
        severity: Error,
        default: true,
        summary: "An HPA and a VPA both act on the cpu or memory of the same workload",
    }
}

impl Rule for HpaVpaConflict {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_hpa(obj) {
            return;
        }
        let (Some(ns), Some((kind, name))) =
            (obj.namespace.as_deref(), target_ref(obj, "scaleTargetRef"))
        else {
            return;
        };
        let metrics = resource_metrics(obj);
        if metrics.is_empty() {
            return;
        }
        // The containers of the target, when it is in the input.
        let workload = cx.index.get(kind, Some(ns), name);
        let containers: Option<Vec<&str>> = workload.and_then(|(_, w)| {
            PodTemplate::of(w).map(|t| {
                t.containers()
                    .filter(|c| matches!(c.kind, ContainerKind::Regular | ContainerKind::Sidecar))
                    .map(|c| c.name)
                    .collect()
            })
        });
        for (vpa_id, vpa) in cx.index.of_kind_in("VerticalPodAutoscaler", ns) {
            if !is_vpa(vpa) || target_ref(vpa, "targetRef") != Some((kind, name)) {
                continue;
            }
            if vpa_update_mode(vpa) == Some("Off") {
                continue;
            }
            for m in &metrics {
                if !matches!(m.resource, "cpu" | "memory") {
                    continue;
                }
                let controls = |c: &str| vpa_controlled_for(vpa, c).iter().any(|r| r == m.resource);
                let conflict = match (m.container, &containers) {
                    (Some(c), _) => controls(c),
                    (None, Some(cs)) => cs.iter().any(|c| controls(c)),
                    // target not in the input: any policy (or the default for
                    // containers no policy names) that controls the resource
                    (None, None) => {
                        vpa_controlled_for_unnamed(vpa)
                            .iter()
                            .any(|r| r == m.resource)
                            || vpa_named_containers(vpa).into_iter().any(controls)
                    }
                };
                if !conflict {
                    continue;
                }
                let how = if m.defaulted {
                    format!("{} (the default 80% CPU target)", m.resource)
                } else {
                    m.resource.to_string()
                };
                let f = out.report(
                    vpa_id,
                    Pointer::root().keys(&["spec", "resourcePolicy"]),
                    format!(
                        "VPA `{}` controls {} of {kind} `{name}`, which HPA `{}` scales on \
                         {how}: the two autoscalers fight over it",
                        vpa.name, m.resource, obj.name
                    ),
                );
                f.related(id, m.pointer.clone());
                if let Some((wid, _)) = workload {
                    f.related(wid, Pointer::root());
                }
                break;
            }
        }
    }
}
