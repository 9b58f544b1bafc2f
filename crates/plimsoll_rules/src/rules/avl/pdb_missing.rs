use plimsoll_model::{Object, Pointer};

use super::util::{hpa_of, multi_replica};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};
use crate::rules::coverage::{covers, not_covered};

declare_rule! {
    /// ## What it does
    /// Reports workloads that run, or may run, two or more pods (`spec.replicas` of 2 or
    /// more, or an HPA with `maxReplicas` of 2 or more) when no PodDisruptionBudget in
    /// the input selects their pods. Deployments, StatefulSets, ReplicaSets,
    /// ReplicationControllers and Argo Rollouts without a controlling owner are checked.
    ///
    /// A PodDisruptionBudget may sit in any file of the namespace, so "no budget"
    /// is judged as the REF rules judge a missing object: only when the input holds
    /// the whole namespace (its `Namespace` object, or manifests read from a
    /// directory, a rendered chart or overlay, standard input or a root: `--root`,
    /// `root:` in `.plimsoll.yaml`) or at least one PodDisruptionBudget of the
    /// namespace (budgets are then kept with the workloads, and one that is not in the
    /// input is missing). Otherwise, as for a file named on its own by a pre-commit
    /// hook, the workload is reported as not evaluated. A budget in the input that
    /// selects the pods is enough to pass, wherever it comes from.
    ///
    /// ## Why it matters in production
    /// Without a budget, `kubectl drain`, cluster-autoscaler scale-down and node
    /// upgrades evict every pod of a node at once. When several replicas share a node,
    /// or several nodes drain in parallel, all replicas can be gone at the same time.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec: ...
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    ///   unhealthyPodEvictionPolicy: AlwaysAllow
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a PDB is a new object, and its budget depends on how much
    /// capacity the application can lose.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/disruptions/>
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    pub struct PdbMissing {
        code: "AVL002",
        name: "pdb-missing",
        severity: Warning,
        default: true,
        summary: "A multi-replica workload has no PodDisruptionBudget",
    }
}

/// The kinds whose presence in a namespace shows that the input manages its budgets.
const PDBS: &[(&str, &str)] = &[("policy", "PodDisruptionBudget")];

impl Rule for PdbMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        if !multi_replica(cx, id) || !cx.index.pdbs_for(id).is_empty() {
            return;
        }
        if !covers(cx.index, PDBS, ns) {
            out.not_evaluated(
                id,
                not_covered(
                    "PodDisruptionBudget",
                    ns,
                    "a PodDisruptionBudget selects its pods",
                ),
            );
            return;
        }
        let replicas = cx.index.expected_min_replicas(id).unwrap_or(1);
        let how = match hpa_of(cx, id) {
            Some((_, Some(max))) => format!("scales from {replicas} to {max} replicas"),
            _ => format!("runs {replicas} replicas"),
        };
        out.report(
            id,
            Pointer::root().keys(&["metadata", "name"]),
            format!(
                "{} `{}` {how} but no PodDisruptionBudget selects its pods",
                obj.kind, obj.name
            ),
        );
    }
}
