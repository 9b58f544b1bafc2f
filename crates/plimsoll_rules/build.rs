//! Generates the table of the kinds each rule reads (`reads.rs` in OUT_DIR), from the rule
//! sources themselves: the kind names a rule file (and the group helpers it uses) names
//! as string literals, the workload kinds when it reads pod templates, and the kinds
//! behind the Index and Context lookups it calls. A front-end that cannot read a kind
//! (a live audit without permission) reports these rules as not evaluated instead of
//! running them on partial data. The table over-approximates on purpose: a rule listed
//! for a kind it does not need is reported not evaluated; a rule missing would pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

const WORKLOADS: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "PodTemplate",
    "Rollout",
    "DeploymentConfig",
];

/// Kinds a rule may look up by name, besides the workload kinds.
const KNOWN: &[&str] = &[
    "Service",
    "Ingress",
    "IngressClass",
    "NetworkPolicy",
    "Namespace",
    "Node",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "VerticalPodAutoscaler",
    "LimitRange",
    "ResourceQuota",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "APIService",
    "ExternalSecret",
    "ClusterExternalSecret",
    "SealedSecret",
    "Certificate",
    "VaultStaticSecret",
    "VaultDynamicSecret",
    "VaultPKISecret",
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "EndpointSlice",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ScaledObject",
    "NodePool",
    "VulnerabilityReport",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "AuthorizationPolicy",
    "ServiceMonitor",
    "PodMonitor",
    "Schedule",
    "Backup",
    "Restore",
    "Canary",
    "PeerAuthentication",
    "EncryptionConfiguration",
];

/// Calls that read kinds other than the rule's own object.
const CALLS: &[(&str, &[&str])] = &[
    ("PodTemplate", WORKLOADS),
    ("pod_template", WORKLOADS),
    ("workloads_in", WORKLOADS),
    ("workloads_matching", WORKLOADS),
    ("pods_of", &["Pod", "ReplicaSet", "Job"]),
    ("workload_ref", &["Deployment"]),
    ("kind_known", &["CustomResourceDefinition"]),
    ("pdbs_for", &["PodDisruptionBudget"]),
    ("pdb_targets", &["PodDisruptionBudget"]),
    ("pdb_class", &["PodDisruptionBudget"]),
    (
        "pdb_class_pods",
        &["PodDisruptionBudget", "HorizontalPodAutoscaler", "Pod"],
    ),
    (
        "pdb_class_autoscaled",
        &["PodDisruptionBudget", "HorizontalPodAutoscaler"],
    ),
    ("hpas_for", &["HorizontalPodAutoscaler"]),
    ("expected_min_replicas", &["HorizontalPodAutoscaler"]),
    ("hpa_groups", &["HorizontalPodAutoscaler"]),
    ("services_for", &["Service"]),
    ("cx.capacity()", &["Node", "Pod"]),
    ("cx.services()", &["Service"]),
    ("cx.services()", WORKLOADS),
    ("service_targets", WORKLOADS),
    ("is_serving", &["Service"]),
    ("owner_of", WORKLOADS),
    (
        "cx.net()",
        &[
            "NetworkPolicy",
            "Service",
            "Namespace",
            "Pod",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "Job",
            "CronJob",
        ],
    ),
    (
        "cx.rbac()",
        &[
            "Role",
            "ClusterRole",
            "RoleBinding",
            "ClusterRoleBinding",
            "ServiceAccount",
        ],
    ),
];

fn literals(src: &str, into: &mut BTreeSet<String>) {
    for part in src.split('"').skip(1).step_by(2) {
        if KNOWN.contains(&part) || WORKLOADS.contains(&part) {
            into.insert(part.to_string());
        }
    }
    for (call, kinds) in CALLS {
        if src.contains(call) {
            into.extend(kinds.iter().map(|k| k.to_string()));
        }
    }
}

