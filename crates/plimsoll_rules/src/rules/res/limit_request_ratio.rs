use plimsoll_model::{Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

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
    /// No automatic fix: raising the request or lowering the limit are both valid,
    /// and which one is right depends on real usage.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    /// - <https://kubernetes.io/docs/concepts/policy/limit-range/>
    pub struct LimitRequestRatio {
        code: "RES006",
        name: "limit-request-ratio",
        severity: Warning,
        default: true,
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
                    out.report_container(
                        id,
                        &c,
                        c.field_pointer(&["resources", "limits", res]),
                        format!(
                            "{} `{}` has a {res} limit ({l}) {} times its request ({q}), above the allowed {max}",
                            c.kind.as_str(),
                            c.name,
                            fmt_ratio(ratio)
                        ),
                    );
                }
            }
        }
    }
}

fn fmt_ratio(r: f64) -> String {
    let s = format!("{r:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}
