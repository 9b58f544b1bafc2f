use plimsoll_model::Pointer;

use super::model::is_bootstrap;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports RoleBinding and ClusterRoleBinding subjects that are the `default`
    /// ServiceAccount of a namespace (`kind: ServiceAccount`, `name: default`; the
    /// namespace is the subject's, or the RoleBinding's when it is empty). Bindings
    /// labelled `kubernetes.io/bootstrapping: rbac-defaults` are not reported.
    ///
    /// ## Why it matters in production
    /// Every pod that names no `serviceAccountName` runs as `default`, so a permission
    /// given to it is given to every such pod in the namespace, today and tomorrow,
    /// including third-party charts and debugging pods. One compromised container
    /// then has the API access meant for another.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: reader, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: default
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: reader, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: checkout
    /// ```
    /// with `serviceAccountName: checkout` in the pod template that needs it.
    ///
    /// ## Fix safety
    /// No automatic fix: the workloads that need the access must get their own
    /// ServiceAccount first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/service-accounts/>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#service-account-permissions>
    pub struct DefaultSaBinding {
        code: "RBAC008",
        name: "default-sa-binding",
        severity: Warning,
        default: true,
        summary: "A binding grants a role to a namespace's default ServiceAccount",
    }
}

impl Rule for DefaultSaBinding {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let rbac = cx.rbac();
        for b in &rbac.bindings {
            if is_bootstrap(b.obj) {
                continue;
            }
            for (i, s) in &b.subjects {
                if s.kind != "ServiceAccount" || s.name != "default" {
                    continue;
                }
                let ns = s.namespace.as_deref().unwrap_or("?");
                out.report(
                    b.id,
                    Pointer::root().key("subjects").index(*i),
                    format!(
                        "grants {} `{}` to the default ServiceAccount of namespace `{ns}`, which every pod without a serviceAccountName uses",
                        b.role_kind, b.role_name
                    ),
                );
            }
        }
    }
}
