//! `API`: Deprecated and removed APIs.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
