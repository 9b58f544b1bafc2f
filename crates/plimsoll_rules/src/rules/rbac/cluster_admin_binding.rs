use plimsoll_model::Pointer;

use super::model::{RoleTarget, Subject, is_bootstrap};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports RoleBindings and ClusterRoleBindings that grant `cluster-admin`, or a
    /// role in the input equivalent to it, to a subject that is not a system one. A
    /// role is equivalent when its rules (aggregation resolved) include `*` verbs on
    /// `*` resources in `*` apiGroups, whatever its name (a `system:` prefix does not
    /// make a role the API server's; its `kubernetes.io/bootstrapping: rbac-defaults`
    /// label does). Non-resource URLs do not matter: a RoleBinding never grants them,
    /// and through a ClusterRoleBinding the `*` verbs include `escalate` and `bind`, so
    /// the subject can grant itself the rest. A RoleBinding to such a role gives full
    /// control of its namespace (Roles and RoleBindings included); the message says
    /// the scope.
    ///
    /// System subjects are not reported: the group `system:masters`, users and groups
    /// named `system:...` (control-plane components) and ServiceAccounts in
    /// `kube-system`. `system:authenticated`, `system:unauthenticated`,
    /// `system:anonymous` and `system:serviceaccounts[:ns]` ARE reported: they stand
    /// for everyone, or every ServiceAccount. Bindings labelled
    /// `kubernetes.io/bootstrapping: rbac-defaults` are the API server's own.
    ///
    /// ## Why it matters in production
    /// cluster-admin can do anything, on every current and future resource: read every
    /// Secret, run privileged pods on every node, rewrite RBAC. A stolen token of such a
    /// subject is the whole cluster, and a mistake by it (a wrong `kubectl delete`) is
    /// not stopped by anything.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: ci-admin
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: cluster-admin
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: deployer
    ///     namespace: ci
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: ci-deployer
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: edit
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: deployer
    ///     namespace: ci
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: `roleRef` is immutable, and which narrower role the subject
    /// needs is a decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles>
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub struct ClusterAdminBinding {
        code: "RBAC001",
        name: "cluster-admin-binding",
        severity: Error,
        default: true,
        summary: "A binding grants cluster-admin (or an equivalent role) to a non-system subject",
    }
}

/// Subjects that are the control plane itself.
fn is_system(s: &Subject) -> bool {
    match s.kind.as_str() {
        "Group" => {
            s.name == "system:masters"
                || s.name.starts_with("system:")
                    && !matches!(
                        s.name.as_str(),
                        "system:authenticated"
                            | "system:unauthenticated"
                            | "system:serviceaccounts"
                    )
                    && !s.name.starts_with("system:serviceaccounts:")
        }
        "User" => s.name.starts_with("system:") && s.name != "system:anonymous",
        "ServiceAccount" => s.namespace.as_deref() == Some("kube-system"),
        _ => false,
    }
}

fn describe(s: &Subject) -> String {
    match &s.namespace {
        Some(ns) => format!("{} `{ns}/{}`", s.kind, s.name),
        None => format!("{} `{}`", s.kind, s.name),
    }
}

impl Rule for ClusterAdminBinding {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let rbac = cx.rbac();
        for b in &rbac.bindings {
            if is_bootstrap(b.obj) {
                continue;
            }
            let target = rbac.role_of_binding(b);
            let (admin, role_id) = match target {
                RoleTarget::BuiltIn => (b.role_name == "cluster-admin", None),
                RoleTarget::Found(id) => {
                    let rules = rbac.rules_of(id);
                    (rules.iter().any(|r| r.rule.is_full_wildcard()), Some(id))
                }
                _ => (false, None),
            };
            if !admin {
                continue;
            }
            let subjects: Vec<String> = b
                .subjects
                .iter()
                .filter(|(_, s)| !is_system(s))
                .map(|(_, s)| describe(s))
                .collect();
            if subjects.is_empty() {
                continue;
            }
            let what = if b.role_name == "cluster-admin" {
                "cluster-admin".to_string()
            } else {
                format!(
                    "{} `{}`, equivalent to cluster-admin,",
                    b.role_kind, b.role_name
                )
            };
            let scope = match b.namespace {
                None => "cluster-wide".to_string(),
                Some(ns) => format!("in namespace `{ns}`"),
            };
            let f = out.report(
                b.id,
                Pointer::root().keys(&["roleRef", "name"]),
                format!("grants {what} {scope} to {}", subjects.join(", ")),
            );
            if let Some(id) = role_id {
                f.related(id, Pointer::root().key("rules"));
            }
        }
    }
}
