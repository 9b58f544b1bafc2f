use plimsoll_model::{Index, Node, Object, PodTemplate};

use super::util::{covers, not_covered};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `volumes[].persistentVolumeClaim.claimName` of pod templates (every
    /// workload kind) that name a PersistentVolumeClaim the input does not hold in the
    /// workload's namespace.
    ///
    /// Claims that a StatefulSet creates count as present: in a StatefulSet's own
    /// template, a volume named like one of its `volumeClaimTemplates` is replaced by
    /// the controller with the pod's claim, and elsewhere `<template>-<statefulset>-<n>`
    /// names a claim the controller creates (n from `spec.ordinals.start`, below
    /// start + replicas unless an HPA scales the StatefulSet).
    /// Generic ephemeral volumes (`volumes[].ephemeral`) create their own claims and
    /// are not references.
    ///
    /// The namespace is judged only when the input holds the whole namespace (its
    /// Namespace object, or its manifests read from a directory, a rendered chart or
    /// overlay, standard input or a root) or at least one PersistentVolumeClaim of
    /// that namespace; otherwise the workload is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// The scheduler does not place a pod whose claim does not exist: it stays
    /// `Pending` (`persistentvolumeclaim "data" not found`) and the workload never
    /// comes up.
    ///
    /// ## Example
    /// ```yaml
    /// kind: PersistentVolumeClaim
    /// metadata: {name: uploads, namespace: shop}
    /// ---
    /// spec:
    ///   volumes:
    ///     - name: data
    ///       persistentVolumeClaim: {claimName: upload}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   volumes:
    ///     - name: data
    ///       persistentVolumeClaim: {claimName: uploads}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which claim is right is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#claims-as-volumes>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#volume-claim-templates>
    pub struct PvcNotFound {
        code: "REF005",
        name: "pvc-not-found",
        severity: Error,
        default: true,
        summary: "A pod template refers to a PersistentVolumeClaim that does not exist",
    }
}

const PVCS: &[(&str, &str)] = &[("", "PersistentVolumeClaim")];

/// The names of a StatefulSet's volumeClaimTemplates.
fn claim_templates(o: &Object) -> impl Iterator<Item = &str> {
    o.root
        .at(&["spec", "volumeClaimTemplates"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.at(&["metadata", "name"]).and_then(Node::as_text))
}

fn is_statefulset(o: &Object) -> bool {
    o.kind == "StatefulSet" && o.group() == "apps"
}

/// Whether a StatefulSet of the namespace creates a claim of that name
/// (`<template>-<statefulset>-<ordinal>`, ordinal from `spec.ordinals.start`).
fn statefulset_claim(index: &Index, ns: &str, claim: &str) -> bool {
    index.of_kind_in("StatefulSet", ns).any(|(id, s)| {
        if !is_statefulset(s) {
            return false;
        }
        // an HPA may scale it beyond spec.replicas
        let scaled = !index.hpas_for(id).is_empty();
        let replicas = s
            .root
            .at(&["spec", "replicas"])
            .and_then(Node::as_i64)
            .unwrap_or(1);
        let start = s
            .root
            .at(&["spec", "ordinals", "start"])
            .and_then(Node::as_i64)
            .unwrap_or(0);
        claim_templates(s).any(|t| {
            claim
                .strip_prefix(t)
                .and_then(|r| r.strip_prefix('-'))
                .and_then(|r| r.strip_prefix(s.name.as_str()))
                .and_then(|r| r.strip_prefix('-'))
                .and_then(|n| n.parse::<i64>().ok().filter(|_| !n.starts_with('+')))
                .is_some_and(|n| n >= start && (scaled || n < start + replicas))
        })
    })
}

impl Rule for PvcNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let own: Vec<&str> = if is_statefulset(obj) {
            claim_templates(obj).collect()
        } else {
            Vec::new()
        };
        let covered = covers(cx.index, PVCS, ns);
        let mut unknown: Vec<&str> = Vec::new();
        let volumes = t.spec_field("volumes").map(Node::items).unwrap_or_default();
        for (i, v) in volumes.iter().enumerate() {
            let Some(claim) = v
                .at(&["persistentVolumeClaim", "claimName"])
                .and_then(Node::as_text)
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            let vname = v.get("name").and_then(Node::as_text).unwrap_or("?");
            if own.contains(&vname)
                || cx
                    .index
                    .get("PersistentVolumeClaim", Some(ns), claim)
                    .is_some_and(|(_, o)| o.group().is_empty())
                || statefulset_claim(cx.index, ns, claim)
            {
                continue;
            }
            if !covered {
                if !unknown.contains(&claim) {
                    unknown.push(claim);
                }
                continue;
            }
            out.report(
                id,
                t.spec_pointer(&["volumes"])
                    .index(i)
                    .keys(&["persistentVolumeClaim", "claimName"]),
                format!(
                    "volume `{vname}` refers to PersistentVolumeClaim `{claim}`, which is not \
                     in namespace `{ns}`: the pods stay Pending"
                ),
            );
        }
        if !unknown.is_empty() {
            out.not_evaluated(id, not_covered("PersistentVolumeClaim", ns, &unknown));
        }
    }
}
