//! Helpers shared by the DLV rules.

use plimsoll_model::{Node, Object};

/// An Argo Rollout.
pub fn is_rollout(o: &Object) -> bool {
    o.kind == "Rollout" && o.group() == "argoproj.io"
}

/// A Flagger Canary.
pub fn is_flagger_canary(o: &Object) -> bool {
    o.kind == "Canary" && o.group() == "flagger.app"
}

/// Whether a RolloutAnalysis (`analysis`, `prePromotionAnalysis`) names at least one
/// template to run.
pub fn runs_analysis(node: Option<&Node>) -> bool {
    node.and_then(|a| a.get("templates"))
        .is_some_and(|t| !t.items().is_empty())
}
