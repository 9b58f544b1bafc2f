use plimsoll_model::Pointer;

use super::model::is_bootstrap;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports RoleBinding and ClusterRoleBinding subjects `system:anonymous` or
    /// `system:unauthenticated` (as a User or a Group). Not reported: bindings labelled
    /// `kubernetes.io/bootstrapping: rbac-defaults` (the API server's
    /// `system:public-info-viewer`, which exposes `/version` and `/healthz`) and
    /// kubeadm's `kubeadm:bootstrap-signer-clusterinfo` RoleBinding in `kube-public`,
    /// which lets joining nodes read the `cluster-info` ConfigMap.
    ///
    /// ## Why it matters in production
    /// Anonymous requests need no credentials at all: whatever the role grants is
    /// granted to anyone who can reach the API server, often the whole internet for a
    /// managed control plane with a public endpoint.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata: {name: public-metrics}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics-reader}
    /// subjects:
    ///   - kind: Group
    ///     name: system:unauthenticated
    ///     apiGroup: rbac.authorization.k8s.io
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata: {name: prometheus-metrics}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics-reader}
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: prometheus
    ///     namespace: monitoring
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes the subject from the binding's `subjects` (the rest of the
    /// binding stays). It is unsafe: whatever calls the API server without
    /// credentials (a health check, a public discovery endpoint, a misconfigured
    /// client) loses the access and has to authenticate first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests>
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub struct AnonymousBinding {
        code: "RBAC009",
        name: "anonymous-binding",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A binding grants a role to anonymous or unauthenticated users",
    }
}

impl Rule for AnonymousBinding {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let rbac = cx.rbac();
        for b in &rbac.bindings {
            if is_bootstrap(b.obj)
                || b.obj.name == "kubeadm:bootstrap-signer-clusterinfo"
                    && b.namespace == Some("kube-public")
            {
                continue;
            }
            for (i, s) in &b.subjects {
                if !matches!(s.kind.as_str(), "User" | "Group")
                    || !matches!(
                        s.name.as_str(),
                        "system:anonymous" | "system:unauthenticated"
                    )
                {
                    continue;
                }
                let scope = match b.namespace {
                    None => "cluster-wide".to_string(),
                    Some(ns) => format!("in namespace `{ns}`"),
                };
                let path = Pointer::root().key("subjects").index(*i);
                out.report(
                    b.id,
                    path.clone(),
                    format!(
                        "grants {} `{}` {scope} to {} `{}`: anyone who can reach the API server gets it",
                        b.role_kind, b.role_name, s.kind, s.name
                    ),
                )
                .fix(
                    Fix::new(
                        Applicability::Unsafe,
                        format!("remove the subject {} `{}`", s.kind, s.name),
                    )
                    .remove(&path),
                );
            }
        }
    }
}
