//! Where a recreated pod can go: the default scheduler's filters, in its order
//! (`NodeUnschedulable`, `TaintToleration`, `NodeAffinity`, `NodeResourcesFit`,
//! `PodTopologySpread`, `InterPodAffinity`). A node passes or gives the first filter
//! that rejects it, as the scheduler's "0/N nodes are available" message counts them.
//!
//! Not modelled: host ports, volumes (zone and node affinity of PersistentVolumes,
//! attach limits), DRA claims, scheduling gates, preemption, and `namespaceSelector`s
//! that name labels (Namespaces are not in a drain's input): such terms are left out,
//! and said so.

use std::collections::{HashMap, HashSet};

use plimsoll_yaml::{CompactString, Node};

use super::{Amounts, Cluster, Effect, NodeInfo, PodInfo, Taint, UNSCHEDULABLE_TAINT, label};
use crate::selector::{LabelSelector, Requirement, SelectorOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

#[derive(Debug, Clone)]
struct NodeReq {
    key: String,
    op: NodeOp,
    values: Vec<String>,
}

impl NodeReq {
    fn of(n: &Node) -> Option<NodeReq> {
        let op = match n.get("operator")?.as_text()? {
            "In" => NodeOp::In,
            "NotIn" => NodeOp::NotIn,
            "Exists" => NodeOp::Exists,
            "DoesNotExist" => NodeOp::DoesNotExist,
            "Gt" => NodeOp::Gt,
            "Lt" => NodeOp::Lt,
            _ => return None,
        };
        Some(NodeReq {
            key: n.get("key")?.as_text()?.to_string(),
            op,
            values: n
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_text().map(str::to_string))
                .collect(),
        })
    }

    fn matches(&self, value: Option<&str>) -> bool {
        let num = |s: &str| s.parse::<i64>().ok();
        match self.op {
            NodeOp::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            NodeOp::NotIn => value.is_none_or(|v| self.values.iter().all(|x| x != v)),
            NodeOp::Exists => value.is_some(),
            NodeOp::DoesNotExist => value.is_none(),
            NodeOp::Gt | NodeOp::Lt => {
                let (Some(v), Some(bound)) = (
                    value.and_then(num),
                    self.values.first().and_then(|b| num(b)),
                ) else {
                    return false;
                };
                if self.op == NodeOp::Gt {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }
}

/// One `nodeSelectorTerms` entry: every expression and field must hold.
#[derive(Debug, Clone)]
struct NodeTerm {
    exprs: Vec<NodeReq>,
    fields: Vec<NodeReq>,
}

impl NodeTerm {
    fn matches(&self, node: &NodeInfo) -> bool {
        // a term with nothing in it matches no node
        if self.exprs.is_empty() && self.fields.is_empty() {
            return false;
        }
        self.exprs.iter().all(|r| r.matches(node.label(&r.key)))
            && self
                .fields
                .iter()
                .all(|r| r.key == "metadata.name" && r.matches(Some(node.name.as_str())))
    }
}

#[derive(Debug, Clone)]
struct Toleration {
    key: Option<String>,
    exists: bool,
    value: String,
    effect: Option<Effect>,
}

impl Toleration {
    fn of(n: &Node) -> Toleration {
        let text = |k: &str| n.get(k).and_then(Node::as_text).unwrap_or("").to_string();
        let key = text("key");
        let effect = text("effect");
        Toleration {
            key: (!key.is_empty()).then_some(key),
            exists: text("operator") == "Exists",
            value: text("value"),
            effect: match effect.as_str() {
                "NoSchedule" => Some(Effect::NoSchedule),
                "PreferNoSchedule" => Some(Effect::PreferNoSchedule),
                "NoExecute" => Some(Effect::NoExecute),
                _ => None,
            },
        }
    }

    /// `ToleratesTaint`.
    fn tolerates(&self, t: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != t.effect) {
            return false;
        }
        match &self.key {
            None => self.exists,
            Some(k) => k == t.key.as_str() && (self.exists || self.value == t.value.as_str()),
        }
    }
}

/// The namespaces an inter-pod term looks at.
#[derive(Debug, Clone)]
enum NsScope {
    /// The pod's own namespace (no `namespaces`, no `namespaceSelector`).
    Own,
    /// Named namespaces (with a `namespaceSelector` naming labels left out).
    Named(Vec<String>),
    /// `namespaceSelector: {}`.
    All,
}

#[derive(Debug, Clone)]
struct PodTerm {
    /// `None`: a null `labelSelector`, which matches no pod.
    selector: Option<LabelSelector>,
    scope: NsScope,
    topology_key: String,
    match_label_keys: Vec<String>,
    mismatch_label_keys: Vec<String>,
}

impl PodTerm {
    fn of(n: &Node, undecided: &mut Vec<String>) -> Option<PodTerm> {
        let topology_key = n.get("topologyKey")?.as_text()?.to_string();
        let namespaces: Vec<String> = n
            .get("namespaces")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_text().map(str::to_string))
            .collect();
        let ns_sel = n.get("namespaceSelector").filter(|s| !s.is_null());
        let scope = match ns_sel {
            Some(s) if s.entries().is_empty() => NsScope::All,
            Some(_) => {
                undecided.push(format!(
                    "a pod (anti-)affinity term with a namespaceSelector naming labels (topologyKey {topology_key}): Namespaces are not read, so only its `namespaces` list counts"
                ));
                NsScope::Named(namespaces)
            }
            None if namespaces.is_empty() => NsScope::Own,
            None => NsScope::Named(namespaces),
        };
        let keys = |k: &str| -> Vec<String> {
            n.get(k)
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_text().map(str::to_string))
                .collect()
        };
        Some(PodTerm {
            selector: n
                .get("labelSelector")
                .filter(|s| !s.is_null())
                .and_then(LabelSelector::from_label_selector),
            scope,
            topology_key,
            match_label_keys: keys("matchLabelKeys"),
            mismatch_label_keys: keys("mismatchLabelKeys"),
        })
    }

    /// Whether namespace `ns` is looked at by the term of a pod in namespace `own`.
    fn covers(&self, own: &str, ns: &str) -> bool {
        match &self.scope {
            NsScope::Own => own == ns,
            NsScope::Named(list) => list.iter().any(|n| n == ns),
            NsScope::All => true,
        }
    }

    /// The selector with `matchLabelKeys` (and `mismatchLabelKeys`) taken from the
    /// labels of the pod that carries the term.
    fn effective(&self, owner_labels: &[(CompactString, CompactString)]) -> Option<LabelSelector> {
        let mut s = self.selector.clone()?;
        for k in &self.match_label_keys {
            if let Some(v) = label(owner_labels, k) {
                s.requirements.push(Requirement {
                    key: k.clone(),
                    op: SelectorOp::In,
                    values: vec![v.to_string()],
                });
            }
        }
        for k in &self.mismatch_label_keys {
            if let Some(v) = label(owner_labels, k) {
                s.requirements.push(Requirement {
                    key: k.clone(),
                    op: SelectorOp::NotIn,
                    values: vec![v.to_string()],
                });
            }
        }
        Some(s)
    }
}

