use plimsoll_model::{Object, PodTemplate, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

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
    /// No automatic fix: the values (which application, which instance) are the
    /// author's to choose.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/>
    pub struct RecommendedLabelsMissing {
        code: "META001",
        name: "recommended-labels-missing",
        severity: Info,
        default: true,
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
        out.report(
            id,
            path,
            format!(
                "{} `{}` has no {noun} {list} in metadata.labels",
                obj.kind, obj.name
            ),
        );
    }
}
