use plimsoll_model::{Node, Object, Pointer};

use super::util::IntOrPct;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports rolling-update settings that leave a rollout no room to move, which the
    /// API server rejects:
    /// - a Deployment (strategy `RollingUpdate`, the default) or an Argo Rollout canary
    ///   with `maxSurge` and `maxUnavailable` both 0 (`0` or `0%`); absent fields take
    ///   their defaults (25% each);
    /// - a DaemonSet `RollingUpdate` with both 0 (defaults: `maxUnavailable: 1`,
    ///   `maxSurge: 0`, so `maxUnavailable: 0` alone is enough);
    /// - a StatefulSet `RollingUpdate` with `maxUnavailable` 0 or `0%`.
    ///
    /// Percentages that merely round to zero are not reported: the Deployment controller
    /// rounds `maxSurge` up and `maxUnavailable` down, and when both resolve to 0 (for
    /// example `maxSurge: 0`, `maxUnavailable: 25%` and 3 replicas) it uses
    /// `maxUnavailable` 1 instead, so the rollout still progresses, one pod at a time.
    ///
    /// ## Why it matters in production
    /// With neither a pod to add nor a pod to remove, no update could ever make
    /// progress, so the API server refuses the object ("may not be 0 when `maxSurge` is
    /// 0"). The apply fails in the pipeline, often only in the environment whose values
    /// file sets these numbers.
    ///
    /// ## Example
    /// ```yaml
    /// strategy:
    ///   type: RollingUpdate
    ///   rollingUpdate:
    ///     maxSurge: 0
    ///     maxUnavailable: 0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// strategy:
    ///   type: RollingUpdate
    ///   rollingUpdate:
    ///     maxSurge: 1
    ///     maxUnavailable: 0
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `maxSurge: 1` on a Deployment, Rollout or DaemonSet (so a rollout
    /// adds one new pod before removing an old one, and never drops below the desired
    /// count), and `maxUnavailable: 1`, the API server's default, on a StatefulSet. It
    /// is unsafe: the object was rejected, so any value changes what runs; a surge pod
    /// needs spare capacity and quota (on a DaemonSet, a second pod on the node, which
    /// a `hostPort` prevents), and a StatefulSet then takes one pod down at a time.
    /// Allowing unavailability instead of a surge may be what the author meant.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment>
    /// - <https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#maximum-unavailable-pods>
    pub struct RollingUpdateStalls {
        code: "AVL007",
        name: "rolling-update-stalls",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A rolling update allows neither surge nor unavailability",
    }
}

fn field(ru: Option<&Node>, key: &str, default: IntOrPct) -> Option<IntOrPct> {
    match ru.and_then(|r| r.get(key)) {
        Some(n) if !n.is_null() => IntOrPct::of(n),
        _ => Some(default),
    }
}

impl Rule for RollingUpdateStalls {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.has_controller() {
            return;
        }
        let (strategy_key, ru_key, surge_default, unavail_default) = match (
            obj.group(),
            obj.kind.as_str(),
        ) {
            ("apps", "Deployment") => (
                "strategy",
                "rollingUpdate",
                IntOrPct::Pct(25),
                IntOrPct::Pct(25),
            ),
            ("argoproj.io", "Rollout") => {
                ("strategy", "canary", IntOrPct::Pct(25), IntOrPct::Pct(25))
            }
            ("apps", "DaemonSet") => (
                "updateStrategy",
                "rollingUpdate",
                IntOrPct::Int(0),
                IntOrPct::Int(1),
            ),
            ("apps", "StatefulSet") => {
                let ru = obj.root.at(&["spec", "updateStrategy", "rollingUpdate"]);
                let ty = obj
                    .root
                    .at(&["spec", "updateStrategy", "type"])
                    .and_then(Node::as_text)
                    .unwrap_or("RollingUpdate");
                if ty != "RollingUpdate" {
                    return;
                }
                if let Some(v) = ru
                    .and_then(|r| r.get("maxUnavailable"))
                    .and_then(IntOrPct::of)
                    && v.is_zero()
                {
                    let path = Pointer::root().keys(&[
                        "spec",
                        "updateStrategy",
                        "rollingUpdate",
                        "maxUnavailable",
                    ]);
                    out.report(
                            id,
                            path.clone(),
                            format!(
                                "StatefulSet `{}` sets updateStrategy.rollingUpdate.maxUnavailable to {v}, which the API server rejects (it may not be 0)",
                                obj.name
                            ),
                        )
                        .fix(
                            Fix::new(Applicability::Unsafe, "set maxUnavailable: 1")
                                .replace(&path, serde_json::json!(1)),
                        );
                }
                return;
            }
            _ => return,
        };
        let strategy = obj.root.at(&["spec", strategy_key]);
        if obj.kind == "Rollout" {
            if strategy.and_then(|s| s.get("canary")).is_none() {
                return;
            }
        } else {
            let ty = strategy
                .and_then(|s| s.get("type"))
                .and_then(Node::as_text)
                .unwrap_or("RollingUpdate");
            if ty != "RollingUpdate" {
                return;
            }
        }
        let ru = strategy.and_then(|s| s.get(ru_key));
        let (Some(surge), Some(unavail)) = (
            field(ru, "maxSurge", surge_default),
            field(ru, "maxUnavailable", unavail_default),
        ) else {
            return;
        };
        if !(surge.is_zero() && unavail.is_zero()) {
            return;
        }
        let written = |k: &str| ru.and_then(|r| r.get(k)).is_some();
        let key = if written("maxUnavailable") || !written("maxSurge") {
            "maxUnavailable"
        } else {
            "maxSurge"
        };
        let defaulted = |k: &str| if written(k) { "" } else { " (default)" };
        let surge_path = Pointer::root().keys(&["spec", strategy_key, ru_key, "maxSurge"]);
        out.report(
            id,
            Pointer::root().keys(&["spec", strategy_key, ru_key, key]),
            format!(
                "{} `{}` has maxSurge {surge}{} and maxUnavailable {unavail}{}, which the API server rejects because no rolling update could make progress",
                obj.kind,
                obj.name,
                defaulted("maxSurge"),
                defaulted("maxUnavailable"),
            ),
        )
        .fix(
            Fix::new(Applicability::Unsafe, "set maxSurge: 1").set(
                &obj.root,
                &surge_path,
                serde_json::json!(1),
            ),
        );
    }
}
