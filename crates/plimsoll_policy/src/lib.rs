//! ValidatingAdmissionPolicies evaluated offline as the API server evaluates them.
//!
//! * [`cel`] — the CEL environment: the `cel` crate's interpreter with the Kubernetes
//!   libraries registered on top ([`k8s`]), a static checker that gives cel-go's compile
//!   errors and result types for a Kubernetes version ([`checker`]), and the runtime cost
//!   ([`cost`]).
//! * [`convert`] — JSON values as CEL sees them (int64 numbers, absent fields absent).
//! * [`defaults`] — the defaults the API server applies to a built-in object before
//!   admission.
//! * [`vap`] — policies and bindings: matching, params, validations, messages,
//!   failurePolicy, and the decisions of one request.
//!
//! Nothing here does I/O.

pub mod checker;
pub mod convert;
pub mod cost;
pub mod defaults;
pub mod k8s;
pub mod vap;
