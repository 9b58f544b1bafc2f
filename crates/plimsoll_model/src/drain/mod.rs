//! Node drains before they happen: what `kubectl drain` would do to each pod of a node
//! (its filters, then the Eviction API's answer under the PodDisruptionBudgets), and
//! whether the evicted pods fit on the nodes that remain (the scheduler's filters).
//!
//! The model, in the order a drain meets it:
//! - **kubectl** ([`filter`]): all named nodes are cordoned first, then drained one
//!   after the other; each pod of a node goes through kubectl's filters in their order
//!   (DaemonSet, mirror, local storage, unreplicated), the first that does not delete
//!   deciding. A node where some pod is an error (needs `--force` or
//!   `--delete-emptydir-data`) is refused whole: kubectl evicts none of its pods.
//! - **the API server** ([`budget`]): each eviction is judged as
//!   `pkg/registry/core/pod/storage/eviction.go` does, against the PDBs' status at that
//!   moment. An eviction that passes decrements `disruptionsAllowed` (and, for a Ready
//!   pod, `currentHealthy`): evictions earlier in the simulation count. Budgets do not
//!   recover within one drain: a replacement is not assumed Ready until the next step
//!   of a plan.
//! - **the scheduler** ([`sched`]): each evicted pod whose controller recreates it must
//!   pass the scheduler's filters on some schedulable node (unschedulable, taints,
//!   node selector and required node affinity, resources, hard topology spread,
//!   required inter-pod (anti-)affinity); it is placed on the least requested node
//!   that passes, and counts there for the pods placed after it.
//!
//! Nothing here does I/O: a front-end hands [`Object`]s to a [`ClusterBuilder`].

mod budget;
mod capacity;
mod sched;
mod sim;

pub use budget::{Budget, BudgetSource, Decision};
pub use capacity::{
    Capacity, POOL_LABELS, PoolUsage, SPOT_LABELS, SpotLabel, Unplaced, capacity, node_spot,
    pool_of,
};
pub use sched::SchedSpec;
pub use sim::{
    DrainOptions, NodeOutcome, NodeStatus, Outcome, PendingPod, PlanOutcome, PodOutcome, PodPdb,
    Verdict, drain, plan,
};

use std::collections::HashMap;

use plimsoll_yaml::{CompactString, Node};

use crate::intstr::IntOrPct;
use crate::object::Object;
use crate::quantity::Quantity;
use crate::selector::LabelSelector;

/// Labels as (key, value) pairs.
pub type Labels = Box<[(CompactString, CompactString)]>;

/// The value of a label.
pub fn label<'a>(labels: &'a [(CompactString, CompactString)], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn labels_of(node: Option<&Node>) -> Labels {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e.key.clone(),
                CompactString::new(e.value.as_text().unwrap_or("")),
            )
        })
        .collect()
}

/// `status.phase` of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl Phase {
    fn of(text: Option<&str>) -> Phase {
        match text {
            Some("Running") => Phase::Running,
            Some("Succeeded") => Phase::Succeeded,
            Some("Failed") => Phase::Failed,
            Some("Pending") => Phase::Pending,
            _ => Phase::Unknown,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Unknown => "Unknown",
        }
    }
}

/// Resource amounts as the scheduler compares them: CPU in millicores, the others in
/// whole units (bytes for memory and ephemeral storage), rounded up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Amounts {
    pub cpu: i64,
    pub memory: i64,
    pub ephemeral: i64,
    pub pods: i64,
    /// Extended resources and hugepages, by name.
    pub other: Vec<(CompactString, i64)>,
}

impl Amounts {
    fn amount(name: &str, q: Quantity) -> i64 {
        let v = if name == "cpu" {
            q.milli_ceil()
        } else {
            q.units_ceil()
        };
        v.clamp(0, i64::MAX as i128) as i64
    }

    /// A `ResourceList` node (`allocatable`, `requests`).
    fn from_list(node: Option<&Node>) -> Amounts {
        let mut out = Amounts::default();
        for e in node.map(Node::entries).unwrap_or_default() {
            let Some(q) = e.value.as_text().and_then(|t| Quantity::parse(t).ok()) else {
                continue;
            };
            out.set(&e.key, Amounts::amount(&e.key, q));
        }
        out
    }

