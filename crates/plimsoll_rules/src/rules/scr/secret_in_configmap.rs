use plimsoll_model::{Object, Pointer};

use super::util::{embedded_secret_keys, is_placeholder, name_looks_secret, value_looks_secret};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports ConfigMap keys that hold a secret:
    /// - a key whose name looks secret (word parts such as `password`, `passwd`,
    ///   `secret`, `token`, `api_key`/`apiKey`, `private_key`, `credentials`,
    ///   `client_secret`) with a value that is not empty and not a placeholder
    ///   (`${VAR}`, `$(VAR)`, `{{ ... }}`, `<...>`, `changeme`, booleans, numbers).
    ///   Names that are about a secret rather than the secret itself
    ///   (`PASSWORD_FILE`, `SECRET_NAME`, `TOKEN_URL`, `TOKEN_TTL`) are not reported;
    /// - a value that looks like a secret whatever its key: a PEM private key block, an
    ///   AWS access key id (`AKIA` + 16 characters), a GitHub token (`ghp_...`), a
    ///   Slack token (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`), a JSON Web Token
    ///   (`eyJ...eyJ...`), a URL with a password (`postgres://user:pass@host`);
    /// - a config file embedded in a value (`application.properties`, `.env`, YAML)
    ///   with a line assigning a literal to a secret-looking key.
    ///
    /// Keys of `binaryData` are judged by their name only. The message never shows a
    /// value, and the finding points at the key, so that a multi-line value (a private
    /// key) is not printed either.
    ///
    /// ## Why it matters in production
    /// ConfigMaps are not meant for secrets: they are readable by every role that can
    /// read configuration (the built-in `view` role included, which deliberately
    /// cannot read Secrets), they are printed by `kubectl describe`, and they are
    /// never encrypted at rest. A password in a ConfigMap is public inside the
    /// cluster and in the repository.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api
    /// data:
    ///   DB_HOST: db.prod.svc
    ///   DB_PASSWORD: hunter2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api
    /// data:
    ///   DB_HOST: db.prod.svc
    /// # DB_PASSWORD comes from a Secret created by an ExternalSecret or SealedSecret,
    /// # mounted as a file
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the value has to move to a Secret managed outside the
    /// repository, and a committed credential must be rotated.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/configmap/>
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    pub struct SecretInConfigmap {
        code: "SCR002",
        name: "secret-in-configmap",
        severity: Error,
        default: true,
        summary: "A ConfigMap holds something that looks like a secret",
    }
}

impl Rule for SecretInConfigmap {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "ConfigMap" || !obj.group().is_empty() {
            return;
        }
        if let Some(data) = obj.root.get("data") {
            for e in data.entries() {
                let value = e.value.as_text().unwrap_or("");
                let message = if let Some(what) = value_looks_secret(value) {
                    format!(
                        "ConfigMap key `{}` holds what looks like {what}; secrets belong in a Secret",
                        e.key
                    )
                } else if name_looks_secret(&e.key) && !is_placeholder(value) {
                    format!(
                        "ConfigMap key `{}` is named like a secret and has a literal value; secrets belong in a Secret",
                        e.key
                    )
                } else {
                    let keys = embedded_secret_keys(value);
                    if keys.is_empty() {
                        continue;
                    }
                    let list = keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!(
                        "ConfigMap key `{}` embeds a config file that sets {list} to a literal value; secrets belong in a Secret",
                        e.key
                    )
                };
                // point at the key: a multi-line value (a private key) is never shown
                let path = Pointer::root().keys(&["data", &e.key]);
                out.report(id, path, message).span(e.key_span);
            }
        }
        if let Some(data) = obj.root.get("binaryData") {
            for e in data.entries() {
                if name_looks_secret(&e.key) && !is_placeholder(e.value.as_text().unwrap_or("")) {
                    out.report(
                        id,
                        Pointer::root().keys(&["binaryData", &e.key]),
                        format!(
                            "ConfigMap binaryData key `{}` is named like a secret; secrets belong in a Secret",
                            e.key
                        ),
                    )
                    .span(e.key_span);
                }
            }
        }
    }
}
