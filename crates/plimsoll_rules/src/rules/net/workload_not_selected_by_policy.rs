use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};
use plimsoll_model::PodTemplate;

declare_rule! {
    /// ## What it does
    /// Reports workloads that no NetworkPolicy selects, in namespaces that have at
    /// least one NetworkPolicy in the input (a namespace without any is NET001's
    /// finding). A policy selects a workload when its `podSelector` matches the pod
    /// template's labels; `podSelector: {}` selects every pod of the namespace. Pods
    /// with `hostNetwork: true` are skipped: policies do not apply to them on most
    /// network plugins.
    ///
    /// Having a NetworkPolicy of the namespace in the input is also what lets the rule
    /// conclude that no policy selects a workload, as for the REF rules: the input
    /// manages the namespace's policies, so one it does not hold is missing. A file
    /// named on its own that holds no policy of the namespace is not judged; one that
    /// holds the policies of some workloads only is (keep a workload's policy with it,
    /// or check the namespace's directory or give a root).
    ///
    /// ## Why it matters in production
    /// A namespace that uses NetworkPolicies signals that its traffic is meant to be
    /// restricted; a workload no policy selects is not isolated at all, usually
    /// because its labels changed or a new workload was added without a policy.
    ///
    /// ## Example
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    /// ---
    /// kind: Deployment
    /// metadata: {name: worker, namespace: shop}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: worker}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which traffic the workload needs is not in the manifests.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation>
    pub struct WorkloadNotSelectedByPolicy {
        code: "NET003",
        name: "workload-not-selected-by-policy",
        severity: Info,
        default: true,
        summary: "No NetworkPolicy selects a workload's pods",
    }
}

impl Rule for WorkloadNotSelectedByPolicy {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let model = cx.net();
        let mut selected = vec![false; model.endpoints.len()];
        for p in &model.policies {
            for &d in &p.selects {
                selected[d] = true;
            }
        }
        for (d, e) in model.endpoints.iter().enumerate() {
            if selected[d] || e.host_network || !model.policies_in.contains_key(&e.ns) {
                continue;
            }
            let o = cx.index.object(e.id);
            let Some(t) = PodTemplate::of(o) else {
                continue;
            };
            out.report(
                e.id,
                t.meta_pointer(&["labels"]),
                format!(
                    "{} `{}` is not selected by any NetworkPolicy of namespace `{}`, so its pods accept and open any connection",
                    o.kind, o.name, e.ns
                ),
            );
        }
    }
}
