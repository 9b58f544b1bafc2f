//! ValidatingAdmissionPolicy evaluation (`plimsoll policy test`) against the real API
//! server: the corpus under `tests/policy/` is loaded into the repository's
//! kube-apiserver, every object is sent with `kubectl create --dry-run=server` as the
//! admin (user `admin`, groups `system:masters` and `system:authenticated`), and the
//! server's verdicts are compared with plimsoll's, object by object.
//!
//! The corpus:
//! * `policies/*.yaml`: policies and their bindings, grouped by theme. All of them must be
//!   accepted by the API server. `policies/sentinel.yaml` is created last: once it denies
//!   its sentinel object (a ConfigMap that no object of the corpus resembles), every
//!   policy and binding created before it is in force (each informer delivers its
//!   objects in order).
//! * `context/namespaces.yaml` and `context/params.yaml`: the namespaces (their labels
//!   feed namespaceSelector and namespaceObject) and the param objects.
//! * `objects/*.yaml`: the requests, every one a CREATE.
//! * `refused.yaml`: policies and bindings that the API server refuses to create. They
//!   never reach admission, so they are kept out of plimsoll's input; the test checks
//!   that the server still refuses each with the text of its annotation
//!   `policy-test/refused-because` (a policy that starts being accepted must move into
//!   `policies/`).
//!
//! plimsoll gets every file of `policies/` and `context/` as policy input and every file
//! of `objects/` as objects, and answers per object whether it is admitted, with all the
//! denials and warnings that apply. The API server returns only the first denial, so
//! the verdicts agree when: both admit or both deny; the server's denial is one of
//! plimsoll's; the warnings are equal as sets. Every difference must be listed in
//! `KNOWN` with its reason.
//!
//! The corpus checks itself on the server side: every policy is seen to deny or warn at
//! least once (first denial or warning), and spares at least one admitted object of a
//! resource it names, unless its annotation `policy-test/never-hits` says why it cannot.
//!
//! The server sees dry runs (`request.dryRun` is true), and names generated from
//! `generateName` at random: the corpus depends on neither (see `tests/policy/README.md`).
//!
//! Until the `policy test` command exists, the server side runs alone and the test says
//! so loudly.
//!
//! No kube-controller-manager runs, so the API server never writes a policy's
//! `status.typeChecking`: type checking is advisory and never changes a verdict, and the
//! test only prints the warnings if a status appears.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::kube_env::{self, Cluster};
use plimsoll_yaml::{Limits, parse_stream};
use serde_json::Value;

/// Differences that are understood: (object id as printed in the table, reason).
const KNOWN: &[(&str, &str)] = &[
    (
        "objects/misc-namespaced.yaml#HorizontalPodAutoscaler/team-c/c-hpa-v2-high",
        "matched through matchPolicy: Equivalent in autoscaling/v1: the API server converts the \
         autoscaling/v2 object to v1 before CEL sees it; plimsoll evaluates it as written",
    ),
    (
        "objects/misc-namespaced.yaml#HorizontalPodAutoscaler/team-c/c-hpa-v2-low",
        "matched through matchPolicy: Equivalent in autoscaling/v1: not converted (as above)",
    ),
    (
        "objects/misc-namespaced.yaml#Secret/team-c/c-secret-subresource",
        "`a && b` where both sides fail: cel-go reports the left error, the cel crate the \
         right one; the verdict is the same, the error text differs",
    ),
];

/// Policies and bindings the API server refuses to create that plimsoll does not yet
/// refuse, each with the reason.
const KNOWN_ACCEPTED: &[(&str, &str)] = &[];

/// One document of the corpus.
struct Doc {
    /// `objects/pods.yaml`, relative to the corpus.
    file: String,
    /// 1-based line of the document's first token.
    line: u32,
    value: Value,
}

impl Doc {
    fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or("?")
    }

    fn name(&self) -> String {
        let md = &self.value["metadata"];
        match md["name"].as_str() {
            Some(n) => n.to_string(),
            None => format!("{}*", md["generateName"].as_str().unwrap_or("?")),
        }
    }

    fn namespace(&self) -> &str {
        self.value["metadata"]["namespace"].as_str().unwrap_or("")
    }

    /// The id used in the table and in `KNOWN`: `objects/pods.yaml#Pod/team-a/web`
    /// (a generated name ends with `*`).
    fn id(&self) -> String {
        let ns = self.namespace();
        if ns.is_empty() {
            format!("{}#{}/{}", self.file, self.kind(), self.name())
        } else {
            format!("{}#{}/{ns}/{}", self.file, self.kind(), self.name())
        }
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.value["metadata"]["annotations"][key].as_str()
    }

    fn json(&self) -> String {
        serde_json::to_string(&self.value).expect("JSON")
    }
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policy")
}

