//! `JOB`: Jobs and CronJobs.

mod cronjob_concurrency_allow;
mod cronjob_starting_deadline_missing;
mod job_no_deadline;
mod job_restart_policy;
mod job_ttl_missing;
mod util;

pub use cronjob_concurrency_allow::CronjobConcurrencyAllow;
pub use cronjob_starting_deadline_missing::CronjobStartingDeadlineMissing;
pub use job_no_deadline::JobNoDeadline;
pub use job_restart_policy::JobRestartPolicy;
pub use job_ttl_missing::JobTtlMissing;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &JobNoDeadline,
    &CronjobConcurrencyAllow,
    &CronjobStartingDeadlineMissing,
    &JobTtlMissing,
    &JobRestartPolicy,
];
