use plimsoll_model::{Node, Object, PodTemplate, Pointer, Quantity, QuantityError};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// Above this many cores a cpu value was almost certainly meant in millicores.
const MAX_PLAUSIBLE_CORES: i64 = 64;

declare_rule! {
    /// ## What it does
    /// Reports resource requests and limits (of containers and of the pod-level
    /// `spec.resources`) that Kubernetes does not read as their author meant:
    /// - values that are not quantities at all (`abc`, `1gb`) or have an unknown
    ///   suffix (`1K`: Kubernetes knows `k` and `Ki`, not `K`), or are negative: the
    ///   API server rejects them;
    /// - memory in millibytes (`memory: 512m` is 0.512 bytes, not 512 MiB);
    /// - memory below 1Mi written without a suffix (`memory: 512` is 512 bytes);
    /// - cpu above 64 cores (`cpu: 500` is 500 cores, not 500 millicores).
    ///
    /// ## Why it matters in production
    /// An invalid quantity makes the API server reject the pod, so a Deployment's
    /// rollout silently stalls. The valid-but-wrong values are worse: `512m` of memory
    /// or a 512-byte limit kills the container at start, and a 500-core request makes
    /// the pod unschedulable forever (`Insufficient cpu`).
    ///
    /// ## Example
    /// ```yaml
    /// resources:
    ///   requests: {cpu: 500, memory: 512m}
    ///   limits: {memory: 1gb}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// resources:
    ///   requests: {cpu: 500m, memory: 512Mi}
    ///   limits: {memory: 1Gi}
    /// ```
    ///
    /// ## Fix safety
    /// For the valid-but-wrong values the fix writes the unit the message names:
    /// `512m` of memory becomes `512Mi`, a memory value below 1Mi without a suffix
    /// (`512`) becomes `512Mi`, and a whole number of cpu cores above 64 (`500`)
    /// becomes `500m`. It is display-only: which unit was meant is a guess, even when
    /// it is a likely one. Values the API server rejects get no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/>
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#resource-units-in-kubernetes>
    pub struct InvalidQuantity {
        code: "RES011",
        name: "invalid-quantity",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "A resource quantity is invalid or not what its author meant",
    }
}

impl Rule for InvalidQuantity {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if let Some(r) = t.spec.get("resources") {
            for (path, msg, fix) in
                judge(r, t.spec_pointer(&["resources"]), "the pod-level resources")
            {
                let f = out.report(id, path, msg);
                if let Some(fix) = fix {
                    f.fix(fix);
                }
            }
        }
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            let Some(r) = c.get("resources") else {
                continue;
            };
            let who = format!("{} `{}`", c.kind.as_str(), c.name);
            for (path, msg, fix) in judge(r, c.field_pointer(&["resources"]), &who) {
                let f = out.report_container(id, &c, path, msg);
                if let Some(fix) = fix {
                    f.fix(fix);
                }
            }
        }
    }
}

/// The value rewritten with the unit that was most likely meant: shown, never applied.
fn unit_fix(path: &Pointer, res: &str, text: &str, written: String) -> Fix {
    Fix::new(
        Applicability::DisplayOnly,
        format!("write the {res} value `{text}` as `{written}`"),
    )
    .replace(path, serde_json::json!(written))
}

fn judge(resources: &Node, base: Pointer, who: &str) -> Vec<(Pointer, String, Option<Fix>)> {
    let mut found = Vec::new();
    for list in ["requests", "limits"] {
        let what = &list[..list.len() - 1];
        for e in resources.get(list).map(Node::entries).unwrap_or_default() {
            let Some(text) = e.value.as_text() else {
                continue;
            };
            let res = e.key.as_str();
            let path = base.clone().key(list).key(res);
            let mut fix = None;
            let msg = match Quantity::parse(text) {
                Err(QuantityError::Suffix(s)) => format!(
                    "the {res} {what} `{text}` of {who} has the unknown suffix `{s}`; the API server rejects it (decimal suffixes are k, M, G, T, P, E and binary ones Ki, Mi, Gi, Ti, Pi, Ei)"
                ),
                Err(QuantityError::Format) => format!(
                    "the {res} {what} `{text}` of {who} is not a quantity; the API server rejects it (write a number with an optional suffix, such as 500m or 256Mi)"
                ),
                Err(QuantityError::TooLarge) => format!(
                    "the {res} {what} `{text}` of {who} is too large for Kubernetes; the API server rejects it"
                ),
                Ok(q) if q < 0 => format!(
                    "the {res} {what} `{text}` of {who} is negative; the API server rejects it"
                ),
                Ok(q) if res == "memory" && text.trim_end().ends_with('m') && !q.is_zero() => {
                    let n = text.trim().trim_end_matches('m');
                    fix = Some(unit_fix(&path, res, text, format!("{n}Mi")));
                    format!(
                        "the memory {what} `{text}` of {who} is read as {} millibytes (rounded up to {} byte{}); `m` means milli, write `{}Mi` for mebibytes",
                        text.trim_end().trim_end_matches('m'),
                        q.units_ceil(),
                        if q.units_ceil() == 1 { "" } else { "s" },
                        text.trim_end().trim_end_matches('m')
                    )
                }
                Ok(q)
                    if res == "memory"
                        && !q.is_zero()
                        && q < (1 << 20)
                        && text.trim().bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
                {
                    fix = Some(unit_fix(&path, res, text, format!("{}Mi", text.trim())));
                    format!(
                        "the memory {what} `{text}` of {who} is read as {} bytes, too little for any container; add a unit such as Mi",
                        q.memory_string()
                    )
                }
                Ok(q) if res == "cpu" && q > MAX_PLAUSIBLE_CORES => {
                    if text.trim().bytes().all(|b| b.is_ascii_digit()) {
                        fix = Some(unit_fix(&path, res, text, format!("{}m", text.trim())));
                    }
                    format!(
                        "the cpu {what} `{text}` of {who} is read as {} cores; write `{}m` for millicores",
                        q.cpu_string(),
                        text.trim()
                    )
                }
                Ok(_) => continue,
            };
            found.push((path, msg, fix));
        }
    }
    found
}
