//! `SCL`: Autoscaling (HPA/VPA).

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
