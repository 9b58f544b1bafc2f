use std::collections::BTreeMap;

use plimsoll_model::Pointer;

use super::util::{VELERO, includes_namespace, is_paused, keeps_pvcs, schedules, template};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink, list_capped};

declare_rule! {
    /// ## What it does
    /// Reports each namespace that holds PersistentVolumeClaims (objects of the input,
    /// or the claims a StatefulSet's `volumeClaimTemplates` make) when no Velero
    /// `Schedule` backs it up: none that is not paused includes the namespace and keeps
    /// PersistentVolumeClaims among its resources.
    ///
    /// A Schedule's `spec.template` includes a namespace as Velero reads it:
    /// `includedNamespaces` absent, empty or `*` means every namespace, and its entries
    /// are globs (`*`, `?`, `[abc]`); an `excludedNamespaces` entry that matches
    /// removes it. `includedResources` (or `includedNamespaceScopedResources`) that
    /// does not name `persistentvolumeclaims` (or `*`), or an `excludedResources`
    /// entry that does, leaves the claims out. Label selectors are not judged.
    ///
    /// The rule runs only where Velero is installed (a `velero.io` object, or the
    /// CustomResourceDefinition of `Schedule`, among the inputs or in the cluster). In
    /// files, it judges only inputs that hold at least one Schedule: Schedules live in
    /// Velero's namespace, often in another repository, so without any the namespaces
    /// are reported as not evaluated. The finding is on the `Namespace` object when it
    /// is in the input, otherwise on the namespace's first claim.
    ///
    /// ## Why it matters in production
    /// A namespace with persistent volumes holds data that exists nowhere else. If no
    /// backup schedule includes it, a deleted namespace, a corrupted volume or a lost
    /// cluster loses that data for good, and nobody notices until the restore that
    /// cannot happen.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: velero.io/v1
    /// kind: Schedule
    /// metadata: {name: nightly, namespace: velero}
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template:
    ///     includedNamespaces: [shop]   # the PVCs of `orders` are in no Schedule
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template:
    ///     includedNamespaces: [shop, orders]
    ///     ttl: 720h0m0s
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which Schedule should take the namespace (and how often, and
    /// for how long) is a decision.
    ///
    /// ## References
    /// - <https://velero.io/docs/main/api-types/schedule/>
    /// - <https://velero.io/docs/main/resource-filtering/>
    /// - <https://kubernetes.io/docs/concepts/storage/persistent-volumes/>
    pub struct PvcNamespaceNotBackedUp {
        code: "BAK001",
        name: "pvc-namespace-not-backed-up",
        severity: Warning,
        default: true,
        summary: "A namespace with PersistentVolumeClaims is in no Velero backup Schedule",
    }
}

impl Rule for PvcNamespaceNotBackedUp {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        if !cx.index.kind_known(VELERO, "Schedule") {
            return;
        }
        // namespace -> the objects that hold claims there (PVCs, StatefulSets with
        // volumeClaimTemplates), in input order
        let mut holders: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (id, o) in cx.index.of_kind("PersistentVolumeClaim") {
            if let (true, Some(ns)) = (o.group().is_empty(), o.namespace.as_deref()) {
                holders.entry(ns).or_default().push(id);
            }
        }
        for (id, o) in cx.index.of_kind("StatefulSet") {
            let templates = o
                .root
                .at(&["spec", "volumeClaimTemplates"])
                .is_some_and(|t| !t.items().is_empty());
            if let (true, true, Some(ns)) = (o.group() == "apps", templates, o.namespace.as_deref())
            {
                holders.entry(ns).or_default().push(id);
            }
        }
        let all: Vec<usize> = schedules(cx.index).map(|(id, _)| id).collect();
        for (ns, mut ids) in holders {
            ids.sort_unstable();
            let first = ids[0];
            if all.is_empty() && cx.live().is_none() {
                out.not_evaluated(
                    first,
                    "the input holds no velero.io Schedule (they live in Velero's namespace), \
                     so whether one backs this namespace up is unknown",
                );
                continue;
            }
            let covered = all.iter().any(|&s| {
                let o = cx.index.object(s);
                !is_paused(o) && includes_namespace(template(o), ns) && keeps_pvcs(template(o))
            });
            if covered {
                continue;
            }
            let paused: Vec<String> = all
                .iter()
                .map(|&s| cx.index.object(s))
                .filter(|o| is_paused(o) && includes_namespace(template(o), ns))
                .map(|o| format!("`{}`", o.name))
                .collect();
            let count = |kind: &str| {
                ids.iter()
                    .filter(|&&i| cx.index.object(i).kind == kind)
                    .count()
            };
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            let mut held = Vec::new();
            let pvcs = count("PersistentVolumeClaim");
            if pvcs > 0 {
                held.push(format!("{pvcs} PersistentVolumeClaim{}", plural(pvcs)));
            }
            let sets = count("StatefulSet");
            if sets > 0 {
                held.push(format!(
                    "the volumeClaimTemplates of {sets} StatefulSet{}",
                    plural(sets)
                ));
            }
            let claims = held.join(" and ");
            let also = match paused.len() {
                0 => String::new(),
                1 => format!(" (only the paused Schedule {} includes it)", paused[0]),
                n => format!(
                    " (only paused Schedules include it: {})",
                    list_capped(paused.iter().cloned(), n, 5)
                ),
            };
            let message = format!(
                "namespace `{ns}` holds {claims} but no Velero Schedule backs it up{also}: \
                 its volume data is in no backup"
            );
            match cx.index.namespace_object(ns) {
                Some((nid, _)) => {
                    out.report(nid, Pointer::root().keys(&["metadata", "name"]), message)
                        .related_all(&ids, |_| Pointer::root());
                }
                None => {
                    out.report(
                        first,
                        Pointer::root().keys(&["metadata", "namespace"]),
                        message,
                    )
                    .related_all(&ids[1..], |_| Pointer::root());
                }
            }
        }
    }
}
