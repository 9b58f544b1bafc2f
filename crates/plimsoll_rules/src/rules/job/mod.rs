//! `JOB`: Jobs and CronJobs.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
