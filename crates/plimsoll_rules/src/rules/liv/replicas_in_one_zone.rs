use std::collections::BTreeSet;

use plimsoll_model::{Object, Pointer};

use super::replicas_on_one_node::running_replicas;
use super::util::{MAX_RELATED, node_named, nodes, report_packed, zone_of};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports long-running workloads with two or more running pods on more than one
    /// node, all in the same zone, in a cluster whose nodes span several zones. A pod's
    /// zone is the `topology.kubernetes.io/zone` label (or the older
    /// `failure-domain.beta.kubernetes.io/zone`) of the Node it runs on. Pods all on one
    /// node are LIV006's finding and are not reported again here.
    ///
    /// The cluster's zones are those of the Node objects of the input: a single-zone
    /// cluster (every labelled node in one zone, or no zone labels at all, as on bare
    /// metal) has nowhere else to put the pods and is not reported. Without Node
    /// objects, or when a pod's node is not in the input or has no zone label while
    /// others do, the workload is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// Cloud providers lose whole zones: a power or network event, or a zonal outage
    /// of the load balancer or the disks. Replicas spread over nodes of one zone all
    /// go down together, while the cluster had capacity in the other zones all along.
    ///
    /// ## Example
    /// ```yaml
    /// # api pods on node-a and node-b, both in eu-west-1a, while node-c is in eu-west-1b
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
    ///           topologyKey: topology.kubernetes.io/zone
    ///           whenUnsatisfiable: ScheduleAnyway
    ///           labelSelector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a spread constraint applies to new pods only, and zonal
    /// volumes pin StatefulSet pods to their zone.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/>
    /// - <https://kubernetes.io/docs/setup/best-practices/multiple-zones/>
    /// - <https://kubernetes.io/docs/reference/labels-annotations-taints/#topologykubernetesiozone>
    pub struct ReplicasInOneZone {
        code: "LIV007",
        name: "replicas-in-one-zone",
        severity: Warning,
        default: true,
        summary: "All running replicas of a workload are in one zone",
    }
}

impl Rule for ReplicasInOneZone {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let running = running_replicas(cx, id, obj);
        if running.len() < 2 {
            return;
        }
        let pod_nodes: BTreeSet<&str> = running
            .iter()
            .filter_map(|(_, ps)| ps.node_name())
            .collect();
        if pod_nodes.len() < 2 {
            // one node: LIV006
            return;
        }
        if nodes(cx).next().is_none() {
            out.not_evaluated(
                id,
                "no Node is in the input to tell the zones its pods run in",
            );
            return;
        }
        let cluster_zones: BTreeSet<&str> = nodes(cx).filter_map(|(_, n)| zone_of(n)).collect();
        if cluster_zones.len() < 2 {
            return;
        }
        let mut zones = BTreeSet::new();
        let mut node_ids = Vec::new();
        for name in &pod_nodes {
            let Some((nid, node)) = node_named(cx, name) else {
                out.not_evaluated(
                    id,
                    format!("node `{name}`, where one of its pods runs, is not in the input"),
                );
                return;
            };
            let Some(zone) = zone_of(node) else {
                out.not_evaluated(
                    id,
                    format!("node `{name}`, where one of its pods runs, has no zone label"),
                );
                return;
            };
            zones.insert(zone);
            node_ids.push(nid);
        }
        if zones.len() != 1 {
            return;
        }
        let zone = zones.first().copied().unwrap_or_default();
        let place = format!(
            "in zone `{zone}` (on {} nodes), while the cluster's nodes span {} zones: a zone outage stops every replica",
            pod_nodes.len(),
            cluster_zones.len()
        );
        let Some(f) = report_packed(out, id, obj, running.len(), &place) else {
            return;
        };
        for nid in node_ids.into_iter().take(MAX_RELATED) {
            f.related(nid, Pointer::root().keys(&["metadata", "labels"]));
        }
    }
}
