use std::collections::BTreeMap;

use plimsoll_model::{Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pods selected by more than one PodDisruptionBudget. Each overlapping pair
    /// of PDBs is reported once, on the PDB that comes later in the input, with the
    /// other PDB and the shared workloads as related objects.
    ///
    /// ## Why it matters in production
    /// The Eviction API refuses to evict a pod covered by several budgets: it answers
    /// `500 Internal Server Error` ("This pod has more than one PodDisruptionBudget, which
    /// the eviction subresource does not support"). `kubectl drain` and
    /// cluster-autoscaler then cannot move the pod, and node maintenance stalls.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: team-default}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {team: payments}}   # also matches the api pods
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: team-default}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector:
    ///     matchLabels: {team: payments}
    ///     matchExpressions:
    ///       - {key: app, operator: NotIn, values: [api]}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which budget should own the pods is a decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/>
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    pub struct PdbOverlap {
        code: "AVL005",
        name: "pdb-overlap",
        severity: Error,
        default: true,
        summary: "Pods are selected by more than one PodDisruptionBudget",
    }
}

impl Rule for PdbOverlap {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "PodDisruptionBudget" || obj.group() != "policy" {
            return;
        }
        // earlier PDB -> workloads it shares with this one
        let mut shared: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &w in cx.index.pdb_targets(id) {
            for &other in cx.index.pdbs_for(w) {
                if other < id {
                    shared.entry(other).or_default().push(w);
                }
            }
        }
        for (other, workloads) in shared {
            let o = cx.index.object(other);
            let names: Vec<String> = workloads
                .iter()
                .map(|&w| {
                    let wo = cx.index.object(w);
                    format!("{} `{}`", wo.kind, wo.name)
                })
                .collect();
            let f = out.report(
                id,
                Pointer::root().keys(&["spec", "selector"]),
                format!(
                    "PodDisruptionBudget `{}` and PodDisruptionBudget `{}` both select the pods of {}, so the Eviction API refuses to evict them",
                    obj.name,
                    o.name,
                    names.join(", ")
                ),
            );
            f.related(other, Pointer::root().keys(&["spec", "selector"]));
            for w in workloads {
                f.related(w, Pointer::root().keys(&["metadata", "name"]));
            }
        }
    }
}
