//! `BAK`: backups with Velero (`velero.io`): namespaces whose volumes no Schedule
//! backs up, Schedules that save manifests without volume data or with an implicit
//! retention, and, from a live cluster's state, backups that fail or stop and restores
//! never tested.
//!
//! They run only where Velero is evidently installed: a `velero.io` object or the
//! CustomResourceDefinition of its `Schedule` is among the inputs (a live audit reads
//! both from the cluster).

mod backup_failing_or_stale;
mod pvc_namespace_not_backed_up;
mod restore_not_tested;
mod schedule_skips_volume_data;
mod schedule_ttl_unset_or_short;
pub mod util;

pub use backup_failing_or_stale::BackupFailingOrStale;
pub use pvc_namespace_not_backed_up::PvcNamespaceNotBackedUp;
pub use restore_not_tested::RestoreNotTested;
pub use schedule_skips_volume_data::ScheduleSkipsVolumeData;
pub use schedule_ttl_unset_or_short::ScheduleTtlUnsetOrShort;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &PvcNamespaceNotBackedUp,
    &ScheduleSkipsVolumeData,
    &ScheduleTtlUnsetOrShort,
    &BackupFailingOrStale,
    &RestoreNotTested,
];
