//! YAML and JSON streams as trees whose every node carries its source span.
//!
//! Kubernetes reads manifests with `sigs.k8s.io/yaml`, which resolves plain scalars
//! with go-yaml v2 rules (YAML 1.1 booleans such as `yes`/`off`, `0755` as octal) and
//! then converts the result to JSON. [`Scalar::resolve`] reproduces that resolution so
//! that rules judge a value exactly as the API server will receive it, while the tree
//! keeps the author's spelling and quoting so that `YML` rules can point out where the
//! two differ.
//!
//! Parsing is bounded ([`Limits`]): nesting deeper than [`Limits::max_depth`] and alias
//! expansion beyond [`Limits::max_alias_nodes`] or [`Limits::max_alias_bytes`] stop the
//! document with an error instead of exhausting memory; a document larger than
//! [`Limits::max_document_bytes`] is not read, nor are the documents after the first
//! [`Limits::max_documents`]. A broken document does not prevent the following ones
//! (after the next `---`) from being read.

pub mod edit;
mod json;
mod parse;
mod pointer;
mod resolve;

pub use compact_str::CompactString;
pub use json::{NodeSeed, node_from_json};
pub use parse::{
    Document, DuplicateKey, Limit, Limits, ParseError, Piece, Stream, format_size, merge_streams,
    parse_piece, parse_stream, parse_stream_at, plan, split_documents,
};
pub use pointer::{Pointer, Segment};
pub use resolve::{Resolved, resolve_plain};

/// A position in a source text: 1-based line, 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A half-open range of source text (`end` is exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A scalar exactly as written, resolved on demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The scalar's text after YAML unescaping and folding (inline, without a heap
    /// allocation, up to 24 bytes: most keys and values of a manifest).
    pub text: CompactString,
    pub style: Style,
    /// An explicit tag (`!!str`, `!!int`, a custom `!Ref`).
    pub tag: Option<Tag>,
}

/// The explicit tag of a scalar, as far as resolution cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    Str,
    Binary,
    Bool,
    Int,
    Float,
    Null,
    /// Any other tag (`!Ref`, `!!timestamp`): resolved by its style, as untagged.
    Other,
}

impl Tag {
    /// The tag of a core-schema suffix (`str` of `!!str`), or `Other`.
    pub fn from_core_suffix(suffix: &str) -> Tag {
        match suffix {
            "str" => Tag::Str,
            "binary" => Tag::Binary,
            "bool" => Tag::Bool,
            "int" => Tag::Int,
            "float" => Tag::Float,
            "null" => Tag::Null,
            _ => Tag::Other,
        }
    }
}

impl Scalar {
    /// The value Kubernetes receives for this scalar (go-yaml v2 resolution).
    pub fn resolve(&self) -> Resolved {
        match self.tag {
            Some(Tag::Str | Tag::Binary) => return Resolved::Str,
            Some(Tag::Bool | Tag::Int | Tag::Float | Tag::Null) => {
                return resolve_plain(&self.text);
            }
            _ => {}
        }
        if self.style == Style::Plain {
            resolve_plain(&self.text)
        } else {
            Resolved::Str
        }
    }
}

/// One key of a mapping with its value. Keys are kept as written (Kubernetes turns
/// non-string keys into their string form).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: CompactString,
    pub key_span: Span,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A node of the tree with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub data: Data,
}

static EMPTY_ENTRIES: [Entry; 0] = [];
static EMPTY_NODES: [Node; 0] = [];

