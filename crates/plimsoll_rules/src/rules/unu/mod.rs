//! `UNU`: unused resources: ConfigMaps, Secrets, claims, ServiceAccounts and roles
//! that nothing refers to. Opt-in (`--extend-select UNU`): what uses an object can
//! live outside the cluster's manifests. They judge only namespaces the input holds
//! whole, and never run at admission (one object says nothing about what is unused).

mod configmap_unused;
mod pvc_unused;
mod role_unbound;
mod secret_unused;
mod serviceaccount_unused;
pub(crate) mod util;

pub use configmap_unused::ConfigmapUnused;
pub use pvc_unused::PvcUnused;
pub use role_unbound::RoleUnbound;
pub use secret_unused::SecretUnused;
pub use serviceaccount_unused::ServiceaccountUnused;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ConfigmapUnused,
    &SecretUnused,
    &PvcUnused,
    &ServiceaccountUnused,
    &RoleUnbound,
];
