use plimsoll_model::{LabelSelector, Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports PodDisruptionBudgets whose selector matches the pods of no workload in
    /// the input. Selector semantics follow the API version: in `policy/v1` an empty
    /// selector (`{}`) selects every pod of the namespace, while a missing or `null`
    /// selector selects none; in `policy/v1beta1` an empty selector selects none too.
    /// A selector that can select nothing is always reported; otherwise the PDB is
    /// judged only when its namespace has workloads in the input, and is reported as
    /// not evaluated when it has none.
    ///
    /// ## Why it matters in production
    /// A budget that selects nothing protects nothing: drains evict the pods it was
    /// meant to protect all at once. It usually comes from a label renamed in the
    /// workload but not in the PDB, or a selector copied from another application.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api-server}}   # pods are labelled app: api
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
    /// No automatic fix: which pods the budget was meant for is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors>
    pub struct PdbSelectsNothing {
        code: "AVL004",
        name: "pdb-selects-nothing",
        severity: Warning,
        default: true,
        summary: "A PodDisruptionBudget selects no pods",
    }
}

impl Rule for PdbSelectsNothing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "PodDisruptionBudget" || obj.group() != "policy" {
            return;
        }
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let path = Pointer::root().keys(&["spec", "selector"]);
        let sel = obj.root.at(&["spec", "selector"]);
        match sel {
            None => {
                out.report(
                    id,
                    path,
                    format!(
                        "PodDisruptionBudget `{}` has no selector, so it selects no pods",
                        obj.name
                    ),
                );
            }
            Some(s) if s.is_null() => {
                out.report(
                    id,
                    path,
                    format!(
                        "PodDisruptionBudget `{}` has a null selector, which selects no pods",
                        obj.name
                    ),
                );
            }
            Some(s) => {
                let Some(parsed) = LabelSelector::from_label_selector(s) else {
                    return;
                };
                if parsed.is_empty() && obj.api_version != "policy/v1" {
                    out.report(
                        id,
                        path,
                        format!(
                            "PodDisruptionBudget `{}` has an empty selector, which selects no pods in {}",
                            obj.name, obj.api_version
                        ),
                    );
                    return;
                }
                if !cx.index.pdb_targets(id).is_empty() {
                    return;
                }
                if !cx.index.knows_namespace(ns) || cx.index.workloads_in(ns).is_empty() {
                    out.not_evaluated(
                        id,
                        format!("no workload of namespace `{ns}` is in the input"),
                    );
                    return;
                }
                out.report(
                    id,
                    path,
                    format!(
                        "PodDisruptionBudget `{}` selects no pods: no workload in namespace `{ns}` has pod labels matching `{parsed}`",
                        obj.name
                    ),
                );
            }
        }
    }
}
