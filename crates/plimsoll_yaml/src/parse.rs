//! Event stream (saphyr-parser) to span-carrying trees, with limits and recovery.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as SSpan};

use compact_str::CompactString;

use crate::{Data, Entry, Node, Pos, Scalar, Span, Style, Tag};

/// Bounds that keep hostile input from exhausting the stack or memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of collections accepted in a document. Flow collections (`[ ]`,
    /// `{ }`) nest at most 255 levels whatever this says: the parser's own bound.
    pub max_depth: usize,
    /// Most nodes that alias expansion may add to one document (a "billion laughs"
    /// document is stopped here).
    pub max_alias_nodes: usize,
    /// Most bytes (scalars and keys) that alias expansion may add to one document: one
    /// large scalar aliased many times is stopped here.
    pub max_alias_bytes: usize,
    /// Most nodes that anchors may hold in one document. An anchored node is kept for
    /// the aliases that may follow, so nested anchors around a large collection would
    /// each keep a copy of it.
    pub max_anchored_nodes: usize,
    /// Most documents read from one stream; the documents after them are not read
    /// (see [`plan`]).
    pub max_documents: usize,
    /// Largest document read, in bytes of source text; a larger one is not read, the
    /// documents around it are (see [`plan`]).
    pub max_document_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_alias_nodes: 100_000,
            max_alias_bytes: 32 << 20,
            max_anchored_nodes: 1_000_000,
            max_documents: 100_000,
            // far above what the API server takes for one object (a few MiB), and low
            // enough that the densest document stays within 1 GiB once parsed
            max_document_bytes: 16 << 20,
        }
    }
}

/// Which limit stopped a document (see [`ParseError::limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_alias_nodes`].
    AliasNodes,
    /// [`Limits::max_alias_bytes`].
    AliasBytes,
    /// [`Limits::max_anchored_nodes`].
    AnchoredNodes,
    /// [`Limits::max_documents`].
    Documents,
    /// [`Limits::max_document_bytes`].
    DocumentSize,
}

/// A byte count as people read it: `64 MiB`, `1.5 KiB`, `900 bytes`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(&str, u32); 3] = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in UNITS {
        if bytes >= 1 << shift {
            let whole = bytes >> shift;
            let tenths = ((bytes & ((1 << shift) - 1)) * 10) >> shift;
            return if tenths == 0 {
                format!("{whole} {unit}")
            } else {
                format!("{whole}.{tenths} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// One document of a stream. `root` is `None` for an empty document.
#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based position in the stream.
    pub index: usize,
    pub root: Option<Node>,
    /// Line of the document's first token (or of its `---`).
    pub start_line: u32,
    /// Keys given twice in one mapping; the later value is the one kept, as in Kubernetes.
    pub duplicates: Vec<DuplicateKey>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Span,
    pub second: Span,
}

/// A document that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub message: String,
    /// The limit that stopped the document, when one did (a front-end names the flag
    /// that raises it).
    pub limit: Option<Limit>,
}

/// What a stream yielded: the documents that could be read and the errors of the others.
#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Document>,
    pub errors: Vec<ParseError>,
    /// The document index after the last one of the stream (documents with errors
    /// included).
    pub next_index: usize,
}

/// Parses a YAML (or JSON) stream. A document with an error is reported and the
/// parse resumes at the next line that starts with `---`. Documents beyond
/// [`Limits::max_documents`] and larger than [`Limits::max_document_bytes`] are errors,
/// not read (see [`plan`]).
pub fn parse_stream(src: &str, limits: Limits) -> Stream {
    merge_streams(
        plan(src, &limits, usize::MAX)
            .iter()
            .map(|piece| parse_piece(src, piece, limits)),
    )
}

/// A stretch of a stream to parse, or a document left out for a limit.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// The bytes `start..end`, beginning `line` lines (0-based) into the stream; they
    /// hold whole documents.
    Parse { start: usize, end: usize, line: u32 },
    /// A document that is not read (it counts as one document), or the documents from
    /// the error's line on when there are too many.
    Skip(ParseError),
}

/// Parses one piece of [`plan`] (pieces are independent: they may be parsed in
/// parallel and then merged in order with [`merge_streams`]).
pub fn parse_piece(src: &str, piece: &Piece, limits: Limits) -> Stream {
    match piece {
        Piece::Parse { start, end, line } => parse_stream_at(&src[*start..*end], limits, *line),
        Piece::Skip(e) => Stream {
            documents: Vec::new(),
            errors: vec![e.clone()],
            next_index: 1,
        },
    }
}