/// The YAML files of a corpus directory, sorted.
fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn docs_of(path: &Path) -> Vec<Doc> {
    let text = std::fs::read_to_string(path).unwrap();
    let rel = path
        .strip_prefix(corpus())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    let stream = parse_stream(&text, Limits::default());
    stream
        .documents
        .into_iter()
        .filter_map(|d| {
            let v = d.root?.to_json();
            assert!(
                v.get("apiVersion").is_some() && v.get("kind").is_some(),
                "{rel}: a document without apiVersion/kind at line {}",
                d.start_line
            );
            Some(Doc {
                file: rel.clone(),
                line: d.start_line,
                value: v,
            })
        })
        .collect()
}

/// The API server's answer to one request.
#[derive(Clone, Debug, Default)]
struct Verdict {
    admitted: bool,
    /// `ValidatingAdmissionPolicy 'p' with binding 'b' denied request: ...`
    denial: Option<String>,
    /// `Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': ...`
    warnings: BTreeSet<String>,
    /// A refusal that did not come from a policy (a corpus error).
    other: Option<String>,
}

/// Reads kubectl's stderr for a `create --dry-run=server`.
fn verdict_of(out: &std::process::Output) -> Verdict {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut v = Verdict {
        admitted: out.status.success(),
        ..Verdict::default()
    };
    let mut rest = Vec::new();
    for line in stderr.lines() {
        if let Some(w) = line.strip_prefix("Warning: ") {
            if w.starts_with("Validation failed for ValidatingAdmissionPolicy '") {
                v.warnings.insert(w.trim().to_string());
            } else {
                eprintln!("  (other warning: {w})");
            }
        } else {
            rest.push(line);
        }
    }
    if !v.admitted {
        // `Error from server (Forbidden): error when creating "STDIN": pods "x" is
        // forbidden: ValidatingAdmissionPolicy ...` or, for reason Invalid, `The pods "x"
        // is invalid: : ValidatingAdmissionPolicy ...`
        let text = rest.join("\n");
        match text.find("ValidatingAdmissionPolicy '") {
            Some(i) => {
                let d = text[i..].lines().next().unwrap_or_default().trim();
                v.denial = Some(d.to_string());
            }
            None => v.other = Some(text.trim().to_string()),
        }
    }
    v
}

/// The policy a denial or warning names.
fn policy_of(message: &str) -> Option<&str> {
    let i = message.find("ValidatingAdmissionPolicy '")? + "ValidatingAdmissionPolicy '".len();
    let len = message[i..].find('\'')?;
    Some(&message[i..i + len])
}

/// The resource (plural) of a kind of the corpus.
fn plural(kind: &str) -> String {
    match kind {
        "Ingress" => "ingresses".into(),
        "NetworkPolicy" => "networkpolicies".into(),
        "PriorityClass" => "priorityclasses".into(),
        "StorageClass" => "storageclasses".into(),
        k => format!("{}s", k.to_lowercase()),
    }
}

