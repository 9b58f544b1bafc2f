//! `PRB`: Probes and lifecycle.

mod liveness_before_startup;
mod liveness_probe_missing;
mod liveness_same_as_readiness;
mod prestop_missing;
mod probe_on_init_container;
mod probe_port_undeclared;
mod probe_timeout_exceeds_period;
mod readiness_probe_missing;
mod termination_grace_period_too_short;
mod util;

pub use liveness_before_startup::LivenessBeforeStartup;
pub use liveness_probe_missing::LivenessProbeMissing;
pub use liveness_same_as_readiness::LivenessSameAsReadiness;
pub use prestop_missing::PrestopMissing;
pub use probe_on_init_container::ProbeOnInitContainer;
pub use probe_port_undeclared::ProbePortUndeclared;
pub use probe_timeout_exceeds_period::ProbeTimeoutExceedsPeriod;
pub use readiness_probe_missing::ReadinessProbeMissing;
pub use termination_grace_period_too_short::TerminationGracePeriodTooShort;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ReadinessProbeMissing,
    &LivenessProbeMissing,
    &LivenessSameAsReadiness,
    &ProbeTimeoutExceedsPeriod,
    &LivenessBeforeStartup,
    &ProbeOnInitContainer,
    &PrestopMissing,
    &TerminationGracePeriodTooShort,
    &ProbePortUndeclared,
];
