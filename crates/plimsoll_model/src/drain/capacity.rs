//! Node pools and what is asked of them: each pool's nodes, allocatable resources, the
//! requests of the pods bound there, and the pending pods that fit on no node at all
//! (the scheduler's filters of [`super::sched`], with the pods placed one after the
//! other, each counting for the next).
//!
//! A node's pool is the first of [`POOL_LABELS`] it carries (or the one label a
//! caller names); a node is spot or preemptible when it carries one of
//! [`SPOT_LABELS`].

use plimsoll_yaml::CompactString;

use super::sched::Sched;
use super::{Amounts, Cluster, NodeInfo, label};

/// The labels clouds and autoscalers put on a node to name its pool, in the order
/// they are looked at: Karpenter's NodePool, an EKS managed node group, a GKE node
/// pool, an AKS agent pool (and its older unprefixed label).
pub const POOL_LABELS: &[&str] = &[
    "karpenter.sh/nodepool",
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
    "agentpool",
];

/// A node label that marks spot or preemptible capacity.
#[derive(Debug, Clone, Copy)]
pub struct SpotLabel {
    pub key: &'static str,
    /// The value that means spot.
    pub value: &'static str,
    /// Whether the key alone means spot (on-demand nodes lack the label entirely).
    pub exists_means_spot: bool,
}

/// The spot labels of EKS managed node groups, Karpenter, GKE (Spot VMs and
/// preemptible VMs) and AKS spot node pools.
pub const SPOT_LABELS: &[SpotLabel] = &[
    SpotLabel {
        key: "eks.amazonaws.com/capacityType",
        value: "SPOT",
        exists_means_spot: false,
    },
    SpotLabel {
        key: "karpenter.sh/capacity-type",
        value: "spot",
        exists_means_spot: false,
    },
    SpotLabel {
        key: "cloud.google.com/gke-spot",
        value: "true",
        exists_means_spot: true,
    },
    SpotLabel {
        key: "cloud.google.com/gke-preemptible",
        value: "true",
        exists_means_spot: true,
    },
    SpotLabel {
        key: "kubernetes.azure.com/scalesetpriority",
        value: "spot",
        exists_means_spot: true,
    },
];

/// The label (`key=value`) that makes a node spot or preemptible: one of
/// [`SPOT_LABELS`] with its spot value, or one of `extra` (`key` for any value,
/// `key=value` for that value).
pub fn node_spot(labels: &[(CompactString, CompactString)], extra: &[String]) -> Option<String> {
    for l in SPOT_LABELS {
        if label(labels, l.key) == Some(l.value) {
            return Some(format!("{}={}", l.key, l.value));
        }
    }
    for e in extra {
        match e.split_once('=') {
            Some((k, v)) if label(labels, k) == Some(v) => return Some(e.clone()),
            None => {
                if let Some(v) = label(labels, e) {
                    return Some(format!("{e}={v}"));
                }
            }
            _ => {}
        }
    }
    None
}

/// The pool of a node: the value of `pool_label` when given, else of the first of
/// [`POOL_LABELS`] it carries; with the key it was read from.
pub fn pool_of<'n>(node: &'n NodeInfo, pool_label: Option<&'n str>) -> Option<(&'n str, &'n str)> {
    match pool_label {
        Some(k) => node.label(k).map(|v| (k, v)),
        None => POOL_LABELS
            .iter()
            .find_map(|k| node.label(k).map(|v| (*k, v))),
    }
}

/// One node pool.
#[derive(Debug, Clone, Default)]
pub struct PoolUsage {
    /// The pool's name; `None` for the nodes that carry no pool label.
    pub name: Option<String>,
    /// The label the pool was read from.
    pub label: Option<String>,
    /// Its nodes, by name.
    pub nodes: Vec<u32>,
    /// How many of them are cordoned.
    pub cordoned: usize,
    /// How many of them are spot or preemptible.
    pub spot: usize,
    pub allocatable: Amounts,
    /// The requests of the pods bound to its nodes (not terminal).
    pub requested: Amounts,
    /// Those pods.
    pub pods: usize,
    /// Pending pods that fit nowhere and that this pool's nodes would admit but for
    /// what is bound there (see [`Unplaced::pools`]).
    pub unplaced: usize,
}

impl PoolUsage {
    /// The requested share of a resource (`cpu`, `memory`, `pods`), `None` when the
    /// pool has none of it allocatable.
    pub fn share(&self, resource: &str) -> Option<f64> {
        let have = self.allocatable.get(resource);
        let used = if resource == "pods" {
            self.pods as i64
        } else {
            self.requested.get(resource)
        };
        (have > 0).then(|| used as f64 / have as f64)
    }

