//! `NET`: Network policies, Services and Ingress.

mod ingress_backend_missing;
mod ingress_class_missing;
mod ingress_nginx_snippet_annotations;
mod ingress_tls_secret_missing;
mod ingress_without_tls;
mod route_backend_missing;
mod service_exposed;
mod service_selects_nothing;
mod service_target_port_missing;
mod svc_util;

pub use ingress_backend_missing::IngressBackendMissing;
pub use ingress_class_missing::IngressClassMissing;
pub use ingress_nginx_snippet_annotations::IngressNginxSnippetAnnotations;
pub use ingress_tls_secret_missing::IngressTlsSecretMissing;
pub use ingress_without_tls::IngressWithoutTls;
pub use route_backend_missing::RouteBackendMissing;
pub use service_exposed::ServiceExposed;
pub use service_selects_nothing::ServiceSelectsNothing;
pub use service_target_port_missing::ServiceTargetPortMissing;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ServiceSelectsNothing,
    &ServiceTargetPortMissing,
    &ServiceExposed,
    &IngressBackendMissing,
    &IngressClassMissing,
    &IngressTlsSecretMissing,
    &IngressWithoutTls,
    &IngressNginxSnippetAnnotations,
    &RouteBackendMissing,
];
