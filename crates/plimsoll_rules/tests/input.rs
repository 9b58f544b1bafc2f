//! Text to objects: lists, notes, CRD scopes, decoding.

use plimsoll_rules::input::{apply_crd_scopes, decode, load_text};

#[test]
fn lists_are_expanded_and_non_objects_noted() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b, namespace: x}}\n- {foo: bar}\n---\n- just a list\n---\nreplicaCount: 3\n";
    let l = load_text(0, text, "team");
    let names: Vec<(&str, Option<&str>)> = l
        .objects
        .iter()
        .map(|o| (o.name.as_str(), o.namespace.as_deref()))
        .collect();
    assert_eq!(names, [("a", Some("team")), ("b", Some("x"))]);
    assert_eq!(l.objects[1].source.item, Some(1));
    assert_eq!(l.notes.len(), 3, "{:?}", l.notes);
    assert!(l.errors.is_empty());
}

#[test]
fn a_list_inside_a_list_is_noted_not_dropped_silently() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: hidden}}\n";
    let l = load_text(0, text, "team");
    assert_eq!(l.objects.len(), 1);
    assert_eq!(l.notes.len(), 1, "{:?}", l.notes);
    assert_eq!(l.notes[0].line, Some(5));
    assert!(
        l.notes[0].message.contains("a List inside a List")
            && l.notes[0].message.contains("1 items"),
        "{}",
        l.notes[0].message
    );
}

#[test]
fn crd_scope_from_the_input() {
    let text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: clusterwidgets.example.com}\nspec:\n  group: example.com\n  scope: Cluster\n  names: {kind: ClusterWidget, plural: clusterwidgets}\n---\napiVersion: example.com/v1\nkind: ClusterWidget\nmetadata: {name: w}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: n}\n";
    let mut l = load_text(0, text, "default");
    apply_crd_scopes(&mut l.objects);
    assert_eq!(l.objects[1].namespace, None);
    assert_eq!(l.objects[2].namespace.as_deref(), Some("default"));
}

#[test]
fn decoding_rejects_binary_and_non_utf8_with_positions() {
    assert!(
        decode(0, b"\xEF\xBB\xBFkind: Pod\n").is_ok(),
        "a BOM is accepted"
    );
    let e = decode(0, b"a: 1\nb: \xff\n").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(4)));
    let e = decode(0, b"a: 1\n\x00").unwrap_err();
    assert!(e.message.contains("binary"));
    let e = decode(0, b"\xff\xfea\x00").unwrap_err();
    assert!(e.message.contains("UTF-16"));
    // encodings told as the YAML specification tells them, with or without a BOM
    let text = "kind: Pod\n";
    let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf32le: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    let utf32be: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_be_bytes())
        .collect();
    let bom32le = [&[0xFF, 0xFE, 0, 0][..], &utf32le].concat();
    let bom32be = [&[0, 0, 0xFE, 0xFF][..], &utf32be].concat();
    for (bytes, want) in [
        (&utf16le, "UTF-16 (little-endian)"),
        (&utf16be, "UTF-16 (big-endian)"),
        (&utf32le, "UTF-32 (little-endian)"),
        (&utf32be, "UTF-32 (big-endian)"),
        (&bom32le, "UTF-32 (little-endian, with a byte order mark)"),
        (&bom32be, "UTF-32 (big-endian, with a byte order mark)"),
    ] {
        let e = decode(0, bytes).unwrap_err();
        assert_eq!(
            e.message,
            format!("the file is {want}; Kubernetes manifests must be UTF-8")
        );
        assert!(plimsoll_rules::input::salvage(0, bytes).is_none(), "{want}");
    }
}

#[test]
fn large_streams_parse_in_parts_exactly_as_in_one_piece() {
    let mut text = String::new();
    for i in 0..12_000 {
        if i == 7_000 {
            text.push_str("---\nbroken: [\n");
        }
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata:\n  payload: \"{}\"\n",
            "x".repeat(100)
        ));
    }
    assert!(text.len() > 2 << 20);
    let whole = plimsoll_yaml::parse_stream(&text, plimsoll_yaml::Limits::default());
    let parts = plimsoll_rules::input::parse_text(&text);
    assert_eq!(whole.documents.len(), parts.documents.len());
    assert_eq!(whole.errors, parts.errors);
    assert_eq!(whole.next_index, parts.next_index);
    for (a, b) in whole.documents.iter().zip(&parts.documents) {
        assert_eq!(a.index, b.index);
        assert_eq!(a.start_line, b.start_line);
        assert_eq!(a.root, b.root);
    }
}

#[test]
fn directives_stay_with_their_document_when_a_large_stream_is_split() {
    // a `%YAML`/`%TAG` directive before a `---` past the 1 MiB cut belongs to the next
    // document: the parts must not separate them
    let mut text = String::new();
    for i in 0..12_000 {
        if i > 0 {
            text.push_str("...\n");
        }
        // every document has its directives, and uses its tag handle
        text.push_str("%YAML 1.2\n# the next document\n%TAG !k! tag:k8s.example,2024:\n");
        let tag = "!k!note ";
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata:\n  payload: {tag}\"{}\"\n",
            "x".repeat(100)
        ));
    }
    assert!(text.len() > 2 << 20);
    let whole = plimsoll_yaml::parse_stream(&text, plimsoll_yaml::Limits::default());
    assert!(
        whole.errors.is_empty(),
        "{:?}",
        &whole.errors[..whole.errors.len().min(3)]
    );
    let parts = plimsoll_rules::input::parse_text(&text);
    assert!(
        parts.errors.is_empty(),
        "{:?}",
        &parts.errors[..parts.errors.len().min(3)]
    );
    assert_eq!(whole.documents.len(), parts.documents.len());
    assert_eq!(parts.documents.len(), 12_000);
    assert!(text.matches("%YAML").count() == 12_000);
    for (a, b) in whole.documents.iter().zip(&parts.documents) {
        assert_eq!(a.start_line, b.start_line);
        assert_eq!(a.root, b.root);
    }
    // and the cut itself lands on the first directive line
    for (offset, _) in plimsoll_yaml::split_documents(&text, 1 << 20)
        .into_iter()
        .skip(1)
    {
        let rest = &text[offset..];
        assert!(
            rest.starts_with("%YAML") || rest.starts_with("---"),
            "{}",
            &rest[..40]
        );
        assert!(!text[..offset].trim_end().ends_with(":"));
    }
}

