use std::collections::HashSet;

use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod volumes that carry a Secret (a `secret` volume, or a `projected`
    /// volume with a `secret` source) when no container mounts them: no
    /// `volumeMounts` (or `volumeDevices`) entry of any container, init, sidecar,
    /// regular or ephemeral, names the volume.
    ///
    /// ## Why it matters in production
    /// The kubelet still fetches the Secret and writes it to the node for every pod,
    /// for nothing: the credential is exposed on more nodes than needed. Worse, a pod
    /// whose Secret volume refers to a Secret that does not exist (and is not
    /// `optional: true`) never starts (`ContainerCreating` with `FailedMount`), so a
    /// leftover volume can block a rollout after the Secret is deleted.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    /// volumes:
    ///   - name: tls
    ///     secret: {secretName: api-tls}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     volumeMounts:
    ///       - {name: tls, mountPath: /etc/tls, readOnly: true}
    /// volumes:
    ///   - name: tls
    ///     secret: {secretName: api-tls}
    /// ```
    /// (or remove the volume).
    ///
    /// ## Fix safety
    /// No automatic fix: whether the volume is a leftover or a forgotten mount is the
    /// author's call.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod>
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    pub struct SecretMountedUnused {
        code: "SEC007",
        name: "secret-mounted-unused",
        severity: Warning,
        default: true,
        summary: "A Secret volume is mounted by no container",
    }
}

/// The Secrets a volume carries, when it carries any.
fn secrets_of(v: &Node) -> Vec<&str> {
    if let Some(s) = v.get("secret") {
        return vec![s.get("secretName").and_then(Node::as_text).unwrap_or("")];
    }
    v.at(&["projected", "sources"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|src| src.get("secret"))
        .map(|s| s.get("name").and_then(Node::as_text).unwrap_or(""))
        .collect()
}

impl Rule for SecretMountedUnused {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let volumes = t.spec_field("volumes").map(Node::items).unwrap_or_default();
        let mut used: Option<HashSet<&str>> = None;
        for (i, v) in volumes.iter().enumerate() {
            let secrets = secrets_of(v);
            if secrets.is_empty() {
                continue;
            }
            let name = v.get("name").and_then(Node::as_text).unwrap_or("");
            let used = used.get_or_insert_with(|| {
                t.containers()
                    .flat_map(|c| {
                        ["volumeMounts", "volumeDevices"]
                            .into_iter()
                            .flat_map(move |f| c.get(f).map(Node::items).unwrap_or_default())
                    })
                    .filter_map(|m| m.get("name").and_then(Node::as_text))
                    .collect()
            });
            if used.contains(name) {
                continue;
            }
            let list = secrets
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let plural = if secrets.len() == 1 { "" } else { "s" };
            out.report(
                id,
                t.spec_pointer(&["volumes"]).index(i).key("name"),
                format!("volume `{name}` carries Secret{plural} {list} but no container mounts it"),
            );
        }
    }
}
