//! `NET`: Network policies, Services and Ingress.

mod container_port_invalid;
mod dns_egress_blocked;
mod ingress_backend_missing;
mod ingress_class_missing;
mod ingress_controller_cut_off;
mod ingress_nginx_snippet_annotations;
mod ingress_tls_secret_missing;
mod ingress_without_tls;
mod namespace_without_default_deny_ingress;
mod namespace_without_egress_control;
pub mod policy;
mod policy_peer_selects_nothing;
mod policy_selects_nothing;
mod route_backend_missing;
mod service_exposed;
mod service_selects_nothing;
mod service_target_port_missing;
pub(crate) mod svc_util;
mod workload_not_selected_by_policy;

pub use container_port_invalid::ContainerPortInvalid;
pub use dns_egress_blocked::DnsEgressBlocked;
pub use ingress_backend_missing::IngressBackendMissing;
pub use ingress_class_missing::IngressClassMissing;
pub use ingress_controller_cut_off::IngressControllerCutOff;
pub use ingress_nginx_snippet_annotations::IngressNginxSnippetAnnotations;
pub use ingress_tls_secret_missing::IngressTlsSecretMissing;
pub use ingress_without_tls::IngressWithoutTls;
pub use namespace_without_default_deny_ingress::NamespaceWithoutDefaultDenyIngress;
pub use namespace_without_egress_control::NamespaceWithoutEgressControl;
pub use policy_peer_selects_nothing::PolicyPeerSelectsNothing;
pub use policy_selects_nothing::PolicySelectsNothing;
pub use route_backend_missing::RouteBackendMissing;
pub use service_exposed::ServiceExposed;
pub use service_selects_nothing::ServiceSelectsNothing;
pub use service_target_port_missing::ServiceTargetPortMissing;
pub use workload_not_selected_by_policy::WorkloadNotSelectedByPolicy;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &NamespaceWithoutDefaultDenyIngress,
    &NamespaceWithoutEgressControl,
    &WorkloadNotSelectedByPolicy,
    &PolicySelectsNothing,
    &PolicyPeerSelectsNothing,
    &DnsEgressBlocked,
    &IngressControllerCutOff,
    &ServiceSelectsNothing,
    &ServiceTargetPortMissing,
    &ServiceExposed,
    &IngressBackendMissing,
    &IngressClassMissing,
    &IngressTlsSecretMissing,
    &IngressWithoutTls,
    &IngressNginxSnippetAnnotations,
    &RouteBackendMissing,
    &ContainerPortInvalid,
];
