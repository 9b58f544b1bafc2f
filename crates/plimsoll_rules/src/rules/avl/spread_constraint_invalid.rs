use plimsoll_model::{KubeVersion, Node, Object, PodTemplate, Pointer};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `topologySpreadConstraints` entries of any pod template (Pods, workloads,
    /// CronJobs, Argo Rollouts) that the API server rejects, as an error:
    /// - `maxSkew` missing or below 1;
    /// - `topologyKey` missing or empty;
    /// - `whenUnsatisfiable` missing or other than `DoNotSchedule` / `ScheduleAnyway`
    ///   (nothing defaults it);
    /// - the same (`topologyKey`, `whenUnsatisfiable`) pair as an earlier entry;
    /// - `minDomains` below 1, or set with a `whenUnsatisfiable` other than
    ///   `DoNotSchedule`;
    /// - `nodeAffinityPolicy` or `nodeTaintsPolicy` other than `Honor` / `Ignore`;
    /// - `matchLabelKeys` without a `labelSelector`;
    /// - a `matchLabelKeys` key that the `labelSelector` already selects on (in
    ///   `matchLabels` or `matchExpressions`). Before Kubernetes 1.34 the object itself
    ///   is rejected; from 1.34, where the API server merges `matchLabelKeys` into the
    ///   selector when it creates a pod, a workload is accepted and every pod it creates
    ///   is rejected instead.
    ///
    /// It also reports, as a warning, an entry without a `labelSelector` (and without
    /// `matchLabelKeys`): the API server accepts it, but a missing selector matches no
    /// pods, so every domain counts 0 and the constraint spreads nothing. One finding
    /// per offending entry, at its first offending field. kube-score's
    /// `pod-topology-spread-constraints` checks a subset of the same fields; plimsoll also
    /// checks duplicates, the node policies and `matchLabelKeys`, and it says which
    /// mistakes are rejected and which are silently useless.
    ///
    /// ## Why it matters in production
    /// A rejected template means the workload never rolls out: `kubectl apply` fails, or,
    /// for a matchLabelKeys overlap on 1.34 and later, the ReplicaSet reports
    /// `FailedCreate` and no new pod ever starts. A constraint that counts no pods lets
    /// every replica land in one zone or on one node while the manifest looks protected.
    ///
    /// ## Example
    /// ```yaml
    /// topologySpreadConstraints:
    ///   - maxSkew: 0
    ///     topologyKey: topology.kubernetes.io/zone
    ///     whenUnsatisfiable: ScheduleAnyway
    ///     minDomains: 3
    ///   - maxSkew: 1
    ///     topologyKey: kubernetes.io/hostname
    ///     whenUnsatisfiable: DoNotSchedule   # no labelSelector: counts no pods
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// topologySpreadConstraints:
    ///   - maxSkew: 1
    ///     topologyKey: topology.kubernetes.io/zone
    ///     whenUnsatisfiable: DoNotSchedule
    ///     minDomains: 3
    ///     labelSelector: {matchLabels: {app: api}}
    ///   - maxSkew: 1
    ///     topologyKey: kubernetes.io/hostname
    ///     whenUnsatisfiable: ScheduleAnyway
    ///     labelSelector: {matchLabels: {app: api}}
    ///     matchLabelKeys: [pod-template-hash]
    /// ```
    ///
    /// ## Fix safety
    /// The fix rewrites what has one accepted reading: a `whenUnsatisfiable`,
    /// `nodeAffinityPolicy` or `nodeTaintsPolicy` written in the wrong case gets the
    /// accepted spelling (`honor` becomes `Honor`), and a `maxSkew` or `minDomains`
    /// written as a quoted whole number of at least 1 becomes that number. It is safe:
    /// the API server rejected the entry, and the rewritten one says what the author
    /// wrote. Everything else has no fix: which skew, which domains, which selector and
    /// whether to schedule anyway is a decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#scheduling>
    pub struct SpreadConstraintInvalid {
        code: "AVL014",
        name: "spread-constraint-invalid",
        severity: Error,
        default: true,
        fix: Safe,
        summary: "A topology spread constraint is rejected by the API server or spreads nothing",
    }
}

/// What the API server does with an entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// It rejects the object.
    Rejected,
    /// It accepts the workload and rejects each pod created from it.
    PodsRejected,
    /// It accepts everything; the entry does nothing.
    Useless,
}

/// One thing wrong with an entry: where, what, and what the API server does with it.
struct Issue {
    path: Pointer,
    text: String,
    outcome: Outcome,
}

