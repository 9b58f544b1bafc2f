use plimsoll_model::{Object, PodTemplate, Quantity};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers (regular, init, sidecar) whose cpu limit is more than
    /// `max-cpu-limit-ratio` (default 4) times their cpu request, or whose memory
    /// limit is more than `max-memory-limit-ratio` (default 2) times their memory
    /// request. Only containers with both a request and a limit written are judged (a
    /// limit alone means request = limit).
    ///
    /// ## Why it matters in production
    /// The scheduler packs nodes by requests, so a large gap between request and limit
    /// is overcommitment: when several pods of a node use what their limits allow at
    /// the same time, memory runs out and the kubelet evicts (or the kernel OOM-kills)
    /// pods, cpu-bound pods slow each other down. The wider the gap, the less the
    /// request says about what the pod really needs.
    ///
    /// ## Example
    /// ```yaml
    /// resources:
    ///   requests: {cpu: 100m, memory: 128Mi}
    ///   limits: {cpu: "2", memory: 2Gi}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// resources:
    ///   requests: {cpu: 500m, memory: 1Gi}
    ///   limits: {cpu: "2", memory: 1Gi}
    /// ```
    ///
    /// ## Fix safety
    /// The fix lowers the limit to the allowed ratio times the request (rounded down to
    /// a millicore or a byte, written as `cpu` or memory quantities are: `400m`,
    /// `256Mi`). It is display-only: raising the request or lowering the limit are both
    /// valid, which one is right depends on real usage, and a lower limit throttles or
    /// OOM-kills a container that used to burst above it.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    /// - <https://kubernetes.io/docs/concepts/policy/limit-range/>
    pub struct LimitRequestRatio {
        code: "RES006",
        name: "limit-request-ratio",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "A resource limit is far above its request",
    }
}

impl Rule for LimitRequestRatio {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            let r = c.resources();
            for (res, max) in [
                ("cpu", cx.settings.max_cpu_limit_ratio),
                ("memory", cx.settings.max_memory_limit_ratio),
            ] {
                let (Some(req), Some(lim)) = (r.requests.get(res), r.limits.get(res)) else {
                    continue;
                };
                let Some(ratio) = lim.ratio(&req) else {
                    continue;
                };
                if ratio > max {
                    let (l, q) = if res == "cpu" {
                        (lim.cpu_string(), req.cpu_string())
                    } else {
                        (lim.memory_string(), req.memory_string())
                    };
                    let path = c.field_pointer(&["resources", "limits", res]);
                    // the largest limit the ratio allows, in whole millicores or bytes
                    let most = req.nanos() as f64 * max;
                    let lowered = if res == "cpu" {
                        let m = (most / 1e6).floor() as i64;
                        (m > 0).then(|| Quantity::from_milli(m).cpu_string())
                    } else {
                        let b = (most / 1e9).floor() as i64;
                        (b > 0).then(|| Quantity::from_units(b).memory_string())
                    };
                    let f = out.report_container(
                        id,
                        &c,
                        path.clone(),
                        format!(
                            "{} `{}` has a {res} limit ({l}) {} times its request ({q}), above the allowed {max}",
                            c.kind.as_str(),
                            c.name,
                            fmt_ratio(ratio)
                        ),
                    );
                    if let Some(v) = lowered {
                        f.fix(
                            Fix::new(
                                Applicability::DisplayOnly,
                                format!(
                                    "lower the {res} limit to {} times the request ({v}), or raise the request",
                                    fmt_ratio(max)
                                ),
                            )
                            .replace(&path, serde_json::json!(v)),
                        );
                    }
                }
            }
        }
    }
}

fn fmt_ratio(r: f64) -> String {
    let s = format!("{r:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}
