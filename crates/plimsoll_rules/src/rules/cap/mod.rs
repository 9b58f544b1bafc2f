//! `CAP`: capacity and node pools, judged against the Nodes of the input (a snapshot,
//! or a live audit) through the scheduling model of `plimsoll_model::drain`: critical
//! workloads left to spot capacity, replicas confined to one node or zone, namespaces
//! over their ResourceQuota, node pools requested near full.

mod critical_on_spot_only;
mod pool_over_requested;
mod quota_exceeded;
mod replicas_confined;
pub(crate) mod util;

pub use critical_on_spot_only::CriticalOnSpotOnly;
pub use pool_over_requested::PoolOverRequested;
pub use quota_exceeded::QuotaExceeded;
pub use replicas_confined::ReplicasConfined;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &CriticalOnSpotOnly,
    &ReplicasConfined,
    &QuotaExceeded,
    &PoolOverRequested,
];
