//! `SEC`: Container and pod security beyond Pod Security Standards.

mod default_service_account;
mod read_only_root_filesystem_missing;
mod root_group;
mod run_as_low_uid;
mod secret_mounted_unused;
mod sensitive_host_path;
mod service_account_token_automounted;
mod share_process_namespace;
mod ssh_port_exposed;
mod util;

pub use default_service_account::DefaultServiceAccount;
pub use read_only_root_filesystem_missing::ReadOnlyRootFilesystemMissing;
pub use root_group::RootGroup;
pub use run_as_low_uid::RunAsLowUid;
pub use secret_mounted_unused::SecretMountedUnused;
pub use sensitive_host_path::SensitiveHostPath;
pub use service_account_token_automounted::ServiceAccountTokenAutomounted;
pub use share_process_namespace::ShareProcessNamespace;
pub use ssh_port_exposed::SshPortExposed;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ReadOnlyRootFilesystemMissing,
    &ServiceAccountTokenAutomounted,
    &DefaultServiceAccount,
    &SensitiveHostPath,
    &ShareProcessNamespace,
    &RootGroup,
    &SecretMountedUnused,
    &SshPortExposed,
    &RunAsLowUid,
];
