//! `YML`: YAML that Kubernetes reads differently than its author meant.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
