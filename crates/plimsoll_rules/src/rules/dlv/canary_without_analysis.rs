use plimsoll_model::{Object, Pointer};

use super::util::{is_rollout, runs_analysis};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an Argo `Rollout` with the canary strategy that analyses nothing: no
    /// background analysis (`spec.strategy.canary.analysis` naming templates), no
    /// `analysis` step and no `experiment` step with `analyses` among
    /// `spec.strategy.canary.steps`.
    ///
    /// ## Why it matters in production
    /// Analysis is what lets a canary roll back on its own: an AnalysisRun that fails
    /// (an error rate above its limit, a latency too high) aborts the update and sends
    /// traffic back to the stable version. Without one, the canary proceeds through
    /// its weights and pauses on time alone, and a bad version reaches every user
    /// unless someone is watching and aborts by hand.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Rollout
    /// metadata: {name: web}
    /// spec:
    ///   strategy:
    ///     canary:
    ///       steps:
    ///         - setWeight: 20
    ///         - pause: {duration: 10m}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   strategy:
    ///     canary:
    ///       analysis:
    ///         templates: [{templateName: success-rate}]
    ///         startingStep: 1
    ///         args: [{name: service-name, value: web}]
    ///       steps:
    ///         - setWeight: 20
    ///         - pause: {duration: 10m}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: an AnalysisTemplate needs a metric provider and thresholds
    /// that fit the service.
    ///
    /// ## References
    /// - <https://argoproj.github.io/argo-rollouts/features/analysis/>
    /// - <https://argoproj.github.io/argo-rollouts/features/canary/>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#updating-a-deployment>
    pub struct CanaryWithoutAnalysis {
        code: "DLV001",
        name: "canary-without-analysis",
        severity: Warning,
        default: true,
        summary: "An Argo Rollout canary runs no analysis, so nothing rolls it back automatically",
    }
}

impl Rule for CanaryWithoutAnalysis {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_rollout(obj) {
            return;
        }
        let Some(canary) = obj
            .root
            .at(&["spec", "strategy", "canary"])
            .filter(|c| c.is_map())
        else {
            return;
        };
        if runs_analysis(canary.get("analysis")) {
            return;
        }
        let steps = canary.get("steps").map(|s| s.items()).unwrap_or_default();
        let in_steps = steps.iter().any(|s| {
            runs_analysis(s.get("analysis"))
                || s.at(&["experiment", "analyses"])
                    .is_some_and(|a| !a.items().is_empty())
        });
        if in_steps {
            return;
        }
        out.report(
            id,
            Pointer::root().keys(&["spec", "strategy", "canary"]),
            format!(
                "Rollout `{}` runs its canary{} without any analysis (no background analysis, \
                 no analysis step): a bad version is promoted unless someone aborts it by hand",
                obj.name,
                if steps.is_empty() {
                    String::new()
                } else {
                    format!(" through {} steps", steps.len())
                }
            ),
        );
    }
}
