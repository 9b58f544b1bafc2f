//! Schema validation (the SPEC rules) against the real API server: every object of the
//! examples, of the rule fixtures and a set of mutated objects (unknown fields, wrong
//! types, missing required fields, bad quantities and enums) is sent to the repository's
//! kube-apiserver with `kubectl apply --dry-run=server --validate=strict`, and the
//! verdicts are compared object by object: plimsoll rejects an object when SPEC001-004
//! report anything; the API server rejects it for a schema reason when its answer is a
//! decoding error (`strict decoding error`, `cannot unmarshal`, quantities, base64) or
//! names a field `Required value` / `Unsupported value`. Its other rejections (names,
//! label syntax, cross-field rules) are hand-written validation that no schema
//! expresses, and count as "schema-valid". Objects of kinds the server does not serve
//! (`no matches for kind`) are left out. Custom resources are checked with the CRDs of
//! their own fixture file, created for real before and deleted after.
//!
//! At least 99% of the compared objects must agree, and every object that does not is
//! listed in `KNOWN` with the reason.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::kube_env::{self, Cluster};
use common::repo_root;
use plimsoll_yaml::{Limits, parse_stream};
use serde_json::Value;

/// Differences that are understood: (object id, reason). All of them are objects that
/// the API server rejects by hand-written validation that no OpenAPI schema expresses
/// (and that schema validators such as kubeconform do not see either).
const KNOWN: &[(&str, &str)] = &[
    (
        "fixtures/avl/AVL002.yaml#ReplicationController/dc-a-1",
        "hand-written validation, not in the schema: ownerReferences[0].uid is present but empty; the server requires it non-empty",
    ),
    (
        "fixtures/avl/AVL007.yaml#DaemonSet/bad-daemonset-unavailable-zero",
        "hand-written validation, not in the schema: maxUnavailable cannot be 0 when maxSurge is 0 (a rule across two fields)",
    ),
    (
        "fixtures/avl/AVL014.yaml#Pod/bad-duplicate-pair",
        "hand-written validation, not in the schema: two topology spread constraints with the same topologyKey and whenUnsatisfiable",
    ),
    (
        "fixtures/avl/AVL016.yaml#Deployment/bad-empty-containers",
        "hand-written validation, not in the schema: containers is present but empty; the server requires at least one",
    ),
    (
        "fixtures/avl/AVL016.yaml#Deployment/bad-template-without-spec",
        "hand-written validation, not in the schema: a pod template without spec: the schema does not require template.spec",
    ),
    (
        "fixtures/job/JOB005.yaml#CronJob/bad-cron-missing",
        "hand-written validation, not in the schema: a Job's pod template must set restartPolicy OnFailure or Never",
    ),
    (
        "fixtures/job/JOB005.yaml#Job/bad-always",
        "hand-written validation, not in the schema: a Job's pod template must set restartPolicy OnFailure or Never",
    ),
    (
        "fixtures/job/JOB005.yaml#Job/bad-missing",
        "hand-written validation, not in the schema: a Job's pod template must set restartPolicy OnFailure or Never",
    ),
    (
        "fixtures/net/NET110.yaml#DaemonSet/bad-host-port-conflict",
        "hand-written validation, not in the schema: two containers use the same hostPort",
    ),
    (
        "fixtures/net/NET110.yaml#Deployment/bad-duplicate-name",
        "hand-written validation, not in the schema: two ports of a container share a name",
    ),
    (
        "fixtures/rbac/RBAC010.yaml#ClusterRoleBinding/bad-cluster-binding-to-role",
        "hand-written validation, not in the schema: roleRef.kind of a ClusterRoleBinding must be ClusterRole (no enum in the schema)",
    ),
    (
        "fixtures/rbac/RBAC010.yaml#ClusterRoleBinding/bad-crb-to-role",
        "hand-written validation, not in the schema: roleRef.kind of a ClusterRoleBinding must be ClusterRole (no enum in the schema)",
    ),
    (
        "fixtures/rbac/RBAC010.yaml#RoleBinding/bad-roleref-kind",
        "hand-written validation, not in the schema: roleRef.kind must be Role or ClusterRole (no enum in the schema)",
    ),
    (
        "fixtures/res/RES011.yaml#Pod/good-quantities",
        "hand-written validation, not in the schema: requests above limits, and limits required for extended resources",
    ),
    (
        "fixtures/scr/SCR001.yaml#Secret/bad-string-data",
        "hand-written validation, not in the schema: a kubernetes.io/tls Secret must have data[tls.crt]",
    ),
    (
        "fixtures/avl/AVL014.yaml#Deployment/bad-max-skew",
        "both reject: maxSkew is missing, which plimsoll reports as Required value; the server decodes it to 0 and rejects it as Invalid value: 0, which this test does not count as a schema reason",
    ),
    (
        "fixtures/avl/AVL016.yaml#Pod/bad-containers-null",
        "hand-written validation, not in the schema: containers: null decodes to an empty list, which the server rejects (Required value)",
    ),
];

