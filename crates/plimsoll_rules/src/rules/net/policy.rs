//! NetworkPolicy semantics over the input objects, built once per run.
//!
//! The unit of traffic is a workload (an object with a pod template and no controlling
//! owner, bare Pods included): its pods share the template's labels and ports.
//! Matching is three-valued: the labels of a namespace without a Namespace object in
//! the input are unknown (only the immutable `kubernetes.io/metadata.name` is), so a
//! namespaceSelector on other labels is [`M::Unknown`] for it, never a guess.

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::sync::Arc;

use plimsoll_model::{Index, LabelSelector, Node, PodTemplate, SelectorOp};

/// The label the API server sets on every namespace to its name.
pub const NS_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A three-valued match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum M {
    Yes,
    No,
    Unknown,
}

impl M {
    pub fn and(self, o: M) -> M {
        match (self, o) {
            (M::No, _) | (_, M::No) => M::No,
            (M::Yes, M::Yes) => M::Yes,
            _ => M::Unknown,
        }
    }
    pub fn or(self, o: M) -> M {
        match (self, o) {
            (M::Yes, _) | (_, M::Yes) => M::Yes,
            (M::No, M::No) => M::No,
            _ => M::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

impl Proto {
    pub fn parse(s: &str) -> Option<Proto> {
        match s {
            "TCP" => Some(Proto::Tcp),
            "UDP" => Some(Proto::Udp),
            "SCTP" => Some(Proto::Sctp),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
        }
    }
}

/// A set of destination ports: everything, or protocol + inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortSet {
    All,
    Some(Vec<(Proto, i64, i64)>),
}

impl PortSet {
    pub fn none() -> PortSet {
        PortSet::Some(Vec::new())
    }
    pub fn is_empty(&self) -> bool {
        matches!(self, PortSet::Some(v) if v.is_empty())
    }
    pub fn contains(&self, proto: Proto, port: i64) -> bool {
        match self {
            PortSet::All => true,
            PortSet::Some(v) => v
                .iter()
                .any(|&(p, lo, hi)| p == proto && lo <= port && port <= hi),
        }
    }
    pub fn union(&mut self, other: &PortSet) {
        match (&mut *self, other) {
            (PortSet::All, _) => {}
            (_, PortSet::All) => *self = PortSet::All,
            (PortSet::Some(a), PortSet::Some(b)) => {
                for x in b {
                    if !a.contains(x) {
                        a.push(*x);
                    }
                }
                a.sort();
            }
        }
    }
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        match (self, other) {
            (PortSet::All, o) | (o, PortSet::All) => o.clone(),
            (PortSet::Some(a), PortSet::Some(b)) => {
                let mut out = Vec::new();
                for &(p, lo, hi) in a {
                    for &(q, lo2, hi2) in b {
                        if p == q && lo.max(lo2) <= hi.min(hi2) {
                            out.push((p, lo.max(lo2), hi.min(hi2)));
                        }
                    }
                }
                out.sort();
                out.dedup();
                PortSet::Some(out)
            }
        }
    }
}

impl std::fmt::Display for PortSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortSet::All => write!(f, "all"),
            PortSet::Some(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|&(p, lo, hi)| {
                        if lo == hi {
                            format!("{lo}/{}", p.as_str())
                        } else {
                            format!("{lo}-{hi}/{}", p.as_str())
                        }
                    })
                    .collect();
                write!(f, "{}", parts.join(","))
            }
        }
    }
}

/// One `ports` entry of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortVal {
    /// No `port`: every port of the protocol.
    Any,
    Num(i64, i64),
    Named(String),
    /// Rejected by the API server (named port with endPort, endPort < port, ...).
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RulePort {
    pub proto: Option<Proto>,
    pub port: PortVal,
}

/// The namespace half of a peer.
#[derive(Debug, Clone)]
pub enum NsSel {
    /// No namespaceSelector: the policy's own namespace.
    Own,
    Sel(LabelSelector),
}

#[derive(Debug, Clone)]
pub enum Peer {
    /// podSelector and/or namespaceSelector (AND within the element). `pods: None`
    /// = every pod of the matching namespaces.
    Pods {
        ns: NsSel,
        pods: Option<LabelSelector>,
    },
    IpBlock {
        cidr: String,
        except: Vec<String>,
    },
    /// A peer Kubernetes would reject (unparseable selector, nothing set).
    Invalid,
}

/// One ingress or egress rule.
#[derive(Debug, Clone)]
pub struct PolicyRule {
    /// `None`: no `from`/`to`, every peer.
    pub peers: Option<Vec<Peer>>,
    /// `None`: no `ports`, every port.
    pub ports: Option<Vec<RulePort>>,
    /// Workloads (dense numbers) the peers match for sure / maybe.
    /// Shared by the rules with the same peers in a namespace (computed once).
    pub matched: Arc<Bits>,
    pub unknown: Arc<Bits>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub id: usize,
    pub ns: String,
    pub name: String,
    /// `None` when the podSelector cannot be parsed (the API server rejects it).
    pub selector: Option<LabelSelector>,
    pub isolates_ingress: bool,
    pub isolates_egress: bool,
    pub ingress: Vec<PolicyRule>,
    pub egress: Vec<PolicyRule>,
    /// The class of policies with the same podSelector in the namespace (see
    /// [`NetModel::selects`]); `None` when the selector cannot be parsed or the
    /// selections were not computed.
    pub class: Option<usize>,
}

impl Policy {
    /// `podSelector: {}` (or none): every pod of the namespace.
    pub fn selects_all(&self) -> bool {
        self.selector.as_ref().is_some_and(LabelSelector::is_empty)
    }
}

/// A set of dense workload numbers: a few members, or everything but a few. Rules
/// usually match a handful of workloads, or all of them: a dense bitset per rule would
/// make the model grow with rules x workloads. Once [compacted](Bits::compact) (the
/// model compacts every rule's sets), the side it stores is never more than half of
/// the workloads, so that rules sharing a broad selector cost nothing per workload, and
/// two equal sets have the same representation (they compare and hash equal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Bits {
    n: usize,
    all: bool,
    /// The members, or with `all` the exclusions.
    set: BTreeSet<usize>,
}

impl Bits {
    pub fn new(n: usize) -> Bits {
        Bits {
            n,
            all: false,
            set: BTreeSet::new(),
        }
    }
    pub fn set(&mut self, i: usize) {
        if self.all {
            self.set.remove(&i);
        } else {
            self.set.insert(i);
        }
    }
    pub fn remove(&mut self, i: usize) {
        if self.all {
            if i < self.n {
                self.set.insert(i);
            }
        } else {
            self.set.remove(&i);
        }
    }
    /// Every workload.
    pub fn set_all(&mut self) {
        self.all = true;
        self.set.clear();
    }
    /// Whether every workload is a member.
    pub fn is_full(&self) -> bool {
        self.all && self.set.is_empty()
    }
    pub fn has(&self, i: usize) -> bool {
        if self.all {
            i < self.n && !self.set.contains(&i)
        } else {
            self.set.contains(&i)
        }
    }
    /// How many workloads are members.
    pub fn len(&self) -> usize {
        if self.all {
            self.n - self.set.len()
        } else {
            self.set.len()
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// What is stored: the members, or (when [`Bits::is_complement`]) the
    /// non-members. Either side splits the workloads the same way.
    pub fn stored(&self) -> &BTreeSet<usize> {
        &self.set
    }
    /// Whether [`Bits::stored`] holds the non-members.
    pub fn is_complement(&self) -> bool {
        self.all
    }
    /// Stores the smaller side: the members when they are at most half of the
    /// workloads, else the non-members. Costs the stored side when it flips (that is
    /// more than half of the workloads), nothing otherwise.
    pub fn compact(&mut self) {
        let want_all = 2 * self.len() > self.n;
        if want_all != self.all {
            let other: BTreeSet<usize> = (0..self.n).filter(|i| !self.set.contains(i)).collect();
            self.set = other;
            self.all = want_all;
        }
    }
    /// The members in ascending order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        if self.all {
            Box::new((0..self.n).filter(move |i| !self.set.contains(i)))
        } else {
            Box::new(self.set.iter().copied())
        }
    }
}

/// A workload as the network sees it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: usize,
    pub ns: String,
    pub labels: Vec<(String, String)>,
    /// Named ports of its regular and sidecar containers: name -> (protocol, number).
    pub named_ports: Vec<(String, Proto, i64)>,
    pub host_network: bool,
}

