//! Schema validation (the SPEC rules) against the real API server: every object of the
//! examples, of the rule fixtures and a set of mutated objects (unknown fields, wrong
//! types, missing required fields, bad quantities and enums) is sent to the repository's
//! kube-apiserver with `kubectl apply --dry-run=server --validate=strict`, and the
//! verdicts are compared object by object.
//!
//! plimsoll rejects an object when a SPEC rule reports it, or when a rule that models
//! the API server's own (hand-written) validation of the object says that the API
//! server rejects it (a Job's restartPolicy, an empty containers list, port names,
//! roleRef kinds: `rejected_by_rule`). The API server rejects it when kubectl reports
//! an error; for a schema reason when the error is a decoding error (`strict decoding
//! error`, `cannot unmarshal`, quantities, base64) or names a field `Required value` /
//! `Unsupported value` / `Duplicate value`. The verdicts agree when both accept, when
//! both reject, or when the server rejects by hand-written validation alone (names,
//! label syntax, rules across fields) that plimsoll does not model and plimsoll
//! accepts: such an object is schema-valid. Objects of kinds the server does not serve
//! (`no matches for kind`) are left out. Custom resources are checked with the CRDs of
//! their own fixture file, created for real before and deleted after.
//!
//! At least 99% of the compared objects must agree, and every object that does not is
//! listed in `KNOWN` with the reason. Where both reject through a SPEC rule and the
//! server names a field (not so for a quantity or base64 text that does not decode), at
//! least 99% must name the same field (Go's decoding errors name it without list
//! indexes and map keys).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::kube_env::{self, Cluster};
use common::repo_root;
use plimsoll_yaml::{Limits, parse_stream};
use serde_json::Value;

/// Differences that are understood: (object id, reason).
const KNOWN: &[(&str, &str)] = &[
    (
        "fixtures/avl/AVL002.yaml#ReplicationController/dc-a-1",
        "the schema requires ownerReferences[0].uid, which this ReplicationController lacks; it is the copy of a DeploymentConfig in the same input, and plimsoll judges such copies through their owner (a controller's copies in a cluster dump or a trimmed snapshot), so the SPEC rules do not read it",
    ),
    (
        "fixtures/scr/SCR001.yaml#Secret/bad-string-data",
        "hand-written validation, not in the schema: a kubernetes.io/tls Secret must have data[tls.crt] (the fixture holds a key in stringData only)",
    ),
    (
        "fixtures/sec/SEC002.yaml#ClusterRoleBinding/reporter-without-namespace",
        "hand-written validation, not in the schema: a ServiceAccount subject of a ClusterRoleBinding must name its namespace (the fixture is a binding that matches nothing)",
    ),
];

/// plimsoll's verdict on an object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mine {
    Accepts,
    /// A SPEC rule reports it.
    Schema,
    /// No SPEC rule does, but a rule that models the API server's own validation of
    /// the object does (`rejected_by_rule`).
    Rule,
}

/// The API server's verdict on an object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Accepts,
    /// Rejected for a schema reason (decoding, `Required value`, `Unsupported value`...).
    Schema,
    /// Rejected by hand-written validation only (`Invalid value`, `Forbidden`...).
    Other,
}

/// Whether the two verdicts agree: both accept; both reject; or the server rejects
/// by hand-written validation that plimsoll does not model, and plimsoll accepts
/// (such objects are schema-valid).
fn agree(mine: Mine, server: Server) -> bool {
    match (mine, server) {
        (Mine::Accepts, Server::Accepts | Server::Other) => true,
        (Mine::Accepts, Server::Schema) => false,
        (_, Server::Accepts) => false,
        _ => true,
    }
}

/// A finding of a rule, other than SPEC, that says the API server rejects the object
/// for what the object itself says (the rules that model the API server's
/// hand-written validation: a Job's restartPolicy, an empty containers list, port names,
/// topology spread constraints, roleRef kinds...). Not the REF rules: whether the
/// objects they look up exist is a fact of the cluster, and this test creates none.
fn rejected_by_rule(code: &str, message: &str) -> bool {
    !code.starts_with("SPEC")
        && !code.starts_with("REF")
        && (message.contains("API server reject") || message.contains("is rejected for Jobs"))
}

