use serde_json::{Value, json};

use crate::edit::{Editor, apply_edits};
use crate::{Limits, parse_stream};

/// The text after the operations, checked to parse to what the operations mean.
fn fixed(src: &str, ops: Value) -> String {
    let s = parse_stream(src, Limits::default());
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let root = s.documents[0].root.as_ref().unwrap();
    let ed = Editor::new(src, root);
    let edits = ed.edits(root, ops.as_array().unwrap()).unwrap();
    let out = apply_edits(src, &edits).expect("edits do not overlap");
    let again = parse_stream(&out, Limits::default());
    assert!(again.errors.is_empty(), "{out}\n{:?}", again.errors);
    out
}

#[test]
fn adds_a_key_at_the_indentation_of_its_siblings() {
    let src = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p  # the pod\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n\n# trailing comment\n";
    let out = fixed(
        src,
        json!([{"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": false}]),
    );
    assert_eq!(
        out,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p  # the pod\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      allowPrivilegeEscalation: false\n\n# trailing comment\n"
    );
    // an existing mapping gets the key after its last one
    let src = "spec:\n    containers:\n        -   name: c\n            securityContext:\n                runAsNonRoot: true\n";
    let out = fixed(
        src,
        json!([{"op": "add", "path": "/spec/containers/0/securityContext/readOnlyRootFilesystem", "value": true}]),
    );
    assert_eq!(
        out,
        "spec:\n    containers:\n        -   name: c\n            securityContext:\n                runAsNonRoot: true\n                readOnlyRootFilesystem: true\n"
    );
}

#[test]
fn flow_mappings_json_and_crlf_keep_their_style() {
    let out = fixed(
        "metadata: {name: p, labels: {app: web}}\n",
        json!([{"op": "add", "path": "/metadata/labels/team", "value": "shop"}]),
    );
    assert_eq!(out, "metadata: {name: p, labels: {app: web, team: shop}}\n");
    let out = fixed(
        "spec: {}\n",
        json!([{"op": "add", "path": "/spec/automountServiceAccountToken", "value": false}]),
    );
    assert_eq!(out, "spec: {automountServiceAccountToken: false}\n");
    let src = "{\n  \"apiVersion\": \"v1\",\n  \"spec\": {\n    \"hostNetwork\": true\n  }\n}\n";
    let out = fixed(
        src,
        json!([{"op": "add", "path": "/spec/enableServiceLinks", "value": false}, {"op": "replace", "path": "/spec/hostNetwork", "value": false}]),
    );
    assert_eq!(
        out,
        "{\n  \"apiVersion\": \"v1\",\n  \"spec\": {\n    \"hostNetwork\": false, \"enableServiceLinks\": false\n  }\n}\n"
    );
    assert!(serde_json::from_str::<Value>(&out).is_ok());
    let out = fixed(
        "a: 1\r\nb:\r\n  c: 2\r\n",
        json!([{"op": "add", "path": "/b/d/e", "value": "x y"}]),
    );
    assert_eq!(out, "a: 1\r\nb:\r\n  c: 2\r\n  d:\r\n    e: x y\r\n");
}

