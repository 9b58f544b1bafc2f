use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use super::util::is_statefulset;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports claims that name no StorageClass: PersistentVolumeClaims,
    /// StatefulSet `volumeClaimTemplates` and generic ephemeral volumes
    /// (`volumes[].ephemeral.volumeClaimTemplate`) without `spec.storageClassName`
    /// (and without the legacy `volume.beta.kubernetes.io/storage-class` annotation).
    ///
    /// `storageClassName: ""` is not reported: it deliberately asks for no class
    /// (binding to a pre-provisioned PersistentVolume without a class).
    ///
    /// ## Why it matters in production
    /// Without a class, the `DefaultStorageClass` admission plugin gives the claim
    /// whatever class the cluster marks as default (and since Kubernetes 1.28 a
    /// default class created later is assigned retroactively). The same manifest then
    /// gets a different disk type, performance, reclaim policy, zone binding mode and
    /// price on each cluster, or stays `Pending` forever on a cluster without a
    /// default class. The class of a bound claim cannot be changed afterwards.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata: {name: data}
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 10Gi}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata: {name: data}
    /// spec:
    ///   storageClassName: gp3
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 10Gi}}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the right class is specific to the cluster and the workload.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#class-1>
    /// - <https://kubernetes.io/docs/concepts/storage/storage-classes/#default-storageclass>
    /// - <https://kubernetes.io/docs/concepts/storage/ephemeral-volumes/#generic-ephemeral-volumes>
    pub struct StorageClassMissing {
        code: "STO002",
        name: "storage-class-missing",
        severity: Info,
        default: true,
        summary: "A volume claim names no storageClassName, so the cluster's default class decides",
    }
}

/// Whether a claim (a PVC or a claim template: `metadata` + `spec`) leaves its class
/// to the cluster default.
fn lacks_class(claim: &Node) -> bool {
    let annotated = claim
        .at(&[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ])
        .is_some_and(|v| !v.is_null());
    let written = claim
        .at(&["spec", "storageClassName"])
        .is_some_and(|v| !v.is_null());
    !annotated && !written
}

fn claim_name(claim: &Node) -> &str {
    claim
        .at(&["metadata", "name"])
        .and_then(Node::as_text)
        .unwrap_or("")
}

impl Rule for StorageClassMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind == "PersistentVolumeClaim" && obj.group().is_empty() {
            if lacks_class(&obj.root) {
                out.report(
                    id,
                    Pointer::root().keys(&["spec", "storageClassName"]),
                    "PersistentVolumeClaim has no storageClassName: the cluster's default \
                     StorageClass decides its storage",
                );
            }
            return;
        }
        if is_statefulset(obj) {
            let templates = obj.root.at(&["spec", "volumeClaimTemplates"]);
            for (i, claim) in templates
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                if lacks_class(claim) {
                    out.report(
                        id,
                        Pointer::root()
                            .keys(&["spec", "volumeClaimTemplates"])
                            .index(i)
                            .keys(&["spec", "storageClassName"]),
                        format!(
                            "volumeClaimTemplate `{}` has no storageClassName: the cluster's \
                             default StorageClass decides its storage",
                            claim_name(claim)
                        ),
                    );
                }
            }
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let volumes = t.spec_field("volumes").map(Node::items).unwrap_or_default();
        for (i, v) in volumes.iter().enumerate() {
            let Some(claim) = v.at(&["ephemeral", "volumeClaimTemplate"]) else {
                continue;
            };
            if lacks_class(claim) {
                let name = v.get("name").and_then(Node::as_text).unwrap_or("");
                out.report(
                    id,
                    t.spec_pointer(&["volumes"]).index(i).keys(&[
                        "ephemeral",
                        "volumeClaimTemplate",
                        "spec",
                        "storageClassName",
                    ]),
                    format!(
                        "ephemeral volume `{name}` has no storageClassName: the cluster's \
                         default StorageClass decides its storage"
                    ),
                );
            }
        }
    }
}
