use super::perm::{each_rule, join, verbs_on};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Role and ClusterRole rules that let a subject run code as the
    /// namespace's workloads, by exact RBAC matching:
    /// - `create` on `pods` (a `resourceNames` rule never matches create);
    /// - `create` or `get` on `pods/exec`, `pods/attach` or `pods/portforward`
    ///   (streaming connections over WebSockets are authorized as `get`), also with
    ///   `resourceNames`;
    /// - `patch` or `update` on `pods/ephemeralcontainers`.
    ///
    /// Creating Deployments, Jobs and other workloads also creates pods, but through
    /// a controller, so it is not reported here. Full-wildcard rules are reported by
    /// RBAC002/RBAC001; the API server's own roles are not reported, and neither are
    /// bindings to the built-in `admin` and `edit` roles (which grant all of this in a
    /// namespace, deliberately: binding them is a team's conscious choice).
    ///
    /// ## Why it matters in production
    /// A subject that can create pods can run any image with any ServiceAccount of the
    /// namespace and mount any Secret, ConfigMap or volume there; without Pod Security
    /// `baseline` it can run a privileged pod and own the node. `exec` and `attach` run
    /// commands inside existing pods with their credentials, and `portforward` reaches
    /// ports no NetworkPolicy exposes.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["pods", "pods/exec"]
    ///     verbs: ["get", "list", "create"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["pods", "pods/log"]
    ///     verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: debugging access is sometimes needed; grant it to a group for a
    /// limited time instead of permanently.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources>
    pub struct PodExecOrCreate {
        code: "RBAC005",
        name: "pod-exec-or-create",
        severity: Warning,
        default: true,
        summary: "A role grants create on pods, or exec, attach or port-forward into them",
    }
}

impl Rule for PodExecOrCreate {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        each_rule(cx, out, |rule, _| {
            let mut found = Vec::new();
            if !verbs_on(rule, &["create"], "", "pods", true).is_empty() {
                found.push("create on `pods`".to_string());
            }
            for res in ["pods/exec", "pods/attach", "pods/portforward"] {
                let v = verbs_on(rule, &["create", "get"], "", res, false);
                if !v.is_empty() {
                    found.push(format!("{} on `{res}`", join(&v)));
                }
            }
            let v = verbs_on(
                rule,
                &["patch", "update"],
                "",
                "pods/ephemeralcontainers",
                false,
            );
            if !v.is_empty() {
                found.push(format!("{} on `pods/ephemeralcontainers`", join(&v)));
            }
            (!found.is_empty()).then(|| found.join("; "))
        });
    }
}
