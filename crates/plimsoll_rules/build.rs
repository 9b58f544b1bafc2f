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
];

/// Kinds a rule may look up by name.
const KNOWN: &[&str] = &[
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
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "AuthorizationPolicy",
    "ServiceMonitor",
    "PodMonitor",
    "EncryptionConfiguration",
];

/// Calls that read kinds other than the rule's own object.
const CALLS: &[(&str, &[&str])] = &[
    ("PodTemplate", WORKLOADS),
    ("pod_template", WORKLOADS),
    ("workloads_in", WORKLOADS),
    ("workloads_matching", WORKLOADS),
    ("pods_of", &["Pod", "ReplicaSet", "Job"]),
    ("pdbs_for", &["PodDisruptionBudget"]),
    ("pdb_targets", &["PodDisruptionBudget"]),
    ("hpas_for", &["HorizontalPodAutoscaler"]),
    ("expected_min_replicas", &["HorizontalPodAutoscaler"]),
    ("services_for", &["Service"]),
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
        if KNOWN.contains(&part) {
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

fn main() {
    let rules = Path::new("src/rules");
    println!("cargo:rerun-if-changed=src/rules");
    let mut table: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut groups: Vec<_> = fs::read_dir(rules).expect("src/rules").flatten().collect();
    groups.sort_by_key(|e| e.path());
    // the shared helpers of each group
    let mut helpers: BTreeMap<String, String> = BTreeMap::new();
    for g in &groups {
        if !g.path().is_dir() {
            continue;
        }
        let name = g.file_name().to_string_lossy().to_string();
        // every file of the group: rules reach each other's helpers through `super::`
        let mut text = String::new();
        let mut files: Vec<_> = fs::read_dir(g.path())
            .expect("group dir")
            .flatten()
            .collect();
        files.sort_by_key(|e| e.path());
        for f in files {
            if f.file_name() != "tests.rs" {
                text.push_str(&fs::read_to_string(f.path()).unwrap_or_default());
            }
        }
        helpers.insert(name, text);
    }
    for g in &groups {
        if !g.path().is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", g.path().display());
        let group = g.file_name().to_string_lossy().to_string();
        let mut files: Vec<_> = fs::read_dir(g.path())
            .expect("group dir")
            .flatten()
            .collect();
        files.sort_by_key(|e| e.path());
        for f in files {
            let fname = f.file_name().to_string_lossy().to_string();
            if ["util.rs", "mod.rs", "tests.rs"].contains(&fname.as_str())
                || !fname.ends_with(".rs")
            {
                continue;
            }
            let src = fs::read_to_string(f.path()).expect("rule file");
            let mut kinds = BTreeSet::new();
            literals(&src, &mut kinds);
            if src.contains("super::") {
                literals(&helpers[&group], &mut kinds);
            }
            // rules that judge objects of every kind
            if group == "api" || src.contains("code: \"META004\"") {
                kinds.insert("*".to_string());
            }
            for (other, text) in &helpers {
                if src.contains(&format!("rules::{other}::")) {
                    literals(text, &mut kinds);
                }
            }
            for code in codes(&src) {
                table.entry(code).or_default().extend(kinds.iter().cloned());
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
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("reads.rs");
    fs::write(dest, out).expect("write reads.rs");
}
