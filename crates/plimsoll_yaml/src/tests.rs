use super::*;

fn parse(src: &str) -> Stream {
    parse_stream(src, Limits::default())
}

fn root(src: &str) -> Node {
    let s = parse(src);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    s.documents[0].root.clone().unwrap()
}

#[test]
fn resolves_scalars_like_go_yaml_v2() {
    for (text, want) in [
        ("yes", Resolved::Bool(true)),
        ("Off", Resolved::Bool(false)),
        ("y", Resolved::Bool(true)),
        ("true", Resolved::Bool(true)),
        ("0755", Resolved::Int(493)),
        ("0x1F", Resolved::Int(31)),
        ("1_000", Resolved::Int(1000)),
        ("-42", Resolved::Int(-42)),
        ("08", Resolved::Float(8.0)),
        ("1.10", Resolved::Float(1.1)),
        ("1e3", Resolved::Float(1000.0)),
        ("~", Resolved::Null),
        ("", Resolved::Null),
        ("500m", Resolved::Str),
        ("1Gi", Resolved::Str),
        ("nginx:1.25", Resolved::Str),
        ("-", Resolved::Str),
        ("1.2.3", Resolved::Str),
    ] {
        assert_eq!(resolve_plain(text), want, "{text}");
    }
}

#[test]
fn quoted_scalars_are_strings() {
    let n = root("a: 'yes'\nb: \"0755\"\nc: !!str 12\nd: yes\n");
    assert_eq!(n.get("a").unwrap().as_str(), Some("yes"));
    assert_eq!(n.get("b").unwrap().as_str(), Some("0755"));
    assert_eq!(n.get("c").unwrap().as_str(), Some("12"));
    assert_eq!(n.get("d").unwrap().as_bool(), Some(true));
}

#[test]
fn spans_are_one_based_characters() {
    let n = root("kind: Pod\nmetadata:\n  name: café\n  labels: {app: x}\n");
    let name = n.at(&["metadata", "name"]).unwrap();
    assert_eq!(name.span.start, Pos { line: 3, col: 9 });
    assert_eq!(name.span.end, Pos { line: 3, col: 13 });
    let meta = n.entry("metadata").unwrap();
    assert_eq!(meta.key_span.start, Pos { line: 2, col: 1 });
    let app = n.at(&["metadata", "labels", "app"]).unwrap();
    assert_eq!(app.span.start, Pos { line: 4, col: 17 });
}

#[test]
fn multi_document_streams() {
    let s = parse("---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n");
    assert!(s.errors.is_empty());
    assert_eq!(s.documents.len(), 3);
    assert!(s.documents[1].root.is_none());
    assert_eq!(s.documents[2].index, 2);
    assert_eq!(s.documents[2].start_line, 5);
}

#[test]
fn duplicate_keys_keep_the_last_value() {
    let s = parse("a: 1\nb: 2\na: 3\n");
    let d = &s.documents[0];
    assert_eq!(d.root.as_ref().unwrap().get("a").unwrap().as_i64(), Some(3));
    assert_eq!(d.duplicates.len(), 1);
    assert_eq!(d.duplicates[0].first.start.line, 1);
    assert_eq!(d.duplicates[0].second.start.line, 3);
}

#[test]
fn duplicate_keys_in_large_mappings() {
    let mut src: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
    src.push_str("k7: x\n");
    let s = parse(&src);
    assert_eq!(s.documents[0].duplicates.len(), 1);
    assert_eq!(
        s.documents[0]
            .root
            .as_ref()
            .unwrap()
            .get("k7")
            .unwrap()
            .as_str(),
        Some("x")
    );
}