/// Per object: (plimsoll rejects, the server's verdict, plimsoll's findings, kubectl's
/// messages).
type Verdicts = BTreeMap<String, (bool, Option<bool>, Vec<String>, Vec<String>)>;

struct Obj {
    id: String,
    value: Value,
}

/// Every object of the YAML files of a directory, one group per file.
fn groups_of(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<Obj>)>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| !p.to_string_lossy().ends_with(".plimsoll.yaml"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = format!("{prefix}/{}", f.file_name().unwrap().to_string_lossy());
        let mut objs = Vec::new();
        for d in parse_stream(&text, Limits::default()).documents {
            let Some(root) = d.root else { continue };
            let v = root.to_json();
            if v.get("apiVersion").is_none() || v.get("kind").is_none() {
                continue;
            }
            if v["kind"] == "List" {
                continue;
            }
            // `kubectl apply` needs a name
            let Some(n) = v.pointer("/metadata/name").and_then(Value::as_str) else {
                continue;
            };
            objs.push(Obj {
                id: format!("{name}#{}/{n}", v["kind"].as_str().unwrap_or("?")),
                value: v,
            });
        }
        if !objs.is_empty() {
            out.push((name, objs));
        }
    }
}

/// The mutations of one object: (what, mutated object).
fn mutations(v: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let pod = if v.pointer("/spec/template/spec").is_some() {
        "/spec/template/spec"
    } else if v["kind"] == "Pod" {
        "/spec"
    } else {
        return out;
    };
    let c0 = format!("{pod}/containers/0");
    if v.pointer(&c0).is_none() {
        return out;
    }
    let mut m = v.clone();
    if let Some(c) = m.pointer_mut(&c0).and_then(Value::as_object_mut) {
        let r = c.remove("resources").unwrap_or(serde_json::json!({}));
        c.insert("resource".into(), r);
        out.push(("unknown field resource", m));
    }
    let mut m = v.clone();
    if let Some(c) = m.pointer_mut(&c0).and_then(Value::as_object_mut) {
        c.insert("image".into(), serde_json::json!(1.5));
        out.push(("image a number", m));
    }
    let mut m = v.clone();
    if let Some(c) = m.pointer_mut(&c0).and_then(Value::as_object_mut) {
        c.remove("name");
        out.push(("container without name", m));
    }
    let mut m = v.clone();
    if let Some(c) = m.pointer_mut(&c0).and_then(Value::as_object_mut) {
        c.insert(
            "resources".into(),
            serde_json::json!({"limits": {"memory": "1GB"}}),
        );
        out.push(("memory 1GB", m));
    }
    let mut m = v.clone();
    if let Some(c) = m.pointer_mut(&c0).and_then(Value::as_object_mut) {
        c.insert("imagePullPolicy".into(), serde_json::json!("always"));
        out.push(("imagePullPolicy always", m));
    }
    if v.pointer("/spec/replicas").is_some() {
        let mut m = v.clone();
        m["spec"]["replicas"] = serde_json::json!("2");
        out.push(("replicas a string", m));
    }
    let mut m = v.clone();
    if let Some(p) = m.pointer_mut(pod).and_then(Value::as_object_mut) {
        p.insert("hostNetwork".into(), serde_json::json!("false"));
        out.push(("hostNetwork a string", m));
    }
    let mut m = v.clone();
    if let Some(p) = m.pointer_mut(pod).and_then(Value::as_object_mut) {
        p.insert("nodeselector".into(), serde_json::json!({"pool": "a"}));
        out.push(("unknown field nodeselector", m));
    }
    out
}

