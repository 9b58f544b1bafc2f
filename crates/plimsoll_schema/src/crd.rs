//! The custom resources that the CustomResourceDefinitions of a run define.

use std::collections::HashMap;

use plimsoll_yaml::Node;

use crate::schema::{SchemaNode, Ty};

/// What a run knows about one `group/version/Kind` from its CRDs.
#[derive(Debug)]
pub enum CrdVersion {
    /// Served, with its `openAPIV3Schema` (root metadata read as ObjectMeta).
    Served(Box<SchemaNode>),
    /// Served without a schema (`apiextensions.k8s.io/v1` requires one; a CRD without
    /// it is rejected by the API server).
    NoSchema,
    /// Defined but not served.
    NotServed,
}

/// The CRDs of a run, by `group/version/Kind` of the resources they define.
#[derive(Debug, Default)]
pub struct Crds {
    map: HashMap<String, (String, CrdVersion)>,
    /// `group/Kind` of every CRD, whatever its versions.
    kinds: HashMap<String, String>,
}

impl Crds {
    /// Reads CRDs (`apiextensions.k8s.io/v1`); `object_meta` is the built-in ObjectMeta
    /// type that root `metadata` refers to.
    pub fn build<'a>(crds: impl Iterator<Item = &'a Node>, object_meta: Option<u32>) -> Crds {
        let mut out = Crds::default();
        for crd in crds {
            let name = crd
                .at(&["metadata", "name"])
                .and_then(Node::as_text)
                .unwrap_or("?")
                .to_string();
            let Some(spec) = crd.get("spec") else {
                continue;
            };
            let group = spec.get("group").and_then(Node::as_text).unwrap_or("");
            let Some(kind) = spec.at(&["names", "kind"]).and_then(Node::as_text) else {
                continue;
            };
            out.kinds.insert(format!("{group}/{kind}"), name.clone());
            for v in spec.get("versions").map(Node::items).unwrap_or_default() {
                let Some(version) = v.get("name").and_then(Node::as_text) else {
                    continue;
                };
                let served = v.get("served").and_then(Node::as_bool).unwrap_or(false);
                let entry = if !served {
                    CrdVersion::NotServed
                } else if let Some(s) = v.at(&["schema", "openAPIV3Schema"]) {
                    CrdVersion::Served(Box::new(root_schema(s, object_meta)))
                } else {
                    CrdVersion::NoSchema
                };
                out.map
                    .insert(format!("{group}/{version}/{kind}"), (name.clone(), entry));
            }
        }
        out
    }

    /// The CRD name and what it says about `apiVersion` `kind`.
    pub fn get(&self, api_version: &str, kind: &str) -> Option<(&str, &CrdVersion)> {
        self.map
            .get(&format!("{api_version}/{kind}"))
            .map(|(n, v)| (n.as_str(), v))
    }

    /// The CRD of `group` `kind`, whatever the version.
    pub fn defines(&self, group: &str, kind: &str) -> Option<&str> {
        self.kinds
            .get(&format!("{group}/{kind}"))
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A CRD's root schema as the API server applies it: `apiVersion` and `kind` are
/// strings and `metadata` is ObjectMeta whatever the schema says of them.
fn root_schema(s: &Node, object_meta: Option<u32>) -> SchemaNode {
    let mut root = SchemaNode::compile(&s.to_json(), &|_| None);
    let string = SchemaNode {
        ty: Some(Ty::String),
        ..SchemaNode::default()
    };
    let meta = SchemaNode {
        reference: object_meta,
        ty: object_meta.is_none().then_some(Ty::Object),
        preserve_unknown: object_meta.is_none(),
        ..SchemaNode::default()
    };
    for (k, v) in [
        ("apiVersion", string.clone()),
        ("kind", string),
        ("metadata", meta),
    ] {
        match root.properties.binary_search_by(|(p, _)| p.as_str().cmp(k)) {
            Ok(i) => root.properties[i].1 = v,
            Err(i) => root.properties.insert(i, (k.to_string(), v)),
        }
    }
    root
}
