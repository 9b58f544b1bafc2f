use super::util::{CONFIG_MAP, candidates, name_path};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a ConfigMap that nothing in its namespace refers to: no pod template
    /// (`env[].valueFrom.configMapKeyRef`, `envFrom[].configMapRef`, `configMap`
    /// volumes, `projected` sources), no other object under a key that names a
    /// ConfigMap (custom resources that read one, such as a Prometheus or an ingress
    /// controller's configuration), no container flag that names it
    /// (`--configmap=$(POD_NAMESPACE)/ingress-nginx-controller`), no Role or
    /// ClusterRole that grants access to it by name (`resourceNames`: a workload that
    /// reads it through the API). Cluster-scoped objects count for every namespace.
    ///
    /// Only a namespace the input holds whole is judged (its Namespace object is in
    /// the input, it was read from a directory or a chart, or it is a live
    /// cluster's); elsewhere the ConfigMap is reported as not evaluated. Not judged:
    /// the namespaces `kube-*`, ConfigMaps with an owner (`ownerReferences`: their
    /// owner decides), `kube-root-ca.crt` (published into every namespace), Helm's
    /// release records (`owner: helm`) and leader-election records.
    ///
    /// Opt-in (not in `default`): software outside the cluster, or a controller that
    /// finds ConfigMaps by label (Grafana dashboards, for one), uses ConfigMaps that
    /// no manifest names.
    ///
    /// ## Why it matters in production
    /// Configuration nobody reads is configuration somebody edits in vain: the change
    /// is reviewed, merged and applied, and nothing happens, because the Deployment
    /// reads a ConfigMap of another name. Left-overs also make it hard to tell which
    /// settings are live during an incident.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config-old, namespace: shop}
    /// data: {LOG_LEVEL: debug}
    /// ```
    ///
    /// ## Use instead
    /// Delete it, or refer to it from the workload that should read it:
    /// ```yaml
    /// envFrom:
    ///   - configMapRef: {name: api-config-old}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: deleting an object is never mechanical.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/configmap/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/>
    pub struct ConfigmapUnused {
        code: "UNU001",
        name: "configmap-unused",
        severity: Info,
        default: false,
        summary: "A ConfigMap that no pod template or other object refers to",
    }
}

impl Rule for ConfigmapUnused {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let list = candidates(cx, "ConfigMap", "", out);
        if list.is_empty() {
            return;
        }
        let refs = cx.unused_refs();
        for (id, o, ns) in list {
            if o.name == "kube-root-ca.crt"
                || o.label("owner") == Some("helm")
                || o.annotation("control-plane.alpha.kubernetes.io/leader")
                    .is_some()
                || refs.has(CONFIG_MAP, ns, &o.name)
            {
                continue;
            }
            out.report(
                id,
                name_path(),
                format!(
                    "ConfigMap `{}` is referred to by no pod template or other object of namespace `{ns}`",
                    o.name
                ),
            );
        }
    }
}
