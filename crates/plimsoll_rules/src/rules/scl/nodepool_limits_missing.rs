use plimsoll_model::{Object, Pointer};

use super::util::is_nodepool;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a Karpenter `NodePool` (`karpenter.sh`) without `spec.limits`, or with
    /// `limits: {}`. A NodePool with `spec.replicas` (a static pool, which keeps a
    /// fixed number of nodes) is not reported: its size is written down already.
    ///
    /// ## Why it matters in production
    /// Karpenter launches nodes for every pod that does not fit. Without limits a
    /// NodePool is unbounded: a Deployment scaled to 10 000 replicas by mistake, an
    /// HPA chasing a broken metric, a crash loop of Jobs or a pod whose requests were
    /// typed in the wrong unit becomes as many instances as the cloud account's quota
    /// allows, and the bill arrives at the end of the month. `limits` caps the total
    /// `cpu`, `memory` (or `nodes`) of the nodes the pool owns; past it, pods stay
    /// pending and alert instead.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: karpenter.sh/v1
    /// kind: NodePool
    /// metadata: {name: default}
    /// spec:
    ///   template:
    ///     spec:
    ///       nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
    ///       requirements:
    ///         - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   limits:
    ///     cpu: "1000"
    ///     memory: 1000Gi
    /// ```
    ///
    /// ## Fix safety
    /// The fix is display-only: it shows `limits` with `cpu: "1000"`, the value of
    /// Karpenter's own example, as a place to start. What the pool may cost is a
    /// decision for whoever pays for it.
    ///
    /// ## References
    /// - <https://karpenter.sh/docs/concepts/nodepools/#speclimits>
    /// - <https://github.com/kubernetes-sigs/karpenter/blob/main/pkg/apis/v1/nodepool.go>
    pub struct NodepoolLimitsMissing {
        code: "SCL007",
        name: "nodepool-limits-missing",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "A Karpenter NodePool has no limits: it can launch nodes without bound",
    }
}

impl Rule for NodepoolLimitsMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_nodepool(obj) || obj.root.at(&["spec", "replicas"]).is_some() {
            return;
        }
        let limits = obj.root.at(&["spec", "limits"]);
        if limits.is_some_and(|l| !l.entries().is_empty()) {
            return;
        }
        let path = Pointer::root().keys(&["spec", "limits"]);
        let fix = Fix::new(
            Applicability::DisplayOnly,
            "cap the pool's total capacity (choose the value)",
        )
        .set(&obj.root, &path, serde_json::json!({"cpu": "1000"}));
        out.report(
            id,
            path,
            format!(
                "NodePool `{}` has no limits: Karpenter launches as many nodes as pending pods ask for, so a runaway Deployment or HPA becomes a runaway bill",
                obj.name
            ),
        )
        .fix(fix);
    }
}
