use plimsoll_model::{Object, PodTemplate};

use super::util::{Probe, probed};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers whose liveness and readiness probes run the same check (same
    /// `httpGet` scheme, host, path, port and headers; same `tcpSocket` port; same
    /// `exec` command; same `grpc` port and service; named ports resolved) while the
    /// liveness probe gives up no later than the readiness probe. The failure window
    /// of a probe is `failureThreshold × periodSeconds`, with the Kubernetes defaults
    /// 3 and 10 for fields left out. Identical checks are accepted when liveness
    /// clearly waits longer than readiness.
    ///
    /// ## Why it matters in production
    /// Readiness answers "send me traffic?", liveness "kill me?". When both run the
    /// same check with the same patience, a slow dependency or a load spike fails both
    /// at once: instead of only being taken out of the Service until it recovers, the
    /// container is restarted, loses its warm state, and the remaining pods get even
    /// more load. Under stress this turns into a restart cascade across the fleet.
    ///
    /// ## Example
    /// ```yaml
    /// readinessProbe:
    ///   httpGet: {path: /healthz, port: 8080}
    /// livenessProbe:
    ///   httpGet: {path: /healthz, port: 8080}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// readinessProbe:
    ///   httpGet: {path: /healthz, port: 8080}
    /// livenessProbe:
    ///   httpGet: {path: /healthz, port: 8080}
    ///   failureThreshold: 9   # 90s, three times the readiness window
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets the liveness probe's `failureThreshold` to the least value that
    /// makes its failure window (at its own `periodSeconds`) at least three times the
    /// readiness window, as in the example above. It is display-only: a dedicated
    /// liveness endpoint is usually the better answer, and a longer threshold leaves a
    /// hung container running longer before it is restarted.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe>
    pub struct LivenessSameAsReadiness {
        code: "PRB003",
        name: "liveness-same-as-readiness",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "Liveness and readiness probes run the same check with the same patience",
    }
}

impl Rule for LivenessSameAsReadiness {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers().filter(|c| probed(c.kind)) {
            let (Some(live), Some(ready)) = (
                Probe::of(&c, "livenessProbe"),
                Probe::of(&c, "readinessProbe"),
            ) else {
                continue;
            };
            let (Some((lk, desc)), Some((rk, _))) = (live.handler(&c), ready.handler(&c)) else {
                continue;
            };
            if lk != rk {
                continue;
            }
            let (lw, rw) = (live.failure_window(), ready.failure_window());
            if lw <= rw {
                // three times the readiness window, at the liveness period
                let period = live.period().max(1);
                let threshold = (3 * rw + period - 1) / period;
                let path = c.field_pointer(&["livenessProbe", "failureThreshold"]);
                out.report_container(
                    id,
                    &c,
                    c.field_pointer(&["livenessProbe"]),
                    format!(
                        "liveness and readiness probes of {} `{}` both run {desc}, and liveness restarts it after {lw}s of failures, no later than readiness takes it out of service ({rw}s)",
                        c.kind.as_str(),
                        c.name
                    ),
                )
                .fix(
                    Fix::new(
                        Applicability::DisplayOnly,
                        format!("set livenessProbe.failureThreshold: {threshold}"),
                    )
                    .set(&obj.root, &path, serde_json::json!(threshold)),
                );
            }
        }
    }
}
