use plimsoll_model::{Object, Pointer};

use super::util::is_hpa;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Deployments, StatefulSets, ReplicaSets, ReplicationControllers and Argo
    /// Rollouts that an HPA in the input scales but that still set `spec.replicas`.
    ///
    /// ## Why it matters in production
    /// Once an HPA manages a workload, the HPA owns `spec.replicas`. A manifest that
    /// still carries the field resets the count to that value on every
    /// `kubectl apply`, Helm upgrade or GitOps sync: a Deployment the HPA scaled to
    /// 30 replicas during peak drops to 3 on the next deploy, and the HPA needs minutes
    /// (and failed requests) to scale it back up. The Kubernetes docs recommend
    /// removing `spec.replicas` from the manifests of HPA-managed workloads.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   replicas: 3
    ///   # ...
    /// ---
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: api}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   minReplicas: 3
    ///   maxReplicas: 30
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   # no replicas: the HPA decides
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes `spec.replicas` and is unsafe: with client-side
    /// `kubectl apply`, the first apply after the removal deletes the field, so the
    /// workload is briefly scaled to the default of 1 replica until the HPA reacts.
    /// The docs describe how to migrate without that dip (server-side apply field
    /// ownership, or `kubectl apply edit-last-applied` first).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#scaling-a-deployment>
    pub struct HpaManagedReplicasSet {
        code: "SCL006",
        name: "hpa-managed-replicas-set",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A workload scaled by an HPA also sets spec.replicas, which every apply resets",
    }
}

impl Rule for HpaManagedReplicasSet {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let scalable = matches!(
            (obj.group(), obj.kind.as_str()),
            ("apps" | "extensions", "Deployment" | "ReplicaSet")
                | ("apps", "StatefulSet")
                | ("", "ReplicationController")
                | ("argoproj.io", "Rollout")
                | ("apps.openshift.io", "DeploymentConfig")
        );
        if !scalable {
            return;
        }
        let Some(entry) = obj.spec().and_then(|s| s.entry("replicas")) else {
            return;
        };
        if entry.value.is_null() {
            return;
        }
        let Some(hpa) = cx
            .index
            .hpas_for(id)
            .iter()
            .copied()
            .find(|&h| is_hpa(cx.index.object(h)))
        else {
            return;
        };
        let replicas = entry.value.as_text().unwrap_or("?");
        let hpa_name = &cx.index.object(hpa).name;
        out.report(
            id,
            Pointer::root().keys(&["spec", "replicas"]),
            format!(
                "{} sets replicas: {replicas} although HPA `{hpa_name}` scales it: every \
                 apply resets the replica count to {replicas}",
                obj.kind
            ),
        )
        .related(hpa, Pointer::root().keys(&["spec", "scaleTargetRef"]))
        .fix(Fix {
            applicability: Applicability::Unsafe,
            title: "remove spec.replicas and let the HPA own the replica count".into(),
            edits: vec![serde_json::json!({"op": "remove", "path": "/spec/replicas"})],
        });
    }
}
