use super::util::{ACCOUNT, candidates, name_path};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a ServiceAccount that no pod template of its namespace runs as
    /// (`serviceAccountName`, or the deprecated `serviceAccount`), and that no other
    /// object names under a key that names a ServiceAccount (a custom resource's
    /// `serviceAccountName`, a long-lived token Secret's
    /// `kubernetes.io/service-account.name` annotation). RoleBindings do not count:
    /// a binding grants the account permissions, it does not use them.
    ///
    /// Only a namespace the input holds whole is judged; elsewhere the account is
    /// reported as not evaluated. Not judged: the `default` ServiceAccount of every
    /// namespace, the namespaces `kube-*` and accounts with an owner. Opt-in (not in
    /// `default`): a token requested from outside the cluster (a CI job's
    /// `kubectl create token`) uses an account that no manifest names.
    ///
    /// ## Why it matters in production
    /// An account nobody runs as still holds whatever its RoleBindings grant, and
    /// anyone allowed to create tokens, or pods, in the namespace can act as it. Old
    /// accounts with broad bindings are where least privilege quietly erodes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: deployer-old, namespace: shop}
    /// ```
    ///
    /// ## Use instead
    /// Delete it with its RoleBindings, or run the workload that needs it as it:
    /// ```yaml
    /// spec:
    ///   serviceAccountName: deployer-old
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: deleting an object is never mechanical.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/service-accounts/>
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub struct ServiceaccountUnused {
        code: "UNU004",
        name: "serviceaccount-unused",
        severity: Info,
        default: false,
        summary: "A ServiceAccount that no pod template runs as",
    }
}

impl Rule for ServiceaccountUnused {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let list = candidates(cx, "ServiceAccount", "", out);
        if list.is_empty() {
            return;
        }
        let refs = cx.unused_refs();
        for (id, o, ns) in list {
            if o.name == "default" || refs.has(ACCOUNT, ns, &o.name) {
                continue;
            }
            out.report(
                id,
                name_path(),
                format!(
                    "ServiceAccount `{}` is run as by no pod template of namespace `{ns}`",
                    o.name
                ),
            );
        }
    }
}
