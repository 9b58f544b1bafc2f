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
/// refer into any namespace). Built once per run for every kind of reference and
/// shared by the UNU rules; the names are borrowed from the input's trees.
#[derive(Default)]
pub struct Refs<'a> {
    names: HashSet<(u8, Option<&'a str>, &'a str)>,
    /// Words of the containers' `command` and `args` (`--configmap=ns/name`), by
    /// namespace: a ConfigMap or Secret name among them counts as referenced.
    words: HashSet<(Option<&'a str>, &'a str)>,
}

impl<'a> Refs<'a> {
    /// Every reference in the input, of every kind.
    pub fn build(index: &'a Index) -> Refs<'a> {
        let mut r = Refs::default();
        for o in index.objects() {
            let ns = o.namespace.as_deref();
            if matches!(o.kind.as_str(), "Role" | "ClusterRole")
                && o.group() == "rbac.authorization.k8s.io"
            {
                granted_names(&mut r, o);
                continue;
            }
            for e in o.root.entries() {
                match e.key.as_str() {
                    "status" | "data" | "stringData" | "binaryData" => {}
                    "metadata" => {
                        if let Some(a) = e.value.get("annotations") {
                            walk(&mut r, ns, a, 0);
                        }
                    }
                    _ => walk(&mut r, ns, &e.value, kinds_of_key(&e.key)),
                }
            }
        }
        r
    }

    /// Whether `name` of namespace `ns` is referred to as a `what` (one of the bits).
    pub fn has(&self, what: u8, ns: &str, name: &str) -> bool {
        self.names.contains(&(what, Some(ns), name))
            || self.names.contains(&(what, None, name))
            || what & (CONFIG_MAP | SECRET_REF) != 0
                && (self.words.contains(&(Some(ns), name)) || self.words.contains(&(None, name)))
    }
}

/// The objects a role grants access to by name (`resourceNames`): a ConfigMap that a
/// workload reads through the API is used as much as one it mounts.
fn granted_names<'a>(r: &mut Refs<'a>, role: &'a Object) {
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
                if bits & b != 0 {
                    r.names.insert((b, role.namespace.as_deref(), name));
                }
            }
        }
    }
}

/// The reference kinds a mapping key names, read as its ASCII letters and digits
/// lowercased: `configMapKeyRef`, `config_map` and `CONFIGMAP` all name a ConfigMap.
fn kinds_of_key(key: &str) -> u8 {
    let k = key.as_bytes();
    // no key names a reference without one of these letters: most keys are answered
    // without folding
    if !k.iter().any(|c| matches!(c, b'c' | b'C' | b's' | b'S')) {
        return 0;
    }
    let mut buf = [0u8; 64];
    let long: Vec<u8>;
    let folded: &[u8] = if k.len() <= buf.len() {
        let mut n = 0;
        for c in k.iter().filter(|c| c.is_ascii_alphanumeric()) {
            buf[n] = c.to_ascii_lowercase();
            n += 1;
        }
        &buf[..n]
    } else {
        long = k
            .iter()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect();
        &long
    };
    let has = |needle: &[u8]| folded.windows(needle.len()).any(|w| w == needle);
    let mut bits = 0;
    if has(b"configmap") {
        bits |= CONFIG_MAP;
    }
    if has(b"secret") {
        bits |= SECRET_REF;
    }
    if has(b"claimname") {
        bits |= CLAIM;
    }
    if has(b"serviceaccount") {
        bits |= ACCOUNT;
    }
    bits
}

fn walk<'a>(r: &mut Refs<'a>, ns: Option<&'a str>, node: &'a Node, bits: u8) {
    if let Some(text) = node.as_text() {
        for b in [CONFIG_MAP, SECRET_REF, CLAIM, ACCOUNT] {
            if bits & b != 0 {
                r.names.insert((b, ns, text));
                // `namespace/name`, as annotations and flags write a reference
                if let Some((n, name)) = text.split_once('/') {
                    r.names.insert((b, Some(n), name));
                }
            }
        }
        return;
    }
    for item in node.items() {
        walk(r, ns, item, bits);
    }
    for e in node.entries() {
        if matches!(e.key.as_str(), "command" | "args") {
            for w in e.value.items().iter().filter_map(Node::as_text) {
                for word in w.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                {
                    if !word.is_empty() {
                        r.words.insert((ns, word));
                    }
                }
            }
        }
        walk(r, ns, &e.value, bits | kinds_of_key(&e.key));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_kinds_whatever_their_case_and_separators() {
        assert_eq!(kinds_of_key("configMapKeyRef"), CONFIG_MAP);
        assert_eq!(kinds_of_key("config_map"), CONFIG_MAP);
        assert_eq!(kinds_of_key("CONFIGMAP"), CONFIG_MAP);
        assert_eq!(kinds_of_key("secretName"), SECRET_REF);
        assert_eq!(kinds_of_key("claimName"), CLAIM);
        assert_eq!(kinds_of_key("serviceAccountName"), ACCOUNT);
        assert_eq!(
            kinds_of_key("serviceAccountSecretConfigMap"),
            ACCOUNT | SECRET_REF | CONFIG_MAP
        );
        assert_eq!(kinds_of_key("image"), 0);
        assert_eq!(kinds_of_key("claim"), 0);
        assert_eq!(kinds_of_key("sécret"), 0);
        // longer than the buffer the short keys are folded in
        let long = format!("{}ConfigMap", "x".repeat(80));
        assert_eq!(kinds_of_key(&long), CONFIG_MAP);
        let split = format!("{}Config-Map-{}", "y".repeat(60), "z".repeat(10));
        assert_eq!(kinds_of_key(&split), CONFIG_MAP);
    }
}