/// Per object: (plimsoll's verdict, the server's verdict, plimsoll's findings behind
/// its verdict, kubectl's messages, whether a field a SPEC rule names is one the server
/// names, where it names one).
type Verdicts = BTreeMap<String, (Mine, Option<Server>, Vec<String>, Vec<String>, Option<bool>)>;

/// A path in one spelling, without list indexes (Go's decoding errors name none):
/// `spec.template.spec.containers.resources.limits.memory` for the pointer
/// `/spec/template/spec/containers/0/resources/limits/memory` and the server's
/// `spec.template.spec.containers[0].resources.limits[memory]`.
fn canonical(text: &str) -> String {
    text.replace(['[', '/'], ".")
        .replace([']', '"'], "")
        .split('.')
        .filter(|s| !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether one of the fields a SPEC rule names (JSON pointers) is a field the server
/// names: `Some(false)` when it names others, `None` when it names none (a quantity or
/// base64 that does not decode: `cannot be handled as a Deployment: quantities must
/// match...`). Go's decoding errors name the field without indexes and map keys
/// (`Go struct field ConfigMap.data of type string` for `data.PORT`).
fn names_a_field(fields: &[String], messages: &[String]) -> Option<bool> {
    let mut named = Vec::new();
    let mut decoded = Vec::new();
    for m in messages {
        if let Some((_, rest)) = m.split_once("Go struct field ") {
            let field = rest.split(" of type").next().unwrap_or(rest);
            // the first segment is the Go type
            let field = field.split_once('.').map_or(field, |(_, f)| f);
            decoded.push(canonical(field));
        } else if m.contains("unknown field")
            || !(m.contains("cannot be handled as") || m.contains("illegal base64"))
        {
            named.push(canonical(m));
        }
    }
    if named.is_empty() && decoded.is_empty() {
        return None;
    }
    Some(fields.iter().map(|f| canonical(f)).any(|f| {
        !f.is_empty()
            && (named.iter().any(|m| m.contains(&f))
                || decoded
                    .iter()
                    .any(|d| f == *d || f.starts_with(&format!("{d}."))))
    }))
}

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

/// The server's verdict from kubectl's messages about one file: `None` left out.
fn server_verdict(messages: &[String]) -> Option<Server> {
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
    Some(if messages.is_empty() {
        Server::Accepts
    } else if messages
        .iter()
        .any(|m| SCHEMA.iter().any(|s| m.contains(s)))
    {
        Server::Schema
    } else {
        Server::Other
    })
}

/// kubectl's answer when a file set has a single invalid object names no file: `The
/// Deployment "api" is invalid: ...`, then one `* field: reason` line per cause (or the
/// cause on the same line). The object is known by its kind and name.
fn lone_error(stderr: &str, v: &Value) -> Option<String> {
    let kind = v["kind"].as_str()?;
    let name = v.pointer("/metadata/name")?.as_str()?;
    let mut lines = stderr.lines();
    while let Some(l) = lines.next() {
        let Some(rest) = l.strip_prefix("The ") else {
            continue;
        };
        let Some((k, tail)) = rest.split_once(' ') else {
            continue;
        };
        let k = k.split('.').next().unwrap_or(k);
        if k != kind || !tail.starts_with(&format!("\"{name}\" is invalid:")) {
            continue;
        }
        let mut message = l.to_string();
        for cause in lines.by_ref() {
            let Some(c) = cause.strip_prefix("* ") else {
                break;
            };
            message.push(' ');
            message.push_str(c);
        }
        return Some(message);
    }
    None
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
        // every rule: the SPEC rules, and those that model the API server's own
        // validation of an object (`rejected_by_rule`)
        let plimsoll = common::run(&[
            "check",
            &dir.to_string_lossy(),
            "--select",
            "all",
            "--format",
            "json",
            "--fail-on",
            "never",
        ]);
        let report: Value = serde_json::from_slice(&plimsoll.stdout).expect("plimsoll JSON");
        // the findings of each file (one object per file)
        let mut by_file: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
        for x in report["findings"].as_array().unwrap() {
            if let Some(f) = x["location"]["file"].as_str() {
                let name = f.rsplit(['/', '\\']).next().unwrap_or(f);
                by_file.entry(name).or_default().push(x);
            }
        }
        for (i, o) in objs.iter().enumerate() {
            let f = files[i].to_string_lossy().to_string();
            let fname = files[i].file_name().unwrap().to_string_lossy().to_string();
            let mut messages: Vec<String> = stderr
                .lines()
                .filter(|l| l.contains(&format!("\"{f}\"")) || l.contains(&format!("{f}\"")))
                .map(str::to_string)
                .collect();
            messages.extend(lone_error(&stderr, &o.value));
            let of_file = by_file.get(fname.as_str()).map_or(&[][..], Vec::as_slice);
            fn code(x: &Value) -> &str {
                x["code"].as_str().unwrap()
            }
            fn message(x: &Value) -> &str {
                x["message"].as_str().unwrap()
            }
            let spec = of_file.iter().any(|x| code(x).starts_with("SPEC"));
            let mine = if spec {
                Mine::Schema
            } else if of_file
                .iter()
                .any(|x| rejected_by_rule(code(x), message(x)))
            {
                Mine::Rule
            } else {
                Mine::Accepts
            };
            let found: Vec<String> = of_file
                .iter()
                .filter(|x| code(x).starts_with("SPEC") || rejected_by_rule(code(x), message(x)))
                .map(|x| format!("{} {}", code(x), message(x)))
                .collect();
            let server = server_verdict(&messages);
            // the fields the SPEC rules name, as JSON pointers
            let fields: Vec<String> = of_file
                .iter()
                .filter(|x| code(x).starts_with("SPEC"))
                .filter_map(|x| x["path"].as_str().map(str::to_string))
                .collect();
            let named = if mine == Mine::Schema {
                names_a_field(&fields, &messages)
            } else {
                None
            };
            verdicts.insert(o.id.clone(), (mine, server, found, messages, named));
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

    let compared: Vec<_> = verdicts
        .iter()
        .filter_map(|(id, v)| Some((id, v, v.1?)))
        .collect();
    let rejected = compared
        .iter()
        .filter(|(_, _, s)| *s == Server::Schema)
        .count();
    let mut cells: BTreeMap<String, usize> = BTreeMap::new();
    for (_, v, s) in &compared {
        *cells.entry(format!("{:?}/{s:?}", v.0)).or_default() += 1;
    }
    let differ: Vec<_> = compared
        .iter()
        .filter(|(_, v, s)| !agree(v.0, *s))
        .collect();
    let mut unexplained = Vec::new();
    for (id, (mine, _, found, messages, _), server) in &differ {
        let known = KNOWN.iter().find(|(k, _)| k == id);
        eprintln!(
            "DIFF {id}: plimsoll {mine:?} / server {server:?}{}\n  plimsoll: {found:?}\n  server: {messages:?}",
            known
                .map(|(_, r)| format!(" (known: {r})"))
                .unwrap_or_default()
        );
        if known.is_none() {
            unexplained.push(id.to_string());
        }
    }
    let agree = compared.len() - differ.len();
    // where both reject and a SPEC rule says why: does it name a field the server names?
    let both: Vec<_> = compared
        .iter()
        .filter(|(_, v, s)| v.0 == Mine::Schema && *s != Server::Accepts)
        .collect();
    let unnamed = both.iter().filter(|(_, v, _)| v.4.is_none()).count();
    let other_field: Vec<_> = both.iter().filter(|(_, v, _)| v.4 == Some(false)).collect();
    for (id, (_, _, found, messages, _), _) in &other_field {
        eprintln!("FIELD {id}\n  plimsoll: {found:?}\n  server: {messages:?}");
    }
    let with_field = both.len() - unnamed;
    eprintln!(
        "where both reject and a SPEC rule reports: the same field named for {} of the {with_field} where the server names one ({unnamed} where it names none)",
        with_field - other_field.len(),
    );
    eprintln!(
        "schema differential: {} objects, {} compared ({} rejected by the server for a schema reason), {} left out (kind not served), {agree} agree ({:.2}%), {} differ; plimsoll/server: {cells:?}",
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
    assert!(
        (with_field - other_field.len()) * 100 >= with_field * 99,
        "where both reject, plimsoll names another field than the server's too often: {} of {with_field}",
        other_field.len()
    );
    assert!(
        agree * 100 >= compared.len() * 99,
        "agreement below 99%: {agree} of {}",
        compared.len()
    );
    assert!(
        unexplained.is_empty(),
        "differences without a reason: {unexplained:#?}"
    );
}
