use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers (every kind, ephemeral included) that read a Secret into
    /// environment variables: `env[].valueFrom.secretKeyRef` (one finding per
    /// variable) and `envFrom[].secretRef` (one finding per reference, since it loads
    /// every key of the Secret).
    ///
    /// ## Why it matters in production
    /// Environment variables leak: they are inherited by every child process, dumped
    /// by crash reporters, error pages and debug endpoints (`/env`, `phpinfo`), and
    /// readable in `/proc/<pid>/environ` by anything in the pod. They are also fixed
    /// for the life of the container: a rotated Secret reaches an env var only after a
    /// restart, while a mounted Secret volume is updated in place. (`kubectl describe`
    /// shows only the reference, not the value.) Files are the safer channel.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     env:
    ///       - name: DB_PASSWORD
    ///         valueFrom:
    ///           secretKeyRef: {name: db, key: password}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     volumeMounts:
    ///       - {name: db, mountPath: /var/run/secrets/db, readOnly: true}
    /// volumes:
    ///   - name: db
    ///     secret: {secretName: db}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the application has to read the value from a file instead.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod>
    pub struct SecretAsEnv {
        code: "SCR004",
        name: "secret-as-env",
        severity: Info,
        default: true,
        summary: "A container reads a Secret into environment variables",
    }
}

impl Rule for SecretAsEnv {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers() {
            for (i, e) in c.env().iter().enumerate() {
                let Some(r) = e.at(&["valueFrom", "secretKeyRef"]) else {
                    continue;
                };
                let var = e.get("name").and_then(Node::as_text).unwrap_or("");
                let secret = r.get("name").and_then(Node::as_text).unwrap_or("");
                let key = r.get("key").and_then(Node::as_text).unwrap_or("");
                out.report_container(
                    id,
                    &c,
                    c.field_pointer(&["env"]).index(i).keys(&["valueFrom", "secretKeyRef"]),
                    format!(
                        "{} `{}` reads key `{key}` of Secret `{secret}` into environment variable `{var}`; prefer a mounted file",
                        c.kind.as_str(),
                        c.name
                    ),
                );
            }
            for (i, e) in c
                .get("envFrom")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let Some(r) = e.get("secretRef") else {
                    continue;
                };
                let secret = r.get("name").and_then(Node::as_text).unwrap_or("");
                out.report_container(
                    id,
                    &c,
                    c.field_pointer(&["envFrom"]).index(i).key("secretRef"),
                    format!(
                        "{} `{}` loads every key of Secret `{secret}` into its environment; prefer a mounted file",
                        c.kind.as_str(),
                        c.name
                    ),
                );
            }
        }
    }
}
