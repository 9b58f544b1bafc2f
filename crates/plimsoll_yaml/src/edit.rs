//! Fixes as text edits on the original bytes.
//!
//! A fix is a list of JSON Patch operations (RFC 6902) on one object. [`Editor`] turns
//! each operation into edits of byte ranges of the source text the object was parsed
//! from, so that everything outside them (comments, key order, quoting, indentation,
//! flow style, anchors, document separators, CRLF line endings) stays as it was, byte
//! for byte. Nothing is ever re-serialised: a new key is written at the indentation of
//! its siblings, in block or flow style as they are, and a value in the style of the
//! file (JSON in a JSON document).
//!
//! Operations: `add` (a mapping key, a sequence item or `-` for the end; missing parent
//! mappings are created, an extension of RFC 6902 that fixes need), `replace`,
//! `remove`, `move` (a renamed key in place when it stays in its mapping), and
//! `add-document` (`{"op": "add-document", "value": {...}}`, no `path`, another
//! extension): a whole object appended to the file as a new document, `---` then the
//! object in block style, for fixes that add an object next to the one they are about
//! (a PodDisruptionBudget for a workload). It is an error in a JSON document. Several
//! appended documents in one pass follow one another in the order of their fixes.

use serde_json::Value;

use crate::{Data, Node, Pointer, Pos, Resolved, Segment, Style, resolve_plain};

/// Replace the bytes `start..end` of the source with `text`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// A whole document appended at the end of the text (`add-document`): several
    /// such edits at the same place do not collide, they follow one another in the
    /// order given, after any other edit there.
    pub append: bool,
}

/// Applies edits that do not overlap (sorted or not); `None` when two overlap or two
/// insert at the same place. Appended documents ([`TextEdit::append`]) are the
/// exception: they are written one after the other in the order given, each on a
/// line of its own.
pub fn apply_edits(src: &str, edits: &[TextEdit]) -> Option<String> {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    // stable: appends at the same place keep their order, after the other edits
    sorted.sort_by_key(|e| (e.start, e.end, e.append));
    for w in sorted.windows(2) {
        if w[1].start < w[0].end
            || (w[1].start == w[0].start && w[0].start == w[0].end && !w[1].append)
        {
            return None;
        }
    }
    let newline = if src.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(src.len() + 256);
    let mut at = 0;
    for e in sorted {
        if e.start < at || e.end > src.len() || e.start > e.end {
            return None;
        }
        out.push_str(&src[at..e.start]);
        if e.append && !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&src[at..]);
    Some(out)
}

/// Edits the text of one document (or one object of it) through the parsed tree.
pub struct Editor<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    newline: &'static str,
    indent: usize,
    flush_sequences: bool,
    json: bool,
}

impl<'a> Editor<'a> {
    /// An editor for `src`, the whole text `root` was parsed from (spans are positions
    /// in it). The indentation unit and the sequence style are read from `root`.
    pub fn new(src: &'a str, root: &Node) -> Editor<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let newline = if src.contains("\r\n") { "\r\n" } else { "\n" };
        let mut e = Editor {
            src,
            line_starts,
            newline,
            indent: 2,
            flush_sequences: false,
            json: false,
        };
        e.json = e.is_flow(root);
        if let Some(unit) = e.find_indent(root) {
            e.indent = unit;
        }
        e.flush_sequences = e.find_flush(root).unwrap_or(false);
        e
    }

    /// The byte offset of a position (1-based line, 1-based column in characters).
    pub fn offset(&self, p: Pos) -> usize {
        let line = (p.line.max(1) - 1) as usize;
        let Some(&start) = self.line_starts.get(line) else {
            return self.src.len();
        };
        let rest = &self.src[start..];
        let col = (p.col.max(1) - 1) as usize;
        rest.char_indices()
            .nth(col)
            .map_or(self.src.len(), |(i, _)| start + i)
    }

    /// The edits of the operations, in order; an operation that cannot be placed is an
    /// error (the fix is then not applied at all).
    pub fn edits(&self, root: &Node, ops: &[Value]) -> Result<Vec<TextEdit>, String> {
        let mut out = Vec::new();
        for op in ops {
            out.extend(self.op(root, op)?);
        }
        Ok(out)
    }