    pub fn get(&self, name: &str) -> i64 {
        match name {
            "cpu" => self.cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral,
            "pods" => self.pods,
            _ => self
                .other
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, v)| *v),
        }
    }

    fn set(&mut self, name: &str, v: i64) {
        match name {
            "cpu" => self.cpu = v,
            "memory" => self.memory = v,
            "ephemeral-storage" => self.ephemeral = v,
            "pods" => self.pods = v,
            _ => match self.other.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = v,
                None => self.other.push((CompactString::new(name), v)),
            },
        }
    }

    /// `self += sign * other`.
    pub fn add(&mut self, other: &Amounts, sign: i64) {
        self.cpu += sign * other.cpu;
        self.memory += sign * other.memory;
        self.ephemeral += sign * other.ephemeral;
        self.pods += sign * other.pods;
        for (n, v) in &other.other {
            let cur = self.get(n);
            self.set(n, cur + sign * v);
        }
    }

    /// Each resource the larger of the two.
    fn max_with(&mut self, other: &Amounts) {
        self.cpu = self.cpu.max(other.cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral = self.ephemeral.max(other.ephemeral);
        self.pods = self.pods.max(other.pods);
        for (n, v) in &other.other {
            let cur = self.get(n);
            self.set(n, cur.max(*v));
        }
    }

    /// The requests of a pod as the scheduler computes them
    /// (`computePodResourceRequest`): the regular containers and the sidecars (init
    /// containers with `restartPolicy: Always`) together, or the largest init container
    /// with the sidecars started before it, whichever is larger; plus the pod overhead.
    /// A container's request is its limit when only a limit is written (as the API
    /// server defaults it). Pod-level `spec.resources.requests`, when written, replace
    /// the containers' sum.
    pub fn pod_requests(spec: Option<&Node>) -> Amounts {
        let Some(spec) = spec else {
            return Amounts {
                pods: 1,
                ..Amounts::default()
            };
        };
        let container = |c: &Node| {
            let r = c.get("resources");
            let mut req = Amounts::from_list(r.and_then(|r| r.get("limits")));
            let explicit = Amounts::from_list(r.and_then(|r| r.get("requests")));
            let names: Vec<String> = r
                .and_then(|r| r.get("requests"))
                .map(Node::entries)
                .unwrap_or_default()
                .iter()
                .map(|e| e.key.to_string())
                .collect();
            for n in names {
                req.set(&n, explicit.get(&n));
            }
            req
        };
        let mut regular = Amounts::default();
        for c in spec.get("containers").map(Node::items).unwrap_or_default() {
            regular.add(&container(c), 1);
        }
        let mut sidecars = Amounts::default();
        let mut init_max = Amounts::default();
        for c in spec
            .get("initContainers")
            .map(Node::items)
            .unwrap_or_default()
        {
            let r = container(c);
            if c.get("restartPolicy").and_then(Node::as_text) == Some("Always") {
                sidecars.add(&r, 1);
                init_max.max_with(&sidecars);
            } else {
                let mut with = r;
                with.add(&sidecars, 1);
                init_max.max_with(&with);
            }
        }
        regular.add(&sidecars, 1);
        if let Some(pod_level) = spec.at(&["resources", "requests"]) {
            let p = Amounts::from_list(Some(pod_level));
            for e in pod_level.entries() {
                regular.set(&e.key, p.get(&e.key));
            }
        }
        regular.max_with(&init_max);
        regular.add(&Amounts::from_list(spec.get("overhead")), 1);
        regular.pods = 1;
        regular
    }
}

/// A taint's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl Effect {
    fn of(text: &str) -> Option<Effect> {
        match text {
            "NoSchedule" => Some(Effect::NoSchedule),
            "PreferNoSchedule" => Some(Effect::PreferNoSchedule),
            "NoExecute" => Some(Effect::NoExecute),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::NoSchedule => "NoSchedule",
            Effect::PreferNoSchedule => "PreferNoSchedule",
            Effect::NoExecute => "NoExecute",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    pub key: CompactString,
    pub value: CompactString,
    pub effect: Effect,
}

impl std::fmt::Display for Taint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect.as_str())
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect.as_str())
        }
    }
}

