use plimsoll_model::{Object, PodTemplate};

use super::util::long_running;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports regular containers of long-running workloads (Deployment, StatefulSet,
    /// DaemonSet, ReplicaSet, ReplicationController, Argo Rollout, bare Pods with
    /// `restartPolicy: Always`) without a `livenessProbe`. Jobs, CronJobs, init
    /// containers and sidecars are not checked.
    ///
    /// This is advice, not a requirement. A liveness probe restarts a container that
    /// is stuck (deadlocked, wedged event loop) but still running, which nothing else
    /// detects. A bad liveness probe is worse than none: one that checks a database, or
    /// gives up faster than the application can answer under load, restarts healthy
    /// containers in a cascade exactly when the system is stressed. Add one only if it
    /// checks the process itself and fails much later than readiness (see PRB003).
    ///
    /// ## Why it matters in production
    /// A process that hangs without exiting keeps its pod Running and, if it has no
    /// readiness probe either, keeps receiving traffic. Without a liveness probe it
    /// stays so until someone restarts it by hand.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     readinessProbe:
    ///       httpGet: {path: /ready, port: 8080}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     readinessProbe:
    ///       httpGet: {path: /ready, port: 8080}
    ///     livenessProbe:
    ///       httpGet: {path: /livez, port: 8080}
    ///       periodSeconds: 10
    ///       failureThreshold: 6
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a liveness probe that does not fit the application restarts
    /// healthy containers.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/>
    pub struct LivenessProbeMissing {
        code: "PRB002",
        name: "liveness-probe-missing",
        severity: Info,
        default: true,
        summary: "A long-running container has no liveness probe",
    }
}

impl Rule for LivenessProbeMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if !long_running(obj, &t) {
            return;
        }
        for c in t.app_containers() {
            if c.get("livenessProbe").is_some_and(|p| p.is_map()) {
                continue;
            }
            out.report_container(
                id,
                &c,
                c.field_pointer(&["livenessProbe"]),
                format!(
                    "{} `{}` has no livenessProbe; a hung process is never restarted",
                    c.kind.as_str(),
                    c.name
                ),
            );
        }
    }
}
