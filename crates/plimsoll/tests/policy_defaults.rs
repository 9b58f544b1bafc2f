//! The defaults a ValidatingAdmissionPolicy sees, against the real API server: every
//! object of the fixtures under `tests/policy_defaults/` (each kind and field family in
//! its minimal and partly-specified forms) and of the repository's examples is sent to
//! the repository's kube-apiserver, twice:
//!
//! 1. with `kubectl create --dry-run=server -o json`, and the object the server returns
//!    is compared, field by field, with `plimsoll_policy::defaults::apply` of the object
//!    sent;
//! 2. under ValidatingAdmissionPolicies that check, at admission, that each top-level
//!    field of the object (and its labels, annotations, generation and finalizers) is
//!    the one `apply` gives, and that the object has no field `apply` does not give
//!    (but those the server assigns). This is what a policy sees; the response of (1)
//!    is the object decoded once more from its storage encoding, which differs where
//!    listed in `KNOWN`.
//!
//! Ignored, because the server assigns them and they cannot be known offline (`apply`
//! leaves them out):
//! * `metadata.uid`, `creationTimestamp`, `resourceVersion`, `managedFields`;
//! * a Service's allocated `spec.clusterIP` and `spec.clusterIPs` (when the object sent
//!   has no `clusterIP`), its ports' allocated `nodePort` and its
//!   `healthCheckNodePort` (when the object sent has none);
//! * values equal to the object's uid: the `controller-uid` labels of a Job's pod
//!   template (and of the Job, which shares its template's labels) and its generated
//!   selector (`spec.selector` is ignored when the object sent has none);
//! * a PersistentVolume's `status.lastPhaseTransitionTime` and the
//!   `lastTransitionTime` of a Pod's conditions (the time of the create).
//!
//! A namespaced object sent without `metadata.namespace` is in the namespace the server
//! put it in (kubectl's default), as the caller of `apply` knows the request's
//! namespace. Namespace objects are created under another name when the test created
//! that namespace for the other objects. The annotation of `kubectl apply` is removed
//! before sending (kubectl rewrites it). Objects of kinds the server does not serve
//! (custom resources without their CRDs, removed API versions), objects it rejects, and
//! Nodes (registered by kubelets) are left out.
//!
//! Every fixture must be accepted; every object compared must agree, in the response
//! but for the differences of `KNOWN`, and at admission.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::kube_env::{self, Cluster};
use common::repo_root;
use plimsoll_yaml::{Limits, parse_stream};
use serde_json::{Value, json};

/// The minor version of the test's API server.
const MINOR: u32 = 37;

/// Differences of the response that are understood: (apiVersion and kind, JSON
/// pointer, reason). The object the API server returns is decoded once more from its
/// storage encoding, with the defaults: where `PrepareForCreate` clears or adds what a
/// default reads, the response differs from the object validating admission saw, which
/// `apply` gives (and which the policies check).
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "batch/v1 Job",
        "/metadata/labels",
        "a Job without labels gets its pod template's labels by default; at admission the template has the labels it was sent with (none), the job-name labels that PrepareForCreate adds appear only in the response's second decoding",
    ),
    (
        "v1 PersistentVolumeClaim",
        "/status/phase",
        "PrepareForCreate clears the status that the defaults set (phase Pending); the response's second decoding sets it again",
    ),
    (
        "v1 PersistentVolume",
        "/status/lastPhaseTransitionTime",
        "the time of the create, which the server assigns",
    ),
];

struct Obj {
    id: String,
    fixture: bool,
    value: Value,
}

