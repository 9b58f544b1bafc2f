use plimsoll_model::drain::node_spot;
use plimsoll_model::{Object, PodTemplate, Pointer};

use super::util::{critical, node_list, replicated};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};
use crate::rules::sch::demands_spot;

declare_rule! {
    /// ## What it does
    /// Reports critical workloads whose pods can only run on spot or preemptible nodes,
    /// judged against the Nodes of the input (a snapshot, or a live audit): every Node
    /// whose taints, labels and name admit the pod template (`nodeSelector`, required
    /// node affinity, tolerations) carries a spot label:
    /// - `eks.amazonaws.com/capacityType=SPOT` (EKS managed node groups)
    /// - `karpenter.sh/capacity-type=spot` (Karpenter)
    /// - `cloud.google.com/gke-spot=true`, `cloud.google.com/gke-preemptible=true` (GKE)
    /// - `kubernetes.azure.com/scalesetpriority=spot` (AKS)
    /// - the `spot-node-labels` setting (`key` for any value, `key=value`).
    ///
    /// A workload (Deployment, StatefulSet, ReplicaSet, ReplicationController, Argo
    /// Rollout) is critical when a PodDisruptionBudget protects it, when its
    /// PriorityClass is high (`system-cluster-critical`, `system-node-critical`, or a
    /// PriorityClass of the input with a value of 1,000,000 or more), or when it runs
    /// two or more replicas in a production namespace: a Namespace labelled
    /// `environment`, `env` or `tier` = `production` or `prod`, a namespace named `prod`
    /// or `production` or ending in `-prod` or `-production`, or one listed in the
    /// `critical-namespaces` setting.
    ///
    /// SCH003 already reports a template that names a spot label while a budget
    /// protects it; this rule does not report that case again when SCH003 runs. It
    /// finds what the template alone does not say: a node pool selected by name that
    /// happens to be all spot, tolerations that only spot nodes need, a cluster whose
    /// on-demand nodes are all tainted. Without Node objects in the input it says
    /// nothing (a manifest repository does not know the pools).
    ///
    /// ## Why it matters in production
    /// Spot and preemptible capacity is taken back at the provider's will, with short
    /// notice (2 minutes on AWS, 30 seconds on GCP and Azure), often many instances of
    /// one capacity pool at once. A PodDisruptionBudget does not stop a reclaim. When
    /// every node a critical workload can use is spot, one reclaim wave can stop every
    /// replica, and the replacements wait for spot capacity that may not come back.
    ///
    /// ## Example
    /// ```yaml
    /// # the nodes of pool `workers` are all labelled karpenter.sh/capacity-type=spot
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     spec:
    ///       nodeSelector:
    ///         karpenter.sh/nodepool: workers
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     spec:
    ///       affinity:
    ///         nodeAffinity:
    ///           requiredDuringSchedulingIgnoredDuringExecution:
    ///             nodeSelectorTerms:
    ///               - matchExpressions:
    ///                   - {key: karpenter.sh/nodepool, operator: In, values: [workers, on-demand]}
    ///           preferredDuringSchedulingIgnoredDuringExecution:
    ///             - weight: 100
    ///               preference:
    ///                 matchExpressions:
    ///                   - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which on-demand capacity the workload may use, and its cost,
    /// are the owner's decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#node-affinity>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/disruptions/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/>
    pub struct CriticalOnSpotOnly {
        code: "CAP001",
        name: "critical-workload-spot-only",
        severity: Warning,
        default: true,
        summary: "A critical workload can only be scheduled on spot or preemptible nodes",
    }
}

impl Rule for CriticalOnSpotOnly {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !replicated(obj) || obj.has_controller() {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if cx.index.of_kind("Node").next().is_none() {
            return;
        }
        let Some(why) = critical(cx, id, obj, &t) else {
            return;
        };
        if cx.is_selected("SCH003")
            && !cx.index.pdbs_for(id).is_empty()
            && demands_spot(cx, &t).is_some()
        {
            return;
        }
        let model = cx.capacity();
        let nodes = model.admitting(&t);
        if nodes.is_empty() {
            return;
        }
        let mut labels: Vec<String> = Vec::new();
        for &n in &nodes {
            let node = &model.cluster.nodes[n as usize];
            let Some(l) = node_spot(&node.labels, &cx.settings.spot_node_labels) else {
                return;
            };
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        labels.sort();
        let path = ["nodeSelector", "affinity", "tolerations"]
            .into_iter()
            .find(|k| t.spec_field(k).is_some())
            .map_or_else(|| t.spec_pointer(&[]), |k| t.spec_pointer(&[k]));
        let f = out.report(
            id,
            path,
            format!(
                "{} `{}` is critical ({why}), but every node it can run on is spot or preemptible: {} node(s), {} ({}); one reclaim can stop every replica",
                obj.kind,
                obj.name,
                nodes.len(),
                node_list(cx, &nodes),
                labels.join(", ")
            ),
        );
        let first = nodes
            .iter()
            .map(|&n| model.cluster.nodes[n as usize].name.as_str())
            .min();
        if let Some((node, _)) = first.and_then(|n| cx.index.get("Node", None, n)) {
            f.related(node, Pointer::root().keys(&["metadata", "labels"]));
        }
    }
}
