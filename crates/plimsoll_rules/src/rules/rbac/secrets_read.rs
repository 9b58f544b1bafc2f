use super::perm::{each_rule, join, verbs_on};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Role and ClusterRole rules that grant `get`, `list` or `watch` on core
    /// `secrets` without `resourceNames` (by exact RBAC matching: `*` verbs,
    /// resources or apiGroups count). The message says the scope from the bindings in
    /// the input: cluster-wide through a ClusterRoleBinding, in a namespace through a
    /// RoleBinding, or not bound yet. The related objects are those bindings. A rule
    /// limited by `resourceNames` (`get` of named Secrets) is least privilege and is not
    /// reported; `list` and `watch` carry no name, so `resourceNames` never limits
    /// them. Full-wildcard rules are reported by RBAC002/RBAC001; the API server's own
    /// roles are not reported.
    ///
    /// ## Why it matters in production
    /// `list` and `watch` return the full contents of every Secret: database
    /// passwords, TLS keys, cloud credentials and the tokens of other ServiceAccounts,
    /// which lead to further escalation. The built-in `view` role deliberately cannot
    /// read Secrets. Cluster-wide, one leaked token exposes every team's credentials.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: config-reader
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["configmaps", "secrets"]
    ///     verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["configmaps"]
    ///     verbs: ["get", "list", "watch"]
    ///   - apiGroups: [""]
    ///     resources: ["secrets"]
    ///     verbs: ["get"]
    ///     resourceNames: ["app-tls"]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: controllers that manage Secrets need the access; others
    /// should mount the Secrets they need.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles>
    pub struct SecretsReadClusterWide {
        code: "RBAC004",
        name: "secrets-read-cluster-wide",
        severity: Error,
        default: true,
        summary: "A role grants get, list or watch on Secrets",
    }
}

impl Rule for SecretsReadClusterWide {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        each_rule(cx, out, |rule, _| {
            let v = verbs_on(rule, &["get", "list", "watch"], "", "secrets", true);
            (!v.is_empty()).then(|| format!("{} on `secrets`", join(&v)))
        });
    }
}
