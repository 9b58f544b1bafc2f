//! `RBAC`: RBAC: least privilege.

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[];