/// Every object of the YAML files of a directory (not recursive).
fn objects_of(dir: &Path, prefix: &str, fixture: bool, out: &mut Vec<Obj>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .filter(|p| !p.to_string_lossy().ends_with(".plimsoll.yaml"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let file = format!("{prefix}/{}", f.file_name().unwrap().to_string_lossy());
        for d in parse_stream(&text, Limits::default()).documents {
            let Some(root) = d.root else { continue };
            let v = root.to_json();
            let items = if v["kind"] == "List" {
                v["items"].as_array().cloned().unwrap_or_default()
            } else {
                vec![v]
            };
            for v in items {
                let (Some(kind), Some(name)) = (
                    v["kind"].as_str(),
                    v.pointer("/metadata/name").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if v.get("apiVersion").is_none() || kind == "Kustomization" {
                    continue;
                }
                let ns = v
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                out.push(Obj {
                    id: format!("{file}#{kind}/{ns}{name}"),
                    fixture,
                    value: v,
                });
            }
        }
    }
}

/// Removes from the server's object what the server assigns (see the module's doc).
fn strip_server_assigned(server: &mut Value, sent: &Value) {
    let uid = server
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(m) = server.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "uid",
            "creationTimestamp",
            "resourceVersion",
            "managedFields",
        ] {
            m.remove(k);
        }
    }
    if server["kind"] == "Service" && server["apiVersion"] == "v1" {
        let spec = server["spec"].as_object_mut();
        if let Some(spec) = spec {
            if sent.pointer("/spec/clusterIP").is_none()
                && spec.get("clusterIP") != Some(&json!("None"))
            {
                spec.remove("clusterIP");
                spec.remove("clusterIPs");
            }
            if sent.pointer("/spec/healthCheckNodePort").is_none() {
                spec.remove("healthCheckNodePort");
            }
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for (i, p) in ports.iter_mut().enumerate() {
                    let given = sent.pointer(&format!("/spec/ports/{i}/nodePort")).is_some();
                    if !given && let Some(p) = p.as_object_mut() {
                        p.remove("nodePort");
                    }
                }
            }
        }
    }
    if server["kind"] == "Pod"
        && let Some(conditions) = server
            .pointer_mut("/status/conditions")
            .and_then(Value::as_array_mut)
    {
        for c in conditions.iter_mut().filter_map(Value::as_object_mut) {
            c.remove("lastTransitionTime");
        }
    }
    if !uid.is_empty() {
        remove_value(server, &uid);
        if sent.pointer("/spec/selector").is_none()
            && let Some(spec) = server.get_mut("spec").and_then(Value::as_object_mut)
            && spec.get("selector").is_some_and(|s| {
                s.as_object().is_some_and(|o| {
                    o.values()
                        .all(|v| v.as_object().is_some_and(|m| m.is_empty()))
                })
            })
        {
            spec.remove("selector");
        }
    }
}

/// Removes every map entry whose value is the string `x`.
fn remove_value(v: &mut Value, x: &str) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| v.as_str() != Some(x));
            for v in m.values_mut() {
                remove_value(v, x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| remove_value(v, x)),
        _ => {}
    }
}

/// The JSON pointers where two values differ, with both values.
fn diff(want: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(x, y, &p, out),
                    (Some(x), None) => out.push(format!("{p}: server {x}, plimsoll absent")),
                    (None, Some(y)) => out.push(format!("{p}: server absent, plimsoll {y}")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, &format!("{path}/{i}"), out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        _ if want == got => {}
        _ => out.push(format!("{path}: server {want}, plimsoll {got}")),
    }
}

/// The annotation that names an object for the policies that check it at admission.
const VIEW_ID: &str = "plimsoll.dev/view-check";

/// A field whose value at admission a policy checks: `apply`'s value, or absent.
struct ViewCheck {
    sent: Value,
    /// `apply`'s whole object.
    whole: Value,
    pointer: String,
    value: Option<Value>,
}

