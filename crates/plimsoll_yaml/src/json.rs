//! JSON read straight into [`Node`] trees, for objects that come from an API server
//! rather than a file: no intermediate `serde_json::Value`, and no spans (every span is
//! the default, zero position; live objects have no source text).
//!
//! Strings become double-quoted scalars, so that `"true"` stays a string; numbers,
//! booleans and null become plain scalars that resolve to what they were in JSON.
//! `metadata.managedFields` is dropped while reading: it is bookkeeping of the API
//! server, often half of an object's size. [`NodeSeed::object_with_managers`] keeps
//! of each entry only who wrote through which apiVersion, and when (the upgrade rules
//! read that), never the field sets.

use std::fmt;

use compact_str::{CompactString, ToCompactString};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{Data, Entry, Node, Scalar, Span, Style};

/// Reads one JSON value into a [`Node`]. Use it as a seed
/// (`NodeSeed::object().deserialize(&mut deserializer)`) or through [`node_from_json`].
#[derive(Debug, Clone, Copy)]
pub struct NodeSeed {
    /// Depth below the object root: 0 for the object itself, 1 for `metadata`.
    depth: u32,
    /// Whether this map is the object's `metadata`.
    in_metadata: bool,
    /// Keep `metadata.managedFields` without the field sets.
    managers: bool,
}

impl NodeSeed {
    /// A seed for a whole Kubernetes object (drops `metadata.managedFields`).
    pub fn object() -> NodeSeed {
        NodeSeed {
            depth: 0,
            in_metadata: false,
            managers: false,
        }
    }

    /// A seed for a whole Kubernetes object that keeps of `metadata.managedFields`
    /// each entry's `manager`, `operation`, `apiVersion`, `time` and `subresource`.
    pub fn object_with_managers() -> NodeSeed {
        NodeSeed {
            managers: true,
            ..NodeSeed::object()
        }
    }
}

/// One `metadata.managedFields` entry without its field set.
#[derive(serde::Deserialize)]
struct Manager {
    manager: Option<String>,
    operation: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    time: Option<String>,
    subresource: Option<String>,
}

impl Manager {
    fn node(self) -> Node {
        let fields = [
            ("manager", self.manager),
            ("operation", self.operation),
            ("apiVersion", self.api_version),
            ("time", self.time),
            ("subresource", self.subresource),
        ];
        Node {
            span: Span::default(),
            data: Data::Map(
                fields
                    .into_iter()
                    .filter_map(|(k, v)| {
                        Some(Entry {
                            key: CompactString::const_new(k),
                            key_span: Span::default(),
                            value: scalar(CompactString::from(v?), Style::DoubleQuoted),
                        })
                    })
                    .collect(),
            ),
        }
    }
}

/// Parses a JSON text holding one object into a [`Node`].
pub fn node_from_json(text: &str) -> Result<Node, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let node = NodeSeed::object().deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

fn scalar(text: CompactString, style: Style) -> Node {
    Node {
        span: Span::default(),
        data: Data::Scalar(Scalar {
            text,
            style,
            tag: None,
        }),
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(scalar(
            CompactString::const_new(if v { "true" } else { "false" }),
            Style::Plain,
        ))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(scalar(v.to_compact_string(), Style::Plain))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(scalar(v.to_compact_string(), Style::Plain))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        // keep a float a float: `1.0` is written with its point
        let text = if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            compact_str::format_compact!("{v:.1}")
        } else {
            v.to_compact_string()
        };
        Ok(scalar(text, Style::Plain))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(scalar(CompactString::new(v), Style::DoubleQuoted))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(scalar(CompactString::from(v), Style::DoubleQuoted))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(scalar(CompactString::const_new("null"), Style::Plain))
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let child = NodeSeed {
            depth: self.depth.saturating_add(1),
            in_metadata: false,
            managers: false,
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(n) = seq.next_element_seed(child)? {
            items.push(n);
        }
        items.shrink_to_fit();
        Ok(Node {
            span: Span::default(),
            data: Data::Seq(items),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<Entry> = Vec::new();
        while let Some(key) = map.next_key::<CompactString>()? {
            if self.in_metadata && key == "managedFields" {
                if self.managers {
                    let list: Option<Vec<Manager>> = map.next_value()?;
                    let items: Vec<Node> = list
                        .unwrap_or_default()
                        .into_iter()
                        .map(Manager::node)
                        .collect();
                    entries.push(Entry {
                        key,
                        key_span: Span::default(),
                        value: Node {
                            span: Span::default(),
                            data: Data::Seq(items),
                        },
                    });
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
                continue;
            }
            let child = NodeSeed {
                depth: self.depth.saturating_add(1),
                in_metadata: self.depth == 0 && key == "metadata",
                managers: self.managers,
            };
            let value = map.next_value_seed(child)?;
            entries.push(Entry {
                key,
                key_span: Span::default(),
                value,
            });
        }
        entries.shrink_to_fit();
        Ok(Node {
            span: Span::default(),
            data: Data::Map(entries),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resolved;

    #[test]
    fn scalars_keep_their_json_types() {
        let n = node_from_json(
            r#"{"a":"true","b":true,"c":3,"d":0.5,"e":null,"f":"0755","g":2.0,"h":[1,"x"]}"#,
        )
        .unwrap();
        let r = |k: &str| n.get(k).unwrap().scalar().unwrap().resolve();
        assert_eq!(r("a"), Resolved::Str);
        assert_eq!(r("b"), Resolved::Bool(true));
        assert_eq!(r("c"), Resolved::Int(3));
        assert_eq!(r("d"), Resolved::Float(0.5));
        assert_eq!(r("e"), Resolved::Null);
        assert_eq!(r("f"), Resolved::Str);
        assert_eq!(r("g"), Resolved::Float(2.0));
        assert_eq!(n.get("h").unwrap().items().len(), 2);
        assert_eq!(n.get("a").unwrap().as_text(), Some("true"));
    }

    #[test]
    fn managed_fields_are_dropped_from_metadata_only() {
        let n = node_from_json(
            r#"{"metadata":{"name":"x","managedFields":[{"manager":"kubectl"}]},
                "spec":{"managedFields":1}}"#,
        )
        .unwrap();
        assert!(n.at(&["metadata", "managedFields"]).is_none());
        assert_eq!(n.at(&["metadata", "name"]).unwrap().as_text(), Some("x"));
        assert!(n.at(&["spec", "managedFields"]).is_some());
        // kept without the field sets
        let mut de = serde_json::Deserializer::from_str(
            r#"{"metadata":{"managedFields":[{"manager":"helm","operation":"Update",
                "apiVersion":"batch/v1beta1","time":"2022-01-10T08:00:00Z",
                "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]}}"#,
        );
        let n = NodeSeed::object_with_managers()
            .deserialize(&mut de)
            .unwrap();
        let e = &n.at(&["metadata", "managedFields"]).unwrap().items()[0];
        assert_eq!(
            e.get("apiVersion").unwrap().as_text(),
            Some("batch/v1beta1")
        );
        assert_eq!(e.get("manager").unwrap().as_text(), Some("helm"));
        assert!(e.get("fieldsV1").is_none());
    }

    #[test]
    fn round_trips_through_to_json() {
        let text = r#"{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"a","ports":[{"containerPort":80}]}]}}"#;
        let n = node_from_json(text).unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }
}
