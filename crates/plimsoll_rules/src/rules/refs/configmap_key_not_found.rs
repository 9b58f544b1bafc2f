use plimsoll_model::Object;

use super::util::{Source, check_keys};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports keys a pod template reads from a ConfigMap of the input that the
    /// ConfigMap does not have (in `data` or `binaryData`):
    /// `env[].valueFrom.configMapKeyRef.key` of every container kind, and
    /// `items[].key` of `configMap` volumes and projected volume sources. References
    /// with `optional: true` are never reported. A ConfigMap that is not in the input
    /// is REF001's business.
    ///
    /// ## Why it matters in production
    /// The kubelet refuses to start a container whose env names a missing key
    /// (`CreateContainerConfigError: couldn't find key`), and refuses to mount a volume
    /// whose `items` name one; the pods never become ready.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ConfigMap
    /// metadata: {name: api-config}
    /// data: {log-level: info}
    /// ---
    /// containers:
    ///   - name: api
    ///     env:
    ///       - name: LOG_LEVEL
    ///         valueFrom:
    ///           configMapKeyRef: {name: api-config, key: loglevel}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     env:
    ///       - name: LOG_LEVEL
    ///         valueFrom:
    ///           configMapKeyRef: {name: api-config, key: log-level}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the key or the ConfigMap is wrong is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/>
    /// - <https://kubernetes.io/docs/concepts/configuration/configmap/#optional-configmaps>
    pub struct ConfigmapKeyNotFound {
        code: "REF002",
        name: "configmap-key-not-found",
        severity: Error,
        default: true,
        summary: "A pod template reads a key that its ConfigMap does not have",
    }
}

impl Rule for ConfigmapKeyNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        check_keys(cx, id, obj, out, Source::ConfigMap);
    }
}
