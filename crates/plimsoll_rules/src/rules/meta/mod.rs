//! `META`: Labels, ownership, cost allocation, duplicates.

mod cost_labels_missing;
mod duplicate_object;
mod namespace_not_set;
mod recommended_labels_missing;

pub use cost_labels_missing::CostLabelsMissing;
pub use duplicate_object::DuplicateObject;
pub use namespace_not_set::NamespaceNotSet;
pub use recommended_labels_missing::RecommendedLabelsMissing;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &RecommendedLabelsMissing,
    &CostLabelsMissing,
    &NamespaceNotSet,
    &DuplicateObject,
];
