use plimsoll_model::{Node, Object, Pointer, condition, status_i64};

use super::util::{named, pods, relate_pods, spec_replicas};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads with fewer ready pods than they want, from their status:
    /// Deployments, StatefulSets, ReplicationControllers and ReplicaSets without a
    /// controlling owner compare `status.readyReplicas` with `spec.replicas` (default
    /// 1); DaemonSets compare `status.numberReady` with
    /// `status.desiredNumberScheduled`. Workloads scaled to zero are not reported, nor
    /// is a status the controller wrote for an older generation of the spec
    /// (`status.observedGeneration` below `metadata.generation`). The message says when
    /// a rollout is in progress (fewer updated replicas than wanted), and gives the
    /// Deployment's `ProgressDeadlineExceeded` and `ReplicaFailure` conditions (a quota
    /// that refuses pods, for instance) when the controller reports them.
    ///
    /// ## Why it matters in production
    /// The workload runs below the capacity it was sized for, and one more failure
    /// (a node drain, a crash) takes away what redundancy is left. Not-ready pods get
    /// no traffic from their Services, and a PodDisruptionBudget that counts them as
    /// unhealthy blocks node drains.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get deployment api -o yaml
    /// spec:
    ///   replicas: 3
    /// status:
    ///   replicas: 3
    ///   readyReplicas: 1
    ///   updatedReplicas: 3
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 3
    /// status:
    ///   replicas: 3
    ///   readyReplicas: 3
    ///   updatedReplicas: 3
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the related pods' conditions and events say why they are not
    /// ready.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/>
    pub struct ReplicasNotReady {
        code: "LIV005",
        name: "replicas-not-ready",
        severity: Warning,
        default: true,
        summary: "A workload has fewer ready replicas than it wants",
    }
}

impl Rule for ReplicasNotReady {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let scalable = match (obj.group(), obj.kind.as_str()) {
            ("apps" | "extensions", "Deployment")
            | ("apps", "StatefulSet")
            | ("", "ReplicationController") => true,
            ("apps" | "extensions", "ReplicaSet") => !obj.has_controller(),
            ("apps" | "extensions", "DaemonSet") => false,
            _ => return,
        };
        let Some(status) = obj.root.get("status").filter(|s| s.is_map()) else {
            return;
        };
        let generation = obj
            .metadata()
            .and_then(|m| m.get("generation"))
            .and_then(Node::as_i64);
        let observed = status.get("observedGeneration").and_then(Node::as_i64);
        if let (Some(g), Some(o)) = (generation, observed)
            && o < g
        {
            return;
        }
        let (desired, ready, updated, ready_key) = if scalable {
            (
                spec_replicas(obj),
                status_i64(obj, "readyReplicas").unwrap_or(0),
                status_i64(obj, "updatedReplicas"),
                "readyReplicas",
            )
        } else {
            let Some(desired) = status_i64(obj, "desiredNumberScheduled") else {
                return;
            };
            (
                desired,
                status_i64(obj, "numberReady").unwrap_or(0),
                status_i64(obj, "updatedNumberScheduled"),
                "numberReady",
            )
        };
        if desired <= 0 || ready >= desired {
            return;
        }
        let mut msg = if scalable {
            format!("{} has {ready} of {desired} replicas ready", named(obj))
        } else {
            format!(
                "{} has {ready} of {desired} scheduled pods ready",
                named(obj)
            )
        };
        let progress = updated
            .filter(|&u| u < desired)
            .map(|u| format!(" ({u} of {desired} updated)"));
        let deadline = condition(obj, "Progressing")
            .is_some_and(|c| c.status == "False" && c.reason == Some("ProgressDeadlineExceeded"));
        match (progress, deadline) {
            (Some(p), true) => {
                msg.push_str(&format!("; its rollout{p} exceeded its progress deadline"))
            }
            (None, true) => msg.push_str("; its rollout exceeded its progress deadline"),
            (Some(p), false) => msg.push_str(&format!("; a rollout is in progress{p}")),
            (None, false) => {}
        }
        if let Some(c) = condition(obj, "ReplicaFailure")
            && c.is_true()
        {
            msg.push_str(&format!(
                "; the controller cannot create pods: {}",
                c.message.or(c.reason).unwrap_or("ReplicaFailure")
            ));
        }
        let not_ready: Vec<(usize, Pointer)> = pods(cx, id, obj)
            .into_iter()
            .filter(|(_, ps)| !ps.is_ready() && !ps.is_terminating())
            .map(|(p, ps)| {
                let path = condition(ps.object, "Ready")
                    .map(|c| c.pointer())
                    .unwrap_or_else(|| Pointer::root().keys(&["status", "phase"]));
                (p, path)
            })
            .collect();
        let f = out.report(id, Pointer::root().keys(&["status", ready_key]), msg);
        relate_pods(f, not_ready);
    }
}
