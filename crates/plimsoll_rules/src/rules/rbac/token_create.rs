use super::perm::each_rule;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Role and ClusterRole rules that grant `create` on core
    /// `serviceaccounts/token` (the TokenRequest API), by exact RBAC matching, also
    /// when limited by `resourceNames` (the message does not distinguish). Full-wildcard
    /// rules are reported by RBAC002/RBAC001; the API server's own roles are not
    /// reported.
    ///
    /// ## Why it matters in production
    /// A subject that can create tokens for a ServiceAccount acts with every permission
    /// of that ServiceAccount, for as long as the token lives, without running a pod.
    /// Across a namespace it means the strongest ServiceAccount there.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["serviceaccounts/token"]
    ///     verbs: ["create"]
    /// ```
    ///
    /// ## Use instead
    /// Let workloads get their tokens from a projected volume (the kubelet requests
    /// them), and give CI a ServiceAccount of its own through workload identity
    /// federation rather than the right to mint tokens.
    /// ```yaml
    /// volumes:
    ///   - name: token
    ///     projected:
    ///       sources:
    ///         - serviceAccountToken: {path: token, expirationSeconds: 3600, audience: vault}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/>
    pub struct TokenCreate {
        code: "RBAC007",
        name: "token-create",
        severity: Warning,
        default: true,
        summary: "A role grants create on serviceaccounts/token",
    }
}

impl Rule for TokenCreate {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        each_rule(cx, out, |rule, _| {
            (rule.verb_matches("create")
                && rule.group_matches("")
                && rule.resource_matches("serviceaccounts/token"))
            .then(|| "create on `serviceaccounts/token`".to_string())
        });
    }
}
