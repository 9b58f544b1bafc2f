use plimsoll_model::{Object, Pointer};

use super::util::is_cluster_dns;
use crate::declare_rule;
use crate::rule::{Context, Described, Rule, Sink};
use crate::rules::avl::PdbMissing;

declare_rule! {
    /// ## What it does
    /// Reports the cluster DNS Deployment (in `kube-system`, labelled `k8s-app:
    /// kube-dns` or named `coredns` or `kube-dns`) when no PodDisruptionBudget of
    /// `kube-system` selects its pods. AVL002 reports every multi-replica workload
    /// without a budget; when AVL002 runs and reports the DNS Deployment, this rule
    /// leaves it to AVL002, so the finding appears once. What remains is the DNS
    /// Deployment AVL002 does not judge (one replica, or AVL002 not selected): it is
    /// the one workload every other depends on.
    ///
    /// ## Why it matters in production
    /// A node drain, a node-pool upgrade or a cluster-autoscaler scale-down evicts
    /// pods without asking anyone; when the DNS replicas share a node or the nodes go
    /// in parallel, all of them can be gone at once, and every name lookup in the
    /// cluster fails until they are scheduled and ready again.
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
    ///   replicas: 2
    ///   selector: {matchLabels: {k8s-app: kube-dns}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: coredns
    ///   namespace: kube-system
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {k8s-app: kube-dns}}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a PDB is a new object, and a managed cluster's add-on
    /// manager may own the DNS objects.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/disruptions/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/dns-custom-nameservers/>
    pub struct CorednsPdbMissing {
        code: "LIV012",
        name: "coredns-pdb-missing",
        severity: Warning,
        default: true,
        summary: "The cluster DNS has no PodDisruptionBudget",
    }
}

impl Rule for CorednsPdbMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_cluster_dns(obj) || obj.has_controller() || !cx.index.pdbs_for(id).is_empty() {
            return;
        }
        if cx.is_selected(PdbMissing.meta().code) {
            let mut generic = Sink::new(PdbMissing.meta());
            PdbMissing.check(cx, id, obj, &mut generic);
            if !generic.findings.is_empty() {
                return;
            }
        }
        out.report(
            id,
            Pointer::root().keys(&["metadata", "name"]),
            format!(
                "cluster DNS Deployment `{}` has no PodDisruptionBudget: a drain or a scale-down may evict all its pods at once, and every name lookup in the cluster fails until they are back",
                obj.name
            ),
        );
    }
}
