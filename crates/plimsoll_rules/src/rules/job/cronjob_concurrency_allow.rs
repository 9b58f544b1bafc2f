use plimsoll_model::{Node, Object, Pointer};

use super::util::cronjob_spec;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports CronJobs whose `concurrencyPolicy` is `Allow`, written or by default
    /// (absent means `Allow`).
    ///
    /// ## Why it matters in production
    /// With `Allow`, a run that takes longer than the schedule interval overlaps the
    /// next one, and the next: runs pile up, compete for the same rows, files or
    /// locks, and a slow dependency turns into dozens of concurrent Jobs that slow it
    /// further. Most scheduled work (reports, backups, syncs) must not run twice at
    /// once.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// spec:
    ///   schedule: "*/5 * * * *"
    ///   jobTemplate: ...
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// spec:
    ///   schedule: "*/5 * * * *"
    ///   concurrencyPolicy: Forbid     # or Replace to cancel the old run
    ///   jobTemplate: ...
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `concurrencyPolicy: Forbid` and is unsafe: a run due while the
    /// previous one is still active is skipped. `Replace` (kill the running one) may be
    /// what the work needs instead; write `Allow` explicitly and exempt the object when
    /// overlapping runs are intended.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#concurrency-policy>
    pub struct CronjobConcurrencyAllow {
        code: "JOB002",
        name: "cronjob-concurrency-allow",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A CronJob allows overlapping runs",
    }
}

impl Rule for CronjobConcurrencyAllow {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(spec) = cronjob_spec(obj) else {
            return;
        };
        let policy = spec.get("concurrencyPolicy").and_then(Node::as_text);
        if policy.is_some_and(|p| p != "Allow") {
            return;
        }
        let path = Pointer::root().keys(&["spec", "concurrencyPolicy"]);
        let fix = Fix::new(Applicability::Unsafe, "set concurrencyPolicy: Forbid").set(
            &obj.root,
            &path,
            serde_json::json!("Forbid"),
        );
        out.report(
            id,
            path,
            if policy.is_some() {
                format!(
                    "CronJob `{}` sets concurrencyPolicy Allow, so a slow run overlaps the next ones",
                    obj.name
                )
            } else {
                format!(
                    "CronJob `{}` has no concurrencyPolicy (default Allow), so a slow run overlaps the next ones",
                    obj.name
                )
            },
        )
        .fix(fix);
    }
}
