use plimsoll_model::{Node, Object, Pointer};

use super::util::{IntOrPct, multi_replica};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports rollouts that take every replica down at once:
    /// - a Deployment `RollingUpdate` (or StatefulSet `RollingUpdate`) whose
    ///   `maxUnavailable` resolves to at least the replica count (`100%`, or an integer
    ///   >= `spec.replicas`; for an HPA-managed workload, its `minReplicas`). The
    ///   Deployment controller rounds a percentage down, the StatefulSet controller up;
    /// - a Deployment with `strategy.type: Recreate` that runs at least one replica and
    ///   serves traffic (a container declares a port, or a Service in the input selects
    ///   its pods). `Recreate` stops all old pods before starting new ones; with a single
    ///   replica that is the same outage as the `maxUnavailable: 1` reported above, made
    ///   explicit. kube-linter's `no-rolling-update-strategy` (off by default) reports
    ///   every `Recreate`, and kube-score's `deployment-strategy` every one targeted by
    ///   a Service; plimsoll reports it where it costs availability, on a Deployment
    ///   that serves (a declared port counts as much as a Service in the input), and
    ///   leaves workers alone: for them `Recreate` is often required.
    ///
    /// ## Why it matters in production
    /// Every deploy becomes an outage lasting the whole image pull and start-up time,
    /// and a bad release has no old pods left to keep serving while it fails.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   replicas: 4
    ///   strategy:
    ///     rollingUpdate: {maxUnavailable: 100%}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 4
    ///   strategy:
    ///     rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
    /// ```
    ///
    /// ## Fix safety
    /// When `maxUnavailable` covers every replica and there are at least 2, the fix
    /// writes `maxUnavailable: 1` (as above, and the StatefulSet default), so a rollout
    /// replaces one pod at a time. It is unsafe: rollouts take longer. `Recreate` and a
    /// single replica have no fix: `Recreate` is sometimes required (a ReadWriteOnce
    /// volume, a schema that old and new versions cannot share), and one replica needs
    /// a surge or more replicas, which is a decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#maximum-unavailable-pods>
    pub struct RollingUpdateDropsCapacity {
        code: "AVL008",
        name: "rolling-update-drops-capacity",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A rollout takes all replicas down at once",
    }
}

impl Rule for RollingUpdateDropsCapacity {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.has_controller() {
            return;
        }
        let (strategy_key, round_up) = match (obj.group(), obj.kind.as_str()) {
            ("apps", "Deployment") => ("strategy", false),
            ("apps", "StatefulSet") => ("updateStrategy", true),
            _ => return,
        };
        let Some(replicas) = cx.index.expected_min_replicas(id) else {
            return;
        };
        let strategy = obj.root.at(&["spec", strategy_key]);
        let ty = strategy
            .and_then(|s| s.get("type"))
            .and_then(Node::as_text)
            .unwrap_or("RollingUpdate");
        if ty == "Recreate" && obj.kind == "Deployment" {
            if replicas >= 1 && cx.index.is_serving(id) {
                let what = if replicas == 1 && !multi_replica(cx, id) {
                    "its only serving replica".to_string()
                } else {
                    format!("all {replicas} serving replicas")
                };
                out.report(
                    id,
                    Pointer::root().keys(&["spec", "strategy", "type"]),
                    format!(
                        "Deployment `{}` uses strategy Recreate, which stops {what} before starting new ones: every deploy is an outage",
                        obj.name
                    ),
                );
            }
            return;
        }
        if ty != "RollingUpdate" || replicas < 1 {
            return;
        }
        let Some(v) = strategy
            .and_then(|s| s.at(&["rollingUpdate", "maxUnavailable"]))
            .and_then(IntOrPct::of)
        else {
            return;
        };
        let n = v.scaled(replicas, round_up);
        if n >= replicas {
            let path =
                Pointer::root().keys(&["spec", strategy_key, "rollingUpdate", "maxUnavailable"]);
            let f = out.report(
                id,
                path.clone(),
                format!(
                    "{} `{}` has maxUnavailable {v}, which lets a rollout take all {replicas} {} down at once",
                    obj.kind,
                    obj.name,
                    if replicas == 1 { "replica" } else { "replicas" }
                ),
            );
            if replicas >= 2 {
                f.fix(
                    Fix::new(Applicability::Unsafe, "set maxUnavailable: 1")
                        .replace(&path, serde_json::json!(1)),
                );
            }
        }
    }
}
