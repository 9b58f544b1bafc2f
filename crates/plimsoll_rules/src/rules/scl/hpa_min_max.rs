use plimsoll_model::{Node, Object, Pointer};

use super::util::{has_object_or_external_metric, is_hpa};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Checks an HPA's replica bounds (`minReplicas` defaults to 1):
    /// - error when `minReplicas` is greater than `maxReplicas` (the API server
    ///   rejects it: "must be greater than or equal to `minReplicas`");
    /// - error when `minReplicas` is 0 without an `Object` or `External` metric (scale
    ///   to zero needs the alpha `HPAScaleToZero` gate *and* such a metric), or is
    ///   negative, or `maxReplicas` is below 1;
    /// - warning when `minReplicas` equals `maxReplicas`: the HPA can never scale.
    ///
    /// ## Why it matters in production
    /// A rejected HPA fails the whole `kubectl apply` or GitOps sync it is part of.
    /// An HPA with equal bounds applies cleanly and looks like autoscaling in every
    /// dashboard, but pins the workload at one size: load spikes are not absorbed, and
    /// the fixed count is often a leftover from an incident.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: api}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   minReplicas: 4
    ///   maxReplicas: 4
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   minReplicas: 4
    ///   maxReplicas: 12
    /// ```
    /// If the workload should not scale, delete the HPA and set `spec.replicas` on it.
    ///
    /// ## Fix safety
    /// When minReplicas is greater than maxReplicas the fix swaps them, and when it is
    /// negative, or 0 without an Object or External metric, it sets minReplicas to 1
    /// (the default). It is display-only: the right bounds depend on capacity and
    /// cost. A missing or non-positive maxReplicas, and equal bounds, get no fix: no
    /// value follows from the manifest.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/>
    pub struct HpaMinMax {
        code: "SCL003",
        name: "hpa-min-max",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "An HPA's minReplicas and maxReplicas are inconsistent or leave it nothing to scale",
    }
}

impl Rule for HpaMinMax {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_hpa(obj) {
            return;
        }
        let min_node = obj
            .root
            .at(&["spec", "minReplicas"])
            .filter(|n| !n.is_null());
        let min = min_node.and_then(Node::as_i64).unwrap_or(1);
        let min_text = if min_node.is_some() {
            format!("minReplicas ({min})")
        } else {
            "minReplicas (1 by default)".to_string()
        };
        let min_path = Pointer::root().keys(&["spec", "minReplicas"]);
        let max_path = Pointer::root().keys(&["spec", "maxReplicas"]);
        let Some(max) = obj.root.at(&["spec", "maxReplicas"]).and_then(Node::as_i64) else {
            out.report(
                id,
                max_path,
                "the HPA has no maxReplicas: the API server rejects it",
            );
            return;
        };
        if max < 1 {
            out.report(
                id,
                max_path,
                format!("maxReplicas ({max}) must be at least 1: the API server rejects it"),
            );
            return;
        }
        if min < 0 {
            out.report(
                id,
                min_path.clone(),
                format!("minReplicas ({min}) is negative: the API server rejects it"),
            )
            .fix(min_one(&min_path));
            return;
        }
        if min == 0 && !has_object_or_external_metric(obj) {
            out.report(
                id,
                min_path.clone(),
                "minReplicas 0 needs at least one Object or External metric (and the \
                 HPAScaleToZero feature gate): the API server rejects it",
            )
            .fix(min_one(&min_path));
            return;
        }
        if min > max {
            out.report(
                id,
                min_path.clone(),
                format!(
                    "{min_text} is greater than maxReplicas ({max}): the API server rejects it"
                ),
            )
            .fix(
                Fix::new(
                    Applicability::DisplayOnly,
                    format!("swap the bounds: minReplicas {max}, maxReplicas {min}"),
                )
                .set(&obj.root, &min_path, serde_json::json!(max))
                .replace(&max_path, serde_json::json!(min)),
            );
        } else if min == max {
            let f = out.report(
                id,
                max_path,
                format!("{min_text} equals maxReplicas ({max}): the HPA can never scale"),
            );
            f.severity = Severity::Warning;
        }
    }
}

/// minReplicas back to its default of 1: shown, never applied.
fn min_one(path: &Pointer) -> Fix {
    Fix::new(
        Applicability::DisplayOnly,
        "set minReplicas to 1, the default",
    )
    .replace(path, serde_json::json!(1))
}
