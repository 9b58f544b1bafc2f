use plimsoll_model::{Node, Object, Pointer, Timestamp, format_duration};

use super::util::{SCHEDULE_NAME_LABEL, VELERO, created, cron_max_gap, is_paused, is_schedule};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Backup phases after which Velero does no more work on it.
const FINISHED: &[&str] = &["Completed", "PartiallyFailed", "Failed", "FailedValidation"];
const FAILED: &[&str] = &["PartiallyFailed", "Failed", "FailedValidation"];

declare_rule! {
    /// ## What it does
    /// Judges a Velero `Schedule` by the state the cluster reports (a live audit, or a
    /// dump made with `kubectl get -o yaml`; plain manifests carry no status and draw
    /// nothing):
    /// - the newest finished `Backup` it made (the Backups labelled
    ///   `velero.io/schedule-name` with its name, in its namespace; newest by
    ///   `status.startTimestamp`, else creation) ended `Failed`, `PartiallyFailed` or
    ///   `FailedValidation`;
    /// - `status.lastBackup` is older than twice the longest interval of
    ///   `spec.schedule` (`0 2 * * *`: 48 hours), or the Schedule has been `Enabled`
    ///   for that long without any backup.
    ///
    /// Paused Schedules are not judged. "Now" is the audit's clock, or the newest
    /// time recorded in a dump.
    ///
    /// ## Why it matters in production
    /// A backup schedule is only as good as its last successful run. Failed backups
    /// (an unreachable bucket, expired credentials, a volume snapshot that times out)
    /// and a schedule that silently stopped (the Velero pod crash-looping, a paused
    /// controller) both look fine in git; the gap is found at restore time.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: velero.io/v1
    /// kind: Schedule
    /// metadata: {name: nightly, namespace: velero}
    /// spec:
    ///   schedule: "0 2 * * *"
    /// status:
    ///   phase: Enabled
    ///   lastBackup: "2024-05-01T02:00:00Z"   # a week ago
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// status:
    ///   phase: Enabled
    ///   lastBackup: "2024-05-08T02:00:00Z"   # last night, and that Backup Completed
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: find why the backups fail or stop (`velero backup describe
    /// --details`, `velero backup logs`, the Velero server's logs).
    ///
    /// ## References
    /// - <https://velero.io/docs/main/troubleshooting/>
    /// - <https://velero.io/docs/main/api-types/backup/>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/#object-spec-and-status>
    pub struct BackupFailingOrStale {
        code: "BAK004",
        name: "backup-failing-or-stale",
        severity: Error,
        default: true,
        summary: "A Velero Schedule's last backup failed, or it has not backed up for two intervals",
    }
}

/// When a Backup ran: `status.startTimestamp`, else its creation.
fn started(o: &Object) -> Option<Timestamp> {
    Timestamp::of(o.root.at(&["status", "startTimestamp"])).or_else(|| created(o))
}

impl Rule for BackupFailingOrStale {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_schedule(obj) || is_paused(obj) {
            return;
        }
        let Some(status) = obj.root.get("status").filter(|s| s.is_map()) else {
            return;
        };
        let ns = obj.namespace.as_deref().unwrap_or("");
        let newest = cx
            .index
            .of_kind_in("Backup", ns)
            .filter(|(_, b)| b.group() == VELERO && b.label(SCHEDULE_NAME_LABEL) == Some(&obj.name))
            .filter_map(|(b, o)| {
                let phase = o.root.at(&["status", "phase"]).and_then(Node::as_text)?;
                FINISHED.contains(&phase).then_some((started(o), b, phase))
            })
            .max();
        if let Some((_, b, phase)) = newest
            && FAILED.contains(&phase)
        {
            let backup = cx.index.object(b);
            out.report(
                id,
                Pointer::root().keys(&["metadata", "name"]),
                format!(
                    "the newest backup of Schedule `{}`, `{}`, ended {phase}: see `velero \
                     backup describe {} --details` and `velero backup logs {}`",
                    obj.name, backup.name, backup.name, backup.name
                ),
            )
            .related(b, Pointer::root().keys(&["status", "phase"]));
            return;
        }
        let (Some(now), Some(gap)) = (
            cx.now(),
            obj.root
                .at(&["spec", "schedule"])
                .and_then(Node::as_text)
                .and_then(cron_max_gap),
        ) else {
            return;
        };
        let limit = 2 * gap;
        match Timestamp::of(status.get("lastBackup")) {
            Some(last) if now.unix() - last.unix() > limit => {
                out.report(
                    id,
                    Pointer::root().keys(&["status", "lastBackup"]),
                    format!(
                        "Schedule `{}` last backed up {} ago ({last}), more than twice its \
                         interval of {}: backups have stopped",
                        obj.name,
                        format_duration(now.unix() - last.unix()),
                        format_duration(gap)
                    ),
                );
            }
            Some(_) => {}
            None => {
                if status.get("phase").and_then(Node::as_text) != Some("Enabled") {
                    return;
                }
                if let Some(c) = created(obj)
                    && now.unix() - c.unix() > limit
                {
                    out.report(
                        id,
                        Pointer::root().keys(&["status"]),
                        format!(
                            "Schedule `{}` has been enabled for {} and never backed up (its \
                             interval is {})",
                            obj.name,
                            format_duration(now.unix() - c.unix()),
                            format_duration(gap)
                        ),
                    );
                }
            }
        }
    }
}