/// Whether a policy's resourceRules name the resource of an object (loosely: any
/// group, version and operation).
fn names_resource(policy: &Value, kind: &str) -> bool {
    let plural = plural(kind);
    policy["spec"]["matchConstraints"]["resourceRules"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["resources"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .any(|r| r == "*" || r.split('/').next() == Some(plural.as_str()))
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

/// plimsoll's answer for one object.
#[derive(Debug)]
struct Mine {
    admitted: bool,
    denials: BTreeSet<String>,
    warnings: BTreeSet<String>,
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

#[test]
fn policy_verdicts_agree_with_the_api_server() {
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let Some(bin) = kube_env::binaries() else {
        return;
    };
    let mut failures: Vec<String> = Vec::new();

    // ---- the corpus
    let policy_files = yaml_files("policies");
    let context_files = yaml_files("context");
    let object_files = yaml_files("objects");
    let sentinel_file = corpus().join("policies/sentinel.yaml");
    let mut policy_docs: Vec<Doc> = Vec::new();
    for f in policy_files.iter().filter(|f| **f != sentinel_file) {
        policy_docs.extend(docs_of(f));
    }
    let sentinel_docs = docs_of(&sentinel_file);
    let refused_docs = docs_of(&corpus().join("refused.yaml"));
    let objects: Vec<Doc> = object_files.iter().flat_map(|f| docs_of(f)).collect();
    let policies: BTreeMap<String, &Value> = policy_docs
        .iter()
        .chain(&sentinel_docs)
        .filter(|d| d.kind() == "ValidatingAdmissionPolicy")
        .map(|d| (d.name(), &d.value))
        .collect();
    let bindings = policy_docs
        .iter()
        .filter(|d| d.kind() == "ValidatingAdmissionPolicyBinding")
        .count();
    assert!(
        policies.len() >= 60,
        "the corpus needs at least 60 policies"
    );
    // names are unique
    let mut seen = BTreeSet::new();
    for d in policy_docs
        .iter()
        .chain(&sentinel_docs)
        .chain(&refused_docs)
    {
        assert!(
            seen.insert((d.kind().to_string(), d.name())),
            "{} {} is defined twice",
            d.kind(),
            d.name()
        );
    }
    let mut seen = BTreeSet::new();
    for o in &objects {
        assert!(seen.insert(o.id()), "{} is defined twice", o.id());
    }
    println!(
        "corpus: {} policies, {bindings} bindings, {} refused policies/bindings, {} objects",
        policies.len(),
        refused_docs.len(),
        objects.len()
    );

    // ---- the cluster, its namespaces and params
    let c = Cluster::start(bin, &tools.kubectl, &[]);
    for f in &context_files {
        c.apply(&std::fs::read_to_string(f).unwrap());
    }

    // ---- what the API server refuses to create
    println!("\nrefused by the API server (kept out of plimsoll's input):");
    for d in &refused_docs {
        let because = d
            .annotation("policy-test/refused-because")
            .unwrap_or_else(|| panic!("{}: no policy-test/refused-because", d.id()));
        let out = c.kubectl_input(&["create", "-f", "-"], &d.json());
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if out.status.success() {
            failures.push(format!(
                "{} {} was accepted by the API server: move it to policies/",
                d.kind(),
                d.name()
            ));
            let _ = c.kubectl_as(
                kube_env::ADMIN,
                &["delete", &d.kind().to_lowercase(), &d.name()],
            );
        } else if !stderr.contains(because) {
            failures.push(format!(
                "{} {} was refused, but not with {because:?}: {stderr}",
                d.kind(),
                d.name()
            ));
        }
        println!("  {:<40} {}", d.name(), short(because, 90));
    }

    // ---- plimsoll refuses them too: `policy test` names each as refused (exit 2)
    let scratch = tempfile::tempdir().unwrap();
    let object_file = scratch.path().join("object.yaml");
    std::fs::write(
        &object_file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe, namespace: default}\n",
    )
    .unwrap();
    let mut accepted_by_plimsoll = Vec::new();
    for (i, d) in refused_docs.iter().enumerate() {
        let file = scratch.path().join(format!("refused-{i}.json"));
        std::fs::write(&file, d.json()).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
            .args(["policy", "test"])
            .arg(&file)
            .arg("--")
            .arg(&object_file)
            .output()
            .expect("run plimsoll");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let says = format!("the API server refuses to create {} {}", d.kind(), d.name());
        if out.status.code() != Some(2) || !stderr.contains(&says) {
            accepted_by_plimsoll.push(format!("{} {}: {}", d.kind(), d.name(), stderr.trim()));
        }
    }
    println!(
        "plimsoll refuses {} of the {} policies and bindings the API server refuses",
        refused_docs.len() - accepted_by_plimsoll.len(),
        refused_docs.len()
    );
    for a in &accepted_by_plimsoll {
        println!("  NOT REFUSED by plimsoll: {a}");
    }
    failures.extend(
        accepted_by_plimsoll
            .iter()
            .filter(|a| !KNOWN_ACCEPTED.iter().any(|(name, _)| a.contains(name)))
            .map(|a| format!("plimsoll does not refuse what the API server refuses: {a}")),
    );

    // ---- the policies and bindings, the sentinel last
    for d in policy_docs.iter().chain(&sentinel_docs) {
        let out = c.kubectl_input(&["create", "-f", "-"], &d.json());
        if !out.status.success() {
            failures.push(format!(
                "the API server refused {} {} ({}:{}): {}",
                d.kind(),
                d.name(),
                d.file,
                d.line,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "the corpus is not what the API server accepts:\n{}",
        failures.join("\n")
    );
    let sentinel = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "sentinel", "namespace": "team-c",
                     "labels": {"policy-test/sentinel": "true"}},
    })
    .to_string();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let out = c.kubectl_input(&["create", "--dry-run=server", "-f", "-"], &sentinel);
        let v = verdict_of(&out);
        if v.denial.as_deref().and_then(policy_of) == Some("sentinel") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sentinel policy is not in force after 90 s: {v:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // type checking (advisory) is written by kube-controller-manager, which does not run
    let listed = c.kubectl(&["get", "validatingadmissionpolicies", "-o", "json"]);
    let listed: Value = serde_json::from_str(&listed).expect("JSON");
    let mut checked = 0;
    for p in listed["items"].as_array().into_iter().flatten() {
        if let Some(tc) = p.pointer("/status/typeChecking") {
            checked += 1;
            for w in tc["expressionWarnings"].as_array().into_iter().flatten() {
                println!(
                    "type checking: {} {}: {}",
                    p["metadata"]["name"], w["fieldRef"], w["warning"]
                );
            }
        }
    }
    println!(
        "\n{} policies in force; {checked} with a typeChecking status (none is expected without kube-controller-manager)",
        listed["items"].as_array().map_or(0, Vec::len)
    );

    // ---- the server's verdicts
    let mut server: Vec<Verdict> = Vec::new();
    for o in &objects {
        let out = c.kubectl_input(&["create", "--dry-run=server", "-f", "-"], &o.json());
        let v = verdict_of(&out);
        if let Some(other) = &v.other {
            failures.push(format!(
                "{}: refused by the API server, not by a policy: {other}",
                o.id()
            ));
        }
        server.push(v);
    }
    println!("\nthe API server's verdicts:");
    for (o, v) in objects.iter().zip(&server) {
        let what = if v.admitted { "admit" } else { "DENY " };
        println!(
            "  {what} {:<62} {}",
            o.id(),
            short(v.denial.as_deref().unwrap_or(""), 150)
        );
        for w in &v.warnings {
            println!("        warning: {}", short(w, 150));
        }
    }
    let admitted = server.iter().filter(|v| v.admitted).count();
    let warned = server.iter().filter(|v| !v.warnings.is_empty()).count();
    println!(
        "\nserver: {} objects, {admitted} admitted, {} denied, {warned} with warnings",
        objects.len(),
        objects.len() - admitted
    );

    // ---- every policy denies or warns something, and spares something
    let mut hits: BTreeMap<&str, usize> = policies.keys().map(|p| (p.as_str(), 0)).collect();
    let mut spared: BTreeMap<&str, usize> = hits.clone();
    for v in &server {
        for m in v.denial.iter().chain(&v.warnings) {
            if let Some(n) = policy_of(m).and_then(|p| hits.get_mut(p)) {
                *n += 1;
            }
        }
    }
    for (o, v) in objects.iter().zip(&server) {
        if !v.admitted {
            continue;
        }
        for (name, p) in &policies {
            let warned_by = v
                .warnings
                .iter()
                .any(|w| policy_of(w) == Some(name.as_str()));
            if !warned_by && names_resource(p, o.kind()) {
                *spared.get_mut(name.as_str()).unwrap() += 1;
            }
        }
    }
    println!(
        "\nper policy: denied or warned (first denial and warnings) / spared (admitted, of a resource it names):"
    );
    for (name, p) in &policies {
        let never = p["metadata"]["annotations"]["policy-test/never-hits"].as_str();
        let (h, s) = (hits[name.as_str()], spared[name.as_str()]);
        println!(
            "  {name:<42} {h:>4} {s:>4}{}",
            never.map_or(String::new(), |w| format!("  (never hits: {w})"))
        );
        match never {
            Some(_) if h > 0 => failures.push(format!(
                "policy {name} is annotated never-hits but denied or warned {h} time(s)"
            )),
            Some(_) => {}
            None if h == 0 => failures.push(format!(
                "policy {name} never denies or warns (or is always masked by another policy's denial)"
            )),
            None if s == 0 => failures.push(format!("policy {name} spares no object")),
            None => {}
        }
    }
    if !failures.is_empty() {
        panic!("the corpus does not check itself:\n{}", failures.join("\n"));
    }

    // ---- plimsoll
    let mut args: Vec<String> = vec![
        "policy".into(),
        "test".into(),
        "--format".into(),
        "json".into(),
    ];
    for f in policy_files.iter().chain(&context_files) {
        args.push(f.to_string_lossy().into_owned());
    }
    args.push("--".into());
    for f in &object_files {
        args.push(f.to_string_lossy().into_owned());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(&args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run plimsoll");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(_) if stderr.contains("unrecognized subcommand") => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** `plimsoll policy test` does not exist yet: only the API server's side ran; nothing was compared ***"
            );
            return;
        }
        Err(e) => panic!(
            "plimsoll policy test did not answer JSON ({e}), exit {:?}:\n{}\n{stderr}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        ),
    };

    // plimsoll's objects, per file in line order, against the corpus's documents
    let mut mine_by_file: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for o in report["objects"].as_array().expect("objects[]") {
        let file = o["file"].as_str().unwrap_or_default().replace('\\', "/");
        let rel = object_files
            .iter()
            .map(|f| {
                f.strip_prefix(corpus())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .find(|rel| file.ends_with(rel.as_str()))
            .unwrap_or_else(|| panic!("plimsoll reports an object of an unknown file {file}"));
        mine_by_file.entry(rel).or_default().push(o);
    }
    for list in mine_by_file.values_mut() {
        list.sort_by_key(|o| o["line"].as_u64().unwrap_or(0));
    }
    let mut mine: Vec<Option<Mine>> = Vec::new();
    let mut position: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &objects {
        let i = position.entry(o.file.as_str()).or_default();
        let m = mine_by_file.get(&o.file).and_then(|l| l.get(*i));
        *i += 1;
        mine.push(m.map(|m| {
            assert_eq!(
                m["kind"].as_str(),
                Some(o.kind()),
                "{}: plimsoll's object at this position is {m}",
                o.id()
            );
            Mine {
                admitted: m["admitted"].as_bool().expect("admitted"),
                denials: strings(&m["denials"]),
                warnings: strings(&m["warnings"]),
            }
        }));
    }
    for (f, list) in &mine_by_file {
        let n = objects.iter().filter(|o| &o.file == f).count();
        assert_eq!(
            list.len(),
            n,
            "plimsoll reports {} objects of {f}, the corpus has {n}",
            list.len()
        );
    }

    // ---- compare
    let known: BTreeMap<&str, &str> = KNOWN.iter().copied().collect();
    let mut used_known = BTreeSet::new();
    let mut agree = 0usize;
    let mut differences = Vec::new();
    for ((o, s), m) in objects.iter().zip(&server).zip(&mine) {
        let id = o.id();
        let why = match m {
            None => Some("plimsoll does not report this object".to_string()),
            Some(m) => {
                let mut why = Vec::new();
                if m.admitted != s.admitted {
                    why.push(format!(
                        "admitted: server {}, plimsoll {}",
                        s.admitted, m.admitted
                    ));
                }
                if let Some(d) = &s.denial {
                    if !m.denials.contains(d) {
                        why.push(format!("the server's denial is not among plimsoll's: {d}"));
                    }
                }
                if m.warnings != s.warnings {
                    why.push("warnings differ".to_string());
                }
                (!why.is_empty()).then(|| why.join("; "))
            }
        };
        match why {
            None => agree += 1,
            Some(why) => {
                if known.contains_key(id.as_str()) {
                    used_known.insert(id.clone());
                } else {
                    differences.push((id, why, s, m));
                }
            }
        }
    }
    println!(
        "\nagreement: {agree}/{} objects ({} known differences)",
        objects.len(),
        used_known.len()
    );
    for (id, why, s, m) in &differences {
        println!("DIFFERENT {id}: {why}");
        println!(
            "  server:   admitted={} denial={:?} warnings={:?}",
            s.admitted, s.denial, s.warnings
        );
        match m {
            Some(m) => println!(
                "  plimsoll: admitted={} denials={:?} warnings={:?}",
                m.admitted, m.denials, m.warnings
            ),
            None => println!("  plimsoll: (no answer)"),
        }
    }
    let stale: Vec<&str> = known
        .keys()
        .filter(|k| !used_known.contains(**k))
        .copied()
        .collect();
    assert!(
        stale.is_empty(),
        "KNOWN lists objects that agree now (remove them): {stale:?}"
    );
    assert!(
        differences.is_empty(),
        "{} object(s) where plimsoll and the API server disagree (see above)",
        differences.len()
    );
}