#[derive(Debug, Clone)]
struct Spread {
    max_skew: i64,
    topology_key: String,
    selector: Option<LabelSelector>,
    match_label_keys: Vec<String>,
    min_domains: i64,
    honor_affinity: bool,
    honor_taints: bool,
}

/// The scheduling constraints of a pod spec.
#[derive(Debug, Clone, Default)]
pub struct SchedSpec {
    node_selector: Vec<(String, String)>,
    /// `None`: no required node affinity.
    required: Option<Vec<NodeTerm>>,
    tolerations: Vec<Toleration>,
    anti: Vec<PodTerm>,
    affinity: Vec<PodTerm>,
    spread: Vec<Spread>,
    /// Constraints the model leaves out, for the report.
    pub undecided: Vec<String>,
}

impl SchedSpec {
    pub fn of(spec: Option<&Node>) -> SchedSpec {
        let mut s = SchedSpec::default();
        let Some(spec) = spec else {
            return s;
        };
        s.node_selector = spec
            .get("nodeSelector")
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .map(|e| {
                (
                    e.key.to_string(),
                    e.value.as_text().unwrap_or("").to_string(),
                )
            })
            .collect();
        if let Some(terms) = spec.at(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ]) {
            s.required = Some(
                terms
                    .items()
                    .iter()
                    .map(|t| NodeTerm {
                        exprs: t
                            .get("matchExpressions")
                            .map(Node::items)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(NodeReq::of)
                            .collect(),
                        fields: t
                            .get("matchFields")
                            .map(Node::items)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(NodeReq::of)
                            .collect(),
                    })
                    .collect(),
            );
        }
        s.tolerations = spec
            .get("tolerations")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(Toleration::of)
            .collect();
        let mut undecided = Vec::new();
        for (kind, out) in [
            ("podAntiAffinity", &mut s.anti),
            ("podAffinity", &mut s.affinity),
        ] {
            if let Some(terms) = spec.at(&[
                "affinity",
                kind,
                "requiredDuringSchedulingIgnoredDuringExecution",
            ]) {
                *out = terms
                    .items()
                    .iter()
                    .filter_map(|t| PodTerm::of(t, &mut undecided))
                    .collect();
            }
        }
        s.undecided = undecided;
        s.spread = spec
            .get("topologySpreadConstraints")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter(|c| c.get("whenUnsatisfiable").and_then(Node::as_text) == Some("DoNotSchedule"))
            .filter_map(|c| {
                Some(Spread {
                    max_skew: c.get("maxSkew").and_then(Node::as_i64).unwrap_or(1).max(1),
                    topology_key: c.get("topologyKey")?.as_text()?.to_string(),
                    selector: c
                        .get("labelSelector")
                        .filter(|s| !s.is_null())
                        .and_then(LabelSelector::from_label_selector),
                    match_label_keys: c
                        .get("matchLabelKeys")
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|v| v.as_text().map(str::to_string))
                        .collect(),
                    min_domains: c.get("minDomains").and_then(Node::as_i64).unwrap_or(1),
                    honor_affinity: c.get("nodeAffinityPolicy").and_then(Node::as_text)
                        != Some("Ignore"),
                    honor_taints: c.get("nodeTaintsPolicy").and_then(Node::as_text)
                        == Some("Honor"),
                })
            })
            .collect();
        s
    }

    /// Whether the pod tolerates a taint.
    fn tolerates(&self, t: &Taint) -> bool {
        self.tolerations.iter().any(|tol| tol.tolerates(t))
    }

    /// The first NoSchedule or NoExecute taint of the node the pod does not tolerate.
    fn untolerated<'n>(&self, node: &'n NodeInfo) -> Option<&'n Taint> {
        node.taints.iter().find(|t| {
            matches!(t.effect, Effect::NoSchedule | Effect::NoExecute) && !self.tolerates(t)
        })
    }

    /// nodeSelector and required node affinity.
    fn selects(&self, node: &NodeInfo) -> bool {
        self.node_selector
            .iter()
            .all(|(k, v)| node.label(k) == Some(v.as_str()))
            && self
                .required
                .as_ref()
                .is_none_or(|terms| terms.iter().any(|t| t.matches(node)))
    }

    /// Whether the pod tolerates a cordoned node (`node.kubernetes.io/unschedulable`).
    fn tolerates_unschedulable(&self) -> bool {
        self.tolerates(&Taint {
            key: CompactString::const_new(UNSCHEDULABLE_TAINT),
            value: CompactString::default(),
            effect: Effect::NoSchedule,
        })
    }

    /// The filters that depend on the node alone (taints, `nodeSelector`, required
    /// node affinity): whether the pod may ever run on this node, whatever else is
    /// bound there. A cordon is not counted: it is not the pod's constraint.
    pub fn admits(&self, node: &NodeInfo) -> bool {
        self.untolerated(node).is_none() && self.selects(node)
    }

    /// Whether a required pod anti-affinity term or a `DoNotSchedule` topology spread
    /// constraint uses this topology key.
    pub fn hard_spread_on(&self, key: &str) -> bool {
        self.anti.iter().any(|t| t.topology_key == key)
            || self.spread.iter().any(|s| s.topology_key == key)
    }

    pub fn has_inter_pod(&self) -> bool {
        !self.anti.is_empty() || !self.affinity.is_empty() || !self.spread.is_empty()
    }

    pub fn has_anti(&self) -> bool {
        !self.anti.is_empty()
    }

    /// Whether some anti-affinity term looks beyond the pod's own namespace.
    fn anti_crosses(&self) -> bool {
        self.anti.iter().any(|t| !matches!(t.scope, NsScope::Own))
    }
}