/// The taint a cordoned node is treated as having (the `NodeUnschedulable` filter
/// lets through the pods that tolerate it).
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// A Node as the simulation reads it.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub name: String,
    pub labels: Labels,
    /// `spec.unschedulable`: cordoned.
    pub unschedulable: bool,
    pub taints: Box<[Taint]>,
    /// `status.allocatable`, else `status.capacity`.
    pub allocatable: Amounts,
    /// Whether the node reports allocatable or capacity (without, nothing fits on it, as
    /// for the scheduler).
    pub has_allocatable: bool,
}

impl NodeInfo {
    /// A core Node object as the model reads it.
    pub fn of(o: &Object) -> NodeInfo {
        let spec = o.spec();
        let taints = spec
            .and_then(|s| s.get("taints"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| {
                Some(Taint {
                    key: CompactString::new(t.get("key")?.as_text()?),
                    value: CompactString::new(t.get("value").and_then(Node::as_text).unwrap_or("")),
                    effect: Effect::of(t.get("effect")?.as_text()?)?,
                })
            })
            .collect();
        let status = o.root.get("status");
        let alloc = status
            .and_then(|s| s.get("allocatable"))
            .or_else(|| status.and_then(|s| s.get("capacity")));
        NodeInfo {
            name: o.name.clone(),
            labels: labels_of(o.metadata().and_then(|m| m.get("labels"))),
            unschedulable: spec
                .and_then(|s| s.get("unschedulable"))
                .and_then(Node::as_bool)
                .unwrap_or(false),
            taints,
            allocatable: Amounts::from_list(alloc),
            has_allocatable: alloc.is_some(),
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        label(&self.labels, key)
    }

    /// The zone of the node (`topology.kubernetes.io/zone`, or the deprecated
    /// `failure-domain.beta.kubernetes.io/zone` of older clusters).
    pub fn zone(&self) -> Option<&str> {
        self.label("topology.kubernetes.io/zone")
            .or_else(|| self.label("failure-domain.beta.kubernetes.io/zone"))
            .filter(|z| !z.is_empty())
    }
}

/// The controlling owner of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRef {
    pub kind: CompactString,
    pub name: CompactString,
}

/// A Pod as the simulation reads it.
#[derive(Debug, Clone)]
pub struct PodInfo {
    /// Index into [`Cluster::namespaces`].
    pub ns: u32,
    pub name: CompactString,
    pub labels: Labels,
    /// `spec.nodeName`, as written.
    pub node_name: Option<CompactString>,
    /// The node of the input it is bound to.
    pub node: Option<u32>,
    pub phase: Phase,
    /// The `Ready` condition is `True`.
    pub ready: bool,
    /// `metadata.deletionTimestamp` is set.
    pub terminating: bool,
    /// A static pod's mirror (annotation `kubernetes.io/config.mirror`).
    pub mirror: bool,
    /// Has an `emptyDir` volume (kubectl's local storage check).
    pub emptydir: bool,
    pub controller: Option<OwnerRef>,
    pub requests: Amounts,
    /// Index into the scheduling specs (shared by pods with the same constraints).
    pub spec: u32,
    /// A copy made by the simulation: the pod its controller creates again elsewhere.
    pub replacement: bool,
}

/// How a PDB's selector reads (policy/v1: `{}` every pod of the namespace, `null`
/// none; policy/v1beta1: both none).
#[derive(Debug, Clone)]
pub enum PdbSelector {
    Nothing,
    Everything,
    Labels(LabelSelector),
}

impl PdbSelector {
    fn matches(&self, labels: &[(CompactString, CompactString)]) -> bool {
        match self {
            PdbSelector::Nothing => false,
            PdbSelector::Everything => true,
            PdbSelector::Labels(s) => s.matches(|k| label(labels, k)),
        }
    }
}

/// A PodDisruptionBudget.
#[derive(Debug, Clone)]
pub struct PdbInfo {
    pub ns: u32,
    pub name: String,
    pub selector: PdbSelector,
    pub min_available: Option<IntOrPct>,
    pub max_unavailable: Option<IntOrPct>,
    /// `unhealthyPodEvictionPolicy: AlwaysAllow`.
    pub always_allow: bool,
    /// `metadata.generation` (absent in hand-written files).
    pub generation: Option<i64>,
    /// The status as written (`None` when absent).
    pub status: Option<budget::Status>,
    /// The pods it selects (as the disruption controller lists them).
    pub pods: Vec<u32>,
}

/// A controller of the input that a PDB's expected count or a pod's recreation needs.
#[derive(Debug, Clone)]
pub struct ControllerInfo {
    pub kind: CompactString,
    /// `spec.replicas` (`None` for kinds without a scale).
    pub replicas: Option<i64>,
    /// Its own controlling owner (a Deployment for a ReplicaSet).
    pub owner: Option<OwnerRef>,
}

/// Everything a drain reads: nodes, pods, PDBs and the controllers that own the pods.
#[derive(Debug, Default, Clone)]
pub struct Cluster {
    pub namespaces: Vec<String>,
    pub nodes: Vec<NodeInfo>,
    pub pods: Vec<PodInfo>,
    pub pdbs: Vec<PdbInfo>,
    pub specs: Vec<sched::SchedSpec>,
    pub controllers: HashMap<(u32, CompactString, CompactString), ControllerInfo>,
    /// Kinds of controllers present in the input (a DaemonSet missing from an input that
    /// holds DaemonSets is gone; from one that holds none, it is not known).
    pub controller_kinds: Vec<CompactString>,
    /// Per pod, the PDBs whose selector matches it (as the Eviction API matches them).
    pub pod_pdbs: Vec<Vec<u32>>,
    /// Per namespace, its pods.
    pub ns_pods: Vec<Vec<u32>>,
    /// Per node, the pods bound to it that use its resources (not terminal).
    pub node_pods: Vec<Vec<u32>>,
    pub node_by_name: HashMap<String, u32>,
    /// What the input lacked or the model could not decide, for the report.
    pub notes: Vec<String>,
}

impl Cluster {
    pub fn namespace(&self, ns: u32) -> &str {
        &self.namespaces[ns as usize]
    }

