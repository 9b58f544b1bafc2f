//! `RES`: Resources and QoS.

mod memory_limit_missing;

pub use memory_limit_missing::MemoryLimitMissing;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[&MemoryLimitMissing];
