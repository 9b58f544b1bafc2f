use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Job pod templates (of Jobs and CronJob job templates) whose
    /// `restartPolicy` is not `OnFailure` or `Never`: `Always`, or absent (the pod
    /// default is `Always`). Also reports `OnFailure` together with a
    /// `podFailurePolicy`, which requires `Never`. The API server rejects all of these
    /// ("supported values: OnFailure, Never").
    ///
    /// Choosing between the two valid values:
    /// - `OnFailure` restarts the failed container in place, in the same pod on the
    ///   same node. Each restart counts against `backoffLimit`, the previous attempt's
    ///   logs are only reachable with `kubectl logs --previous` (and only the last one),
    ///   and all are lost when the Job fails and its pod is deleted.
    /// - `Never` creates a new pod for every attempt, possibly on another node; failed
    ///   pods stay (until the Job is cleaned up) with their logs and exit status, and
    ///   `podFailurePolicy` can act on them. Prefer `Never` unless restarts must keep
    ///   the pod's local state.
    ///
    /// ## Why it matters in production
    /// The manifest cannot be applied: the deployment pipeline fails, or a Helm hook
    /// Job blocks the release.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: Job
    /// spec:
    ///   template:
    ///     spec:
    ///       containers: [...]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: Job
    /// spec:
    ///   template:
    ///     spec:
    ///       restartPolicy: Never
    ///       containers: [...]
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `restartPolicy: Never` in the pod template and is unsafe: it
    /// changes how retries behave (a new pod for every attempt instead of a restart in
    /// place), although `Never` is usually right and the only value a `podFailurePolicy`
    /// accepts.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-template>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/job/#handling-pod-and-container-failures>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy>
    pub struct JobRestartPolicy {
        code: "JOB005",
        name: "job-restart-policy",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A Job pod template has a restartPolicy the API server rejects",
    }
}

impl Rule for JobRestartPolicy {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.group() != "batch"
            || !matches!(obj.kind.as_str(), "Job" | "CronJob")
            || obj.has_controller()
        {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let path = t.spec_pointer(&["restartPolicy"]);
        let written = t.spec.get("restartPolicy").and_then(Node::as_text);
        let fix = Fix::new(Applicability::Unsafe, "set restartPolicy: Never").set(
            &obj.root,
            &path,
            serde_json::json!("Never"),
        );
        match written {
            None => {
                out.report(
                    id,
                    path,
                    format!(
                        "{} `{}` has no restartPolicy in its pod template; the pod default Always is rejected for Jobs (use Never or OnFailure)",
                        obj.kind, obj.name
                    ),
                )
                .fix(fix);
            }
            Some("Never") => {}
            Some("OnFailure") => {
                let job_spec = if obj.kind == "CronJob" {
                    obj.root.at(&["spec", "jobTemplate", "spec"])
                } else {
                    obj.spec()
                };
                if job_spec
                    .and_then(|s| s.get("podFailurePolicy"))
                    .is_some_and(|p| !p.is_null())
                {
                    out.report(
                        id,
                        path,
                        format!(
                            "{} `{}` has restartPolicy OnFailure with a podFailurePolicy, which requires Never",
                            obj.kind, obj.name
                        ),
                    )
                    .fix(fix);
                }
            }
            Some(other) => {
                out.report(
                    id,
                    path,
                    format!(
                        "{} `{}` has restartPolicy {other} in its pod template, which the API server rejects for Jobs (use Never or OnFailure)",
                        obj.kind, obj.name
                    ),
                )
                .fix(fix);
            }
        }
    }
}
