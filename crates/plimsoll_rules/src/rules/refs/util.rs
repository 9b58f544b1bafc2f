//! Helpers shared by the REF rules: every reference a pod template makes to a
//! ConfigMap or Secret, where the input may create a Secret, and the coverage rules
//! that decide whether the input can tell that an object is missing.
//!
//! `references` and `find_secret` would belong in the model (`PodTemplate`, `Index`).

use plimsoll_model::{Container, Index, Node, Object, PodTemplate, Pointer};

use crate::rule::{Context, Sink};

/// The coverage rule of every REF rule for namespaced objects ([`covers`]): the input
/// can tell that an object of namespace `ns` is missing when it holds the whole
/// namespace or at least one object of the kinds referred to in that namespace (the
/// bundle manages objects of that kind there). Otherwise the rule reports "not
/// evaluated".
///
/// Secrets are the exception: manifests routinely leave them out on purpose (created by
/// hand, by CI from a vault, by an operator), so for them only Secrets and
/// Secret-producing objects of the namespace count ([`covers_secrets`]), and a held
/// namespace does not.
pub use crate::rules::coverage::{covers, has_kind_in};

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ConfigMap,
    Secret,
}

impl Source {
    pub fn kind(self) -> &'static str {
        match self {
            Source::ConfigMap => "ConfigMap",
            Source::Secret => "Secret",
        }
    }

    /// `(env valueFrom key, envFrom key, volume key, name field in the volume)`
    fn fields(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Source::ConfigMap => ("configMapKeyRef", "configMapRef", "configMap", "name"),
            Source::Secret => ("secretKeyRef", "secretRef", "secret", "secretName"),
        }
    }
}

/// One reference of a pod template to a ConfigMap or Secret.
pub struct Reference<'a> {
    pub name: &'a str,
    /// Pointer to the field that names the object.
    pub path: Pointer,
    /// `optional: true`: Kubernetes starts the pod without the object or key.
    pub optional: bool,
    /// The container whose env reads it (`None` for volumes, which the whole pod needs).
    pub container: Option<Container<'a>>,
    /// Where, for messages: "container `api` env `LOG_LEVEL`", "volume `config`".
    pub site: String,
    /// Keys read, with the pointer of each `key` field.
    pub keys: Vec<(&'a str, Pointer)>,
}

fn text<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Node::as_text).filter(|s| !s.is_empty())
}

fn optional(n: &Node) -> bool {
    n.get("optional").and_then(Node::as_bool) == Some(true)
}

/// `items[].key` of a configMap/secret volume or projection.
fn item_keys<'a>(n: &'a Node, at: &Pointer) -> Vec<(&'a str, Pointer)> {
    n.get("items")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, it)| Some((text(it, "key")?, at.key("items").index(i).key("key"))))
        .collect()
}

/// Every reference of the template to a `source` object: env `valueFrom`, `envFrom`
/// of every container kind (init, sidecar, regular, ephemeral), `volumes[]`,
/// projected volume sources and, for Secrets, CSI `nodePublishSecretRef`.
/// References without a name are skipped (the API server rejects them).
pub fn references<'a>(t: &PodTemplate<'a>, source: Source) -> Vec<Reference<'a>> {
    let (key_ref, env_from_ref, volume_key, volume_name) = source.fields();
    let mut out = Vec::new();
    for c in t.containers() {
        let who = format!("{} `{}`", c.kind.as_str(), c.name);
        for (i, e) in c.env().iter().enumerate() {
            let Some(r) = e.at(&["valueFrom", key_ref]) else {
                continue;
            };
            let Some(name) = text(r, "name") else {
                continue;
            };
            let at = c
                .field_pointer(&["env"])
                .index(i)
                .keys(&["valueFrom", key_ref]);
            out.push(Reference {
                name,
                path: at.key("name"),
                optional: optional(r),
                container: Some(c),
                site: format!("{who} env `{}`", text(e, "name").unwrap_or("?")),
                keys: text(r, "key")
                    .map(|k| vec![(k, at.key("key"))])
                    .unwrap_or_default(),
            });
        }
        let env_from = c.get("envFrom").map(Node::items).unwrap_or_default();
        for (i, e) in env_from.iter().enumerate() {
            let Some(r) = e.get(env_from_ref) else {
                continue;
            };
            let Some(name) = text(r, "name") else {
                continue;
            };
            out.push(Reference {
                name,
                path: c
                    .field_pointer(&["envFrom"])
                    .index(i)
                    .keys(&[env_from_ref, "name"]),
                optional: optional(r),
                container: Some(c),
                site: format!("{who} envFrom"),
                keys: Vec::new(),
            });
        }
    }
    let volumes = t.spec.get("volumes").map(Node::items).unwrap_or_default();
    for (i, v) in volumes.iter().enumerate() {
        let vol = t.spec_pointer(&["volumes"]).index(i);
        let vname = text(v, "name").unwrap_or("?");
        if let Some(r) = v.get(volume_key)
            && let Some(name) = text(r, volume_name)
        {
            let at = vol.key(volume_key);
            out.push(Reference {
                name,
                path: at.key(volume_name),
                optional: optional(r),
                container: None,
                site: format!("volume `{vname}`"),
                keys: item_keys(r, &at),
            });
        }
        let sources = v
            .at(&["projected", "sources"])
            .map(Node::items)
            .unwrap_or_default();
        for (j, s) in sources.iter().enumerate() {
            if let Some(r) = s.get(volume_key)
                && let Some(name) = text(r, "name")
            {
                let at = vol.keys(&["projected", "sources"]).index(j).key(volume_key);
                out.push(Reference {
                    name,
                    path: at.key("name"),
                    optional: optional(r),
                    container: None,
                    site: format!("projected volume `{vname}`"),
                    keys: item_keys(r, &at),
                });
            }
        }
        if source == Source::Secret
            && let Some(r) = v.at(&["csi", "nodePublishSecretRef"])
            && let Some(name) = text(r, "name")
        {
            out.push(Reference {
                name,
                path: vol.keys(&["csi", "nodePublishSecretRef", "name"]),
                optional: false,
                container: None,
                site: format!("CSI volume `{vname}`"),
                keys: Vec::new(),
            });
        }
    }
    out
}

