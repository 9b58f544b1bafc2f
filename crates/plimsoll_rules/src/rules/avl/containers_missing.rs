use plimsoll_model::{Node, Object, PodTemplate, Pointer, is_builtin_group};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a Pod, or a built-in controller's pod template (Deployment, ReplicaSet,
    /// StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate),
    /// that has no `spec`, or whose `containers` is missing, empty, `null`, or not a
    /// list of container mappings (`containers: {}`, `containers: "nginx"`). The API
    /// server rejects all of these.
    ///
    /// ## Why it matters in production
    /// The object never reaches the cluster, so the deploy fails. Until then it passes
    /// every container rule silently, since there is no container to judge: a linter
    /// that says nothing about it gives false confidence. The usual causes are a
    /// template whose `range` produced nothing, a values key misspelt, or `containers`
    /// indented one level too shallow.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: []
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which container belongs there is the author's to say.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodSpec>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template>
    pub struct ContainersMissing {
        code: "AVL016",
        name: "containers-missing",
        severity: Error,
        default: true,
        summary: "A pod template has no containers, so the API server rejects it",
    }
}

/// Where the pod template of a built-in kind is, when the kind has one.
fn template_base(obj: &Object) -> Option<&'static [&'static str]> {
    Some(match (obj.group(), obj.kind.as_str()) {
        ("", "Pod") => &[],
        ("", "PodTemplate") => &["template"],
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet")
        | ("apps", "StatefulSet")
        | ("batch", "Job") => &["spec", "template"],
        ("batch", "CronJob") => &["spec", "jobTemplate", "spec", "template"],
        _ => return None,
    })
}

impl Rule for ContainersMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_builtin_group(obj.group()) || obj.has_controller() {
            return;
        }
        let Some(base) = template_base(obj) else {
            return;
        };
        let what = if base.is_empty() {
            format!("Pod `{}`", obj.name)
        } else {
            format!("the pod template of {} `{}`", obj.kind, obj.name)
        };
        let Some(template) = obj.root.at(base).filter(|n| n.is_map()) else {
            let parent = &base[..base.len() - 1];
            if obj.root.at(parent).is_some_and(Node::is_map) {
                out.report(
                    id,
                    Pointer::root().keys(base),
                    format!(
                        "{} `{}` has no pod template (`{}`): the API server rejects it",
                        obj.kind,
                        obj.name,
                        base.join(".")
                    ),
                );
            }
            return;
        };
        let spec_ptr = Pointer::root().keys(base).key("spec");
        let (path, problem) = match PodTemplate::of(obj).map(|t| t.spec.get("containers")) {
            _ if template.get("spec").is_none() => (spec_ptr, "has no `spec`".to_string()),
            Some(None) => (
                spec_ptr.key("containers"),
                "has no `containers`".to_string(),
            ),
            Some(Some(c)) if c.is_null() => (
                spec_ptr.key("containers"),
                "has `containers: null`".to_string(),
            ),
            Some(Some(c)) if !c.is_seq() => (
                spec_ptr.key("containers"),
                "has `containers` that is not a list".to_string(),
            ),
            Some(Some(c)) if c.items().is_empty() => (
                spec_ptr.key("containers"),
                "has an empty `containers` list".to_string(),
            ),
            Some(Some(c)) => match c.items().iter().position(|n| !n.is_map()) {
                Some(i) => (
                    spec_ptr.key("containers").index(i),
                    format!("has `containers[{i}]` that is not a container mapping"),
                ),
                None => return,
            },
            None => return,
        };
        out.report(
            id,
            path,
            format!(
                "{what} {problem}: the API server rejects it, and no container rule can judge it"
            ),
        );
    }
}
