use plimsoll_model::{Container, ContainerKind, Object, PodTemplate};

use super::util::{is_hpa, resource_metrics, target_ref};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads scaled by an HPA on cpu or memory *utilization* while a
    /// container the HPA counts has no request for that resource. The HPA counts the
    /// regular containers and the sidecars (`initContainers` with
    /// `restartPolicy: Always`); for a `ContainerResource` metric, only the named
    /// container. A request defaults from the limit when only a limit is written, and a
    /// pod-level request (`spec.resources.requests`) covers a `Resource` metric.
    ///
    /// An HPA without `metrics` (or an `autoscaling/v1` HPA) targets 80% CPU
    /// utilization by default, so it needs cpu requests too. A `ContainerResource`
    /// metric naming a container the template does not have is reported on the HPA.
    ///
    /// ## Why it matters in production
    /// Utilization is usage divided by request. When any counted container has no
    /// request, the HPA cannot compute it: the controller logs
    /// `missing request for cpu in container ...` and takes no action for that metric.
    /// The workload stays at its current size through the next traffic spike, and
    /// nothing fails loudly.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           resources: {requests: {cpu: 500m}}
    ///         - name: log-shipper            # no cpu request
    ///           resources: {limits: {memory: 64Mi}}
    /// ---
    /// kind: HorizontalPodAutoscaler
    /// spec:
    ///   metrics:
    ///     - type: Resource
    ///       resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///         - name: log-shipper
    ///           resources:
    ///             requests: {cpu: 50m}
    ///             limits: {memory: 64Mi}
    /// ```
    /// Or scale on one container with a `ContainerResource` metric.
    ///
    /// ## Fix safety
    /// No automatic fix: the request must come from the container's real usage
    /// (its usage in your metrics, or a VPA recommendation).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details>
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#container-resource-metrics>
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    pub struct HpaUtilizationWithoutRequest {
        code: "SCL002",
        name: "hpa-utilization-without-request",
        severity: Error,
        default: true,
        summary: "An HPA scales on utilization of a resource some counted container does not request",
    }
}

impl Rule for HpaUtilizationWithoutRequest {
    /// Checking a workload reports on the HorizontalPodAutoscaler that scales it.
    fn reports_on_other_objects(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if is_hpa(obj) {
            // judged through its target; a target the input lacks cannot be judged
            let utilization = resource_metrics(obj)
                .iter()
                .any(|m| m.utilization.is_some() && matches!(m.resource, "cpu" | "memory"));
            if let (true, Some((kind, name)), Some(ns)) = (
                utilization,
                target_ref(obj, "scaleTargetRef"),
                obj.namespace.as_deref(),
            ) && cx.index.get(kind, Some(ns), name).is_none()
            {
                out.not_evaluated(
                    id,
                    format!(
                        "the HPA's target {kind} `{name}` is not in the input, so whether its \
                         containers request what the HPA's utilization target needs is unknown"
                    ),
                );
            }
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let hpas = cx.index.hpas_for(id);
        for &hpa_id in hpas {
            let hpa = cx.index.object(hpa_id);
            if !is_hpa(hpa) {
                continue;
            }
            for m in resource_metrics(hpa) {
                let Some(pct) = m.utilization else { continue };
                if !matches!(m.resource, "cpu" | "memory") {
                    continue;
                }
                let target = if m.defaulted {
                    format!("{pct}% {} utilization, the default", m.resource)
                } else {
                    format!("{pct}% {} utilization", m.resource)
                };
                // the containers whose requests the controller sums for this metric
                let counted: Vec<Container> = if let Some(name) = m.container {
                    let Some(c) = t
                        .containers()
                        .find(|c| c.kind.is_long_running() && c.name == name)
                    else {
                        out.report(
                            hpa_id,
                            m.pointer.key("container"),
                            format!(
                                "the ContainerResource metric names container `{name}`, which \
                                 {} `{}` does not run: the HPA cannot compute its utilization",
                                obj.kind, obj.name
                            ),
                        )
                        .related(id, t.spec_pointer(&["containers"]));
                        continue;
                    };
                    vec![c]
                } else if t
                    .pod_resources_at(cx.kube_version)
                    .is_some_and(|r| r.effective_request(m.resource).is_some())
                {
                    Vec::new()
                } else {
                    t.containers()
                        .filter(|c| {
                            matches!(c.kind, ContainerKind::Regular | ContainerKind::Sidecar)
                        })
                        .collect()
                };
                for c in counted {
                    if c.resources().effective_request(m.resource).is_none() {
                        out.report_container(
                            id,
                            &c,
                            c.field_pointer(&["resources", "requests", m.resource]),
                            format!(
                                "{} `{}` has no {} request, so HPA `{}` cannot compute its \
                                 target of {target}",
                                c.kind.as_str(),
                                c.name,
                                m.resource,
                                hpa.name
                            ),
                        )
                        .related(hpa_id, m.pointer.clone());
                    }
                }
            }
        }
    }
}