/// Why a node does not take a pod: the first filter that rejects it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unfit {
    Unschedulable,
    Taint(String),
    Selector,
    Insufficient(String),
    TooManyPods,
    SpreadMissingLabel,
    Spread,
    AntiAffinity,
    ExistingAntiAffinity,
    PodAffinity,
}

impl Unfit {
    /// The scheduler's wording for a count of nodes.
    fn message(&self, n: usize) -> String {
        match self {
            Unfit::Unschedulable => format!("{n} node(s) were unschedulable"),
            Unfit::Taint(t) => format!("{n} node(s) had untolerated taint {{{t}}}"),
            Unfit::Selector => format!("{n} node(s) didn't match Pod's node affinity/selector"),
            Unfit::Insufficient(r) => format!("{n} Insufficient {r}"),
            Unfit::TooManyPods => format!("{n} Too many pods"),
            Unfit::SpreadMissingLabel => format!(
                "{n} node(s) didn't match pod topology spread constraints (missing required label)"
            ),
            Unfit::Spread => format!("{n} node(s) didn't match pod topology spread constraints"),
            Unfit::AntiAffinity => format!("{n} node(s) didn't match pod anti-affinity rules"),
            Unfit::ExistingAntiAffinity => {
                format!("{n} node(s) didn't satisfy existing pods anti-affinity rules")
            }
            Unfit::PodAffinity => format!("{n} node(s) didn't match pod affinity rules"),
        }
    }
}

