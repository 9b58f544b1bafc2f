//! `POL`: the organisation's own rules, written as ValidatingAdmissionPolicies.

mod admission_policy_error;
mod admission_policy_violation;
pub mod model;

pub use admission_policy_error::AdmissionPolicyError;
pub use admission_policy_violation::AdmissionPolicyViolation;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[&AdmissionPolicyViolation, &AdmissionPolicyError];