/// The coverage rule for Secrets: a Secret or a Secret-producing object
/// ([`SECRET_PRODUCERS`]) in the namespace; the Namespace object alone does not count.
pub fn covers_secrets(index: &Index, ns: &str) -> bool {
    SECRET_PRODUCERS
        .iter()
        .any(|(g, k)| has_kind_in(index, g, k, ns))
}

/// The kinds that put Secrets into a namespace: Secret itself and the controllers
/// that create them.
pub const SECRET_PRODUCERS: &[(&str, &str)] = &[
    ("", "Secret"),
    ("external-secrets.io", "ExternalSecret"),
    ("bitnami.com", "SealedSecret"),
    ("cert-manager.io", "Certificate"),
    ("secrets.hashicorp.com", "VaultStaticSecret"),
    ("secrets.hashicorp.com", "VaultDynamicSecret"),
    ("secrets.hashicorp.com", "VaultPKISecret"),
];

pub const CONFIGMAPS: &[(&str, &str)] = &[("", "ConfigMap")];

/// Where a Secret of the input comes from.
pub enum SecretOrigin<'a> {
    /// A Secret object: its keys are known.
    Secret(usize, &'a Object),
    /// Created by a controller from another object (keys not known here).
    Produced,
}

fn at_text<'a>(o: &'a Object, keys: &[&str]) -> Option<&'a str> {
    o.root
        .at(keys)
        .and_then(Node::as_text)
        .filter(|s| !s.is_empty())
}

/// The Secret `name` of namespace `ns`: a Secret object, or one another object of the
/// input makes the cluster create: ExternalSecret (`spec.target.name`, default its own
/// name), ClusterExternalSecret (`spec.externalSecretSpec.target.name`, else
/// `spec.externalSecretName`, else its name, in any namespace as its namespace
/// selector decides), SealedSecret (`spec.template.metadata.name`, default its name),
/// cert-manager Certificate (`spec.secretName`), Vault Secrets Operator
/// (`spec.destination.name`).
pub fn find_secret<'a>(index: &'a Index, ns: &str, name: &str) -> Option<SecretOrigin<'a>> {
    if let Some((id, o)) = index.get("Secret", Some(ns), name)
        && o.group().is_empty()
    {
        return Some(SecretOrigin::Secret(id, o));
    }
    let produced = |kind: &str, group: &str, target: &dyn Fn(&Object) -> Option<&str>| {
        index
            .of_kind_in(kind, ns)
            .find(|(_, o)| o.group() == group && target(o) == Some(name))
            .map(|_| SecretOrigin::Produced)
    };
    produced("ExternalSecret", "external-secrets.io", &|o| {
        at_text(o, &["spec", "target", "name"]).or(Some(o.name.as_str()))
    })
    .or_else(|| {
        produced("SealedSecret", "bitnami.com", &|o| {
            at_text(o, &["spec", "template", "metadata", "name"]).or(Some(o.name.as_str()))
        })
    })
    .or_else(|| {
        produced("Certificate", "cert-manager.io", &|o| {
            at_text(o, &["spec", "secretName"])
        })
    })
    .or_else(|| {
        ["VaultStaticSecret", "VaultDynamicSecret", "VaultPKISecret"]
            .into_iter()
            .find_map(|k| {
                produced(k, "secrets.hashicorp.com", &|o| {
                    at_text(o, &["spec", "destination", "name"])
                })
            })
    })
    .or_else(|| {
        index
            .of_kind("ClusterExternalSecret")
            .find(|(_, o)| {
                o.group() == "external-secrets.io"
                    && at_text(o, &["spec", "externalSecretSpec", "target", "name"])
                        .or_else(|| at_text(o, &["spec", "externalSecretName"]))
                        .unwrap_or(o.name.as_str())
                        == name
            })
            .map(|_| SecretOrigin::Produced)
    })
}

