use std::collections::BTreeMap;

use plimsoll_model::{Node, Pointer, Timestamp};

use super::util::{VELERO, created, schedules};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// How recent a successful restore must be.
const WINDOW_DAYS: i64 = 90;

declare_rule! {
    /// ## What it does
    /// From a live cluster's state (a live audit, or a dump made with `kubectl get -o
    /// yaml`): reports Velero's namespace when its Schedules run (some `Schedule`
    /// there reports `status.lastBackup`) but no `Restore` of that namespace completed
    /// (`status.phase: Completed`) in the last 90 days, judged by
    /// `status.completionTimestamp` (else the Restore's creation). The finding is on
    /// the first Schedule of the namespace that has run. Plain manifests carry no
    /// status and draw nothing. "Now" is the audit's clock, or the newest time recorded
    /// in a dump.
    ///
    /// Restores done in another cluster (a recovery drill against a scratch cluster
    /// that shares the bucket) are invisible here: exempt the Schedule with a reason.
    ///
    /// ## Why it matters in production
    /// A backup that was never restored is a hope, not a backup: missing volume data,
    /// plugins that fail on restore, CRDs restored after their objects and credentials
    /// that no longer open the bucket are all found only by restoring. Regular restore
    /// drills find them before an incident does.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: velero.io/v1
    /// kind: Schedule
    /// metadata: {name: nightly, namespace: velero}
    /// spec: {schedule: "0 2 * * *"}
    /// status: {phase: Enabled, lastBackup: "2024-05-08T02:00:00Z"}
    /// # ... and no Restore, or none Completed since February
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: velero.io/v1
    /// kind: Restore
    /// metadata: {name: drill-2024-05, namespace: velero}
    /// spec:
    ///   backupName: nightly-20240501020000
    ///   namespaceMapping: {shop: shop-restore-drill}
    /// status: {phase: Completed, completionTimestamp: "2024-05-02T09:30:00Z"}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: schedule a restore drill (into a scratch namespace with
    /// `namespaceMapping`, or another cluster) and check what comes back.
    ///
    /// ## References
    /// - <https://velero.io/docs/main/api-types/restore/>
    /// - <https://velero.io/docs/main/restore-reference/>
    /// - <https://kubernetes.io/docs/concepts/storage/persistent-volumes/>
    pub struct RestoreNotTested {
        code: "BAK005",
        name: "restore-not-tested",
        severity: Info,
        default: true,
        summary: "Velero backs up, but no Restore has completed in the last 90 days",
    }
}

impl Rule for RestoreNotTested {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let Some(now) = cx.now() else {
            return;
        };
        // Velero namespaces whose Schedules have run: the first such Schedule
        let mut running: BTreeMap<&str, usize> = BTreeMap::new();
        for (id, o) in schedules(cx.index) {
            if o.root
                .at(&["status", "lastBackup"])
                .is_some_and(|n| !n.is_null())
                && let Some(ns) = o.namespace.as_deref()
            {
                running.entry(ns).or_insert(id);
            }
        }
        for (ns, schedule) in running {
            let newest = cx
                .index
                .of_kind_in("Restore", ns)
                .filter(|(_, r)| {
                    r.group() == VELERO
                        && r.root.at(&["status", "phase"]).and_then(Node::as_text)
                            == Some("Completed")
                })
                .filter_map(|(r, o)| {
                    Timestamp::of(o.root.at(&["status", "completionTimestamp"]))
                        .or_else(|| created(o))
                        .map(|t| (t, r))
                })
                .max();
            let since = now.unix() - WINDOW_DAYS * 86_400;
            let what = match newest {
                Some((t, _)) if t.unix() >= since => continue,
                Some((t, _)) => format!("the last completed on {}", &t.to_string()[..10]),
                None => "none has completed".to_string(),
            };
            let f = out.report(
                schedule,
                Pointer::root().keys(&["metadata", "name"]),
                format!(
                    "Velero backs up in namespace `{ns}` but no Restore completed in the last \
                     {WINDOW_DAYS} days ({what}): whether the backups restore is untested"
                ),
            );
            if let Some((_, r)) = newest {
                f.related(r, Pointer::root().keys(&["status", "completionTimestamp"]));
            }
        }
    }
}
