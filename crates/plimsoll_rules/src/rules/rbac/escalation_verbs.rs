use super::model::RBAC_GROUP;
use super::perm::{each_rule, join, verbs_on};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Role and ClusterRole rules that grant, by exact RBAC matching:
    /// - `escalate` or `bind` on `roles` or `clusterroles`
    ///   (rbac.authorization.k8s.io), unless the rule is limited by `resourceNames`
    ///   (binding only named roles is the documented safe pattern);
    /// - `impersonate` on `users`, `groups` or `serviceaccounts` (core), or on `uids`
    ///   or `userextras/...` (authentication.k8s.io), also when limited by
    ///   `resourceNames`: acting as even one other identity is an escalation.
    ///
    /// The finding is on the rule; the bindings through which it takes effect
    /// (directly, or through a ClusterRole that aggregates it) are related, and the
    /// message says where it is bound. Full-wildcard rules (`*`/`*`/`*`) are reported
    /// by RBAC002 and RBAC001 instead; the API server's own roles (labelled
    /// `kubernetes.io/bootstrapping: rbac-defaults`) are not reported. A `system:` name
    /// does not make a role the API server's: anyone can create one.
    /// The built-in `admin` role can bind roles inside its namespace: that is not
    /// reported unless the role is in the input.
    ///
    /// ## Why it matters in production
    /// RBAC stops users from granting permissions they do not hold, except to subjects
    /// with `escalate` (write roles with any permission) or `bind` (bind any role). With
    /// `impersonate` a subject sends requests as someone else, for example
    /// `--as-group=system:masters`, which bypasses RBAC entirely.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["rbac.authorization.k8s.io"]
    ///     resources: ["clusterroles"]
    ///     verbs: ["bind", "escalate"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["rbac.authorization.k8s.io"]
    ///     resources: ["clusterroles"]
    ///     verbs: ["bind"]
    ///     resourceNames: ["view"]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the subject's job decides what it needs.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping>
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation>
    pub struct EscalationVerbs {
        code: "RBAC003",
        name: "escalation-verbs",
        severity: Error,
        default: true,
        summary: "A role grants escalate, bind or impersonate",
    }
}

impl Rule for EscalationVerbs {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        each_rule(cx, out, |rule, _| {
            let mut found = Vec::new();
            for res in ["roles", "clusterroles"] {
                let v = verbs_on(rule, &["escalate", "bind"], RBAC_GROUP, res, true);
                if !v.is_empty() {
                    found.push(format!("{} on `{res}`", join(&v)));
                }
            }
            let mut imp = Vec::new();
            for (g, res) in [
                ("", "users"),
                ("", "groups"),
                ("", "serviceaccounts"),
                ("authentication.k8s.io", "uids"),
            ] {
                if !verbs_on(rule, &["impersonate"], g, res, false).is_empty() {
                    imp.push(format!("`{res}`"));
                }
            }
            if rule.verb_matches("impersonate")
                && rule.group_matches("authentication.k8s.io")
                && rule
                    .resources
                    .iter()
                    .any(|r| r == "*" || r.starts_with("userextras/") || r.starts_with("*/"))
            {
                imp.push("`userextras`".into());
            }
            if !imp.is_empty() {
                found.push(format!("impersonate on {}", imp.join(", ")));
            }
            (!found.is_empty()).then(|| found.join("; "))
        });
    }
}
