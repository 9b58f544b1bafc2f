//! Source text to objects: documents, `kind: List` items, notes for documents that are
//! not Kubernetes objects, errors for documents that cannot be read. No I/O here.

use std::collections::HashMap;

use plimsoll_model::{Object, SourceRef, is_cluster_scoped};
use plimsoll_yaml::{
    Data, Document, DuplicateKey, Entry, Limit, Limits, Node, Span, Stream, merge_streams,
    parse_piece, parse_stream_at, plan,
};
use rayon::prelude::*;

/// Streams larger than this are cut at document markers and parsed in parallel.
const PARALLEL_PART_BYTES: usize = 1 << 20;

/// Parses a whole stream, in parallel parts when it is large, with document indices
/// and lines as if it had been parsed in one piece.
pub fn parse_text(text: &str) -> Stream {
    parse_text_with(text, Limits::default(), PARALLEL_PART_BYTES)
}

/// [`parse_text`] with parts of about `part_bytes` (the fuzz target uses small parts to
/// reach the cuts with small inputs).
pub fn parse_text_in_parts(text: &str, part_bytes: usize) -> Stream {
    parse_text_with(text, Limits::default(), part_bytes)
}

/// [`parse_text`] within `limits`, in parts of about `part_bytes`. The stream is laid
/// out before any parsing ([`plan`]): documents over the size limit and past the
/// document limit are errors and never parsed.
pub fn parse_text_with(text: &str, limits: Limits, part_bytes: usize) -> Stream {
    // one large JSON List (`kubectl get -o json`, `plimsoll snapshot`): its items are
    // parsed apart, in parallel, as documents of their own would be, and the document
    // size limit holds for each item (what a dump of a large cluster is cut into)
    if text.len() >= part_bytes
        && let Some(stream) = parse_json_list(text, limits)
    {
        return stream;
    }
    let pieces = plan(text, &limits, part_bytes);
    if let [piece] = pieces.as_slice() {
        return parse_piece(text, piece, limits);
    }
    let streams: Vec<Stream> = pieces
        .par_iter()
        .map(|piece| parse_piece(text, piece, limits))
        .collect();
    merge_streams(streams)
}

/// Where an item of a JSON List starts and ends, and its position.
struct ListItem {
    start: usize,
    end: usize,
    /// Lines before the item's first line.
    line: u32,
    /// Characters before the item on its first line.
    col: usize,
}

/// The items of a text that is one JSON object whose `kind` ends with `List` and whose
/// `items` is an array of objects (found by a scan of brackets and strings, without
/// parsing), and the `kind`. `None` for any other text, or one the scan finds malformed
/// (the parser then reads it whole, and reports what is wrong where it is).
fn json_list_items(text: &str) -> Option<(String, Vec<ListItem>)> {
    let bytes = text.as_bytes();
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes[first] != b'{' {
        return None;
    }
    let mut items = Vec::new();
    let mut depth = 0usize;
    let (mut line, mut line_start) = (0u32, 0usize);
    // the last string read at depth 1, and whether it is a key (a `:` followed it)
    let mut last_string: Option<(usize, usize)> = None;
    let mut key: Option<&str> = None;
    let mut kind: Option<String> = None;
    let mut in_items = false;
    let mut item_start: Option<(usize, u32, usize)> = None;
    let mut end = None;
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if bytes[i] == b'\n' {
                        return None;
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return None;
                }
                if depth == 1 {
                    if key == Some("kind") && last_string.is_none() {
                        kind = Some(text[start..i].to_string());
                    }
                    last_string = Some((start, i));
                }
            }
            b':' if depth == 1 => {
                let (s, e) = last_string.take()?;
                key = Some(&text[s..e]);
                // the value comes next: a string value of `kind` is read above
                last_string = None;
            }
            b',' if depth == 1 => {
                key = None;
                last_string = None;
            }
            b'{' | b'[' => {
                if depth == 1 && b == b'[' && key == Some("items") {
                    in_items = true;
                } else if depth == 2 && in_items {
                    if b != b'{' {
                        return None;
                    }
                    let col = text[line_start..i].chars().count();
                    item_start = Some((i, line, col));
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 2 && in_items && b == b'}' {
                    let (start, l, col) = item_start.take()?;
                    items.push(ListItem {
                        start,
                        end: i + 1,
                        line: l,
                        col,
                    });
                } else if depth == 1 && in_items {
                    in_items = false;
                } else if depth == 0 {
                    end = Some(i + 1);
                    break;
                }
            }
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let end = end?;
    if !bytes[end..].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let kind = kind.filter(|k| k.ends_with("List"))?;
    (!items.is_empty()).then_some((kind, items))
}

