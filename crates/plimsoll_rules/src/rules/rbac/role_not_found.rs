use plimsoll_model::{Node, Pointer};

use super::model::{RBAC_GROUP, RoleTarget};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};
use crate::rules::coverage::covers;

declare_rule! {
    /// ## What it does
    /// Reports bindings whose `roleRef` names a role that is not in the input:
    /// a RoleBinding to a Role of its namespace, or a binding to a ClusterRole. Also
    /// reports references the API server rejects (a ClusterRoleBinding to a `Role`, a
    /// `roleRef.apiGroup` other than `rbac.authorization.k8s.io`).
    ///
    /// Built-in ClusterRoles (`cluster-admin`, `admin`, `edit`, `view`, `system:...`)
    /// are never missing. When the input has no Role in the binding's namespace and
    /// does not hold the whole namespace (its Namespace object, or its manifests read
    /// from a directory, a rendered chart or overlay, standard input or a root), for a
    /// Role reference, or no ClusterRole at all, for a ClusterRole reference, the role
    /// is probably defined elsewhere, and the binding is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// A binding to a missing role grants nothing: the workload gets `403 Forbidden` at
    /// run time, usually a typo or a role renamed in one file and not in the other. As
    /// `roleRef` is immutable, fixing it means deleting and recreating the binding.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: checkout-reader, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    /// subjects: [{kind: ServiceAccount, name: checkout}]
    /// ---
    /// kind: Role
    /// metadata: {name: configs-reader, namespace: shop}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: checkout-reader, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: configs-reader}
    /// subjects: [{kind: ServiceAccount, name: checkout}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which name is right is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding>
    pub struct RoleNotFound {
        code: "RBAC010",
        name: "role-not-found",
        severity: Error,
        default: true,
        summary: "A binding refers to a Role or ClusterRole that does not exist",
    }
}

impl Rule for RoleNotFound {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let rbac = cx.rbac();
        let any_cluster_role = cx
            .index
            .of_kind("ClusterRole")
            .any(|(_, o)| o.group() == RBAC_GROUP);
        for b in &rbac.bindings {
            match rbac.role_of_binding(b) {
                RoleTarget::Found(_) | RoleTarget::BuiltIn => {}
                RoleTarget::Invalid => {
                    out.report(
                        b.id,
                        Pointer::root().key("roleRef"),
                        format!(
                            "{}: the API server rejects the {}",
                            invalid_role_ref(b.obj.root.get("roleRef"), &b.obj.kind),
                            b.obj.kind
                        ),
                    );
                }
                RoleTarget::Missing => {
                    let known = match b.namespace {
                        Some(ns) if b.role_kind == "Role" => {
                            covers(cx.index, &[(RBAC_GROUP, "Role")], ns)
                        }
                        _ => any_cluster_role,
                    };
                    if !known {
                        let where_ = match (b.role_kind, b.namespace) {
                            ("Role", Some(ns)) => format!("no Role of namespace `{ns}`"),
                            _ => "no ClusterRole".to_string(),
                        };
                        out.not_evaluated(
                            b.id,
                            format!(
                                "{} `{}` is defined elsewhere: the input has {where_}",
                                b.role_kind, b.role_name
                            ),
                        );
                        continue;
                    }
                    let what = match b.namespace {
                        Some(ns) if b.role_kind == "Role" => {
                            format!("Role `{}` in namespace `{ns}`", b.role_name)
                        }
                        _ => format!("ClusterRole `{}`", b.role_name),
                    };
                    out.report(
                        b.id,
                        Pointer::root().keys(&["roleRef", "name"]),
                        format!("refers to {what}, which is not in the input; the binding grants nothing"),
                    );
                }
            }
        }
    }
}

/// Why a binding's `roleRef` is not one the API server accepts.
fn invalid_role_ref(role_ref: Option<&Node>, binding_kind: &str) -> String {
    let Some(r) = role_ref.filter(|n| !n.is_null()) else {
        return "the binding has no roleRef".to_string();
    };
    if !r.is_map() {
        let what = match r.as_text() {
            Some(t) => format!("`{t}`"),
            None => "a list".to_string(),
        };
        return format!("roleRef is {what}, not a mapping with apiGroup, kind and name");
    }
    let text = |k: &str| r.get(k).and_then(Node::as_text).unwrap_or("");
    let (group, kind) = (text("apiGroup"), text("kind"));
    if group != RBAC_GROUP {
        return if group.is_empty() {
            format!("roleRef has no apiGroup (`{RBAC_GROUP}`)")
        } else {
            format!("roleRef apiGroup is `{group}`, not `{RBAC_GROUP}`")
        };
    }
    match kind {
        "" => "roleRef has no kind (Role or ClusterRole)".to_string(),
        "Role" if binding_kind == "ClusterRoleBinding" => format!(
            "roleRef names Role `{}`, but a ClusterRoleBinding can only refer to a ClusterRole",
            text("name")
        ),
        "Role" | "ClusterRole" => format!("roleRef {kind} `{}` is not valid", text("name")),
        other => format!("roleRef kind `{other}` is neither Role nor ClusterRole"),
    }
}