#[test]
fn merge_keys_and_aliases() {
    let n = root("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
    let d = n.get("derived").unwrap();
    assert_eq!(d.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(d.get("y").unwrap().as_i64(), Some(3));
    assert!(d.get("<<").is_none());
}

#[test]
fn billion_laughs_is_refused() {
    let mut src = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        src.push_str(&format!(
            "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    let s = parse(&src);
    assert_eq!(s.errors.len(), 1);
    assert!(s.errors[0].message.contains("YAML bomb"), "{:?}", s.errors);
}

#[test]
fn one_large_scalar_aliased_many_times_is_refused() {
    // few nodes, many bytes: the node count alone lets 8 GB through
    let src = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: s}}\ndata:\n  s: &s {}\n  r: [{}]\n",
        "A".repeat(1 << 20),
        vec!["*s"; 8000].join(",")
    );
    let s = parse(&src);
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    assert!(
        s.errors[0].message.contains("MiB of text"),
        "{:?}",
        s.errors
    );
    assert_eq!(s.errors[0].line, 6);
}

#[test]
fn nested_anchors_around_a_large_collection_are_refused() {
    // no alias at all, but each anchor would keep its own copy of the 200k items
    let (d, n) = (250, 200_000);
    let mut src = String::from("a: ");
    for i in 0..d {
        src.push_str(&format!("&a{i} ["));
    }
    src.push('[');
    src.push_str(&vec!["x"; n].join(","));
    src.push(']');
    src.push_str(&"]".repeat(d));
    src.push('\n');
    let s = parse(&src);
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    assert!(
        s.errors[0].message.contains("anchors hold more than"),
        "{:?}",
        s.errors
    );
    // one anchor around it is fine
    let one = format!("a: &a [{}]\nb: 1\n", vec!["x"; n].join(","));
    assert!(parse(&one).errors.is_empty());
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let src = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let s = parse(&src);
    assert_eq!(s.errors.len(), 1);
    assert!(s.errors[0].message.contains("nesting too deep"));
    let src = "a:\n".to_string()
        + &(1..10_000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect::<String>();
    let s = parse(&src);
    assert_eq!(s.errors.len(), 1);
}

#[test]
fn a_broken_document_does_not_hide_the_next() {
    let s = parse("a: 1\n---\nb: [unclosed\nc: 2\n---\nd: 4\n");
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].line, 4, "{:?}", s.errors);
    let keys: Vec<_> = s
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .map(|r| r.entries()[0].key.clone())
        .collect();
    assert_eq!(keys, ["a", "d"]);
    assert_eq!(s.documents[1].index, 2);
}

#[test]
fn json_documents_parse_with_spans() {
    let n = root("{\n  \"kind\": \"Pod\",\n  \"spec\": {\"replicas\": 3, \"ok\": true}\n}\n");
    assert_eq!(n.get("kind").unwrap().as_str(), Some("Pod"));
    assert_eq!(n.at(&["spec", "replicas"]).unwrap().as_i64(), Some(3));
    assert_eq!(n.at(&["spec", "replicas"]).unwrap().span.start.line, 3);
}

#[test]
fn pointers_round_trip() {
    let p = Pointer::parse("/spec/containers/0/env/a~1b");
    assert_eq!(p.to_string(), "/spec/containers/0/env/a~1b");
    let n = root("spec:\n  containers:\n  - name: a\n");
    assert_eq!(
        n.pointer(&Pointer::parse("/spec/containers/0/name"))
            .unwrap()
            .as_str(),
        Some("a")
    );
}

#[test]
fn a_recursive_alias_is_named_as_such() {
    for src in ["a: &x [1, *x]\n", "a: &m {b: *m}\n", "a: &s [[*s]]\n"] {
        let s = parse(src);
        assert_eq!(s.errors.len(), 1, "{src}");
        assert!(
            s.errors[0].message.contains("recursive alias"),
            "{src}: {:?}",
            s.errors
        );
    }
    let s = parse("a: [*nowhere]\n");
    assert_eq!(s.errors.len(), 1);
    assert!(!s.errors[0].message.contains("recursive"), "{:?}", s.errors);
}

#[test]
fn a_lone_carriage_return_is_a_line_break_for_every_count() {
    // YAML reads a lone CR as a line break; the split into parts and the error
    // recovery count lines the same way as the parser
    let src = "a: 1\r---\rb: 2\n---\nc: [\n---\nd: 4\n";
    let s = parse(src);
    let lines: Vec<u32> = s.documents.iter().map(|d| d.start_line).collect();
    assert_eq!(lines, [1, 2, 6], "{:?}", s.documents);
    assert_eq!(s.documents[2].root.as_ref().unwrap().span.start.line, 7);
    assert_eq!(s.errors.len(), 1);
    let parts = crate::split_documents(src, 4);
    assert_eq!(parts[1], (5, 1), "{parts:?}");
}

#[test]
fn only_yaml_white_space_ends_a_document_marker() {
    for (line, marker) in [
        ("---\n", true),
        ("---", true),
        ("--- a\n", true),
        ("---\ta\n", true),
        ("---\r\n", true),
        ("---\x0ba: 1\n", false),
        ("---\x0ca: 1\n", false),
        ("----\n", false),
        (" ---\n", false),
    ] {
        assert_eq!(crate::parse::is_document_marker(line), marker, "{line:?}");
    }
    let src = format!("a: 1\n---\x0bb: 2\n{}", "c: 3\n".repeat(10));
    assert_eq!(crate::split_documents(&src, 4), [(0, 0)]);
}

