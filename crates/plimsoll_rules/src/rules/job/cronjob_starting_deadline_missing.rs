use plimsoll_model::{Object, Pointer};

use super::util::cronjob_spec;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports CronJobs without `spec.startingDeadlineSeconds`.
    ///
    /// ## Why it matters in production
    /// The field says how late a missed run may still start. Without it, a run missed
    /// while the controller was down, the CronJob was suspended, or a `Forbid`
    /// CronJob's previous run was still active starts whenever the controller gets to
    /// it: the nightly batch runs at noon on top of peak traffic. After long controller
    /// downtime the controller also counts every missed schedule since the last run;
    /// beyond 100 it emits a `TooManyMissedTimes` warning asking for this field (the
    /// original controller refused to start the Job at all). With a deadline, only
    /// schedules inside the window are considered and a run too late is skipped and
    /// counted as missed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   jobTemplate: ...
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   startingDeadlineSeconds: 3600
    ///   jobTemplate: ...
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: how late a run is still useful depends on the work. Values
    /// below 10 seconds may never start, as the controller checks every 10 seconds.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#deadline-for-delayed-job-start>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#cron-job-limitations>
    pub struct CronjobStartingDeadlineMissing {
        code: "JOB003",
        name: "cronjob-starting-deadline-missing",
        severity: Info,
        default: true,
        summary: "A CronJob has no startingDeadlineSeconds",
    }
}

impl Rule for CronjobStartingDeadlineMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(spec) = cronjob_spec(obj) else {
            return;
        };
        if spec
            .get("startingDeadlineSeconds")
            .is_some_and(|n| n.as_i64().is_some())
        {
            return;
        }
        out.report(
            id,
            Pointer::root().keys(&["spec", "startingDeadlineSeconds"]),
            format!(
                "CronJob `{}` has no startingDeadlineSeconds, so a missed run may start arbitrarily late",
                obj.name
            ),
        );
    }
}
