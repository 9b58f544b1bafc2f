use std::collections::{BTreeSet, HashMap};

use plimsoll_model::Pointer;

use crate::declare_rule;
use crate::rule::{Context, MAX_RELATED, Rule, Sink, list_capped};

declare_rule! {
    /// ## What it does
    /// Reports pods selected by more than one PodDisruptionBudget. A PDB that selects
    /// pods an earlier PDB of the input also selects is reported once, naming those
    /// earlier PDBs and the shared workloads (20 of each at most, with a count of the
    /// rest); the first of them are its related objects.
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
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        // Workloads selected by the same PDBs share one entry, so that a PDB's
        // overlaps cost the number of its workloads plus the distinct PDB sets among
        // them, never the pairs of PDBs times their workloads.
        let mut set_of: HashMap<usize, usize> = HashMap::new();
        let mut sets: Vec<&[usize]> = Vec::new();
        let mut interned: HashMap<&[usize], usize> = HashMap::new();
        let pdbs: Vec<usize> = cx
            .index
            .of_kind("PodDisruptionBudget")
            .filter(|(_, o)| o.group() == "policy")
            .map(|(id, _)| id)
            .collect();
        for &id in &pdbs {
            for &w in cx.index.pdb_targets(id) {
                set_of.entry(w).or_insert_with(|| {
                    let pdbs_of_w = cx.index.pdbs_for(w);
                    *interned.entry(pdbs_of_w).or_insert_with(|| {
                        sets.push(pdbs_of_w);
                        sets.len() - 1
                    })
                });
            }
        }
        for &id in &pdbs {
            // workloads this PDB shares with an earlier one, and those earlier PDBs
            let mut workloads: Vec<usize> = Vec::new();
            let mut seen_sets: BTreeSet<usize> = BTreeSet::new();
            for &w in cx.index.pdb_targets(id) {
                let set = set_of[&w];
                if sets[set].iter().any(|&p| p < id) {
                    workloads.push(w);
                    seen_sets.insert(set);
                }
            }
            if workloads.is_empty() {
                continue;
            }
            let others: BTreeSet<usize> = seen_sets
                .iter()
                .flat_map(|&set| sets[set].iter().copied())
                .filter(|&p| p < id)
                .collect();
            let obj = cx.index.object(id);
            let pdb_names = list_capped(
                others
                    .iter()
                    .map(|&p| format!("`{}`", cx.index.object(p).name)),
                others.len(),
                MAX_RELATED,
            );
            let workload_names = list_capped(
                workloads.iter().map(|&w| {
                    let wo = cx.index.object(w);
                    format!("{} `{}`", wo.kind, wo.name)
                }),
                workloads.len(),
                MAX_RELATED,
            );
            let f = out.report(
                id,
                Pointer::root().keys(&["spec", "selector"]),
                format!(
                    "PodDisruptionBudget `{}` and PodDisruptionBudget{} {} {} select the pods of {}, so the Eviction API refuses to evict them",
                    obj.name,
                    if others.len() == 1 { "" } else { "s" },
                    pdb_names,
                    if others.len() == 1 { "both" } else { "all" },
                    workload_names
                ),
            );
            // the other budgets first, the workloads in what room is left
            let pdb_room = others.len().min(
                MAX_RELATED
                    .saturating_sub(workloads.len())
                    .max(MAX_RELATED / 2),
            );
            for &other in others.iter().take(pdb_room) {
                f.related(other, Pointer::root().keys(&["spec", "selector"]));
            }
            for &w in workloads.iter().take(MAX_RELATED - pdb_room) {
                f.related(w, Pointer::root().keys(&["metadata", "name"]));
            }
        }
    }
}