/// The fields of `apply`'s object that a policy checks at admission: every top-level
/// field and the metadata that is not server-assigned, less what the server allocates
/// or derives from the uid (a Service's cluster IPs and node ports; a Job's selector,
/// template labels and the labels it shares with its template; a PersistentVolume's
/// transition time).
fn admission_view_checks(sent: &Value, mine: &Value) -> Vec<ViewCheck> {
    let kind = format!(
        "{} {}",
        mine["apiVersion"].as_str().unwrap_or(""),
        mine["kind"].as_str().unwrap_or("")
    );
    let mut pointers: Vec<String> = Vec::new();
    let top = mine.as_object().cloned().unwrap_or_default();
    for k in top.keys() {
        if !["apiVersion", "kind", "metadata"].contains(&k.as_str()) {
            pointers.push(format!("/{k}"));
        }
    }
    for k in ["labels", "annotations", "generation", "finalizers"] {
        pointers.push(format!("/metadata/{k}"));
    }
    let split = |pointers: &mut Vec<String>, at: &str, skip: &[&str]| {
        pointers.retain(|p| p != at);
        if let Some(m) = mine.pointer(at).and_then(Value::as_object) {
            for k in m.keys() {
                if !skip.contains(&k.as_str()) {
                    pointers.push(format!("{at}/{k}"));
                }
            }
        }
        for k in skip {
            pointers.retain(|p| *p != format!("{at}/{k}"));
        }
    };
    match kind.as_str() {
        "v1 Service" => {
            let allocated = sent.pointer("/spec/clusterIP").is_none();
            let mut skip = vec!["healthCheckNodePort", "ports"];
            if allocated {
                skip.extend(["clusterIP", "clusterIPs"]);
            }
            split(&mut pointers, "/spec", &skip);
            if let Some(ports) = mine.pointer("/spec/ports").and_then(Value::as_array) {
                for (i, p) in ports.iter().enumerate() {
                    for k in p.as_object().into_iter().flatten().map(|(k, _)| k) {
                        pointers.push(format!("/spec/ports/{i}/{k}"));
                    }
                }
            }
        }
        "batch/v1 Job" => {
            split(&mut pointers, "/spec", &["selector", "template"]);
            pointers.push("/spec/template/spec".into());
            if mine.pointer("/metadata/labels").is_some() {
                pointers.retain(|p| p != "/metadata/labels");
            }
        }
        "v1 PersistentVolume" => pointers.retain(|p| p != "/status"),
        "v1 Pod" => {
            split(&mut pointers, "/status", &["conditions"]);
            if let Some(conditions) = mine.pointer("/status/conditions").and_then(Value::as_array) {
                for (i, c) in conditions.iter().enumerate() {
                    for k in c.as_object().into_iter().flatten().map(|(k, _)| k) {
                        pointers.push(format!("/status/conditions/{i}/{k}"));
                    }
                }
            }
        }
        _ => {}
    }
    pointers
        .into_iter()
        .map(|p| ViewCheck {
            sent: sent.clone(),
            whole: mine.clone(),
            value: mine.pointer(&p).cloned(),
            pointer: p,
        })
        .collect()
}

