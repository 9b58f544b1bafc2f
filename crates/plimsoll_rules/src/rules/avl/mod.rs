//! `AVL`: Availability: replicas, disruption budgets, spreading, rollouts.

mod bare_pod;
mod containers_missing;
mod daemonset_on_delete;
mod no_spread;
mod pdb_blocks_eviction;
mod pdb_budget_missing;
mod pdb_missing;
mod pdb_overlap;
mod pdb_selects_nothing;
mod pdb_unhealthy_eviction_policy;
mod rolling_update_drops_capacity;
mod rolling_update_stalls;
mod rollout_deadlines_missing;
mod single_replica;
mod spread_constraint_invalid;
mod util;
mod workload_selector_mismatch;

pub use bare_pod::BarePod;
pub use containers_missing::ContainersMissing;
pub use daemonset_on_delete::DaemonsetOnDelete;
pub use no_spread::NoSpread;
pub use pdb_blocks_eviction::PdbBlocksEviction;
pub use pdb_budget_missing::PdbBudgetMissing;
pub use pdb_missing::PdbMissing;
pub use pdb_overlap::PdbOverlap;
pub use pdb_selects_nothing::PdbSelectsNothing;
pub use pdb_unhealthy_eviction_policy::PdbUnhealthyEvictionPolicy;
pub use rolling_update_drops_capacity::RollingUpdateDropsCapacity;
pub use rolling_update_stalls::RollingUpdateStalls;
pub use rollout_deadlines_missing::RolloutDeadlinesMissing;
pub use single_replica::SingleReplica;
pub use spread_constraint_invalid::SpreadConstraintInvalid;
pub use workload_selector_mismatch::WorkloadSelectorMismatch;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &SingleReplica,
    &PdbMissing,
    &PdbBlocksEviction,
    &PdbSelectsNothing,
    &PdbOverlap,
    &NoSpread,
    &RollingUpdateStalls,
    &RollingUpdateDropsCapacity,
    &RolloutDeadlinesMissing,
    &DaemonsetOnDelete,
    &PdbUnhealthyEvictionPolicy,
    &BarePod,
    &PdbBudgetMissing,
    &SpreadConstraintInvalid,
    &WorkloadSelectorMismatch,
    &ContainersMissing,
];
