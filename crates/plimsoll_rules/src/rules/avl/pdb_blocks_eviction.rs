use plimsoll_model::{LabelSelector, Object, Pointer};

use super::util::IntOrPct;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, MAX_RELATED, Rule, Sink, list_capped};

declare_rule! {
    /// ## What it does
    /// Reports PodDisruptionBudgets that allow zero voluntary evictions:
    /// `maxUnavailable: 0` or `0%`, `minAvailable: 100%`, or a `minAvailable` that is at
    /// least the number of pods the budget covers. The pod count is the sum of the
    /// expected replicas of every workload the PDB selects (`spec.replicas`, default 1,
    /// or the HPA's `minReplicas`; a bare Pod counts 1). Percentages of `minAvailable`
    /// round up, as the disruption controller computes them (90% of 3 pods is 3). When
    /// a selected workload has no replica count (DaemonSet, Job) the count is unknown and
    /// only the literal cases are reported.
    ///
    /// ## Why it matters in production
    /// `status.disruptionsAllowed` stays 0, so every eviction returns 429: `kubectl
    /// drain` retries forever, node upgrades stall and cluster-autoscaler cannot remove
    /// the node. The Kubernetes docs: with zero voluntary evictions allowed "the drain
    /// never completes".
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   minAvailable: 1      # the Deployment runs 1 replica
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
    /// The fix replaces the budget with `maxUnavailable: 1` (`minAvailable` removed),
    /// which lets one pod at a time be evicted whatever the replica count. It is
    /// display-only: the right budget depends on how many pods the application can lose,
    /// with a single pod it allows an outage during a drain, and raising replicas is
    /// often the better fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/disruptions/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/>
    pub struct PdbBlocksEviction {
        code: "AVL003",
        name: "pdb-blocks-eviction",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "A PodDisruptionBudget allows no voluntary evictions",
    }
}

impl Rule for PdbBlocksEviction {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "PodDisruptionBudget" || obj.group() != "policy" {
            return;
        }
        let Some(spec) = obj.spec() else { return };
        if let Some(v) = spec.get("maxUnavailable").and_then(IntOrPct::of)
            && v.is_zero()
        {
            let path = Pointer::root().keys(&["spec", "maxUnavailable"]);
            out.report(
                id,
                path.clone(),
                format!(
                    "PodDisruptionBudget `{}` has maxUnavailable {v}, which allows no voluntary eviction",
                    obj.name
                ),
            )
            .fix(
                Fix::new(Applicability::DisplayOnly, "set maxUnavailable: 1")
                    .replace(&path, serde_json::json!(1)),
            );
            return;
        }
        let Some(min) = spec.get("minAvailable").and_then(IntOrPct::of) else {
            return;
        };
        let path = Pointer::root().keys(&["spec", "minAvailable"]);
        if let IntOrPct::Pct(p) = min
            && p >= 100
        {
            out.report(
                id,
                path.clone(),
                format!(
                    "PodDisruptionBudget `{}` has minAvailable {min}, which allows no voluntary eviction",
                    obj.name
                ),
            )
            .fix(one_unavailable(&path));
            return;
        }
        let targets = cx.index.pdb_targets(id);
        if targets.is_empty() {
            let ns = obj.namespace.as_deref().unwrap_or("");
            let parseable = spec
                .get("selector")
                .is_some_and(|s| s.is_null() || LabelSelector::from_label_selector(s).is_some());
            if parseable && cx.index.workloads_in(ns).is_empty() {
                out.not_evaluated(
                    id,
                    format!("no workload of namespace `{ns}` is in the input to count the pods the budget covers"),
                );
            }
            return;
        }
        // counted once for every PDB with the same selector
        let Some(class) = cx.index.pdb_class_of(id) else {
            return;
        };
        let Some(total) = cx.index.pdb_class_pods(class) else {
            return;
        };
        if total == 0 {
            return;
        }
        let desired = min.scaled(total, true);
        if desired < total {
            return;
        }
        let names = list_capped(
            targets.iter().map(|&w| {
                let o = cx.index.object(w);
                format!("{} `{}`", o.kind, o.name)
            }),
            targets.len(),
            MAX_RELATED,
        );
        let hpa = cx.index.pdb_class_autoscaled(class);
        let fix = one_unavailable(&path);
        let f = out.report(
            id,
            path,
            format!(
                "PodDisruptionBudget `{}` requires {desired} available {} (minAvailable {min}) but {} {} {total} {}{}, so no voluntary eviction is allowed",
                obj.name,
                if desired == 1 { "pod" } else { "pods" },
                names,
                if targets.len() == 1 { "runs" } else { "run" },
                if total == 1 { "pod" } else { "pods" },
                if hpa { " at the HPA's minReplicas" } else { "" },
            ),
        );
        f.fix(fix);
        f.related_all(targets, |w| {
            if cx.index.object(w).kind == "Pod" {
                Pointer::root().keys(&["metadata", "name"])
            } else {
                Pointer::root().keys(&["spec", "replicas"])
            }
        });
    }
}

/// `minAvailable` replaced by `maxUnavailable: 1`.
fn one_unavailable(min_available: &Pointer) -> Fix {
    Fix::new(
        Applicability::DisplayOnly,
        "replace minAvailable with maxUnavailable: 1",
    )
    .remove(min_available)
    .add(
        &Pointer::root().keys(&["spec", "maxUnavailable"]),
        serde_json::json!(1),
    )
}
