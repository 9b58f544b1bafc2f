//! `AVL`: Availability: replicas, disruption budgets, spreading, rollouts.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