/// The scheduler's state during a simulation: what each node has bound, and which
/// nodes are cordoned.
#[derive(Debug, Clone)]
pub struct Sched {
    pub used: Vec<Amounts>,
    pub unschedulable: Vec<bool>,
    /// Per node: pods placed on it are preferred elsewhere (a node a plan drains later).
    pub avoid: Vec<bool>,
    /// Per spec, per node: the static filters' answer (0: passes, 1: node affinity or
    /// selector, 2 + i: the node's taint i), computed on first use.
    static_fit: HashMap<u32, Vec<u8>>,
    /// Pods (bound, alive) that carry required anti-affinity terms, by the namespace
    /// their terms look at: the pod's own (most terms), or others (`cross`).
    anti_own: HashMap<u32, Vec<u32>>,
    anti_cross: Vec<u32>,
}

impl Sched {
    pub fn new(c: &Cluster) -> Sched {
        let used = c
            .node_pods
            .iter()
            .map(|pods| {
                let mut a = Amounts::default();
                for &p in pods {
                    a.add(&c.pods[p as usize].requests, 1);
                }
                a
            })
            .collect();
        let mut anti_own: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut anti_cross = Vec::new();
        for (i, p) in c.pods.iter().enumerate() {
            if alive_bound(p) && c.specs[p.spec as usize].has_anti() {
                if c.specs[p.spec as usize].anti_crosses() {
                    anti_cross.push(i as u32);
                } else {
                    anti_own.entry(p.ns).or_default().push(i as u32);
                }
            }
        }
        Sched {
            used,
            unschedulable: c.nodes.iter().map(|n| n.unschedulable).collect(),
            avoid: vec![false; c.nodes.len()],
            static_fit: HashMap::new(),
            anti_own,
            anti_cross,
        }
    }

    fn static_fit(c: &Cluster, spec: u32) -> Vec<u8> {
        let s = &c.specs[spec as usize];
        c.nodes
            .iter()
            .map(|n| {
                if let Some(i) = n.taints.iter().position(|t| {
                    matches!(t.effect, Effect::NoSchedule | Effect::NoExecute) && !s.tolerates(t)
                }) {
                    2 + i.min(250) as u8
                } else if !s.selects(n) {
                    1
                } else {
                    0
                }
            })
            .collect()
    }