    pub fn node_named(&self, name: &str) -> Option<u32> {
        self.node_by_name.get(name).copied()
    }

    pub fn pod_id(&self, p: u32) -> String {
        let pod = &self.pods[p as usize];
        format!("{}/{}", self.namespace(pod.ns), pod.name)
    }

    pub fn controller(&self, ns: u32, r: &OwnerRef) -> Option<&ControllerInfo> {
        self.controllers.get(&(ns, r.kind.clone(), r.name.clone()))
    }

    pub fn has_controller_kind(&self, kind: &str) -> bool {
        self.controller_kinds.iter().any(|k| k == kind)
    }
}

/// Builds a [`Cluster`] from objects handed over one at a time (each can be dropped
/// right after: only what the simulation reads is kept).
#[derive(Debug, Default)]
pub struct ClusterBuilder {
    c: Cluster,
    ns_ids: HashMap<String, u32>,
    spec_ids: HashMap<String, u32>,
    /// (ns, name) of pods seen, for duplicates
    seen_pods: HashMap<(u32, CompactString), u32>,
    noted_statusless: bool,
    pub ignored: usize,
}

/// The kinds a drain reads.
pub const DRAIN_KINDS: &[&str] = &[
    "Node",
    "Pod",
    "PodDisruptionBudget",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
];

impl ClusterBuilder {
    pub fn new() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    fn ns(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ns_ids.get(name) {
            return id;
        }
        let id = self.c.namespaces.len() as u32;
        self.c.namespaces.push(name.to_string());
        self.c.ns_pods.push(Vec::new());
        self.ns_ids.insert(name.to_string(), id);
        id
    }

