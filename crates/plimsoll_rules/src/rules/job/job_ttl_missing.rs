use plimsoll_model::{Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Jobs without `spec.ttlSecondsAfterFinished` that no controller owns.
    /// CronJob templates are not checked: the CronJob controller already deletes old
    /// Jobs according to `successfulJobsHistoryLimit` and `failedJobsHistoryLimit`.
    ///
    /// ## Why it matters in production
    /// A finished Job and its pods stay in the API server until someone deletes them.
    /// Jobs created by pipelines, Helm hooks or operators accumulate by the thousand,
    /// slow list calls and controllers, and keep completed pods (and their logs on the
    /// node) around. Re-applying the same Job name also fails while the old one exists,
    /// because a Job's pod template is immutable.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata: {name: db-migrate}
    /// spec:
    ///   template: ...
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata: {name: db-migrate}
    /// spec:
    ///   ttlSecondsAfterFinished: 86400
    ///   template: ...
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the TTL decides how long results and logs stay available for
    /// inspection.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/ttlafterfinished/>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/job/#clean-up-finished-jobs-automatically>
    pub struct JobTtlMissing {
        code: "JOB004",
        name: "job-ttl-missing",
        severity: Info,
        default: true,
        summary: "A standalone Job is never cleaned up",
    }
}

impl Rule for JobTtlMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.group() != "batch" || obj.kind != "Job" || obj.has_controller() {
            return;
        }
        if obj
            .root
            .at(&["spec", "ttlSecondsAfterFinished"])
            .is_some_and(|n| n.as_i64().is_some())
        {
            return;
        }
        out.report(
            id,
            Pointer::root().keys(&["spec", "ttlSecondsAfterFinished"]),
            format!(
                "Job `{}` has no ttlSecondsAfterFinished, so it and its pods stay in the cluster after it finishes",
                obj.name
            ),
        );
    }
}
