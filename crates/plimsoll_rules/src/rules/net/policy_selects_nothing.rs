use plimsoll_model::Pointer;

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports NetworkPolicies whose `spec.podSelector` matches no workload of the
    /// policy's namespace, when that namespace has workloads in the input. The
    /// selector is matched against the labels of every pod template (Deployments,
    /// StatefulSets, DaemonSets, Jobs, CronJobs, Argo Rollouts, bare Pods) of the
    /// policy's own namespace only. `podSelector: {}` selects every pod and never
    /// fires. A namespace without workloads in the input is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// A policy that selects nothing protects nothing: usually a label typo or a
    /// label renamed in the workload, so the pods the author meant to isolate accept
    /// all traffic while the policy gives the impression they do not.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: api-server}}   # pods are labelled app: api
    ///   policyTypes: [Ingress]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   policyTypes: [Ingress]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the selector or the workload's labels are wrong is
    /// for the author to decide.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/>
    pub struct PolicySelectsNothing {
        code: "NET004",
        name: "policy-selects-nothing",
        severity: Warning,
        default: true,
        summary: "A NetworkPolicy's podSelector matches no workload",
    }
}

impl Rule for PolicySelectsNothing {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let model = cx.net();
        for (pi, p) in model.policies.iter().enumerate() {
            let Some(sel) = &p.selector else {
                continue;
            };
            if !model.selects(pi).is_empty() {
                continue;
            }
            if cx.index.workloads_in(&p.ns).is_empty() {
                out.not_evaluated(
                    p.id,
                    format!("namespace `{}` has no workloads in the input", p.ns),
                );
                continue;
            }
            out.report(
                p.id,
                Pointer::root().keys(&["spec", "podSelector"]),
                format!(
                    "podSelector `{sel}` matches no workload of namespace `{}`",
                    p.ns
                ),
            );
        }
    }
}