impl Node {
    /// The value of `key` in a mapping; `None` for a missing key or a non-mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.data {
            Data::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// The entry (key, span and value) for `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.data {
            Data::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Walks a chain of mapping keys.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// Follows a JSON pointer.
    pub fn pointer(&self, ptr: &Pointer) -> Option<&Node> {
        ptr.segments().iter().try_fold(self, |n, seg| match seg {
            Segment::Key(k) => n.get(k),
            Segment::Index(i) => n.items().get(*i),
        })
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.data {
            Data::Map(e) => e,
            _ => &EMPTY_ENTRIES,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.data {
            Data::Seq(v) => v,
            _ => &EMPTY_NODES,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.data, Data::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.data, Data::Seq(_))
    }

    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.data {
            Data::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// True for a scalar that Kubernetes reads as null (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        self.scalar().is_some_and(|s| s.resolve() == Resolved::Null)
    }

    /// The scalar's text whatever it resolves to (a number's digits, `true`, ...);
    /// `None` for collections and nulls.
    pub fn as_text(&self) -> Option<&str> {
        let s = self.scalar()?;
        if s.resolve() == Resolved::Null {
            None
        } else {
            Some(&s.text)
        }
    }

    /// The value if it resolves to a string.
    pub fn as_str(&self) -> Option<&str> {
        let s = self.scalar()?;
        (s.resolve() == Resolved::Str).then_some(s.text.as_str())
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar()?.resolve() {
            Resolved::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer value, also from a float with no fractional part (as JSON decoding
    /// into an int field accepts `3.0`).
    pub fn as_i64(&self) -> Option<i64> {
        match self.scalar()?.resolve() {
            Resolved::Int(i) => Some(i),
            Resolved::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.scalar()?.resolve() {
            Resolved::Int(i) => Some(i as f64),
            Resolved::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The node as JSON, the way Kubernetes would decode it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.data {
            Data::Scalar(s) => match s.resolve() {
                Resolved::Null => J::Null,
                Resolved::Bool(b) => J::Bool(b),
                Resolved::Int(i) => J::from(i),
                Resolved::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
                Resolved::Str => J::String(s.text.to_string()),
            },
            Data::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Data::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Counts the nodes of this subtree (itself included).
    pub fn count(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            match &node.data {
                Data::Scalar(_) => {}
                Data::Seq(items) => stack.extend(items),
                Data::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            }
        }
        n
    }

    /// The nodes of this subtree (itself included) and the bytes of its scalars and
    /// keys: what a copy of it costs.
    pub fn weight(&self) -> (usize, usize) {
        let (mut n, mut bytes) = (0, 0);
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            match &node.data {
                Data::Scalar(s) => bytes += s.text.len(),
                Data::Seq(items) => stack.extend(items),
                Data::Map(entries) => {
                    bytes += entries.iter().map(|e| e.key.len()).sum::<usize>();
                    stack.extend(entries.iter().map(|e| &e.value));
                }
            }
        }
        (n, bytes)
    }

    /// What this subtree holds in memory, in bytes, by where it goes: (the node
    /// structs of collections' element arrays and of this node, the text of scalars and
    /// keys too long to be stored inline). A diagnostic for the benchmarks.
    pub fn memory(&self) -> (usize, usize) {
        let (mut structs, mut text) = (std::mem::size_of::<Node>(), 0);
        let heap = |s: &CompactString| {
            if s.is_heap_allocated() {
                s.capacity()
            } else {
                0
            }
        };
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            match &node.data {
                Data::Scalar(s) => text += heap(&s.text),
                Data::Seq(items) => {
                    structs += items.capacity() * std::mem::size_of::<Node>();
                    stack.extend(items);
                }
                Data::Map(entries) => {
                    structs += entries.capacity() * std::mem::size_of::<Entry>();
                    text += entries.iter().map(|e| heap(&e.key)).sum::<usize>();
                    stack.extend(entries.iter().map(|e| &e.value));
                }
            }
        }
        (structs, text)
    }

    /// The span to point at for this node when it is the value of a mapping key:
    /// scalars point at their value, collections at their key.
    pub fn display_span(&self, key_span: Option<Span>) -> Span {
        match (&self.data, key_span) {
            (Data::Scalar(_), _) => self.span,
            (_, Some(k)) => k,
            (_, None) => Span {
                start: self.span.start,
                end: Pos {
                    line: self.span.start.line,
                    col: self.span.start.col + 1,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod edit_tests;