#[test]
fn replaces_and_removes_without_touching_the_rest() {
    let src = "spec:\n  replicas: 3 # three\n  template:\n    spec:\n      serviceAccount: api\n      hostPID: true\n";
    let out = fixed(src, json!([{"op": "remove", "path": "/spec/replicas"}]));
    assert_eq!(
        out,
        "spec:\n  template:\n    spec:\n      serviceAccount: api\n      hostPID: true\n"
    );
    let out = fixed(
        src,
        json!([{"op": "move", "from": "/spec/template/spec/serviceAccount", "path": "/spec/template/spec/serviceAccountName"}]),
    );
    assert!(out.contains("      serviceAccountName: api\n"), "{out}");
    let out = fixed(
        src,
        json!([{"op": "replace", "path": "/spec/template/spec/hostPID", "value": false}]),
    );
    assert!(out.ends_with("      hostPID: false\n"), "{out}");
    // quoted where plain would change the meaning
    let out = fixed(
        "a: b\n",
        json!([{"op": "replace", "path": "/a", "value": "yes"}]),
    );
    assert_eq!(out, "a: \"yes\"\n");
    // the first key of an item: the next moves up behind the dash
    let out = fixed(
        "items:\n- a: 1\n  b: 2\n- c: 3\n",
        json!([{"op": "remove", "path": "/items/0/a"}]),
    );
    assert_eq!(out, "items:\n- b: 2\n- c: 3\n");
    let out = fixed(
        "items:\n- a: 1\n  b: 2\n- c: 3\n",
        json!([{"op": "remove", "path": "/items/1"}]),
    );
    assert_eq!(out, "items:\n- a: 1\n  b: 2\n");
    // the only key of a mapping leaves `{}`
    let out = fixed(
        "a:\n  b: 1\nc: 2\n",
        json!([{"op": "remove", "path": "/a/b"}]),
    );
    assert_eq!(out, "a: {}\nc: 2\n");
}

#[test]
fn sequences_and_anchors() {
    let out = fixed(
        "base: &b {x: 1}\nlist:\n  - one\n  - two\nuse: *b\n",
        json!([{"op": "add", "path": "/list/-", "value": "three"}]),
    );
    assert_eq!(
        out,
        "base: &b {x: 1}\nlist:\n  - one\n  - two\n  - three\nuse: *b\n"
    );
    let out = fixed(
        "spec:\n  ports: [80]\n",
        json!([{"op": "add", "path": "/spec/ports/-", "value": 443}]),
    );
    assert_eq!(out, "spec:\n  ports: [80, 443]\n");
    // a mapping item in a flush sequence
    let out = fixed(
        "spec:\n  containers:\n  - name: a\n",
        json!([{"op": "add", "path": "/spec/containers/-", "value": {"name": "b", "image": "x:1"}}]),
    );
    assert_eq!(
        out,
        "spec:\n  containers:\n  - name: a\n  - name: b\n    image: x:1\n"
    );
    // a new sequence in the file's style
    let out = fixed(
        "spec:\n  a:\n  - x\n  b: 1\n",
        json!([{"op": "add", "path": "/spec/c", "value": ["ALL"]}]),
    );
    assert_eq!(out, "spec:\n  a:\n  - x\n  b: 1\n  c:\n  - ALL\n");
}

#[test]
fn a_document_among_others_is_edited_alone() {
    let src = "a: 1\n---\nb:\n  c: 2\n---\nd: 3\n";
    let s = parse_stream(src, Limits::default());
    let root = s.documents[1].root.as_ref().unwrap();
    let ed = Editor::new(src, root);
    let edits = ed
        .edits(root, &[json!({"op": "add", "path": "/b/e", "value": 4})])
        .unwrap();
    let out = apply_edits(src, &edits).unwrap();
    assert_eq!(out, "a: 1\n---\nb:\n  c: 2\n  e: 4\n---\nd: 3\n");
}

/// The text after an `add-document` of `value` through the first document's editor.
fn appended(src: &str, value: Value) -> Result<String, String> {
    let s = parse_stream(src, Limits::default());
    let root = s.documents[0].root.as_ref().unwrap();
    let edits =
        Editor::new(src, root).edits(root, &[json!({"op": "add-document", "value": value})])?;
    let out = apply_edits(src, &edits).expect("one edit");
    let again = parse_stream(&out, Limits::default());
    assert!(again.errors.is_empty(), "{out}\n{:?}", again.errors);
    Ok(out)
}

fn pdb() -> Value {
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
           "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
           "x": [{"a": 1, "b": "yes"}, "z"], "empty": {}})
}

