use std::collections::BTreeSet;

use plimsoll_model::drain::SchedSpec;
use plimsoll_model::{Object, PodTemplate, Pointer};

use super::util::{node_list, replicated};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads with two or more replicas (`spec.replicas`, or the
    /// HorizontalPodAutoscaler's `minReplicas`) whose pods can only run on one node, or
    /// only in one zone, of a cluster that has more: of the schedulable (not cordoned)
    /// Nodes of the input, only one admits the pod template (its `nodeSelector`,
    /// required node affinity and tolerations against the nodes' labels and taints), or
    /// all those that admit it are in one zone (`topology.kubernetes.io/zone`) while
    /// the cluster's nodes span several. Without Node objects in the input (a manifest
    /// repository) it says nothing; a cluster of one node, or of one zone, is not
    /// reported for that node or zone.
    ///
    /// AVL006 judges whether a template asks to be spread at all, and LIV006 and
    /// LIV007 where the running pods are; this rule judges whether the nodes let it be
    /// spread. No spreading term helps here: preferred anti-affinity and
    /// `ScheduleAnyway` constraints put every replica on the one node or zone, and a
    /// required anti-affinity term or a `DoNotSchedule` constraint on that key keeps
    /// the replicas beyond the first (or the skew) Pending, which the message says.
    /// Templates that name their nodes precisely and knowingly (a node-local agent)
    /// are DaemonSets, which are not judged.
    ///
    /// ## Why it matters in production
    /// Replicas are for surviving the loss of a node or a zone. When the scheduling
    /// constraints leave one node (a pool of one, a `kubernetes.io/hostname` selector
    /// kept from a debugging session) or one zone (a node pool created in a single
    /// zone), that loss stops every replica at once, however many there are.
    ///
    /// ## Example
    /// ```yaml
    /// # the nodes of pool `gpu` are all in zone eu-west-1a
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     spec:
    ///       nodeSelector:
    ///         cloud.google.com/gke-nodepool: gpu
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # the pool spans three zones (or a second pool in other zones is allowed)
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     spec:
    ///       nodeSelector:
    ///         cloud.google.com/gke-nodepool: gpu
    ///       topologySpreadConstraints:
    ///         - maxSkew: 1
    ///           topologyKey: topology.kubernetes.io/zone
    ///           whenUnsatisfiable: DoNotSchedule
    ///           labelSelector: {matchLabels: {app: inference}}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the node pools, not the manifest, are usually what must
    /// change.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/>
    /// - <https://kubernetes.io/docs/setup/best-practices/multiple-zones/>
    pub struct ReplicasConfined {
        code: "CAP002",
        name: "replicas-confined-to-one-node-or-zone",
        severity: Warning,
        default: true,
        summary: "Every node that admits a multi-replica workload is one node, or in one zone",
    }
}

const HOSTNAME: &str = "kubernetes.io/hostname";
const ZONE: &str = "topology.kubernetes.io/zone";

impl Rule for ReplicasConfined {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !replicated(obj) || obj.has_controller() {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let replicas = cx.index.expected_min_replicas(id).unwrap_or(0);
        if replicas < 2 || cx.index.of_kind("Node").next().is_none() {
            return;
        }
        let model = cx.capacity();
        let nodes = &model.cluster.nodes;
        let schedulable: Vec<u32> = (0..nodes.len() as u32)
            .filter(|&n| !nodes[n as usize].unschedulable)
            .collect();
        let admitting: Vec<u32> = model
            .admitting(&t)
            .into_iter()
            .filter(|&n| !nodes[n as usize].unschedulable)
            .collect();
        if admitting.is_empty() {
            return;
        }
        let spec = SchedSpec::of(Some(t.spec));
        let zones = |ids: &[u32]| -> Option<BTreeSet<&str>> {
            ids.iter().map(|&n| nodes[n as usize].zone()).collect()
        };
        let (place, key) = if admitting.len() == 1 && schedulable.len() >= 2 {
            (
                format!(
                    "node {} (of {} schedulable nodes)",
                    node_list(cx, &admitting),
                    schedulable.len()
                ),
                HOSTNAME,
            )
        } else {
            let (Some(mine), Some(all)) = (zones(&admitting), zones(&schedulable)) else {
                return;
            };
            if mine.len() != 1 || all.len() < 2 {
                return;
            }
            (
                format!(
                    "zone `{}` (of {} zones): {} node(s), {}",
                    mine.first().copied().unwrap_or_default(),
                    all.len(),
                    admitting.len(),
                    node_list(cx, &admitting)
                ),
                ZONE,
            )
        };
        let what = if spec.hard_spread_on(key)
            || (key == ZONE && spec.hard_spread_on("failure-domain.beta.kubernetes.io/zone"))
        {
            format!(
                "and its required spreading on `{key}` leaves replicas beyond what that allows Pending"
            )
        } else {
            "so every replica lands there and one failure stops them all".to_string()
        };
        let path = ["nodeSelector", "affinity", "tolerations"]
            .into_iter()
            .find(|k| t.spec_field(k).is_some())
            .map_or_else(|| t.spec_pointer(&[]), |k| t.spec_pointer(&[k]));
        let f = out.report(
            id,
            path,
            format!(
                "{} `{}` runs {replicas} replicas, but its scheduling constraints admit only {place}, {what}",
                obj.kind, obj.name
            ),
        );
        let first = admitting
            .iter()
            .map(|&n| nodes[n as usize].name.as_str())
            .min();
        if let Some((node, _)) = first.and_then(|n| cx.index.get("Node", None, n)) {
            f.related(node, Pointer::root().keys(&["metadata", "labels"]));
        }
    }
}
