use plimsoll_model::{Node, Object, Pointer};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports PodDisruptionBudgets that set neither `spec.minAvailable` nor
    /// `spec.maxUnavailable` (an explicit `null` counts as not set). The API server
    /// accepts such a budget: validation only forbids setting both, and no API version
    /// defaults either field (`policy/v1beta1` defaults nothing for PodDisruptionBudgets
    /// either, so a `v1beta1` one is reported the same way).
    ///
    /// The disruption controller then computes no expected pod count: with neither field
    /// set, `expectedPods` stays 0, and a budget with no expected pods is given
    /// `disruptionsAllowed: 0`. The budget does not protect nothing, as is often assumed:
    /// it fails closed and refuses every eviction of the pods it selects. kube-score's
    /// `poddisruptionbudget-has-policy` reports the same objects as "no policy"; plimsoll
    /// reports them as an error because the effect is the same as `maxUnavailable: 0`
    /// (AVL003).
    ///
    /// ## Why it matters in production
    /// Every eviction of a selected pod gets 429 Too Many Requests: `kubectl drain`
    /// retries forever, node upgrades and cluster-autoscaler scale-downs stall on those
    /// pods, and a crash-looping pod cannot be evicted either (the unhealthy-pod shortcut
    /// needs a desired healthy count above 0). The author usually meant "some budget" and
    /// forgot the field, often through a Helm value left empty.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
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
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `maxUnavailable: 1` and is unsafe: evictions, refused until now,
    /// are allowed one pod at a time, and how many pods the application may lose at once
    /// is a decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/#specifying-a-poddisruptionbudget>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/pod-disruption-budget-v1/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/>
    pub struct PdbBudgetMissing {
        code: "AVL013",
        name: "pdb-budget-missing",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A PodDisruptionBudget sets neither minAvailable nor maxUnavailable",
    }
}

impl Rule for PdbBudgetMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "PodDisruptionBudget" || obj.group() != "policy" {
            return;
        }
        let set = |key: &str| {
            obj.root
                .at(&["spec", key])
                .is_some_and(|n: &Node| !n.is_null())
        };
        if set("minAvailable") || set("maxUnavailable") {
            return;
        }
        let path = Pointer::root().keys(&["spec", "maxUnavailable"]);
        let fix = Fix::new(Applicability::Unsafe, "set maxUnavailable: 1").set(
            &obj.root,
            &path,
            serde_json::json!(1),
        );
        out.report(
            id,
            path,
            format!(
                "PodDisruptionBudget `{}` sets neither minAvailable nor maxUnavailable: the \
                 disruption controller then allows 0 disruptions, so every eviction of the \
                 pods it selects is refused and node drains hang",
                obj.name
            ),
        )
        .fix(fix);
    }
}
