use plimsoll_model::{Object, Pointer, replica_count};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Deployments, StatefulSets, Argo Rollouts and OpenShift DeploymentConfigs
    /// that run a single pod: `spec.replicas` is 1 or absent (the default is 1; a
    /// DeploymentConfig's absent replicas is 0), or the HorizontalPodAutoscaler
    /// that manages the workload has `minReplicas` 1 (or absent, default 1). A workload
    /// with a controlling owner is judged through its owner. Workloads listed in the
    /// `single-replica-allowed` setting (`Kind/namespace/name`, `*` for any namespace)
    /// are accepted; use it for leader-elected singletons.
    ///
    /// A `spec.replicas` that is not a replica count (`"three"`, `-5`, a mapping,
    /// `.nan`, `1e400`) is reported as such, never read as one replica: the API server
    /// rejects it. Whole numbers written as `3.0` or `3e0` are 3, as the API server
    /// reads them after YAML-to-JSON conversion.
    ///
    /// ## Why it matters in production
    /// With one pod, every node drain, node failure, eviction and (with the default
    /// `maxSurge`) some rollouts leave the workload without a serving pod until a
    /// replacement is scheduled, pulled and ready. A PodDisruptionBudget cannot help: it
    /// can only block the drain.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template: ...
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: api}}
    ///   template: ...
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: more replicas cost capacity, and some applications cannot run
    /// two copies at once.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/>
    /// - <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/disruptions/>
    pub struct SingleReplica {
        code: "AVL001",
        name: "single-replica",
        severity: Warning,
        default: true,
        summary: "A workload runs a single replica",
    }
}

fn allowed(cx: &Context, obj: &Object) -> bool {
    let ns = obj.namespace.as_deref().unwrap_or("");
    cx.settings.single_replica_allowed.iter().any(|e| {
        let mut parts = e.splitn(3, '/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(k), Some(n), Some(name)) => {
                k == obj.kind && (n == "*" || n == ns) && name == obj.name
            }
            _ => false,
        }
    })
}

impl Rule for SingleReplica {
    /// Checking a workload reports on the HorizontalPodAutoscaler that scales it.
    fn reports_on_other_objects(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let kind_ok = matches!(
            (obj.group(), obj.kind.as_str()),
            ("apps", "Deployment" | "StatefulSet")
                | ("argoproj.io", "Rollout")
                | ("apps.openshift.io", "DeploymentConfig")
        );
        if !kind_ok || obj.has_controller() {
            return;
        }
        if let Err(value) = replica_count(obj.root.at(&["spec", "replicas"]), 1) {
            out.report(
                id,
                Pointer::root().keys(&["spec", "replicas"]),
                format!(
                    "{} `{}` has spec.replicas {value}, which is not a replica count (an \
                     integer of 0 or more): the API server rejects it",
                    obj.kind, obj.name
                ),
            );
            return;
        }
        if allowed(cx, obj) {
            return;
        }
        if cx.index.expected_min_replicas(id) != Some(1) {
            return;
        }
        if let Some(&h) = cx.index.hpas_for(id).first() {
            let hpa = cx.index.object(h);
            out.report(
                h,
                Pointer::root().keys(&["spec", "minReplicas"]),
                format!(
                    "HorizontalPodAutoscaler `{}` lets {} `{}` scale down to a single replica (minReplicas 1)",
                    hpa.name, obj.kind, obj.name
                ),
            )
            .related(id, Pointer::root().keys(&["spec", "replicas"]));
            return;
        }
        let written = obj.root.at(&["spec", "replicas"]).is_some();
        out.report(
            id,
            Pointer::root().keys(&["spec", "replicas"]),
            if written {
                format!("{} `{}` runs a single replica", obj.kind, obj.name)
            } else {
                format!(
                    "{} `{}` runs a single replica (spec.replicas is not set and defaults to 1)",
                    obj.kind, obj.name
                )
            },
        );
    }
}
