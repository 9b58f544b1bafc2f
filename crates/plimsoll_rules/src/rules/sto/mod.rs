//! `STO`: Storage and stateful workloads.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
