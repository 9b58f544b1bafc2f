use plimsoll_model::{Index, LabelSelector, Node, Object, PodTemplate};

use super::util::{is_spread_key, multi_replica};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};
use crate::rules::net::policy::{M, NS_NAME_LABEL, NsLabels, ns_matches};

declare_rule! {
    /// ## What it does
    /// Reports workloads that run, or may run, two or more pods (`spec.replicas` of 2 or
    /// more, or an HPA with `maxReplicas` of 2 or more) and do nothing to spread them
    /// across nodes or zones. Either of these is accepted:
    /// - a pod anti-affinity term, required or preferred, on `kubernetes.io/hostname` or
    ///   a zone/region key (`topology.kubernetes.io/zone`, ...), whose `labelSelector`
    ///   matches the workload's own pods and whose namespaces include the workload's own:
    ///   a term with neither `namespaces` nor `namespaceSelector` applies to the pod's
    ///   namespace; otherwise to the union of the namespaces listed and those the
    ///   selector matches (`{}` matches all). A term scoped to other namespaces keeps
    ///   this workload's pods away from someone else's, not from each other. A
    ///   `namespaceSelector` on labels of a namespace whose Namespace object is not in
    ///   the input is given the benefit of the doubt;
    /// - a `topologySpreadConstraints` entry on one of those keys whose `labelSelector`
    ///   matches the workload's own pods. `matchLabelKeys` is ANDed with the
    ///   `labelSelector` (it can only narrow it, and the API server rejects it without
    ///   one), so it never makes up for a selector that misses the workload's pods.
    ///
    /// DaemonSets (one pod per node by construction), Jobs and bare Pods are not checked.
    ///
    /// ## Why it matters in production
    /// The scheduler packs pods where they fit best, which is often the same node. When
    /// that node fails or is drained, every replica goes at once, and replicas bought
    /// for availability buy nothing.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [...]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       topologySpreadConstraints:
    ///         - maxSkew: 1
    ///           topologyKey: topology.kubernetes.io/zone
    ///           whenUnsatisfiable: ScheduleAnyway
    ///           labelSelector: {matchLabels: {app: api}}
    ///       containers: [...]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a hard constraint can leave pods Pending on small clusters, so
    /// the choice between required and preferred, and node versus zone, is the user's.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity>
    pub struct NoSpread {
        code: "AVL006",
        name: "no-spread",
        severity: Warning,
        default: true,
        summary: "A multi-replica workload is not spread across nodes or zones",
    }
}

/// Whether a selector (of an affinity term or spread constraint) selects the template's
/// own pods. A missing selector selects nothing; an unparseable one is given the benefit
/// of the doubt. `matchLabelKeys` only narrows the selector to the pod's own values of
/// those keys, so it changes nothing here.
fn selects_own(node: Option<&Node>, labels: &[(&str, &str)]) -> bool {
    match node {
        None => false,
        Some(n) if n.is_null() => false,
        Some(n) => match LabelSelector::from_label_selector(n) {
            Some(sel) => sel.matches_pairs(labels),
            None => true,
        },
    }
}

/// Whether a pod (anti-)affinity term applies to pods of the namespace `ns`: with
/// neither `namespaces` nor `namespaceSelector`, the pod's own; otherwise the union of
/// the names listed and the namespaces the selector matches (`{}`: all). Unknown
/// namespace labels count as a match (benefit of the doubt).
fn term_covers_namespace(term: &Node, ns: &str, index: &Index) -> bool {
    let listed: Vec<&str> = term
        .get("namespaces")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_text)
        .collect();
    let selector = term.get("namespaceSelector").filter(|n| !n.is_null());
    if listed.is_empty() && selector.is_none() {
        return true;
    }
    if listed.contains(&ns) {
        return true;
    }
    let Some(selector) = selector else {
        return false;
    };
    let Some(sel) = LabelSelector::from_label_selector(selector) else {
        return true;
    };
    let info = index.namespace_object(ns).map(|(_, o)| {
        let mut labels: Vec<(String, String)> = o
            .labels()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.push((NS_NAME_LABEL.to_string(), ns.to_string()));
        NsLabels {
            labels,
            known: true,
        }
    });
    ns_matches(&sel, ns, info.as_ref()) != M::No
}

/// How a pod template spreads its own pods.
enum Spread {
    Yes,
    /// No term on a node or zone key at all.
    None,
    /// Terms on a node or zone key, none of which applies to the template's own pods.
    Misdirected,
}

fn spreads(t: &PodTemplate, index: &Index) -> Spread {
    let labels: Vec<(&str, &str)> = t.labels().collect();
    let ns = t.object.namespace.as_deref().unwrap_or("default");
    let key_ok = |term: &Node| {
        term.get("topologyKey")
            .and_then(Node::as_text)
            .is_some_and(is_spread_key)
    };
    let mut terms: Vec<(&Node, bool)> = Vec::new();
    if let Some(anti) = t.spec.at(&["affinity", "podAntiAffinity"]) {
        let required = anti
            .get("requiredDuringSchedulingIgnoredDuringExecution")
            .map(Node::items)
            .unwrap_or_default();
        let preferred = anti
            .get("preferredDuringSchedulingIgnoredDuringExecution")
            .map(Node::items)
            .unwrap_or_default();
        terms.extend(required.iter().map(|n| (n, true)));
        terms.extend(
            preferred
                .iter()
                .filter_map(|p| p.get("podAffinityTerm"))
                .map(|n| (n, true)),
        );
    }
    let constraints = t
        .spec
        .get("topologySpreadConstraints")
        .map(Node::items)
        .unwrap_or_default();
    terms.extend(constraints.iter().map(|n| (n, false)));
    let mut out = Spread::None;
    for (term, affinity) in terms {
        if !key_ok(term) {
            continue;
        }
        if selects_own(term.get("labelSelector"), &labels)
            && (!affinity || term_covers_namespace(term, ns, index))
        {
            return Spread::Yes;
        }
        out = Spread::Misdirected;
    }
    out
}

impl Rule for NoSpread {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if !multi_replica(cx, id) {
            return;
        }
        let message = match spreads(&t, cx.index) {
            Spread::Yes => return,
            Spread::None => format!(
                "{} `{}` runs several replicas without pod anti-affinity or topologySpreadConstraints on a node or zone key, so they may all land on one node",
                obj.kind, obj.name
            ),
            Spread::Misdirected => format!(
                "{} `{}` runs several replicas, but none of its pod anti-affinity or topologySpreadConstraints terms on a node or zone key applies to its own pods (the labelSelector misses them, or the term's namespaces exclude `{}`), so they may all land on one node",
                obj.kind,
                obj.name,
                obj.namespace.as_deref().unwrap_or("default")
            ),
        };
        out.report(id, t.spec_pointer(&["topologySpreadConstraints"]), message);
    }
}
