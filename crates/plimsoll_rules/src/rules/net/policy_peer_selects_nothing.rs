use std::collections::HashMap;

use plimsoll_model::{LabelSelector, Pointer, SelectorOp};

use super::policy::{M, NS_NAME_LABEL, NetModel, NsSel, Peer, ns_matches};
use super::svc_util::selected_workloads;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a NetworkPolicy whose ingress `from` or egress `to` peers include one
    /// whose `podSelector` matches no pod template of the namespaces the peer selects.
    /// A peer with `podSelector` and no `namespaceSelector` selects pods of the policy's
    /// own namespace; with both, pods matching `podSelector` in the namespaces matching
    /// `namespaceSelector`. Peers with `podSelector: {}`, with a `namespaceSelector`
    /// alone (every pod of those namespaces), with `namespaceSelector: {}` and `ipBlock`
    /// peers are never reported. Labels that controllers add to pods
    /// (`statefulset.kubernetes.io/pod-name`, `pod-template-hash`, ...) are left out of
    /// the match, since no template carries them.
    ///
    /// The rule never judges on incomplete information. The pods of a namespace are
    /// known only when the input holds workloads of that namespace. A
    /// `namespaceSelector` is decided when it names namespaces by
    /// `kubernetes.io/metadata.name` (every namespace carries that label); on other
    /// labels only when every namespace of the input it might select has its Namespace
    /// object in the input (the namespaces of the input are then taken as all of them,
    /// as they are in a live audit). Otherwise, and when a peer selects a namespace
    /// that is not in the input, the policy is reported as not evaluated. One finding
    /// per policy lists its dead peers (the first 20 and a count) and points at the
    /// first. kube-linter's `dangling-networkpolicypeer-podselector` (opt-in) skips
    /// every peer with a `namespaceSelector` and reports a peer as dangling when the
    /// input simply lacks the namespace's workloads; plimsoll decides the
    /// `namespaceSelector` peers it can and says "not evaluated" for the rest.
    ///
    /// ## Why it matters in production
    /// A peer that selects no pod allows nobody: the rule it belongs to silently lets
    /// no traffic through for the pods it was written for. It is almost always a label
    /// typo or a label renamed on the workload, and it shows up as timeouts between
    /// services once the policy is applied, while the policy reads as if it allowed
    /// them.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - from:
    ///         - podSelector: {matchLabels: {app: fronted}}   # pods are labelled app: frontend
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///     - from:
    ///         - podSelector: {matchLabels: {app: frontend}}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the selector or the workload's labels are wrong is
    /// for the author to decide.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec>
    /// - <https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name>
    pub struct PolicyPeerSelectsNothing {
        code: "NET007",
        name: "policy-peer-selects-nothing",
        severity: Warning,
        default: true,
        summary: "A NetworkPolicy peer's podSelector matches no pod of the namespaces it selects",
    }
}

/// How many dead peers a message lists.
const LISTED: usize = 20;

/// What a peer selects, as far as the input tells.
enum Verdict {
    /// Some pod template matches, or the peer is out of scope.
    Fine,
    /// No pod template matches: the namespaces searched, and whether that is the
    /// policy's own namespace for want of a namespaceSelector.
    Dead(Vec<String>, bool),
    /// Undecidable from the input: why.
    Unknown(String),
}

/// The namespaces a selector names by `kubernetes.io/metadata.name In (...)`.
fn named_namespaces(sel: &LabelSelector) -> Option<Vec<&str>> {
    let mut names: Option<Vec<&str>> = None;
    for r in &sel.requirements {
        if r.key != NS_NAME_LABEL || r.op != SelectorOp::In {
            continue;
        }
        let vals: Vec<&str> = r.values.iter().map(String::as_str).collect();
        names = Some(match names {
            None => vals,
            Some(prev) => prev.into_iter().filter(|n| vals.contains(n)).collect(),
        });
    }
    names.map(|mut n| {
        n.sort_unstable();
        n.dedup();
        n
    })
}

/// Whether a podSelector selects some workload of a namespace, per (namespace,
/// canonical selector): policies sharing a peer are judged once.
type Memo = HashMap<(String, LabelSelector), bool>;