    /// The pods whose anti-affinity terms may look at namespace `ns`.
    fn anti_carriers(&self, ns: u32) -> impl Iterator<Item = u32> + '_ {
        self.anti_own
            .get(&ns)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .chain(&self.anti_cross)
            .copied()
    }

    /// Finds the node for a pod (not bound yet): the least requested of the nodes that
    /// pass every filter, nodes to avoid last. `Err` with the scheduler's message.
    pub fn place(&mut self, c: &Cluster, pod: &PodInfo) -> Result<u32, String> {
        let spec = &c.specs[pod.spec as usize];
        let tolerates_cordon = spec.tolerates_unschedulable();
        let inter = if spec.has_inter_pod() || self.anti_carriers(pod.ns).next().is_some() {
            Some(InterPod::new(c, self, pod))
        } else {
            None
        };
        let fits = match self.static_fit.remove(&pod.spec) {
            Some(f) => f,
            None => Sched::static_fit(c, pod.spec),
        };
        let mut reasons: HashMap<Unfit, usize> = HashMap::new();
        let mut best: Option<(bool, f64, u32)> = None;
        for (i, node) in c.nodes.iter().enumerate() {
            let unfit = if self.unschedulable[i] && !tolerates_cordon {
                Some(vec![Unfit::Unschedulable])
            } else if fits[i] == 1 {
                Some(vec![Unfit::Selector])
            } else if fits[i] >= 2 {
                let t = &node.taints[usize::from(fits[i] - 2)];
                Some(vec![Unfit::Taint(format!("{}: {}", t.key, t.value))])
            } else if let Some(u) = self.resources(node, i, &pod.requests) {
                Some(u)
            } else {
                inter
                    .as_ref()
                    .and_then(|x| x.check(c, node))
                    .map(|u| vec![u])
            };
            match unfit {
                Some(us) => {
                    for u in us {
                        *reasons.entry(u).or_default() += 1;
                    }
                }
                None => {
                    let score = self.free_share(node, i, &pod.requests);
                    let key = (!self.avoid[i], score, i as u32);
                    let better = match &best {
                        None => true,
                        Some((pref, s, _)) => (key.0, key.1) > (*pref, *s),
                    };
                    if better {
                        best = Some(key);
                    }
                }
            }
        }
        self.static_fit.insert(pod.spec, fits);
        match best {
            Some((_, _, n)) => Ok(n),
            None => {
                // as the scheduler's FitError: "N reason" strings, sorted
                let mut parts: Vec<String> = reasons.iter().map(|(u, n)| u.message(*n)).collect();
                parts.sort();
                let mut msg = format!("0/{} nodes are available", c.nodes.len());
                if !parts.is_empty() {
                    msg.push_str(": ");
                    msg.push_str(&parts.join(", "));
                }
                msg.push('.');
                if let Some(u) = spec.undecided.first() {
                    msg.push_str(&format!(" (left out: {u})"));
                }
                Err(msg)
            }
        }
    }

    /// `NodeResourcesFit`: every requested resource within allocatable minus what is
    /// bound, and one pod more within the node's pod count.
    fn resources(&self, node: &NodeInfo, i: usize, req: &Amounts) -> Option<Vec<Unfit>> {
        let used = &self.used[i];
        let alloc = &node.allocatable;
        let mut out = Vec::new();
        if used.pods + 1 > alloc.pods {
            out.push(Unfit::TooManyPods);
        }
        let mut check = |name: &str, want: i64, have: i64, used: i64| {
            if want > 0 && want > have - used {
                out.push(Unfit::Insufficient(name.to_string()));
            }
        };
        check("cpu", req.cpu, alloc.cpu, used.cpu);
        check("memory", req.memory, alloc.memory, used.memory);
        check(
            "ephemeral-storage",
            req.ephemeral,
            alloc.ephemeral,
            used.ephemeral,
        );
        for (n, v) in &req.other {
            check(n, *v, alloc.get(n), used.get(n));
        }
        (!out.is_empty()).then_some(out)
    }

    /// What share of CPU and memory stays free once the pod is there (the default
    /// scheduler's `LeastAllocated` score).
    fn free_share(&self, node: &NodeInfo, i: usize, req: &Amounts) -> f64 {
        let u = &self.used[i];
        let a = &node.allocatable;
        let share = |have: i64, used: i64, want: i64| {
            if have <= 0 {
                0.0
            } else {
                (have - used - want) as f64 / have as f64
            }
        };
        (share(a.cpu, u.cpu, req.cpu) + share(a.memory, u.memory, req.memory)) / 2.0
    }

    pub fn bind(&mut self, c: &Cluster, pod: u32, node: u32) {
        let p = &c.pods[pod as usize];
        self.used[node as usize].add(&p.requests, 1);
        if c.specs[p.spec as usize].has_anti() {
            if c.specs[p.spec as usize].anti_crosses() {
                self.anti_cross.push(pod);
            } else {
                self.anti_own.entry(p.ns).or_default().push(pod);
            }
        }
    }

    pub fn unbind(&mut self, c: &Cluster, pod: u32, node: u32) {
        let p = &c.pods[pod as usize];
        self.used[node as usize].add(&p.requests, -1);
        if c.specs[p.spec as usize].has_anti() {
            self.anti_cross.retain(|&q| q != pod);
            if let Some(list) = self.anti_own.get_mut(&p.ns) {
                list.retain(|&q| q != pod);
            }
        }
    }
}

