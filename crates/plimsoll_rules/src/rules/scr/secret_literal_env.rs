use plimsoll_model::{Node, Object, PodTemplate};

use super::util::{is_file_path, is_placeholder, name_looks_secret, value_looks_secret};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports container environment variables (every container kind: init, sidecar,
    /// regular and ephemeral) that carry a secret as a literal `value`:
    /// - a variable whose name looks secret (word parts such as `PASSWORD`, `PASSWD`,
    ///   `TOKEN`, `SECRET`, `BEARER`, `API_KEY`, `PRIVATE_KEY`, `CREDENTIALS`,
    ///   `CLIENT_SECRET`, and the well-known `AWS_SECRET_ACCESS_KEY`,
    ///   `AZURE_CLIENT_SECRET`, `AZURE_<what>_KEY`, `OCI_CLI_KEY_CONTENT`,
    ///   `GITHUB_TOKEN`) with a value that is not empty, not a reference
    ///   (`$(OTHER_VAR)`, `${VAR}`), not a file path (`GOOGLE_APPLICATION_CREDENTIALS`
    ///   names a key file) and not an obvious placeholder (`<token>`, `changeme`,
    ///   `xxxx`, booleans, numbers). Names about a secret rather than the secret itself
    ///   (`DB_PASSWORD_FILE`, `TLS_KEY_PATH`, `VAULT_SECRET_NAME`, `TOKEN_URL`,
    ///   `SSH_KEY_ID`) and public keys (`PUBLIC_KEY`, `AZURE_PUBLIC_KEY`) are not
    ///   reported;
    /// - any variable whose value looks like a secret: a PEM private key, a Google
    ///   service account key (the JSON `GOOGLE_APPLICATION_CREDENTIALS` would name), an
    ///   AWS access key id, a GitHub, GitLab or Slack token, a Google API key, a JSON
    ///   Web Token, an Azure connection string with an `AccountKey` or
    ///   `SharedAccessKey`, a URL with a password.
    ///
    /// Variables set with `valueFrom` are not reported here (see SCR004). The message
    /// never shows the value. Polaris's `sensitiveContainerEnvVar` reports these names
    /// even when they come from a Secret through `valueFrom`, and kube-linter's
    /// `env-var-secret` any name containing `secret` with any value (`SECRET_NAME: db`
    /// too); plimsoll reports only literal values, where the secret is in the manifest.
    ///
    /// ## Why it matters in production
    /// A literal in a pod template is in the repository, in every ReplicaSet revision,
    /// in `kubectl get -o yaml` for anyone who can read the workload (the built-in
    /// `view` role can), and in the audit log. Rotating it means a new rollout.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     env:
    ///       - name: DB_PASSWORD
    ///         value: hunter2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     volumeMounts:
    ///       - {name: db, mountPath: /var/run/secrets/db, readOnly: true}
    ///     env:
    ///       - name: DB_PASSWORD_FILE
    ///         value: /var/run/secrets/db/password
    /// volumes:
    ///   - name: db
    ///     secret: {secretName: db}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the value has to move to a Secret kept out of the repository,
    /// and a committed credential must be rotated.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables>
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    /// - <https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/>
    pub struct SecretLiteralEnv {
        code: "SCR003",
        name: "secret-literal-env",
        severity: Error,
        default: true,
        summary: "A container sets a secret as a literal environment variable",
    }
}

impl Rule for SecretLiteralEnv {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers() {
            for (i, e) in c.env().iter().enumerate() {
                let name = e.get("name").and_then(Node::as_text).unwrap_or("");
                let Some(value) = e.get("value").and_then(Node::as_text) else {
                    continue;
                };
                if e.get("valueFrom").is_some() {
                    continue;
                }
                let message = if let Some(what) = value_looks_secret(value) {
                    format!(
                        "{} `{}` sets `{name}` to what looks like {what}",
                        c.kind.as_str(),
                        c.name
                    )
                } else if name_looks_secret(name)
                    && !is_placeholder(value)
                    && !value.contains("$(")
                    && !is_file_path(value)
                {
                    format!(
                        "{} `{}` sets the secret-looking variable `{name}` to a literal value",
                        c.kind.as_str(),
                        c.name
                    )
                } else {
                    continue;
                };
                let path = c.field_pointer(&["env"]).index(i).key("value");
                let f = out.report_container(id, &c, path, message);
                // point at the key: a multi-line value (a private key) is never shown
                if let Some(entry) = e.entry("value") {
                    f.span(entry.key_span);
                }
            }
        }
    }
}
