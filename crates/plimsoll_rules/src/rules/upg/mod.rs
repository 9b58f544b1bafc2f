//! `UPG`: what breaks when the cluster moves to the judged Kubernetes version
//! (`--kube-version`, which `plimsoll upgrade --to` sets): manifests Helm and kubectl
//! recorded in removed API versions, managers still writing them, admission webhooks
//! and policies that will match nothing, pods the namespace's `latest` Pod Security
//! level starts rejecting, and kubelets the new control plane leaves outside the
//! supported version skew.
//!
//! Opt-in (`plimsoll upgrade` selects them; `--extend-select UPG` elsewhere): judged at
//! the default version (the newest), a cluster that is not being upgraded would be
//! reported for an upgrade nobody asked for. They never run at admission.

mod admission_matches_removed_version;
mod helm_release_removed_api;
mod kubelet_skew_at_target;
mod last_applied_removed_api;
mod managed_fields_removed_api;
mod pss_rejects_after_upgrade;
pub mod util;

pub use admission_matches_removed_version::AdmissionMatchesRemovedVersion;
pub use helm_release_removed_api::HelmReleaseRemovedApi;
pub use kubelet_skew_at_target::KubeletSkewAtTarget;
pub use last_applied_removed_api::LastAppliedRemovedApi;
pub use managed_fields_removed_api::ManagedFieldsRemovedApi;
pub use pss_rejects_after_upgrade::PssRejectsAfterUpgrade;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &LastAppliedRemovedApi,
    &ManagedFieldsRemovedApi,
    &HelmReleaseRemovedApi,
    &AdmissionMatchesRemovedVersion,
    &PssRejectsAfterUpgrade,
    &KubeletSkewAtTarget,
];