/// A pod that occupies its node: bound, not evicted, not terminal.
fn alive_bound(p: &PodInfo) -> bool {
    p.node.is_some() && !p.phase.is_terminal()
}

/// The inter-pod constraints of one pod to place, precomputed over the cluster:
/// topology spread counts and the domains its (anti-)affinity terms exclude or need.
struct InterPod {
    /// (topology key, value) pairs where the pod's anti-affinity finds a matching pod.
    anti: Vec<(String, HashSet<String>)>,
    /// (topology key, value) pairs excluded by existing pods' anti-affinity.
    existing_anti: Vec<(String, String)>,
    /// Per affinity term: its key and the values holding a matching pod; `None` when
    /// the term is waived (no matching pod anywhere and the pod matches itself).
    affinity: Vec<Option<(String, HashSet<String>)>>,
    affinity_waived: bool,
    /// Per constraint: key, max skew, domain counts, the minimum, whether the pod
    /// matches its own selector.
    spread: Vec<SpreadState>,
}

struct SpreadState {
    key: String,
    max_skew: i64,
    counts: HashMap<String, i64>,
    min: i64,
    self_match: i64,
}

impl InterPod {
    fn new(c: &Cluster, s: &Sched, pod: &PodInfo) -> InterPod {
        let spec = &c.specs[pod.spec as usize];
        let own_ns = c.namespace(pod.ns);
        let pods_in = |term: &PodTerm| -> Vec<u32> {
            match &term.scope {
                NsScope::All => (0..c.pods.len() as u32).collect(),
                _ => c
                    .namespaces
                    .iter()
                    .enumerate()
                    .filter(|(_, ns)| term.covers(own_ns, ns))
                    .flat_map(|(i, _)| c.ns_pods[i].iter().copied())
                    .collect(),
            }
        };
        let domains = |term: &PodTerm| -> HashSet<String> {
            let mut out = HashSet::new();
            let Some(sel) = term.effective(&pod.labels) else {
                return out;
            };
            for q in pods_in(term) {
                let qp = &c.pods[q as usize];
                if !alive_bound(qp) || !sel.matches(|k| label(&qp.labels, k)) {
                    continue;
                }
                if let Some(v) = qp
                    .node
                    .and_then(|n| c.nodes[n as usize].label(&term.topology_key))
                {
                    out.insert(v.to_string());
                }
            }
            out
        };
        let anti = spec
            .anti
            .iter()
            .map(|t| (t.topology_key.clone(), domains(t)))
            .collect();
        let mut existing_anti = Vec::new();
        for q in s.anti_carriers(pod.ns) {
            let qp = &c.pods[q as usize];
            if !alive_bound(qp) {
                continue;
            }
            let Some(n) = qp.node else { continue };
            for t in &c.specs[qp.spec as usize].anti {
                if !t.covers(c.namespace(qp.ns), own_ns) {
                    continue;
                }
                let Some(sel) = t.effective(&qp.labels) else {
                    continue;
                };
                if sel.matches(|k| label(&pod.labels, k))
                    && let Some(v) = c.nodes[n as usize].label(&t.topology_key)
                {
                    existing_anti.push((t.topology_key.clone(), v.to_string()));
                }
            }
        }
        let affinity: Vec<Option<(String, HashSet<String>)>> = spec
            .affinity
            .iter()
            .map(|t| Some((t.topology_key.clone(), domains(t))))
            .collect();
        let none_anywhere = affinity
            .iter()
            .all(|a| a.as_ref().is_some_and(|(_, d)| d.is_empty()));
        let self_matches = spec.affinity.iter().all(|t| {
            t.covers(own_ns, own_ns)
                && t.effective(&pod.labels)
                    .is_some_and(|sel| sel.matches(|k| label(&pod.labels, k)))
        });
        let affinity_waived = !spec.affinity.is_empty() && none_anywhere && self_matches;

        // topology spread: the domains of eligible nodes and the matching pods on them
        let keys: Vec<&str> = spec
            .spread
            .iter()
            .map(|x| x.topology_key.as_str())
            .collect();
        let spread = spec
            .spread
            .iter()
            .map(|x| {
                let eligible: Vec<bool> = c
                    .nodes
                    .iter()
                    .map(|n| {
                        keys.iter().all(|k| n.label(k).is_some())
                            && (!x.honor_affinity || spec.selects(n))
                            && (!x.honor_taints || spec.untolerated(n).is_none())
                    })
                    .collect();
                let mut counts: HashMap<String, i64> = HashMap::new();
                for (i, n) in c.nodes.iter().enumerate() {
                    if eligible[i]
                        && let Some(v) = n.label(&x.topology_key)
                    {
                        counts.entry(v.to_string()).or_insert(0);
                    }
                }
                let mut sel = x.selector.clone();
                if let Some(sel) = &mut sel {
                    for k in &x.match_label_keys {
                        if let Some(v) = label(&pod.labels, k) {
                            sel.requirements.push(Requirement {
                                key: k.clone(),
                                op: SelectorOp::In,
                                values: vec![v.to_string()],
                            });
                        }
                    }
                }
                if let Some(sel) = &sel {
                    for &q in &c.ns_pods[pod.ns as usize] {
                        let qp = &c.pods[q as usize];
                        if !alive_bound(qp) || qp.terminating {
                            continue;
                        }
                        let Some(n) = qp.node else { continue };
                        if !eligible[n as usize] || !sel.matches(|k| label(&qp.labels, k)) {
                            continue;
                        }
                        if let Some(v) = c.nodes[n as usize].label(&x.topology_key) {
                            *counts.entry(v.to_string()).or_insert(0) += 1;
                        }
                    }
                }
                let mut min = counts.values().copied().min().unwrap_or(0);
                if (counts.len() as i64) < x.min_domains {
                    min = 0;
                }
                SpreadState {
                    key: x.topology_key.clone(),
                    max_skew: x.max_skew,
                    counts,
                    min,
                    self_match: i64::from(
                        sel.as_ref()
                            .is_some_and(|s| s.matches(|k| label(&pod.labels, k))),
                    ),
                }
            })
            .collect();
        InterPod {
            anti,
            existing_anti,
            affinity,
            affinity_waived,
            spread,
        }
    }

    fn check(&self, _c: &Cluster, node: &NodeInfo) -> Option<Unfit> {
        for sp in &self.spread {
            let Some(v) = node.label(&sp.key) else {
                return Some(Unfit::SpreadMissingLabel);
            };
            let count = sp.counts.get(v).copied().unwrap_or(0);
            if count + sp.self_match - sp.min > sp.max_skew {
                return Some(Unfit::Spread);
            }
        }
        for (key, values) in &self.anti {
            if node.label(key).is_some_and(|v| values.contains(v)) {
                return Some(Unfit::AntiAffinity);
            }
        }
        if self
            .existing_anti
            .iter()
            .any(|(k, v)| node.label(k) == Some(v.as_str()))
        {
            return Some(Unfit::ExistingAntiAffinity);
        }
        if !self.affinity_waived {
            for (key, values) in self.affinity.iter().flatten() {
                if !node.label(key).is_some_and(|v| values.contains(v)) {
                    return Some(Unfit::PodAffinity);
                }
            }
        }
        None
    }
}
