use super::perm::{each_rule, join, verbs_on};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Role and ClusterRole rules that grant any verb on core `nodes/proxy`
    /// (by exact RBAC matching; `nodes` alone does not match the subresource), also
    /// when limited by `resourceNames`. `nodes/proxy` is cluster-scoped: only a
    /// ClusterRoleBinding grants it, a Role rule for it has no effect. Full-wildcard
    /// rules are reported by RBAC002/RBAC001; the API server's own roles are not
    /// reported.
    ///
    /// ## Why it matters in production
    /// `nodes/proxy` is the kubelet API: exec into any pod on the node, read its logs
    /// and environment. The docs warn that `get` on it "is not a read-only permission".
    /// Requests through it bypass admission and are audited only as the proxy call.
    /// Monitoring agents usually need `nodes/metrics` or `nodes/stats` instead.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["nodes", "nodes/proxy"]
    ///     verbs: ["get", "list"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["nodes", "nodes/metrics", "nodes/stats"]
    ///     verbs: ["get", "list"]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: check which kubelet endpoints the agent reads first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/>
    pub struct NodesProxy {
        code: "RBAC006",
        name: "nodes-proxy",
        severity: Error,
        default: true,
        summary: "A role grants access to nodes/proxy",
    }
}

impl Rule for NodesProxy {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        each_rule(cx, out, |rule, kind| {
            // a Role cannot grant a cluster-scoped resource
            if kind == "Role" {
                return None;
            }
            let v = verbs_on(
                rule,
                &["get", "create", "update", "patch", "delete"],
                "",
                "nodes/proxy",
                false,
            );
            (!v.is_empty()).then(|| format!("{} on `nodes/proxy`", join(&v)))
        });
    }
}
