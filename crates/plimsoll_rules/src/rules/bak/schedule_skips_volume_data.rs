use plimsoll_model::{Node, Object, Pointer};

use super::util::{includes_namespace, is_schedule, template};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// The pod annotation that opts volumes into file-system backup.
const OPT_IN: &str = "backup.velero.io/backup-volumes";

declare_rule! {
    /// ## What it does
    /// Reports a Velero `Schedule` whose backups take no volume data: its
    /// `spec.template` sets `snapshotVolumes: false` and does not set
    /// `defaultVolumesToFsBackup: true`. Pods that opt volumes in to file-system
    /// backup with the annotation `backup.velero.io/backup-volumes` (on a pod template
    /// of the input, in a namespace the Schedule includes) count as backing data up,
    /// and then the Schedule is not reported.
    ///
    /// `snapshotVolumes` absent means snapshots are taken when a volume snapshot
    /// provider (or CSI) is configured, which the manifests do not show; only the
    /// explicit `false` is judged.
    ///
    /// ## Why it matters in production
    /// With snapshots off and no file-system backup, Velero saves the manifests of the
    /// PersistentVolumeClaims and nothing of what they hold. The backups succeed, the
    /// dashboards are green, and a restore brings back empty volumes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: velero.io/v1
    /// kind: Schedule
    /// metadata: {name: nightly, namespace: velero}
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template:
    ///     snapshotVolumes: false
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template:
    ///     snapshotVolumes: false
    ///     defaultVolumesToFsBackup: true   # or snapshots, with a provider or CSI
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `defaultVolumesToFsBackup: true`. It is unsafe: file-system backup
    /// needs the node agent (`--use-node-agent`) and copies every mounted volume
    /// through it, which takes time and storage; snapshots may be the better choice.
    ///
    /// ## References
    /// - <https://velero.io/docs/main/file-system-backup/>
    /// - <https://velero.io/docs/main/api-types/backup/>
    /// - <https://kubernetes.io/docs/concepts/storage/volume-snapshots/>
    pub struct ScheduleSkipsVolumeData {
        code: "BAK002",
        name: "schedule-skips-volume-data",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A Velero Schedule turns volume snapshots off without file-system backup",
    }
}

impl Rule for ScheduleSkipsVolumeData {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_schedule(obj) {
            return;
        }
        let spec = template(obj);
        let flag = |k: &str| spec.and_then(|s| s.get(k)).and_then(Node::as_bool);
        if flag("snapshotVolumes") != Some(false) || flag("defaultVolumesToFsBackup") == Some(true)
        {
            return;
        }
        let opted_in = cx.index.namespaces().any(|ns| {
            includes_namespace(spec, ns)
                && cx.index.workloads_in(ns).iter().any(|&w| {
                    cx.index
                        .pod_template(w)
                        .and_then(|t| t.annotation(OPT_IN))
                        .is_some_and(|v| !v.trim().is_empty())
                })
        });
        if opted_in {
            return;
        }
        let template_ptr = Pointer::root().keys(&["spec", "template"]);
        out.report(
            id,
            template_ptr.key("snapshotVolumes"),
            format!(
                "Schedule `{}` turns volume snapshots off and does not back volumes up with \
                 the file system (defaultVolumesToFsBackup): its backups hold no volume data",
                obj.name
            ),
        )
        .fix(
            Fix::new(
                Applicability::Unsafe,
                "set defaultVolumesToFsBackup: true (needs Velero's node agent)",
            )
            .set(
                &obj.root,
                &template_ptr.key("defaultVolumesToFsBackup"),
                serde_json::json!(true),
            ),
        );
    }
}