    /// Takes in one object; kinds a drain does not read are counted and dropped.
    pub fn add(&mut self, o: &Object) {
        match (o.group(), o.kind.as_str()) {
            ("", "Node") => self.add_node(o),
            ("", "Pod") => self.add_pod(o),
            ("policy", "PodDisruptionBudget") => self.add_pdb(o),
            ("apps" | "extensions", "ReplicaSet" | "Deployment" | "DaemonSet")
            | ("apps", "StatefulSet")
            | ("batch", "Job")
            | ("", "ReplicationController") => self.add_controller(o),
            _ => self.ignored += 1,
        }
    }

    fn add_node(&mut self, o: &Object) {
        let info = NodeInfo::of(o);
        if self.c.node_by_name.contains_key(&info.name) {
            self.c.notes.push(format!(
                "node {} is in the input twice: the first is used",
                info.name
            ));
            return;
        }
        self.c
            .node_by_name
            .insert(info.name.clone(), self.c.nodes.len() as u32);
        self.c.nodes.push(info);
    }

    fn add_pod(&mut self, o: &Object) {
        let ns = self.ns(o.namespace.as_deref().unwrap_or("default"));
        let name = CompactString::new(&o.name);
        if self.seen_pods.contains_key(&(ns, name.clone())) {
            self.c.notes.push(format!(
                "pod {}/{} is in the input twice: the first is used",
                self.c.namespace(ns),
                o.name
            ));
            return;
        }
        let spec = o.spec();
        let status = o.root.get("status").filter(|s| !s.is_null());
        // a pod written without any status (a hand-made file): taken as running healthy,
        // as the file's author presumably means, and said so
        let no_status = status.is_none();
        if no_status && !self.noted_statusless {
            self.noted_statusless = true;
            self.c
                .notes
                .push("pods without a status (hand-written) are taken as Running and Ready".into());
        }
        let ready = no_status
            || status
                .and_then(|s| s.get("conditions"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|c| {
                    c.get("type").and_then(Node::as_text) == Some("Ready")
                        && c.get("status").and_then(Node::as_text) == Some("True")
                });
        let controller = o.controller_ref().and_then(|r| {
            Some(OwnerRef {
                kind: CompactString::new(r.get("kind")?.as_text()?),
                name: CompactString::new(r.get("name")?.as_text()?),
            })
        });
        let emptydir = spec
            .and_then(|s| s.get("volumes"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|v| v.get("emptyDir").is_some());
        let spec_id = self.spec_id(ns, spec);
        let pod = PodInfo {
            ns,
            name: name.clone(),
            labels: labels_of(o.metadata().and_then(|m| m.get("labels"))),
            node_name: spec
                .and_then(|s| s.get("nodeName"))
                .and_then(Node::as_text)
                .filter(|n| !n.is_empty())
                .map(CompactString::new),
            node: None,
            phase: if no_status {
                Phase::Running
            } else {
                Phase::of(status.and_then(|s| s.get("phase")).and_then(Node::as_text))
            },
            ready,
            terminating: o
                .metadata()
                .and_then(|m| m.get("deletionTimestamp"))
                .is_some_and(|t| !t.is_null()),
            mirror: o.annotation("kubernetes.io/config.mirror").is_some(),
            emptydir,
            controller,
            requests: Amounts::pod_requests(spec),
            spec: spec_id,
            replacement: false,
        };
        let id = self.c.pods.len() as u32;
        self.seen_pods.insert((ns, name), id);
        self.c.ns_pods[ns as usize].push(id);
        self.c.pods.push(pod);
    }

    /// The scheduling constraints of a pod spec, shared by the pods that have the same.
    fn spec_id(&mut self, ns: u32, spec: Option<&Node>) -> u32 {
        let part = |k: &str| {
            spec.and_then(|s| s.get(k))
                .map(|n| n.to_json().to_string())
                .unwrap_or_default()
        };
        let key = format!(
            "{ns}\u{1}{}\u{1}{}\u{1}{}\u{1}{}",
            part("nodeSelector"),
            part("affinity"),
            part("tolerations"),
            part("topologySpreadConstraints"),
        );
        if let Some(&id) = self.spec_ids.get(&key) {
            return id;
        }
        let s = sched::SchedSpec::of(spec);
        let id = self.c.specs.len() as u32;
        self.c.specs.push(s);
        self.spec_ids.insert(key, id);
        id
    }

    fn add_pdb(&mut self, o: &Object) {
        let ns = self.ns(o.namespace.as_deref().unwrap_or("default"));
        let spec = o.spec();
        let selector = match spec.and_then(|s| s.get("selector")) {
            None => PdbSelector::Nothing,
            Some(n) if n.is_null() => PdbSelector::Nothing,
            Some(n) => match LabelSelector::from_label_selector(n) {
                // an invalid selector matches nothing (the Eviction API skips it)
                None => PdbSelector::Nothing,
                Some(s) if s.is_empty() => {
                    if o.api_version == "policy/v1" {
                        PdbSelector::Everything
                    } else {
                        PdbSelector::Nothing
                    }
                }
                Some(s) => PdbSelector::Labels(s),
            },
        };
        let int_or_pct = |k: &str| spec.and_then(|s| s.get(k)).and_then(IntOrPct::of);
        let status = o.root.get("status").and_then(budget::Status::of);
        self.c.pdbs.push(PdbInfo {
            ns,
            name: o.name.clone(),
            selector,
            min_available: int_or_pct("minAvailable"),
            max_unavailable: int_or_pct("maxUnavailable"),
            always_allow: spec
                .and_then(|s| s.get("unhealthyPodEvictionPolicy"))
                .and_then(Node::as_text)
                == Some("AlwaysAllow"),
            generation: o
                .metadata()
                .and_then(|m| m.get("generation"))
                .and_then(Node::as_i64),
            status,
            pods: Vec::new(),
        });
    }

    fn add_controller(&mut self, o: &Object) {
        let ns = self.ns(o.namespace.as_deref().unwrap_or("default"));
        let kind = CompactString::new(&o.kind);
        let replicas = match o.kind.as_str() {
            "ReplicaSet" | "Deployment" | "StatefulSet" | "ReplicationController" => {
                Some(crate::index::replica_count(o.root.at(&["spec", "replicas"]), 1).unwrap_or(1))
            }
            _ => None,
        };
        let owner = o.controller_ref().and_then(|r| {
            Some(OwnerRef {
                kind: CompactString::new(r.get("kind")?.as_text()?),
                name: CompactString::new(r.get("name")?.as_text()?),
            })
        });
        if !self.c.controller_kinds.contains(&kind) {
            self.c.controller_kinds.push(kind.clone());
        }
        self.c.controllers.insert(
            (ns, kind.clone(), CompactString::new(&o.name)),
            ControllerInfo {
                kind,
                replicas,
                owner,
            },
        );
    }

    /// Links pods to their nodes and PDBs to their pods.
    pub fn finish(self) -> Cluster {
        let mut c = self.c;
        c.node_pods = vec![Vec::new(); c.nodes.len()];
        let mut unknown_nodes: Vec<&str> = Vec::new();
        for (i, p) in c.pods.iter_mut().enumerate() {
            if let Some(n) = &p.node_name {
                match c.node_by_name.get(n.as_str()) {
                    Some(&id) => {
                        p.node = Some(id);
                        if !p.phase.is_terminal() {
                            c.node_pods[id as usize].push(i as u32);
                        }
                    }
                    None => unknown_nodes.push(n.as_str()),
                }
            }
        }
        unknown_nodes.sort_unstable();
        unknown_nodes.dedup();
        if !unknown_nodes.is_empty() {
            c.notes.push(format!(
                "{} node(s) that pods are bound to are not in the input ({}{}): their pods are counted for budgets, not for capacity",
                unknown_nodes.len(),
                unknown_nodes.iter().take(5).copied().collect::<Vec<_>>().join(", "),
                if unknown_nodes.len() > 5 { ", ..." } else { "" }
            ));
        }
        c.pod_pdbs = vec![Vec::new(); c.pods.len()];
        for (b, pdb) in c.pdbs.iter_mut().enumerate() {
            let pods: Vec<u32> = c
                .ns_pods
                .get(pdb.ns as usize)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|&p| pdb.selector.matches(&c.pods[p as usize].labels))
                .collect();
            for &p in &pods {
                c.pod_pdbs[p as usize].push(b as u32);
            }
            pdb.pods = pods;
        }
        c
    }
}

#[cfg(test)]
mod tests;
