use plimsoll_model::{Node, Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reads the API server's encryption-at-rest configuration
    /// (`apiVersion: apiserver.config.k8s.io/v1`, `kind: EncryptionConfiguration`, the
    /// file given to `--encryption-provider-config`) when it is in the input, and
    /// reports when Secrets are written to etcd in plaintext:
    /// - the first entry of `resources` that covers `secrets` (by name, or through the
    ///   wildcards `*.` for the core group and `*.*`) lists `identity` as its FIRST
    ///   provider. The first provider is the one used to write; `identity` after a
    ///   real provider is fine (it lets the server read data written before
    ///   encryption was turned on);
    /// - no entry covers `secrets` at all.
    ///
    /// Nothing is reported when no EncryptionConfiguration is in the input: whether a
    /// cluster encrypts is not visible in its workload manifests (managed clusters
    /// encrypt etcd themselves).
    ///
    /// ## Why it matters in production
    /// Secrets are stored base64-encoded in etcd. Without an encrypting provider first,
    /// anyone with access to etcd, an etcd backup or a snapshot of the control-plane
    /// disk reads every Secret of the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    ///   - resources: [secrets]
    ///     providers:
    ///       - identity: {}
    ///       - aescbc:
    ///           keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    ///   - resources: [secrets]
    ///     providers:
    ///       - kms:
    ///           apiVersion: v2
    ///           name: vault
    ///           endpoint: unix:///var/run/kms/socket.sock
    ///       - identity: {}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: an encrypting provider needs a key or a KMS plugin, and after
    /// the change existing Secrets must be rewritten
    /// (`kubectl get secrets -A -o json | kubectl replace -f -`).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/>
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    pub struct EncryptionProviderIdentity {
        code: "SCR005",
        name: "encryption-provider-identity",
        severity: Error,
        default: true,
        summary: "The API server's encryption configuration stores Secrets in plaintext",
    }
}

/// Whether an entry of `resources[].resources` covers core `secrets`.
fn covers_secrets(r: &str) -> bool {
    matches!(r, "secrets" | "secrets." | "*." | "*.*")
}

impl Rule for EncryptionProviderIdentity {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "EncryptionConfiguration" || obj.group() != "apiserver.config.k8s.io" {
            return;
        }
        let entries = obj
            .root
            .get("resources")
            .map(Node::items)
            .unwrap_or_default();
        let first = entries.iter().enumerate().find(|(_, e)| {
            e.get("resources")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|r| r.as_text().is_some_and(covers_secrets))
        });
        let Some((i, entry)) = first else {
            out.report(
                id,
                Pointer::root().key("resources"),
                "no entry of `resources` covers `secrets`: Secrets are written to etcd in plaintext",
            );
            return;
        };
        let Some(provider) = entry
            .get("providers")
            .map(Node::items)
            .unwrap_or_default()
            .first()
        else {
            return;
        };
        if let Some(e) = provider.entries().first()
            && e.key == "identity"
        {
            out.report(
                id,
                Pointer::root()
                    .key("resources")
                    .index(i)
                    .key("providers")
                    .index(0)
                    .key("identity"),
                format!(
                    "the first provider for `secrets` (resources[{i}]) is `identity`: Secrets are written to etcd in plaintext"
                ),
            );
        }
    }
}
