use plimsoll_model::Object;

use super::container_crash_looping::is_crash_looping;
use super::util::{
    container_hits, elapsed, last_exit, relate_pods, some_pods_of, template_and_pods,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers that restarted many times: the `restartCount` of their
    /// container status is at least the threshold (setting `restarts-high-threshold`,
    /// default 5). One finding per container of the workload a user edits (a bare Pod
    /// otherwise), counting the pods over the threshold, with the highest count, how
    /// long that pod has been running, and how the container last exited. Pods where the
    /// container is in CrashLoopBackOff right now are left to LIV002, so one container
    /// is not reported twice for the same loop; a container whose restarts were OOM
    /// kills in the last day is also reported by LIV001, which names its memory limit.
    ///
    /// `restartCount` counts since the pod was created: the message gives the pod's
    /// age so that five restarts in a month can be told from five in an hour.
    ///
    /// ## Why it matters in production
    /// Every restart drops the requests in flight and takes the pod out of its Service
    /// until it is ready again. Containers that restart now and then without ever
    /// looping (a leak that hits the memory limit every few hours, a liveness probe that
    /// fails under load, a crash on a rare input) stay unnoticed because the workload
    /// looks healthy most of the time.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get pod worker-5b8d7c9f6-q2w4e -o yaml
    /// status:
    ///   startTime: "2024-04-28T08:00:00Z"
    ///   containerStatuses:
    ///     - name: worker
    ///       restartCount: 9
    ///       state: {running: {startedAt: "2024-05-01T11:02:00Z"}}
    ///       lastState:
    ///         terminated: {reason: Error, exitCode: 2, finishedAt: "2024-05-01T11:01:58Z"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # a container that does not restart: find the cause with
    /// # `kubectl logs --previous` and the pod's events
    /// status:
    ///   containerStatuses:
    ///     - name: worker
    ///       restartCount: 0
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the cause is in the container's logs and events.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/determine-reason-pod-failure/>
    pub struct ContainerRestartsHigh {
        code: "LIV003",
        name: "container-restarts-high",
        severity: Warning,
        default: true,
        summary: "A container restarted many times",
    }
}

impl Rule for ContainerRestartsHigh {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some((t, pods)) = template_and_pods(cx, id, obj) else {
            return;
        };
        let threshold = i64::from(cx.settings.restarts_high_threshold);
        let now = cx.now();
        let high = container_hits(&t, &pods, |_, cs| {
            (cs.restart_count >= threshold && !is_crash_looping(cs.state)).then_some(())
        });
        for high in high {
            let (c, hits) = (high.container, &high.hits);
            let (top_pod, top_cs) = (hits[0].status, hits[0].container);
            let age = elapsed(now, top_pod.start_time())
                .map(|d| format!(" in {d}"))
                .unwrap_or_default();
            let mut msg = if high.is_own_pod(id) {
                format!(
                    "{} `{}` restarted {} times{age}",
                    c.kind.as_str(),
                    c.name,
                    top_cs.restart_count
                )
            } else {
                format!(
                    "{} `{}` restarted {threshold} times or more in {} (at most {} times{age}, in pod `{}`)",
                    c.kind.as_str(),
                    c.name,
                    some_pods_of(hits.len(), high.seen, obj),
                    top_cs.restart_count,
                    top_pod.object.name
                )
            };
            if let Some((how, _)) = last_exit(&top_cs) {
                msg.push_str(&format!("; it last exited with {how}"));
            }
            let f = out.report_container(id, &c, c.pointer(), msg);
            relate_pods(
                f,
                hits.iter()
                    .map(|h| (h.pod, h.container.pointer(&["restartCount"]))),
            );
        }
    }
}