/// The keys of a ConfigMap (`data`, `binaryData`) or Secret (`data`, `stringData`).
pub fn has_key(o: &Object, source: Source, key: &str) -> bool {
    let fields: &[&str] = match source {
        Source::ConfigMap => &["data", "binaryData"],
        Source::Secret => &["data", "stringData"],
    };
    fields.iter().any(|f| o.root.at(&[f, key]).is_some())
}

/// Names for a not-evaluated reason: "`a`, `b`".
pub fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// REF001 and REF003: references to a ConfigMap or Secret that is not in the input.
pub fn check_missing(cx: &Context, id: usize, obj: &Object, out: &mut Sink, source: Source) {
    let Some(t) = PodTemplate::of(obj) else {
        return;
    };
    let Some(ns) = obj.namespace.as_deref() else {
        return;
    };
    let covered = match source {
        Source::ConfigMap => covers(cx.index, CONFIGMAPS, ns),
        Source::Secret => covers_secrets(cx.index, ns),
    };
    let mut unknown: Vec<&str> = Vec::new();
    for r in references(&t, source) {
        if r.optional || exists(cx.index, source, ns, r.name) {
            continue;
        }
        if !covered {
            if !unknown.contains(&r.name) {
                unknown.push(r.name);
            }
            continue;
        }
        let effect = if r.container.is_some() {
            "the container cannot start (CreateContainerConfigError)"
        } else {
            "the pod cannot start (the volume never mounts)"
        };
        let msg = format!(
            "{} refers to {} `{}`, which is not in namespace `{ns}`: {effect}",
            r.site,
            source.kind(),
            r.name
        );
        match &r.container {
            Some(c) => out.report_container(id, c, r.path, msg),
            None => out.report(id, r.path, msg),
        };
    }
    if !unknown.is_empty() {
        out.not_evaluated(id, not_covered(source.kind(), ns, &unknown));
    }
}

/// The reason of a reference the input cannot judge.
pub fn not_covered(kind: &str, ns: &str, names: &[&str]) -> String {
    let question = format!("{kind} {} exists", list(names));
    if kind == "Secret" {
        format!(
            "the input holds neither a Secret nor a Secret-producing object (ExternalSecret, \
             SealedSecret, Certificate, ...) of namespace `{ns}`, so whether {question} is unknown"
        )
    } else {
        crate::rules::coverage::not_covered(kind, ns, &question)
    }
}

/// The ConfigMap the root CA publisher (kube-controller-manager) puts in every
/// namespace since Kubernetes 1.20, read by projected service-account token volumes.
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";

fn exists(index: &Index, source: Source, ns: &str, name: &str) -> bool {
    match source {
        Source::ConfigMap if name == ROOT_CA_CONFIGMAP => true,
        Source::ConfigMap => index
            .get("ConfigMap", Some(ns), name)
            .is_some_and(|(_, o)| o.group().is_empty()),
        Source::Secret => find_secret(index, ns, name).is_some(),
    }
}

/// REF002 and REF008: keys a reference reads that the ConfigMap or Secret of the input
/// does not have. Secrets that a controller creates, and service-account token Secrets
/// (whose keys the token controller fills in), are not judged.
pub fn check_keys(cx: &Context, id: usize, obj: &Object, out: &mut Sink, source: Source) {
    let Some(t) = PodTemplate::of(obj) else {
        return;
    };
    let Some(ns) = obj.namespace.as_deref() else {
        return;
    };
    for r in references(&t, source) {
        if r.optional || r.keys.is_empty() {
            continue;
        }
        let target = match source {
            Source::ConfigMap => cx
                .index
                .get("ConfigMap", Some(ns), r.name)
                .filter(|(_, o)| o.group().is_empty()),
            Source::Secret => match find_secret(cx.index, ns, r.name) {
                Some(SecretOrigin::Secret(sid, o))
                    if o.root.get("type").and_then(Node::as_text)
                        != Some("kubernetes.io/service-account-token") =>
                {
                    Some((sid, o))
                }
                _ => None,
            },
        };
        let Some((tid, target)) = target else {
            continue;
        };
        for (key, path) in &r.keys {
            if has_key(target, source, key) {
                continue;
            }
            let effect = if r.container.is_some() {
                "the container cannot start (CreateContainerConfigError)"
            } else {
                "the pod cannot start (the volume never mounts)"
            };
            let msg = format!(
                "{} reads key `{key}`, which {} `{}` does not have: {effect}",
                r.site,
                source.kind(),
                r.name
            );
            let f = match &r.container {
                Some(c) => out.report_container(id, c, path.clone(), msg),
                None => out.report(id, path.clone(), msg),
            };
            f.related(tid, Pointer::root().key("data"));
        }
    }
}
