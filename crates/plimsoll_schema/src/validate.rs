//! Validation of a parsed document against a schema, the way the API server decodes
//! it: strict field validation (unknown fields), Go's JSON decoding into typed fields
//! (wrong types, int32 ranges, base64, times, quantities), required fields and enums.

use base64::Engine;
use plimsoll_model::Quantity;
use plimsoll_yaml::{Data, Node, Pointer, Resolved, Segment, Span};

use crate::schema::{Additional, Arena, ListType, SchemaNode, Ty};

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A field the schema does not know (strict field validation).
    UnknownField,
    /// A value of the wrong JSON type.
    WrongType,
    /// A required field is missing.
    MissingRequired,
    /// A value outside an enum or a format (quantity, base64, date-time, int32 range,
    /// duplicate list entries).
    InvalidValue,
}

/// One problem at one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub problem: Problem,
    /// The offending field; for a missing field, the field that should exist.
    pub path: Pointer,
    /// The key of an unknown field, the value of a wrong one, the mapping that lacks a
    /// required field.
    pub span: Span,
    pub message: String,
}

/// How strictly objects without a schema for their fields are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Built-in kinds: an object schema without properties is free-form
    /// (RawExtension, FieldsV1), nulls decode to zero values.
    Builtin,
    /// Custom resources (structural schemas): an object schema without properties and
    /// without `x-kubernetes-preserve-unknown-fields` knows no field at all.
    Custom,
}

/// The server's dotted form of a path: `spec.template.spec.containers[0].resources`.
pub fn dotted(path: &Pointer) -> String {
    let mut s = String::new();
    for seg in path.segments() {
        match seg {
            Segment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The known name nearest to an unknown one, if any is near enough to be a typo.
pub fn nearest<'a>(unknown: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = unknown.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let d = if k.eq_ignore_ascii_case(unknown) {
            0
        } else {
            strsim::levenshtein(&lower, &k.to_ascii_lowercase())
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    let limit = (unknown.chars().count() / 3).clamp(1, 3);
    best.filter(|(d, _)| *d <= limit).map(|(_, k)| k)
}

/// A JSON description of a node's value for messages: `string "3"`, `number 1.5`.
fn describe(n: &Node) -> (&'static str, String) {
    match &n.data {
        Data::Map(_) => ("object", String::new()),
        Data::Seq(_) => ("array", String::new()),
        Data::Scalar(s) => match s.resolve() {
            Resolved::Null => ("null", String::new()),
            Resolved::Bool(b) => ("bool", format!(" {b}")),
            Resolved::Int(i) => ("number", format!(" {i}")),
            Resolved::Float(_) => ("number", format!(" {}", s.text)),
            Resolved::Str => ("string", format!(" {:?}", s.text.as_str())),
        },
    }
}

fn is_int(n: &Node) -> Option<i64> {
    n.as_i64()
}

/// Whether `s` is an RFC 3339 date-time as Go's `time.Parse(time.RFC3339, s)` reads it.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 59
    {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

const QUANTITY_RE: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// Where the walk is, built on the stack as it descends: a [`Pointer`] is made only
/// for a violation, not for every node visited.
#[derive(Clone, Copy)]
struct Chain<'p> {
    up: Option<&'p Chain<'p>>,
    seg: Seg<'p>,
}

#[derive(Clone, Copy)]
enum Seg<'p> {
    Root,
    Key(&'p str),
    Index(usize),
}

impl<'p> Chain<'p> {
    const ROOT: Chain<'static> = Chain {
        up: None,
        seg: Seg::Root,
    };

    fn key<'q>(&'q self, k: &'q str) -> Chain<'q> {
        Chain {
            up: Some(self),
            seg: Seg::Key(k),
        }
    }

    fn index(&self, i: usize) -> Chain<'_> {
        Chain {
            up: Some(self),
            seg: Seg::Index(i),
        }
    }

    fn pointer(&self) -> Pointer {
        let mut segs = Vec::new();
        let mut at = Some(self);
        while let Some(c) = at {
            segs.push(c.seg);
            at = c.up;
        }
        segs.iter().rev().fold(Pointer::root(), |p, s| match s {
            Seg::Root => p,
            Seg::Key(k) => p.key(k),
            Seg::Index(i) => p.index(*i),
        })
    }

    /// The first key below the root (`status` of `/status/conditions`).
    fn first_key(&self) -> Option<&'p str> {
        let mut at = self;
        while let Some(up) = at.up.filter(|up| up.up.is_some()) {
            at = up;
        }
        match at.seg {
            Seg::Key(k) => Some(k),
            _ => None,
        }
    }

    /// The path as the API server's messages write it (`spec.containers[0].name`).
    fn dotted(&self) -> String {
        dotted(&self.pointer())
    }
}

