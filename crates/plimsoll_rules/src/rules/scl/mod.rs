//! `SCL`: Autoscaling (HPA/VPA).

mod hpa_managed_replicas_set;
mod hpa_min_max;
mod hpa_target_missing;
mod hpa_utilization_without_request;
mod hpa_vpa_conflict;
pub(crate) mod util;
mod vpa_update_mode;

pub use hpa_managed_replicas_set::HpaManagedReplicasSet;
pub use hpa_min_max::HpaMinMax;
pub use hpa_target_missing::HpaTargetMissing;
pub use hpa_utilization_without_request::HpaUtilizationWithoutRequest;
pub use hpa_vpa_conflict::HpaVpaConflict;
pub use vpa_update_mode::VpaUpdateMode;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &HpaTargetMissing,
    &HpaUtilizationWithoutRequest,
    &HpaMinMax,
    &HpaVpaConflict,
    &VpaUpdateMode,
    &HpaManagedReplicasSet,
];
