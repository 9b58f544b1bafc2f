use plimsoll_model::{ContainerState, Object, Quantity, Timestamp};

use super::util::{
    ago, container_hits, named, pod_container, relate_pods, some_pods_of, template_and_pods,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers the kernel killed for running out of memory recently: the
    /// container status of a pod says `OOMKilled` in `lastState.terminated` (or in
    /// `state.terminated`), and that termination finished within the window (setting
    /// `oom-killed-window-hours`, default 24). One finding per container of the
    /// workload a user edits (the Deployment, StatefulSet, DaemonSet, CronJob, ...;
    /// a bare Pod otherwise), counting the pods where it happened, with the time of
    /// the newest kill, the restarts of those pods, the memory limit the template sets
    /// now, and the limits the killed pods ran with when they differ (a
    /// VerticalPodAutoscaler or an earlier revision set them).
    ///
    /// "Now" is the live audit's clock; for a dump read from files (`kubectl get -o
    /// yaml`) it is the newest timestamp recorded in the input, so the dump is judged
    /// as of when it was taken. A termination without `finishedAt` has no time and is
    /// not reported. Plain manifests carry no status and never draw this finding.
    ///
    /// ## Why it matters in production
    /// An OOM kill ends the process mid-request: in-flight requests fail, caches and
    /// connections are lost, and the restart takes the pod out of its Service until it
    /// is ready again. A container that hit its limit once usually hits it again under
    /// the same load; repeated kills end in CrashLoopBackOff. A kill without a
    /// container limit means the pod or the whole node ran out of memory.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get pod api-6f7c9d8b4d-x7k2p -o yaml
    /// status:
    ///   containerStatuses:
    ///     - name: api
    ///       restartCount: 3
    ///       lastState:
    ///         terminated:
    ///           reason: OOMKilled
    ///           exitCode: 137
    ///           finishedAt: "2024-05-01T10:14:00Z"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # in the Deployment: a limit above the working set the container reaches
    /// containers:
    ///   - name: api
    ///     resources:
    ///       requests: {memory: 512Mi}
    ///       limits: {memory: 512Mi}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the right limit comes from the container's measured memory
    /// use (or from fixing a leak), not from the kill alone.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-limits-are-run>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-container-s-memory-limit>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-state-terminated>
    pub struct ContainerOomKilled {
        code: "LIV001",
        name: "container-oom-killed",
        severity: Error,
        default: true,
        summary: "A container was OOMKilled recently",
    }
}

impl Rule for ContainerOomKilled {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some((t, pods)) = template_and_pods(cx, id, obj) else {
            return;
        };
        let now = cx.now();
        let window = i64::from(cx.settings.oom_killed_window_hours) * 3_600;
        let recent = |at: Timestamp| now.is_none_or(|n| n.unix() - at.unix() <= window);
        let pod_limit = t
            .pod_resources_at(cx.kube_version)
            .and_then(|r| r.limits.memory);
        // the recent kill of each pod: (the state's key, when, the pod's own limit)
        let killed = container_hits(&t, &pods, |ps, cs| {
            let (key, at) = [("state", cs.state), ("lastState", cs.last_state)]
                .into_iter()
                .find_map(|(key, s)| match s {
                    Some(ContainerState::Terminated {
                        reason: Some("OOMKilled"),
                        finished_at: Some(at),
                        ..
                    }) if recent(at) => Some((key, at)),
                    _ => None,
                })?;
            let ran_with =
                pod_container(ps.object, cs.name).and_then(|pc| pc.resources().limits.memory);
            Some((key, at, ran_with))
        });
        for killed in killed {
            let own_pod = killed.is_own_pod(id);
            let (c, seen, mut kills) = (killed.container, killed.seen, killed.hits);
            // newest first
            kills.sort_by(|a, b| b.found.1.cmp(&a.found.1).then(a.pod.cmp(&b.pod)));
            let newest = kills[0].found.1;
            let restarts: i64 = kills.iter().map(|k| k.container.restart_count).sum();
            let limit = c.resources().limits.memory;
            let restarted = match (restarts, own_pod) {
                (0, _) => String::new(),
                (1, true) => "; it has restarted once".to_string(),
                (n, true) => format!("; it has restarted {n} times"),
                (1, false) => "; it has restarted once in those pods".to_string(),
                (n, false) => format!("; it has restarted {n} times in those pods"),
            };
            let whose = if own_pod {
                String::new()
            } else if seen == 1 {
                format!(" in the only pod of {}", named(obj))
            } else {
                format!(" in {}", some_pods_of(kills.len(), seen, obj))
            };
            let mut msg = format!(
                "{} `{}` was OOMKilled{whose} in the last {}h, most recently {} ({newest}){restarted}",
                c.kind.as_str(),
                c.name,
                cx.settings.oom_killed_window_hours,
                ago(now, newest),
            );
            match (limit, pod_limit) {
                (Some(l), _) => msg.push_str(&format!("; its memory limit is {}", l.memory_string())),
                (None, Some(l)) => msg.push_str(&format!(
                    "; it has no memory limit of its own and the pod's is {}",
                    l.memory_string()
                )),
                (None, None) => msg.push_str(
                    "; it has no memory limit, so the kill came from the node running out of memory",
                ),
            }
            // what the killed pods ran with, when a VPA or an older revision set it
            let differ: Vec<Quantity> = kills
                .iter()
                .filter_map(|k| k.found.2)
                .filter(|q| Some(*q) != limit)
                .collect();
            if !differ.is_empty() && !own_pod {
                let mut values = differ.clone();
                values.sort();
                values.dedup();
                let list: Vec<String> = values.iter().map(|q| q.memory_string()).collect();
                msg.push_str(&format!(
                    " ({} of the killed pods ran with {})",
                    differ.len(),
                    list.join(" and ")
                ));
            }
            let f = out.report_container(
                id,
                &c,
                c.field_pointer(&["resources", "limits", "memory"]),
                msg,
            );
            relate_pods(
                f,
                kills
                    .iter()
                    .map(|k| (k.pod, k.container.pointer(&[k.found.0, "terminated"]))),
            );
        }
    }
}