/// The streams of consecutive pieces as one stream, documents renumbered.
pub fn merge_streams(streams: impl IntoIterator<Item = Stream>) -> Stream {
    let mut out = Stream::default();
    for mut s in streams {
        let base = out.next_index;
        for d in &mut s.documents {
            d.index += base;
        }
        out.next_index = base + s.next_index;
        out.documents.append(&mut s.documents);
        out.errors.append(&mut s.errors);
    }
    out
}

/// Whether a line is a document end marker: `...` at column 0 followed by YAML white
/// space, a line break or the end.
fn is_document_end_marker(line: &str) -> bool {
    line.starts_with("...")
        && matches!(
            line.as_bytes().get(3),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        )
}

/// Lays a stream out in pieces to parse, in one pass over its lines and before any
/// parsing: documents larger than [`Limits::max_document_bytes`] become
/// [`Piece::Skip`], the documents after the first [`Limits::max_documents`] one
/// [`Piece::Skip`] at the first of them, and the rest is cut into pieces of about
/// `part_bytes` (at document boundaries) that can be parsed in parallel.
///
/// A document starts at a `---` line, or at the first line of content when no document
/// is open (at the start of the stream and after a `...` line): YAML never allows these
/// markers inside a document, so this needs no parsing. Directive lines (`%YAML`,
/// `%TAG`) and the comments among them belong to the document after them.
pub fn plan(src: &str, limits: &Limits, part_bytes: usize) -> Vec<Piece> {
    struct State<'l> {
        limits: &'l Limits,
        part_bytes: usize,
        pieces: Vec<Piece>,
        /// Where the piece being built starts (byte, 0-based line).
        part: (usize, u32),
        /// Where the open document starts.
        doc: Option<(usize, u32)>,
    }
    impl State<'_> {
        /// Ends the current document at `at` (the start of the next, or the end).
        fn end_doc(&mut self, at: (usize, u32)) {
            let Some(start) = self.doc.take() else {
                return;
            };
            let size = at.0 - start.0;
            if size > self.limits.max_document_bytes {
                self.close_part(start);
                self.pieces.push(Piece::Skip(ParseError {
                    line: start.1 + 1,
                    col: 1,
                    message: format!(
                        "document of {}, larger than the {} limit; not read",
                        format_size(size as u64),
                        format_size(self.limits.max_document_bytes as u64)
                    ),
                    limit: Some(Limit::DocumentSize),
                }));
                self.part = at;
            } else if at.0 - self.part.0 >= self.part_bytes {
                self.close_part(at);
                self.part = at;
            }
        }

        fn close_part(&mut self, end: (usize, u32)) {
            if end.0 > self.part.0 {
                self.pieces.push(Piece::Parse {
                    start: self.part.0,
                    end: end.0,
                    line: self.part.1,
                });
            }
        }
    }

    let mut st = State {
        limits,
        part_bytes,
        pieces: Vec::new(),
        part: (0, 0),
        doc: None,
    };
    let mut documents = 0usize;
    let mut open = false;
    // the run of directive, comment and blank lines that may precede a `---`
    let mut directives: Option<(usize, u32)> = None;
    let mut pos = 0usize;
    let mut line = 0u32;
    // lines as the parser counts them (a lone CR is a line break too)
    for l in lines_inclusive(src) {
        let here = (pos, line);
        pos += l.len();
        line += 1;
        // a byte order mark may open any document of a stream (YAML 1.2, 5.2)
        let l = l.strip_prefix('\u{FEFF}').unwrap_or(l);
        let trimmed = l.trim_start_matches([' ', '\t', '\r', '\n']);
        let blank_or_comment = trimmed.is_empty() || trimmed.starts_with('#');
        let marker = is_document_marker(l);
        let end_marker = is_document_end_marker(l);
        // a `%` line is a directive only where one may stand, outside a document; inside
        // one it is content (the next line of a plain scalar)
        let directive = !open && l.starts_with('%');
        if marker || (!open && !blank_or_comment && !directive && !end_marker) {
            let at = if marker {
                directives.take().unwrap_or(here)
            } else {
                here
            };
            st.end_doc(at);
            documents += 1;
            if documents > limits.max_documents {
                st.close_part(at);
                st.pieces.push(Piece::Skip(ParseError {
                    line: at.1 + 1,
                    col: 1,
                    message: format!(
                        "more than {} documents in this file; this one and those after it are not read",
                        limits.max_documents
                    ),
                    limit: Some(Limit::Documents),
                }));
                return st.pieces;
            }
            st.doc = Some(at);
            open = true;
            directives = None;
        } else if end_marker {
            open = false;
            directives = None;
        } else if directive {
            directives.get_or_insert(here);
        } else if !blank_or_comment {
            directives = None;
        }
    }
    st.end_doc((pos, line));
    st.close_part((pos, line));
    if st.pieces.is_empty() {
        st.pieces.push(Piece::Parse {
            start: 0,
            end: src.len(),
            line: 0,
        });
    }
    st.pieces
}

