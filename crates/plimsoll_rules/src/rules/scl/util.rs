//! Helpers shared by the SCL rules: reading HPAs and VPAs as their controllers do.
//! (Candidates for the shared model: `HpaMetric`/`resource_metrics` and `VpaPolicy`.)

use std::collections::HashMap;

use plimsoll_model::{Index, Node, Object, Pointer};

/// Whether an object is a HorizontalPodAutoscaler (any autoscaling version).
pub fn is_hpa(obj: &Object) -> bool {
    obj.kind == "HorizontalPodAutoscaler" && obj.group() == "autoscaling"
}

/// Whether an object is a VerticalPodAutoscaler.
pub fn is_vpa(obj: &Object) -> bool {
    obj.kind == "VerticalPodAutoscaler" && obj.group() == "autoscaling.k8s.io"
}

/// Built-in kinds that have no `scale` subresource, so an HPA cannot target them.
pub fn is_unscalable_builtin(kind: &str) -> bool {
    matches!(
        kind,
        "DaemonSet"
            | "Job"
            | "CronJob"
            | "Pod"
            | "Service"
            | "ConfigMap"
            | "Secret"
            | "Ingress"
            | "PersistentVolumeClaim"
            | "HorizontalPodAutoscaler"
            | "PodDisruptionBudget"
            | "Namespace"
    )
}

/// `(kind, name)` of an HPA's `spec.scaleTargetRef` or a VPA's `spec.targetRef`.
pub fn target_ref<'a>(obj: &'a Object, field: &str) -> Option<(&'a str, &'a str)> {
    let t = obj.root.at(&["spec", field])?;
    Some((
        t.get("kind").and_then(Node::as_text)?,
        t.get("name").and_then(Node::as_text)?,
    ))
}

/// A `Resource` or `ContainerResource` metric of an HPA (or the default one).
#[derive(Debug, Clone)]
pub struct ResourceMetric<'a> {
    pub resource: &'a str,
    /// The container of a `ContainerResource` metric.
    pub container: Option<&'a str>,
    /// The utilization target in percent, for `Utilization` targets.
    pub utilization: Option<i64>,
    /// Where the metric is written (for the default, where it would be).
    pub pointer: Pointer,
    /// True for the 80% CPU target the API server fills in when no metric is given.
    pub defaulted: bool,
}

/// The HPA's resource metrics, as the API server stores them: autoscaling/v1's
/// `targetCPUUtilizationPercentage` (default 80), and in v2/v2beta2/v2beta1 the
/// `Resource`/`ContainerResource` metrics, or 80% CPU utilization when `metrics` is
/// empty or missing.
pub fn resource_metrics(hpa: &Object) -> Vec<ResourceMetric<'_>> {
    let spec = hpa.spec();
    if hpa.version() == "v1" {
        let written = spec
            .and_then(|s| s.get("targetCPUUtilizationPercentage"))
            .and_then(Node::as_i64);
        return vec![ResourceMetric {
            resource: "cpu",
            container: None,
            utilization: Some(written.unwrap_or(80)),
            pointer: Pointer::root().keys(&["spec", "targetCPUUtilizationPercentage"]),
            defaulted: written.is_none(),
        }];
    }
    let metrics = spec
        .and_then(|s| s.get("metrics"))
        .map(Node::items)
        .unwrap_or_default();
    if metrics.is_empty() {
        return vec![ResourceMetric {
            resource: "cpu",
            container: None,
            utilization: Some(80),
            pointer: Pointer::root().keys(&["spec", "metrics"]),
            defaulted: true,
        }];
    }
    let mut out = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        let (member, node) = match m.get("type").and_then(Node::as_text) {
            Some("Resource") => ("resource", m.get("resource")),
            Some("ContainerResource") => ("containerResource", m.get("containerResource")),
            _ => continue,
        };
        let Some(node) = node else { continue };
        let Some(resource) = node.get("name").and_then(Node::as_text) else {
            continue;
        };
        let utilization = match node.get("target") {
            // autoscaling/v2 and v2beta2
            Some(t) if t.get("type").and_then(Node::as_text) == Some("Utilization") => Some(
                t.get("averageUtilization")
                    .and_then(Node::as_i64)
                    .unwrap_or(0),
            ),
            Some(_) => None,
            // autoscaling/v2beta1
            None => node.get("targetAverageUtilization").and_then(Node::as_i64),
        };
        out.push(ResourceMetric {
            resource,
            container: if member == "containerResource" {
                node.get("container").and_then(Node::as_text)
            } else {
                None
            },
            utilization,
            pointer: Pointer::root()
                .keys(&["spec", "metrics"])
                .index(i)
                .key(member),
            defaulted: false,
        });
    }
    out
}

