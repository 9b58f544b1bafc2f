//! `plimsoll netpol matrix|reach` as a user runs it.

mod common;

use common::{answer_json as json, run};

use std::path::Path;

const INPUT: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: ingress-nginx}
spec:
  template:
    metadata: {labels: {app.kubernetes.io/name: ingress-nginx}}
    spec:
      containers: [{name: c, image: registry.k8s.io/ingress-nginx/controller:v1.11.2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, labels: {app: db}}
spec:
  containers:
    - name: db
      image: registry.example.com/db:1.0.0
      ports: [{name: pg, containerPort: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
          podSelector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
      ports: [{port: http}]
  egress:
    - to: [{podSelector: {matchLabels: {app: db}}}]
      ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: pg}]
"#;

fn write_input(dir: &Path) -> String {
    let p = dir.join("net.yaml");
    std::fs::write(&p, INPUT).unwrap();
    p.display().to_string()
}

#[test]
fn reach_needs_egress_and_ingress() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let v = json(&[
        "netpol",
        "reach",
        "--from",
        "shop/deployment/web",
        "--to",
        "shop/Pod/db-0",
        "--port",
        "5432",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(v["allowed"], true);
    assert_eq!(v["egress"]["isolated"], true);
    assert_eq!(v["egress"]["policies"][0]["name"], "web");
    assert_eq!(v["egress"]["policies"][0]["rule"], 0);
    assert_eq!(v["ingress"]["policies"][0]["name"], "db");
    // the named port of the destination
    let v = json(&[
        "netpol",
        "reach",
        "--from",
        "shop/deployment/web",
        "--to",
        "shop/pod/db-0",
        "--port",
        "pg",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(v["allowed"], true);
    // another port: egress allows only 5432
    let v = json(&[
        "netpol",
        "reach",
        "--from",
        "shop/deployment/web",
        "--to",
        "shop/pod/db-0",
        "--port",
        "5433",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["egress"]["allowed"], false);
    // the reverse direction: the db is isolated for egress by the default deny
    let v = json(&[
        "netpol",
        "reach",
        "--from",
        "shop/pod/db-0",
        "--to",
        "shop/deployment/web",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["egress"]["isolated"], true);
    assert_eq!(v["egress"]["allowed"], false);
    // the controller's egress is not isolated; web's ingress admits it on http only
    let v = json(&[
        "netpol",
        "reach",
        "--from",
        "ingress-nginx/Deployment/controller",
        "--to",
        "shop/Deployment/web",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(v["allowed"], true);
    assert_eq!(v["egress"]["isolated"], false);
    assert_eq!(v["ports"][0]["port"], 8080);
}

#[test]
fn reach_text_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let out = run(&[
        "netpol",
        "reach",
        "--from",
        "shop/deployment/web",
        "--to",
        "shop/pod/db-0",
        &f,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("ALLOWED: shop/Deployment/web -> shop/Pod/db-0"),
        "{text}"
    );
    assert!(
        text.contains("via NetworkPolicy shop/db ingress rule 0"),
        "{text}"
    );
    for bad in [
        vec!["--from", "shop/deployment/nope", "--to", "shop/pod/db-0"],
        vec!["--from", "shop/web", "--to", "shop/pod/db-0"],
        vec![
            "--from",
            "shop/deployment/web",
            "--to",
            "shop/pod/db-0",
            "--port",
            "nope",
        ],
        vec![
            "--from",
            "shop/deployment/web",
            "--to",
            "shop/pod/db-0",
            "--port",
            "53/ICMP",
        ],
    ] {
        let mut args = vec!["netpol", "reach"];
        args.extend(bad);
        args.push(&f);
        assert_eq!(run(&args).status.code(), Some(2), "{args:?}");
    }
    // kinds as kubectl takes them, and a suggestion for a slip
    for kind in ["deploy", "deployments", "deployments.apps", "DEPLOYMENT"] {
        let from = format!("shop/{kind}/web");
        let out = run(&[
            "netpol",
            "reach",
            "--from",
            &from,
            "--to",
            "shop/po/db-0",
            &f,
        ]);
        assert_eq!(out.status.code(), Some(0), "{kind}");
    }
    let out = run(&[
        "netpol",
        "reach",
        "--from",
        "shop/deploymnt/web",
        "--to",
        "shop/po/db-0",
        &f,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `deployment`?"), "{err}");
    // --exit-code: 1 when denied, 0 when allowed, as `kubectl auth can-i`
    let allowed = ["--from", "shop/deploy/web", "--to", "shop/po/db-0"];
    let denied = ["--from", "shop/po/db-0", "--to", "shop/deploy/web"];
    for (ends, plain, with_flag) in [(allowed, 0, 0), (denied, 0, 1)] {
        let mut args = vec!["netpol", "reach"];
        args.extend(ends);
        args.push(&f);
        assert_eq!(run(&args).status.code(), Some(plain), "{args:?}");
        args.push("--exit-code");
        assert_eq!(run(&args).status.code(), Some(with_flag), "{args:?}");
    }
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "a: [\n").unwrap();
    let out = run(&["netpol", "matrix", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn matrix_formats() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let v = json(&["netpol", "matrix", "--format", "json", &f]);
    let allowed = v["allowed"].as_array().unwrap();
    let pairs: Vec<(String, String)> = allowed
        .iter()
        .map(|p| {
            (
                p["from"].as_str().unwrap().to_string(),
                p["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (
                "ingress-nginx/Deployment/controller".to_string(),
                "shop/Deployment/web".to_string()
            ),
            (
                "shop/Deployment/web".to_string(),
                "shop/Pod/db-0".to_string()
            ),
        ]
    );
    assert_eq!(allowed[1]["ports"][0]["port"], 5432);
    let out = run(&["netpol", "matrix", "--format", "dot", &f]);
    assert_eq!(out.status.code(), Some(0));
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph netpol {"), "{dot}");
    assert!(
        dot.contains("\"shop/Deployment/web\" -> \"shop/Pod/db-0\" [label=\"5432/TCP\"];"),
        "{dot}"
    );
    let out = run(&["netpol", "matrix", &f]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("2 allowed connections between 3 workloads under 3 NetworkPolicies"),
        "{text}"
    );
    // the picture: well-formed SVG, one box per workload, one arrow per allowed pair
    let out = run(&["netpol", "matrix", "--format", "svg", &f]);
    assert_eq!(out.status.code(), Some(0));
    let svg = String::from_utf8(out.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&svg);
    let (mut rects, mut arrows, mut texts) = (0, 0, String::new());
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Empty(e)) | Ok(quick_xml::events::Event::Start(e)) => {
                let has = |name: &str| e.attributes().flatten().any(|a| a.key.into_inner() == name);
                match e.name().into_inner() {
                    "rect" if has("rx") => rects += 1,
                    "path" if has("marker-end") => arrows += 1,
                    _ => {}
                }
            }
            Ok(quick_xml::events::Event::Text(t)) => {
                texts.push_str(t.as_ref());
                texts.push(' ');
            }
            Ok(_) => {}
            Err(e) => panic!("the SVG is not well-formed XML: {e}\n{svg}"),
        }
    }
    assert_eq!((rects, arrows), (3, 2), "{svg}");
    for name in [
        "namespace shop",
        "namespace ingress-nginx",
        "web",
        "db-0",
        "controller",
        "5432/TCP",
    ] {
        assert!(
            texts.contains(name),
            "{name} missing from the picture: {texts}"
        );
    }
}

/// The input of the issue on `netpol` scaling: `n` Deployments whose pods share
/// `team: shop`, and `n` policies selecting them by that label, isolating both ways
/// and allowing `team: shop` both ways (every pair is allowed, under `n` policies
/// per direction).
fn shared_selector(n: usize) -> String {
    let mut docs = vec![
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: shop}}\n"
            .to_string(),
    ];
    for i in 0..n {
        docs.push(format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{team: shop, app: d{i}}}}}\n    spec:\n      containers:\n        - name: c\n          image: registry.example.com/d:1.0.0\n          ports: [{{name: http, containerPort: 8080}}]\n"
        ));
    }
    for i in 0..n {
        docs.push(format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{i}, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{team: shop}}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from: [{{podSelector: {{matchLabels: {{team: shop}}}}}}]\n  egress:\n    - to: [{{podSelector: {{matchLabels: {{team: shop}}}}}}]\n      ports: [{{port: http}}]\n"
        ));
    }
    docs.join("---\n")
}

#[test]
fn matrix_of_policies_sharing_a_selector() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("shared.yaml");
    std::fs::write(&f, shared_selector(40)).unwrap();
    let v = json(&["netpol", "matrix", "--format", "json", f.to_str().unwrap()]);
    assert_eq!(
        (v["workloads"].as_u64(), v["policies"].as_u64()),
        (Some(40), Some(40))
    );
    let allowed = v["allowed"].as_array().unwrap();
    assert_eq!(allowed.len(), 40 * 39);
    assert_eq!(allowed[0]["from"], "shop/Deployment/d0");
    assert_eq!(allowed[0]["to"], "shop/Deployment/d1");
    assert!(
        allowed
            .iter()
            .all(|p| p["ports"] == serde_json::json!([{"protocol": "TCP", "port": 8080}])),
        "{allowed:?}"
    );
}

/// One pair of 5,000 workloads under 5,000 policies: `reach` evaluates the policies
/// of the pair's namespaces against the pair only. Building every rule's selection
/// over every workload, as it used to, took 16 s and 1.8 GB in a release build
/// (minutes in a test build); the answer names every policy involved.
#[test]
fn reach_in_a_large_input_looks_at_the_pair_only() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("shared.yaml");
    std::fs::write(&f, shared_selector(5000)).unwrap();
    let f = f.to_str().unwrap();
    let v = json(&[
        "netpol",
        "reach",
        "--from",
        "shop/Deployment/d1",
        "--to",
        "shop/Deployment/d4999",
        "--port",
        "http",
        "--format",
        "json",
        f,
    ]);
    assert_eq!(v["allowed"], true);
    for side in ["egress", "ingress"] {
        let pols = v[side]["policies"].as_array().unwrap();
        assert_eq!(pols.len(), 5000, "{side}");
        assert_eq!(pols[4999]["name"], "p4999");
    }
    let out = run(&[
        "netpol",
        "reach",
        "--from",
        "shop/Deployment/d1",
        "--to",
        "shop/Deployment/d4999",
        "--port",
        "9090",
        f,
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("DENIED: shop/Deployment/d1 -> shop/Deployment/d4999 on port 9090/TCP"),
        "{text}"
    );
}
