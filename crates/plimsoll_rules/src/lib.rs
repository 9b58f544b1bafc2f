//! plimsoll's rules and the engine that runs them.
//!
//! One file per rule under `rules/<group>/`, each declared with
//! [`declare_rule!`] so that its doc comment is its documentation. The registry
//! ([`registry::all_rules`]) lists them; [`select`] picks a run's set; [`engine`]
//! runs them over an [`plimsoll_model::Index`] and applies exemptions and baselines.
//! Nothing here does I/O.

pub mod config;
pub mod engine;
pub mod input;
pub mod live;
pub mod reads;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod select;
pub mod settings;

pub use config::{Config, FailOn};
pub use live::{DeprecatedRequest, LiveFacts};
pub use rule::{Context, Finding, Rule, RuleMeta, Severity, Sink};
pub use settings::Settings;
