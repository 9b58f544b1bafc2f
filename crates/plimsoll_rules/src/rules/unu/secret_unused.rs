use plimsoll_model::Node;

use super::util::{SECRET_REF, candidates, name_path};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Secret types that something other than a manifest's reference uses.
const SYSTEM_TYPES: &[&str] = &[
    "kubernetes.io/service-account-token",
    "helm.sh/release.v1",
    "bootstrap.kubernetes.io/token",
];

declare_rule! {
    /// ## What it does
    /// Reports a Secret that nothing in its namespace refers to: no pod template
    /// (`env[].valueFrom.secretKeyRef`, `envFrom[].secretRef`, `secret` volumes,
    /// `projected` sources, `imagePullSecrets`), no ServiceAccount (`secrets`,
    /// `imagePullSecrets`), no Ingress `tls[].secretName`, no other object under a key
    /// that names a Secret (a cert-manager Certificate's `secretName`, an Issuer's
    /// `privateKeySecretRef`, an External Secrets store's credentials), no container
    /// flag that names it, no Role or ClusterRole that grants access to it by name
    /// (`resourceNames`). Cluster-scoped objects count for every namespace.
    ///
    /// Only a namespace the input holds whole is judged; elsewhere the Secret is
    /// reported as not evaluated. Not judged: the namespaces `kube-*`, Secrets with an
    /// owner (`ownerReferences`), ServiceAccount tokens, bootstrap tokens and Helm's
    /// release records (by their `type`). A live audit reads Secrets only with
    /// `--secrets`.
    ///
    /// Opt-in (not in `default`): software outside the cluster (a CI job with a
    /// kubeconfig, a backup tool) uses Secrets that no manifest names.
    ///
    /// ## Why it matters in production
    /// An unused Secret is a credential that works, that nobody rotates (nothing
    /// breaks if it is stale) and that every subject allowed to read Secrets in the
    /// namespace can read. Deleting it shrinks what a leaked token exposes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: legacy-db, namespace: shop}
    /// type: Opaque
    /// ```
    ///
    /// ## Use instead
    /// Delete it, and revoke the credential at its source.
    ///
    /// ## Fix safety
    /// No automatic fix: deleting an object is never mechanical.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/>
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    pub struct SecretUnused {
        code: "UNU002",
        name: "secret-unused",
        severity: Info,
        default: false,
        summary: "A Secret that no pod template, ServiceAccount, Ingress or other object refers to",
    }
}

impl Rule for SecretUnused {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let list = candidates(cx, "Secret", "", out);
        if list.is_empty() {
            return;
        }
        let refs = cx.unused_refs();
        for (id, o, ns) in list {
            let ty = o.root.get("type").and_then(Node::as_text).unwrap_or("");
            if SYSTEM_TYPES.contains(&ty)
                || o.label("owner") == Some("helm")
                || refs.has(SECRET_REF, ns, &o.name)
            {
                continue;
            }
            out.report(
                id,
                name_path(),
                format!(
                    "Secret `{}` is referred to by no pod template, ServiceAccount, Ingress or other object of namespace `{ns}`",
                    o.name
                ),
            );
        }
    }
}
