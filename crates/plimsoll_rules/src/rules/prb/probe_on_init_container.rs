use plimsoll_model::{ContainerKind, Object, PodTemplate};

use super::util::PROBES;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `livenessProbe`, `readinessProbe` and `startupProbe` on init containers
    /// that are not sidecars. Sidecars (`initContainers` with `restartPolicy: Always`)
    /// may have probes and are not reported.
    ///
    /// ## Why it matters in production
    /// The API server rejects a pod whose plain init container has a probe (`may not
    /// be set for init containers without restartPolicy=Always`). A Deployment or Job
    /// with such a template is accepted, but no pod is ever created: the rollout hangs
    /// with the error visible only in the events of its ReplicaSet or Job. It often
    /// happens when a sidecar loses its `restartPolicy: Always` in a refactor.
    ///
    /// ## Example
    /// ```yaml
    /// initContainers:
    ///   - name: migrate
    ///     image: registry.example.com/migrate:2.1.0
    ///     readinessProbe:
    ///       exec: {command: [cat, /tmp/done]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// initContainers:
    ///   - name: migrate
    ///     image: registry.example.com/migrate:2.1.0
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes the probe, as above. It is unsafe: the probe may be a sign that
    /// the container was meant to be a sidecar (`restartPolicy: Always`), which only its
    /// author knows; a sidecar turned into a plain init container that never exits
    /// holds the pod in its init phase. No pod was created before the fix either.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/init-containers/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/>
    pub struct ProbeOnInitContainer {
        code: "PRB006",
        name: "probe-on-init-container",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "An init container that is not a sidecar has a probe",
    }
}

impl Rule for ProbeOnInitContainer {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers().filter(|c| c.kind == ContainerKind::Init) {
            for field in PROBES {
                if c.get(field).is_none_or(|n| n.is_null()) {
                    continue;
                }
                out.report_container(
                    id,
                    &c,
                    c.field_pointer(&[field]),
                    format!(
                        "init container `{}` has a {field}; the API server rejects probes on init containers without restartPolicy: Always",
                        c.name
                    ),
                )
                .fix(
                    Fix::new(Applicability::Unsafe, format!("remove the {field}"))
                        .remove(&c.field_pointer(&[field])),
                );
            }
        }
    }
}
