//! `YML`: YAML that Kubernetes reads differently than its author meant.

mod duplicate_env_var;
mod duplicate_key;
mod non_string_in_string_field;
mod octal_number;
mod util;
mod yaml11_boolean;

pub use duplicate_env_var::DuplicateEnvVar;
pub use duplicate_key::DuplicateKey;
pub use non_string_in_string_field::NonStringInStringField;
pub use octal_number::OctalNumber;
pub use yaml11_boolean::Yaml11Boolean;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &Yaml11Boolean,
    &OctalNumber,
    &NonStringInStringField,
    &DuplicateKey,
    &DuplicateEnvVar,
];