fn codes(src: &str) -> Vec<String> {
    src.match_indices("code: \"")
        .map(|(i, m)| {
            src[i + m.len()..]
                .split('"')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|c| c.len() >= 4 && c.chars().any(|ch| ch.is_ascii_digit()))
        .collect()
}

/// The top-level items of a source file that code elsewhere can call by name
/// (functions, constants, statics), with their text. `impl` blocks, macro invocations
/// and modules are not named: a rule's own `impl Rule` is in its own file.
fn items(src: &str, into: &mut BTreeMap<String, String>) {
    let mut name: Option<String> = None;
    let mut text = String::new();
    let flush =
        |name: &mut Option<String>, text: &mut String, into: &mut BTreeMap<String, String>| {
            if let Some(n) = name.take() {
                into.entry(n).or_default().push_str(text);
            }
            text.clear();
        };
    for line in src.lines() {
        let top = !line.starts_with(' ') && !line.starts_with('\t') && !line.is_empty();
        if top && !line.starts_with("//") && !line.starts_with("#[") && !line.starts_with('}') {
            flush(&mut name, &mut text, into);
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            let kw = words
                .iter()
                .position(|w| matches!(*w, "fn" | "const" | "static"));
            if let Some(k) = kw
                && words[..k]
                    .iter()
                    .all(|w| matches!(*w, "pub" | "crate" | "super"))
            {
                name = words.get(k + 1).map(|w| w.to_string());
            }
        }
        if name.is_some() {
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(&mut name, &mut text, into);
}

/// The identifiers of a text.
fn idents(src: &str) -> BTreeSet<&str> {
    src.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        })
        .collect()
}

/// A rule file's text and the text of every named helper item it reaches, transitively.
fn reached(src: &str, table: &BTreeMap<String, String>) -> String {
    let mut out = src.to_string();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = idents(src).into_iter().map(str::to_string).collect();
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(text) = table.get(&id) {
            out.push_str(text);
            todo.extend(idents(text).into_iter().map(str::to_string));
        }
    }
    out
}

/// The Rust files of a rule group, sorted.
fn group_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("group dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
}

fn main() {
    let rules = Path::new("src/rules");
    println!("cargo:rerun-if-changed=src/rules");
    let mut table: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut groups: Vec<_> = fs::read_dir(rules).expect("src/rules").flatten().collect();
    groups.sort_by_key(|e| e.path());
    // the shared helpers of each group
    let mut helpers: BTreeMap<String, String> = BTreeMap::new();
    let mut group_items: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    for g in &groups {
        if !g.path().is_dir() {
            continue;
        }
        let name = g.file_name().to_string_lossy().to_string();
        // every file of the group: rules reach each other's helpers through `super::`
        let mut text = String::new();
        let mut t = BTreeMap::new();
        for f in group_files(&g.path()) {
            if f.file_name().is_some_and(|n| n != "tests.rs") {
                let src = fs::read_to_string(&f).unwrap_or_default();
                items(&src, &mut t);
                text.push_str(&src);
            }
        }
        helpers.insert(name.clone(), text);
        group_items.insert(name, t);
    }
    for g in &groups {
        if !g.path().is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", g.path().display());
        let group = g.file_name().to_string_lossy().to_string();
        for f in group_files(&g.path()) {
            let fname = f.file_name().unwrap_or_default().to_string_lossy();
            if ["util.rs", "mod.rs", "tests.rs"].contains(&fname.as_ref()) {
                continue;
            }
            let src = fs::read_to_string(&f).expect("rule file");
            let mut kinds = BTreeSet::new();
            literals(&src, &mut kinds);
            if src.contains("super::") {
                literals(&helpers[&group], &mut kinds);
            }
            // rules that judge objects of every kind
            if group == "api" || group == "spec" || src.contains("code: \"META004\"") {
                kinds.insert("*".to_string());
            }
            // the policies judge every kind, and read the policies, their bindings and
            // the Namespaces (their params may be of any kind: `*`)
            if group == "pol" {
                kinds.extend(
                    [
                        "*",
                        "ValidatingAdmissionPolicy",
                        "ValidatingAdmissionPolicyBinding",
                        "Namespace",
                    ]
                    .map(String::from),
                );
            }
            for (other, text) in &helpers {
                if src.contains(&format!("rules::{other}::")) {
                    literals(text, &mut kinds);
                }
            }
            // finer: only the helper items the rule reaches by name (used for Secrets,
            // which a rule can only look up by naming the kind: see reads.rs)
            let mut lookup = group_items[&group].clone();
            for (other, t) in &group_items {
                if other != &group && src.contains(&format!("rules::{other}::")) {
                    for (k, v) in t {
                        lookup.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            let mut fine = BTreeSet::new();
            literals(&reached(&src, &lookup), &mut fine);
            for code in codes(&src) {
                table
                    .entry(code.clone())
                    .or_default()
                    .extend(kinds.iter().cloned());
                if fine.contains("Secret") {
                    secrets.insert(code);
                }
            }
        }
    }
    let mut out = String::from(
        "/// (rule code, kinds it reads), generated by build.rs from the rule sources.\npub static READS: &[(&str, &[&str])] = &[\n",
    );
    for (code, kinds) in &table {
        let list: Vec<String> = kinds.iter().map(|k| format!("{k:?}")).collect();
        out.push_str(&format!("    ({code:?}, &[{}]),\n", list.join(", ")));
    }
    out.push_str("];\n");
    out.push_str("/// Rules whose code names the kind Secret, through the helpers they call by name.\npub static READS_SECRETS: &[&str] = &[\n");
    for code in &secrets {
        out.push_str(&format!("    {code:?},\n"));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("reads.rs");
    fs::write(dest, out).expect("write reads.rs");
}