/// A JSON value as a CEL literal.
fn cel_literal(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut out = String::from("'");
            for ch in s.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        // literals are homogeneous in the Kubernetes CEL environment: `dyn` elements
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|v| format!("dyn({})", cel_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: dyn({})", cel_literal(&json!(k)), cel_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Sends every compared object again, under ValidatingAdmissionPolicies that check at
/// admission each field of `admission_view_checks`: it has `apply`'s value, or is
/// absent where `apply` leaves it out. Returns the number of fields checked.
fn check_admission_view(c: &Cluster, checks: &[ViewCheck]) -> usize {
    // per object: the conjunction of its checks
    let mut by_object: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for ch in checks {
        let name = ch
            .sent
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let ns = ch
            .sent
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = ch.sent["kind"].as_str().unwrap_or("");
        let id = ch.sent["metadata"]["annotations"][VIEW_ID]
            .as_str()
            .unwrap_or("");
        let this = format!(
            "object.metadata.?annotations[{}].orValue('') == {}",
            cel_literal(&json!(VIEW_ID)),
            cel_literal(&json!(id))
        );
        let segments: Vec<String> = ch.pointer[1..]
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let (last, parents) = segments.split_last().expect("a pointer");
        let mut parent = "object".to_string();
        let mut at = &ch.whole;
        for s in parents {
            // list items by their index
            match at
                .get(s.as_str())
                .or_else(|| s.parse::<usize>().ok().and_then(|i| at.get(i)))
            {
                Some(next) if at.is_array() => {
                    parent.push_str(&format!("[{s}]"));
                    at = next;
                }
                Some(next) => {
                    parent.push_str(&format!("[{}]", cel_literal(&json!(s))));
                    at = next;
                }
                None => parent.push_str(&format!("[{}]", cel_literal(&json!(s)))),
            }
        }
        let check = match &ch.value {
            None => format!("!({} in {parent})", cel_literal(&json!(last))),
            Some(v) => format!(
                "({} in {parent} && {parent}[{}] == {})",
                cel_literal(&json!(last)),
                cel_literal(&json!(last)),
                cel_literal(v)
            ),
        };
        let entry = by_object
            .entry(format!("{kind} {ns}/{name} ({id})"))
            .or_insert_with(|| (this, Vec::new()));
        entry.1.push(check);
    }
    // and nothing more: the object's top-level fields and metadata are `apply`'s, with
    // what the server assigns
    let mut seen_ids = BTreeSet::new();
    for ch in checks {
        let id = ch.sent["metadata"]["annotations"][VIEW_ID]
            .as_str()
            .unwrap_or("");
        if !seen_ids.insert(id.to_string()) {
            continue;
        }
        let keys = |v: &Value, extra: &[&str]| {
            let mut k: Vec<Value> = v
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| json!(k))
                .collect();
            k.extend(extra.iter().map(|e| json!(e)));
            cel_literal(&Value::Array(k))
        };
        let top = keys(&ch.whole, &[]);
        let meta = keys(
            &ch.whole["metadata"],
            &[
                "uid",
                "creationTimestamp",
                "resourceVersion",
                "managedFields",
            ],
        );
        let check = format!("object.all(k, k in {top}) && object.metadata.all(k, k in {meta})");
        if let Some(entry) = by_object
            .values_mut()
            .find(|(this, _)| this.ends_with(&format!("== {}", cel_literal(&json!(id)))))
        {
            entry.1.push(check);
        }
    }
    let objects: Vec<(String, (String, Vec<String>))> = by_object.into_iter().collect();
    let mut policies = Vec::new();
    for (n, chunk) in objects.chunks(40).enumerate() {
        let name = format!("pd-admission-view-{n}");
        let mut validations = vec![json!({
            "expression": format!("!('{name}' in object.metadata.?labels.orValue({{}}))"),
            "message": format!("probe {name}"),
        })];
        for (id, (this, checks)) in chunk {
            validations.push(json!({
                "expression": format!("!({this}) || ({})", checks.join(" && ")),
                "message": format!("{id} at admission is not plimsoll's"),
            }));
        }
        let policy = json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {"resourceRules": [{
                    "apiGroups": ["*"], "apiVersions": ["*"], "operations": ["CREATE"], "resources": ["*"],
                }]},
                "validations": validations,
            },
        });
        let binding = json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": name, "validationActions": ["Deny"]},
        });
        for o in [&policy, &binding] {
            c.kubectl_stdin(&["create", "-f", "-"], &o.to_string());
        }
        policies.push(name);
    }
    // each policy is in force once it denies its probe
    for name in &policies {
        let probe = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "pd-probe", "namespace": "pd", "labels": {name.as_str(): "x"}},
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let out = c.kubectl_input(
                &["create", "--dry-run=server", "-f", "-"],
                &probe.to_string(),
            );
            if !out.status.success()
                && String::from_utf8_lossy(&out.stderr).contains(&format!("probe {name}"))
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the policy {name} is not in force after 60 s: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
    let mut seen = BTreeSet::new();
    let mut denied = Vec::new();
    for ch in checks {
        let text = ch.sent.to_string();
        if !seen.insert(text.clone()) {
            continue;
        }
        let out = c.kubectl_input(&["create", "--dry-run=server", "-f", "-"], &text);
        if !out.status.success() {
            denied.push(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
    }
    for name in &policies {
        c.kubectl(&[
            "delete",
            "validatingadmissionpolicybinding,validatingadmissionpolicy",
            name,
        ]);
    }
    assert!(
        denied.is_empty(),
        "at admission, objects differ from plimsoll's: {denied:#?}"
    );
    checks.len()
}

#[test]
fn defaults_agree_with_the_api_server() {
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let Some(bin) = kube_env::binaries() else {
        return;
    };
    let root = repo_root();
    let mut objects = Vec::new();
    objects_of(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policy_defaults"),
        "policy_defaults",
        true,
        &mut objects,
    );
    let fixtures = objects.len();
    for ex in [
        "production",
        "naive",
        "production-stack",
        "upgrade",
        "kustomize/base",
        "policies",
    ] {
        objects_of(
            &root.join("examples").join(ex),
            &format!("examples/{ex}"),
            false,
            &mut objects,
        );
    }
    assert!(fixtures >= 85, "too few fixtures: {fixtures}");

    let c = Cluster::start(bin, &tools.kubectl, &[]);
    let mut namespaces: BTreeSet<String> = objects
        .iter()
        .filter_map(|o| {
            o.value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
        })
        .map(str::to_string)
        .collect();
    namespaces.insert("pd".into());
    for ns in &namespaces {
        let _ = c.kubectl_as(kube_env::ADMIN, &["create", "namespace", ns]);
    }

    // the differences; the objects left out
    // per kind: (compared, agree exactly, differ only as `KNOWN` says)
    let mut per_kind: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut left_out = Vec::new();
    let mut fixture_rejected = Vec::new();
    let mut compared = 0;
    let mut agree = 0;
    let mut explained = 0;
    let mut view_checks = Vec::new();
    for o in &objects {
        let mut sent = o.value.clone();
        if sent["kind"] == "Node" && sent["apiVersion"] == "v1" {
            left_out.push(format!(
                "{}: Nodes are registered by kubelets; their status is not modeled",
                o.id
            ));
            continue;
        }
        // kubectl rewrites the annotation of `kubectl apply` when it is there
        if let Some(a) = sent
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            if a.is_empty() {
                sent["metadata"]
                    .as_object_mut()
                    .expect("metadata")
                    .remove("annotations");
            }
        }
        if sent["kind"] == "Namespace" && sent["apiVersion"] == "v1" {
            let name = sent["metadata"]["name"].as_str().unwrap_or("").to_string();
            if namespaces.contains(&name) {
                sent["metadata"]["name"] = json!(format!("{name}-pd"));
            }
        }
        let out = c.kubectl_input(
            &["create", "--dry-run=server", "-o", "json", "-f", "-"],
            &serde_json::to_string(&sent).unwrap(),
        );
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
            if o.fixture {
                fixture_rejected.push(format!("{}: {err}", o.id));
            } else {
                left_out.push(format!("{}: {err}", o.id));
            }
            continue;
        }
        let mut server: Value = serde_json::from_slice(&out.stdout).expect("kubectl JSON");
        strip_server_assigned(&mut server, &sent);
        // the request's namespace, as kubectl placed it
        if sent.pointer("/metadata/namespace").is_none()
            && let Some(ns) = server.pointer("/metadata/namespace").cloned()
        {
            sent["metadata"]["namespace"] = ns;
        }
        let mut mine = sent.clone();
        plimsoll_policy::defaults::apply(&mut mine, MINOR);
        let mut differences = Vec::new();
        diff(&server, &mine, "", &mut differences);
        let kind = format!(
            "{} {}",
            o.value["apiVersion"].as_str().unwrap_or("?"),
            o.value["kind"].as_str().unwrap_or("?")
        );
        let cell = per_kind.entry(kind.clone()).or_default();
        cell.0 += 1;
        compared += 1;
        let mut unknown = Vec::new();
        for d in &differences {
            let known = KNOWN
                .iter()
                .any(|(k, p, _)| *k == kind && d.starts_with(&format!("{p}:")));
            if !known {
                unknown.push(d.clone());
            }
        }
        // the policies know the object by an annotation of its own (objects of the
        // same kind and name come from several files)
        let mut tagged = sent.clone();
        let id = format!("{}", view_checks.len() + 1_000_000 * compared);
        tagged["metadata"]
            .as_object_mut()
            .expect("metadata")
            .entry("annotations")
            .or_insert_with(|| json!({}))[VIEW_ID] = json!(id);
        let mut tagged_mine = tagged.clone();
        plimsoll_policy::defaults::apply(&mut tagged_mine, MINOR);
        view_checks.extend(admission_view_checks(&tagged, &tagged_mine));
        if differences.is_empty() {
            cell.1 += 1;
            agree += 1;
        } else {
            if unknown.is_empty() {
                explained += 1;
                cell.2 += 1;
            }
            eprintln!("DIFF {}:", o.id);
            for d in &differences {
                eprintln!("  {d}");
            }
        }
        if !unknown.is_empty() {
            unexplained.push(o.id.clone());
        }
    }
    for l in &left_out {
        eprintln!("left out (not served or rejected): {l}");
    }
    eprintln!("per kind: compared, agree exactly, differ only where the response is decoded again");
    for (k, (n, a, e)) in &per_kind {
        eprintln!("  {k:<58} {n:>4} {a:>4} {e:>4}");
    }
    let verified = check_admission_view(&c, &view_checks);
    eprintln!(
        "policy defaults differential: {} objects ({fixtures} fixtures), {compared} compared, {} left out; {agree} agree exactly, {explained} differ only where the response is decoded again; {verified} fields checked at admission by policies; agreement {:.2}%",
        objects.len(),
        left_out.len(),
        100.0 * (agree + explained) as f64 / compared.max(1) as f64
    );
    assert!(
        fixture_rejected.is_empty(),
        "fixtures the API server rejects: {fixture_rejected:#?}"
    );
    assert!(
        unexplained.is_empty(),
        "objects whose defaults differ from the API server's: {unexplained:#?}"
    );
}
