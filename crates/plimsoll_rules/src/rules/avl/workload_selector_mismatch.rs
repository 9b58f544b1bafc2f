use plimsoll_model::{ControllerSelector, Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports workloads whose `spec.selector` does not select the labels of their own
    /// pod template (`matchLabels` and `matchExpressions` with `In`, `NotIn`, `Exists`
    /// and `DoesNotExist`, evaluated against `spec.template.metadata.labels`), and
    /// workloads whose required selector is missing or empty:
    /// - `apps/v1` Deployment, ReplicaSet, StatefulSet and DaemonSet: the selector is
    ///   required, may not be empty, and must match the template labels; the API server
    ///   rejects the object otherwise (`extensions/v1beta1` and `apps/v1beta1` default a
    ///   missing selector from the template labels);
    /// - ReplicationController: an empty selector is defaulted from the template labels;
    ///   a written one must match them;
    /// - Job: only with `manualSelector: true` (otherwise Kubernetes generates the
    ///   selector and the template labels);
    /// - Argo Rollout with an embedded template: the selector is required and must match.
    ///   The API server accepts the custom resource; the Argo Rollouts controller marks it
    ///   `InvalidSpec` and does not roll it out.
    ///
    /// The message quotes the first selector term that fails. kube-linter's
    /// `mismatching-selector` and kube-score's `*-pod-selector-labels-match-template-
    /// metadata-labels` make the same check for some kinds; plimsoll evaluates
    /// `matchExpressions` too and covers ReplicationControllers, manual-selector Jobs and
    /// Argo Rollouts.
    ///
    /// ## Why it matters in production
    /// The apply fails, usually in the middle of a release: the classic cause is a label
    /// renamed in the template but not in the selector, or a template copied from another
    /// application. Since `apps/v1` the selector is immutable, so fixing a selector that
    /// was deployed means deleting and recreating the workload.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// spec:
    ///   selector: {matchLabels: {app: api-server}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    /// ```
    ///
    /// ## Fix safety
    /// The fix acts only where one side is missing rather than different: when the
    /// selector's `matchLabels` name keys the pod template does not carry at all, and
    /// adding them makes the selector match, it adds those labels to
    /// `spec.template.metadata.labels`; when an `apps/v1` workload has no selector, it
    /// writes `matchLabels` with the template's labels (what `extensions/v1beta1` and
    /// `apps/v1beta1` defaulted). It is unsafe: Services, PodDisruptionBudgets and
    /// NetworkPolicies that select the added labels start selecting these pods, and a
    /// selector cannot be changed after creation, so a template label in it that later
    /// changes (a version) blocks updates. A label with a differing value has no fix:
    /// either side may be the wrong one.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/job/#specifying-your-own-pod-selector>
    pub struct WorkloadSelectorMismatch {
        code: "AVL015",
        name: "workload-selector-mismatch",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A workload's selector does not select its own pod template",
    }
}

impl Rule for WorkloadSelectorMismatch {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let rollout = obj.group() == "argoproj.io";
        let outcome = if rollout {
            "Argo Rollouts marks the Rollout InvalidSpec and does not roll it out".to_string()
        } else {
            format!("the API server rejects the {}", obj.kind)
        };
        let what = format!("{} `{}`", obj.kind, obj.name);
        let sel = t.controller_selector();
        match &sel {
            ControllerSelector::NotApplicable | ControllerSelector::Defaulted => {}
            ControllerSelector::Missing { pointer } => {
                let defaulted = obj.kind == "ReplicationController"
                    || obj.group() == "extensions"
                    || obj.api_version == "apps/v1beta1";
                let why = if obj.kind == "Job" {
                    "has manualSelector: true but no spec.selector".to_string()
                } else if defaulted {
                    "has no spec.selector, and its pod template no labels to default it from"
                        .to_string()
                } else {
                    format!("has no spec.selector, which {} requires", obj.api_version)
                };
                let f = out.report(id, pointer.clone(), format!("{what} {why}: {outcome}"));
                let labels: serde_json::Map<String, serde_json::Value> = t
                    .labels()
                    .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                    .collect();
                if obj.api_version == "apps/v1" && !labels.is_empty() {
                    f.fix(
                        Fix::new(
                            Applicability::Unsafe,
                            "select the pod template's labels (spec.selector.matchLabels)",
                        )
                        .add(pointer, serde_json::json!({ "matchLabels": labels })),
                    );
                }
            }
            ControllerSelector::Written {
                pointer,
                selector: Some(s),
                ..
            } => {
                if s.is_empty() {
                    if !matches!(obj.kind.as_str(), "Job") {
                        out.report(
                            id,
                            pointer.clone(),
                            format!(
                                "{what} has an empty spec.selector, which is invalid: {outcome}"
                            ),
                        );
                    }
                    return;
                }
                let labels: Vec<(&str, &str)> = t.labels().collect();
                let Some((i, term)) = s.first_unmatched(&labels) else {
                    return;
                };
                let path = sel.term_pointer(i).unwrap_or_else(|| pointer.clone());
                let template = if labels.is_empty() {
                    "cannot select its own pods: the pod template has no labels at all \
                     (spec.template.metadata.labels)"
                        .to_string()
                } else {
                    let shown: Vec<String> =
                        labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!(
                        "does not select its own pod template, labelled `{}`",
                        shown.join(",")
                    )
                };
                let manual = if obj.kind == "Job" {
                    " (manualSelector: true)"
                } else {
                    ""
                };
                // the matchLabels keys the template lacks altogether
                let missing: Vec<(&str, &str)> = obj
                    .root
                    .at(&["spec", "selector", "matchLabels"])
                    .map(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| Some((e.key.as_str(), e.value.as_text()?)))
                    .filter(|(k, _)| !labels.iter().any(|(l, _)| l == k))
                    .collect();
                let mut with = labels.clone();
                with.extend(missing.iter().copied());
                let fix = (!missing.is_empty() && s.first_unmatched(&with).is_none()).then(|| {
                    let shown: Vec<String> =
                        missing.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    let mut fix = Fix::new(
                        Applicability::Unsafe,
                        format!("label the pod template {}", shown.join(", ")),
                    );
                    for (k, v) in &missing {
                        fix = fix.add(&t.meta_pointer(&["labels", k]), serde_json::json!(v));
                    }
                    fix
                });
                let f = out.report(
                    id,
                    path,
                    format!("the selector term `{term}` of {what}{manual} {template}: {outcome}"),
                );
                if let Some(fix) = fix {
                    f.fix(fix);
                }
            }
            ControllerSelector::Written { selector: None, .. } => {}
        }
    }
}
