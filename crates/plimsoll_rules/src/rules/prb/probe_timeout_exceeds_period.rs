use plimsoll_model::{Object, PodTemplate};

use super::util::{PROBES, Probe, probed};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports liveness, readiness and startup probes whose `timeoutSeconds` (default
    /// 1) is not shorter than their `periodSeconds` (default 10), on regular and
    /// sidecar containers. Defaults count: `periodSeconds: 1` alone is reported.
    ///
    /// Timing values the API server rejects (`periodSeconds`, `timeoutSeconds`,
    /// `successThreshold` or `failureThreshold` below 1, `initialDelaySeconds` below 0,
    /// or not whole numbers) are reported as such, and the probe's timing is not judged
    /// further here or by PRB005.
    ///
    /// ## Why it matters in production
    /// The kubelet runs one probe at a time per container, so a probe that may take as
    /// long as its period silently stretches the period: failures are detected later
    /// than `failureThreshold × periodSeconds` promises, and readiness lags behind
    /// reality during incidents. It usually means the two values were swapped or the
    /// timeout was raised to hide a slow endpoint.
    ///
    /// ## Example
    /// ```yaml
    /// readinessProbe:
    ///   httpGet: {path: /ready, port: 8080}
    ///   periodSeconds: 5
    ///   timeoutSeconds: 10
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// readinessProbe:
    ///   httpGet: {path: /ready, port: 8080}
    ///   periodSeconds: 10
    ///   timeoutSeconds: 3
    /// ```
    ///
    /// ## Fix safety
    /// When the period is 2 seconds or more, the fix sets `timeoutSeconds` to one second
    /// less than `periodSeconds`. It is unsafe: a check that needed the longer timeout now
    /// fails, which takes the container out of its Service (readiness) or restarts it
    /// (liveness); raising `periodSeconds` instead may be what the author meant.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#configure-probes>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe>
    pub struct ProbeTimeoutExceedsPeriod {
        code: "PRB004",
        name: "probe-timeout-exceeds-period",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A probe's timeout is not shorter than its period",
    }
}

impl Rule for ProbeTimeoutExceedsPeriod {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers().filter(|c| probed(c.kind)) {
            for field in PROBES {
                let Some(p) = Probe::of(&c, field) else {
                    continue;
                };
                let invalid = p.invalid_timing();
                if !invalid.is_empty() {
                    for (key, text, min) in invalid {
                        out.report_container(
                            id,
                            &c,
                            c.field_pointer(&[field, key]),
                            format!(
                                "{field} of {} `{}` has {key} `{text}`, which is not a whole \
                                 number of {min} or more: the API server rejects the probe",
                                c.kind.as_str(),
                                c.name
                            ),
                        );
                    }
                    continue;
                }
                let (timeout, period) = (p.timeout(), p.period());
                if timeout < period {
                    continue;
                }
                let key = if p.node.get("timeoutSeconds").is_some() {
                    "timeoutSeconds"
                } else {
                    "periodSeconds"
                };
                let f = out.report_container(
                    id,
                    &c,
                    c.field_pointer(&[field, key]),
                    format!(
                        "{field} of {} `{}` has timeoutSeconds ({timeout}) not shorter than periodSeconds ({period})",
                        c.kind.as_str(),
                        c.name
                    ),
                );
                // a timeout of at least 1 second below the period
                if period >= 2 {
                    let to = period - 1;
                    f.fix(
                        Fix::new(Applicability::Unsafe, format!("set timeoutSeconds: {to}")).set(
                            &obj.root,
                            &c.field_pointer(&[field, "timeoutSeconds"]),
                            serde_json::json!(to),
                        ),
                    );
                }
            }
        }
    }
}
