//! `DLV`: progressive delivery with Argo Rollouts (`argoproj.io` Rollout) and Flagger
//! (`flagger.app` Canary): canaries and blue-green promotions that nothing analyses,
//! so nothing rolls back on its own, a Deployment left running beside the Rollout that
//! replaced it, and Flagger analyses that cannot fail.
//!
//! The checks of a Deployment's pod template (resources, probes, Pod Security,
//! disruption budgets) apply to a Rollout's template too: the model treats a Rollout
//! as a workload, and one with a `workloadRef` as running the referenced Deployment's
//! template.

mod bluegreen_auto_promotion_unchecked;
mod canary_without_analysis;
mod flagger_analysis_cannot_fail;
pub mod util;
mod workload_ref_deployment_still_scaled;

pub use bluegreen_auto_promotion_unchecked::BluegreenAutoPromotionUnchecked;
pub use canary_without_analysis::CanaryWithoutAnalysis;
pub use flagger_analysis_cannot_fail::FlaggerAnalysisCannotFail;
pub use workload_ref_deployment_still_scaled::WorkloadRefDeploymentStillScaled;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &CanaryWithoutAnalysis,
    &BluegreenAutoPromotionUnchecked,
    &WorkloadRefDeploymentStillScaled,
    &FlaggerAnalysisCannotFail,
];