/// Parses a part of a larger stream that begins `line_offset` lines into it (see
/// [`plan`]). Document indices start at 0; [`Stream::next_index`] tells how
/// many indices the part used, so that the caller can renumber.
pub fn parse_stream_at(src: &str, limits: Limits, line_offset: u32) -> Stream {
    let mut out = Stream::default();
    let line_starts = line_starts(src);
    let mut start_line: usize = 0; // 0-based line where this parse attempt starts
    let mut doc_index = 0usize;
    loop {
        let offset = line_starts[start_line];
        let sub = &src[offset..];
        let mut b = Builder::new(limits, start_line as u32 + line_offset, &mut doc_index);
        match b.run(sub, &mut out.documents) {
            Ok(()) => break,
            Err(e) => {
                let err_line = (e.line - line_offset) as usize; // 1-based within this part
                out.errors.push(e);
                // resume at the next document marker after the error line
                let from = err_line.saturating_sub(1).max(start_line + 1);
                let next = (from..line_starts.len() - 1)
                    .find(|&l| is_document_marker(&src[line_starts[l]..line_starts[l + 1]]));
                match next {
                    Some(l) if l > start_line => {
                        start_line = l;
                        doc_index += 1;
                    }
                    _ => {
                        doc_index += 1;
                        break;
                    }
                }
            }
        }
    }
    out.next_index = doc_index;
    out
}

/// Where [`plan`] cuts a stream into parts of about `target` bytes (at document
/// boundaries), whatever the limits: (byte offset, line offset) of each part.
pub fn split_documents(src: &str, target: usize) -> Vec<(usize, u32)> {
    let limits = Limits {
        max_documents: usize::MAX,
        max_document_bytes: usize::MAX,
        ..Limits::default()
    };
    let parts: Vec<(usize, u32)> = plan(src, &limits, target)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Parse { start, line, .. } => Some((start, line)),
            Piece::Skip(_) => None,
        })
        .collect();
    if parts.is_empty() {
        vec![(0, 0)]
    } else {
        parts
    }
}

/// Whether a line starts with a document marker: `---` at column 0 followed by YAML
/// white space (a space or a tab), a line break or the end. Other characters that
/// Unicode counts as white space (a vertical tab, a form feed) do not make one.
pub fn is_document_marker(line: &str) -> bool {
    line.starts_with("---")
        && matches!(
            line.as_bytes().get(3),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        )
}

/// Where a line break ends at byte `i` of `src` (one past it), if one ends there: `\n`,
/// `\r\n`, or a `\r` alone, which YAML also reads as a line break (so the parser counts
/// lines that way).
fn break_ends_at(src: &[u8], i: usize) -> bool {
    match src[i] {
        b'\n' => true,
        b'\r' => src.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// The lines of `src` with their line breaks, as the parser counts lines.
pub fn lines_inclusive(src: &str) -> impl Iterator<Item = &str> {
    let bytes = src.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        // the next CR or LF, found a word at a time
        while let Some(at) = memchr::memchr2(b'\n', b'\r', &bytes[i..]) {
            i += at + 1;
            if break_ends_at(bytes, i - 1) {
                let line = &src[start..i];
                start = i;
                return Some(line);
            }
        }
        i = bytes.len();
        (start < bytes.len()).then(|| {
            let line = &src[start..];
            start = bytes.len();
            line
        })
    })
}

