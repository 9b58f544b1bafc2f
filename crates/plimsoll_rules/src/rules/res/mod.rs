//! `RES`: Resources and QoS.

mod cpu_limit_missing;
mod cpu_request_missing;
mod ephemeral_storage_limit_missing;
mod ephemeral_storage_request_missing;
mod invalid_quantity;
mod limit_below_request;
mod limit_request_ratio;
mod memory_limit_missing;
mod memory_request_missing;
mod namespace_without_limitrange;
mod namespace_without_resourcequota;
mod qos_best_effort;
mod qos_burstable;
mod util;

pub use cpu_limit_missing::CpuLimitMissing;
pub use cpu_request_missing::CpuRequestMissing;
pub use ephemeral_storage_limit_missing::EphemeralStorageLimitMissing;
pub use ephemeral_storage_request_missing::EphemeralStorageRequestMissing;
pub use invalid_quantity::InvalidQuantity;
pub use limit_below_request::LimitBelowRequest;
pub use limit_request_ratio::LimitRequestRatio;
pub use memory_limit_missing::MemoryLimitMissing;
pub use memory_request_missing::MemoryRequestMissing;
pub use namespace_without_limitrange::NamespaceWithoutLimitrange;
pub use namespace_without_resourcequota::NamespaceWithoutResourcequota;
pub use qos_best_effort::QosBestEffort;
pub use qos_burstable::QosBurstable;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &CpuRequestMissing,
    &MemoryRequestMissing,
    &MemoryLimitMissing,
    &CpuLimitMissing,
    &LimitBelowRequest,
    &LimitRequestRatio,
    &QosBestEffort,
    &QosBurstable,
    &NamespaceWithoutLimitrange,
    &NamespaceWithoutResourcequota,
    &InvalidQuantity,
    &EphemeralStorageRequestMissing,
    &EphemeralStorageLimitMissing,
];
