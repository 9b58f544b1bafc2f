use plimsoll_model::{LabelSelector, Node, Object, PodTemplate};

use super::util::{is_spread_key, multi_replica};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads that run, or may run, two or more pods (`spec.replicas` of 2 or
    /// more, or an HPA with `maxReplicas` of 2 or more) and do nothing to spread them
    /// across nodes or zones. Either of these is accepted:
    /// - a pod anti-affinity term, required or preferred, on `kubernetes.io/hostname` or
    ///   a zone/region key (`topology.kubernetes.io/zone`, ...), whose `labelSelector`
    ///   matches the workload's own pods;
    /// - a `topologySpreadConstraints` entry on one of those keys whose `labelSelector`
    ///   matches the workload's own pods (or that uses `matchLabelKeys`).
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
/// own pods. Unparseable selectors are given the benefit of the doubt.
fn selects_own(node: Option<&Node>, labels: &[(&str, &str)], match_label_keys: bool) -> bool {
    match node {
        None => match_label_keys,
        Some(n) if n.is_null() => match_label_keys,
        Some(n) => match LabelSelector::from_label_selector(n) {
            Some(sel) => match_label_keys || sel.matches_pairs(labels),
            None => true,
        },
    }
}

fn spreads(t: &PodTemplate) -> bool {
    let labels: Vec<(&str, &str)> = t.labels().collect();
    let has_mlk = |n: &Node| {
        n.get("matchLabelKeys")
            .is_some_and(|k| !k.items().is_empty())
    };
    let term_ok = |term: &Node| {
        term.get("topologyKey")
            .and_then(Node::as_text)
            .is_some_and(is_spread_key)
            && selects_own(term.get("labelSelector"), &labels, has_mlk(term))
    };
    if let Some(anti) = t.spec.at(&["affinity", "podAntiAffinity"]) {
        let required = anti
            .get("requiredDuringSchedulingIgnoredDuringExecution")
            .map(Node::items)
            .unwrap_or_default();
        if required.iter().any(term_ok) {
            return true;
        }
        let preferred = anti
            .get("preferredDuringSchedulingIgnoredDuringExecution")
            .map(Node::items)
            .unwrap_or_default();
        if preferred
            .iter()
            .filter_map(|p| p.get("podAffinityTerm"))
            .any(term_ok)
        {
            return true;
        }
    }
    t.spec
        .get("topologySpreadConstraints")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(term_ok)
}

impl Rule for NoSpread {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if !multi_replica(cx, id) || spreads(&t) {
            return;
        }
        out.report(
            id,
            t.spec_pointer(&["topologySpreadConstraints"]),
            format!(
                "{} `{}` runs several replicas without pod anti-affinity or topologySpreadConstraints on a node or zone key, so they may all land on one node",
                obj.kind, obj.name
            ),
        );
    }
}
