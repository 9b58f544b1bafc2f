use plimsoll_model::{Object, Pointer};

use super::util::{hpa_of, multi_replica};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads that run, or may run, two or more pods (`spec.replicas` of 2 or
    /// more, or an HPA with `maxReplicas` of 2 or more) when no PodDisruptionBudget in
    /// the input selects their pods. Deployments, StatefulSets, ReplicaSets,
    /// ReplicationControllers and Argo Rollouts without a controlling owner are checked.
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

impl Rule for PdbMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        if !cx.index.knows_namespace(ns) || !multi_replica(cx, id) {
            return;
        }
        if !cx.index.pdbs_for(id).is_empty() {
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
