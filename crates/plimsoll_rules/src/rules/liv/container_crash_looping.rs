use plimsoll_model::{ContainerState, Object, PodTemplate};

use super::util::{ago, last_exit, named, pods, relate_pods};
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
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let pods = pods(cx, id, obj);
        if pods.is_empty() {
            return;
        }
        let now = cx.now();
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            let mut seen = 0;
            let mut looping = Vec::new();
            for (p, ps) in &pods {
                let Some(cs) = ps.container(c.name) else {
                    continue;
                };
                seen += 1;
                if is_crash_looping(cs.state) {
                    looping.push((*p, cs));
                }
            }
            if looping.is_empty() {
                continue;
            }
            // the pod that restarted it most tells the story
            looping.sort_by(|a, b| {
                b.1.restart_count
                    .cmp(&a.1.restart_count)
                    .then(a.0.cmp(&b.0))
            });
            let restarts: i64 = looping.iter().map(|(_, cs)| cs.restart_count).sum();
            let whose = if looping.len() == 1 && looping[0].0 == id {
                String::new()
            } else {
                format!(" in {} of {seen} pods of {}", looping.len(), named(obj))
            };
            let mut msg = format!(
                "{} `{}` is in CrashLoopBackOff{whose} ({restarts} restarts{})",
                c.kind.as_str(),
                c.name,
                if looping.len() == 1 { "" } else { " in all" }
            );
            if let Some((how, when)) = last_exit(&looping[0].1) {
                msg.push_str(&format!("; it last exited with {how}"));
                if let Some(when) = when {
                    msg.push_str(&format!(" {}", ago(now, when)));
                }
            }
            let f = out.report_container(id, &c, c.pointer(), msg);
            relate_pods(
                f,
                looping
                    .iter()
                    .map(|(p, cs)| (*p, cs.pointer(&["state", "waiting"]))),
            );
        }
    }
}