/// From this release the API server merges `matchLabelKeys` into the selector of each
/// pod it creates (MatchLabelKeysInPodTopologySpreadSelectorMerge, beta, on by default)
/// and validates the merged selector instead of the template's.
const SELECTOR_MERGE: KubeVersion = KubeVersion::new(1, 34);

/// A field that is present and not `null`.
fn field<'a>(entry: &'a Node, key: &str) -> Option<&'a Node> {
    entry.get(key).filter(|n| !n.is_null())
}

/// How a scalar reads in a message.
fn shown(n: &Node) -> String {
    match n.as_str() {
        Some(t) => format!("\"{t}\", a string,"),
        None => format!("`{}`", n.to_json()),
    }
}

/// The keys a label selector selects on (matchLabels and matchExpressions).
fn selector_keys(sel: &Node) -> Vec<&str> {
    let mut keys: Vec<&str> = sel
        .get("matchLabels")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    keys.extend(
        sel.get("matchExpressions")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.get("key").and_then(Node::as_text)),
    );
    keys
}

fn issues(
    t: &PodTemplate,
    version: KubeVersion,
    entries: &[Node],
    i: usize,
    base: &Pointer,
) -> Vec<Issue> {
    let entry = &entries[i];
    let at = |key: &str| base.index(i).key(key);
    let mut out = Vec::new();
    let mut rejected = |path: Pointer, text: String| {
        out.push(Issue {
            path,
            text,
            outcome: Outcome::Rejected,
        })
    };

    match field(entry, "maxSkew") {
        None => rejected(at("maxSkew"), "has no maxSkew (required)".into()),
        Some(n) => match n.as_i64() {
            Some(v) if v >= 1 => {}
            Some(v) => rejected(
                at("maxSkew"),
                format!("has maxSkew {v} (it must be at least 1)"),
            ),
            None => rejected(
                at("maxSkew"),
                format!(
                    "has maxSkew {} where an integer of at least 1 is required",
                    shown(n)
                ),
            ),
        },
    }

    let key = field(entry, "topologyKey")
        .and_then(Node::as_text)
        .unwrap_or("");
    if key.is_empty() {
        rejected(at("topologyKey"), "has no topologyKey".into());
    }

    let when = field(entry, "whenUnsatisfiable").and_then(Node::as_text);
    match when {
        Some("DoNotSchedule" | "ScheduleAnyway") => {}
        None | Some("") => rejected(
            at("whenUnsatisfiable"),
            "has no whenUnsatisfiable (required: DoNotSchedule or ScheduleAnyway)".into(),
        ),
        Some(w) => rejected(
            at("whenUnsatisfiable"),
            format!("has whenUnsatisfiable `{w}` (only DoNotSchedule or ScheduleAnyway)"),
        ),
    }

    if !key.is_empty()
        && let Some(earlier) = entries[..i].iter().position(|e| {
            field(e, "topologyKey").and_then(Node::as_text) == Some(key)
                && field(e, "whenUnsatisfiable").and_then(Node::as_text) == when
        })
    {
        rejected(
            at("topologyKey"),
            format!(
                "repeats the topologyKey `{key}` and whenUnsatisfiable {} of entry {earlier} \
                 (each pair may appear once)",
                when.unwrap_or("unset")
            ),
        );
    }

    if let Some(n) = field(entry, "minDomains") {
        match n.as_i64() {
            Some(v) if v >= 1 => {}
            Some(v) => rejected(
                at("minDomains"),
                format!("has minDomains {v} (it must be at least 1)"),
            ),
            None => rejected(
                at("minDomains"),
                format!(
                    "has minDomains {} where an integer of at least 1 is required",
                    shown(n)
                ),
            ),
        }
        if let Some(w) = when.filter(|w| *w != "DoNotSchedule") {
            rejected(
                at("minDomains"),
                format!(
                    "sets minDomains with whenUnsatisfiable `{w}` (only DoNotSchedule allows it)"
                ),
            );
        }
    }

    for policy in ["nodeAffinityPolicy", "nodeTaintsPolicy"] {
        if let Some(n) = field(entry, policy)
            && !matches!(n.as_text(), Some("Honor" | "Ignore"))
        {
            let value = n.as_text().map_or_else(|| shown(n), |t| format!("`{t}`"));
            rejected(
                at(policy),
                format!("has {policy} {value} (only Honor or Ignore)"),
            );
        }
    }

    let selector = field(entry, "labelSelector");
    let match_label_keys = field(entry, "matchLabelKeys")
        .map(Node::items)
        .unwrap_or_default();
    if !match_label_keys.is_empty() {
        match selector {
            None => rejected(
                at("matchLabelKeys"),
                "sets matchLabelKeys without a labelSelector".into(),
            ),
            Some(sel) => {
                let keys = selector_keys(sel);
                let merged = version >= SELECTOR_MERGE;
                for (k, n) in match_label_keys.iter().enumerate() {
                    let Some(name) = n.as_text().filter(|name| keys.contains(name)) else {
                        continue;
                    };
                    // once merged, only a pod that carries the label gets the duplicate
                    if merged && !t.labels().any(|(l, _)| l == name) {
                        continue;
                    }
                    out.push(Issue {
                        path: base.index(i).key("matchLabelKeys").index(k),
                        text: format!(
                            "names `{name}` in matchLabelKeys although its labelSelector already \
                             selects on `{name}`"
                        ),
                        outcome: if merged && !t.is_pod() {
                            Outcome::PodsRejected
                        } else {
                            Outcome::Rejected
                        },
                    });
                }
            }
        }
    } else if selector.is_none() {
        out.push(Issue {
            path: at("labelSelector"),
            text: "has no labelSelector, so it counts no pods and spreads nothing: the \
                   scheduler places the pods as if the constraint were not there"
                .into(),
            outcome: Outcome::Useless,
        });
    }
    out
}

