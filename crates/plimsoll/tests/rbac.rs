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

/// A Role on secrets and a custom resource, beside [`RBAC`].
const SECRETS_AND_CRD: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: shop}
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get"]
  - apiGroups: ["stable.example.com"]
    resources: ["backups"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: secret-reader, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects:
  - {kind: ServiceAccount, name: app}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: backups, singular: backup, kind: Backup, shortNames: [bk]}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema: {openAPIV3Schema: {type: object}}
"#;

/// The directory holding [`RBAC`] and [`SECRETS_AND_CRD`].
fn write_inputs(dir: &Path) -> String {
    write_input(dir);
    std::fs::write(dir.join("secrets-and-crd.yaml"), SECRETS_AND_CRD).unwrap();
    dir.to_string_lossy().to_string()
}

fn ask(verb: &str, resource: &str, input: &str) -> Value {
    json(&[
        "rbac", "who-can", verb, resource, "-n", "shop", "--format", "json", input,
    ])
}

#[test]
fn singular_is_resolved_to_the_plural_rbac_matches() {
    let dir = tempfile::tempdir().unwrap();
    let d = write_inputs(dir.path());
    let plural = ask("get", "secrets", &d);
    assert_eq!(
        names(&plural),
        vec!["Group:system:masters", "ServiceAccount:shop/app"]
    );
    for typed in ["secret", "Secret", "SECRETS"] {
        let v = ask("get", typed, &d);
        assert_eq!(v["subjects"], plural["subjects"], "{typed}");
        assert_eq!(v["resource"], "secrets");
        assert_eq!(v["resolved"]["input"], typed);
        assert_eq!(v["resolved"]["resource"], "secrets");
        assert_eq!(v["resolved"]["group"], "");
        assert_eq!(v["resolved"]["kind"], "Secret");
    }
    // the text answer says what it resolved to
    let out = run(&["rbac", "who-can", "get", "secret", "-n", "shop", &d]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("resolved secret -> secrets (kind Secret, group core)\n"),
        "{text}"
    );
    assert!(text.contains("ServiceAccount shop/app"), "{text}");
}

#[test]
fn short_names_kinds_and_group_forms_resolve_as_kubectl_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = write_inputs(dir.path());
    let pods = ask("get", "pods", &d);
    assert_eq!(
        names(&pods),
        vec![
            "Group:oncall",
            "Group:system:masters",
            "ServiceAccount:shop/toolbox"
        ]
    );
    for typed in ["po", "pod", "Pod"] {
        assert_eq!(
            ask("get", typed, &d)["subjects"],
            pods["subjects"],
            "{typed}"
        );
    }
    let v = ask("create", "pod/exec", &d);
    assert_eq!(v["resource"], "pods/exec");
    assert_eq!(v["resolved"]["subresource"], "exec");
    assert_eq!(names(&v).len(), 3);
    // resource.group and resource.version.group, with a short name's plural
    for typed in [
        "deployments.apps/scale",
        "deployment.apps/scale",
        "deployments.v1.apps/scale",
        "deploy/scale",
    ] {
        let v = ask("patch", typed, &d);
        assert_eq!(v["resource"], "deployments.apps/scale", "{typed}");
        assert_eq!(
            names(&v),
            vec!["Group:system:masters", "ServiceAccount:ops/autoscaler"],
            "{typed}"
        );
    }
    // a cluster-scoped short name is asked cluster-wide
    let v = ask("get", "no", &d);
    assert_eq!(v["resource"], "nodes");
    assert_eq!(v["namespace"], Value::Null);
    assert_eq!(v["resolved"]["namespaced"], false);
}

#[test]
fn custom_resources_resolve_from_the_crds_in_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = write_inputs(dir.path());
    for typed in [
        "backups",
        "backup",
        "Backup",
        "bk",
        "backups.stable.example.com",
    ] {
        let v = ask("list", typed, &d);
        assert_eq!(v["resource"], "backups.stable.example.com", "{typed}");
        assert_eq!(v["resolved"]["group"], "stable.example.com");
        assert_eq!(v["resolved"]["kind"], "Backup");
        assert_eq!(
            names(&v),
            vec!["Group:system:masters", "ServiceAccount:shop/app"],
            "{typed}"
        );
    }
    // a subresource the CRD declares resolves; one it does not is an error
    let v = ask("update", "bk/status", &d);
    assert_eq!(v["resource"], "backups.stable.example.com/status");
    let out = run(&["rbac", "who-can", "update", "bk/scale", "-n", "shop", &d]);
    assert_eq!(out.status.code(), Some(2));
    // without the CRD the custom resource does not exist
    let only_rbac = write_input(tempfile::tempdir().unwrap().path());
    let out = run(&["rbac", "who-can", "list", "bk", "-n", "shop", &only_rbac]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unknown_resources_and_verbs_are_errors_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let d = write_inputs(dir.path());
    let cases = [
        (
            vec!["get", "secrte"],
            "no resource `secrte`; did you mean `secret`?",
        ),
        (vec!["get", "backup"], ""),
        (
            vec!["get", "bakups"],
            "no resource `bakups`; did you mean `backups`?",
        ),
        (
            vec!["patch", "deployments.app/scale"],
            "no resource `deployments` in group `app`; did you mean `deployments.apps`?",
        ),
        (
            vec!["create", "pods/exex"],
            "pods has no subresource `exex`; did you mean `pods/exec`?",
        ),
        (
            vec!["get", "frobnicators"],
            "the API has no resource `frobnicators`",
        ),
        (
            vec!["gett", "secrets"],
            "`gett` is not a Kubernetes verb for a resource; did you mean `get`?",
        ),
        (
            vec!["post", "pods"],
            "`post` is not a Kubernetes verb for a resource",
        ),
        (vec!["proxy", "nodes"], "`proxy` is not a Kubernetes verb"),
    ];
    for (q, message) in cases {
        let mut args = vec!["rbac", "who-can"];
        args.extend(&q);
        args.extend(["-n", "shop", &d]);
        let out = run(&args);
        if message.is_empty() {
            assert_eq!(out.status.code(), Some(0), "{q:?}");
            continue;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{q:?}: {err}");
        assert!(err.contains(message), "{q:?}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{q:?}: no answer for what does not exist"
        );
    }
    // URL verbs are HTTP methods
    assert_eq!(
        run(&["rbac", "who-can", "post", "/metrics", &d])
            .status
            .code(),
        Some(0)
    );
}
