//! `RBAC`: RBAC: least privilege.

mod anonymous_binding;
mod cluster_admin_binding;
mod default_sa_binding;
mod escalation_verbs;
pub mod model;
mod nodes_proxy;
mod perm;
mod pod_exec_or_create;
mod role_not_found;
mod secrets_read;
mod token_create;
mod wildcard_rule;

pub use anonymous_binding::AnonymousBinding;
pub use cluster_admin_binding::ClusterAdminBinding;
pub use default_sa_binding::DefaultSaBinding;
pub use escalation_verbs::EscalationVerbs;
pub use nodes_proxy::NodesProxy;
pub use pod_exec_or_create::PodExecOrCreate;
pub use role_not_found::RoleNotFound;
pub use secrets_read::SecretsReadClusterWide;
pub use token_create::TokenCreate;
pub use wildcard_rule::WildcardRule;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ClusterAdminBinding,
    &WildcardRule,
    &EscalationVerbs,
    &SecretsReadClusterWide,
    &PodExecOrCreate,
    &NodesProxy,
    &TokenCreate,
    &DefaultSaBinding,
    &AnonymousBinding,
    &RoleNotFound,
];
