use plimsoll_model::{ContainerKind, Object, PodTemplate};

use super::util::{has_ports, is_serving, selecting_service, serving_containers};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers of serving workloads without a `readinessProbe`. A serving
    /// workload is a long-running one (Deployment, StatefulSet, DaemonSet, ReplicaSet,
    /// ReplicationController, Argo Rollout, or a bare Pod with `restartPolicy:
    /// Always`) whose regular container declares a `containerPort` or whose pods a
    /// Service of the input selects. The containers checked are the regular containers
    /// that declare a port (all regular containers when none does) and sidecars
    /// (`initContainers` with `restartPolicy: Always`) that declare a port. Jobs,
    /// CronJobs and plain init containers are never checked.
    ///
    /// ## Why it matters in production
    /// Without a readiness probe a container counts as ready the moment its process
    /// starts. The Service sends it traffic before it has opened its port, loaded its
    /// caches or connected to its database, so every rollout, restart and scale-up
    /// produces a burst of errors, and a rolling update happily replaces all healthy
    /// pods with broken ones because nothing ever reports them unready.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     ports:
    ///       - containerPort: 8080
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     ports:
    ///       - containerPort: 8080
    ///     readinessProbe:
    ///       httpGet: {path: /ready, port: 8080}
    ///       periodSeconds: 5
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: only the application knows which endpoint says it is ready.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/>
    pub struct ReadinessProbeMissing {
        code: "PRB001",
        name: "readiness-probe-missing",
        severity: Error,
        default: true,
        summary: "A serving container has no readiness probe",
    }
}

impl Rule for ReadinessProbeMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if !is_serving(cx, id) {
            return;
        }
        let service = selecting_service(cx, id);
        let sidecars = t
            .containers()
            .filter(|c| c.kind == ContainerKind::Sidecar && has_ports(c));
        let mut checked: Vec<_> = sidecars.collect();
        checked.extend(serving_containers(&t));
        for c in checked {
            if c.get("readinessProbe").is_some_and(|p| p.is_map()) {
                continue;
            }
            let why = if has_ports(&c) {
                "declares a port"
            } else {
                "is selected by a Service"
            };
            let f = out.report_container(
                id,
                &c,
                c.field_pointer(&["readinessProbe"]),
                format!(
                    "{} `{}` {why} but has no readinessProbe, so it gets traffic as soon as it starts",
                    c.kind.as_str(),
                    c.name
                ),
            );
            if let Some(s) = service {
                f.related(
                    s,
                    plimsoll_model::Pointer::root().keys(&["spec", "selector"]),
                );
            }
        }
    }
}
