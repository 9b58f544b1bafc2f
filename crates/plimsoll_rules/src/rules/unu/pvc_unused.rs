use plimsoll_model::Node;

use super::util::{CLAIM, candidates, name_path};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a PersistentVolumeClaim that no pod template of its namespace mounts
    /// (`volumes[].persistentVolumeClaim.claimName`, or any other object under a
    /// `claimName` key) and that is not one of a StatefulSet's claims (named
    /// `<volumeClaimTemplate>-<statefulset>-<ordinal>`: those are kept for the
    /// replica when it comes back, after a scale-down too).
    ///
    /// Only a namespace the input holds whole is judged; elsewhere the claim is
    /// reported as not evaluated. Not judged: the namespaces `kube-*` and claims with
    /// an owner (generic ephemeral volumes belong to their pod). Opt-in (not in
    /// `default`).
    ///
    /// ## Why it matters in production
    /// A claim holds its volume, and the volume is billed, whether or not anything
    /// mounts it. Claims left behind by a deleted Deployment or a renamed volume
    /// accumulate, and under a `Retain` reclaim policy their data outlives them
    /// again.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata: {name: uploads-old, namespace: shop}
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 100Gi}}
    /// ```
    ///
    /// ## Use instead
    /// Back up what it holds and delete it, or mount it where it is needed.
    ///
    /// ## Fix safety
    /// No automatic fix: deleting a claim may delete its data.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/storage/persistent-volumes/>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention>
    pub struct PvcUnused {
        code: "UNU003",
        name: "pvc-unused",
        severity: Info,
        default: false,
        summary: "A PersistentVolumeClaim that no pod template mounts",
    }
}

/// Whether `name` is a claim a StatefulSet of `ns` makes.
fn statefulset_claim(cx: &Context, ns: &str, name: &str) -> bool {
    cx.index.of_kind_in("StatefulSet", ns).any(|(_, s)| {
        s.root
            .at(&["spec", "volumeClaimTemplates"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.at(&["metadata", "name"]).and_then(Node::as_text))
            .any(|t| {
                name.strip_prefix(&format!("{t}-{}-", s.name))
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            })
    })
}

impl Rule for PvcUnused {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let list = candidates(cx, "PersistentVolumeClaim", "", out);
        if list.is_empty() {
            return;
        }
        let refs = cx.unused_refs();
        for (id, o, ns) in list {
            if refs.has(CLAIM, ns, &o.name) || statefulset_claim(cx, ns, &o.name) {
                continue;
            }
            out.report(
                id,
                name_path(),
                format!(
                    "PersistentVolumeClaim `{}` is mounted by no pod template of namespace `{ns}`, and its volume is paid for all the same",
                    o.name
                ),
            );
        }
    }
}
