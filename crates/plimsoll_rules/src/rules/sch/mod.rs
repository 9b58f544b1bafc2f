//! `SCH`: Scheduling and node pools.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
