use plimsoll_model::{Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports Secret objects (`v1/Secret`) that carry values in `data` or
    /// `stringData`. The message names the keys, never the values. Secrets without
    /// values are not reported (an empty Secret filled in later by a controller, a
    /// `kubernetes.io/service-account-token` Secret that the token controller
    /// populates). `SealedSecret` (bitnami.com) and `ExternalSecret`
    /// (external-secrets.io) are other kinds and are never reported: they are the way
    /// to keep secrets in Git.
    ///
    /// ## Why it matters in production
    /// `data` is base64, not encryption: anyone who can read the repository, its
    /// forks, CI logs or an old commit can read the credential, and removing it later
    /// does not remove it from history. A leaked database password or API key has to
    /// be rotated everywhere it is used.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: db
    /// type: Opaque
    /// stringData:
    ///   username: app
    ///   password: hunter2
    /// ```
    ///
    /// ## Use instead
    /// Keep the value in a secret store and let a controller create the Secret:
    /// ```yaml
    /// apiVersion: external-secrets.io/v1
    /// kind: ExternalSecret
    /// metadata:
    ///   name: db
    /// spec:
    ///   secretStoreRef: {name: vault, kind: ClusterSecretStore}
    ///   target: {name: db}
    ///   data:
    ///     - secretKey: password
    ///       remoteRef: {key: prod/db, property: password}
    /// ```
    /// or commit a `SealedSecret` (bitnami.com/v1alpha1), encrypted for the cluster.
    ///
    /// ## Fix safety
    /// No automatic fix: the value has to move to a secret store, and once committed
    /// it must be rotated.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/>
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    /// - <https://external-secrets.io/latest/>
    /// - <https://github.com/bitnami-labs/sealed-secrets>
    pub struct SecretDataCommitted {
        code: "SCR001",
        name: "secret-data-committed",
        severity: Error,
        default: true,
        summary: "A Secret manifest carries secret values",
    }
}

impl Rule for SecretDataCommitted {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Secret" || !obj.group().is_empty() {
            return;
        }
        for field in ["data", "stringData"] {
            let Some(node) = obj.root.get(field) else {
                continue;
            };
            let keys: Vec<&str> = node
                .entries()
                .iter()
                .filter(|e| !e.value.is_null() && e.value.as_text().is_none_or(|v| !v.is_empty()))
                .map(|e| e.key.as_str())
                .collect();
            if keys.is_empty() {
                continue;
            }
            let list = keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let noun = if keys.len() == 1 { "key" } else { "keys" };
            out.report(
                id,
                Pointer::root().key(field),
                format!(
                    "Secret `{}` has values in `{field}` (the {noun} {list}); keep them out of manifests",
                    obj.name
                ),
            );
        }
    }
}