#[test]
fn limits_hold_alike_in_one_piece_and_in_parallel_parts() {
    let mut text = String::new();
    for i in 0..3_000 {
        let payload = if i % 1_000 == 500 { 3_000 } else { 100 };
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata:\n  payload: \"{}\"\n",
            "x".repeat(payload)
        ));
    }
    let limits = plimsoll_yaml::Limits {
        max_documents: 2_500,
        max_document_bytes: 2_000,
        ..Default::default()
    };
    let whole = plimsoll_yaml::parse_stream(&text, limits);
    let parts = plimsoll_rules::input::parse_text_with(&text, limits, 64 << 10);
    assert_eq!(whole.errors, parts.errors);
    assert_eq!(whole.next_index, parts.next_index);
    assert_eq!(whole.documents.len(), parts.documents.len());
    for (a, b) in whole.documents.iter().zip(&parts.documents) {
        assert_eq!((a.index, a.start_line), (b.index, b.start_line));
        assert_eq!(a.root, b.root);
    }
    // three documents too large (500, 1500, 2500 is past the count), then the cut
    assert_eq!(whole.documents.len(), 2_500 - 2);
    let limited: Vec<_> = whole.errors.iter().map(|e| e.limit).collect();
    use plimsoll_yaml::Limit;
    assert_eq!(
        limited,
        [
            Some(Limit::DocumentSize),
            Some(Limit::DocumentSize),
            Some(Limit::Documents)
        ]
    );
    assert_eq!(whole.documents.last().unwrap().index, 2_499);
}

#[test]
fn a_limit_error_names_the_flag_that_raises_it() {
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {{a: {}{}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ok}}\n",
        "[".repeat(10),
        "]".repeat(10)
    );
    let limits = plimsoll_yaml::Limits {
        max_depth: 5,
        ..Default::default()
    };
    let l = plimsoll_rules::input::load_text_with(3, &deep, "default", limits);
    assert_eq!(l.objects.len(), 1);
    assert_eq!(l.objects[0].name, "ok");
    assert_eq!(l.errors.len(), 1);
    assert_eq!(l.errors[0].file, 3);
    assert_eq!(l.errors[0].line, Some(4));
    assert!(
        l.errors[0].message.ends_with(
            "more than 5 levels); no Kubernetes object is this deep; raise it with --max-depth"
        ),
        "{}",
        l.errors[0].message
    );
    // not a limit: no flag named
    let l = load_text(0, "a: [\n", "default");
    assert!(!l.errors[0].message.contains("raise it"));
}

#[test]
fn sizes_and_limits_in_the_configuration() {
    use plimsoll_rules::config::{ByteSize, Config, Count, parse_size};
    assert_eq!(parse_size("256MiB"), Ok(256 << 20));
    assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
    assert_eq!(parse_size("512Ki"), Ok(512 << 10));
    assert_eq!(parse_size("4k"), Ok(4096));
    assert_eq!(parse_size("1000"), Ok(1000));
    assert!(parse_size("10MB").unwrap_err().contains("KiB, MiB or GiB"));
    assert!(parse_size("MiB").is_err());
    assert!(parse_size("1.5GiB").is_err());
    let c = Config::from_yaml(
        "limits:\n  max-file-size: 1GiB\n  max-document-size: 1048576\n  max-depth: 64\n  max-findings: 10\n",
    )
    .unwrap();
    assert_eq!(c.limits.max_file_size, Some(ByteSize(1 << 30)));
    assert_eq!(c.limits.max_document_size, Some(ByteSize(1 << 20)));
    assert_eq!(c.limits.max_depth, Some(Count(64)));
    assert_eq!(c.limits.max_findings, Some(Count(10)));
    assert_eq!(c.limits.max_documents, None);
    for bad in [
        "limits:\n  max-file-size: 10MB\n",
        "limits:\n  max-depth: 0\n",
        "limits:\n  max-deep: 3\n",
    ] {
        assert!(Config::from_yaml(bad).is_err(), "{bad}");
    }
}

#[test]
fn each_bad_document_is_an_error_at_its_own_line() {
    // many documents, every other one with a Latin-1 byte on its third line
    let mut bytes = Vec::new();
    for i in 0..2000 {
        bytes.extend_from_slice(b"---\napiVersion: v1\nkind: ConfigMap\n");
        if i % 2 == 0 {
            bytes.extend_from_slice(b"data: {a: caf\xe9}\n");
        } else {
            bytes.extend_from_slice(b"data: {a: cafe}\n");
        }
    }
    let (text, errors) = plimsoll_rules::input::salvage(0, &bytes).unwrap();
    assert_eq!(errors.len(), 1000);
    for (k, e) in errors.iter().enumerate() {
        // document 2k starts at line 8k + 1; its bad byte is on its fourth line
        assert_eq!(e.line, Some(8 * k as u32 + 4), "{e:?}");
        assert_eq!(e.column, Some(14));
    }
    assert_eq!(text.lines().count(), 8000);
}