/// Whether an HPA has an `Object` or `External` metric (needed for minReplicas 0).
pub fn has_object_or_external_metric(hpa: &Object) -> bool {
    hpa.root
        .at(&["spec", "metrics"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|m| {
            matches!(
                m.get("type").and_then(Node::as_text),
                Some("Object" | "External")
            )
        })
}

/// The VPA's update mode as written (`None` when `updatePolicy.updateMode` is unset).
pub fn vpa_update_mode(vpa: &Object) -> Option<&str> {
    vpa.root
        .at(&["spec", "updatePolicy", "updateMode"])
        .and_then(Node::as_text)
}

/// The resources a VPA controls for a container: by the container's own policy, else
/// the `*` policy, else the default (cpu and memory). Empty when the policy's mode is
/// `Off`.
pub fn vpa_controlled_for(vpa: &Object, container: &str) -> Vec<String> {
    let policies = vpa
        .root
        .at(&["spec", "resourcePolicy", "containerPolicies"])
        .map(Node::items)
        .unwrap_or_default();
    let by_name = |n: &str| {
        policies
            .iter()
            .find(|p| p.get("containerName").and_then(Node::as_text) == Some(n))
    };
    let policy = by_name(container).or_else(|| by_name("*"));
    controlled_by(policy)
}

/// Resources a VPA controls for containers that no policy names.
pub fn vpa_controlled_for_unnamed(vpa: &Object) -> Vec<String> {
    vpa_controlled_for(vpa, "*")
}

/// Every container name a VPA policy names (other than `*`).
pub fn vpa_named_containers(vpa: &Object) -> Vec<&str> {
    vpa.root
        .at(&["spec", "resourcePolicy", "containerPolicies"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get("containerName").and_then(Node::as_text))
        .filter(|n| *n != "*")
        .collect()
}

fn controlled_by(policy: Option<&Node>) -> Vec<String> {
    let Some(p) = policy else {
        return vec!["cpu".into(), "memory".into()];
    };
    if p.get("mode").and_then(Node::as_text) == Some("Off") {
        return Vec::new();
    }
    match p.get("controlledResources") {
        Some(list) if list.is_seq() => list
            .items()
            .iter()
            .filter_map(|r| r.as_text().map(str::to_string))
            .collect(),
        _ => vec!["cpu".into(), "memory".into()],
    }
}

/// HPAs on one target that read the same cpu and memory metrics (the same resources,
/// containers and defaults, written at the same places): a rule that judges them
/// against another object judges the group once.
#[derive(Debug)]
pub struct HpaGroup {
    /// ascending; the first stands for them all
    pub hpas: Vec<usize>,
}

/// The HPAs (`autoscaling`) of the input by target (namespace, kind, name), grouped.
#[derive(Debug, Default)]
pub struct HpaGroups {
    by_target: HashMap<(String, String, String), Vec<HpaGroup>>,
}

impl HpaGroups {
    pub fn build(index: &Index) -> HpaGroups {
        type Signature = Vec<(String, Option<String>, bool, Pointer)>;
        let mut at: HashMap<(String, String, String), HashMap<Signature, usize>> = HashMap::new();
        let mut groups = HpaGroups::default();
        for (id, hpa) in index.of_kind("HorizontalPodAutoscaler") {
            if !is_hpa(hpa) {
                continue;
            }
            let (Some(ns), Some((kind, name))) =
                (hpa.namespace.as_deref(), target_ref(hpa, "scaleTargetRef"))
            else {
                continue;
            };
            let signature: Signature = resource_metrics(hpa)
                .into_iter()
                .filter(|m| matches!(m.resource, "cpu" | "memory"))
                .map(|m| {
                    (
                        m.resource.to_string(),
                        m.container.map(str::to_string),
                        m.defaulted,
                        m.pointer,
                    )
                })
                .collect();
            let key = (ns.to_string(), kind.to_string(), name.to_string());
            let list = groups.by_target.entry(key.clone()).or_default();
            let g = *at
                .entry(key)
                .or_default()
                .entry(signature)
                .or_insert_with(|| {
                    list.push(HpaGroup { hpas: Vec::new() });
                    list.len() - 1
                });
            list[g].hpas.push(id);
        }
        groups
    }

    /// The groups of HPAs whose scaleTargetRef names this target.
    pub fn on(&self, ns: &str, kind: &str, name: &str) -> &[HpaGroup] {
        self.by_target
            .get(&(ns.to_string(), kind.to_string(), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// A Karpenter NodePool (`karpenter.sh`, any version).
pub fn is_nodepool(obj: &Object) -> bool {
    obj.kind == "NodePool" && obj.group() == "karpenter.sh"
}

/// A KEDA ScaledObject (`keda.sh`).
pub fn is_scaled_object(obj: &Object) -> bool {
    obj.kind == "ScaledObject" && obj.group() == "keda.sh"
}

#[cfg(test)]
mod tests {
    use plimsoll_model::Index;

    use super::HpaGroups;
    use crate::input::load_text;

    /// n HPAs on one target reading the same metric are one group (a rule judges
    /// them once against each VPA, where it judged every HPA against every VPA).
    #[test]
    fn hpas_on_one_target_with_the_same_metrics_are_one_group() {
        for n in [10, 40] {
            let mut text = String::new();
            for i in 0..n {
                text += &format!(
                    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: h{i}, namespace: shop}}\nspec: {{scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: api}}, maxReplicas: 3, metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}}}]}}\n---\n"
                );
            }
            text += "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: mem, namespace: shop}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}, maxReplicas: 3, metrics: [{type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}}]}\n";
            let index = Index::new(load_text(0, &text, "default").objects);
            let groups = HpaGroups::build(&index);
            let on = groups.on("shop", "Deployment", "api");
            let sizes: Vec<usize> = on.iter().map(|g| g.hpas.len()).collect();
            assert_eq!(sizes, [n, 1]);
            assert!(groups.on("shop", "Deployment", "other").is_empty());
        }
    }
}
