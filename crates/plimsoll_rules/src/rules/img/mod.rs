//! `IMG`: Images and supply chain.

mod image_not_pinned_by_digest;
mod image_pull_policy_inconsistent;
mod image_signature_policy_missing;
mod image_tag_latest;
mod registry_not_allowed;
pub mod util;
mod vulnerabilities_fixable;

pub use image_not_pinned_by_digest::ImageNotPinnedByDigest;
pub use image_pull_policy_inconsistent::ImagePullPolicyInconsistent;
pub use image_signature_policy_missing::ImageSignaturePolicyMissing;
pub use image_tag_latest::ImageTagLatest;
pub use registry_not_allowed::RegistryNotAllowed;
pub use vulnerabilities_fixable::VulnerabilitiesFixable;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ImageTagLatest,
    &ImageNotPinnedByDigest,
    &RegistryNotAllowed,
    &ImagePullPolicyInconsistent,
    &ImageSignaturePolicyMissing,
    &VulnerabilitiesFixable,
];
