use plimsoll_model::{Node, Object, Pointer};

use super::util::{is_hpa, is_scaled_object, target_ref};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a HorizontalPodAutoscaler that targets the same workload as a KEDA
    /// `ScaledObject` (`keda.sh`) of its namespace (`spec.scaleTargetRef`: kind, by
    /// default `Deployment`, and name). The HPA that KEDA makes for the ScaledObject
    /// is not reported: one it controls (`ownerReferences`), one named
    /// `keda-hpa-<scaledobject>`, or the one named in the ScaledObject's
    /// `advanced.horizontalPodAutoscalerConfig.name` (how KEDA adopts an existing
    /// HPA, with the annotation `scaledobject.keda.sh/transfer-hpa-ownership`).
    ///
    /// ## Why it matters in production
    /// KEDA scales through an HPA of its own. A second HPA on the same workload makes
    /// two controllers write `spec.replicas` from different metrics: the replica
    /// count flaps between their answers, and scale-to-zero fights a `minReplicas`
    /// of one. KEDA's admission webhook refuses the ScaledObject when it sees the
    /// other HPA (`the workload ... is already managed by the hpa ...`), but only
    /// where the webhook is installed and only in that order: applied the other way
    /// round, or without the webhook, both run.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: keda.sh/v1alpha1
    /// kind: ScaledObject
    /// metadata: {name: worker}
    /// spec:
    ///   scaleTargetRef: {name: worker}
    ///   triggers:
    ///     - type: rabbitmq
    ///       metadata: {queueName: jobs, mode: QueueLength, value: "20"}
    /// ---
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: worker}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
    ///   maxReplicas: 10
    /// ```
    ///
    /// ## Use instead
    /// Delete the HPA and give the ScaledObject the cpu or memory trigger the HPA
    /// scaled on (KEDA's `cpu` and `memory` scalers), so one HPA holds every metric.
    ///
    /// ## Fix safety
    /// No automatic fix: which autoscaler should remain is a decision.
    ///
    /// ## References
    /// - <https://keda.sh/docs/latest/reference/scaledobject-spec/>
    /// - <https://keda.sh/docs/latest/concepts/scaling-deployments/>
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/>
    pub struct KedaHpaConflict {
        code: "SCL011",
        name: "keda-hpa-conflict",
        severity: Error,
        default: true,
        summary: "An HPA and a KEDA ScaledObject scale the same workload",
    }
}

/// Whether the HPA is the one KEDA makes (or adopted) for the ScaledObject.
fn made_by(hpa: &Object, so: &Object) -> bool {
    let owned = hpa
        .metadata()
        .and_then(|m| m.get("ownerReferences"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|r| {
            r.get("kind").and_then(Node::as_text) == Some("ScaledObject")
                && r.get("name").and_then(Node::as_text) == Some(so.name.as_str())
        });
    let named = so
        .root
        .at(&["spec", "advanced", "horizontalPodAutoscalerConfig", "name"])
        .and_then(Node::as_text);
    owned
        || named == Some(hpa.name.as_str())
        || named.is_none() && hpa.name == format!("keda-hpa-{}", so.name)
}

impl Rule for KedaHpaConflict {
    fn check(&self, cx: &Context, id: usize, hpa: &Object, out: &mut Sink) {
        if !is_hpa(hpa) || !cx.index.kind_known("keda.sh", "ScaledObject") {
            return;
        }
        let (Some(ns), Some((kind, name))) =
            (hpa.namespace.as_deref(), target_ref(hpa, "scaleTargetRef"))
        else {
            return;
        };
        for (so_id, so) in cx.index.of_kind_in("ScaledObject", ns) {
            if !is_scaled_object(so) || made_by(hpa, so) {
                continue;
            }
            let t = so.root.at(&["spec", "scaleTargetRef"]);
            let so_kind = t
                .and_then(|t| t.get("kind"))
                .and_then(Node::as_text)
                .unwrap_or("Deployment");
            let so_name = t.and_then(|t| t.get("name")).and_then(Node::as_text);
            if so_kind != kind || so_name != Some(name) {
                continue;
            }
            out.report(
                id,
                Pointer::root().keys(&["spec", "scaleTargetRef"]),
                format!(
                    "HPA `{}` scales {kind} `{name}`, which KEDA ScaledObject `{}` scales through an HPA of its own: the two write the replica count from different metrics",
                    hpa.name, so.name
                ),
            )
            .related(so_id, Pointer::root().keys(&["spec", "scaleTargetRef"]));
        }
    }
}