/// Byte offsets of every line start (as the parser counts lines), plus the end of the
/// text.
/// The first line (1-based, from `from`) that is neither blank, a comment, a directive
/// nor a document end marker: where an implicit document begins.
fn first_content_line(src: &str, from: u32) -> Option<u32> {
    (1u32..)
        .zip(lines_inclusive(src))
        .skip(from.saturating_sub(1) as usize)
        .find(|(_, l)| {
            let l = l.strip_prefix('\u{FEFF}').unwrap_or(l);
            let t = l.trim_start_matches([' ', '\t']);
            let t = t.trim_end_matches(['\r', '\n']);
            !(t.is_empty() || t.starts_with('#') || l.starts_with('%') || is_document_end_marker(l))
        })
        .map(|(n, _)| n)
}

fn line_starts(src: &str) -> Vec<usize> {
    let mut v = vec![0];
    if src.contains('\r') {
        let bytes = src.as_bytes();
        v.extend(
            (0..bytes.len())
                .filter(|&i| break_ends_at(bytes, i))
                .map(|i| i + 1),
        );
    } else {
        v.extend(src.match_indices('\n').map(|(i, _)| i + 1));
    }
    if *v.last().unwrap() != src.len() {
        v.push(src.len());
    }
    v
}

enum Frame {
    Seq {
        start: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(CompactString, Span, bool)>,
        /// key -> entry position, built once a mapping grows large
        lookup: Option<HashMap<CompactString, usize>>,
        /// entries that came from a `<<` merge and may be overridden silently
        merged: Vec<bool>,
    },
}

struct Builder<'a> {
    limits: Limits,
    line_offset: u32,
    doc_index: &'a mut usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    alias_bytes: usize,
    anchored_nodes: usize,
    duplicates: Vec<DuplicateKey>,
    root: Option<Node>,
    doc_start: u32,
    in_doc: bool,
    /// Where the last event's span ended.
    last_end: Pos,
}

impl<'a> Builder<'a> {
    fn new(limits: Limits, line_offset: u32, doc_index: &'a mut usize) -> Self {
        Builder {
            limits,
            line_offset,
            doc_index,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            alias_bytes: 0,
            anchored_nodes: 0,
            duplicates: Vec::new(),
            root: None,
            doc_start: 0,
            in_doc: false,
            last_end: Pos { line: 1, col: 1 },
        }
    }

    fn pos(&self, m: &saphyr_parser::Marker) -> Pos {
        Pos {
            line: m.line() as u32 + self.line_offset,
            col: m.col() as u32 + 1,
        }
    }

    fn span(&self, s: &SSpan) -> Span {
        Span {
            start: self.pos(&s.start),
            end: self.pos(&s.end),
        }
    }

