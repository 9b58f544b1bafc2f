use plimsoll_model::{Node, Object, Pointer, replica_count};

use super::util::is_rollout;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an Argo `Rollout` whose `spec.workloadRef` names a Deployment of the
    /// input that still runs pods (`spec.replicas` above 0; absent is 1) while nothing
    /// scales it down: `workloadRef.scaleDown` is absent or `never`. With `onsuccess`
    /// (the Deployment is scaled to 0 once the Rollout is healthy) or `progressively`
    /// (scaled down as the Rollout scales up) the Argo Rollouts controller does it, and
    /// the Rollout is not reported.
    ///
    /// A Deployment that is not in the input is reported as not evaluated, unless the
    /// input holds other objects of the namespace.
    ///
    /// ## Why it matters in production
    /// A Rollout with a `workloadRef` runs its own ReplicaSets from the Deployment's
    /// template and does not touch the Deployment's pods. Left at its replica count,
    /// the Deployment keeps a second copy of the application running: double the
    /// resources, and pods of every old version the Services still send traffic to,
    /// outside the canary's weights and analysis.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Rollout
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 3
    ///   workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 3
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   workloadRef:
    ///     apiVersion: apps/v1
    ///     kind: Deployment
    ///     name: web
    ///     scaleDown: onsuccess   # or set the Deployment's replicas to 0
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `workloadRef.scaleDown: onsuccess`. It is unsafe: the controller
    /// then scales the Deployment to 0 once the Rollout is healthy, and a GitOps tool
    /// that owns the Deployment's `replicas` will scale it back up unless its manifest
    /// says 0 too.
    ///
    /// ## References
    /// - <https://argoproj.github.io/argo-rollouts/migrating/#reference-deployment-from-rollout>
    /// - <https://argoproj.github.io/argo-rollouts/features/specification/>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#scaling-a-deployment>
    pub struct WorkloadRefDeploymentStillScaled {
        code: "DLV003",
        name: "workload-ref-deployment-still-scaled",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A Rollout's workloadRef Deployment still runs pods and nothing scales it down",
    }
}

impl Rule for WorkloadRefDeploymentStillScaled {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_rollout(obj) {
            return;
        }
        let Some(r) = obj.root.at(&["spec", "workloadRef"]).filter(|r| r.is_map()) else {
            return;
        };
        let text = |k: &str| r.get(k).and_then(Node::as_text);
        if text("kind") != Some("Deployment") {
            return;
        }
        let scale_down = text("scaleDown");
        if matches!(scale_down, Some("onsuccess" | "progressively")) {
            return;
        }
        let (Some(name), Some(ns)) = (text("name"), obj.namespace.as_deref()) else {
            return;
        };
        let Some(d) = cx.index.workload_ref(id) else {
            if cx.index.get("Deployment", Some(ns), name).is_none()
                && !cx.index.knows_namespace_besides(ns, id)
            {
                out.not_evaluated(
                    id,
                    format!(
                        "Deployment `{name}` is not in the input, so whether it still runs \
                         pods is unknown"
                    ),
                );
            }
            return;
        };
        let dep = cx.index.object(d);
        let Ok(replicas) = replica_count(dep.root.at(&["spec", "replicas"]), 1) else {
            return;
        };
        if replicas == 0 {
            return;
        }
        let base = Pointer::root().keys(&["spec", "workloadRef"]);
        let how = match scale_down {
            Some(s) => format!("scaleDown: {s}"),
            None => "no scaleDown (never)".to_string(),
        };
        out.report(
            id,
            if scale_down.is_some() {
                base.key("scaleDown")
            } else {
                base.clone()
            },
            format!(
                "Rollout `{}` takes its template from Deployment `{name}`, which still runs \
                 {replicas} replica{} with {how}: the old pods keep running beside the \
                 Rollout's",
                obj.name,
                if replicas == 1 { "" } else { "s" }
            ),
        )
        .related(d, Pointer::root().keys(&["spec", "replicas"]))
        .fix(
            Fix::new(
                Applicability::Unsafe,
                "set workloadRef.scaleDown: onsuccess (the controller scales the Deployment to 0 once the Rollout is healthy)",
            )
            .set(&obj.root, &base.key("scaleDown"), serde_json::json!("onsuccess")),
        );
    }
}
