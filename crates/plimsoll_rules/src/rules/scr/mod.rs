//! `SCR`: Secrets and configuration data.

mod encryption_provider_identity;
mod secret_as_env;
mod secret_data_committed;
mod secret_in_configmap;
mod secret_literal_env;
mod util;

pub use encryption_provider_identity::EncryptionProviderIdentity;
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
];
