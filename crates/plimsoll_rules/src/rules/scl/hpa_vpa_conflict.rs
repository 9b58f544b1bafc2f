use plimsoll_model::{ContainerKind, Object, PodTemplate, Pointer};

use super::util::{
    is_vpa, resource_metrics, target_ref, vpa_controlled_for, vpa_controlled_for_unnamed,
    vpa_named_containers, vpa_update_mode,
};
use crate::declare_rule;
use crate::rule::{Context, MAX_RELATED, Rule, Sink, list_capped};

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
    fn check(&self, cx: &Context, id: usize, vpa: &Object, out: &mut Sink) {
        if !is_vpa(vpa) || vpa_update_mode(vpa) == Some("Off") {
            return;
        }
        let (Some(ns), Some((kind, name))) =
            (vpa.namespace.as_deref(), target_ref(vpa, "targetRef"))
        else {
            return;
        };
        let groups = cx.hpa_groups().on(ns, kind, name);
        if groups.is_empty() {
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
        // HPAs that read the same metrics conflict with this VPA alike: each group is
        // judged once, by its first HPA, and the finding names them all (20 at most)
        let mut conflicts = Vec::new();
        for g in groups {
            let hpa = cx.index.object(g.hpas[0]);
            let conflict = resource_metrics(hpa).into_iter().find(|m| {
                if !matches!(m.resource, "cpu" | "memory") {
                    return false;
                }
                let controls = |c: &str| vpa_controlled_for(vpa, c).iter().any(|r| r == m.resource);
                match (m.container, &containers) {
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
                }
            });
            if let Some(m) = conflict {
                let how = if m.defaulted {
                    format!("{} (the default 80% CPU target)", m.resource)
                } else {
                    m.resource.to_string()
                };
                conflicts.push((g.hpas.as_slice(), m.resource, how, m.pointer));
            }
        }
        if conflicts.is_empty() {
            return;
        }
        let total: usize = conflicts.iter().map(|c| c.0.len()).sum();
        // the first HPAs of the input, with the metric each is judged by
        let mut runs: Vec<(&[usize], usize)> = conflicts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.0, i))
            .collect();
        let mut first: Vec<(usize, usize)> = Vec::new();
        while first.len() < MAX_RELATED {
            let Some((i, _)) = runs.iter().enumerate().min_by_key(|(_, r)| r.0[0]) else {
                break;
            };
            first.push((runs[i].0[0], runs[i].1));
            runs[i].0 = &runs[i].0[1..];
            if runs[i].0.is_empty() {
                runs.swap_remove(i);
            }
        }
        let mut resources: Vec<&str> = conflicts.iter().map(|c| c.1).collect();
        resources.sort_unstable();
        resources.dedup();
        let message = if total == 1 {
            let (_, resource, how, _) = &conflicts[0];
            format!(
                "VPA `{}` controls {resource} of {kind} `{name}`, which HPA `{}` scales on \
                 {how}: the two autoscalers fight over it",
                vpa.name,
                cx.index.object(first[0].0).name
            )
        } else {
            let mut hows: Vec<&str> = conflicts.iter().map(|c| c.2.as_str()).collect();
            hows.sort_unstable();
            hows.dedup();
            format!(
                "VPA `{}` controls {} of {kind} `{name}`, which HPAs {} scale on {}: the \
                 autoscalers fight over it",
                vpa.name,
                resources.join(" and "),
                list_capped(
                    first
                        .iter()
                        .map(|&(h, _)| format!("`{}`", cx.index.object(h).name)),
                    total,
                    MAX_RELATED
                ),
                hows.join(" and ")
            )
        };
        let f = out.report(
            id,
            Pointer::root().keys(&["spec", "resourcePolicy"]),
            message,
        );
        // the HPAs first, the workload last (counted when there is no room)
        let listed = if workload.is_some() {
            MAX_RELATED - 1
        } else {
            MAX_RELATED
        };
        for &(h, c) in first.iter().take(listed) {
            f.related(h, conflicts[c].3.clone());
        }
        if let Some((wid, _)) = workload {
            f.related(wid, Pointer::root());
        }
        f.related_omitted += total.saturating_sub(listed);
    }
}