fn judge(cx: &Context, model: &NetModel, policy_ns: &str, peer: &Peer, memo: &mut Memo) -> Verdict {
    let Peer::Pods {
        ns,
        pods: Some(pods),
    } = peer
    else {
        return Verdict::Fine;
    };
    if pods.is_empty() {
        return Verdict::Fine;
    }
    let candidates: Vec<&str> = match ns {
        NsSel::Own => vec![policy_ns],
        NsSel::Sel(s) if s.is_empty() => return Verdict::Fine,
        NsSel::Sel(s) => match named_namespaces(s) {
            Some(names) => {
                let kept: Vec<&str> = names
                    .into_iter()
                    .filter(|n| ns_matches(s, n, model.ns_labels.get(*n)) != M::No)
                    .collect();
                if kept.is_empty() {
                    // the namespaceSelector itself selects none of the namespaces it names
                    return Verdict::Fine;
                }
                kept
            }
            None => {
                let mut kept = Vec::new();
                for n in cx.index.namespaces() {
                    match ns_matches(s, n, model.ns_labels.get(n)) {
                        M::No => {}
                        M::Yes => kept.push(n),
                        M::Unknown => {
                            return Verdict::Unknown(format!(
                                "namespace `{n}` has no Namespace object in the input, so \
                                 whether namespaceSelector `{s}` selects it is unknown"
                            ));
                        }
                    }
                }
                if kept.is_empty() {
                    return Verdict::Unknown(format!(
                        "namespaceSelector `{s}` selects no namespace of the input"
                    ));
                }
                kept
            }
        },
    };
    let mut unknown = None;
    for n in &candidates {
        if cx.index.workloads_in(n).is_empty() {
            unknown.get_or_insert_with(|| {
                if cx.index.knows_namespace(n) {
                    format!(
                        "the input holds no workload of namespace `{n}`, so what podSelector \
                         `{pods}` selects there is unknown"
                    )
                } else {
                    format!("namespace `{n}` is not in the input")
                }
            });
            continue;
        }
        let selects = *memo
            .entry((n.to_string(), pods.canonical()))
            .or_insert_with(|| !selected_workloads(cx.index, n, pods).is_empty());
        if selects {
            return Verdict::Fine;
        }
    }
    match unknown {
        Some(why) => Verdict::Unknown(why),
        None => Verdict::Dead(
            candidates.iter().map(|n| n.to_string()).collect(),
            matches!(ns, NsSel::Own),
        ),
    }
}

fn describe_namespaces(ns: &[String], own: bool) -> String {
    let quoted: Vec<String> = ns.iter().map(|n| format!("`{n}`")).collect();
    if own {
        format!(
            "namespace {} (the policy's own: the peer has no namespaceSelector)",
            quoted.join(", ")
        )
    } else if quoted.len() == 1 {
        format!("namespace {}", quoted[0])
    } else {
        format!("namespaces {}", quoted.join(", "))
    }
}

/// A peer that selects no pod.
struct DeadPeer {
    /// `ingress[0].from[1]`
    at: String,
    /// Its `podSelector`.
    path: Pointer,
    /// The podSelector and where it found nothing.
    selector: String,
    namespaces: String,
    /// The same without the hint about the policy's own namespace, for lists.
    short: String,
    ingress: bool,
}

