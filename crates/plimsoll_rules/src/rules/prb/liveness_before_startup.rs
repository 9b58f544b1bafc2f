use plimsoll_model::{Object, PodTemplate};

use super::util::{Probe, probed};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// The least time a container gets to start before its liveness probe can kill it,
/// when no startupProbe holds the liveness probe off. Kubernetes' own defaults
/// (`initialDelaySeconds: 0`, `failureThreshold: 3`, `periodSeconds: 10`) give 30 s;
/// a configuration tighter than the defaults is what this rule reports.
const MIN_STARTUP_SECONDS: i64 = 30;

declare_rule! {
    /// ## What it does
    /// Reports regular and sidecar containers that have a `livenessProbe`, no
    /// `startupProbe`, and a liveness probe that can kill them less than 30 seconds
    /// after they start: `initialDelaySeconds + failureThreshold × periodSeconds < 30`
    /// (defaults 0, 3 and 10, which give exactly 30 s and are not reported). The
    /// estimate is the latest first kill; the kubelet may act up to one period
    /// earlier.
    ///
    /// ## Why it matters in production
    /// Until the application listens, every liveness check fails. If the liveness probe
    /// gives up before a slow start completes (a JVM warming up, a cache loading, a
    /// migration check, a cold node pulling data) the container is killed, restarted,
    /// killed again, and ends in CrashLoopBackOff, often only under load or on busy
    /// nodes, when starts are slowest. A `startupProbe` disables liveness until the
    /// application has started once, so liveness can stay strict afterwards.
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet: {path: /livez, port: 8080}
    ///   periodSeconds: 5
    ///   failureThreshold: 2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// startupProbe:
    ///   httpGet: {path: /livez, port: 8080}
    ///   periodSeconds: 5
    ///   failureThreshold: 60   # up to 5 minutes to start
    /// livenessProbe:
    ///   httpGet: {path: /livez, port: 8080}
    ///   periodSeconds: 5
    ///   failureThreshold: 2
    /// ```
    ///
    /// ## Fix safety
    /// The fix raises the liveness probe's `initialDelaySeconds` to
    /// `30 − failureThreshold × periodSeconds`, the least delay that gives the
    /// container the 30 seconds of Kubernetes' defaults before the probe can kill it.
    /// It is unsafe: a container that hangs while starting is restarted that much later,
    /// and an application that needs longer still needs a `startupProbe`.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/#startup-probe>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-startup-probes>
    pub struct LivenessBeforeStartup {
        code: "PRB005",
        name: "liveness-before-startup",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A liveness probe can kill the container before it has started, with no startup probe",
    }
}

impl Rule for LivenessBeforeStartup {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers().filter(|c| probed(c.kind)) {
            let Some(live) = Probe::of(&c, "livenessProbe") else {
                continue;
            };
            if Probe::of(&c, "startupProbe").is_some() || !live.invalid_timing().is_empty() {
                // invalid timing values are PRB004's
                continue;
            }
            let (delay, threshold, period) = (
                live.initial_delay(),
                live.failure_threshold(),
                live.period(),
            );
            let kill = delay + threshold * period;
            if kill < MIN_STARTUP_SECONDS {
                let to = MIN_STARTUP_SECONDS - threshold * period;
                out.report_container(
                    id,
                    &c,
                    c.field_pointer(&["startupProbe"]),
                    format!(
                        "the livenessProbe of {} `{}` can restart it {kill}s after start (initialDelaySeconds {delay} + failureThreshold {threshold} × periodSeconds {period}) and no startupProbe holds it off",
                        c.kind.as_str(),
                        c.name
                    ),
                )
                .fix(
                    Fix::new(
                        Applicability::Unsafe,
                        format!("set livenessProbe.initialDelaySeconds: {to}"),
                    )
                    .set(
                        &obj.root,
                        &c.field_pointer(&["livenessProbe", "initialDelaySeconds"]),
                        serde_json::json!(to),
                    ),
                );
            }
        }
    }
}
