//! Helpers shared by the SCL rules: reading HPAs and VPAs as their controllers do.
//! (Candidates for the shared model: `HpaMetric`/`resource_metrics` and `VpaPolicy`.)

use plimsoll_model::{Node, Object, Pointer};

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
