use plimsoll_model::{Object, PodStatus, PodTemplate, Pointer};

use super::util::{node_named, nodes, pods, report_packed};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports long-running workloads (Deployments, StatefulSets, ReplicaSets, Argo
    /// Rollouts, ...) with two or more running pods that are all on the same node
    /// (`spec.nodeName`). DaemonSets (one pod per node by design), Jobs and bare Pods
    /// are not judged. The number of nodes comes from the Node objects of the input:
    /// without any, whether the cluster has another node is unknown and the workload is
    /// reported as not evaluated; a single-node cluster has nowhere else to put the
    /// pods and is not reported.
    ///
    /// ## Why it matters in production
    /// Replicas exist so that losing one machine does not take the service down. When
    /// the scheduler packed them all onto one node (nothing asked it to spread them, or
    /// the other nodes were full when they started), a node failure, a kernel upgrade or
    /// a drain stops every replica at once, and the Service has no endpoints until
    /// they are rescheduled and ready again.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get pods -l app=api -o wide
    /// # api-6f7c9d8b4d-x7k2p   1/1   Running   node-a
    /// # api-6f7c9d8b4d-q9z8x   1/1   Running   node-a
    /// # api-6f7c9d8b4d-m3n4b   1/1   Running   node-a
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     spec:
    ///       containers: [...]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     spec:
    ///       topologySpreadConstraints:
    ///         - maxSkew: 1
    ///           topologyKey: kubernetes.io/hostname
    ///           whenUnsatisfiable: ScheduleAnyway
    ///           labelSelector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a spread constraint applies to new pods only; the running
    /// ones move when they are replaced (a rollout restart, or the descheduler).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity>
    pub struct ReplicasOnOneNode {
        code: "LIV006",
        name: "replicas-on-one-node",
        severity: Warning,
        default: true,
        summary: "All running replicas of a workload are on one node",
    }
}

/// The running pods of a long-running workload with more than one pod (not a
/// DaemonSet, a Job or a bare Pod).
pub fn running_replicas<'a>(
    cx: &Context<'a>,
    id: usize,
    obj: &Object,
) -> Vec<(usize, PodStatus<'a>)> {
    let Some(t) = PodTemplate::of(obj) else {
        return Vec::new();
    };
    if t.is_pod() || !t.is_long_running() || obj.kind == "DaemonSet" {
        return Vec::new();
    }
    pods(cx, id, obj)
        .into_iter()
        .filter(|(_, ps)| ps.is_running())
        .collect()
}

impl Rule for ReplicasOnOneNode {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let running = running_replicas(cx, id, obj);
        if running.len() < 2 {
            return;
        }
        let node = running[0].1.node_name().unwrap_or_default();
        if running.iter().any(|(_, ps)| ps.node_name() != Some(node)) {
            return;
        }
        let cluster_nodes = nodes(cx).count();
        if cluster_nodes == 0 {
            out.not_evaluated(
                id,
                format!(
                    "all {} running pods are on node `{node}`, but no Node is in the input to tell whether the cluster has another",
                    running.len()
                ),
            );
            return;
        }
        if cluster_nodes == 1 {
            return;
        }
        let place = format!(
            "on node `{node}` (of {cluster_nodes} nodes): when it fails or is drained, every replica stops at once"
        );
        let Some(f) = report_packed(out, id, obj, running.len(), &place) else {
            return;
        };
        if let Some((n, _)) = node_named(cx, node) {
            f.related(n, Pointer::root().keys(&["metadata", "name"]));
        }
    }
}
