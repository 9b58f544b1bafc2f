//! `PSS`: Pod Security Standards, exactly as Pod Security Admission enforces them.

mod allow_privilege_escalation;
mod app_armor_profile;
mod capabilities_baseline;
mod capabilities_restricted;
mod enforce_label_missing;
mod enforce_privileged;
pub mod eval;
mod fix;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes_and_host_lifecycle;
mod label_invalid;
mod privileged;
mod proc_mount;
mod proc_mount_restricted;
mod restricted_volumes;
mod run_as_non_root;
mod run_as_user;
mod se_linux_options;
mod seccomp_profile_baseline;
mod seccomp_profile_restricted;
mod sysctls;
pub mod util;
mod warn_audit_weaker;
mod windows_host_process;
mod would_be_rejected;

pub use allow_privilege_escalation::AllowPrivilegeEscalation;
pub use app_armor_profile::AppArmorProfile;
pub use capabilities_baseline::CapabilitiesBaseline;
pub use capabilities_restricted::CapabilitiesRestricted;
pub use enforce_label_missing::EnforceLabelMissing;
pub use enforce_privileged::EnforcePrivileged;
pub use host_namespaces::HostNamespaces;
pub use host_path_volumes::HostPathVolumes;
pub use host_ports::HostPorts;
pub use host_probes_and_host_lifecycle::HostProbesAndHostLifecycle;
pub use label_invalid::LabelInvalid;
pub use privileged::Privileged;
pub use proc_mount::ProcMount;
pub use proc_mount_restricted::ProcMountRestricted;
pub use restricted_volumes::RestrictedVolumes;
pub use run_as_non_root::RunAsNonRoot;
pub use run_as_user::RunAsUser;
pub use se_linux_options::SeLinuxOptions;
pub use seccomp_profile_baseline::SeccompProfileBaseline;
pub use seccomp_profile_restricted::SeccompProfileRestricted;
pub use sysctls::Sysctls;
pub use warn_audit_weaker::WarnAuditWeaker;
pub use windows_host_process::WindowsHostProcess;
pub use would_be_rejected::WouldBeRejected;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &WindowsHostProcess,
    &HostNamespaces,
    &Privileged,
    &CapabilitiesBaseline,
    &HostPathVolumes,
    &HostPorts,
    &AppArmorProfile,
    &SeLinuxOptions,
    &ProcMount,
    &SeccompProfileBaseline,
    &Sysctls,
    &HostProbesAndHostLifecycle,
    &RestrictedVolumes,
    &AllowPrivilegeEscalation,
    &RunAsNonRoot,
    &RunAsUser,
    &SeccompProfileRestricted,
    &CapabilitiesRestricted,
    &ProcMountRestricted,
    &EnforceLabelMissing,
    &EnforcePrivileged,
    &LabelInvalid,
    &WarnAuditWeaker,
    &WouldBeRejected,
];
