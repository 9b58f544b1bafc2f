use plimsoll_model::drain::SPOT_LABELS;
use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use super::util::required_terms;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads that can only run on spot or preemptible nodes while a
    /// PodDisruptionBudget in the input protects them. "Only spot" means a
    /// `nodeSelector` entry, or every term of required node affinity, demands a
    /// well-known spot label:
    /// - `eks.amazonaws.com/capacityType: SPOT` (EKS managed node groups)
    /// - `karpenter.sh/capacity-type: spot` (Karpenter)
    /// - `cloud.google.com/gke-spot: "true"`, `cloud.google.com/gke-preemptible: "true"`
    ///   (GKE; `Exists` counts too, on-demand nodes lack the label)
    /// - `kubernetes.azure.com/scalesetpriority: spot` (AKS; `Exists` counts too)
    /// - the `spot-node-labels` setting (`key` means any value or `Exists`,
    ///   `key=value` that value).
    ///
    /// ## Why it matters in production
    /// A PodDisruptionBudget limits *voluntary*, API-initiated evictions. A spot
    /// reclaim is not one: the cloud takes the VM back after a short notice (2 minutes
    /// on AWS, 30 seconds on GCP and Azure) whatever the budget says. Node termination
    /// handlers (AWS Node Termination Handler, Karpenter's interruption handling)
    /// drain the node through the Eviction API, which honours the PDB, so a tight
    /// budget makes the drain wait until the VM simply disappears and the pods die
    /// ungracefully. Reclaims also tend to hit many instances of one capacity pool at
    /// once, so every replica can go together. The PDB gives confidence that the
    /// workload does not have; critical replicas need on-demand capacity (or spot
    /// *preferred*, not required, with an on-demand fallback).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       nodeSelector:
    ///         karpenter.sh/capacity-type: spot
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// spec:
    ///   minAvailable: 2
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       affinity:
    ///         nodeAffinity:
    ///           preferredDuringSchedulingIgnoredDuringExecution:
    ///             - weight: 100
    ///               preference:
    ///                 matchExpressions:
    ///                   - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: moving replicas to on-demand capacity has a cost.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/disruptions/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#node-affinity>
    /// - <https://kubernetes.io/docs/concepts/cluster-administration/node-shutdown/>
    pub struct SpotOnlyWithPdb {
        code: "SCH003",
        name: "spot-only-with-pdb",
        severity: Warning,
        default: true,
        summary: "A workload pinned to spot nodes relies on a PodDisruptionBudget that spot reclaims ignore",
    }
}

/// A spot label: key, spot value (`None` = any value), and whether `Exists` on the key
/// alone means spot.
struct SpotLabel {
    key: String,
    value: Option<String>,
    exists_means_spot: bool,
}

fn spot_labels(extra: &[String]) -> Vec<SpotLabel> {
    let mut v: Vec<SpotLabel> = SPOT_LABELS
        .iter()
        .map(|l| SpotLabel {
            key: l.key.into(),
            value: Some(l.value.into()),
            exists_means_spot: l.exists_means_spot,
        })
        .collect();
    for entry in extra {
        v.push(match entry.split_once('=') {
            Some((k, val)) => SpotLabel {
                key: k.into(),
                value: Some(val.into()),
                exists_means_spot: false,
            },
            None => SpotLabel {
                key: entry.clone(),
                value: None,
                exists_means_spot: true,
            },
        });
    }
    v
}

fn is_spot_value(l: &SpotLabel, value: &str) -> bool {
    l.value.as_deref().is_none_or(|v| v == value)
}

/// The spot label a node-selector term demands, if any.
fn term_spot(term: &Node, labels: &[SpotLabel]) -> Option<String> {
    term.get("matchExpressions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find_map(|e| {
            let key = e.get("key").and_then(Node::as_text)?;
            let l = labels.iter().find(|l| l.key == key)?;
            let values: Vec<&str> = e
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_text)
                .collect();
            match e.get("operator").and_then(Node::as_text)? {
                "In" if !values.is_empty() && values.iter().all(|v| is_spot_value(l, v)) => {
                    Some(format!("{key} in ({})", values.join(",")))
                }
                "Exists" if l.exists_means_spot => Some(format!("{key} exists")),
                _ => None,
            }
        })
}

/// The spot label a pod template demands (a `nodeSelector` entry, or every term of
/// required node affinity), and where: `None` when it can run on other nodes too.
pub(crate) fn demands_spot(cx: &Context, t: &PodTemplate) -> Option<(String, Pointer)> {
    let labels = spot_labels(&cx.settings.spot_node_labels);
    let from_selector = t
        .spec_field("nodeSelector")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .find_map(|e| {
            let value = e.value.as_text().unwrap_or("");
            labels
                .iter()
                .any(|l| l.key == e.key && is_spot_value(l, value))
                .then(|| {
                    (
                        format!("{}={value}", e.key),
                        t.spec_pointer(&["nodeSelector", &e.key]),
                    )
                })
        });
    from_selector.or_else(|| {
        let terms = required_terms(t);
        let spots: Option<Vec<String>> =
            terms.iter().map(|term| term_spot(term, &labels)).collect();
        match spots {
            Some(s) if !s.is_empty() => Some((
                s.join(" or "),
                t.spec_pointer(&[
                    "affinity",
                    "nodeAffinity",
                    "requiredDuringSchedulingIgnoredDuringExecution",
                ]),
            )),
            _ => None,
        }
    })
}

impl Rule for SpotOnlyWithPdb {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let pdbs = cx.index.pdbs_for(id);
        let Some(pdb) = pdbs.first() else {
            return;
        };
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some((label, path)) = demands_spot(cx, &t) else {
            return;
        };
        let pdb_name = &cx.index.object(pdb).name;
        out.report(
            id,
            path,
            format!(
                "the pods can only run on spot nodes (`{label}`) while PodDisruptionBudget \
                 `{pdb_name}` protects them: spot reclaims do not honour the budget"
            ),
        )
        .related(pdb, Pointer::root().key("spec"));
    }
}