/// The rewrites of an entry's fields that have one accepted reading: an enum in the
/// wrong case, a whole number written as a string.
fn repairs(entry: &Node) -> Vec<(&'static str, serde_json::Value)> {
    let mut out = Vec::new();
    for key in ["maxSkew", "minDomains"] {
        if let Some(v) = field(entry, key)
            .and_then(Node::as_str)
            .and_then(|t| t.parse::<i64>().ok())
            .filter(|v| *v >= 1)
        {
            out.push((key, serde_json::json!(v)));
        }
    }
    for (key, accepted) in [
        ("whenUnsatisfiable", &["DoNotSchedule", "ScheduleAnyway"]),
        ("nodeAffinityPolicy", &["Honor", "Ignore"]),
        ("nodeTaintsPolicy", &["Honor", "Ignore"]),
    ] {
        let Some(text) = field(entry, key).and_then(Node::as_text) else {
            continue;
        };
        if let Some(a) = accepted
            .iter()
            .find(|a| **a != text && a.eq_ignore_ascii_case(text))
        {
            out.push((key, serde_json::json!(a)));
        }
    }
    out
}

impl Rule for SpreadConstraintInvalid {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let entries = t
            .spec_field("topologySpreadConstraints")
            .map(Node::items)
            .unwrap_or_default();
        let base = t.spec_pointer(&["topologySpreadConstraints"]);
        for i in 0..entries.len() {
            if !entries[i].is_map() {
                continue;
            }
            let found = issues(&t, cx.kube_version, entries, i, &base);
            let Some(first) = found.first() else {
                continue;
            };
            let has = |o: Outcome| found.iter().any(|f| f.outcome == o);
            let texts: Vec<&str> = found.iter().map(|f| f.text.as_str()).collect();
            let verdict = if has(Outcome::Rejected) {
                format!(": the API server rejects the {}", obj.kind)
            } else if has(Outcome::PodsRejected) {
                format!(
                    ": from Kubernetes {SELECTOR_MERGE} the API server merges matchLabelKeys into \
                     the selector and rejects every pod the {} creates",
                    obj.kind
                )
            } else {
                String::new()
            };
            let rejected = has(Outcome::Rejected) || has(Outcome::PodsRejected);
            let f = out.report(
                id,
                first.path.clone(),
                format!(
                    "topologySpreadConstraints[{i}] of {} `{}` {}{verdict}",
                    obj.kind,
                    obj.name,
                    texts.join("; it ")
                ),
            );
            if !rejected {
                f.severity = Severity::Warning;
            }
            let edits = repairs(&entries[i]);
            if !edits.is_empty() {
                let shown: Vec<String> = edits
                    .iter()
                    .map(|(key, v)| match v.as_str() {
                        Some(t) => format!("{key}: {t}"),
                        None => format!("{key}: {v}"),
                    })
                    .collect();
                let mut fix = Fix::new(Applicability::Safe, format!("write {}", shown.join(", ")));
                for (key, value) in edits {
                    fix = fix.replace(&base.index(i).key(key), value);
                }
                f.fix(fix);
            }
        }
    }
}
