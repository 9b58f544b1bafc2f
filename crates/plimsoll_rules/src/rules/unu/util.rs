//! What the objects of the input refer to by name, found once per rule by walking
//! every object: a name counts as referenced when it is written under a key that
//! names the kind (`configMap`, `configMapKeyRef`, `secretName`, `imagePullSecrets`,
//! `claimName`, `serviceAccountName`, ...). The walk covers the built-in references
//! (pod templates, ServiceAccounts, Ingress TLS) and the many custom resources that
//! name their Secrets and ConfigMaps the same way (cert-manager issuers, External
//! Secrets stores, Prometheus), so that what they use is not reported as unused.

use std::collections::HashSet;

use plimsoll_model::{Index, Node, Object, Pointer};

use crate::rule::{Context, Sink};

/// Kinds of reference, as bits.
pub const CONFIG_MAP: u8 = 1;
pub const SECRET_REF: u8 = 2;
pub const CLAIM: u8 = 4;
pub const ACCOUNT: u8 = 8;

/// Names referred to, by namespace (`None`: from a cluster-scoped object, which may
/// refer into any namespace).
#[derive(Default)]
pub struct Refs {
    names: HashSet<(u8, Option<String>, String)>,
    /// Words of the containers' `command` and `args` (`--configmap=ns/name`), by
    /// namespace: a name among them counts as referenced.
    words: HashSet<(Option<String>, String)>,
}

impl Refs {
    /// Every reference of kind `what` in the input.
    pub fn build(index: &Index, what: u8) -> Refs {
        let mut r = Refs::default();
        for o in index.objects() {
            if matches!(o.kind.as_str(), "Role" | "ClusterRole")
                && o.group() == "rbac.authorization.k8s.io"
            {
                granted_names(&mut r, o, what);
                continue;
            }
            for e in o.root.entries() {
                match e.key.as_str() {
                    "status" | "data" | "stringData" | "binaryData" => {}
                    "metadata" => {
                        if let Some(a) = e.value.get("annotations") {
                            walk(&mut r, o, a, 0, what);
                        }
                    }
                    _ => walk(&mut r, o, &e.value, kinds_of_key(&e.key), what),
                }
            }
        }
        r
    }

    /// Whether `name` of namespace `ns` is referred to.
    pub fn has(&self, what: u8, ns: &str, name: &str) -> bool {
        let (ns, name) = (Some(ns.to_string()), name.to_string());
        self.names.contains(&(what, ns.clone(), name.clone()))
            || self.names.contains(&(what, None, name.clone()))
            || self.words.contains(&(ns, name.clone()))
            || self.words.contains(&(None, name))
    }
}

/// The objects a role grants access to by name (`resourceNames`): a ConfigMap that a
/// workload reads through the API is used as much as one it mounts.
fn granted_names(r: &mut Refs, role: &Object, what: u8) {
    for rule in role.root.get("rules").map(Node::items).unwrap_or_default() {
        let mut bits = 0;
        for res in rule.get("resources").map(Node::items).unwrap_or_default() {
            bits |= match res.as_text().unwrap_or("") {
                "configmaps" => CONFIG_MAP,
                "secrets" => SECRET_REF,
                "persistentvolumeclaims" => CLAIM,
                "serviceaccounts" | "serviceaccounts/token" => ACCOUNT,
                "*" => CONFIG_MAP | SECRET_REF | CLAIM | ACCOUNT,
                _ => 0,
            };
        }
        for name in rule
            .get("resourceNames")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_text)
        {
            for b in [CONFIG_MAP, SECRET_REF, CLAIM, ACCOUNT] {
                if bits & what & b != 0 {
                    r.names
                        .insert((b, role.namespace.clone(), name.to_string()));
                }
            }
        }
    }
}

/// The reference kinds a mapping key names.
fn kinds_of_key(key: &str) -> u8 {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut bits = 0;
    if k.contains("configmap") {
        bits |= CONFIG_MAP;
    }
    if k.contains("secret") {
        bits |= SECRET_REF;
    }
    if k.contains("claimname") {
        bits |= CLAIM;
    }
    if k.contains("serviceaccount") {
        bits |= ACCOUNT;
    }
    bits
}

fn walk(r: &mut Refs, o: &Object, node: &Node, bits: u8, what: u8) {
    if let Some(text) = node.as_text() {
        for b in [CONFIG_MAP, SECRET_REF, CLAIM, ACCOUNT] {
            if bits & what & b != 0 {
                r.names.insert((b, o.namespace.clone(), text.to_string()));
                // `namespace/name`, as annotations and flags write a reference
                if let Some((n, name)) = text.split_once('/') {
                    r.names.insert((b, Some(n.to_string()), name.to_string()));
                }
            }
        }
        return;
    }
    for item in node.items() {
        walk(r, o, item, bits, what);
    }
    for e in node.entries() {
        if matches!(e.key.as_str(), "command" | "args") && what & (CONFIG_MAP | SECRET_REF) != 0 {
            for w in e.value.items().iter().filter_map(Node::as_text) {
                for word in w.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                {
                    if !word.is_empty() {
                        r.words.insert((o.namespace.clone(), word.to_string()));
                    }
                }
            }
        }
        walk(r, o, &e.value, bits | kinds_of_key(&e.key), what);
    }
}

/// Namespaces whose objects the UNU rules never judge: those of the control plane
/// and the cluster's own bootstrap data.
pub fn system_namespace(ns: &str) -> bool {
    ns.starts_with("kube-")
}

/// Whether an object is managed by another (an owner reference): its lifecycle is
/// its owner's, and its owner decides whether it is needed.
pub fn owned(o: &Object) -> bool {
    o.metadata()
        .and_then(|m| m.get("ownerReferences"))
        .is_some_and(|r| !r.items().is_empty())
}

/// The candidates of a namespaced kind: objects of `kind` in the core `group`, not
/// owned, outside the system namespaces. A candidate in a namespace the input does not
/// hold whole is reported as not evaluated, and left out.
pub fn candidates<'a>(
    cx: &Context<'a>,
    kind: &'a str,
    group: &'a str,
    out: &mut Sink,
) -> Vec<(usize, &'a Object, &'a str)> {
    let mut v = Vec::new();
    for (id, o) in cx.index.of_kind(kind) {
        if o.group() != group || owned(o) {
            continue;
        }
        let Some(ns) = o.namespace.as_deref() else {
            continue;
        };
        if system_namespace(ns) {
            continue;
        }
        if !cx.index.holds_namespace(ns) {
            out.not_evaluated(
                id,
                format!(
                    "the input does not hold namespace {ns} whole, so what uses the object may be elsewhere"
                ),
            );
            continue;
        }
        v.push((id, o, ns));
    }
    v
}

/// Where an unused object's finding points.
pub fn name_path() -> Pointer {
    Pointer::root().keys(&["metadata", "name"])
}