#[test]
fn an_empty_block_scalar_is_placed_after_the_token_before_it() {
    // not at the next document's marker, nor anywhere that depends on what follows
    for src in [
        "a: |\n---\nb: 1\n",
        "a: |\n",
        "a: |\nb: 1\n",
        "a: >\n\n\n---\n",
        // only line breaks, kept by `+`: no content to place it at either
        "a: >+\n\n\n---\nb: 1\n",
        "a: |+\n\n",
    ] {
        let s = parse(src);
        let n = s.documents[0].root.as_ref().unwrap();
        let span = n.entries()[0].value.span;
        assert_eq!((span.start.line, span.start.col), (1, 2), "{src:?}");
        assert_eq!(span.start, span.end, "{src:?}");
    }
    // a block scalar with content keeps its span
    let s = parse("a: |\n  x\n---\nb: 1\n");
    let span = s.documents[0].root.as_ref().unwrap().entries()[0]
        .value
        .span;
    assert_eq!((span.start.line, span.start.col), (2, 3));
}

#[test]
fn a_percent_line_inside_a_document_is_content_not_a_directive() {
    // the second line of a plain scalar may start with `%`: the cut stays at `---`
    let src = format!("{}---\na: one\n%two\n---\nb: 1\n", "x: 1\n".repeat(4));
    let parts = crate::split_documents(&src, 8);
    let at = src.find("---\nb").unwrap();
    assert!(parts.iter().any(|&(o, _)| o == at), "{parts:?}");
    assert!(
        !parts.iter().any(|&(o, _)| src[o..].starts_with('%')),
        "{parts:?}"
    );
    // after `...` a `%` line is a directive and goes with the next document
    let src = format!(
        "{}---\na: 1\n...\n%YAML 1.2\n---\nb: 1\n",
        "x: 1\n".repeat(4)
    );
    let parts = crate::split_documents(&src, 8);
    assert!(
        parts.iter().any(|&(o, _)| src[o..].starts_with("%YAML")),
        "{parts:?}"
    );
}

fn limited(src: &str, f: impl FnOnce(&mut Limits)) -> Stream {
    let mut limits = Limits::default();
    f(&mut limits);
    parse_stream(src, limits)
}

fn first_keys(s: &Stream) -> Vec<(usize, String)> {
    s.documents
        .iter()
        .filter_map(|d| Some((d.index, d.root.as_ref()?.entries()[0].key.to_string())))
        .collect()
}

#[test]
fn limit_errors_say_which_limit() {
    let deep = format!("{}{}", "[".repeat(250), "]".repeat(250));
    let s = limited(&deep, |l| l.max_depth = 200);
    assert_eq!(s.errors[0].limit, Some(Limit::Depth));
    assert!(s.errors[0].message.contains("more than 200 levels"));
    // one line of block sequences, 100k deep
    let s = parse(&format!("{}x\n", "- ".repeat(100_000)));
    assert_eq!(s.errors.len(), 1);
    assert!(s.errors[0].message.contains("more than 256 levels"));
    // the parser's own bound on flow collections cannot be raised
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let s = limited(&deep, |l| l.max_depth = 1000);
    assert_eq!(s.errors[0].limit, None);
    assert!(s.errors[0].message.contains("255"), "{:?}", s.errors);
    let s = limited("a: [[[[1]]]]\n---\nb: [[1]]\n", |l| l.max_depth = 3);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].limit, Some(Limit::Depth));
    assert!(s.errors[0].message.contains("more than 3 levels"));
    assert_eq!(first_keys(&s), [(1, "b".to_string())]);
    let s = limited("a: &a [1, 2, 3]\nb: [*a, *a]\n", |l| l.max_alias_nodes = 5);
    assert_eq!(s.errors[0].limit, Some(Limit::AliasNodes));
    let s = limited("a: &a xxxxxxxx\nb: [*a, *a]\n", |l| l.max_alias_bytes = 10);
    assert_eq!(s.errors[0].limit, Some(Limit::AliasBytes));
    assert!(s.errors[0].message.contains("10 bytes"), "{:?}", s.errors);
    let s = limited("a: &a [&b [1, 2], 3]\n", |l| l.max_anchored_nodes = 4);
    assert_eq!(s.errors[0].limit, Some(Limit::AnchoredNodes));
    assert!(parse("a: [1, {b: 2}]\n").errors.is_empty());
}

