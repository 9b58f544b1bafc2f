//! `SCH`: Scheduling and node pools.

mod priority_class_missing;
mod spot_only_with_pdb;
mod toleration_without_node_affinity;
mod util;

pub use priority_class_missing::PriorityClassMissing;
pub use spot_only_with_pdb::SpotOnlyWithPdb;
pub(crate) use spot_only_with_pdb::demands_spot;
pub use toleration_without_node_affinity::TolerationWithoutNodeAffinity;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &TolerationWithoutNodeAffinity,
    &PriorityClassMissing,
    &SpotOnlyWithPdb,
];
