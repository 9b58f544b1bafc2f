use std::collections::{BTreeMap, HashMap};

use plimsoll_model::Pointer;

use super::policy::{M, NetModel, Peer, PolicyRule, Proto};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pods isolated for egress (selected by a NetworkPolicy whose effective
    /// `policyTypes` include `Egress`) when no egress rule of the policies selecting
    /// them allows both UDP and TCP port 53 to the cluster DNS. A rule allows DNS
    /// when its `to` and its `ports` both do:
    /// - `to` is missing or empty (every destination); or a peer selects the DNS
    ///   pods: its namespace part matches `kube-system` (`namespaceSelector: {}`, a
    ///   selector on `kubernetes.io/metadata.name: kube-system`, a selector on other
    ///   labels when the `kube-system` Namespace object is in the input, or no
    ///   namespaceSelector in a policy of `kube-system`) and its pod part is missing,
    ///   `{}`, or matches the DNS pods' labels (those of the workloads labelled
    ///   `k8s-app: kube-dns` in `kube-system` when the input has them, else
    ///   `k8s-app: kube-dns`); or an `ipBlock` of `0.0.0.0/0` or `::/0` without
    ///   `except`, or one holding `169.254.20.10` (NodeLocal DNSCache);
    /// - `ports` is missing, or has an entry for the protocol (default TCP) whose
    ///   port or `port`..`endPort` range holds 53, or a named port the DNS pods
    ///   declare as 53 (`dns`/UDP and `dns-tcp`/TCP as in CoreDNS when the DNS
    ///   pods are not in the input).
    ///
    /// When the answer depends on what the input does not hold (labels of a
    /// namespace without its Namespace object, another `ipBlock`), the workload is
    /// reported as not evaluated. Pods with `hostNetwork: true` are skipped.
    ///
    /// ## Why it matters in production
    /// Without DNS, every connection by name fails: the application cannot reach
    /// its database or any Service. TCP 53 is needed for answers larger than a UDP
    /// packet, so a UDP-only allowance fails intermittently.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: api-egress, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   policyTypes: [Egress]
    ///   egress:
    ///     - to: [{podSelector: {matchLabels: {app: db}}}]
    ///       ports: [{port: 5432}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///   egress:
    ///     - to: [{podSelector: {matchLabels: {app: db}}}]
    ///       ports: [{port: 5432}]
    ///     - to:
    ///         - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
    ///           podSelector: {matchLabels: {k8s-app: kube-dns}}
    ///       ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: where the DNS allowance belongs (this policy or a shared
    /// allow-dns policy) is a team convention.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/>
    /// - <https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/nodelocaldns/>
    pub struct DnsEgressBlocked {
        code: "NET005",
        name: "dns-egress-blocked",
        severity: Error,
        default: true,
        summary: "Pods isolated for egress cannot reach the cluster DNS",
    }
}

const DNS_NS: &str = "kube-system";
const NODELOCAL_DNS: [u8; 4] = [169, 254, 20, 10];

/// Whether an IPv4 CIDR holds an address.
fn cidr_holds(cidr: &str, ip: [u8; 4]) -> bool {
    let Some((addr, len)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(len), Ok(addr)) = (len.parse::<u32>(), addr.parse::<std::net::Ipv4Addr>()) else {
        return false;
    };
    if len > 32 {
        return false;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(addr) & mask == u32::from(std::net::Ipv4Addr::from(ip)) & mask
}

struct DnsTarget {
    labels: Vec<(String, String)>,
    named: Vec<(String, Proto, i64)>,
}

fn peer_allows_dns(model: &NetModel, peer: &Peer, policy_ns: &str, t: &DnsTarget) -> M {
    if let Peer::IpBlock { cidr, except } = peer
        && cidr_holds(cidr, NODELOCAL_DNS)
        && !except.iter().any(|e| cidr_holds(e, NODELOCAL_DNS))
    {
        return M::Yes;
    }
    let pairs: Vec<(&str, &str)> = t
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    model.peer_matches(peer, policy_ns, DNS_NS, Some(&pairs))
}

fn rule_allows(
    model: &NetModel,
    r: &PolicyRule,
    policy_ns: &str,
    t: &DnsTarget,
    proto: Proto,
) -> M {
    if !NetModel::rule_ports(r, &t.named).contains(proto, 53) {
        return M::No;
    }
    match &r.peers {
        None => M::Yes,
        Some(peers) => peers.iter().fold(M::No, |acc, p| match acc {
            M::Yes => M::Yes,
            _ => match peer_allows_dns(model, p, policy_ns, t) {
                M::Yes => M::Yes,
                M::Unknown => M::Unknown,
                M::No => acc,
            },
        }),
    }
}

/// `A`, `A and B`, `A, B, C and 4 more workloads`.
fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] if names.len() <= 3 => format!("{} and {last}", rest.join(", ")),
        _ => format!(
            "{} and {} more workloads",
            names[..3].join(", "),
            names.len() - 3
        ),
    }
}