impl Endpoint {
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// What is known of a namespace's labels.
#[derive(Debug, Clone)]
pub struct NsLabels {
    /// From the Namespace object plus `kubernetes.io/metadata.name`.
    pub labels: Vec<(String, String)>,
    /// Whether a Namespace object is in the input.
    pub known: bool,
}

/// The network model of one run.
#[derive(Debug, Default)]
pub struct NetModel {
    pub endpoints: Vec<Endpoint>,
    pub dense: HashMap<usize, usize>,
    pub policies: Vec<Policy>,
    pub ns_labels: HashMap<String, NsLabels>,
    /// Per class of policies with the same podSelector: the endpoints it selects,
    /// ascending. Policies sharing a selector share the selection, computed once.
    pub classes: Vec<Vec<usize>>,
    /// Per endpoint: the policies (indices, ascending) selecting it that isolate
    /// ingress / egress, as an index into `lists`: endpoints under the same policies
    /// share one list (see [`NetModel::ingress_of`]).
    ingress_group: Vec<usize>,
    egress_group: Vec<usize>,
    lists: Vec<Vec<usize>>,
    /// Per namespace: policy indices.
    pub policies_in: HashMap<String, Vec<usize>>,
    /// Whether the selections (`selects`, `ingress_of`, `egress_of`, every rule's
    /// `matched` and `unknown`) were computed: [`NetModel::build`], not
    /// [`NetModel::build_for_pairs`].
    selections: bool,
}

/// Whether an object is a NetworkPolicy of the Kubernetes API.
pub fn is_network_policy(o: &plimsoll_model::Object) -> bool {
    o.kind == "NetworkPolicy" && matches!(o.group(), "networking.k8s.io" | "extensions")
}

fn labels_of(t: &PodTemplate) -> Vec<(String, String)> {
    t.labels()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn named_ports(t: &PodTemplate) -> Vec<(String, Proto, i64)> {
    use plimsoll_model::ContainerKind;
    let mut out = Vec::new();
    for c in t
        .containers()
        .filter(|c| matches!(c.kind, ContainerKind::Regular | ContainerKind::Sidecar))
    {
        for p in c.get("ports").map(Node::items).unwrap_or_default() {
            let (Some(name), Some(num)) = (
                p.get("name").and_then(Node::as_text),
                p.get("containerPort").and_then(Node::as_i64),
            ) else {
                continue;
            };
            let proto = match p.get("protocol").and_then(Node::as_text) {
                None => Proto::Tcp,
                Some(s) => match Proto::parse(s) {
                    Some(p) => p,
                    None => continue,
                },
            };
            out.push((name.to_string(), proto, num));
        }
    }
    out
}

fn parse_selector(node: Option<&Node>) -> Option<LabelSelector> {
    match node {
        None => Some(LabelSelector::default()),
        Some(n) if n.is_null() => Some(LabelSelector::default()),
        Some(n) => LabelSelector::from_label_selector(n),
    }
}

fn parse_peer(p: &Node) -> Peer {
    if let Some(ip) = p.get("ipBlock").filter(|n| !n.is_null()) {
        if p.get("podSelector").is_some() || p.get("namespaceSelector").is_some() {
            return Peer::Invalid;
        }
        let Some(cidr) = ip.get("cidr").and_then(Node::as_text) else {
            return Peer::Invalid;
        };
        let except = ip
            .get("except")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.as_text().map(str::to_string))
            .collect();
        return Peer::IpBlock {
            cidr: cidr.to_string(),
            except,
        };
    }
    let pod = p.get("podSelector").filter(|n| !n.is_null());
    let ns = p.get("namespaceSelector").filter(|n| !n.is_null());
    if pod.is_none() && ns.is_none() {
        return Peer::Invalid;
    }
    let pods = match pod {
        None => None,
        Some(n) => match LabelSelector::from_label_selector(n) {
            Some(s) => Some(s),
            None => return Peer::Invalid,
        },
    };
    let ns = match ns {
        None => NsSel::Own,
        Some(n) => match LabelSelector::from_label_selector(n) {
            Some(s) => NsSel::Sel(s),
            None => return Peer::Invalid,
        },
    };
    Peer::Pods { ns, pods }
}

fn parse_port(p: &Node) -> RulePort {
    let proto = match p.get("protocol").and_then(Node::as_text) {
        None => Some(Proto::Tcp),
        Some(s) => Proto::parse(s),
    };
    let end = p.get("endPort").and_then(Node::as_i64);
    let port = match p.get("port").filter(|n| !n.is_null()) {
        None if end.is_some() => PortVal::Invalid,
        None => PortVal::Any,
        Some(n) => match n.as_i64() {
            Some(v) => match end {
                Some(e) if e < v => PortVal::Invalid,
                Some(e) => PortVal::Num(v, e),
                None => PortVal::Num(v, v),
            },
            None => match (n.as_text(), end) {
                (Some(name), None) => PortVal::Named(name.to_string()),
                _ => PortVal::Invalid,
            },
        },
    };
    RulePort { proto, port }
}

fn parse_rules(spec: Option<&Node>, key: &str, peer_key: &str) -> Vec<PolicyRule> {
    spec.and_then(|s| s.get(key))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let peers = r
                .get(peer_key)
                .map(Node::items)
                .filter(|i| !i.is_empty())
                .map(|items| items.iter().map(parse_peer).collect());
            let ports = r
                .get("ports")
                .map(Node::items)
                .filter(|i| !i.is_empty())
                .map(|items| items.iter().map(parse_port).collect());
            PolicyRule {
                peers,
                ports,
                matched: Arc::default(),
                unknown: Arc::default(),
            }
        })
        .collect()
}