/// A JSON List parsed item by item (see [`json_list_items`]) into one document holding
/// a List of the items, with their lines and columns in the text. `None` when the text
/// is not such a List, an item is larger than the document size limit, or an item does
/// not parse.
fn parse_json_list(text: &str, limits: Limits) -> Option<Stream> {
    let (kind, items) = json_list_items(text)?;
    if items
        .iter()
        .any(|it| it.end - it.start > limits.max_document_bytes)
    {
        return None;
    }
    let streams: Vec<Stream> = items
        .par_iter()
        .map(|it| {
            let mut padded = String::with_capacity(it.col + it.end - it.start);
            padded.extend(std::iter::repeat_n(' ', it.col));
            padded.push_str(&text[it.start..it.end]);
            parse_stream_at(&padded, limits, it.line)
        })
        .collect();
    let mut roots = Vec::with_capacity(streams.len());
    let mut duplicates = Vec::new();
    for s in streams {
        if !s.errors.is_empty() {
            return None;
        }
        let [doc] = <[Document; 1]>::try_from(s.documents).ok()?;
        duplicates.extend(doc.duplicates);
        roots.push(doc.root?);
    }
    let entry = |key: &str, value: Node| Entry {
        key: key.into(),
        key_span: Span::default(),
        value,
    };
    let span = roots.first().map(|r| r.span).unwrap_or_default();
    let text_node = |t: &str| Node {
        span,
        data: Data::Scalar(plimsoll_yaml::Scalar {
            text: t.into(),
            style: plimsoll_yaml::Style::DoubleQuoted,
            tag: None,
        }),
    };
    let root = Node {
        span,
        data: Data::Map(vec![
            entry("kind", text_node(&kind)),
            entry(
                "items",
                Node {
                    span,
                    data: Data::Seq(roots),
                },
            ),
        ]),
    };
    Some(Stream {
        documents: vec![Document {
            index: 0,
            root: Some(root),
            start_line: span.start.line,
            duplicates,
        }],
        errors: Vec::new(),
        next_index: 1,
    })
}

/// The command-line flag (and `limits:` key of `.plimsoll.yaml`, without the dashes)
/// that raises a limit.
pub fn limit_flag(limit: Limit) -> &'static str {
    match limit {
        Limit::Depth => "--max-depth",
        Limit::AliasNodes | Limit::AnchoredNodes => "--max-alias-nodes",
        Limit::AliasBytes => "--max-alias-bytes",
        Limit::Documents => "--max-documents",
        Limit::DocumentSize => "--max-document-size",
    }
}

/// `text` with every carriage return that is not part of a `\r\n` made a line feed.
/// YAML reads a lone `\r` as a line break and folds every line break of a scalar to
/// `\n`, so the values are the same; lines are then counted alike by the parser, the
/// exemption comments and the snippets. Byte offsets do not move.
pub fn normalize_line_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !text.contains('\r') || !(0..bytes.len()).any(lone) {
        return std::borrow::Cow::Borrowed(text);
    }
    let out: Vec<u8> = (0..bytes.len())
        .map(|i| if lone(i) { b'\n' } else { bytes[i] })
        .collect();
    std::borrow::Cow::Owned(String::from_utf8(out).expect("ASCII for ASCII keeps UTF-8"))
}

/// A document that was skipped, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub file: usize,
    pub line: Option<u32>,
    pub message: String,
}

/// An input that could not be read or parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: usize,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

