use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use super::util::{is_hpa, is_unscalable_builtin, target_ref};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports HorizontalPodAutoscalers whose `spec.scaleTargetRef` names a workload
    /// that is not in the input (same kind, same name, the HPA's namespace), or a kind
    /// that has no `scale` subresource (DaemonSet, Job, CronJob, Pod, Service, ...).
    ///
    /// The target is looked up only when the input holds something else of the HPA's
    /// namespace, or the whole namespace (its Namespace object, or its manifests read
    /// from a directory, a rendered chart or overlay, standard input or a root);
    /// otherwise the rule reports "not evaluated". Custom kinds (Argo
    /// Rollouts, operators' resources with a scale subresource) are looked up like
    /// built-in ones.
    ///
    /// ## Why it matters in production
    /// An HPA whose target does not exist, or cannot be scaled, does nothing: its
    /// status shows `FailedGetScale` and the workload runs at whatever replica count it
    /// has while everyone believes it autoscales. The usual cause is a renamed
    /// Deployment, or an HPA that targets `kind: Deployment` for a workload that is now
    /// a Rollout or a StatefulSet.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: api}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api-server}
    ///   minReplicas: 2
    ///   maxReplicas: 10
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    /// ```
    ///
    /// ## Fix safety
    /// When the namespace holds no object of the target's kind and name but exactly
    /// one scalable workload of that name (another kind with a pod template, such as an
    /// Argo Rollout that replaced a Deployment), the fix points `scaleTargetRef` at it
    /// (its `apiVersion` and `kind`). It is display-only: which workload was meant is
    /// for the author to say, and the HPA starts scaling that one. Otherwise nothing
    /// in the manifest names the target and there is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/>
    /// - <https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#scale-subresource>
    pub struct HpaTargetMissing {
        code: "SCL001",
        name: "hpa-target-missing",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "An HPA's scaleTargetRef names a workload that is missing or cannot be scaled",
    }
}

impl Rule for HpaTargetMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_hpa(obj) {
            return;
        }
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let Some((kind, name)) = target_ref(obj, "scaleTargetRef") else {
            out.report(
                id,
                Pointer::root().keys(&["spec", "scaleTargetRef"]),
                "the HPA has no scaleTargetRef kind and name: it targets nothing",
            );
            return;
        };
        if is_unscalable_builtin(kind) {
            out.report(
                id,
                Pointer::root().keys(&["spec", "scaleTargetRef", "kind"]),
                format!(
                    "scaleTargetRef targets {kind} `{name}`, which has no scale subresource: \
                     the HPA cannot scale it"
                ),
            );
            return;
        }
        if cx.index.get(kind, Some(ns), name).is_some() {
            return;
        }
        if cx.index.knows_namespace_besides(ns, id) {
            // a scalable workload of that name and another kind
            let same_name: Vec<&Object> = cx
                .index
                .in_namespace(ns)
                .iter()
                .map(|&o| cx.index.object(o))
                .filter(|o| {
                    o.name == name
                        && o.kind != kind
                        && !is_unscalable_builtin(&o.kind)
                        && PodTemplate::of(o).is_some()
                })
                .collect();
            let fix = match same_name.as_slice() {
                [o] => o.root.get("apiVersion").and_then(Node::as_text).map(|api| {
                    Fix::new(
                        Applicability::DisplayOnly,
                        format!("target {} `{name}` ({api})", o.kind),
                    )
                    .set(
                        &obj.root,
                        &Pointer::root().keys(&["spec", "scaleTargetRef", "apiVersion"]),
                        serde_json::json!(api),
                    )
                    .replace(
                        &Pointer::root().keys(&["spec", "scaleTargetRef", "kind"]),
                        serde_json::json!(o.kind.as_str()),
                    )
                }),
                _ => None,
            };
            let found = out.report(
                id,
                Pointer::root().keys(&["spec", "scaleTargetRef", "name"]),
                format!(
                    "scaleTargetRef targets {kind} `{name}`, which is not in namespace \
                     `{ns}`: the HPA scales nothing"
                ),
            );
            if let Some(fix) = fix {
                found.fix(fix);
            }
        } else {
            out.not_evaluated(
                id,
                format!(
                    "the input holds nothing else of namespace `{ns}`, so whether {kind} \
                     `{name}` exists is unknown"
                ),
            );
        }
    }
}
