//! `plimsoll rbac who-can` as a user runs it.

mod common;

use common::{answer_json as json, run};

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: debugger, namespace: shop}
rules:
  - apiGroups: [""]
    resources: ["pods", "pods/log"]
    verbs: ["get", "list"]
  - apiGroups: [""]
    resources: ["pods/exec"]
    verbs: ["create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: oncall-debug, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: debugger}
subjects:
  - {kind: Group, name: oncall, apiGroup: rbac.authorization.k8s.io}
  - {kind: ServiceAccount, name: toolbox}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregate-ops}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {example.com/aggregate-to-ops: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: scale-deployments
  labels: {example.com/aggregate-to-ops: "true"}
rules:
  - apiGroups: ["apps"]
    resources: ["deployments/scale"]
    verbs: ["update", "patch"]
  - nonResourceURLs: ["/metrics", "/debug/*"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aggregate-ops}
subjects:
  - {kind: ServiceAccount, name: autoscaler, namespace: ops}
  - {kind: ServiceAccount, name: no-namespace}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: tls-reader}
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get"]
    resourceNames: ["shop-tls"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: tls-reader, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: tls-reader}
subjects:
  - {kind: ServiceAccount, name: ingress, namespace: edge}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: Group, name: shop-devs, apiGroup: rbac.authorization.k8s.io}
"#;

fn write_input(dir: &Path) -> String {
    let p = dir.join("rbac.yaml");
    std::fs::write(&p, RBAC).unwrap();
    p.to_string_lossy().to_string()
}

fn names(v: &Value) -> Vec<String> {
    v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| match s["namespace"].as_str() {
            Some(ns) => format!(
                "{}:{ns}/{}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            ),
            None => format!(
                "{}:{}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            ),
        })
        .collect()
}

#[test]
fn exec_in_namespace_through_role_binding() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let v = json(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "shop",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(v["version"], 1);
    assert_eq!(v["verb"], "create");
    assert_eq!(v["resource"], "pods/exec");
    assert_eq!(v["namespace"], "shop");
    assert_eq!(
        names(&v),
        vec![
            "Group:oncall",
            "Group:system:masters",
            "ServiceAccount:shop/toolbox"
        ]
    );
    let via = &v["subjects"][0]["via"][0];
    assert_eq!(via["binding"]["kind"], "RoleBinding");
    assert_eq!(via["binding"]["name"], "oncall-debug");
    assert_eq!(via["binding"]["namespace"], "shop");
    assert_eq!(via["role"]["name"], "debugger");
    assert_eq!(via["ruleIndex"], 1);
    // the built-in edit role is not in the input: said, not guessed
    assert_eq!(v["unresolved"][0]["binding"]["name"], "devs");
}

#[test]
fn bare_pods_does_not_grant_subresources_and_other_namespaces_see_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let v = json(&[
        "rbac", "who-can", "get", "pods/log", "-n", "other", "--format", "json", &f,
    ]);
    assert_eq!(names(&v), vec!["Group:system:masters"]);
    let v = json(&[
        "rbac",
        "who-can",
        "create",
        "pods/attach",
        "-n",
        "shop",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(names(&v), vec!["Group:system:masters"]);
}

#[test]
fn aggregated_cluster_role_and_group_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let v = json(&[
        "rbac",
        "who-can",
        "patch",
        "deployments.apps/scale",
        "-n",
        "shop",
        "--format",
        "json",
        &f,
    ]);
    // a ServiceAccount without a namespace in a ClusterRoleBinding matches nobody
    assert_eq!(
        names(&v),
        vec!["Group:system:masters", "ServiceAccount:ops/autoscaler"]
    );
    assert_eq!(v["resource"], "deployments.apps/scale");
    assert_eq!(v["subjects"][1]["via"][0]["role"]["name"], "aggregate-ops");
    assert_eq!(
        v["subjects"][1]["via"][0]["aggregatedFrom"]["name"],
        "scale-deployments"
    );
    // the deployment itself is not granted
    let v = json(&[
        "rbac",
        "who-can",
        "patch",
        "deployments",
        "-n",
        "shop",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(names(&v), vec!["Group:system:masters"]);
}

#[test]
fn non_resource_urls() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let v = json(&[
        "rbac",
        "who-can",
        "get",
        "/debug/pprof",
        "--format",
        "json",
        &f,
    ]);
    assert_eq!(v["namespace"], Value::Null);
    assert_eq!(
        names(&v),
        vec!["Group:system:masters", "ServiceAccount:ops/autoscaler"]
    );
    let v = json(&["rbac", "who-can", "get", "/healthz", "--format", "json", &f]);
    assert_eq!(names(&v), vec!["Group:system:masters"]);
}

#[test]
fn resource_names() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    let v = json(&[
        "rbac", "who-can", "get", "secrets", "-n", "shop", "--name", "shop-tls", "--format",
        "json", &f,
    ]);
    assert_eq!(
        names(&v),
        vec!["Group:system:masters", "ServiceAccount:edge/ingress"]
    );
    let v = json(&[
        "rbac", "who-can", "list", "secrets", "-n", "shop", "--format", "json", &f,
    ]);
    assert_eq!(names(&v), vec!["Group:system:masters"]);
}

#[test]
fn text_output_stdin_and_bad_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(["rbac", "who-can", "create", "pods/exec", "-n", "shop", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(RBAC.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Group oncall"), "{text}");
    assert!(
        text.contains("via RoleBinding shop/oncall-debug -> Role debugger, rule 1"),
        "{text}"
    );
    assert!(
        text.contains("not evaluated: RoleBinding shop/devs"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let f = write_input(dir.path());
    assert_eq!(
        run(&["rbac", "who-can", "get", "bad res", &f])
            .status
            .code(),
        Some(2)
    );
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "a: [\n").unwrap();
    assert_eq!(
        run(&["rbac", "who-can", "get", "pods", &broken.to_string_lossy()])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["rbac", "who-can", "get", "pods", "/does/not/exist"])
            .status
            .code(),
        Some(2)
    );
}