#[test]
fn a_document_is_appended_at_the_end_in_the_file_style() {
    let pdb_text = "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: web\nx:\n- a: 1\n  b: \"yes\"\n- z\nempty: {}\n";
    // ending with a newline, and a comment kept before the new document
    let src = "kind: Deployment\nspec:\n  containers:\n  - name: c\n# the end\n";
    assert_eq!(appended(src, pdb()).unwrap(), format!("{src}{pdb_text}"));
    // without a final newline: one is added first
    let src = "kind: Deployment\nspec:\n  containers:\n  - name: c";
    assert_eq!(appended(src, pdb()).unwrap(), format!("{src}\n{pdb_text}"));
    // a document end marker stays where it is
    let src = "kind: Deployment\nspec:\n  c:\n  - x\n...\n";
    assert_eq!(appended(src, pdb()).unwrap(), format!("{src}{pdb_text}"));
    let src = "kind: Deployment\nspec:\n  c:\n  - x\n...";
    assert_eq!(appended(src, pdb()).unwrap(), format!("{src}\n{pdb_text}"));
    // CRLF, four-space indentation and indented sequences
    let src = "kind: Deployment\r\nspec:\r\n    containers:\r\n        - name: c\r\n";
    let out = appended(
        src,
        json!({"kind": "NetworkPolicy", "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
    )
    .unwrap();
    assert_eq!(
        out,
        format!(
            "{src}---\r\nkind: NetworkPolicy\r\nspec:\r\n    podSelector: {{}}\r\n    policyTypes:\r\n        - Ingress\r\n"
        )
    );
}

#[test]
fn no_document_is_appended_to_json() {
    let err = appended("{\"kind\": \"Deployment\", \"spec\": {}}\n", pdb()).unwrap_err();
    assert!(err.contains("JSON"), "{err}");
    assert!(appended("a: 1\n", json!("x")).is_err());
}

#[test]
fn appended_documents_follow_one_another_in_order() {
    let src = "a:\n  b: 1";
    let s = parse_stream(src, Limits::default());
    let root = s.documents[0].root.as_ref().unwrap();
    let ed = Editor::new(src, root);
    let mut edits = ed
        .edits(
            root,
            &[json!({"op": "add-document", "value": {"kind": "Second"}})],
        )
        .unwrap();
    // an ordinary edit at the same place goes first, whatever the order given
    edits.extend(
        ed.edits(root, &[json!({"op": "add", "path": "/a/c", "value": 2})])
            .unwrap(),
    );
    edits.extend(
        ed.edits(
            root,
            &[json!({"op": "add-document", "value": {"kind": "Third"}})],
        )
        .unwrap(),
    );
    let out = apply_edits(src, &edits).unwrap();
    assert_eq!(
        out,
        "a:\n  b: 1\n  c: 2\n---\nkind: Second\n---\nkind: Third\n"
    );
    // two ordinary inserts at one place still collide
    let two = ed
        .edits(
            root,
            &[
                json!({"op": "add", "path": "/a/c", "value": 2}),
                json!({"op": "add", "path": "/a/d", "value": 3}),
            ],
        )
        .unwrap();
    assert!(apply_edits(src, &two).is_none());
}

#[test]
fn replacing_a_quoted_scalar_keeps_the_comment_after_it() {
    let src = "resources:\n  requests:\n    cpu: \"1\" # guesswork\n    memory: 1Gi\n";
    let out = fixed(
        src,
        json!([{"op": "replace", "path": "/resources/requests/cpu", "value": "385m"}]),
    );
    assert_eq!(
        out,
        "resources:\n  requests:\n    cpu: 385m # guesswork\n    memory: 1Gi\n"
    );
}

#[test]
fn replacing_a_single_quoted_scalar_keeps_the_comment_after_it() {
    let src = "a: 'it''s' # note\nb: 1\n";
    let out = fixed(src, json!([{"op": "replace", "path": "/a", "value": "x"}]));
    assert_eq!(out, "a: x # note\nb: 1\n");
}
