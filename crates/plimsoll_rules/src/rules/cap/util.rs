//! Helpers shared by the CAP rules: the Nodes and Pods of the input in the scheduling
//! model (`plimsoll_model::drain`), which nodes a pod template may run on, and which
//! workloads are critical.

use plimsoll_model::drain::{Capacity, Cluster, ClusterBuilder, SchedSpec, capacity};
use plimsoll_model::{Index, Object, PodTemplate};

use crate::rule::Context;
use crate::rules::msh::util::production_label;

/// The Nodes and Pods of the input, read once per run by the first CAP rule that asks.
pub struct CapModel {
    pub cluster: Cluster,
    pub capacity: Capacity,
    /// Whether some Pod of the input is bound to one of its Nodes.
    pub has_bound_pods: bool,
}

impl CapModel {
    pub fn build(index: &Index) -> CapModel {
        let mut b = ClusterBuilder::new();
        for kind in ["Node", "Pod"] {
            for (_, o) in index.of_kind(kind).filter(|(_, o)| o.group().is_empty()) {
                b.add(o);
            }
        }
        let cluster = b.finish();
        let capacity = capacity(&cluster, None);
        let has_bound_pods = cluster.node_pods.iter().any(|p| !p.is_empty());
        CapModel {
            cluster,
            capacity,
            has_bound_pods,
        }
    }

    /// The nodes (ids into `cluster.nodes`) whose taints, labels and name admit pods
    /// of this template, cordoned ones included.
    pub fn admitting(&self, t: &PodTemplate) -> Vec<u32> {
        let spec = SchedSpec::of(Some(t.spec));
        (0..self.cluster.nodes.len() as u32)
            .filter(|&n| spec.admits(&self.cluster.nodes[n as usize]))
            .collect()
    }
}

/// The workload kinds the CAP rules judge by their template: those that run a number
/// of long-running replicas (not DaemonSets, Jobs, CronJobs or bare Pods).
pub fn replicated(obj: &Object) -> bool {
    matches!(
        (obj.group(), obj.kind.as_str()),
        (
            "apps" | "extensions",
            "Deployment" | "ReplicaSet" | "StatefulSet"
        ) | ("", "ReplicationController")
            | ("argoproj.io", "Rollout")
    )
}

/// The lowest PriorityClass value counted as high.
pub const HIGH_PRIORITY: i64 = 1_000_000;

/// Whether a namespace is production: labelled so (`environment`, `env` or `tier` set
/// to `production` or `prod`, on its Namespace object), named `prod` or `production`
/// or ending in `-prod` or `-production`, or listed in the `critical-namespaces`
/// setting. The reason, when it is.
pub fn production_namespace(cx: &Context, ns: &str) -> Option<String> {
    if let Some((_, o)) = cx.index.namespace_object(ns)
        && let Some(label) = production_label(o)
    {
        return Some(format!("namespace `{ns}` is labelled {label} production"));
    }
    let named =
        matches!(ns, "prod" | "production") || ns.ends_with("-prod") || ns.ends_with("-production");
    if named {
        return Some(format!("namespace `{ns}` is named as production"));
    }
    cx.settings
        .critical_namespaces
        .iter()
        .any(|e| !e.contains('=') && e == ns)
        .then(|| format!("namespace `{ns}` is listed as critical"))
}

/// Why a workload is critical, if it is: a PodDisruptionBudget protects it, its
/// PriorityClass is high (`system-cluster-critical`, `system-node-critical`, or a
/// PriorityClass of the input with a value of [`HIGH_PRIORITY`] or more), or it runs
/// two or more replicas in a production namespace ([`production_namespace`]).
pub fn critical(cx: &Context, id: usize, obj: &Object, t: &PodTemplate) -> Option<String> {
    if let Some(pdb) = cx.index.pdbs_for(id).first() {
        return Some(format!(
            "PodDisruptionBudget `{}` protects it",
            cx.index.object(pdb).name
        ));
    }
    if let Some(class) = t
        .spec_field("priorityClassName")
        .and_then(plimsoll_model::Node::as_text)
    {
        if matches!(class, "system-cluster-critical" | "system-node-critical") {
            return Some(format!("its PriorityClass is `{class}`"));
        }
        if let Some((_, pc)) = cx.index.get("PriorityClass", None, class)
            && let Some(v) = pc.root.get("value").and_then(plimsoll_model::Node::as_i64)
            && v >= HIGH_PRIORITY
        {
            return Some(format!("its PriorityClass `{class}` has the value {v}"));
        }
    }
    let ns = obj.namespace.as_deref().unwrap_or("default");
    let replicas = cx.index.expected_min_replicas(id).unwrap_or(0);
    if replicas >= 2
        && let Some(why) = production_namespace(cx, ns)
    {
        return Some(format!("it runs {replicas} replicas and {why}"));
    }
    None
}

/// `node-a, node-b and 3 more`.
pub fn node_list(cx: &Context, nodes: &[u32]) -> String {
    let c = &cx.capacity().cluster;
    let mut names: Vec<&str> = nodes
        .iter()
        .map(|&n| c.nodes[n as usize].name.as_str())
        .collect();
    names.sort_unstable();
    crate::rule::list_capped(names.iter().map(|n| format!("`{n}`")), names.len(), 3)
}
