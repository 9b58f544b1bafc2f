use std::collections::BTreeSet;

use plimsoll_model::Pointer;

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// In an input whose objects name two or more different namespaces in
    /// `metadata.namespace`, reports namespaced objects that set no namespace.
    /// Cluster-scoped kinds (Namespace, ClusterRole, StorageClass, ...) are never
    /// reported. Kinds unknown to plimsoll are taken as namespaced.
    ///
    /// ## Why it matters in production
    /// An object without a namespace lands in whatever namespace `kubectl apply`
    /// targets: the current context's namespace, `-n`, or `default`. In a bundle that
    /// clearly spans namespaces, the author usually forgot it, and the object ends up
    /// next to the wrong neighbours, out of reach of its ServiceAccount, Secrets,
    /// NetworkPolicies and quotas.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config, namespace: shop}
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: worker-config, namespace: jobs}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api}          # which namespace?
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: shop}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which namespace was meant is not in the input.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/namespaces/>
    pub struct NamespaceNotSet {
        code: "META003",
        name: "namespace-not-set",
        severity: Warning,
        default: true,
        summary: "A namespaced object sets no namespace in a bundle that spans namespaces",
    }
}

impl Rule for NamespaceNotSet {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let objects = cx.index.objects();
        let named: BTreeSet<&str> = objects
            .iter()
            .filter(|o| o.namespace_explicit)
            .filter_map(|o| o.namespace.as_deref())
            .collect();
        if named.len() < 2 {
            return;
        }
        let list = named
            .iter()
            .take(4)
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let more = if named.len() > 4 { ", ..." } else { "" };
        for (id, o) in objects.iter().enumerate() {
            if o.namespace.is_none() || o.namespace_explicit {
                continue;
            }
            out.report(
                id,
                Pointer::root().keys(&["metadata", "namespace"]),
                format!(
                    "{} `{}` sets no namespace while this input names namespaces {list}{more}; it lands in whatever namespace `kubectl apply` targets",
                    o.kind, o.name
                ),
            );
        }
    }
}
