use plimsoll_model::{Object, Pointer};

use super::coredns_replicas_too_few::NODES_PER_REPLICA;
use super::util::{dns_autoscaler, is_cluster_dns, nodes};
use crate::declare_rule;
use crate::rule::{Context, Described, Rule, Sink};
use crate::rules::liv::CorednsReplicasTooFew;

/// Nodes above which a fixed DNS replica count is reported: twice the nodes per
/// replica of cluster-proportional-autoscaler's documented parameters, the size
/// past which it would run more than the two replicas every multi-node cluster needs.
pub const LARGE_CLUSTER: usize = 2 * NODES_PER_REPLICA;

declare_rule! {
    /// ## What it does
    /// Reports the cluster DNS Deployment (in `kube-system`, labelled `k8s-app:
    /// kube-dns` or named `coredns` or `kube-dns`) of a cluster of more than 32 Nodes
    /// when nothing scales it: no HPA targets it, no DNS autoscaler Deployment
    /// (`dns-autoscaler`, `kube-dns-autoscaler`, `coredns-autoscaler`:
    /// cluster-proportional-autoscaler) runs in `kube-system`, and no NodeLocal
    /// DNSCache DaemonSet (`node-local-dns`) takes the load off it.
    ///
    /// The threshold, 32 nodes, is where the parameters the Kubernetes documentation
    /// gives cluster-proportional-autoscaler for the DNS (one replica per 16 nodes,
    /// at least two) ask for more than two replicas: from there on the right count
    /// grows with the cluster, and a fixed one is right only until the next
    /// scale-up. The nodes are the Node objects of the input; without any, the
    /// Deployment is reported as not evaluated. When the replica count is already
    /// too low for the cluster's size, LIV011 reports it (when selected) and this
    /// rule does not.
    ///
    /// ## Why it matters in production
    /// DNS load grows with the number of pods, and pods grow with nodes. A count
    /// written down when the cluster was small saturates during the peak that
    /// scaled the cluster up, exactly when lookups matter most, and the symptom
    /// (timeouts of 5 s per attempt in every service) points everywhere but DNS.
    ///
    /// ## Example
    /// A 60-node cluster whose `coredns` Deployment has `replicas: 4` and nothing
    /// else scaling it.
    ///
    /// ## Use instead
    /// Run cluster-proportional-autoscaler for it, as the Kubernetes documentation
    /// describes:
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: dns-autoscaler, namespace: kube-system}
    /// data:
    ///   linear: '{"coresPerReplica":256,"nodesPerReplica":16,"preventSinglePointFailure":true}'
    /// ```
    /// with its Deployment `dns-autoscaler` (`--target=deployment/coredns`), or
    /// NodeLocal DNSCache.
    ///
    /// ## Fix safety
    /// No automatic fix: an autoscaler is a new Deployment with its own RBAC.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/dns-horizontal-autoscaling/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/nodelocaldns/>
    /// - <https://github.com/kubernetes-sigs/cluster-proportional-autoscaler>
    pub struct CorednsAutoscalerMissing {
        code: "LIV015",
        name: "coredns-autoscaler-missing",
        severity: Warning,
        default: true,
        summary: "A large cluster's DNS runs a fixed replica count with no autoscaler",
    }
}

impl Rule for CorednsAutoscalerMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_cluster_dns(obj) || obj.has_controller() {
            return;
        }
        if !cx.index.hpas_for(id).is_empty() || dns_autoscaler(cx).is_some() {
            return;
        }
        if cx
            .index
            .of_kind_in("DaemonSet", "kube-system")
            .any(|(_, d)| d.name == "node-local-dns")
        {
            return;
        }
        let n = nodes(cx).count();
        if n == 0 {
            out.not_evaluated(id, "no Node is in the input to tell the cluster's size");
            return;
        }
        if n <= LARGE_CLUSTER {
            return;
        }
        if cx.is_selected(CorednsReplicasTooFew.meta().code) {
            let mut sized = Sink::new(CorednsReplicasTooFew.meta());
            CorednsReplicasTooFew.check(cx, id, obj, &mut sized);
            if !sized.findings.is_empty() {
                return;
            }
        }
        out.report(
            id,
            Pointer::root().keys(&["spec", "replicas"]),
            format!(
                "cluster DNS Deployment `{}` runs a fixed replica count in a cluster of {n} nodes, with no HPA, no cluster-proportional-autoscaler and no NodeLocal DNSCache: its capacity does not follow the cluster's growth",
                obj.name
            ),
        );
    }
}