/// Parses a NetworkPolicy spec (without the selections).
pub fn parse_policy(id: usize, o: &plimsoll_model::Object) -> Policy {
    let spec = o.spec();
    let selector = parse_selector(spec.and_then(|s| s.get("podSelector")));
    let types: Vec<&str> = spec
        .and_then(|s| s.get("policyTypes"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_text)
        .collect();
    let egress_rules = spec
        .and_then(|s| s.get("egress"))
        .map(Node::items)
        .unwrap_or_default();
    // SetDefaults_NetworkPolicy: an empty or missing policyTypes becomes [Ingress],
    // plus Egress when the egress list is not empty
    let (isolates_ingress, isolates_egress) = if types.is_empty() {
        (true, !egress_rules.is_empty())
    } else {
        (types.contains(&"Ingress"), types.contains(&"Egress"))
    };
    Policy {
        id,
        ns: o.namespace.clone().unwrap_or_default(),
        name: o.name.clone(),
        selector,
        isolates_ingress,
        isolates_egress,
        ingress: parse_rules(spec, "ingress", "from"),
        egress: parse_rules(spec, "egress", "to"),
        class: None,
    }
}

/// Matches a namespaceSelector against a namespace, knowing only what the input says.
pub fn ns_matches(sel: &LabelSelector, ns: &str, info: Option<&NsLabels>) -> M {
    let known = info.is_some_and(|i| i.known);
    let mut out = M::Yes;
    for r in &sel.requirements {
        let m = if r.key == NS_NAME_LABEL {
            if r.matches(Some(ns)) { M::Yes } else { M::No }
        } else if known {
            let value = info.and_then(|i| {
                i.labels
                    .iter()
                    .find(|(k, _)| *k == r.key)
                    .map(|(_, v)| v.as_str())
            });
            if r.matches(value) { M::Yes } else { M::No }
        } else {
            // the other labels of a namespace without its object are unknown
            M::Unknown
        };
        out = out.and(m);
    }
    out
}

/// Whether an IP block covers every address (of one family).
pub fn covers_everything(cidr: &str, except: &[String]) -> bool {
    except.is_empty() && matches!(cidr, "0.0.0.0/0" | "::/0")
}

impl NetModel {
    /// Builds the model: endpoints, policies, what every policy and every rule's
    /// peers select. Rules with the same peers in the same namespace share one
    /// computation of what they match, and every set is stored
    /// [compacted](Bits::compact): rules sharing a broad selector cost O(1) each.
    pub fn build(index: &Index) -> NetModel {
        let (mut m, by_ns) = Self::base(index);
        let n = m.endpoints.len();
        let mut policies = std::mem::take(&mut m.policies);
        // (policy namespace, peers) -> (matched, unknown), shared, never copied
        let mut memo: HashMap<String, (Arc<Bits>, Arc<Bits>)> = HashMap::new();
        // (policy namespace, canonical podSelector) -> class
        let mut class_ids: HashMap<(String, LabelSelector), usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (pi, p) in policies.iter_mut().enumerate() {
            if let Some(sel) = &p.selector {
                let key = (p.ns.clone(), sel.canonical());
                let c = match class_ids.get(&key) {
                    Some(&c) => c,
                    None => {
                        let mut selects: Vec<usize> = index
                            .workloads_matching(&key.0, &key.1)
                            .into_iter()
                            .filter_map(|w| m.dense.get(&w).copied())
                            .collect();
                        selects.sort_unstable();
                        m.classes.push(selects);
                        members.push(Vec::new());
                        class_ids.insert(key, m.classes.len() - 1);
                        m.classes.len() - 1
                    }
                };
                members[c].push(pi);
                p.class = Some(c);
            }
            let ns = p.ns.clone();
            for r in p.ingress.iter_mut().chain(p.egress.iter_mut()) {
                // the policy's namespace matters only to peers without a namespace
                // selector: the same peers of policies in many namespaces are matched once
                let own = r.peers.as_ref().is_some_and(|peers| {
                    peers
                        .iter()
                        .any(|p| matches!(p, Peer::Pods { ns: NsSel::Own, .. }))
                });
                let key = if own {
                    format!("{ns}\u{0}{:?}", r.peers)
                } else {
                    format!("\u{0}{:?}", r.peers)
                };
                if let Some((matched, unknown)) = memo.get(&key) {
                    r.matched = matched.clone();
                    r.unknown = unknown.clone();
                    continue;
                }
                m_fill(index, &m.dense, &m.ns_labels, &by_ns, n, &ns, r);
                memo.insert(key, (r.matched.clone(), r.unknown.clone()));
            }
        }
        // the classes over every endpoint; endpoints under the same classes are
        // under the same policies, whose lists are built once per distinct set
        let mut over: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (c, selects) in m.classes.iter().enumerate() {
            for &d in selects {
                over[d].push(c);
            }
        }
        let mut by_classes: HashMap<Vec<usize>, (usize, usize)> = HashMap::new();
        let mut list_ids: HashMap<Vec<usize>, usize> = HashMap::new();
        m.ingress_group = vec![0; n];
        m.egress_group = vec![0; n];
        for (d, classes) in over.into_iter().enumerate() {
            let (i, e) = *by_classes.entry(classes).or_insert_with_key(|classes| {
                let mut intern = |isolates: fn(&Policy) -> bool| {
                    let mut list: Vec<usize> = classes
                        .iter()
                        .flat_map(|&c| members[c].iter().copied())
                        .filter(|&pi| isolates(&policies[pi]))
                        .collect();
                    list.sort_unstable();
                    let next = m.lists.len();
                    let id = *list_ids.entry(list).or_insert(next);
                    if id == next {
                        m.lists.push(Vec::new());
                    }
                    id
                };
                (
                    intern(|p| p.isolates_ingress),
                    intern(|p| p.isolates_egress),
                )
            });
            m.ingress_group[d] = i;
            m.egress_group[d] = e;
        }
        for (list, id) in list_ids {
            m.lists[id] = list;
        }
        m.policies = policies;
        m.selections = true;
        m
    }

    /// Endpoints and parsed policies without any selection (`selects`, `ingress_of`,
    /// `egress_of` and the rules' `matched`/`unknown` stay empty): linear in the input,
    /// and all that [`NetModel::reach`] needs. [`NetModel::matrix`] needs
    /// [`NetModel::build`].
    pub fn build_for_pairs(index: &Index) -> NetModel {
        Self::base(index).0
    }

    /// Namespaces, endpoints and parsed policies (indices in object order, as
    /// [`NetModel::build`] numbers them), with the dense endpoint numbers per namespace.
    fn base(index: &Index) -> (NetModel, HashMap<String, Vec<usize>>) {
        let mut m = NetModel::default();
        for ns in index.namespaces() {
            let mut labels = vec![(NS_NAME_LABEL.to_string(), ns.to_string())];
            let known = match index.namespace_object(ns) {
                Some((_, o)) => {
                    for (k, v) in o.labels() {
                        if k != NS_NAME_LABEL {
                            labels.push((k.to_string(), v.to_string()));
                        }
                    }
                    true
                }
                None => false,
            };
            m.ns_labels
                .insert(ns.to_string(), NsLabels { labels, known });
        }
        let mut by_ns: HashMap<String, Vec<usize>> = HashMap::new();
        for ns in index.namespaces() {
            for &id in index.workloads_in(ns) {
                let o = index.object(id);
                let Some(t) = PodTemplate::of(o) else {
                    continue;
                };
                let d = m.endpoints.len();
                m.dense.insert(id, d);
                by_ns.entry(ns.to_string()).or_default().push(d);
                m.endpoints.push(Endpoint {
                    id,
                    ns: ns.to_string(),
                    labels: labels_of(&t),
                    named_ports: named_ports(&t),
                    host_network: t
                        .spec_field("hostNetwork")
                        .and_then(Node::as_bool)
                        .unwrap_or(false),
                });
            }
        }
        let mut ids: Vec<usize> = index
            .of_kind("NetworkPolicy")
            .filter(|(_, o)| is_network_policy(o))
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let p = parse_policy(id, index.object(id));
            let pi = m.policies.len();
            m.policies_in.entry(p.ns.clone()).or_default().push(pi);
            m.policies.push(p);
        }
        (m, by_ns)
    }

    /// The endpoints a policy's podSelector selects (dense numbers, ascending).
    /// Needs [`NetModel::build`].
    pub fn selects(&self, pi: usize) -> &[usize] {
        self.policies[pi]
            .class
            .map(|c| self.classes[c].as_slice())
            .unwrap_or_default()
    }

    /// The policies (indices, ascending) that select an endpoint and isolate it for
    /// ingress. Needs [`NetModel::build`].
    pub fn ingress_of(&self, d: usize) -> &[usize] {
        &self.lists[self.ingress_group[d]]
    }

    /// The policies that select an endpoint and isolate it for egress.
    pub fn egress_of(&self, d: usize) -> &[usize] {
        &self.lists[self.egress_group[d]]
    }

    /// A number shared by the endpoints that [`NetModel::ingress_of`] gives the same
    /// policies, so that what follows from them is computed once per number.
    pub fn ingress_group(&self, d: usize) -> usize {
        self.ingress_group[d]
    }

    /// The same for [`NetModel::egress_of`].
    pub fn egress_group(&self, d: usize) -> usize {
        self.egress_group[d]
    }

    /// How many distinct policy lists [`NetModel::ingress_of`] and
    /// [`NetModel::egress_of`] hold.
    pub fn policy_lists(&self) -> usize {
        self.lists.len()
    }

    pub fn endpoint_of(&self, id: usize) -> Option<usize> {
        self.dense.get(&id).copied()
    }

    /// Whether a peer of a policy in `policy_ns` matches pods in `ns` with `labels`
    /// (`None`: pods whose labels are unknown).
    pub fn peer_matches(
        &self,
        peer: &Peer,
        policy_ns: &str,
        ns: &str,
        labels: Option<&[(&str, &str)]>,
    ) -> M {
        match peer {
            Peer::Invalid => M::No,
            Peer::IpBlock { cidr, except } => {
                if covers_everything(cidr, except) {
                    M::Yes
                } else {
                    M::Unknown
                }
            }
            Peer::Pods { ns: nsel, pods } => {
                let nm = match nsel {
                    NsSel::Own if policy_ns == ns => M::Yes,
                    NsSel::Own => M::No,
                    NsSel::Sel(s) => ns_matches(s, ns, self.ns_labels.get(ns)),
                };
                let pm = match (pods, labels) {
                    (None, _) => M::Yes,
                    (Some(s), _) if s.is_empty() => M::Yes,
                    (Some(s), Some(l)) => {
                        if s.matches_pairs(l) {
                            M::Yes
                        } else {
                            M::No
                        }
                    }
                    (Some(_), None) => M::Unknown,
                };
                nm.and(pm)
            }
        }
    }

    /// Whether a rule's peers match pods in `ns` with `labels` (OR over peers).
    pub fn rule_matches(
        &self,
        rule: &PolicyRule,
        policy_ns: &str,
        ns: &str,
        labels: Option<&[(&str, &str)]>,
    ) -> M {
        match &rule.peers {
            None => M::Yes,
            Some(peers) => peers.iter().fold(M::No, |acc, p| {
                acc.or(self.peer_matches(p, policy_ns, ns, labels))
            }),
        }
    }

    /// The ports a rule opens on a destination endpoint (named ports resolved
    /// against its containers).
    pub fn rule_ports(rule: &PolicyRule, named: &[(String, Proto, i64)]) -> PortSet {
        Self::ports_of(rule.ports.as_deref(), named)
    }

    /// The ports a rule's `ports` list (`None`: no list, every port) opens on a
    /// destination with these named ports.
    fn ports_of(ports: Option<&[RulePort]>, named: &[(String, Proto, i64)]) -> PortSet {
        let Some(ports) = ports else {
            return PortSet::All;
        };
        let mut out = Vec::new();
        for p in ports {
            let Some(proto) = p.proto else { continue };
            match &p.port {
                PortVal::Any => out.push((proto, 1, 65535)),
                PortVal::Num(lo, hi) => out.push((proto, *lo, *hi)),
                PortVal::Named(name) => {
                    for (n, pp, num) in named {
                        if n == name && *pp == proto {
                            out.push((proto, *num, *num));
                        }
                    }
                }
                PortVal::Invalid => {}
            }
        }
        out.sort();
        out.dedup();
        PortSet::Some(out)
    }

    /// Whether a policy's podSelector selects the endpoint (an unparseable selector
    /// selects nothing).
    pub fn policy_selects(&self, p: &Policy, d: usize) -> bool {
        let e = &self.endpoints[d];
        p.ns == e.ns
            && p.selector
                .as_ref()
                .is_some_and(|s| s.matches_pairs(&e.pairs()))
    }

    /// One direction of `src` -> `dst`, evaluated from the policies of one
    /// namespace: those selecting `src` for egress (rules matched against `dst`), or
    /// those selecting `dst` for ingress (rules matched against `src`). Named ports
    /// resolve against `dst`. Costs the policies of that namespace and their rules.
    fn direction(&self, src: usize, dst: usize, egress: bool) -> Direction {
        let (own, peer) = if egress { (src, dst) } else { (dst, src) };
        let own_ns = &self.endpoints[own].ns;
        let peer_ep = &self.endpoints[peer];
        let peer_labels = peer_ep.pairs();
        let named = &self.endpoints[dst].named_ports;
        let mut isolated = false;
        let mut ports = PortSet::none();
        let mut via = Vec::new();
        let mut unknown = false;
        for &pi in self
            .policies_in
            .get(own_ns)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let p = &self.policies[pi];
            let isolates = if egress {
                p.isolates_egress
            } else {
                p.isolates_ingress
            };
            if !isolates || !self.policy_selects(p, own) {
                continue;
            }
            isolated = true;
            let rules = if egress { &p.egress } else { &p.ingress };
            for (ri, r) in rules.iter().enumerate() {
                match self.rule_matches(r, &p.ns, &peer_ep.ns, Some(&peer_labels)) {
                    M::Yes => {
                        let ps = Self::rule_ports(r, named);
                        if !ps.is_empty() {
                            ports.union(&ps);
                            via.push((pi, ri, ps));
                        }
                    }
                    M::Unknown => unknown = true,
                    M::No => {}
                }
            }
        }
        if !isolated {
            return Direction {
                isolated: false,
                ports: PortSet::All,
                via: Vec::new(),
                unknown: false,
            };
        }
        Direction {
            isolated: true,
            ports,
            via,
            unknown,
        }
    }
}

