//! `MSH`: service mesh settings that production depends on: Istio mutual TLS left
//! permissive for production namespaces, sidecars without resource settings, and
//! Linkerd inbound policies that admit unauthenticated traffic.

mod linkerd_inbound_unauthenticated;
mod mtls_permissive_in_production;
mod sidecar_resources_unset;
pub mod util;

pub use linkerd_inbound_unauthenticated::LinkerdInboundUnauthenticated;
pub use mtls_permissive_in_production::MtlsPermissiveInProduction;
pub use sidecar_resources_unset::SidecarResourcesUnset;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &MtlsPermissiveInProduction,
    &SidecarResourcesUnset,
    &LinkerdInboundUnauthenticated,
];