#[test]
fn documents_beyond_the_limit_are_not_read() {
    let src = "a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n";
    let s = limited(src, |l| l.max_documents = 2);
    assert_eq!(first_keys(&s), [(0, "a".into()), (1, "b".into())]);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].line, 4);
    assert_eq!(s.errors[0].limit, Some(Limit::Documents));
    assert!(s.errors[0].message.contains("more than 2 documents"));
    // a stream that begins with `---`, comments and directives, and bare documents
    // after `...` count alike
    let src = "# head\n--- \na: 1\n...\nb: 2\n...\n%YAML 1.2\n---\nc: 3\n";
    assert_eq!(
        first_keys(&limited(src, |l| l.max_documents = 3)),
        [(0, "a".into()), (1, "b".into()), (2, "c".into())]
    );
    let s = limited(src, |l| l.max_documents = 2);
    assert_eq!(first_keys(&s), [(0, "a".into()), (1, "b".into())]);
    assert_eq!(
        s.errors[0].line, 7,
        "the cut keeps the directive with its document"
    );
    // empty documents count: a stream of markers is cut without being parsed
    let markers = "---\n".repeat(1_000_000);
    let s = limited(&markers, |l| l.max_documents = 10);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].line, 11);
    assert_eq!(s.next_index, 11);
    assert!(parse(src).errors.is_empty());
}

#[test]
fn a_document_over_the_size_limit_is_skipped_and_its_neighbours_read() {
    let big = format!("b: {}\n", "x".repeat(100));
    let src = format!("a: 1\n---\n{big}---\nc: 3\n");
    let s = limited(&src, |l| l.max_document_bytes = 50);
    assert_eq!(first_keys(&s), [(0, "a".into()), (2, "c".into())]);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].line, 2);
    assert_eq!(s.errors[0].limit, Some(Limit::DocumentSize));
    assert!(
        s.errors[0]
            .message
            .contains("document of 108 bytes, larger than the 50 bytes limit"),
        "{:?}",
        s.errors
    );
    // the first and the last document, and lines kept
    let src = format!("{big}---\na: 1\n---\n{big}");
    let s = limited(&src, |l| l.max_document_bytes = 50);
    assert_eq!(first_keys(&s), [(1, "a".into())]);
    assert_eq!(s.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 4]);
    assert_eq!(s.documents[0].root.as_ref().unwrap().span.start.line, 3);
}

#[test]
fn a_plan_in_parts_covers_the_stream_at_document_boundaries() {
    let doc = "a: 1\nb: [1, 2]\n";
    let src = format!("%YAML 1.2\n---\n{}", format!("{doc}---\n").repeat(50));
    let pieces = plan(&src, &Limits::default(), 40);
    assert!(pieces.len() > 5);
    let mut at = 0;
    for p in &pieces {
        let Piece::Parse { start, end, line } = p else {
            panic!("{p:?}")
        };
        assert_eq!(*start, at);
        assert_eq!(src[..*start].matches('\n').count() as u32, *line);
        assert!(*start == 0 || src[*start..].starts_with("---"));
        at = *end;
    }
    assert_eq!(at, src.len());
    let whole = parse(&src);
    let merged = merge_streams(
        pieces
            .iter()
            .map(|p| parse_piece(&src, p, Limits::default())),
    );
    assert_eq!(whole.next_index, merged.next_index);
    assert_eq!(first_keys(&whole), first_keys(&merged));
}

#[test]
fn sizes_read_as_people_write_them() {
    assert_eq!(format_size(900), "900 bytes");
    assert_eq!(format_size(64 << 20), "64 MiB");
    assert_eq!(format_size(1536), "1.5 KiB");
    assert_eq!(format_size(1 << 30), "1 GiB");
}

#[test]
fn an_implicit_document_starts_at_its_first_line_of_content() {
    // the parser places an implicit document at its first token, which for an empty
    // block scalar is past it: the line is read from the text, alike in parts
    for (src, want) in [
        ("#0123456789\n\n\n>\n---", vec![4, 5]),
        ("# c\n\na: 1\n", vec![3]),
        ("a: 1\n...\n# c\n%YAML 1.2\n---\nb: 1\n", vec![1, 5]),
        ("a: 1\n...\n\n>\n", vec![1, 4]),
    ] {
        let s = parse(src);
        let lines: Vec<u32> = s.documents.iter().map(|d| d.start_line).collect();
        assert_eq!(lines, want, "{src:?}");
        for part in [4, 8, 16] {
            let cuts = crate::split_documents(src, part);
            let mut docs = Vec::new();
            for (i, &(start, line)) in cuts.iter().enumerate() {
                let end = cuts.get(i + 1).map_or(src.len(), |c| c.0);
                let st = crate::parse_stream_at(&src[start..end], Limits::default(), line);
                docs.extend(st.documents.iter().map(|d| d.start_line));
            }
            assert_eq!(docs, want, "{src:?} in parts of {part}");
        }
    }
}
