//! `API`: Deprecated and removed APIs.

mod alpha_api;
mod api_deprecated;
mod api_removed;
mod api_version_unknown;
mod migrate;
mod service_account_field_deprecated;
pub mod table;
pub(crate) mod util;

pub use alpha_api::AlphaApi;
pub use api_deprecated::ApiDeprecated;
pub use api_removed::ApiRemoved;
pub use api_version_unknown::ApiVersionUnknown;
pub use service_account_field_deprecated::ServiceAccountFieldDeprecated;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ApiRemoved,
    &ApiDeprecated,
    &AlphaApi,
    &ApiVersionUnknown,
    &ServiceAccountFieldDeprecated,
];