impl Rule for PolicyPeerSelectsNothing {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let model = cx.net();
        let mut memo = Memo::new();
        for p in &model.policies {
            let mut dead: Vec<DeadPeer> = Vec::new();
            let mut unknown: Vec<(String, String)> = Vec::new();
            for (dir, key, rules) in [("ingress", "from", &p.ingress), ("egress", "to", &p.egress)]
            {
                for (ri, rule) in rules.iter().enumerate() {
                    for (pi, peer) in rule.peers.iter().flatten().enumerate() {
                        let at = format!("{dir}[{ri}].{key}[{pi}]");
                        match judge(cx, model, &p.ns, peer, &mut memo) {
                            Verdict::Fine => {}
                            Verdict::Unknown(why) => unknown.push((at, why)),
                            Verdict::Dead(nss, own) => {
                                let Peer::Pods {
                                    pods: Some(sel), ..
                                } = peer
                                else {
                                    continue;
                                };
                                dead.push(DeadPeer {
                                    at,
                                    path: Pointer::root()
                                        .keys(&["spec", dir])
                                        .index(ri)
                                        .key(key)
                                        .index(pi)
                                        .key("podSelector"),
                                    selector: sel.to_string(),
                                    namespaces: describe_namespaces(&nss, own),
                                    short: describe_namespaces(&nss, false),
                                    ingress: dir == "ingress",
                                });
                            }
                        }
                    }
                }
            }
            if let Some(first) = dead.first() {
                let message = if dead.len() == 1 {
                    let effect = if first.ingress {
                        "this rule admits none of the pods it was written for"
                    } else {
                        "this rule lets the policy's pods reach none of the pods it was written for"
                    };
                    format!(
                        "peer `{}` selects no pod: podSelector `{}` matches no pod template in \
                         {}, so {effect} (a label typo?)",
                        first.at, first.selector, first.namespaces
                    )
                } else {
                    let listed: Vec<String> = dead
                        .iter()
                        .take(LISTED)
                        .map(|d| format!("`{}` (`{}` in {})", d.at, d.selector, d.short))
                        .collect();
                    let more = if dead.len() > LISTED {
                        format!(" and {} more", dead.len() - LISTED)
                    } else {
                        String::new()
                    };
                    format!(
                        "{} peers select no pod, so their rules let none of the pods they were \
                         written for through (a label typo?): {}{more}",
                        dead.len(),
                        listed.join("; ")
                    )
                };
                out.report(p.id, first.path.clone(), message);
            } else if let Some((at, why)) = unknown.first() {
                let more = if unknown.len() > 1 {
                    format!(" (and {} more undecided peers)", unknown.len() - 1)
                } else {
                    String::new()
                };
                out.not_evaluated(p.id, format!("peer `{at}`: {why}{more}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Cases one fixture cannot show: whether a namespaceSelector on labels is
    //! decidable depends on every namespace of the input.

    use plimsoll_model::{Index, KubeVersion};

    use super::PolicyPeerSelectsNothing;
    use crate::input::{YamlFacts, load_text};
    use crate::rule::{Context, Described, Rule, Sink};
    use crate::settings::Settings;

    fn run(text: &str) -> Sink {
        let loaded = load_text(0, text, "default");
        assert!(loaded.errors.is_empty());
        let index = Index::new(loaded.objects);
        let settings = Settings::default();
        let yaml = YamlFacts::default();
        let cx = Context {
            index: &index,
            settings: &settings,
            kube_version: KubeVersion::NEWEST,
            pss_version: None,
            yaml: &yaml,
            selected: &[],
            cache: Default::default(),
            live: None,
        };
        let rule = PolicyPeerSelectsNothing;
        let mut out = Sink::new(rule.meta());
        rule.check_all(&cx, &mut out);
        out
    }

    fn deploy(ns: &str, app: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {app}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec: {{containers: [{{name: c, image: x:1}}]}}\n---\n"
        )
    }

    fn namespace(ns: &str, labels: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{{labels}}}}}\n---\n"
        )
    }

    const POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {team: obs}}\n          podSelector: {matchLabels: {app: grafana}}\n";

    #[test]
    fn label_selector_decided_only_when_every_namespace_is_described() {
        let base = deploy("shop", "api") + &deploy("monitoring", "prometheus");
        // no Namespace objects: whether `team: obs` selects shop or monitoring is unknown
        let out = run(&(base.clone() + POLICY));
        assert!(out.findings.is_empty());
        assert_eq!(out.not_evaluated.len(), 1);
        assert!(
            out.not_evaluated[0]
                .reason
                .contains("has no Namespace object"),
            "{}",
            out.not_evaluated[0].reason
        );
        // one namespace described, the other not: still unknown
        let half = base.clone() + &namespace("monitoring", "team: obs");
        let out = run(&(half.clone() + POLICY));
        assert!(out.findings.is_empty() && out.not_evaluated.len() == 1);
        // both described: decided, and grafana runs nowhere
        let full = half + &namespace("shop", "team: shop") + POLICY;
        let out = run(&full);
        assert_eq!(out.findings.len(), 1, "{:?}", out.not_evaluated);
        assert!(out.findings[0].message.contains("namespace `monitoring`"));
        // and a match in a selected namespace is enough
        let alive = full.replace("app: grafana", "app: prometheus");
        let out = run(&alive);
        assert!(out.findings.is_empty() && out.not_evaluated.is_empty());
    }

    #[test]
    fn a_name_selector_is_decided_without_namespace_objects() {
        let text = deploy("shop", "api")
            + &deploy("monitoring", "prometheus")
            + &POLICY.replace("team: obs", "kubernetes.io/metadata.name: monitoring");
        let out = run(&text);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(
            out.findings[0].path.to_string(),
            "/spec/ingress/0/from/0/podSelector"
        );
    }
}
