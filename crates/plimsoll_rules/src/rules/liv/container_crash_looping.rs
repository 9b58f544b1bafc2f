use plimsoll_model::{ContainerState, Object};

use super::util::{ago, container_hits, last_exit, relate_pods, some_pods_of, template_and_pods};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers waiting in `CrashLoopBackOff`: the container status of a pod
    /// has `state.waiting.reason: CrashLoopBackOff`, the kubelet's back-off between
    /// restarts of a container that keeps exiting. One finding per container of the
    /// workload a user edits (a bare Pod otherwise), counting the pods where it is
    /// looping, with their restarts and how the container last exited (`OOMKilled`,
    /// `Error` and its exit code) and when. An `OOMKilled` exit is also reported by
    /// LIV001 with the memory limit; LIV003 leaves looping containers to this rule.
    ///
    /// ## Why it matters in production
    /// A looping container serves nothing: it is restarted with a back-off that grows
    /// to five minutes, the pod is not Ready and gets no traffic, and a Deployment
    /// whose new pods loop stalls its rollout. A PodDisruptionBudget counting the
    /// looping pods as unhealthy blocks node drains with the default
    /// `unhealthyPodEvictionPolicy`.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get pod api-6f7c9d8b4d-x7k2p -o yaml
    /// status:
    ///   containerStatuses:
    ///     - name: api
    ///       restartCount: 14
    ///       state:
    ///         waiting:
    ///           reason: CrashLoopBackOff
    ///           message: back-off 5m0s restarting failed container=api
    ///       lastState:
    ///         terminated: {reason: Error, exitCode: 1, finishedAt: "2024-05-01T11:58:00Z"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # containers that start and stay up: read `kubectl logs --previous`, then fix the
    /// # configuration, the dependency or the probe that kills them
    /// status:
    ///   containerStatuses:
    ///     - name: api
    ///       restartCount: 0
    ///       state: {running: {startedAt: "2024-05-01T12:01:00Z"}}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the cause is in the container's logs.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/>
    pub struct ContainerCrashLooping {
        code: "LIV002",
        name: "container-crash-looping",
        severity: Error,
        default: true,
        summary: "A container is in CrashLoopBackOff",
    }
}

/// Whether a container state is the kubelet's crash-loop back-off.
pub fn is_crash_looping(state: Option<ContainerState>) -> bool {
    matches!(
        state,
        Some(ContainerState::Waiting {
            reason: Some("CrashLoopBackOff"),
            ..
        })
    )
}

impl Rule for ContainerCrashLooping {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some((t, pods)) = template_and_pods(cx, id, obj) else {
            return;
        };
        let now = cx.now();
        for looping in container_hits(&t, &pods, |_, cs| is_crash_looping(cs.state).then_some(())) {
            let (c, hits) = (looping.container, &looping.hits);
            let restarts: i64 = hits.iter().map(|h| h.container.restart_count).sum();
            let whose = if looping.is_own_pod(id) {
                String::new()
            } else {
                format!(" in {}", some_pods_of(hits.len(), looping.seen, obj))
            };
            let mut msg = format!(
                "{} `{}` is in CrashLoopBackOff{whose} ({restarts} restarts{})",
                c.kind.as_str(),
                c.name,
                if hits.len() == 1 { "" } else { " in all" }
            );
            if let Some((how, when)) = last_exit(&hits[0].container) {
                msg.push_str(&format!("; it last exited with {how}"));
                if let Some(when) = when {
                    msg.push_str(&format!(" {}", ago(now, when)));
                }
            }
            let f = out.report_container(id, &c, c.pointer(), msg);
            relate_pods(
                f,
                hits.iter()
                    .map(|h| (h.pod, h.container.pointer(&["state", "waiting"]))),
            );
        }
    }
}
