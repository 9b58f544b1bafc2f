use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Namespaces and workloads (objects with a pod template and no controlling
    /// owner) that lack a cost-allocation label of the `cost-labels` setting. Each entry
    /// is a group of alternatives: the default `team|owner` is satisfied by either
    /// `team` or `owner`.
    ///
    /// A Namespace needs the label in its `metadata.labels`. A workload needs it on its
    /// **pod template** (`spec.template.metadata.labels`; a bare Pod's own labels),
    /// because cost tools such as Kubecost and OpenCost allocate by the labels of the
    /// running pods, which do not inherit the workload's own labels. Kubernetes copies
    /// nothing from a namespace to its pods either, but those tools can also allocate by
    /// namespace label: a workload passes when its Namespace object in the input
    /// carries the label.
    ///
    /// ## Why it matters in production
    /// Unlabelled pods end up in the "unallocated" bucket of the cost report, and nobody
    /// is asked about the bill or the runaway resource usage they cause.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   labels: {team: payments}   # not on the pods
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels: {app: checkout}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   labels: {team: payments}
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels: {app: checkout, team: payments}
    /// ```
    ///
    /// ## Fix safety
    /// When the workload's own `metadata.labels` carry a label of the group, the fix
    /// copies it (the first one of the group the workload has, with its value) into
    /// the pod template's labels. It is unsafe: changing the template rolls the pods,
    /// and Services, NetworkPolicies or other selectors on that label start to match
    /// them. Otherwise which team owns the workload is not in the manifest and there is
    /// no fix; a Namespace gets none either.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/>
    /// - <https://www.opencost.io/docs/>
    pub struct CostLabelsMissing {
        code: "META002",
        name: "cost-labels-missing",
        severity: Info,
        default: true,
        fix: Unsafe,
        summary: "A workload or Namespace has no cost-allocation label",
    }
}

fn has_any(labels: Option<&Node>, alternatives: &[&str]) -> bool {
    labels.is_some_and(|l| alternatives.iter().any(|k| l.get(k).is_some()))
}

fn alternatives_text(alternatives: &[&str]) -> String {
    alternatives
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

impl Rule for CostLabelsMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let groups: Vec<Vec<&str>> = cx
            .settings
            .cost_labels
            .iter()
            .map(|g| {
                g.split('|')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .filter(|g: &Vec<&str>| !g.is_empty())
            .collect();
        if obj.kind == "Namespace" && obj.group().is_empty() {
            let labels = obj.metadata().and_then(|m| m.get("labels"));
            for alts in &groups {
                if !has_any(labels, alts) {
                    out.report(
                        id,
                        Pointer::root().keys(&["metadata", "labels", alts[0]]),
                        format!(
                            "Namespace `{}` has no cost-allocation label {}",
                            obj.name,
                            alternatives_text(alts)
                        ),
                    );
                }
            }
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if obj.has_controller() {
            return;
        }
        let ns_labels = obj
            .namespace
            .as_deref()
            .and_then(|ns| cx.index.namespace_object(ns))
            .and_then(|(_, n)| n.metadata().and_then(|m| m.get("labels")));
        let own = obj.metadata().and_then(|m| m.get("labels"));
        let pod = t.metadata().and_then(|m| m.get("labels"));
        for alts in &groups {
            if has_any(pod, alts) || has_any(ns_labels, alts) {
                continue;
            }
            let path = t.meta_pointer(&["labels", alts[0]]);
            let msg = if t.is_pod() {
                format!(
                    "Pod `{}` has no cost-allocation label {}",
                    obj.name,
                    alternatives_text(alts)
                )
            } else if has_any(own, alts) {
                format!(
                    "the pod template of {} `{}` has no cost-allocation label {} (the {}'s own label does not reach its pods, and cost tools read pod labels)",
                    obj.kind,
                    obj.name,
                    alternatives_text(alts),
                    obj.kind
                )
            } else {
                format!(
                    "{} `{}` has no cost-allocation label {} on its pod template",
                    obj.kind,
                    obj.name,
                    alternatives_text(alts)
                )
            };
            let fix = (!t.is_pod())
                .then(|| {
                    alts.iter().find_map(|k| {
                        let v = own?.get(k)?.as_str()?;
                        Some(
                            Fix::new(
                                Applicability::Unsafe,
                                format!(
                                    "copy the {} label `{k}: {v}` to the pod template",
                                    obj.kind
                                ),
                            )
                            .add(&t.meta_pointer(&["labels", k]), serde_json::json!(v)),
                        )
                    })
                })
                .flatten();
            let found = out.report(id, path, msg);
            if let Some(fix) = fix {
                found.fix(fix);
            }
        }
    }
}
