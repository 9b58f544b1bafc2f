//! `SCR`: Secrets and configuration data.

mod certificate_renew_before;
mod encryption_provider_identity;
mod externalsecret_creation_policy;
mod externalsecret_never_refreshed;
mod secret_as_env;
mod secret_data_committed;
mod secret_in_configmap;
mod secret_literal_env;
mod util;

pub use certificate_renew_before::CertificateRenewBefore;
pub use encryption_provider_identity::EncryptionProviderIdentity;
pub use externalsecret_creation_policy::ExternalsecretCreationPolicy;
pub use externalsecret_never_refreshed::ExternalsecretNeverRefreshed;
pub use secret_as_env::SecretAsEnv;
pub use secret_data_committed::SecretDataCommitted;
pub use secret_in_configmap::SecretInConfigmap;
pub use secret_literal_env::SecretLiteralEnv;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &SecretDataCommitted,
    &SecretInConfigmap,
    &SecretLiteralEnv,
    &SecretAsEnv,
    &EncryptionProviderIdentity,
    &ExternalsecretNeverRefreshed,
    &ExternalsecretCreationPolicy,
    &CertificateRenewBefore,
];
