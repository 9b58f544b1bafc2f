//! `SCL`: Autoscaling: HPA, VPA, KEDA, and the node autoscalers (Karpenter,
//! cluster-autoscaler).

mod cluster_autoscaler_unbounded;
mod hpa_managed_replicas_set;
mod hpa_min_max;
mod hpa_target_missing;
mod hpa_utilization_without_request;
mod hpa_vpa_conflict;
mod keda_hpa_conflict;
mod nodepool_disruption_unbounded;
mod nodepool_limits_missing;
mod safe_to_evict_false;
pub(crate) mod util;
mod vpa_update_mode;

pub use cluster_autoscaler_unbounded::ClusterAutoscalerUnbounded;
pub use hpa_managed_replicas_set::HpaManagedReplicasSet;
pub use hpa_min_max::HpaMinMax;
pub use hpa_target_missing::HpaTargetMissing;
pub use hpa_utilization_without_request::HpaUtilizationWithoutRequest;
pub use hpa_vpa_conflict::HpaVpaConflict;
pub use keda_hpa_conflict::KedaHpaConflict;
pub use nodepool_disruption_unbounded::NodepoolDisruptionUnbounded;
pub use nodepool_limits_missing::NodepoolLimitsMissing;
pub use safe_to_evict_false::SafeToEvictFalse;
pub use vpa_update_mode::VpaUpdateMode;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &HpaTargetMissing,
    &HpaUtilizationWithoutRequest,
    &HpaMinMax,
    &HpaVpaConflict,
    &VpaUpdateMode,
    &HpaManagedReplicasSet,
    &NodepoolLimitsMissing,
    &NodepoolDisruptionUnbounded,
    &ClusterAutoscalerUnbounded,
    &SafeToEvictFalse,
    &KedaHpaConflict,
];
