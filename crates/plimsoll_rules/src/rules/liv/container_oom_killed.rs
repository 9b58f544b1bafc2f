use plimsoll_model::{ContainerState, Object, PodTemplate, Quantity, Timestamp};

use super::util::{ago, named, pod_container, pods, relate_pods};
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
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let pods = pods(cx, id, obj);
        if pods.is_empty() {
            return;
        }
        let now = cx.now();
        let window = i64::from(cx.settings.oom_killed_window_hours) * 3_600;
        let recent = |at: Timestamp| now.is_none_or(|n| n.unix() - at.unix() <= window);
        let pod_limit = t
            .pod_resources_at(cx.kube_version)
            .and_then(|r| r.limits.memory);
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            let mut seen = 0;
            // (pod, pointer to the termination, when, restarts, the pod's own limit)
            let mut kills = Vec::new();
            for (p, ps) in &pods {
                let Some(cs) = ps.container(c.name) else {
                    continue;
                };
                seen += 1;
                let kill = [("state", cs.state), ("lastState", cs.last_state)]
                    .into_iter()
                    .find_map(|(key, s)| match s {
                        Some(ContainerState::Terminated {
                            reason: Some("OOMKilled"),
                            finished_at: Some(at),
                            ..
                        }) if recent(at) => Some((key, at)),
                        _ => None,
                    });
                if let Some((key, at)) = kill {
                    let ran_with = pod_container(ps.object, c.name)
                        .and_then(|pc| pc.resources().limits.memory);
                    kills.push((
                        *p,
                        cs.pointer(&[key, "terminated"]),
                        at,
                        cs.restart_count,
                        ran_with,
                    ));
                }
            }
            if kills.is_empty() {
                continue;
            }
            // newest first
            kills.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
            let newest = kills[0].2;
            let restarts: i64 = kills.iter().map(|k| k.3).sum();
            let limit = c.resources().limits.memory;
            let own_pod = kills[0].0 == id;
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
                format!(" in {} of {seen} pods of {}", kills.len(), named(obj))
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
                .filter_map(|k| k.4)
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
            relate_pods(f, kills.into_iter().map(|k| (k.0, k.1)));
        }
    }
}