/// YAML-level facts the `YML` rules judge, by (file, document).
#[derive(Debug, Default)]
pub struct YamlFacts {
    pub duplicates: HashMap<(usize, usize), Vec<DuplicateKey>>,
}

impl YamlFacts {
    pub fn merge(&mut self, other: YamlFacts) {
        self.duplicates.extend(other.duplicates);
    }
}

/// What one input text yielded.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<Object>,
    pub notes: Vec<Note>,
    pub errors: Vec<InputError>,
    pub facts: YamlFacts,
}

/// The encoding of a stream that is UTF-16 or UTF-32, told from its first bytes as the
/// YAML specification does (1.2, section 5.2): a byte order mark, or an ASCII first
/// character whose other bytes are zero.
fn other_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0, 0, 0xFE, 0xFF, ..] => Some("UTF-32 (big-endian, with a byte order mark)"),
        [0xFF, 0xFE, 0, 0, ..] => Some("UTF-32 (little-endian, with a byte order mark)"),
        [0xFE, 0xFF, ..] => Some("UTF-16 (big-endian, with a byte order mark)"),
        [0xFF, 0xFE, ..] => Some("UTF-16 (little-endian, with a byte order mark)"),
        [0, 0, 0, c, ..] if *c != 0 => Some("UTF-32 (big-endian)"),
        [c, 0, 0, 0, ..] if *c != 0 => Some("UTF-32 (little-endian)"),
        [0, c, ..] if *c != 0 => Some("UTF-16 (big-endian)"),
        [c, 0, ..] if *c != 0 => Some("UTF-16 (little-endian)"),
        _ => None,
    }
}