/// The server's verdict from kubectl's messages about one file: `None` left out,
/// `Some(true)` rejected for a schema reason.
fn server_verdict(messages: &[String]) -> Option<bool> {
    if messages.iter().any(|m| {
        m.contains("no matches for kind")
            || m.contains("resource mapping not found")
            || m.contains("the server could not find the requested resource")
    }) {
        return None;
    }
    const SCHEMA: &[&str] = &[
        "cannot be handled as",
        "strict decoding error",
        "unknown field",
        "cannot unmarshal",
        "Required value",
        "Unsupported value",
        "must be of type",
        "quantities must match",
        "illegal base64",
        "Duplicate value",
    ];
    Some(
        messages
            .iter()
            .any(|m| SCHEMA.iter().any(|s| m.contains(s))),
    )
}

#[test]
fn spec_rules_agree_with_the_api_server() {
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let Some(bin) = kube_env::binaries() else {
        return;
    };
    let root = repo_root();
    let mut groups = Vec::new();
    for ex in ["production", "naive"] {
        groups_of(
            &root.join("examples").join(ex),
            &format!("examples/{ex}"),
            &mut groups,
        );
    }
    let fixtures = root.join("crates/plimsoll_rules/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = format!("fixtures/{}", d.file_name().unwrap().to_string_lossy());
        groups_of(&d, &name, &mut groups);
    }
    // mutants of the examples' workloads
    let mut mutants = Vec::new();
    for (g, objs) in groups
        .iter()
        .filter(|(g, _)| g.starts_with("examples/production"))
    {
        for o in objs {
            for (what, m) in mutations(&o.value) {
                mutants.push(Obj {
                    id: format!("mutant {what} of {}", o.id),
                    value: m,
                });
            }
        }
        let _ = g;
    }
    groups.push(("mutants".to_string(), mutants));

    let c = Cluster::start(bin, &tools.kubectl, &[]);
    let namespaces: BTreeSet<String> = groups
        .iter()
        .flat_map(|(_, o)| o.iter())
        .filter_map(|o| {
            o.value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
        })
        .map(str::to_string)
        .collect();
    for ns in &namespaces {
        let _ = c.kubectl_as(kube_env::ADMIN, &["create", "namespace", ns]);
    }

    let work = tempfile::tempdir().unwrap();
    let mut verdicts: Verdicts = BTreeMap::new();
    for (gi, (_, objs)) in groups.iter().enumerate() {
        let dir = work.path().join(format!("g{gi}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = Vec::new();
        let mut crds = Vec::new();
        for (i, o) in objs.iter().enumerate() {
            let f = dir.join(format!("o{i:04}.json"));
            std::fs::write(&f, serde_json::to_string_pretty(&o.value).unwrap()).unwrap();
            if o.value["kind"] == "CustomResourceDefinition" {
                crds.push(f.clone());
            }
            files.push(f);
        }
        // the CRDs of the file, for real, so that their resources can be judged
        for f in &crds {
            let _ = c.kubectl_as(kube_env::ADMIN, &["apply", "-f", &f.to_string_lossy()]);
        }
        for f in &crds {
            let _ = c.kubectl_as(
                kube_env::ADMIN,
                &[
                    "wait",
                    "--for=condition=Established",
                    "--timeout=30s",
                    "-f",
                    &f.to_string_lossy(),
                ],
            );
        }
        let out = c.kubectl_as(
            kube_env::ADMIN,
            &[
                "apply",
                "--dry-run=server",
                "--validate=strict",
                "-f",
                &dir.to_string_lossy(),
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let plimsoll = common::run(&[
            "check",
            &dir.to_string_lossy(),
            "--select",
            "SPEC001,SPEC002,SPEC003,SPEC004",
            "--format",
            "json",
            "--fail-on",
            "never",
        ]);
        let report: Value = serde_json::from_slice(&plimsoll.stdout).expect("plimsoll JSON");
        for (i, o) in objs.iter().enumerate() {
            let f = files[i].to_string_lossy().to_string();
            let fname = files[i].file_name().unwrap().to_string_lossy().to_string();
            let messages: Vec<String> = stderr
                .lines()
                .filter(|l| l.contains(&format!("\"{f}\"")) || l.contains(&format!("{f}\"")))
                .map(str::to_string)
                .collect();
            let found: Vec<String> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| {
                    x["location"]["file"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(&fname))
                })
                .map(|x| {
                    format!(
                        "{} {}",
                        x["code"].as_str().unwrap(),
                        x["message"].as_str().unwrap()
                    )
                })
                .collect();
            let server = server_verdict(&messages);
            verdicts.insert(o.id.clone(), (!found.is_empty(), server, found, messages));
        }
        for f in &crds {
            let _ = c.kubectl_as(
                kube_env::ADMIN,
                &[
                    "delete",
                    "--wait=true",
                    "--timeout=60s",
                    "-f",
                    &f.to_string_lossy(),
                ],
            );
        }
    }

    let compared: Vec<_> = verdicts.iter().filter(|(_, v)| v.1.is_some()).collect();
    let rejected = compared.iter().filter(|(_, v)| v.1 == Some(true)).count();
    let differ: Vec<_> = compared.iter().filter(|(_, v)| Some(v.0) != v.1).collect();
    let mut unexplained = Vec::new();
    for (id, (p, _, found, messages)) in &differ {
        let known = KNOWN.iter().find(|(k, _)| k == id);
        eprintln!(
            "DIFF {id}: plimsoll {} / server {}{}\n  plimsoll: {found:?}\n  server: {messages:?}",
            if *p { "rejects" } else { "accepts" },
            if *p { "accepts" } else { "rejects" },
            known
                .map(|(_, r)| format!(" (known: {r})"))
                .unwrap_or_default()
        );
        if known.is_none() {
            unexplained.push(id.to_string());
        }
    }
    let agree = compared.len() - differ.len();
    eprintln!(
        "schema differential: {} objects, {} compared ({} rejected by the server for a schema reason), {} left out (kind not served), {agree} agree ({:.2}%), {} differ",
        verdicts.len(),
        compared.len(),
        rejected,
        verdicts.len() - compared.len(),
        100.0 * agree as f64 / compared.len() as f64,
        differ.len()
    );
    assert!(
        compared.len() >= 300,
        "too few objects compared: {}",
        compared.len()
    );
    assert!(rejected >= 40, "too few rejections to judge: {rejected}");
    // every object agrees but those the server rejects by hand-written validation
    // alone (KNOWN): at least 99% of the others agree, and at least 98% of all
    let known = differ.len() - unexplained.len();
    let schema_compared = compared.len() - known;
    eprintln!(
        "without the {known} objects rejected by hand-written validation only: {agree} of {schema_compared} agree ({:.2}%)",
        100.0 * agree as f64 / schema_compared as f64
    );
    assert!(
        agree * 100 >= schema_compared * 99,
        "agreement below 99%: {agree} of {schema_compared}"
    );
    assert!(
        agree * 100 >= compared.len() * 98,
        "agreement below 98% of all compared objects: {agree} of {}",
        compared.len()
    );
    assert!(
        unexplained.is_empty(),
        "differences without a reason: {unexplained:#?}"
    );
}