    fn op(&self, root: &Node, op: &Value) -> Result<Vec<TextEdit>, String> {
        let kind = op["op"].as_str().ok_or("an operation without `op`")?;
        if kind == "add-document" {
            return Ok(vec![self.add_document(&op["value"])?]);
        }
        let path = Pointer::parse(op["path"].as_str().ok_or("an operation without `path`")?);
        match kind {
            "add" => self.add(root, &path, &op["value"]),
            "replace" => {
                let node = find(root, path.segments()).ok_or("nothing to replace")?;
                Ok(vec![self.replace_node(root, &path, node, &op["value"])?])
            }
            "remove" => self.remove(root, &path),
            "move" => {
                let from = Pointer::parse(op["from"].as_str().ok_or("`move` without `from`")?);
                self.rename(root, &from, &path)
            }
            other => Err(format!("unsupported operation `{other}`")),
        }
    }

    // ------------------------------------------------------------------ reading

    fn at(&self, p: Pos) -> usize {
        self.offset(p)
    }

    fn line_start(&self, off: usize) -> usize {
        self.src[..off].rfind('\n').map_or(0, |i| i + 1)
    }

    /// One past the end of the line holding `off` (after its line break).
    fn line_end(&self, off: usize) -> usize {
        self.src[off..]
            .find('\n')
            .map_or(self.src.len(), |i| off + i + 1)
    }

    fn is_flow(&self, node: &Node) -> bool {
        if !matches!(node.data, Data::Map(_) | Data::Seq(_)) {
            return false;
        }
        matches!(
            self.src[self.at(node.span.start).min(self.src.len())..]
                .chars()
                .next(),
            Some('{' | '[')
        )
    }

    /// Where the written content of a node ends: a scalar's end, a flow collection's
    /// closing bracket, a block collection's last descendant (block collections end
    /// at the next token, after comments and blank lines, so their own end is not
    /// used).
    fn content_end(&self, node: &Node) -> usize {
        match &node.data {
            // a quoted scalar ends at its closing quote: the parser's span may run on
            // over the spaces and the comment after it
            Data::Scalar(s) if matches!(s.style, Style::SingleQuoted | Style::DoubleQuoted) => {
                let start = self.at(node.span.start);
                quoted_end(self.src, start, s.style == Style::DoubleQuoted)
                    .unwrap_or_else(|| self.at(node.span.end))
            }
            // a block scalar (`|`, `>`) ends after its last line break
            Data::Scalar(_) => self.at(node.span.end),
            _ if self.is_flow(node) => {
                let end = self.at(node.span.end);
                let before = self.src[..end].chars().next_back();
                if matches!(before, Some('}' | ']')) {
                    end
                } else {
                    // find the closing bracket after the last child
                    let from = self
                        .last_child_end(node)
                        .unwrap_or(self.at(node.span.start) + 1);
                    self.src[from..]
                        .find(['}', ']'])
                        .map_or(end, |i| from + i + 1)
                }
            }
            _ => self
                .last_child_end(node)
                .unwrap_or_else(|| self.at(node.span.start)),
        }
    }

    fn last_child_end(&self, node: &Node) -> Option<usize> {
        match &node.data {
            Data::Map(entries) => entries.last().map(|e| {
                if e.value.span.start == e.value.span.end && e.value.scalar().is_some() {
                    // `key:` with nothing after it
                    self.at(e.key_span.end).max(self.key_colon_end(e))
                } else {
                    self.content_end(&e.value)
                }
            }),
            Data::Seq(items) => items.last().map(|n| self.content_end(n)),
            Data::Scalar(_) => None,
        }
    }

    /// One past the `:` after a key.
    fn key_colon_end(&self, e: &crate::Entry) -> usize {
        let from = self.at(e.key_span.end);
        self.src[from..].find(':').map_or(from, |i| from + i + 1)
    }

    /// The indentation (in columns) of a block mapping's keys.
    fn map_indent(&self, node: &Node) -> Option<usize> {
        node.entries()
            .first()
            .map(|e| (e.key_span.start.col.max(1) - 1) as usize)
    }

