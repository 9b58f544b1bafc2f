//! `META`: Labels, ownership, cost allocation, duplicates.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
