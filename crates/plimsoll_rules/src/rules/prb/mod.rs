//! `PRB`: Probes and lifecycle.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