    /// The indentation of a block sequence's dashes.
    fn seq_indent(&self, node: &Node) -> Option<usize> {
        let first = node.items().first()?;
        let at = self.at(first.span.start);
        let ls = self.line_start(at);
        let dash = self.src[ls..at].rfind('-')?;
        Some(self.src[ls..ls + dash].chars().count())
    }

    /// The indentation unit of the document: the step from a block mapping's keys to
    /// those of a block mapping under it.
    fn find_indent(&self, node: &Node) -> Option<usize> {
        if self.is_flow(node) {
            return None;
        }
        let parent = self.map_indent(node)?;
        for e in node.entries() {
            if e.value.is_map()
                && !self.is_flow(&e.value)
                && e.value.span.start.line > e.key_span.start.line
                && let Some(child) = self.map_indent(&e.value)
                && child > parent
            {
                return Some(child - parent);
            }
        }
        node.entries()
            .iter()
            .find_map(|e| self.find_indent(&e.value))
    }

    /// Whether block sequences under a key start at the key's column (`flush`).
    fn find_flush(&self, node: &Node) -> Option<bool> {
        if self.is_flow(node) {
            return None;
        }
        let parent = self.map_indent(node);
        for e in node.entries() {
            if e.value.is_seq()
                && !self.is_flow(&e.value)
                && let (Some(p), Some(d)) = (parent, self.seq_indent(&e.value))
            {
                return Some(d == p);
            }
        }
        for e in node.entries() {
            if let Some(f) = self.find_flush(&e.value) {
                return Some(f);
            }
            for item in e.value.items() {
                if let Some(f) = self.find_flush(item) {
                    return Some(f);
                }
            }
        }
        None
    }

    // ------------------------------------------------------------------ writing

