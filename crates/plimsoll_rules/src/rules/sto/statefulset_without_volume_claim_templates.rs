use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use super::util::is_statefulset;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports StatefulSets without `volumeClaimTemplates` whose pods mount no
    /// PersistentVolumeClaim (or NFS share) either: nothing they write survives the pod.
    ///
    /// ## Why it matters in production
    /// A StatefulSet's point is a stable identity *with its own storage*: pod `db-0`
    /// gets back claim `data-db-0` wherever it is rescheduled. Without
    /// `volumeClaimTemplates`, whatever the pods keep lives in the container filesystem
    /// or an `emptyDir`, and is lost when the pod is evicted, rescheduled or its node
    /// is drained. Either the workload is stateless, and a Deployment rolls it out
    /// faster (surge, parallel updates), or it is stateful and is one eviction away
    /// from losing its data.
    ///
    /// StatefulSets that mount a claim shared by all replicas (a `persistentVolumeClaim`
    /// volume) or an NFS share are not reported: their state is persistent on purpose.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: db}
    /// spec:
    ///   serviceName: db
    ///   selector: {matchLabels: {app: db}}
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16
    ///           volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
    ///       volumes:
    ///         - name: data
    ///           emptyDir: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16
    ///           volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
    ///   volumeClaimTemplates:
    ///     - metadata: {name: data}
    ///       spec:
    ///         accessModes: [ReadWriteOnce]
    ///         storageClassName: gp3
    ///         resources: {requests: {storage: 20Gi}}
    /// ```
    /// Or, if the workload keeps no state, make it a Deployment.
    ///
    /// ## Fix safety
    /// No automatic fix: the size, class and mount of the storage (or the move to a
    /// Deployment) are decisions. `volumeClaimTemplates` cannot be changed on an
    /// existing StatefulSet; it must be deleted (`--cascade=orphan`) and recreated.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-storage>
    /// - <https://kubernetes.io/docs/concepts/storage/volumes/#emptydir>
    pub struct StatefulsetWithoutVolumeClaimTemplates {
        code: "STO001",
        name: "statefulset-without-volume-claim-templates",
        severity: Info,
        default: true,
        summary: "A StatefulSet has no volumeClaimTemplates, so its pods keep no persistent state",
    }
}

impl Rule for StatefulsetWithoutVolumeClaimTemplates {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_statefulset(obj) {
            return;
        }
        let has_templates = obj
            .root
            .at(&["spec", "volumeClaimTemplates"])
            .is_some_and(|v| !v.items().is_empty());
        if has_templates {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let persistent = t
            .spec_field("volumes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|v| v.get("persistentVolumeClaim").is_some() || v.get("nfs").is_some());
        if persistent {
            return;
        }
        out.report(
            id,
            Pointer::root().keys(&["spec", "volumeClaimTemplates"]),
            "StatefulSet has no volumeClaimTemplates and mounts no persistent volume: \
             its pods lose their data when rescheduled",
        );
    }
}