    /// The pool's name for people: its name, or `(no pool label)`.
    pub fn display(&self) -> &str {
        self.name.as_deref().unwrap_or("(no pool label)")
    }
}

/// A pending pod that fits on no node.
#[derive(Debug, Clone)]
pub struct Unplaced {
    pub pod: u32,
    /// The scheduler's answer (`0/5 nodes are available: ...`).
    pub reason: String,
    /// The pools (indexes into [`Capacity::pools`]) with a node whose taints and node
    /// selection admit the pod: where it is meant to go, and why it does not is
    /// what is bound there or its inter-pod constraints. Empty when no node admits it.
    pub pools: Vec<usize>,
}

/// The pools of a cluster and the pending pods that fit nowhere.
#[derive(Debug, Clone, Default)]
pub struct Capacity {
    /// By name; the nodes without a pool label last.
    pub pools: Vec<PoolUsage>,
    /// Per node, its pool.
    pub node_pool: Vec<usize>,
    /// Pods not bound to a node (not terminal, not terminating).
    pub pending: usize,
    /// Of them, those the scheduler's filters place on some node.
    pub placed: usize,
    pub unplaced: Vec<Unplaced>,
}

/// Groups the nodes into pools, sums what is bound there, and places the pending pods
/// one after the other (in input order) as the scheduler's filters would.
pub fn capacity(c: &Cluster, pool_label: Option<&str>) -> Capacity {
    let mut out = Capacity::default();
    let mut by_name: std::collections::BTreeMap<Option<&str>, usize> = Default::default();
    let mut keys: Vec<(Option<&str>, Option<&str>)> = Vec::new();
    for n in &c.nodes {
        let (key, name) = match pool_of(n, pool_label) {
            Some((k, v)) => (Some(k), Some(v)),
            None => (None, None),
        };
        keys.push((key, name));
        by_name.entry(name).or_insert(0);
    }
    // named pools in name order, then the unlabelled nodes
    let mut order: Vec<Option<&str>> = by_name.keys().copied().filter(Option::is_some).collect();
    if by_name.contains_key(&None) {
        order.push(None);
    }
    for (i, name) in order.iter().enumerate() {
        by_name.insert(*name, i);
        out.pools.push(PoolUsage {
            name: name.map(str::to_string),
            ..PoolUsage::default()
        });
    }
    for (i, n) in c.nodes.iter().enumerate() {
        let (key, name) = keys[i];
        let p = by_name[&name];
        out.node_pool.push(p);
        let pool = &mut out.pools[p];
        if pool.label.is_none() {
            pool.label = key.map(str::to_string);
        }
        pool.nodes.push(i as u32);
        pool.cordoned += usize::from(n.unschedulable);
        pool.spot += usize::from(node_spot(&n.labels, &[]).is_some());
        pool.allocatable.add(&n.allocatable, 1);
        for &pod in &c.node_pods[i] {
            pool.requested.add(&c.pods[pod as usize].requests, 1);
            pool.pods += 1;
        }
    }
    for pool in &mut out.pools {
        pool.nodes
            .sort_by(|&a, &b| c.nodes[a as usize].name.cmp(&c.nodes[b as usize].name));
    }
    let pending: Vec<u32> = (0..c.pods.len() as u32)
        .filter(|&p| {
            let pod = &c.pods[p as usize];
            pod.node_name.is_none() && !pod.phase.is_terminal() && !pod.terminating
        })
        .collect();
    out.pending = pending.len();
    if pending.is_empty() || c.nodes.is_empty() {
        for &p in &pending {
            out.unplaced.push(Unplaced {
                pod: p,
                reason: "0/0 nodes are available.".into(),
                pools: Vec::new(),
            });
        }
        return out;
    }
    let mut sched = Sched::new(c);
    for p in pending {
        let pod = &c.pods[p as usize];
        match sched.place(c, pod) {
            Ok(n) => {
                sched.bind(c, p, n);
                out.placed += 1;
            }
            Err(reason) => {
                let spec = &c.specs[pod.spec as usize];
                let mut pools: Vec<usize> = c
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| spec.admits(n))
                    .map(|(i, _)| out.node_pool[i])
                    .collect();
                pools.sort_unstable();
                pools.dedup();
                for &i in &pools {
                    out.pools[i].unplaced += 1;
                }
                out.unplaced.push(Unplaced {
                    pod: p,
                    reason,
                    pools,
                });
            }
        }
    }
    out
}
