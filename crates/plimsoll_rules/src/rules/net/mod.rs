//! `NET`: Network policies, Services and Ingress.

mod ingress_backend_missing;
mod service_exposed;
mod service_selects_nothing;
mod service_target_port_missing;
mod svc_util;

pub use ingress_backend_missing::IngressBackendMissing;
pub use service_exposed::ServiceExposed;
pub use service_selects_nothing::ServiceSelectsNothing;
pub use service_target_port_missing::ServiceTargetPortMissing;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ServiceSelectsNothing,
    &ServiceTargetPortMissing,
    &ServiceExposed,
    &IngressBackendMissing,
];
