//! The workloads to size, read from the object model (manifests or a live cluster):
//! every container of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and Argo
//! Rollouts, with its current requests and limits and the HPAs that scale it.

use plimsoll_model::{ContainerKind, Index, Object, PodTemplate, Pointer, replica_count};

use super::strategy::{Hpa, Values};

#[derive(Debug, Clone)]
pub struct TargetContainer {
    pub name: String,
    pub kind: ContainerKind,
    pub current: Values,
    /// Pointer to the container inside its object.
    pub pointer: Pointer,
    pub hpa: Hpa,
    /// Whether the resources block as written has each field (for edits).
    pub written: Written,
}

/// Which of the four values are written in the manifest.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub resources: bool,
    pub requests: bool,
    pub limits: bool,
    pub cpu_request: bool,
    pub cpu_limit: bool,
    pub memory_request: bool,
    pub memory_limit: bool,
}

#[derive(Debug, Clone)]
pub struct Target {
    /// The object's id in the index.
    pub object: usize,
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub containers: Vec<TargetContainer>,
    /// `spec.replicas` (Deployments, StatefulSets, Rollouts).
    pub replicas: Option<f64>,
    /// The HPA scaling the workload, any metric (name, minReplicas).
    pub hpa_name: Option<(String, f64)>,
    /// Cost-allocation labels: (setting entry, value) per `cost-labels` entry.
    pub cost_groups: Vec<(String, String)>,
}

/// The kinds sized, as the owner kinds kube-state-metrics reports.
pub fn sized_kind(o: &Object) -> bool {
    matches!(
        (o.group(), o.kind.as_str()),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet")
            | ("batch", "Job" | "CronJob")
            | ("argoproj.io", "Rollout")
    )
}

fn quantity(q: Option<plimsoll_model::Quantity>) -> Option<f64> {
    q.map(|q| q.as_f64())
}

/// Which resources an HPA scales on through utilisation (a share of the request), for
/// a container: `Resource` metrics with `Utilization` targets (autoscaling/v2 and
/// v2beta2, `targetAverageUtilization` in v2beta1), `ContainerResource` ones naming the
/// container, and autoscaling/v1's `targetCPUUtilizationPercentage`. An HPA without
/// metrics scales on 80% CPU utilisation.
fn hpa_utilisation(hpa: &Object, container: &str) -> (bool, bool) {
    let Some(spec) = hpa.spec() else {
        return (false, false);
    };
    if hpa.api_version == "autoscaling/v1" {
        return (true, false);
    }
    let metrics = spec.get("metrics").map(|m| m.items()).unwrap_or_default();
    if metrics.is_empty() {
        return (true, false);
    }
    let (mut cpu, mut mem) = (false, false);
    for m in metrics {
        let ty = m.get("type").and_then(|t| t.as_text()).unwrap_or("");
        let block = match ty {
            "Resource" => m.get("resource"),
            "ContainerResource" => m
                .get("containerResource")
                .filter(|c| c.get("container").and_then(|n| n.as_text()) == Some(container)),
            _ => None,
        };
        let Some(b) = block else { continue };
        let utilisation = b
            .get("target")
            .and_then(|t| t.get("type"))
            .and_then(|t| t.as_text())
            == Some("Utilization")
            || b.get("targetAverageUtilization").is_some();
        if !utilisation {
            continue;
        }
        match b.get("name").and_then(|n| n.as_text()) {
            Some("cpu") => cpu = true,
            Some("memory") => mem = true,
            _ => {}
        }
    }
    (cpu, mem)
}

fn written(node: Option<&plimsoll_model::Node>) -> Written {
    let r = node.and_then(|c| c.get("resources"));
    let req = r.and_then(|r| r.get("requests")).filter(|n| n.is_map());
    let lim = r.and_then(|r| r.get("limits")).filter(|n| n.is_map());
    Written {
        resources: r.is_some_and(|r| r.is_map()),
        requests: req.is_some(),
        limits: lim.is_some(),
        cpu_request: req.and_then(|n| n.get("cpu")).is_some(),
        cpu_limit: lim.and_then(|n| n.get("cpu")).is_some(),
        memory_request: req.and_then(|n| n.get("memory")).is_some(),
        memory_limit: lim.and_then(|n| n.get("memory")).is_some(),
    }
}

