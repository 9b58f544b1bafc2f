use plimsoll_model::{Node, Object, Pointer, Quantity};

use super::util::{dns_autoscaler, is_cluster_dns, nodes, spec_replicas};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Nodes per DNS replica and CPU cores per DNS replica: the parameters the Kubernetes
/// documentation gives cluster-proportional-autoscaler for the cluster DNS
/// (`nodesPerReplica: 16`, `coresPerReplica: 256`, `preventSinglePointFailure: true`).
pub const NODES_PER_REPLICA: usize = 16;
pub const CORES_PER_REPLICA: i128 = 256;

declare_rule! {
    /// ## What it does
    /// Reports the cluster DNS Deployment (in `kube-system`, labelled `k8s-app:
    /// kube-dns` or named `coredns` or `kube-dns`) when it asks for fewer replicas
    /// (`spec.replicas`) than cluster-proportional-autoscaler would run with the
    /// parameters the Kubernetes documentation gives for the cluster DNS: one replica
    /// per 16 nodes or per 256 CPU cores (`status.capacity.cpu` of the nodes),
    /// whichever asks for more, and at least two in a cluster of more than one node
    /// (`preventSinglePointFailure`). The nodes are the Node objects of the input;
    /// without any, the Deployment is reported as not evaluated. A single-node cluster
    /// needs one replica: a second on the same node protects against little.
    ///
    /// Not reported when something else sizes it: an HPA targets it, or a DNS
    /// autoscaler Deployment runs in `kube-system` (`dns-autoscaler`,
    /// `kube-dns-autoscaler`, `coredns-autoscaler`: cluster-proportional-autoscaler
    /// as kubespray, GKE and AKS install it). Autoscaling run from outside the cluster
    /// (a managed add-on's control-plane autoscaler) is invisible to the audit; exempt
    /// the Deployment there. Replicas that are wanted but not ready are LIV005's
    /// finding.
    ///
    /// ## Why it matters in production
    /// Every pod resolves names through these pods, for every outgoing connection. With
    /// one replica, its restart, eviction or node failure breaks name resolution for
    /// the whole cluster; with too few for the cluster's size, the replicas saturate
    /// under load and lookups time out (5 s per attempt by default), which looks like
    /// every service being slow at once.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: coredns
    ///   namespace: kube-system
    ///   labels: {k8s-app: kube-dns}
    /// spec:
    ///   replicas: 1
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: coredns
    ///   namespace: kube-system
    ///   labels: {k8s-app: kube-dns}
    /// spec:
    ///   replicas: 2   # or run cluster-proportional-autoscaler for it
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a managed cluster's add-on manager may own the replica count.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/dns-horizontal-autoscaling/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/>
    /// - <https://github.com/kubernetes-sigs/cluster-proportional-autoscaler#linear-mode>
    pub struct CorednsReplicasTooFew {
        code: "LIV011",
        name: "coredns-replicas-too-few",
        severity: Warning,
        default: true,
        summary: "The cluster DNS runs too few replicas for the cluster's size",
    }
}

impl Rule for CorednsReplicasTooFew {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_cluster_dns(obj) || obj.has_controller() {
            return;
        }
        if !cx.index.hpas_for(id).is_empty() || dns_autoscaler(cx).is_some() {
            return;
        }
        let n = nodes(cx).count();
        if n == 0 {
            out.not_evaluated(
                id,
                "no Node is in the input to size the cluster DNS against",
            );
            return;
        }
        let by_nodes = n.div_ceil(NODES_PER_REPLICA) as i64;
        let millicores: i128 = nodes(cx)
            .filter_map(|(_, o)| o.root.at(&["status", "capacity", "cpu"]))
            .filter_map(Node::as_text)
            .filter_map(|c| Quantity::parse(c).ok())
            .map(|q| q.milli_ceil().max(0))
            .sum();
        let cores = (millicores + 999) / 1000;
        let by_cores = ((cores + CORES_PER_REPLICA - 1) / CORES_PER_REPLICA) as i64;
        let floor = if n > 1 { 2 } else { 1 };
        let needed = by_nodes.max(by_cores).max(floor);
        let replicas = spec_replicas(obj);
        if replicas >= needed {
            return;
        }
        let why = if needed == 1 {
            "one".to_string()
        } else if needed == floor {
            "two, so that one can fail or be evicted".to_string()
        } else if by_cores > by_nodes {
            format!(
                "{needed}: one per {CORES_PER_REPLICA} CPU cores ({cores} in all), as cluster-proportional-autoscaler scales it"
            )
        } else {
            format!(
                "{needed}: one per {NODES_PER_REPLICA} nodes, as cluster-proportional-autoscaler scales it"
            )
        };
        out.report(
            id,
            Pointer::root().keys(&["spec", "replicas"]),
            format!(
                "cluster DNS Deployment `{}` asks for {replicas} {} for {n} {}; it needs at least {why}",
                obj.name,
                if replicas == 1 { "replica" } else { "replicas" },
                if n == 1 { "node" } else { "nodes" },
            ),
        );
    }
}
