//! `MON`: monitoring with prometheus-operator (`monitoring.coreos.com`): metrics
//! endpoints that no ServiceMonitor or PodMonitor scrapes, and monitors whose
//! selectors or port names match nothing.
//!
//! They run only where prometheus-operator is evidently installed: a ServiceMonitor
//! or PodMonitor, or their CustomResourceDefinition, among the inputs (or in the
//! cluster for a live audit).

mod metrics_endpoint_not_scraped;
mod monitor_selects_nothing;
pub mod util;

pub use metrics_endpoint_not_scraped::MetricsEndpointNotScraped;
pub use monitor_selects_nothing::MonitorSelectsNothing;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[&MetricsEndpointNotScraped, &MonitorSelectsNothing];
