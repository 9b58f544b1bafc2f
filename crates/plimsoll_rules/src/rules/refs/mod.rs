//! `REF`: Dangling references between objects.

mod configmap_key_not_found;
mod configmap_not_found;
mod image_pull_secret_not_found;
mod priority_class_not_found;
mod pvc_not_found;
mod secret_key_not_found;
mod secret_not_found;
mod service_account_not_found;
mod util;

pub use configmap_key_not_found::ConfigmapKeyNotFound;
pub use configmap_not_found::ConfigmapNotFound;
pub use image_pull_secret_not_found::ImagePullSecretNotFound;
pub use priority_class_not_found::PriorityClassNotFound;
pub use pvc_not_found::PvcNotFound;
pub use secret_key_not_found::SecretKeyNotFound;
pub use secret_not_found::SecretNotFound;
pub use service_account_not_found::ServiceAccountNotFound;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ConfigmapNotFound,
    &ConfigmapKeyNotFound,
    &SecretNotFound,
    &ImagePullSecretNotFound,
    &PvcNotFound,
    &ServiceAccountNotFound,
    &PriorityClassNotFound,
    &SecretKeyNotFound,
];

#[cfg(test)]
mod tests;