impl Rule for DnsEgressBlocked {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let model = cx.net();
        if model.policies.is_empty() {
            return;
        }
        let mut targets: Vec<DnsTarget> = model
            .endpoints
            .iter()
            .filter(|e| {
                e.ns == DNS_NS
                    && e.labels
                        .iter()
                        .any(|(k, v)| k == "k8s-app" && v == "kube-dns")
            })
            .map(|e| DnsTarget {
                labels: e.labels.clone(),
                named: e.named_ports.clone(),
            })
            .collect();
        if targets.is_empty() {
            targets.push(DnsTarget {
                labels: vec![("k8s-app".into(), "kube-dns".into())],
                named: vec![
                    ("dns".into(), Proto::Udp, 53),
                    ("dns-tcp".into(), Proto::Tcp, 53),
                ],
            });
        }
        // (first isolating policy, what is missing) -> workloads
        let mut groups: BTreeMap<(usize, &'static str), Vec<usize>> = BTreeMap::new();
        // endpoints under the same egress policies get the same answer: computed once
        let mut memo: HashMap<usize, (M, M)> = HashMap::new();
        for (d, e) in model.endpoints.iter().enumerate() {
            let pols = model.egress_of(d);
            if pols.is_empty() || e.host_network {
                continue;
            }
            let allowed = |proto: Proto| {
                let mut acc = M::No;
                for &pi in pols {
                    let p = &model.policies[pi];
                    for r in &p.egress {
                        for t in &targets {
                            acc = acc.or(rule_allows(model, r, &p.ns, t, proto));
                        }
                    }
                }
                acc
            };
            let (udp, tcp) = *memo
                .entry(model.egress_group(d))
                .or_insert_with(|| (allowed(Proto::Udp), allowed(Proto::Tcp)));
            let missing = match (udp, tcp) {
                (M::Yes, M::Yes) => continue,
                (M::No, M::No) => "UDP and TCP",
                (M::No, M::Yes) => "UDP",
                (M::Yes, M::No) => "TCP",
                _ => {
                    out.not_evaluated(
                        e.id,
                        "whether its egress rules allow DNS depends on namespace labels or IP ranges the input does not hold",
                    );
                    continue;
                }
            };
            groups.entry((pols[0], missing)).or_default().push(e.id);
        }
        for ((pi, missing), ids) in groups {
            let p = &model.policies[pi];
            let pol = cx.index.object(p.id);
            let names: Vec<String> = ids
                .iter()
                .map(|&id| {
                    let o = cx.index.object(id);
                    format!("{} `{}`", o.kind, o.name)
                })
                .collect();
            let field = if pol.root.at(&["spec", "egress"]).is_some() {
                "egress"
            } else {
                "policyTypes"
            };
            let f = out.report(
                p.id,
                Pointer::root().keys(&["spec", field]),
                format!(
                    "pods of {} are isolated for egress but no egress rule allows DNS ({missing} port 53) to kube-dns in `kube-system`",
                    list(&names)
                ),
            );
            for id in ids {
                f.related(id, Pointer::root());
            }
        }
    }
}