/// The answer to "may `src` open a connection to `dst`?".
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    pub egress: Direction,
    pub ingress: Direction,
    /// Ports of `dst` both directions allow.
    pub ports: PortSet,
    pub allowed: bool,
}

impl Direction {
    /// Whether this direction allows the port (any port when `None`).
    pub fn allows(&self, port: Option<(Proto, i64)>) -> bool {
        match port {
            Some((p, n)) => self.ports.contains(p, n),
            None => !self.ports.is_empty(),
        }
    }
}

impl NetModel {
    /// Whether `src` may connect to `dst` (dense numbers), on a port of `dst` or
    /// on any port: egress from `src` AND ingress to `dst` must allow it. Evaluates
    /// the policies of the two endpoints' namespaces against the other endpoint, so it
    /// needs no selections ([`NetModel::build_for_pairs`] is enough) and costs those
    /// policies and their rules, whatever the size of the rest of the input.
    pub fn reach(&self, src: usize, dst: usize, port: Option<(Proto, i64)>) -> Reach {
        let egress = self.direction(src, dst, true);
        let ingress = self.direction(src, dst, false);
        let ports = egress.ports.intersect(&ingress.ports);
        let allowed = match port {
            Some((p, n)) => ports.contains(p, n),
            None => !ports.is_empty(),
        };
        Reach {
            egress,
            ingress,
            ports,
            allowed,
        }
    }

    /// Every allowed (source, destination, ports) of distinct endpoints, ordered by
    /// source then destination. Needs [`NetModel::build`].
    pub fn matrix(&self) -> Vec<(usize, usize, PortSet)> {
        self.matrix_with_stats().0
    }

    /// [`NetModel::matrix`], with what computing it took.
    ///
    /// What egress allows from `src` to `dst` depends only on the rules of the
    /// policies isolating `src` for egress, on `dst`'s membership in their matched
    /// sets and on `dst`'s named ports; ingress likewise the other way round. So the
    /// endpoints are grouped into source classes (the egress rules in force, the
    /// membership in every ingress rule's matched set) and destination classes (the
    /// ingress rules in force, the membership in every egress rule's matched set, the
    /// named ports that rules name), by partition refinement over the stored side of
    /// each distinct matched set. Ports are computed once per class pair from the
    /// distinct matched sets of the two classes' rules (rules with equal sets are one
    /// group), then expanded to endpoint pairs. Many policies sharing a selector make
    /// one group and one class, not a cost per policy and per pair.
    pub fn matrix_with_stats(&self) -> (Vec<(usize, usize, PortSet)>, MatrixStats) {
        let (classes, stats) = self.class_matrix();
        (classes.expand(), stats)
    }

    /// The matrix by classes of workloads the policies cannot tell apart: every
    /// workload of a source group may connect to every workload of a destination
    /// group with the ports given (never to itself). Its size is the workloads plus
    /// the allowed group pairs, where the expanded matrix has a pair for every two
    /// workloads that may connect: n workloads sharing one selector make a few groups,
    /// not n x n pairs. Needs [`NetModel::build`].
    pub fn grouped(&self) -> GroupedMatrix {
        self.class_matrix().0.group()
    }

    /// The source and destination classes and the ports of every class pair (see
    /// [`NetModel::matrix_with_stats`]).
    fn class_matrix(&self) -> (ClassMatrix, MatrixStats) {
        debug_assert!(self.selections, "matrix needs NetModel::build");
        let n = self.endpoints.len();
        let mut eff = Effects::default();
        // per policy: the effects of its rules in force (none when it selects nothing)
        let mut pol_in: Vec<Vec<usize>> = Vec::with_capacity(self.policies.len());
        let mut pol_eg: Vec<Vec<usize>> = Vec::with_capacity(self.policies.len());
        for (pi, p) in self.policies.iter().enumerate() {
            let live = !self.selects(pi).is_empty();
            pol_in.push(if live && p.isolates_ingress {
                eff.of(&p.ingress, true)
            } else {
                Vec::new()
            });
            pol_eg.push(if live && p.isolates_egress {
                eff.of(&p.egress, false)
            } else {
                Vec::new()
            });
        }
        // partitions: sources by the ingress sets, destinations by the egress sets
        let mut src_part = vec![0usize; n];
        let mut dst_part = vec![0usize; n];
        let (mut src_next, mut dst_next) = (1usize, 1usize);
        let mut moved = HashMap::new();
        for (k, set) in eff.sets.iter().enumerate() {
            if eff.in_ingress[k] {
                refine(&mut src_part, &mut src_next, set.stored(), &mut moved);
            }
            if eff.in_egress[k] {
                refine(&mut dst_part, &mut dst_next, set.stored(), &mut moved);
            }
        }
        // the effects in force on every endpoint, without repeats
        let mut stamp = vec![usize::MAX; eff.list.len()];
        let mut gather = |pols: &[usize], per_pol: &[Vec<usize>], tag: usize| {
            let mut out = Vec::new();
            for &pi in pols {
                for &e in &per_pol[pi] {
                    if stamp[e] != tag {
                        stamp[e] = tag;
                        out.push(e);
                    }
                }
            }
            out.sort_unstable();
            out
        };
        // source classes: (egress isolated, egress effects, partition)
        let mut src_ids: HashMap<(bool, Vec<usize>, usize), usize> = HashMap::new();
        let mut src_class = vec![0usize; n];
        let mut src_rep = Vec::new();
        let mut src_iso = Vec::new();
        // per class: its egress rules' `ports` by matched set
        type Specs<'a> = Vec<Option<&'a [RulePort]>>;
        let mut src_groups: Vec<Vec<(usize, Specs)>> = Vec::new();
        // destination classes: (ingress isolated, ingress effects, named ports that
        // rules name, partition)
        type DstKey = (bool, Vec<usize>, Vec<(String, Proto, i64)>, usize);
        let mut dst_ids: HashMap<DstKey, usize> = HashMap::new();
        let mut dst_class = vec![0usize; n];
        let mut dst_rep = Vec::new();
        let mut dst_iso = Vec::new();
        let mut dst_groups: Vec<Vec<(usize, PortSet)>> = Vec::new();
        // endpoints under the same policies have the same effects: gathered once
        let mut eg_memo: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut in_memo: HashMap<usize, Vec<usize>> = HashMap::new();
        for d in 0..n {
            let iso = !self.egress_of(d).is_empty();
            let list = eg_memo
                .entry(self.egress_group[d])
                .or_insert_with(|| gather(self.egress_of(d), &pol_eg, 2 * d))
                .clone();
            let next = src_rep.len();
            src_class[d] = match src_ids.entry((iso, list, src_part[d])) {
                std::collections::hash_map::Entry::Occupied(o) => *o.get(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    // egress rules by matched set
                    let mut groups: Vec<(usize, Vec<Option<&[RulePort]>>)> = Vec::new();
                    for &e in &v.key().1 {
                        let (set, spec) = eff.list[e];
                        match groups.iter_mut().find(|(s, _)| *s == set) {
                            Some((_, specs)) => specs.push(spec),
                            None => groups.push((set, vec![spec])),
                        }
                    }
                    src_rep.push(d);
                    src_iso.push(iso);
                    src_groups.push(groups);
                    *v.insert(next)
                }
            };

            let iso = !self.ingress_of(d).is_empty();
            let list = in_memo
                .entry(self.ingress_group[d])
                .or_insert_with(|| gather(self.ingress_of(d), &pol_in, 2 * d + 1))
                .clone();
            let named: Vec<(String, Proto, i64)> = if eff.names.is_empty() {
                Vec::new()
            } else {
                let mut v: Vec<_> = self.endpoints[d]
                    .named_ports
                    .iter()
                    .filter(|(name, _, _)| eff.names.contains(name.as_str()))
                    .cloned()
                    .collect();
                v.sort();
                v
            };
            let next = dst_rep.len();
            dst_class[d] = match dst_ids.entry((iso, list, named, dst_part[d])) {
                std::collections::hash_map::Entry::Occupied(o) => *o.get(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    // ingress rules by matched set, ports resolved on this class
                    let mut groups: Vec<(usize, PortSet)> = Vec::new();
                    for &e in &v.key().1 {
                        let (set, spec) = eff.list[e];
                        let ps = Self::ports_of(spec, &self.endpoints[d].named_ports);
                        if ps.is_empty() {
                            continue;
                        }
                        match groups.iter_mut().find(|(s, _)| *s == set) {
                            Some((_, cur)) => cur.union(&ps),
                            None => groups.push((set, ps)),
                        }
                    }
                    dst_rep.push(d);
                    dst_iso.push(iso);
                    dst_groups.push(groups);
                    *v.insert(next)
                }
            };
        }
        let mut stats = MatrixStats {
            matched_sets: eff.sets.len(),
            source_classes: src_rep.len(),
            destination_classes: dst_rep.len(),
            group_checks: 0,
        };
        // the ports of every class pair, as numbers in a table of distinct port sets
        let mut table: Vec<PortSet> = Vec::new();
        let mut table_ids: HashMap<PortSet, u32> = HashMap::new();
        let mut rows: Vec<Vec<u32>> = Vec::with_capacity(src_rep.len());
        for (s, &rep_s) in src_rep.iter().enumerate() {
            let mut row = vec![NONE; dst_rep.len()];
            for (dc, &rep_d) in dst_rep.iter().enumerate() {
                let e = if src_iso[s] {
                    let mut e = PortSet::none();
                    for (set, specs) in &src_groups[s] {
                        stats.group_checks += 1;
                        if eff.sets[*set].has(rep_d) {
                            for spec in specs {
                                e.union(&Self::ports_of(*spec, &self.endpoints[rep_d].named_ports));
                            }
                        }
                    }
                    e
                } else {
                    PortSet::All
                };
                if e.is_empty() {
                    continue;
                }
                let i = if dst_iso[dc] {
                    let mut i = PortSet::none();
                    for (set, ps) in &dst_groups[dc] {
                        stats.group_checks += 1;
                        if eff.sets[*set].has(rep_s) {
                            i.union(ps);
                        }
                    }
                    i
                } else {
                    PortSet::All
                };
                let both = e.intersect(&i);
                if both.is_empty() {
                    continue;
                }
                row[dc] = *table_ids.entry(both).or_insert_with_key(|k| {
                    table.push(k.clone());
                    u32::try_from(table.len() - 1).expect("fewer port sets than u32::MAX")
                });
            }
            rows.push(row);
        }
        (
            ClassMatrix {
                src_class,
                dst_class,
                sources: src_rep.len(),
                destinations: dst_rep.len(),
                rows,
                table,
            },
            stats,
        )
    }
}