/// The workloads of the index in the given namespaces (all when empty).
pub fn targets(index: &Index, namespaces: &[String], cost_labels: &[String]) -> Vec<Target> {
    let mut out = Vec::new();
    for (id, o) in index.objects().iter().enumerate() {
        if !sized_kind(o) {
            continue;
        }
        let Some(ns) = &o.namespace else { continue };
        if !namespaces.is_empty() && !namespaces.contains(ns) {
            continue;
        }
        let Some(t) = PodTemplate::of(o) else {
            continue;
        };
        let hpas: Vec<&Object> = index
            .hpas_for(id)
            .iter()
            .map(|&h| index.object(h))
            .collect();
        let mut containers = Vec::new();
        for c in t.containers() {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let r = c.resources();
            let mut hpa = Hpa::default();
            for h in &hpas {
                let (cpu, mem) = hpa_utilisation(h, c.name);
                if cpu && hpa.cpu.is_none() {
                    hpa.cpu = Some(h.name.clone());
                }
                if mem && hpa.memory.is_none() {
                    hpa.memory = Some(h.name.clone());
                }
            }
            containers.push(TargetContainer {
                name: c.name.to_string(),
                kind: c.kind,
                current: Values {
                    cpu_request: quantity(r.requests.cpu),
                    cpu_limit: quantity(r.limits.cpu),
                    memory_request: quantity(r.requests.memory),
                    memory_limit: quantity(r.limits.memory),
                },
                pointer: c.pointer(),
                hpa,
                written: written(Some(c.node)),
            });
        }
        let replicas = match o.kind.as_str() {
            "Deployment" | "StatefulSet" | "Rollout" => {
                replica_count(o.spec().and_then(|s| s.get("replicas")), 1)
                    .ok()
                    .map(|r| r as f64)
            }
            _ => None,
        };
        let hpa_name = hpas.first().map(|h| {
            let min = h
                .spec()
                .and_then(|s| s.get("minReplicas"))
                .and_then(|m| m.as_i64())
                .unwrap_or(1);
            (h.name.clone(), min as f64)
        });
        let mut cost_groups = Vec::new();
        for entry in cost_labels {
            let value = entry.split('|').find_map(|key| {
                let key = key.trim();
                o.label(key)
                    .or_else(|| t.labels().find(|(k, _)| *k == key).map(|(_, v)| v))
            });
            cost_groups.push((
                entry.clone(),
                value.unwrap_or("__unallocated__").to_string(),
            ));
        }
        out.push(Target {
            object: id,
            namespace: ns.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            containers,
            replicas,
            hpa_name,
            cost_groups,
        });
    }
    out.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    out
}

/// Whether `s` is made of lowercase letters and digits, `n` of them (any when `None`).
fn alnum(s: &str, n: Option<usize>) -> bool {
    !s.is_empty()
        && n.is_none_or(|n| s.len() == n)
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether a pod's name is one the controller of `kind` named `name` gives its pods:
/// `name-<hash>-<5>` (Deployment, Rollout: through a ReplicaSet), `name-<ordinal>`
/// (StatefulSet), `name-<5>` (DaemonSet, Job), `name-<minutes>-<5>` (CronJob, through a
/// Job named after its scheduled time).
pub fn pod_name_matches(kind: &str, name: &str, pod: &str) -> bool {
    let Some(rest) = pod.strip_prefix(name).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    match (kind, parts.as_slice()) {
        ("Deployment" | "Rollout", [hash, suffix]) => alnum(hash, None) && alnum(suffix, Some(5)),
        ("StatefulSet", [ordinal]) => {
            !ordinal.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit())
        }
        ("DaemonSet" | "Job", [suffix]) => alnum(suffix, Some(5)),
        ("CronJob", [minutes, suffix]) => {
            !minutes.is_empty()
                && minutes.bytes().all(|b| b.is_ascii_digit())
                && alnum(suffix, Some(5))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(pod_name_matches("Deployment", "api", "api-7d9f8b6c4-abcde"));
        assert!(!pod_name_matches(
            "Deployment",
            "api",
            "api-worker-7d9f8b6c4-abcde"
        ));
        assert!(pod_name_matches("StatefulSet", "db", "db-0"));
        assert!(!pod_name_matches("StatefulSet", "db", "db-x"));
        assert!(pod_name_matches("DaemonSet", "agent", "agent-x7k2p"));
        assert!(pod_name_matches(
            "CronJob",
            "report",
            "report-29012345-x7k2p"
        ));
        assert!(!pod_name_matches("Job", "report", "report-29012345-x7k2p"));
    }
}
