use plimsoll_model::Object;

use super::util::job_spec;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Jobs, and CronJob job templates, that set neither
    /// `activeDeadlineSeconds` nor an explicit `backoffLimit` (or
    /// `backoffLimitPerIndex`). Jobs created by a CronJob or another controller are
    /// judged through their owner.
    ///
    /// The two fields limit different things:
    /// - `backoffLimit` (default 6) counts *failed* pods (or container restarts with
    ///   `restartPolicy: OnFailure`); after that many the Job fails. It does nothing
    ///   against a pod that hangs, waits on a lock or retries internally for ever.
    /// - `activeDeadlineSeconds` limits the Job's total running time, retries
    ///   included; when it passes, the Job's pods are terminated and the Job fails with
    ///   `DeadlineExceeded`. It is the only field that bounds a hung Job.
    ///
    /// ## Why it matters in production
    /// A Job with the defaults only ever stops by succeeding or by failing six times.
    /// A hung batch run holds its resources, its locks and (with a CronJob using
    /// `concurrencyPolicy: Forbid`) every later run, and nothing alerts on it. Setting
    /// the limits explicitly is also the only way to say how long and how often the
    /// work may run.
    ///
    /// ## Example
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
    /// ## Use instead
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: Job
    /// spec:
    ///   activeDeadlineSeconds: 3600
    ///   backoffLimit: 3
    ///   template:
    ///     spec:
    ///       restartPolicy: Never
    ///       containers: [...]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: only the owner knows how long the work may legitimately take.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy>
    pub struct JobNoDeadline {
        code: "JOB001",
        name: "job-no-deadline",
        severity: Warning,
        default: true,
        summary: "A Job sets neither activeDeadlineSeconds nor backoffLimit",
    }
}

impl Rule for JobNoDeadline {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some((spec, ptr)) = job_spec(obj) else {
            return;
        };
        let set = |k: &str| {
            spec.get(k)
                .is_some_and(|n| !n.is_null() && n.as_i64().is_some())
        };
        if set("activeDeadlineSeconds") || set("backoffLimit") || set("backoffLimitPerIndex") {
            return;
        }
        out.report(
            id,
            ptr.key("activeDeadlineSeconds"),
            format!(
                "{} `{}` sets neither activeDeadlineSeconds nor backoffLimit, so a hung run is never stopped",
                obj.kind, obj.name
            ),
        );
    }
}