struct Walk<'a> {
    arena: &'a Arena,
    dialect: Dialect,
    out: Vec<Violation>,
}

impl<'a> Walk<'a> {
    fn resolve(&self, mut s: &'a SchemaNode) -> &'a SchemaNode {
        // a chain of references ends: compact types reference other types only
        for _ in 0..16 {
            match s.reference {
                Some(r) => s = self.arena.get(r),
                None => break,
            }
        }
        s
    }

    fn push(&mut self, problem: Problem, path: &Chain, span: Span, message: String) {
        self.out.push(Violation {
            problem,
            path: path.pointer(),
            span,
            message,
        });
    }

    fn wrong_type(&mut self, n: &Node, path: &Chain, expected: &str) {
        let (got, text) = describe(n);
        let message = match self.dialect {
            Dialect::Builtin => format!(
                "cannot unmarshal {got}{text} into field \"{}\" of type {expected}",
                path.dotted()
            ),
            Dialect::Custom => format!(
                "{}: Invalid value: \"{got}\": {} in body must be of type {expected}: \"{got}\"",
                path.dotted(),
                path.dotted()
            ),
        };
        self.push(Problem::WrongType, path, n.span, message);
    }

    fn node(&mut self, s: &'a SchemaNode, n: &Node, path: &Chain) {
        let s = self.resolve(s);
        if n.is_null() {
            // Go decodes null into the zero value; structural schemas prune
            // non-nullable nulls
            return;
        }
        if s.int_or_string {
            let ok = match n.scalar().map(|x| x.resolve()) {
                Some(Resolved::Str) => true,
                Some(Resolved::Int(_)) => true,
                Some(Resolved::Float(_)) => is_int(n).is_some(),
                _ => false,
            };
            if !ok {
                self.wrong_type(n, path, "int-or-string");
            }
            return;
        }
        if s.format.as_deref() == Some("quantity") {
            match n.scalar().map(|x| x.resolve()) {
                Some(Resolved::Str) => {
                    let text = n.as_str().unwrap_or_default();
                    if text.trim() != text || Quantity::parse(text).is_err() {
                        self.push(
                            Problem::InvalidValue,
                            path,
                            n.span,
                            format!(
                                "{}: Invalid value: {text:?}: quantities must match the regular expression '{QUANTITY_RE}'",
                                path.dotted()
                            ),
                        );
                    }
                }
                Some(Resolved::Int(_) | Resolved::Float(_)) => {}
                _ => self.wrong_type(n, path, "quantity"),
            }
            return;
        }
        let ty = s.ty.or_else(|| {
            (!s.properties.is_empty() || !matches!(s.additional, Additional::Unsaid))
                .then_some(Ty::Object)
        });
        match ty {
            None => {
                // embedded resources may leave out `type: object`
                if s.embedded_resource && n.is_map() {
                    self.object(s, n, path);
                }
            }
            Some(Ty::Object) => {
                if n.is_map() {
                    self.object(s, n, path);
                } else {
                    self.wrong_type(n, path, "object");
                }
            }
            Some(Ty::Array) => {
                if let Data::Seq(items) = &n.data {
                    if let Some(item) = &s.items {
                        for (i, it) in items.iter().enumerate() {
                            self.node(item, it, &path.index(i));
                        }
                    }
                    if self.dialect == Dialect::Custom {
                        self.list_uniqueness(s, items, path);
                    }
                } else {
                    self.wrong_type(n, path, "array");
                }
            }
            Some(Ty::String) => match n.scalar().map(|x| x.resolve()) {
                Some(Resolved::Str) => {
                    let text = n.as_str().unwrap_or_default();
                    self.string_format(s, text, n, path);
                    self.enumeration(s, n, path);
                }
                _ => self.wrong_type(n, path, "string"),
            },
            Some(Ty::Integer) => match is_int(n) {
                Some(i) => {
                    if s.format.as_deref() == Some("int32") && i32::try_from(i).is_err() {
                        self.push(
                            Problem::InvalidValue,
                            path,
                            n.span,
                            format!(
                                "cannot unmarshal number {i} into field \"{}\" of type int32 (out of range)",
                                path.dotted()
                            ),
                        );
                    }
                    self.enumeration(s, n, path);
                }
                None => {
                    let expected = s
                        .format
                        .as_deref()
                        .filter(|f| matches!(*f, "int32" | "int64"))
                        .unwrap_or("integer");
                    self.wrong_type(n, path, expected);
                }
            },
            Some(Ty::Number) => match n.scalar().map(|x| x.resolve()) {
                Some(Resolved::Int(_) | Resolved::Float(_)) => self.enumeration(s, n, path),
                _ => self.wrong_type(n, path, "number"),
            },
            Some(Ty::Boolean) => match n.scalar().map(|x| x.resolve()) {
                Some(Resolved::Bool(_)) => {}
                _ => self.wrong_type(n, path, "boolean"),
            },
        }
    }

    fn string_format(&mut self, s: &SchemaNode, text: &str, n: &Node, path: &Chain) {
        match s.format.as_deref() {
            Some("byte") => {
                let compact: String = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
                // Go's base64.StdEncoding: padding required, trailing bits allowed
                let engine = base64::engine::GeneralPurpose::new(
                    &base64::alphabet::STANDARD,
                    base64::engine::GeneralPurposeConfig::new()
                        .with_decode_allow_trailing_bits(true),
                );
                if engine.decode(compact.as_bytes()).is_err() {
                    self.push(
                        Problem::InvalidValue,
                        path,
                        n.span,
                        format!("{}: illegal base64 data", path.dotted()),
                    );
                }
            }
            Some("date-time") if !is_date_time(text) => {
                self.push(
                    Problem::InvalidValue,
                    path,
                    n.span,
                    format!(
                        "{}: Invalid value: {text:?}: not an RFC 3339 date-time (2006-01-02T15:04:05Z07:00)",
                        path.dotted()
                    ),
                );
            }
            _ => {}
        }
    }

    fn enumeration(&mut self, s: &SchemaNode, n: &Node, path: &Chain) {
        if s.enumeration.is_empty() {
            return;
        }
        // an empty string is defaulted (protocol, imagePullPolicy) or judged by the
        // hand-written validation of built-in kinds, not rejected as outside the enum
        if self.dialect == Dialect::Builtin && n.as_str() == Some("") {
            return;
        }
        let v = n.to_json();
        if s.enumeration.contains(&v) {
            return;
        }
        let supported: Vec<String> = s.enumeration.iter().map(|e| e.to_string()).collect();
        self.push(
            Problem::InvalidValue,
            path,
            n.span,
            format!(
                "{}: Unsupported value: {}: supported values: {}",
                path.dotted(),
                v,
                supported.join(", ")
            ),
        );
    }

    fn object(&mut self, s: &'a SchemaNode, n: &Node, path: &Chain) {
        let free_form = self.dialect == Dialect::Builtin
            && s.properties.is_empty()
            && matches!(s.additional, Additional::Unsaid);
        let embedded = s.embedded_resource;
        for e in n.entries() {
            let p = path.key(&e.key);
            if let Some(ps) = s.property(&e.key) {
                self.node(ps, &e.value, &p);
                continue;
            }
            if embedded && matches!(e.key.as_str(), "apiVersion" | "kind" | "metadata") {
                if e.key != "metadata" && e.value.as_str().is_none() && !e.value.is_null() {
                    self.wrong_type(&e.value, &p, "string");
                }
                continue;
            }
            match &s.additional {
                Additional::Schema(a) => {
                    self.node(a, &e.value, &p);
                    continue;
                }
                Additional::Any => continue,
                Additional::None | Additional::Unsaid => {}
            }
            if s.preserve_unknown || free_form {
                continue;
            }
            let mut message = format!("unknown field \"{}\"", p.dotted());
            if let Some(k) = nearest(&e.key, s.properties.iter().map(|(k, _)| k.as_str())) {
                message.push_str(&format!(" (did you mean \"{k}\"?)"));
            }
            self.push(Problem::UnknownField, &p, e.key_span, message);
        }
        let mut required: Vec<&str> = s.required.iter().map(String::as_str).collect();
        if embedded {
            required.extend(["apiVersion", "kind"]);
        }
        // the status of a new object is not written by its creator: the API server
        // resets it, so what it requires is not asked of a manifest
        let in_status = path.first_key() == Some("status");
        if in_status && self.dialect == Dialect::Builtin {
            required.clear();
        }
        for r in required {
            // Go decodes a null into the zero value, which the hand-written
            // validation judges; structural schemas prune it, so it is missing
            let missing = match n.get(r) {
                None => true,
                Some(v) => v.is_null() && self.dialect == Dialect::Custom,
            };
            if missing {
                let p = path.key(r);
                let span = Span {
                    start: n.span.start,
                    end: n.span.start,
                };
                self.push(
                    Problem::MissingRequired,
                    &p,
                    span,
                    format!("{}: Required value", p.dotted()),
                );
            }
        }
    }

    /// `x-kubernetes-list-type: set | map`: no two entries alike.
    fn list_uniqueness(&mut self, s: &SchemaNode, items: &[Node], path: &Chain) {
        let key = |it: &Node| -> Option<String> {
            match s.list_type? {
                ListType::Atomic => None,
                ListType::Set => it.scalar().map(|_| it.to_json().to_string()),
                ListType::Map => {
                    let parts: Vec<String> = s
                        .list_map_keys
                        .iter()
                        .map(|k| {
                            format!("{k:?}:{}", it.get(k).map(Node::to_json).unwrap_or_default())
                        })
                        .collect();
                    Some(format!("{{{}}}", parts.join(",")))
                }
            }
        };
        let mut seen = std::collections::HashSet::new();
        for (i, it) in items.iter().enumerate() {
            if let Some(k) = key(it)
                && !seen.insert(k.clone())
            {
                let p = path.index(i);
                self.push(
                    Problem::InvalidValue,
                    &p,
                    it.span,
                    format!("{}: Duplicate value: {k}", p.dotted()),
                );
            }
        }
    }
}

/// Validates a document against a schema whose references point into `arena`.
pub fn validate(
    arena: &Arena,
    schema: &SchemaNode,
    dialect: Dialect,
    doc: &Node,
) -> Vec<Violation> {
    let mut w = Walk {
        arena,
        dialect,
        out: Vec::new(),
    };
    w.node(schema, doc, &Chain::ROOT);
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_names() {
        let known = ["resources", "image", "imagePullPolicy", "name"];
        assert_eq!(nearest("resource", known.into_iter()), Some("resources"));
        assert_eq!(
            nearest("ImagePullPolicy", known.into_iter()),
            Some("imagePullPolicy")
        );
        assert_eq!(nearest("xyz", known.into_iter()), None);
    }

    #[test]
    fn date_times() {
        assert!(is_date_time("2024-01-02T03:04:05Z"));
        assert!(is_date_time("2024-01-02T03:04:05.123+02:00"));
        assert!(!is_date_time("2024-01-02 03:04:05Z"));
        assert!(!is_date_time("yesterday"));
    }
}