/// Checks that raw bytes are text plimsoll can read: UTF-8 without NUL bytes.
pub fn decode(file: usize, bytes: &[u8]) -> Result<&str, InputError> {
    if let Some(encoding) = other_encoding(bytes) {
        return Err(InputError {
            file,
            line: Some(1),
            column: Some(1),
            message: format!("the file is {encoding}; Kubernetes manifests must be UTF-8"),
        });
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        return Err(InputError {
            file,
            line: Some(line),
            column: None,
            message: "binary file (contains a NUL byte); not a manifest".into(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let upto = &bytes[..e.valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let col = String::from_utf8_lossy(
            &upto[upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1)..],
        )
        .chars()
        .count() as u32
            + 1;
        InputError {
            file,
            line: Some(line),
            column: Some(col),
            message: "invalid UTF-8; Kubernetes manifests must be UTF-8".into(),
        }
    })
}

/// For a file that [`decode`] refuses for NUL bytes or invalid UTF-8: the text with each
/// document that holds such a byte blanked out (its line breaks kept, so that the other
/// documents keep their lines), and one error per blanked document, at its first bad byte.
/// The other documents are read as usual. `None` for a UTF-16 file.
pub fn salvage(file: usize, bytes: &[u8]) -> Option<(String, Vec<InputError>)> {
    if other_encoding(bytes).is_some() {
        return None;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // documents start at a `---` line (a document marker is always at column 0)
    let mut starts = vec![0usize];
    let mut offset = 0usize;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let marker = line.starts_with(b"---")
            && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
        if marker && offset > 0 {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(bytes.len());
    let mut text = Vec::with_capacity(bytes.len());
    let mut errors = Vec::new();
    // lines before the current document, counted as the documents go (counting from the
    // start of the file for each bad document would be quadratic)
    let mut lines_before = 0u32;
    for w in starts.windows(2) {
        let doc = &bytes[w[0]..w[1]];
        let doc_lines = doc.iter().filter(|&&b| b == b'\n').count() as u32;
        let first_line = lines_before + 1;
        lines_before += doc_lines;
        let nul = doc.iter().position(|&b| b == 0);
        let utf8 = std::str::from_utf8(doc).err().map(|e| e.valid_up_to());
        let bad = match (nul, utf8) {
            (Some(n), Some(u)) if u < n => Some((u, false)),
            (Some(n), _) => Some((n, true)),
            (None, Some(u)) => Some((u, false)),
            (None, None) => None,
        };
        let Some((at, is_nul)) = bad else {
            text.extend_from_slice(doc);
            continue;
        };
        let upto = &bytes[..w[0] + at];
        let line = first_line + doc[..at].iter().filter(|&&b| b == b'\n').count() as u32;
        let column = String::from_utf8_lossy(
            &upto[upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1)..],
        )
        .chars()
        .count() as u32
            + 1;
        errors.push(InputError {
            file,
            line: Some(line),
            column: Some(column),
            message: if is_nul {
                "a NUL byte (binary data); this document is not read".into()
            } else {
                "invalid UTF-8; Kubernetes manifests must be UTF-8; this document is not read"
                    .into()
            },
        });
        text.extend(doc.iter().filter(|&&b| b == b'\n'));
    }
    let text = String::from_utf8(text)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Some((text, errors))
}

/// Parses one input text into objects.
pub fn load_text(file: usize, text: &str, default_namespace: &str) -> Loaded {
    load_text_with(file, text, default_namespace, Limits::default())
}

/// [`load_text`] within `limits`; an error from a limit names the flag that raises it.
pub fn load_text_with(file: usize, text: &str, default_namespace: &str, limits: Limits) -> Loaded {
    let stream = parse_text_with(text, limits, PARALLEL_PART_BYTES);
    let mut out = Loaded::default();
    for e in stream.errors {
        let message = match e.limit {
            Some(l) => format!("{}; raise it with {}", e.message, limit_flag(l)),
            None => e.message,
        };
        out.errors.push(InputError {
            file,
            line: Some(e.line),
            column: Some(e.col),
            message,
        });
    }
    for doc in stream.documents {
        let Some(root) = doc.root else { continue };
        if !doc.duplicates.is_empty() {
            out.facts
                .duplicates
                .insert((file, doc.index), doc.duplicates);
        }
        let line = root.span.start.line;
        let is_list = root
            .get("kind")
            .and_then(Node::as_text)
            .is_some_and(|k| k == "List" || k.ends_with("List") && root.get("items").is_some());
        if is_list && root.get("items").is_some_and(Node::is_seq) {
            let Data::Map(entries) = root.data else {
                continue;
            };
            let items = entries
                .into_iter()
                .find(|e| e.key == "items")
                .map(|e| e.value);
            let Some(Node {
                data: Data::Seq(items),
                ..
            }) = items
            else {
                continue;
            };
            for (i, item) in items.into_iter().enumerate() {
                if item
                    .get("kind")
                    .and_then(Node::as_text)
                    .is_some_and(|k| k.ends_with("List"))
                    && let Some(inner) = item.get("items").filter(|n| n.is_seq())
                {
                    out.notes.push(Note {
                        file,
                        line: Some(item.span.start.line),
                        message: format!(
                            "skipped: a List inside a List (items[{i}]); its {} items are \
                             not checked: move them into the outer list",
                            inner.items().len()
                        ),
                    });
                    continue;
                }
                let src = SourceRef {
                    file: Some(file),
                    doc: doc.index,
                    item: Some(i),
                };
                add(&mut out, item, src, default_namespace);
            }
            continue;
        }
        let _ = line;
        add(
            &mut out,
            root,
            SourceRef {
                file: Some(file),
                doc: doc.index,
                item: None,
            },
            default_namespace,
        );
    }
    out
}

/// Applies the scope that CustomResourceDefinitions in the input declare: objects of a
/// kind whose CRD says `scope: Cluster` have no namespace.
pub fn apply_crd_scopes(objects: &mut [Object]) {
    let cluster: Vec<(String, String)> = objects
        .iter()
        .filter(|o| o.kind == "CustomResourceDefinition" && o.group() == "apiextensions.k8s.io")
        .filter(|o| o.root.at(&["spec", "scope"]).and_then(Node::as_text) == Some("Cluster"))
        .filter_map(|o| {
            let group = o.root.at(&["spec", "group"])?.as_text()?.to_string();
            let kind = o
                .root
                .at(&["spec", "names", "kind"])?
                .as_text()?
                .to_string();
            Some((group, kind))
        })
        .collect();
    if cluster.is_empty() {
        return;
    }
    for o in objects.iter_mut() {
        if o.namespace.is_some() && cluster.iter().any(|(g, k)| *k == o.kind && g == o.group()) {
            o.namespace = None;
        }
    }
}

fn add(out: &mut Loaded, node: Node, src: SourceRef, default_namespace: &str) {
    let line = node.span.start.line;
    let file = src.file.unwrap_or(0);
    if !node.is_map() {
        out.notes.push(Note {
            file,
            line: Some(line),
            message: "skipped: the document is not a mapping".into(),
        });
        return;
    }
    match Object::from_node(node, src, default_namespace, is_cluster_scoped) {
        Some(o) => out.objects.push(o),
        None => out.notes.push(Note {
            file,
            line: Some(line),
            message: "skipped: no apiVersion/kind".into(),
        }),
    }
}

#[cfg(test)]
mod json_list_tests {
    use super::*;

    /// The items of a List (as the whole-document parse reads them).
    fn items(s: &Stream) -> Vec<Node> {
        let root = s.documents[0].root.as_ref().unwrap();
        root.get("items").unwrap().items().to_vec()
    }

    #[test]
    fn a_json_list_is_read_item_by_item_with_the_same_trees_and_positions() {
        // as `kubectl get -o json` indents it, and as `plimsoll snapshot` writes it
        let pretty = "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\n            \"apiVersion\": \"v1\",\n            \"kind\": \"ConfigMap\",\n            \"metadata\": {\"name\": \"a\", \"annotations\": {\"x\": \"{[\\\"]}\"}},\n            \"data\": {\"k\": \"v\", \"k\": \"w\"}\n        },\n        {\n            \"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\",\n            \"metadata\": {\"name\": \"é-b\"}, \"spec\": {\"replicas\": 3}\n        }\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\"resourceVersion\": \"\"}\n}\n";
        let compact = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{},\"items\":[\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}},\n{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"}}\n]}\n";
        for text in [pretty, compact] {
            let fast = parse_text_with(text, Limits::default(), 1);
            let whole = parse_text_with(text, Limits::default(), usize::MAX);
            assert!(json_list_items(text).is_some());
            assert_eq!(items(&fast), items(&whole));
            assert_eq!(fast.documents[0].duplicates, whole.documents[0].duplicates);
        }
        // the duplicate key of the first item is found with its position
        let fast = parse_text_with(pretty, Limits::default(), 1);
        assert_eq!(fast.documents[0].duplicates.len(), 1);
    }

    #[test]
    fn anything_else_is_parsed_whole() {
        for text in [
            "{\"kind\": \"ConfigMap\", \"items\": [{}]}",
            "{\"kind\": \"List\", \"items\": [1, 2]}",
            "{\"kind\": \"List\", \"items\": [{\"a\": 1}]} trailing",
            "{\"kind\": \"List\", \"items\": [{\"a\": \"unterminated}]}",
            "kind: List\nitems: [{a: 1}]\n",
            "[{\"kind\": \"List\"}]",
        ] {
            assert!(json_list_items(text).is_none(), "{text}");
        }
        // the size limit holds for each item: a List larger than it is read, an item
        // larger than it is refused with the list
        let list = "{\"kind\": \"List\", \"items\": [{\"a\": 1}, {\"b\": 2}]}";
        let small = Limits {
            max_document_bytes: 12,
            ..Limits::default()
        };
        assert!(parse_text_with(list, small, 1).errors.is_empty());
        let tiny = Limits {
            max_document_bytes: 4,
            ..Limits::default()
        };
        assert!(!parse_text_with(list, tiny, 1).errors.is_empty());
        // an item that does not parse: the whole text is parsed, and the error reported
        let bad = "{\"kind\": \"List\", \"items\": [{\"a\": 1}, {\"b\": [1,}]}";
        let s = parse_text_with(bad, Limits::default(), 1);
        assert!(!s.errors.is_empty());
    }
}
