//! NetworkPolicy semantics over the input objects, built once per run.
//!
//! The unit of traffic is a workload (an object with a pod template and no controlling
//! owner, bare Pods included): its pods share the template's labels and ports.
//! Matching is three-valued: the labels of a namespace without a Namespace object in
//! the input are unknown (only the immutable `kubernetes.io/metadata.name` is), so a
//! namespaceSelector on other labels is [`M::Unknown`] for it, never a guess.

use std::collections::BTreeSet;
use std::collections::HashMap;

use plimsoll_model::{Index, LabelSelector, Node, PodTemplate};

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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone)]
pub enum PortVal {
    /// No `port`: every port of the protocol.
    Any,
    Num(i64, i64),
    Named(String),
    /// Rejected by the API server (named port with endPort, endPort < port, ...).
    Invalid,
}

#[derive(Debug, Clone)]
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
    pub matched: Bits,
    pub unknown: Bits,
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
    /// Dense numbers of the workloads the podSelector selects.
    pub selects: Vec<usize>,
}

impl Policy {
    /// `podSelector: {}` (or none): every pod of the namespace.
    pub fn selects_all(&self) -> bool {
        self.selector.as_ref().is_some_and(LabelSelector::is_empty)
    }
}

/// A set of dense workload numbers: a few members, or everything but a few. Rules
/// usually match a handful of workloads, or all of them: a dense bitset per rule would
/// make the model grow with rules x workloads.
#[derive(Debug, Clone, Default)]
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
    /// Per endpoint: policies (indices) selecting it that isolate ingress / egress.
    pub ingress_of: Vec<Vec<usize>>,
    pub egress_of: Vec<Vec<usize>>,
    /// Per namespace: policy indices.
    pub policies_in: HashMap<String, Vec<usize>>,
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
                matched: Bits::default(),
                unknown: Bits::default(),
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
        selects: Vec::new(),
    }
}