    fn scalar(&self, v: &Value) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => {
                let plain_ok = !self.json
                    && !s.is_empty()
                    && resolve_plain(s) == Resolved::Str
                    && !s.starts_with(|c: char| {
                        c.is_whitespace() || "-?:,[]{}#&*!|>'\"%@`".contains(c)
                    })
                    && !s.ends_with(char::is_whitespace)
                    && !s.contains(": ")
                    && !s.contains(" #")
                    && !s.contains(['\n', '\r', '\t'])
                    && !s.ends_with(':');
                if plain_ok {
                    s.clone()
                } else {
                    serde_json::to_string(s).expect("a string serializes")
                }
            }
            _ => self.flow(v),
        }
    }

    fn key(&self, k: &str) -> String {
        self.scalar(&Value::String(k.to_string()))
    }

    /// A value in flow style (JSON in a JSON document).
    fn flow(&self, v: &Value) -> String {
        match v {
            Value::Object(m) => {
                if m.is_empty() {
                    return "{}".into();
                }
                let inner: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}: {}", self.key(k), self.flow(v)))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::Array(a) => {
                let inner: Vec<String> = a.iter().map(|v| self.flow(v)).collect();
                format!("[{}]", inner.join(", "))
            }
            other => self.scalar(other),
        }
    }

    /// `key: value` lines for a block mapping at `indent` columns, each line ended.
    fn block_entry(&self, key: &str, v: &Value, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let nl = self.newline;
        match v {
            Value::Object(m) if !m.is_empty() => {
                let mut s = format!("{pad}{}:{nl}", self.key(key));
                for (k, v) in m {
                    s.push_str(&self.block_entry(k, v, indent + self.indent));
                }
                s
            }
            Value::Array(a) if !a.is_empty() => {
                let mut s = format!("{pad}{}:{nl}", self.key(key));
                let dash = if self.flush_sequences {
                    indent
                } else {
                    indent + self.indent
                };
                for item in a {
                    s.push_str(&self.block_item(item, dash));
                }
                s
            }
            _ => format!("{pad}{}: {}{nl}", self.key(key), self.scalar(v)),
        }
    }

    /// A `- item` of a block sequence whose dashes are at `dash` columns.
    fn block_item(&self, v: &Value, dash: usize) -> String {
        let pad = " ".repeat(dash);
        let nl = self.newline;
        match v {
            Value::Object(m) if !m.is_empty() => {
                let mut lines = String::new();
                for (k, v) in m {
                    lines.push_str(&self.block_entry(k, v, dash + 2));
                }
                // the first key goes after the dash
                format!("{pad}- {}", &lines[dash + 2..])
            }
            Value::Array(a) if !a.is_empty() => format!("{pad}- {}{nl}", self.flow(v)),
            _ => format!("{pad}- {}{nl}", self.scalar(v)),
        }
    }

    // ------------------------------------------------------------------ operations

    /// A new document at the end of the file: `---`, then the object in block style
    /// at the file's indentation, sequence style and line endings. Not in a JSON
    /// document (a JSON file holds one value).
    fn add_document(&self, value: &Value) -> Result<TextEdit, String> {
        if self.json {
            return Err("a document cannot be appended to a JSON file".into());
        }
        let m = match value {
            Value::Object(m) if !m.is_empty() => m,
            _ => return Err("`add-document` needs a non-empty mapping".into()),
        };
        let mut text = format!("---{}", self.newline);
        for (k, v) in m {
            text.push_str(&self.block_entry(k, v, 0));
        }
        Ok(TextEdit {
            start: self.src.len(),
            end: self.src.len(),
            text,
            append: true,
        })
    }

    fn add(&self, root: &Node, path: &Pointer, value: &Value) -> Result<Vec<TextEdit>, String> {
        let segs = path.segments();
        let (last, parent_segs) = segs.split_last().ok_or("cannot add the root")?;
        // the deepest existing ancestor; missing mappings are created with the value
        let mut depth = parent_segs.len();
        while find(root, &parent_segs[..depth]).is_none() {
            depth -= 1;
        }
        let parent = find(root, &parent_segs[..depth]).expect("found above");
        let mut value = value.clone();
        // wrap the value in the missing mappings, innermost first
        let missing: Vec<&Segment> = parent_segs[depth..].iter().collect();
        let (first_key, inner): (&Segment, &[&Segment]) = if missing.is_empty() {
            (last, &[])
        } else {
            (missing[0], &missing[1..])
        };
        if !missing.is_empty() {
            let mut keys: Vec<String> = inner.iter().map(|s| seg_key(s)).collect();
            keys.push(seg_key(last));
            for k in keys.into_iter().rev() {
                let mut m = serde_json::Map::new();
                m.insert(k, value);
                value = Value::Object(m);
            }
        }
        match &parent.data {
            Data::Map(_) => {
                let key = seg_key(first_key);
                if let Some(e) = parent.entry(&key) {
                    if missing.is_empty() {
                        // `add` on an existing key replaces it
                        let mut p = Pointer::root();
                        for s in parent_segs {
                            p = push(&p, s);
                        }
                        return Ok(vec![self.replace_node(
                            root,
                            &p.key(&key),
                            &e.value,
                            &value,
                        )?]);
                    }
                    return Err(format!("`{key}` is not a mapping"));
                }
                Ok(vec![self.insert_entry(parent, &key, &value)?])
            }
            Data::Seq(items) => {
                if !missing.is_empty() {
                    return Err("a missing item of a sequence".into());
                }
                let at = match first_key {
                    Segment::Key(k) if k == "-" => items.len(),
                    Segment::Index(i) if *i <= items.len() => *i,
                    _ => return Err("an index past the end of a sequence".into()),
                };
                Ok(vec![self.insert_item(parent, at, &value)?])
            }
            Data::Scalar(_) if parent.is_null() && !parent_segs.is_empty() => {
                // `key:` with no value (null) becomes a mapping
                let mut m = serde_json::Map::new();
                m.insert(seg_key(first_key), value);
                Ok(vec![self.replace_node(
                    root,
                    &Pointer::root(),
                    parent,
                    &Value::Object(m),
                )?])
            }
            Data::Scalar(_) => Err("the parent is a scalar".into()),
        }
    }

    fn insert_entry(&self, map: &Node, key: &str, value: &Value) -> Result<TextEdit, String> {
        if self.is_flow(map) {
            let close = self.content_end(map) - 1;
            let entry = format!("{}: {}", self.key(key), self.flow(value));
            let text = if map.entries().is_empty() {
                entry
            } else {
                format!(", {entry}")
            };
            let at = if map.entries().is_empty() {
                close
            } else {
                self.last_child_end(map).unwrap_or(close)
            };
            return Ok(TextEdit {
                append: false,
                start: at,
                end: at,
                text,
            });
        }
        let indent = self.map_indent(map).ok_or("an empty block mapping")?;
        let end = self.last_child_end(map).ok_or("an empty block mapping")?;
        let at = self.line_end(end.saturating_sub(1).max(self.line_start(end)));
        let at = if end > 0 && self.src[..end].ends_with('\n') {
            end
        } else {
            at
        };
        let mut text = self.block_entry(key, value, indent);
        if at == self.src.len() && !self.src.ends_with('\n') {
            text.insert_str(0, self.newline);
        }
        Ok(TextEdit {
            append: false,
            start: at,
            end: at,
            text,
        })
    }

    fn insert_item(&self, seq: &Node, at: usize, value: &Value) -> Result<TextEdit, String> {
        let items = seq.items();
        if self.is_flow(seq) {
            let close = self.content_end(seq) - 1;
            if items.is_empty() {
                return Ok(TextEdit {
                    append: false,
                    start: close,
                    end: close,
                    text: self.flow(value),
                });
            }
            if at < items.len() {
                let s = self.at(items[at].span.start);
                return Ok(TextEdit {
                    append: false,
                    start: s,
                    end: s,
                    text: format!("{}, ", self.flow(value)),
                });
            }
            let e = self.content_end(&items[items.len() - 1]);
            return Ok(TextEdit {
                append: false,
                start: e,
                end: e,
                text: format!(", {}", self.flow(value)),
            });
        }
        let dash = self.seq_indent(seq).ok_or("an empty block sequence")?;
        let text = self.block_item(value, dash);
        if at < items.len() {
            let s = self.line_start(self.at(items[at].span.start));
            return Ok(TextEdit {
                append: false,
                start: s,
                end: s,
                text,
            });
        }
        let end = self.content_end(&items[items.len() - 1]);
        let pos = if self.src[..end].ends_with('\n') {
            end
        } else {
            self.line_end(end)
        };
        let mut text = text;
        if pos == self.src.len() && !self.src.ends_with('\n') {
            text.insert_str(0, self.newline);
        }
        Ok(TextEdit {
            append: false,
            start: pos,
            end: pos,
            text,
        })
    }

    fn replace_node(
        &self,
        root: &Node,
        path: &Pointer,
        node: &Node,
        value: &Value,
    ) -> Result<TextEdit, String> {
        let start = self.at(node.span.start);
        let scalar_like = !matches!(value, Value::Object(m) if !m.is_empty())
            && !matches!(value, Value::Array(a) if !a.is_empty());
        if node.scalar().is_some() || self.is_flow(node) || scalar_like {
            let end = self.content_end(node);
            let text = if scalar_like {
                self.scalar(value)
            } else {
                self.flow(value)
            };
            // `key:` with nothing after it: a space before the value
            let text = if node.span.start == node.span.end && !self.src[..start].ends_with(' ') {
                format!(" {text}")
            } else {
                text
            };
            if node.scalar().is_some() || self.is_flow(node) {
                return Ok(TextEdit {
                    append: false,
                    start,
                    end,
                    text,
                });
            }
        }
        // a block collection replaced by a collection: the lines of the value, under
        // its key
        let (parent_path, last) = match path.segments().split_last() {
            Some((l, p)) => (p, l),
            None => return Err("cannot replace the root".into()),
        };
        let parent = find(root, parent_path).ok_or("no parent")?;
        match (&parent.data, last) {
            (Data::Map(_), seg) => {
                let key = seg_key(seg);
                let e = parent.entry(&key).ok_or("no such key")?;
                let indent = (e.key_span.start.col.max(1) - 1) as usize;
                let line = self.line_start(self.at(e.key_span.start));
                let key_start = self.at(e.key_span.start);
                let end = self.line_end(self.content_end(node).saturating_sub(1));
                let lines = self.block_entry(&key, value, indent);
                // keep whatever precedes the key on its line (`- ` of an item)
                Ok(TextEdit {
                    append: false,
                    start: if self.src[line..key_start].trim().is_empty() {
                        line
                    } else {
                        key_start
                    },
                    end,
                    text: if self.src[line..key_start].trim().is_empty() {
                        lines
                    } else {
                        lines[indent..].to_string()
                    },
                })
            }
            _ => Err("replacing a block item of a sequence".into()),
        }
    }

    fn remove(&self, root: &Node, path: &Pointer) -> Result<Vec<TextEdit>, String> {
        let (last, parent_segs) = path
            .segments()
            .split_last()
            .ok_or("cannot remove the root")?;
        let parent = find(root, parent_segs).ok_or("nothing to remove")?;
        match &parent.data {
            Data::Map(entries) => {
                let key = seg_key(last);
                let i = entries
                    .iter()
                    .position(|e| e.key == key)
                    .ok_or("nothing to remove")?;
                let e = &entries[i];
                let key_start = self.at(e.key_span.start);
                let value_end = self.entry_end(e);
                if self.is_flow(parent) {
                    // with the comma after it, or the one before it for the last entry
                    if i + 1 < entries.len() {
                        let next = self.at(entries[i + 1].key_span.start);
                        return Ok(vec![TextEdit {
                            append: false,
                            start: key_start,
                            end: next,
                            text: String::new(),
                        }]);
                    }
                    let start = if i > 0 {
                        self.entry_end(&entries[i - 1])
                    } else {
                        key_start
                    };
                    return Ok(vec![TextEdit {
                        append: false,
                        start,
                        end: value_end,
                        text: String::new(),
                    }]);
                }
                let line = self.line_start(key_start);
                let end = if self.src[..value_end].ends_with('\n') {
                    value_end
                } else {
                    self.line_end(value_end)
                };
                if self.src[line..key_start].trim().is_empty() {
                    if entries.len() == 1 && !parent_segs.is_empty() {
                        // the only key: the mapping becomes `{}` under its own key
                        return self.replace_empty(root, parent_segs);
                    }
                    return Ok(vec![TextEdit {
                        append: false,
                        start: line,
                        end,
                        text: String::new(),
                    }]);
                }
                // the first key of a sequence item (`- key: v`): the next key moves up
                match entries.get(i + 1) {
                    Some(next) => Ok(vec![TextEdit {
                        append: false,
                        start: key_start,
                        end: self.at(next.key_span.start),
                        text: String::new(),
                    }]),
                    None => Ok(vec![TextEdit {
                        append: false,
                        start: key_start,
                        end: end
                            - if self.src[..end].ends_with("\r\n") {
                                2
                            } else if self.src[..end].ends_with('\n') {
                                1
                            } else {
                                0
                            },
                        text: "{}".into(),
                    }]),
                }
            }
            Data::Seq(items) => {
                let i = match last {
                    Segment::Index(i) if *i < items.len() => *i,
                    _ => return Err("no such item".into()),
                };
                let item = &items[i];
                if self.is_flow(parent) {
                    let s = self.at(item.span.start);
                    if i + 1 < items.len() {
                        return Ok(vec![TextEdit {
                            append: false,
                            start: s,
                            end: self.at(items[i + 1].span.start),
                            text: String::new(),
                        }]);
                    }
                    let start = if i > 0 {
                        self.content_end(&items[i - 1])
                    } else {
                        s
                    };
                    return Ok(vec![TextEdit {
                        append: false,
                        start,
                        end: self.content_end(item),
                        text: String::new(),
                    }]);
                }
                let s = self.line_start(self.at(item.span.start));
                let e = self.content_end(item);
                let e = if self.src[..e].ends_with('\n') {
                    e
                } else {
                    self.line_end(e)
                };
                if items.len() == 1 && !parent_segs.is_empty() {
                    return self.replace_empty_seq(root, parent_segs);
                }
                Ok(vec![TextEdit {
                    append: false,
                    start: s,
                    end: e,
                    text: String::new(),
                }])
            }
            Data::Scalar(_) => Err("nothing to remove".into()),
        }
    }

    fn entry_end(&self, e: &crate::Entry) -> usize {
        if e.value.span.start == e.value.span.end && e.value.scalar().is_some() {
            self.key_colon_end(e)
        } else {
            self.content_end(&e.value)
        }
    }

    fn replace_empty(&self, root: &Node, segs: &[Segment]) -> Result<Vec<TextEdit>, String> {
        let mut p = Pointer::root();
        for s in segs {
            p = push(&p, s);
        }
        let node = find(root, segs).ok_or("no such mapping")?;
        self.replace_with_flow(root, &p, node, "{}")
    }

    fn replace_empty_seq(&self, root: &Node, segs: &[Segment]) -> Result<Vec<TextEdit>, String> {
        let mut p = Pointer::root();
        for s in segs {
            p = push(&p, s);
        }
        let node = find(root, segs).ok_or("no such sequence")?;
        self.replace_with_flow(root, &p, node, "[]")
    }

    /// Replaces a block collection (under a key) with a one-line flow value.
    fn replace_with_flow(
        &self,
        root: &Node,
        path: &Pointer,
        node: &Node,
        text: &str,
    ) -> Result<Vec<TextEdit>, String> {
        let (last, parent_segs) = path.segments().split_last().ok_or("the root")?;
        let parent = find(root, parent_segs).ok_or("no parent")?;
        let e = parent.entry(&seg_key(last)).ok_or("not under a key")?;
        let colon = self.key_colon_end(e);
        let end = self.content_end(node);
        let end = if self.src[..end].ends_with('\n') {
            end - if self.src[..end].ends_with("\r\n") {
                2
            } else {
                1
            }
        } else {
            end
        };
        Ok(vec![TextEdit {
            append: false,
            start: colon,
            end,
            text: format!(" {text}"),
        }])
    }

    fn rename(&self, root: &Node, from: &Pointer, to: &Pointer) -> Result<Vec<TextEdit>, String> {
        let (fl, fp) = from.segments().split_last().ok_or("the root")?;
        let (tl, tp) = to.segments().split_last().ok_or("the root")?;
        let parent = find(root, fp).ok_or("nothing to move")?;
        if fp == tp && parent.is_map() && parent.entry(&seg_key(tl)).is_none() {
            let e = parent.entry(&seg_key(fl)).ok_or("nothing to move")?;
            return Ok(vec![TextEdit {
                append: false,
                start: self.at(e.key_span.start),
                end: self.at(e.key_span.end),
                text: self.key(&seg_key(tl)),
            }]);
        }
        let node = find(root, from.segments()).ok_or("nothing to move")?;
        let value = node.to_json();
        let mut edits = self.remove(root, from)?;
        edits.extend(self.add(root, to, &value)?);
        Ok(edits)
    }
}

fn seg_key(s: &Segment) -> String {
    match s {
        Segment::Key(k) => k.to_string(),
        Segment::Index(i) => i.to_string(),
    }
}

fn push(p: &Pointer, s: &Segment) -> Pointer {
    match s {
        Segment::Key(k) => p.key(k),
        Segment::Index(i) => p.index(*i),
    }
}

/// One past the closing quote of the quoted scalar that opens at `start` (`"` with
/// backslash escapes, or `'` where `''` is a quote).
fn quoted_end(src: &str, start: usize, double: bool) -> Option<usize> {
    let quote = if double { b'"' } else { b'\'' };
    let bytes = src.as_bytes();
    if bytes.get(start) != Some(&quote) {
        return None;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if double => i += 2,
            b if b == quote => {
                if !double && bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The node at a pointer's segments; an index into a mapping is read as a key.
pub fn find<'n>(root: &'n Node, segs: &[Segment]) -> Option<&'n Node> {
    segs.iter().try_fold(root, |n, seg| match (&n.data, seg) {
        (Data::Map(_), s) => n.get(&seg_key(s)),
        (Data::Seq(items), Segment::Index(i)) => items.get(*i),
        _ => None,
    })
}