    fn err(&self, at: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            line: at.line,
            col: at.col,
            message: message.into(),
            limit: None,
        }
    }

    fn limit_err(&self, at: Pos, limit: Limit, message: String) -> ParseError {
        ParseError {
            limit: Some(limit),
            ..self.err(at, message)
        }
    }

    fn run(&mut self, src: &str, docs: &mut Vec<Document>) -> Result<(), ParseError> {
        let parser = Parser::new_from_str(src);
        for ev in parser {
            let (ev, sp) = ev.map_err(|e| {
                let m = e.marker();
                self.err(self.pos(m), describe_scan_error(e.info()))
            })?;
            let span = self.span(&sp);
            // a block scalar without content (nothing, or only line breaks kept by `+`)
            let is_empty_block = matches!(&ev, Event::Scalar(t, ScalarStyle::Literal | ScalarStyle::Folded, ..) if t.bytes().all(|b| b == b'\n'));
            match ev {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(explicit) => {
                    self.in_doc = true;
                    self.doc_start = if explicit {
                        span.start.line
                    } else {
                        // an implicit document starts at its first line of content; the
                        // parser places the event at its first token, which for an
                        // empty block scalar is where the scan stopped, past it
                        first_content_line(src, self.last_end.line - self.line_offset)
                            .map_or(span.start.line, |l| l + self.line_offset)
                    };
                    self.anchors.clear();
                    self.alias_nodes = 0;
                    self.alias_bytes = 0;
                    self.anchored_nodes = 0;
                }
                Event::DocumentEnd => {
                    if self.in_doc {
                        // an empty document (only comments) arrives as an empty plain scalar
                        let root = self.root.take().filter(|r| {
                            !matches!(&r.data, Data::Scalar(s) if s.text.is_empty() && s.style == Style::Plain && s.tag.is_none())
                        });
                        docs.push(Document {
                            index: *self.doc_index,
                            root,
                            start_line: self.doc_start,
                            duplicates: std::mem::take(&mut self.duplicates),
                        });
                        *self.doc_index += 1;
                        self.in_doc = false;
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let tag = tag.map(|t| {
                        if t.is_yaml_core_schema() {
                            Tag::from_core_suffix(&t.suffix)
                        } else {
                            Tag::Other
                        }
                    });
                    // an empty block scalar (`key: |` with no content, or only line
                    // breaks that `|+` keeps) is placed by the parser where its scan
                    // stopped, which is the next token, even
                    // the next document's `---`: it is placed where the token before
                    // it ended instead, which does not depend on what follows
                    let span = if is_empty_block {
                        Span {
                            start: self.last_end,
                            end: self.last_end,
                        }
                    } else {
                        span
                    };
                    // the scanner's string grows as it reads: the tree keeps only the
                    // bytes of the text (a long scalar's spare capacity summed to more
                    // than the input on rendered charts)
                    let mut text = CompactString::from(text);
                    text.shrink_to_fit();
                    let node = Node {
                        span,
                        data: Data::Scalar(Scalar {
                            text,
                            style: match style {
                                ScalarStyle::Plain => Style::Plain,
                                ScalarStyle::SingleQuoted => Style::SingleQuoted,
                                ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                                ScalarStyle::Literal => Style::Literal,
                                ScalarStyle::Folded => Style::Folded,
                            },
                            tag,
                        }),
                    };
                    if anchor > 0 {
                        self.keep_anchor(anchor, &node, span.start)?;
                    }
                    self.push_value(node)?;
                }
                Event::Alias(id) => {
                    let Some(target) = self.anchors.get(&id) else {
                        let open = self.stack.iter().any(|f| match f {
                            Frame::Seq { anchor, .. } | Frame::Map { anchor, .. } => *anchor == id,
                        });
                        return Err(self.err(
                            span.start,
                            if open {
                                "an alias refers to the collection that contains it (a recursive alias); such a node has no end and cannot be read"
                            } else {
                                "unknown alias"
                            },
                        ));
                    };
                    let (size, bytes) = target.weight();
                    self.alias_nodes += size;
                    self.alias_bytes += bytes;
                    if self.alias_bytes > self.limits.max_alias_bytes {
                        return Err(self.limit_err(
                            span.start,
                            Limit::AliasBytes,
                            format!(
                                "aliases expand to more than {} of text in this document (a YAML bomb?); refusing to expand further",
                                format_size(self.limits.max_alias_bytes as u64)
                            ),
                        ));
                    }
                    if self.alias_nodes > self.limits.max_alias_nodes {
                        return Err(self.limit_err(
                            span.start,
                            Limit::AliasNodes,
                            format!(
                                "aliases expand to more than {} nodes in this document (a YAML bomb?); refusing to expand further",
                                self.limits.max_alias_nodes
                            ),
                        ));
                    }
                    let mut node = target.clone();
                    node.span = span;
                    self.push_value(node)?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.check_depth(span.start)?;
                    self.stack.push(Frame::Seq {
                        start: span.start,
                        anchor,
                        items: Vec::new(),
                    });
                }
                Event::MappingStart(anchor, _) => {
                    self.check_depth(span.start)?;
                    self.stack.push(Frame::Map {
                        start: span.start,
                        anchor,
                        entries: Vec::new(),
                        key: None,
                        lookup: None,
                        merged: Vec::new(),
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let frame = self.stack.pop().expect("balanced events");
                    let (start, anchor, data) = match frame {
                        // exact-size collections: the trees of a large input are most of
                        // the memory a run uses
                        Frame::Seq {
                            start,
                            anchor,
                            mut items,
                        } => {
                            items.shrink_to_fit();
                            (start, anchor, Data::Seq(items))
                        }
                        Frame::Map {
                            start,
                            anchor,
                            mut entries,
                            ..
                        } => {
                            entries.shrink_to_fit();
                            (start, anchor, Data::Map(entries))
                        }
                    };
                    let node = Node {
                        span: Span {
                            start,
                            end: span.end,
                        },
                        data,
                    };
                    if anchor > 0 {
                        self.keep_anchor(anchor, &node, start)?;
                    }
                    self.push_value(node)?;
                }
            }
            if !is_empty_block {
                self.last_end = span.end;
            }
        }
        Ok(())
    }

    /// Keeps an anchored node for the aliases that may follow, within the limit on
    /// what anchors may hold.
    fn keep_anchor(&mut self, anchor: usize, node: &Node, at: Pos) -> Result<(), ParseError> {
        self.anchored_nodes += node.count();
        if self.anchored_nodes > self.limits.max_anchored_nodes {
            return Err(self.limit_err(
                at,
                Limit::AnchoredNodes,
                format!(
                    "anchors hold more than {} nodes in this document (nested anchors around a large collection?); refusing to keep more",
                    self.limits.max_anchored_nodes
                ),
            ));
        }
        self.anchors.insert(anchor, node.clone());
        Ok(())
    }

    fn check_depth(&self, at: Pos) -> Result<(), ParseError> {
        if self.stack.len() >= self.limits.max_depth {
            Err(self.limit_err(
                at,
                Limit::Depth,
                format!(
                    "nesting too deep (more than {} levels); no Kubernetes object is this deep",
                    self.limits.max_depth
                ),
            ))
        } else {
            Ok(())
        }
    }

    fn push_value(&mut self, node: Node) -> Result<(), ParseError> {
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                key,
                lookup,
                merged,
                ..
            } => match key.take() {
                None => {
                    let Data::Scalar(s) = node.data else {
                        return Err(ParseError {
                            line: node.span.start.line,
                            col: node.span.start.col,
                            message: "a mapping key must be a scalar (Kubernetes cannot decode complex keys)".into(),
                            limit: None,
                        });
                    };
                    let is_merge = s.text == "<<" && s.style == Style::Plain;
                    *key = Some((s.text, node.span, is_merge));
                }
                Some((k, key_span, true)) => {
                    // `<<: *base` or `<<: [*a, *b]`: merge keys not already present
                    let sources: Vec<Node> = match node.data {
                        Data::Map(_) => vec![node],
                        Data::Seq(items) => items,
                        Data::Scalar(_) => {
                            return Err(ParseError {
                                line: key_span.start.line,
                                col: key_span.start.col,
                                message: format!(
                                    "merge key `{k}` needs a mapping or a list of mappings"
                                ),
                                limit: None,
                            });
                        }
                    };
                    for src in sources {
                        let Data::Map(src_entries) = src.data else {
                            return Err(ParseError {
                                line: src.span.start.line,
                                col: src.span.start.col,
                                message: "merge key `<<` needs mappings".into(),
                                limit: None,
                            });
                        };
                        for e in src_entries {
                            if find(entries, lookup, &e.key).is_none() {
                                insert(entries, lookup, e);
                                merged.push(true);
                            }
                        }
                    }
                }
                Some((k, key_span, false)) => {
                    if let Some(i) = find(entries, lookup, &k) {
                        if !merged[i] {
                            self.duplicates.push(DuplicateKey {
                                key: k.to_string(),
                                first: entries[i].key_span,
                                second: key_span,
                            });
                        }
                        entries[i] = Entry {
                            key: k,
                            key_span,
                            value: node,
                        };
                        merged[i] = false;
                    } else {
                        insert(
                            entries,
                            lookup,
                            Entry {
                                key: k,
                                key_span,
                                value: node,
                            },
                        );
                        merged.push(false);
                    }
                }
            },
        }
        Ok(())
    }
}

const LOOKUP_THRESHOLD: usize = 24;

fn find(
    entries: &[Entry],
    lookup: &Option<HashMap<CompactString, usize>>,
    key: &str,
) -> Option<usize> {
    match lookup {
        Some(m) => m.get(key).copied(),
        None => entries.iter().position(|e| e.key == key),
    }
}

fn insert(entries: &mut Vec<Entry>, lookup: &mut Option<HashMap<CompactString, usize>>, e: Entry) {
    if let Some(m) = lookup {
        m.insert(e.key.clone(), entries.len());
    }
    entries.push(e);
    if lookup.is_none() && entries.len() >= LOOKUP_THRESHOLD {
        *lookup = Some(
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect(),
        );
    }
}

/// Scanner messages, with a hint where a common mistake is the likely cause.
fn describe_scan_error(info: &str) -> String {
    if info.contains("recursion limit") {
        "nesting too deep (flow collections, [ ] and { }, nest at most 255 levels, whatever the depth limit); no Kubernetes object is this deep".to_string()
    } else if info.contains("tab") {
        format!("{info} (YAML does not allow tabs for indentation; use spaces)")
    } else {
        info.to_string()
    }
}