/// No connection between a class pair.
const NONE: u32 = u32::MAX;

/// The matrix by classes: each endpoint's source and destination class, and per class
/// pair the ports allowed (an index into `table`, or [`NONE`]).
struct ClassMatrix {
    src_class: Vec<usize>,
    dst_class: Vec<usize>,
    sources: usize,
    destinations: usize,
    rows: Vec<Vec<u32>>,
    table: Vec<PortSet>,
}

impl ClassMatrix {
    /// Every allowed (source, destination, ports) of distinct endpoints.
    fn expand(&self) -> Vec<(usize, usize, PortSet)> {
        let n = self.src_class.len();
        let mut out = Vec::new();
        for src in 0..n {
            let row = &self.rows[self.src_class[src]];
            if row.iter().all(|&x| x == NONE) {
                continue;
            }
            for dst in 0..n {
                let id = row[self.dst_class[dst]];
                if dst != src && id != NONE {
                    out.push((src, dst, self.table[id as usize].clone()));
                }
            }
        }
        out
    }

    fn group(self) -> GroupedMatrix {
        let mut sources = vec![Vec::new(); self.sources];
        let mut destinations = vec![Vec::new(); self.destinations];
        for (d, &c) in self.src_class.iter().enumerate() {
            sources[c].push(d);
        }
        for (d, &c) in self.dst_class.iter().enumerate() {
            destinations[c].push(d);
        }
        let mut allowed = Vec::new();
        for (s, row) in self.rows.iter().enumerate() {
            for (dc, &id) in row.iter().enumerate() {
                // one workload on both sides: it would only connect to itself
                let only_itself = sources[s].len() == 1 && destinations[dc] == sources[s];
                if id != NONE && !only_itself {
                    allowed.push((s, dc, self.table[id as usize].clone()));
                }
            }
        }
        GroupedMatrix {
            sources,
            destinations,
            allowed,
        }
    }
}

/// The matrix by groups of workloads (dense endpoint numbers): every workload of
/// `sources[s]` may connect to every workload of `destinations[d]` other than itself,
/// on the ports of `(s, d, ports)` in `allowed`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedMatrix {
    pub sources: Vec<Vec<usize>>,
    pub destinations: Vec<Vec<usize>>,
    pub allowed: Vec<(usize, usize, PortSet)>,
}

impl GroupedMatrix {
    /// The pairs it stands for, as [`NetModel::matrix`] lists them.
    pub fn expand(&self) -> Vec<(usize, usize, PortSet)> {
        let mut out = Vec::new();
        for (s, d, p) in &self.allowed {
            for &a in &self.sources[*s] {
                for &b in &self.destinations[*d] {
                    if a != b {
                        out.push((a, b, p.clone()));
                    }
                }
            }
        }
        out.sort_by_key(|&(a, b, _)| (a, b));
        out
    }
}

/// What [`NetModel::matrix_with_stats`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatrixStats {
    /// Distinct non-empty matched sets among the rules in force.
    pub matched_sets: usize,
    pub source_classes: usize,
    pub destination_classes: usize,
    /// Rule groups (the rules of a class with one matched set) examined, summed over
    /// the class pairs: the work of computing the pairs, before expanding them.
    pub group_checks: usize,
}

