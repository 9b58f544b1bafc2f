//! `NET`: Network policies, Services and Ingress.

mod dns_egress_blocked;
mod ingress_controller_cut_off;
mod namespace_without_default_deny_ingress;
mod namespace_without_egress_control;
pub mod policy;
mod policy_selects_nothing;
mod workload_not_selected_by_policy;

pub use dns_egress_blocked::DnsEgressBlocked;
pub use ingress_controller_cut_off::IngressControllerCutOff;
pub use namespace_without_default_deny_ingress::NamespaceWithoutDefaultDenyIngress;
pub use namespace_without_egress_control::NamespaceWithoutEgressControl;
pub use policy_selects_nothing::PolicySelectsNothing;
pub use workload_not_selected_by_policy::WorkloadNotSelectedByPolicy;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &NamespaceWithoutDefaultDenyIngress,
    &NamespaceWithoutEgressControl,
    &WorkloadNotSelectedByPolicy,
    &PolicySelectsNothing,
    &DnsEgressBlocked,
    &IngressControllerCutOff,
];
