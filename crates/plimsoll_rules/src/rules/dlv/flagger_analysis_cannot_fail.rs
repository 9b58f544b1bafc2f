use plimsoll_model::{Node, Object, Pointer};

use super::util::is_flagger_canary;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Flagger's built-in metrics (queried from the mesh or ingress provider).
const BUILTIN: &[&str] = &["request-success-rate", "request-duration"];

declare_rule! {
    /// ## What it does
    /// Reports a Flagger `Canary` whose analysis cannot stop a bad release:
    /// - `spec.skipAnalysis: true`, or no `spec.analysis` (nor the older
    ///   `spec.canaryAnalysis`): the canary is promoted without checks;
    /// - an analysis with no `metrics`: only pod readiness (and webhooks) gate
    ///   promotion;
    /// - a metric that can never fail, as Flagger's scheduler evaluates it: a
    ///   `thresholdRange` with neither `min` nor `max`; `request-success-rate` with a
    ///   `min` of 0 or less and no `max` below 100, or with no `thresholdRange` and
    ///   no positive `threshold` (the legacy check is `threshold > value`); a metric
    ///   that is neither built in nor has a `query` or `templateRef`, which is never
    ///   queried.
    ///
    /// ## Why it matters in production
    /// Flagger rolls a canary back when its metric checks fail `threshold` times. A
    /// check that cannot fail turns the analysis into a timer: the canary advances
    /// step by step and is promoted whatever its error rate, with the reassurance of a
    /// progressive delivery that checks nothing.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: flagger.app/v1beta1
    /// kind: Canary
    /// metadata: {name: web}
    /// spec:
    ///   targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    ///   service: {port: 80}
    ///   analysis:
    ///     interval: 1m
    ///     threshold: 5
    ///     stepWeight: 10
    ///     maxWeight: 50
    ///     metrics:
    ///       - name: request-success-rate
    ///         thresholdRange: {min: 0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     metrics:
    ///       - name: request-success-rate
    ///         thresholdRange: {min: 99}
    ///         interval: 1m
    ///       - name: request-duration
    ///         thresholdRange: {max: 500}
    ///         interval: 1m
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: thresholds must come from the service's objectives.
    ///
    /// ## References
    /// - <https://docs.flagger.app/usage/metrics>
    /// - <https://docs.flagger.app/usage/how-it-works>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/>
    pub struct FlaggerAnalysisCannotFail {
        code: "DLV004",
        name: "flagger-analysis-cannot-fail",
        severity: Warning,
        default: true,
        summary: "A Flagger Canary has no analysis metrics, or metrics whose thresholds can never fail",
    }
}

fn number(n: Option<&Node>) -> Option<f64> {
    n.and_then(|n| n.as_f64())
}

/// Why a metric can never fail, when it cannot.
fn never_fails(m: &Node) -> Option<String> {
    let name = m.get("name").and_then(Node::as_text).unwrap_or("");
    let custom = m.get("query").is_some() || m.get("templateRef").is_some();
    if !custom && !BUILTIN.contains(&name) {
        return Some(format!(
            "metric `{name}` is not built in and has no query or templateRef: Flagger never \
             queries it"
        ));
    }
    let range = m.get("thresholdRange").filter(|r| !r.is_null());
    if let Some(r) = range {
        let (min, max) = (number(r.get("min")), number(r.get("max")));
        if min.is_none() && max.is_none() {
            return Some(format!(
                "metric `{name}` has a thresholdRange with neither min nor max: no value fails it"
            ));
        }
        if name == "request-success-rate"
            && !custom
            && min.is_none_or(|v| v <= 0.0)
            && max.is_none_or(|v| v >= 100.0)
        {
            return Some(format!(
                "metric `{name}` accepts every success rate (thresholdRange min {}): no value fails it",
                min.map_or("unset".to_string(), |v| v.to_string())
            ));
        }
        return None;
    }
    if name == "request-success-rate"
        && !custom
        && number(m.get("threshold")).is_none_or(|t| t <= 0.0)
    {
        return Some(format!(
            "metric `{name}` has no thresholdRange and no positive threshold: no success rate \
             fails it"
        ));
    }
    None
}

impl Rule for FlaggerAnalysisCannotFail {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_flagger_canary(obj) {
            return;
        }
        let spec = obj.spec();
        if spec
            .and_then(|s| s.get("skipAnalysis"))
            .and_then(Node::as_bool)
            == Some(true)
        {
            out.report(
                id,
                Pointer::root().keys(&["spec", "skipAnalysis"]),
                format!(
                    "Canary `{}` sets skipAnalysis: true: every release is promoted without checks",
                    obj.name
                ),
            );
            return;
        }
        let (key, analysis) = match ["analysis", "canaryAnalysis"].into_iter().find_map(|k| {
            spec.and_then(|s| s.get(k))
                .filter(|a| a.is_map())
                .map(|a| (k, a))
        }) {
            Some(found) => found,
            None => {
                out.report(
                    id,
                    Pointer::root().key("spec"),
                    format!(
                        "Canary `{}` has no analysis: releases are promoted without checks",
                        obj.name
                    ),
                );
                return;
            }
        };
        let base = Pointer::root().keys(&["spec", key]);
        let metrics = analysis.get("metrics").map(Node::items).unwrap_or_default();
        if metrics.is_empty() {
            out.report(
                id,
                base,
                format!(
                    "Canary `{}` analyses no metrics: only pod readiness gates promotion, and \
                     an erroring release is promoted",
                    obj.name
                ),
            );
            return;
        }
        for (i, m) in metrics.iter().enumerate() {
            if let Some(why) = never_fails(m) {
                out.report(
                    id,
                    base.key("metrics").index(i),
                    format!("Canary `{}`: {why}", obj.name),
                );
            }
        }
    }
}
