use plimsoll_model::Object;

use super::util::{Source, check_missing};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates (of every workload kind) that refer to a ConfigMap the
    /// input does not hold in the workload's namespace: `env[].valueFrom.configMapKeyRef`
    /// and `envFrom[].configMapRef` of every container (init, sidecar, regular,
    /// ephemeral), `volumes[].configMap` and projected volume sources. References with
    /// `optional: true` are never reported, nor is `kube-root-ca.crt`, which
    /// kube-controller-manager publishes in every namespace.
    ///
    /// The namespace is judged only when the input holds the whole namespace (its
    /// Namespace object, or its manifests read from a directory, a rendered chart or
    /// overlay, standard input or a root) or at least one ConfigMap of that namespace
    /// (the bundle manages the namespace's ConfigMaps); otherwise the workload is reported as not evaluated, since the
    /// ConfigMap may come from elsewhere (another chart, an operator).
    ///
    /// ## Why it matters in production
    /// A container whose env needs a missing ConfigMap stays in
    /// `CreateContainerConfigError`; a pod whose volume needs one stays in
    /// `ContainerCreating`. Usually a typo or a ConfigMap renamed in one file only, and
    /// the rollout stalls with no running replacement.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ConfigMap
    /// metadata: {name: api-settings, namespace: shop}
    /// ---
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           envFrom:
    ///             - configMapRef: {name: api-config}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       containers:
    ///         - name: api
    ///           envFrom:
    ///             - configMapRef: {name: api-settings}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which name is right (or whether the ConfigMap is missing from
    /// the bundle) is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/configmap/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#restrictions>
    pub struct ConfigmapNotFound {
        code: "REF001",
        name: "configmap-not-found",
        severity: Error,
        default: true,
        summary: "A pod template refers to a ConfigMap that does not exist",
    }
}

impl Rule for ConfigmapNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        check_missing(cx, id, obj, out, Source::ConfigMap);
    }
}
