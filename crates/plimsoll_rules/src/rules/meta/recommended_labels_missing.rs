use plimsoll_model::{Object, PodTemplate, Pointer};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads (objects with a pod template and no controlling owner:
    /// Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, bare Pods, Argo Rollouts)
    /// and Services whose `metadata.labels` lack any label of the `required-labels`
    /// setting (default `app.kubernetes.io/name` and `app.kubernetes.io/instance`, the
    /// Kubernetes recommended labels). Pods and ReplicaSets created by a controller
    /// (an `ownerReferences` entry with `controller: true`) are not reported: their
    /// owner is.
    ///
    /// ## Why it matters in production
    /// Dashboards, `kubectl get -l`, cost reports, alert routing and incident tooling
    /// group objects by these labels. An object without them is invisible to the
    /// queries people run during an incident.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   labels:
    ///     app: checkout
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   labels:
    ///     app.kubernetes.io/name: checkout
    ///     app.kubernetes.io/instance: checkout-prod
    /// ```
    ///
    /// ## Fix safety
    /// When the workload's pod template carries a missing label (or, for a Service,
    /// its selector does), the fix copies that label with its value into the object's
    /// `metadata.labels`. It is display-only: the values (which application, which
    /// instance) are the author's to choose, and tooling that selects objects by these
    /// labels starts to see the object. Labels found nowhere in the object get no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/>
    pub struct RecommendedLabelsMissing {
        code: "META001",
        name: "recommended-labels-missing",
        severity: Info,
        default: true,
        fix: DisplayOnly,
        summary: "A workload or Service lacks the recommended labels",
    }
}

impl Rule for RecommendedLabelsMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let service = obj.kind == "Service" && obj.group().is_empty();
        let workload = PodTemplate::of(obj).is_some() && !obj.has_controller();
        if !service && !workload {
            return;
        }
        let labels = obj.metadata().and_then(|m| m.get("labels"));
        let missing: Vec<&str> = cx
            .settings
            .required_labels
            .iter()
            .map(String::as_str)
            .filter(|k| labels.and_then(|l| l.get(k)).is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        let list = missing
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, path) = if missing.len() == 1 {
            (
                "label",
                Pointer::root().keys(&["metadata", "labels", missing[0]]),
            )
        } else {
            ("labels", Pointer::root().keys(&["metadata", "labels"]))
        };
        // the values the object itself gives: its pod template's labels, or a
        // Service's selector
        let source: Vec<(&str, &str)> = if service {
            obj.root
                .at(&["spec", "selector"])
                .map(|s| {
                    s.entries()
                        .iter()
                        .filter_map(|e| Some((e.key.as_str(), e.value.as_str()?)))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            PodTemplate::of(obj)
                .map(|t| t.labels().collect())
                .unwrap_or_default()
        };
        let copied: Vec<(&str, &str)> = missing
            .iter()
            .filter_map(|k| source.iter().find(|(sk, _)| sk == k).copied())
            .collect();
        let found = out.report(
            id,
            path,
            format!(
                "{} `{}` has no {noun} {list} in metadata.labels",
                obj.kind, obj.name
            ),
        );
        if !copied.is_empty() {
            let from = if service { "selector" } else { "pod template" };
            let names = copied
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut fix = Fix::new(
                Applicability::DisplayOnly,
                format!("copy from the {from}: {names}"),
            );
            if labels.is_some_and(|l| l.is_map()) {
                for (k, v) in &copied {
                    fix = fix.add(
                        &Pointer::root().keys(&["metadata", "labels", k]),
                        serde_json::json!(v),
                    );
                }
            } else {
                let map: serde_json::Map<String, serde_json::Value> = copied
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                    .collect();
                fix = fix.add(
                    &Pointer::root().keys(&["metadata", "labels"]),
                    serde_json::Value::Object(map),
                );
            }
            found.fix(fix);
        }
    }
}
