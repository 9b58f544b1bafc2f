//! `SPEC`: schema validation. Every object is validated against the OpenAPI schema of
//! its kind at the judged Kubernetes release (embedded, `plimsoll_schema`), and custom
//! resources against the `openAPIV3Schema` of the CustomResourceDefinitions among the
//! inputs ("CustomResourceDefinition" objects of `apiextensions.k8s.io/v1`), as the API
//! server's strict field validation and decoding would. Duplicate keys are YML004's.

mod invalid_value;
mod required_field_missing;
mod schema_unknown;
mod unknown_field;
pub mod util;
mod wrong_type;

pub use invalid_value::InvalidValue;
pub use required_field_missing::RequiredFieldMissing;
pub use schema_unknown::SchemaUnknown;
pub use unknown_field::UnknownField;
pub use wrong_type::WrongType;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &UnknownField,
    &WrongType,
    &RequiredFieldMissing,
    &InvalidValue,
    &SchemaUnknown,
];