/// Matches a namespaceSelector against a namespace, knowing only what the input says.
pub fn ns_matches(sel: &LabelSelector, ns: &str, info: Option<&NsLabels>) -> M {
    let known = info.is_some_and(|i| i.known);
    let mut out = M::Yes;
    for r in &sel.requirements {
        let single = LabelSelector {
            requirements: vec![r.clone()],
        };
        let m = if r.key == NS_NAME_LABEL {
            if single.matches_pairs(&[(NS_NAME_LABEL, ns)]) {
                M::Yes
            } else {
                M::No
            }
        } else if known {
            let pairs: Vec<(&str, &str)> = info
                .map(|i| {
                    i.labels
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            if single.matches_pairs(&pairs) {
                M::Yes
            } else {
                M::No
            }
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
    /// peers select.
    pub fn build(index: &Index) -> NetModel {
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
        let n = m.endpoints.len();
        m.ingress_of = vec![Vec::new(); n];
        m.egress_of = vec![Vec::new(); n];
        let mut ids: Vec<usize> = index
            .of_kind("NetworkPolicy")
            .filter(|(_, o)| is_network_policy(o))
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let mut p = parse_policy(id, index.object(id));
            if let Some(sel) = &p.selector {
                p.selects = index
                    .workloads_matching(&p.ns, sel)
                    .into_iter()
                    .filter_map(|w| m.dense.get(&w).copied())
                    .collect();
            }
            let pi = m.policies.len();
            for &d in &p.selects {
                if p.isolates_ingress {
                    m.ingress_of[d].push(pi);
                }
                if p.isolates_egress {
                    m.egress_of[d].push(pi);
                }
            }
            let ns = p.ns.clone();
            for r in p.ingress.iter_mut().chain(p.egress.iter_mut()) {
                m_fill(index, &m.dense, &m.ns_labels, &by_ns, n, &ns, r);
            }
            m.policies_in.entry(ns).or_default().push(pi);
            m.policies.push(p);
        }
        m
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
        let Some(ports) = &rule.ports else {
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

    /// Ports on `dst` that egress from `src` allows, with the (policy, rule)
    /// pairs that allow it; `None` when `src` is not isolated for egress.
    pub fn egress_ports(&self, src: usize, dst: usize) -> Direction {
        let pols = &self.egress_of[src];
        self.direction(pols, dst, dst, |p| &p.egress)
    }

    /// Ports on `dst` that its ingress policies open to `src`.
    pub fn ingress_ports(&self, src: usize, dst: usize) -> Direction {
        let pols = &self.ingress_of[dst];
        self.direction(pols, src, dst, |p| &p.ingress)
    }

    fn direction(
        &self,
        pols: &[usize],
        peer: usize,
        dst: usize,
        rules: impl Fn(&Policy) -> &Vec<PolicyRule>,
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
        let named = &self.endpoints[dst].named_ports;
        for &pi in pols {
            let p = &self.policies[pi];
            for (ri, r) in rules(p).iter().enumerate() {
                if r.matched.has(peer) {
                    let ps = Self::rule_ports(r, named);
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
}

/// The answer to "may `src` open a connection to `dst`?".
#[derive(Debug, Clone)]
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
    /// on any port: egress from `src` AND ingress to `dst` must allow it.
    pub fn reach(&self, src: usize, dst: usize, port: Option<(Proto, i64)>) -> Reach {
        let egress = self.egress_ports(src, dst);
        let ingress = self.ingress_ports(src, dst);
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

    /// Every allowed (source, destination, ports) of distinct endpoints. Selections
    /// are precomputed bitsets: a pair costs the rules of the two endpoints'
    /// policies, never a scan of all policies.
    pub fn matrix(&self) -> Vec<(usize, usize, PortSet)> {
        let n = self.endpoints.len();
        let mut out = Vec::new();
        let mut eg: Vec<Option<PortSet>> = vec![None; n];
        for src in 0..n {
            let egress_isolated = !self.egress_of[src].is_empty();
            if egress_isolated {
                eg.iter_mut().for_each(|e| *e = None);
                for &pi in &self.egress_of[src] {
                    for r in &self.policies[pi].egress {
                        for dst in r.matched.iter().take_while(|&d| d < n) {
                            let ps = Self::rule_ports(r, &self.endpoints[dst].named_ports);
                            if ps.is_empty() {
                                continue;
                            }
                            match &mut eg[dst] {
                                Some(cur) => cur.union(&ps),
                                slot => *slot = Some(ps),
                            }
                        }
                    }
                }
            }
            for (dst, slot) in eg.iter().enumerate() {
                if dst == src {
                    continue;
                }
                let e = if egress_isolated {
                    match slot {
                        Some(p) => p.clone(),
                        None => continue,
                    }
                } else {
                    PortSet::All
                };
                let i = self.ingress_ports(src, dst).ports;
                let both = e.intersect(&i);
                if !both.is_empty() {
                    out.push((src, dst, both));
                }
            }
        }
        out
    }
}

/// What one direction of a connection allows.
#[derive(Debug, Clone)]
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
    r.matched = Bits::new(n);
    r.unknown = Bits::new(n);
    let Some(peers) = &r.peers else {
        r.matched.set_all();
        return;
    };
    for peer in peers {
        match peer {
            Peer::Invalid => {}
            Peer::IpBlock { cidr, except } => {
                // every pod may be behind any address: all, or all unknown (the
                // clean-up below takes the sure matches out of the unknown ones)
                if covers_everything(cidr, except) {
                    r.matched.set_all();
                } else {
                    r.unknown.set_all();
                }
            }
            Peer::Pods { ns: nsel, pods } => {
                let mut nss: Vec<(&str, M)> = Vec::new();
                match nsel {
                    NsSel::Own => nss.push((policy_ns, M::Yes)),
                    NsSel::Sel(s) => {
                        for ns in by_ns.keys() {
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
                            r.matched.set(d);
                        } else if !r.matched.has(d) {
                            r.unknown.set(d);
                        }
                    }
                }
            }
        }
    }
    // a sure match wins over a maybe
    if r.matched.is_full() {
        r.unknown = Bits::new(n);
    } else {
        let sure: Vec<usize> = r.matched.iter().collect();
        for i in sure {
            r.unknown.remove(i);
        }
    }
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
}
