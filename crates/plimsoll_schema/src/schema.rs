//! Schemas compiled from the compact form (and from CRDs' `openAPIV3Schema`, which
//! uses the same keys) into a tree that validation walks without looking anything up
//! by name.

use std::collections::HashMap;

use serde_json::Value;

/// A JSON type of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl Ty {
    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "object" => Ty::Object,
            "array" => Ty::Array,
            "string" => Ty::String,
            "integer" => Ty::Integer,
            "number" => Ty::Number,
            "boolean" => Ty::Boolean,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ty::Object => "object",
            Ty::Array => "array",
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
        }
    }
}

/// The values a map's keys may hold besides its `properties`.
#[derive(Debug, Clone, Default)]
pub enum Additional {
    /// Not said: for built-in types an object without properties is free-form
    /// (RawExtension, FieldsV1); for CRDs every unknown field is pruned.
    #[default]
    Unsaid,
    /// `additionalProperties: true` or `{}`.
    Any,
    /// `additionalProperties: false`.
    None,
    Schema(Box<SchemaNode>),
}

/// `x-kubernetes-list-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    Atomic,
    Set,
    Map,
}

/// One schema node. A `$ref` is resolved to an index of the [`Arena`] it was compiled
/// in.
#[derive(Debug, Clone, Default)]
pub struct SchemaNode {
    pub ty: Option<Ty>,
    pub reference: Option<u32>,
    /// Sorted by name.
    pub properties: Vec<(String, SchemaNode)>,
    pub required: Vec<String>,
    pub items: Option<Box<SchemaNode>>,
    pub additional: Additional,
    pub enumeration: Vec<Value>,
    pub format: Option<String>,
    pub nullable: bool,
    pub int_or_string: bool,
    pub preserve_unknown: bool,
    pub embedded_resource: bool,
    pub list_type: Option<ListType>,
    pub list_map_keys: Vec<String>,
}

impl SchemaNode {
    /// The schema of property `name`.
    pub fn property(&self, name: &str) -> Option<&SchemaNode> {
        self.properties
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| &self.properties[i].1)
    }

    /// Whether the node says anything about the value at all.
    pub fn is_unconstrained(&self) -> bool {
        self.ty.is_none()
            && self.reference.is_none()
            && self.properties.is_empty()
            && self.items.is_none()
            && matches!(self.additional, Additional::Unsaid)
            && self.enumeration.is_empty()
            && self.format.is_none()
            && !self.int_or_string
    }

    /// Compiles a schema; `refs` turns a `$ref` name into an arena index (`None`: the
    /// reference is left unresolved and the node accepts anything).
    pub fn compile(v: &Value, refs: &dyn Fn(&str) -> Option<u32>) -> SchemaNode {
        let Some(m) = v.as_object() else {
            return SchemaNode::default();
        };
        let mut n = SchemaNode::default();
        if let Some(r) = m.get("$ref").and_then(Value::as_str) {
            n.reference = refs(r.rsplit('/').next().unwrap_or(r));
        }
        // a `$ref` wrapped in allOf (the OpenAPI v3 documents' way)
        if let Some([one]) = m.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
            && let Some(r) = one.get("$ref").and_then(Value::as_str)
        {
            n.reference = refs(r.rsplit('/').next().unwrap_or(r));
        }
        n.ty = m.get("type").and_then(Value::as_str).and_then(Ty::parse);
        if let Some(props) = m.get("properties").and_then(Value::as_object) {
            n.properties = props
                .iter()
                .map(|(k, p)| (k.clone(), SchemaNode::compile(p, refs)))
                .collect();
            n.properties.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if let Some(req) = m.get("required").and_then(Value::as_array) {
            n.required = req
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        if let Some(items) = m.get("items").filter(|i| i.is_object()) {
            n.items = Some(Box::new(SchemaNode::compile(items, refs)));
        }
        n.additional = match m.get("additionalProperties") {
            None => Additional::Unsaid,
            Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::None,
            Some(v) => {
                let s = SchemaNode::compile(v, refs);
                if s.is_unconstrained() {
                    Additional::Any
                } else {
                    Additional::Schema(Box::new(s))
                }
            }
        };
        if let Some(e) = m.get("enum").and_then(Value::as_array) {
            n.enumeration = e.clone();
        }
        n.format = m.get("format").and_then(Value::as_str).map(str::to_string);
        let flag = |k: &str| m.get(k).and_then(Value::as_bool).unwrap_or(false);
        n.nullable = flag("nullable");
        n.int_or_string = flag("x-kubernetes-int-or-string");
        n.preserve_unknown = flag("x-kubernetes-preserve-unknown-fields");
        n.embedded_resource = flag("x-kubernetes-embedded-resource");
        n.list_type = match m.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("atomic") => Some(ListType::Atomic),
            Some("set") => Some(ListType::Set),
            Some("map") => Some(ListType::Map),
            _ => None,
        };
        if let Some(keys) = m
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
        {
            n.list_map_keys = keys
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        n
    }
}

/// Named types, referred to by index.
#[derive(Debug, Default)]
pub struct Arena {
    pub types: Vec<SchemaNode>,
    pub names: HashMap<String, u32>,
}

impl Arena {
    /// Compiles the `types` object of the compact form.
    pub fn compile(types: &serde_json::Map<String, Value>) -> Arena {
        let names: HashMap<String, u32> = types
            .keys()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u32))
            .collect();
        let refs = |n: &str| names.get(n).copied();
        let types = types
            .values()
            .map(|v| SchemaNode::compile(v, &refs))
            .collect();
        Arena { types, names }
    }

    pub fn get(&self, i: u32) -> &SchemaNode {
        &self.types[i as usize]
    }

    pub fn named(&self, name: &str) -> Option<&SchemaNode> {
        self.names.get(name).map(|&i| self.get(i))
    }
}
