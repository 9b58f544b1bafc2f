//! `STO`: Storage and stateful workloads.

mod emptydir_size_limit_missing;
mod statefulset_service_missing;
mod statefulset_without_volume_claim_templates;
mod storage_class_missing;
mod util;

pub use emptydir_size_limit_missing::EmptydirSizeLimitMissing;
pub use statefulset_service_missing::StatefulsetServiceMissing;
pub use statefulset_without_volume_claim_templates::StatefulsetWithoutVolumeClaimTemplates;
pub use storage_class_missing::StorageClassMissing;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &StatefulsetWithoutVolumeClaimTemplates,
    &StorageClassMissing,
    &EmptydirSizeLimitMissing,
    &StatefulsetServiceMissing,
];