/// The distinct effects of the rules in force: (matched set, `ports`), with the
/// distinct matched sets and the port names the rules name.
#[derive(Default)]
struct Effects<'a> {
    sets: Vec<&'a Bits>,
    set_ids: HashMap<&'a Bits, usize>,
    /// the same, by address: rules sharing one computed set are hashed once
    set_at: HashMap<*const Bits, usize>,
    /// Per set: whether an ingress / egress rule has it.
    in_ingress: Vec<bool>,
    in_egress: Vec<bool>,
    list: Vec<(usize, Option<&'a [RulePort]>)>,
    ids: HashMap<(usize, Option<&'a [RulePort]>), usize>,
    names: std::collections::HashSet<&'a str>,
}

impl<'a> Effects<'a> {
    /// The effects of rules, sorted, without repeats; rules matching nothing have none.
    fn of(&mut self, rules: &'a [PolicyRule], ingress: bool) -> Vec<usize> {
        let mut out: Vec<usize> = rules
            .iter()
            .filter(|r| !r.matched.is_empty())
            .map(|r| self.intern(r, ingress))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn intern(&mut self, r: &'a PolicyRule, ingress: bool) -> usize {
        let next = self.sets.len();
        let at: *const Bits = Arc::as_ptr(&r.matched);
        let set = match self.set_at.get(&at) {
            Some(&set) => set,
            None => {
                let set = *self.set_ids.entry(&r.matched).or_insert(next);
                self.set_at.insert(at, set);
                set
            }
        };
        if set == next {
            self.sets.push(&r.matched);
            self.in_ingress.push(false);
            self.in_egress.push(false);
        }
        if ingress {
            self.in_ingress[set] = true;
        } else {
            self.in_egress[set] = true;
        }
        let key = (set, r.ports.as_deref());
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        for p in key.1.unwrap_or_default() {
            if let PortVal::Named(name) = &p.port {
                self.names.insert(name);
            }
        }
        self.list.push(key);
        self.ids.insert(key, self.list.len() - 1);
        self.list.len() - 1
    }
}

/// Splits every class of `class` (numbers per element) by membership in `by`: the
/// members of a class that are in `by` move to a new class. Costs `by`.
fn refine(
    class: &mut [usize],
    next: &mut usize,
    by: &BTreeSet<usize>,
    moved: &mut HashMap<usize, usize>,
) {
    moved.clear();
    for &x in by {
        let c = class[x];
        class[x] = *moved.entry(c).or_insert_with(|| {
            *next += 1;
            *next - 1
        });
    }
}

/// What one direction of a connection allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Direction {
    pub isolated: bool,
    pub ports: PortSet,
    /// (policy index, rule index, ports it opens)
    pub via: Vec<(usize, usize, PortSet)>,
    /// Some rule might match, depending on namespace labels or IPs the input lacks.
    pub unknown: bool,
}

fn m_fill(
    index: &Index,
    dense: &HashMap<usize, usize>,
    ns_labels: &HashMap<String, NsLabels>,
    by_ns: &HashMap<String, Vec<usize>>,
    n: usize,
    policy_ns: &str,
    r: &mut PolicyRule,
) {
    let mut matched = Bits::new(n);
    let mut unknown = Bits::new(n);
    let Some(peers) = &r.peers else {
        matched.set_all();
        r.matched = Arc::new(matched);
        r.unknown = Arc::new(unknown);
        return;
    };
    for peer in peers {
        match peer {
            Peer::Invalid => {}
            Peer::IpBlock { cidr, except } => {
                // every pod may be behind any address: all, or all unknown (the
                // clean-up below takes the sure matches out of the unknown ones)
                if covers_everything(cidr, except) {
                    matched.set_all();
                } else {
                    unknown.set_all();
                }
            }
            Peer::Pods { ns: nsel, pods } => {
                let mut nss: Vec<(&str, M)> = Vec::new();
                match nsel {
                    NsSel::Own => nss.push((policy_ns, M::Yes)),
                    NsSel::Sel(s) => {
                        // a selector on the namespace's name picks its namespaces
                        // without looking at the others
                        let named: Option<Vec<&String>> = s
                            .requirements
                            .iter()
                            .find(|r| r.key == NS_NAME_LABEL && r.op == SelectorOp::In)
                            .map(|r| {
                                r.values
                                    .iter()
                                    .filter_map(|v| by_ns.get_key_value(v.as_str()).map(|(k, _)| k))
                                    .collect()
                            });
                        let candidates: Box<dyn Iterator<Item = &String>> = match named {
                            Some(list) => Box::new(list.into_iter()),
                            None => Box::new(by_ns.keys()),
                        };
                        for ns in candidates {
                            let m = ns_matches(s, ns, ns_labels.get(ns.as_str()));
                            if m != M::No {
                                nss.push((ns.as_str(), m));
                            }
                        }
                    }
                }
                let all = LabelSelector::default();
                let sel = pods.as_ref().unwrap_or(&all);
                for (ns, nm) in nss {
                    for w in index.workloads_matching(ns, sel) {
                        let Some(&d) = dense.get(&w) else { continue };
                        if nm == M::Yes {
                            matched.set(d);
                        } else if !matched.has(d) {
                            unknown.set(d);
                        }
                    }
                }
            }
        }
    }
    // a sure match wins over a maybe
    if matched.is_full() {
        unknown = Bits::new(n);
    } else {
        let sure: Vec<usize> = matched.iter().collect();
        for i in sure {
            unknown.remove(i);
        }
    }
    matched.compact();
    unknown.compact();
    r.matched = Arc::new(matched);
    r.unknown = Arc::new(unknown);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> (Index, NetModel) {
        let loaded = crate::input::load_text(0, text, "default");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let index = Index::new(loaded.objects);
        let m = NetModel::build(&index);
        (index, m)
    }

    fn ep(index: &Index, m: &NetModel, ns: &str, name: &str) -> usize {
        let id = index
            .in_namespace(ns)
            .iter()
            .copied()
            .find(|&id| {
                index.object(id).name == name && PodTemplate::of(index.object(id)).is_some()
            })
            .unwrap_or_else(|| panic!("{ns}/{name}"));
        m.endpoint_of(id).unwrap()
    }

    fn pod(ns: &str, name: &str, labels: &str, ports: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{{labels}}}}}\nspec:\n  containers: [{{name: c, image: x:1, ports: [{ports}]}}]\n---\n"
        )
    }

    fn ns(name: &str, labels: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{{labels}}}}}\n---\n"
        )
    }

    fn netpol(ns: &str, name: &str, spec: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}\n---\n"
        )
    }

    fn base() -> String {
        ns("a", "team: x")
            + &ns("b", "team: y")
            + &pod("a", "client", "role: client", "")
            + &pod("a", "other", "role: other", "")
            + &pod("b", "client", "role: client", "")
            + &pod("b", "db", "app: db", "{name: pg, containerPort: 5432}")
    }

    #[test]
    fn and_within_one_peer_or_across_peers() {
        let and = base()
            + &netpol(
                "b",
                "db",
                "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {team: x}}\n          podSelector: {matchLabels: {role: client}}",
            );
        let (ix, m) = model(&and);
        let db = ep(&ix, &m, "b", "db");
        assert!(m.reach(ep(&ix, &m, "a", "client"), db, None).allowed);
        assert!(!m.reach(ep(&ix, &m, "a", "other"), db, None).allowed);
        assert!(!m.reach(ep(&ix, &m, "b", "client"), db, None).allowed);

        let or = base()
            + &netpol(
                "b",
                "db",
                "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {team: x}}\n        - podSelector: {matchLabels: {role: client}}",
            );
        let (ix, m) = model(&or);
        let db = ep(&ix, &m, "b", "db");
        assert!(m.reach(ep(&ix, &m, "a", "client"), db, None).allowed);
        assert!(m.reach(ep(&ix, &m, "a", "other"), db, None).allowed);
        assert!(m.reach(ep(&ix, &m, "b", "client"), db, None).allowed);
    }

    #[test]
    fn named_ports_resolve_against_the_destination() {
        let text = base()
            + &netpol(
                "b",
                "db",
                "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - ports: [{port: pg}]",
            );
        let (ix, m) = model(&text);
        let (src, db) = (ep(&ix, &m, "a", "client"), ep(&ix, &m, "b", "db"));
        assert!(m.reach(src, db, Some((Proto::Tcp, 5432))).allowed);
        assert!(!m.reach(src, db, Some((Proto::Tcp, 80))).allowed);
        assert!(!m.reach(src, db, Some((Proto::Udp, 5432))).allowed);
        assert_eq!(
            m.reach(src, db, None).ports,
            PortSet::Some(vec![(Proto::Tcp, 5432, 5432)])
        );
        // the same name on a pod that does not declare it opens nothing
        let text2 = text
            + &netpol(
                "b",
                "client",
                "  podSelector: {matchLabels: {role: client}}\n  ingress:\n    - ports: [{port: pg}]",
            );
        let (ix2, m2) = model(&text2);
        let other2 = ep(&ix2, &m2, "b", "client");
        assert!(!m2.reach(ep(&ix2, &m2, "a", "client"), other2, None).allowed);
    }

    #[test]
    fn policy_types_default_and_egress_only() {
        let text = base()
            + &netpol(
                "a",
                "deny-egress",
                "  podSelector: {}\n  policyTypes: [Egress]",
            )
            + &netpol("b", "empty-egress", "  podSelector: {}\n  egress: []")
            + &netpol(
                "b",
                "allow-egress",
                "  podSelector: {matchLabels: {role: client}}\n  egress: [{}]",
            );
        let (ix, m) = model(&text);
        let p = |n: &str| m.policies.iter().find(|p| p.name == n).unwrap();
        assert!(!p("deny-egress").isolates_ingress && p("deny-egress").isolates_egress);
        assert!(p("empty-egress").isolates_ingress && !p("empty-egress").isolates_egress);
        assert!(p("allow-egress").isolates_ingress && p("allow-egress").isolates_egress);
        let (ac, bdb) = (ep(&ix, &m, "a", "client"), ep(&ix, &m, "b", "db"));
        // a is egress-isolated with no rules; b is ingress-isolated with no rules
        assert!(!m.reach(ac, bdb, None).allowed);
        let r = m.reach(ep(&ix, &m, "b", "client"), ac, None);
        assert!(r.egress.isolated && r.egress.allows(None));
        assert!(!r.ingress.isolated && r.allowed);
    }

    #[test]
    fn namespaces_without_labels_are_unknown_except_their_name() {
        let text = pod("c", "client", "role: client", "")
            + &pod("b", "db", "app: db", "")
            + &ns("b", "")
            + &netpol(
                "b",
                "by-team",
                "  podSelector: {}\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {team: x}}}]",
            )
            + &netpol(
                "b",
                "by-name",
                "  podSelector: {}\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: d}}}]",
            );
        let (ix, m) = model(&text);
        let c = ep(&ix, &m, "c", "client");
        let team = m.policies.iter().find(|p| p.name == "by-team").unwrap();
        assert!(!team.ingress[0].matched.has(c) && team.ingress[0].unknown.has(c));
        let name = m.policies.iter().find(|p| p.name == "by-name").unwrap();
        assert!(!name.ingress[0].matched.has(c) && !name.ingress[0].unknown.has(c));
        let r = m.reach(c, ep(&ix, &m, "b", "db"), None);
        assert!(!r.allowed && r.ingress.unknown);
        assert_eq!(ns_matches(&LabelSelector::default(), "zzz", None), M::Yes);
    }

    #[test]
    fn end_port_ranges_and_ip_blocks() {
        let text = base()
            + &netpol(
                "b",
                "range",
                "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n      ports: [{port: 8000, endPort: 8100}]",
            )
            + &netpol(
                "a",
                "except",
                "  podSelector: {matchLabels: {role: other}}\n  ingress:\n    - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]",
            );
        let (ix, m) = model(&text);
        let (src, db) = (ep(&ix, &m, "a", "client"), ep(&ix, &m, "b", "db"));
        assert!(m.reach(src, db, Some((Proto::Tcp, 8000))).allowed);
        assert!(m.reach(src, db, Some((Proto::Tcp, 8100))).allowed);
        assert!(!m.reach(src, db, Some((Proto::Tcp, 8101))).allowed);
        assert!(!m.reach(src, db, Some((Proto::Udp, 8050))).allowed);
        // the except may hold pod IPs: undetermined, not allowed
        let r = m.reach(src, ep(&ix, &m, "a", "other"), None);
        assert!(!r.allowed && r.ingress.unknown);
    }

    #[test]
    fn matrix_agrees_with_reach() {
        let text = base()
            + &netpol(
                "b",
                "db",
                "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {team: x}}, podSelector: {matchLabels: {role: client}}}]\n      ports: [{port: pg}]",
            )
            + &netpol(
                "a",
                "deny",
                "  podSelector: {matchLabels: {role: other}}\n  policyTypes: [Egress]",
            );
        let (_, m) = model(&text);
        let pairs = m.matrix();
        let n = m.endpoints.len();
        for a in 0..n {
            for b in 0..n {
                if a == b {
                    continue;
                }
                let r = m.reach(a, b, None);
                let found = pairs.iter().find(|(x, y, _)| *x == a && *y == b);
                assert_eq!(found.is_some(), r.allowed, "{a}->{b}");
                if let Some((_, _, p)) = found {
                    assert_eq!(*p, r.ports);
                }
            }
        }
    }

    /// 2,000 workloads in 50 namespaces and 500 policies: the matrix must be
    /// computed from precomputed selections (a few seconds at most).
    #[test]
    fn matrix_scales() {
        let mut text = String::new();
        for n in 0..50 {
            text += &ns(&format!("ns{n}"), &format!("team: t{}", n % 5));
            for w in 0..40 {
                text += &format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{w}, namespace: ns{n}}}\nspec:\n  template:\n    metadata: {{labels: {{app: w{w}, tier: t{}}}}}\n    spec:\n      containers: [{{name: c, image: x:1, ports: [{{name: http, containerPort: 8080}}]}}]\n---\n",
                    w % 4
                );
            }
        }
        for p in 0..500 {
            let n = p % 50;
            let spec = match p / 50 {
                0 => "  podSelector: {}\n  policyTypes: [Ingress, Egress]".to_string(),
                1 => "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {}}], ports: [{port: 53, protocol: UDP}]}]".to_string(),
                k => format!(
                    "  podSelector: {{matchLabels: {{tier: t{}}}}}\n  ingress:\n    - from:\n        - namespaceSelector: {{matchLabels: {{team: t{}}}}}\n          podSelector: {{matchLabels: {{app: w{k}}}}}\n      ports: [{{port: http}}]\n  egress: [{{to: [{{podSelector: {{}}}}]}}]",
                    k % 4,
                    k % 5
                ),
            };
            text += &netpol(&format!("ns{n}"), &format!("p{p}"), &spec);
        }
        let start = std::time::Instant::now();
        let (_, m) = model(&text);
        let built = start.elapsed();
        assert_eq!(m.endpoints.len(), 2000);
        assert_eq!(m.policies.len(), 500);
        let pairs = m.matrix();
        assert!(!pairs.is_empty());
        eprintln!(
            "matrix_scales: load+build {built:?}, matrix {:?}, {} allowed pairs",
            start.elapsed() - built,
            pairs.len()
        );
    }

    /// The per-pair algorithm the model had before `reach` and `matrix` were
    /// rewritten, kept as the reference: the policies selecting an endpoint from the
    /// precomputed `ingress_of`/`egress_of`, the peers from every rule's `matched` and
    /// `unknown` sets.
    fn reference_direction(
        m: &NetModel,
        pols: &[usize],
        peer: usize,
        dst: usize,
        egress: bool,
    ) -> Direction {
        if pols.is_empty() {
            return Direction {
                isolated: false,
                ports: PortSet::All,
                via: Vec::new(),
                unknown: false,
            };
        }
        let mut ports = PortSet::none();
        let mut via = Vec::new();
        let mut unknown = false;
        let named = &m.endpoints[dst].named_ports;
        for &pi in pols {
            let p = &m.policies[pi];
            let rules = if egress { &p.egress } else { &p.ingress };
            for (ri, r) in rules.iter().enumerate() {
                if r.matched.has(peer) {
                    let ps = NetModel::rule_ports(r, named);
                    if !ps.is_empty() {
                        ports.union(&ps);
                        via.push((pi, ri, ps));
                    }
                } else if r.unknown.has(peer) {
                    unknown = true;
                }
            }
        }
        Direction {
            isolated: true,
            ports,
            via,
            unknown,
        }
    }

    fn reference_reach(m: &NetModel, src: usize, dst: usize, port: Option<(Proto, i64)>) -> Reach {
        let egress = reference_direction(m, m.egress_of(src), dst, dst, true);
        let ingress = reference_direction(m, m.ingress_of(dst), src, dst, false);
        let ports = egress.ports.intersect(&ingress.ports);
        let allowed = match port {
            Some((p, n)) => ports.contains(p, n),
            None => !ports.is_empty(),
        };
        Reach {
            egress,
            ingress,
            ports,
            allowed,
        }
    }

    fn reference_matrix(m: &NetModel) -> Vec<(usize, usize, PortSet)> {
        let n = m.endpoints.len();
        let mut out = Vec::new();
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    let r = reference_reach(m, a, b, None);
                    if r.allowed {
                        out.push((a, b, r.ports));
                    }
                }
            }
        }
        out
    }

    /// A deterministic generator (splitmix64): no dependency, same inputs every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    fn random_selector(rng: &mut Rng) -> String {
        match rng.below(7) {
            0 => "{}".to_string(),
            1 | 2 => format!(
                "{{matchLabels: {{{}}}}}",
                rng.pick(&["app: a", "app: b", "tier: f", "app: a, tier: f"])
            ),
            3 => format!(
                "{{matchExpressions: [{{key: app, operator: In, values: [{}]}}]}}",
                rng.pick(&["a", "b", "a, c"])
            ),
            4 => "{matchExpressions: [{key: tier, operator: NotIn, values: [f]}]}".to_string(),
            5 => format!(
                "{{matchExpressions: [{{key: {}, operator: {}}}]}}",
                rng.pick(&["app", "tier"]),
                rng.pick(&["Exists", "DoesNotExist"])
            ),
            // rejected by the API server
            _ => "{matchExpressions: [{key: app, operator: Near}]}".to_string(),
        }
    }

    fn random_peer(rng: &mut Rng) -> String {
        let ns_sel = |rng: &mut Rng| {
            rng.pick(&[
                "{}",
                "{matchLabels: {team: x}}",
                "{matchLabels: {team: y}}",
                "{matchLabels: {kubernetes.io/metadata.name: b}}",
                "{matchExpressions: [{key: team, operator: DoesNotExist}]}",
            ])
            .to_string()
        };
        match rng.below(8) {
            0 | 1 => format!("{{podSelector: {}}}", random_selector(rng)),
            2 => format!("{{namespaceSelector: {}}}", ns_sel(rng)),
            3 | 4 => format!(
                "{{namespaceSelector: {}, podSelector: {}}}",
                ns_sel(rng),
                random_selector(rng)
            ),
            5 => format!(
                "{{ipBlock: {{cidr: {}}}}}",
                rng.pick(&["0.0.0.0/0", "10.0.0.0/8", "::/0"])
            ),
            6 => "{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}".to_string(),
            _ => "{}".to_string(),
        }
    }

    fn random_rules(rng: &mut Rng, peer_key: &str) -> String {
        let mut out = String::new();
        for _ in 0..rng.below(3) {
            let mut rule = Vec::new();
            if rng.chance(75) {
                let peers: Vec<String> = (0..1 + rng.below(2)).map(|_| random_peer(rng)).collect();
                rule.push(format!("{peer_key}: [{}]", peers.join(", ")));
            }
            if rng.chance(60) {
                let ports: Vec<&str> = (0..1 + rng.below(2))
                    .map(|_| {
                        rng.pick(&[
                            "{port: 8080}",
                            "{port: http}",
                            "{port: dns, protocol: UDP}",
                            "{port: 53, protocol: UDP}",
                            "{port: 8000, endPort: 9000}",
                            "{protocol: UDP}",
                            "{port: pg}",
                            "{port: http, endPort: 9000}",
                            "{port: 53, protocol: ICMP}",
                        ])
                    })
                    .collect();
                rule.push(format!("ports: [{}]", ports.join(", ")));
            }
            out += &format!("    - {{{}}}\n", rule.join(", "));
        }
        out
    }

    /// A small input: namespaces with and without their object, Pods and
    /// Deployments with random labels and named ports, random policies.
    fn random_input(rng: &mut Rng) -> String {
        let mut text = String::new();
        for name in ["a", "b", "c"] {
            if rng.chance(60) {
                text += &ns(
                    name,
                    rng.pick(&["", "team: x", "team: y", "team: x, env: p"]),
                );
            }
        }
        let nss = ["a", "b", "c"];
        for w in 0..2 + rng.below(7) {
            let labels = rng.pick(&[
                "",
                "app: a",
                "app: b",
                "app: a, tier: f",
                "tier: f",
                "app: c, tier: b",
            ]);
            let ports = rng.pick(&[
                "",
                "{name: http, containerPort: 8080}",
                "{name: http, containerPort: 9090}",
                "{name: dns, containerPort: 53, protocol: UDP}",
                "{name: pg, containerPort: 5432}, {name: http, containerPort: 8081}",
            ]);
            let ns_name = rng.pick(&nss);
            if rng.chance(50) {
                text += &pod(ns_name, &format!("w{w}"), labels, ports);
            } else {
                text += &format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{w}, namespace: {ns_name}}}\nspec:\n  template:\n    metadata: {{labels: {{{labels}}}}}\n    spec:\n      containers: [{{name: c, image: x:1, ports: [{ports}]}}]\n---\n"
                );
            }
        }
        for p in 0..rng.below(7) {
            let mut spec = format!("  podSelector: {}\n", random_selector(rng));
            match rng.below(4) {
                0 => {}
                1 => spec += "  policyTypes: [Ingress]\n",
                2 => spec += "  policyTypes: [Egress]\n",
                _ => spec += "  policyTypes: [Ingress, Egress]\n",
            }
            let ingress = random_rules(rng, "from");
            if !ingress.is_empty() {
                spec += &format!("  ingress:\n{ingress}");
            }
            let egress = random_rules(rng, "to");
            if !egress.is_empty() {
                spec += &format!("  egress:\n{egress}");
            }
            text += &netpol(rng.pick(&nss), &format!("p{p}"), spec.trim_end());
        }
        text
    }

    /// `reach` (on the full model and on the one without selections) and `matrix`
    /// agree with the reference per-pair algorithm on random small inputs.
    #[test]
    fn reach_and_matrix_agree_with_the_reference_on_random_inputs() {
        let mut rng = Rng(0x706c_696d_736f_6c6c);
        let ports = [
            None,
            Some((Proto::Tcp, 8080)),
            Some((Proto::Tcp, 8500)),
            Some((Proto::Udp, 53)),
            Some((Proto::Tcp, 5432)),
        ];
        let (mut allowed, mut denied, mut unknown) = (0, 0, 0);
        for case in 0..400 {
            let text = random_input(&mut rng);
            let (ix, full) = model(&text);
            let light = NetModel::build_for_pairs(&ix);
            let n = full.endpoints.len();
            assert_eq!(light.endpoints.len(), n);
            for a in 0..n {
                for b in 0..n {
                    for port in ports {
                        let want = reference_reach(&full, a, b, port);
                        let got = full.reach(a, b, port);
                        assert_eq!(got, want, "case {case}: {a}->{b} {port:?}\n{text}");
                        let got = light.reach(a, b, port);
                        assert_eq!(
                            got, want,
                            "case {case} (no selections): {a}->{b} {port:?}\n{text}"
                        );
                        if port.is_none() && a != b {
                            match (want.allowed, want.ingress.unknown || want.egress.unknown) {
                                (true, _) => allowed += 1,
                                (false, true) => unknown += 1,
                                (false, false) => denied += 1,
                            }
                        }
                    }
                }
            }
            assert_eq!(
                full.matrix(),
                reference_matrix(&full),
                "case {case}\n{text}"
            );
            assert_eq!(
                full.grouped().expand(),
                reference_matrix(&full),
                "grouped, case {case}\n{text}"
            );
        }
        // the generator exercises every verdict
        assert!(
            allowed > 100 && denied > 100 && unknown > 20,
            "{allowed} {denied} {unknown}"
        );
    }

    /// n Deployments sharing `team: shop` and n policies selecting them by that
    /// label, isolating both ways and allowing `team: shop` both ways: n^2 allowed
    /// pairs, each under n policies per direction.
    fn shared_selector(n: usize) -> String {
        let mut text = ns("shop", "team: shop");
        for i in 0..n {
            text += &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: shop}}\nspec:\n  template:\n    metadata: {{labels: {{team: shop, app: d{i}}}}}\n    spec:\n      containers: [{{name: c, image: x:1, ports: [{{name: http, containerPort: 8080}}]}}]\n---\n"
            );
        }
        for i in 0..n {
            text += &netpol(
                "shop",
                &format!("p{i}"),
                "  podSelector: {matchLabels: {team: shop}}\n  policyTypes: [Ingress, Egress]\n  ingress: [{from: [{podSelector: {matchLabels: {team: shop}}}]}]\n  egress: [{to: [{podSelector: {matchLabels: {team: shop}}}], ports: [{port: http}]}]",
            );
        }
        text
    }

    /// Policies sharing a podSelector share one selection, endpoints under the same
    /// policies share one list of them, and rules with the same peers share one
    /// matched set: the model holds O(n) entries for n policies over n workloads (it
    /// held each policy's selection, each endpoint's policies and each rule's set:
    /// n x n of each).
    #[test]
    fn policies_sharing_a_selector_share_their_selections() {
        for n in [30, 120] {
            let (_, m) = model(&shared_selector(n));
            assert_eq!(m.classes.len(), 1);
            assert_eq!(m.classes[0].len(), n);
            assert_eq!(
                m.policy_lists(),
                1,
                "every endpoint is under all n both ways"
            );
            for d in 0..n {
                assert_eq!(m.ingress_of(d).len(), n);
                assert_eq!(m.egress_group(d), m.egress_group(0));
            }
            for pi in 0..n {
                assert_eq!(m.selects(pi).len(), n);
            }
            let first = &m.policies[0].ingress[0].matched;
            for p in &m.policies {
                assert!(Arc::ptr_eq(&p.ingress[0].matched, first));
            }
        }
    }

    /// The grouped matrix stands for the same pairs, in a size that does not grow
    /// with the pairs: n workloads that may all reach each other are one group on
    /// each side and one allowed group pair.
    #[test]
    fn grouped_matrix_stands_for_the_pairs() {
        for n in [10, 40] {
            let (_, m) = model(&shared_selector(n));
            let g = m.grouped();
            assert_eq!(
                (g.sources.len(), g.destinations.len(), g.allowed.len()),
                (1, 1, 1)
            );
            assert_eq!(g.expand(), m.matrix());
        }
        let text = base()
            + &netpol(
                "b",
                "db",
                "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {team: x}}, podSelector: {matchLabels: {role: client}}}]\n      ports: [{port: pg}]",
            )
            + &netpol(
                "a",
                "deny",
                "  podSelector: {matchLabels: {role: other}}\n  policyTypes: [Egress]",
            );
        let (_, m) = model(&text);
        assert_eq!(m.grouped().expand(), m.matrix());
    }

    /// The pair computation does not grow with the policies a pair is under: at n
    /// and 4n policies sharing one selector it examines the same two rule groups
    /// (the per-pair algorithm examined n rules per direction and pair: n^3), and
    /// every rule's matched set is stored as "all" with no exclusions.
    #[test]
    fn matrix_work_does_not_grow_with_policies_sharing_a_selector() {
        let mut seen = Vec::new();
        for n in [30, 120] {
            let (_, m) = model(&shared_selector(n));
            assert_eq!(m.policies.len(), n);
            for p in &m.policies {
                for r in p.ingress.iter().chain(&p.egress) {
                    assert!(r.matched.is_complement() && r.matched.stored().is_empty());
                    assert!(r.unknown.stored().is_empty());
                }
            }
            let (pairs, stats) = m.matrix_with_stats();
            assert_eq!(pairs.len(), n * (n - 1));
            assert!(
                pairs
                    .iter()
                    .all(|(_, _, p)| *p == PortSet::Some(vec![(Proto::Tcp, 8080, 8080)]))
            );
            seen.push(stats);
        }
        assert_eq!(seen[0], seen[1]);
        assert_eq!(
            seen[0],
            MatrixStats {
                matched_sets: 1,
                source_classes: 1,
                destination_classes: 1,
                group_checks: 2,
            }
        );
    }

    /// Workloads that differ (distinct labels, distinct named ports) make distinct
    /// classes only where a rule tells them apart.
    #[test]
    fn matrix_classes_follow_what_rules_distinguish() {
        let text = shared_selector(4)
            + &netpol(
                "shop",
                "only-d1",
                "  podSelector: {matchLabels: {app: d2}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: d1}}}]}]",
            );
        let (_, m) = model(&text);
        let (pairs, stats) = m.matrix_with_stats();
        assert_eq!(pairs, reference_matrix(&m));
        // sources: d1 (matched by the new rule) and the others; destinations: d2
        // (under the new policy too) and the others
        assert_eq!((stats.source_classes, stats.destination_classes), (2, 2));
    }

    /// `build_for_pairs` computes no selection (its size is the input's, whatever
    /// the rules match), and `reach` on it answers with every policy involved.
    #[test]
    fn reach_needs_no_selections() {
        for n in [30, 120] {
            let (ix, full) = model(&shared_selector(n));
            let light = NetModel::build_for_pairs(&ix);
            assert!(light.classes.is_empty() && light.policy_lists() == 0);
            for p in &light.policies {
                assert!(p.class.is_none());
                for r in p.ingress.iter().chain(&p.egress) {
                    assert!(*r.matched == Bits::default() && *r.unknown == Bits::default());
                }
            }
            let r = light.reach(0, n - 1, None);
            assert!(r.allowed);
            assert_eq!((r.egress.via.len(), r.ingress.via.len()), (n, n));
            assert_eq!(r, reference_reach(&full, 0, n - 1, None));
        }
    }

    #[test]
    fn bits_store_the_smaller_side() {
        let mut b = Bits::new(10);
        for i in 0..7 {
            b.set(i);
        }
        b.compact();
        assert!(b.is_complement() && b.stored().len() == 3 && b.len() == 7);
        assert_eq!(b.iter().collect::<Vec<_>>(), (0..7).collect::<Vec<_>>());
        let mut c = Bits::new(10);
        c.set_all();
        for i in 7..10 {
            c.remove(i);
        }
        c.compact();
        assert_eq!(b, c);
        for i in 0..4 {
            c.remove(i);
        }
        c.compact();
        assert!(!c.is_complement() && c.stored().len() == 3);
        assert!(c.has(5) && !c.has(2) && !c.has(8));
    }
}
