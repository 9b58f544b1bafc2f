//! `plimsoll capacity`: node pools on files with known answers (requests, shares,
//! pending pods that fit nowhere), the text table, input errors, and the same table
//! read from a real kube-apiserver.

mod common;

use std::process::{Command, Output};

use common::kube_env::{ADMIN, Cluster, binaries};
use serde_json::{Value, json};

fn plimsoll(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(args)
        .output()
        .expect("run plimsoll")
}

/// The JSON report, validated against schemas/capacity.schema.json.
fn report(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::valid_json(out, "capacity.schema.json")
}

const STATUS: &str = r#"{"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"},"capacity":{"cpu":"4","memory":"8Gi","pods":"110"}}"#;

fn node(name: &str, labels: &str, taint: bool) -> String {
    let taints = if taint {
        "spec:\n  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]\n"
    } else {
        ""
    };
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/hostname: {name}{labels}}}\n{taints}"
    )
}

/// A pod requesting `cpu` and 1Gi, bound to `node` ("" for a pending one).
fn pod(ns: &str, name: &str, node: &str, cpu: &str, extra: &str) -> String {
    let bound = if node.is_empty() {
        String::new()
    } else {
        format!("  nodeName: {node}\n")
    };
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{bound}  containers:\n  - name: c\n    image: registry.example/app:1\n    resources: {{requests: {{cpu: \"{cpu}\", memory: 1Gi}}}}\n{extra}"
    )
}

/// Pool `general` (g1, g2), pool `gpu` (one tainted spot node), one node without a
/// pool label; 4 CPU and 8Gi each.
fn objects() -> String {
    let mut y = String::new();
    y += &node("g1", ", eks.amazonaws.com/nodegroup: general", false);
    y += &node("g2", ", eks.amazonaws.com/nodegroup: general", false);
    y += &node(
        "gpu1",
        ", eks.amazonaws.com/nodegroup: gpu, eks.amazonaws.com/capacityType: SPOT",
        true,
    );
    y += &node("plain", "", false);
    y += &pod("shop", "api-1", "g1", "3", "");
    y += &pod("shop", "api-2", "g2", "3", "");
    y += &pod("ml", "train", "gpu1", "1", "");
    // pending: fits on `plain`; then too big for any node; then only for the gpu pool
    y += &pod("shop", "worker", "", "2", "");
    y += &pod("shop", "huge", "", "6", "");
    y += &pod(
        "ml",
        "big-train",
        "",
        "4",
        "  nodeSelector: {eks.amazonaws.com/nodegroup: gpu}\n  tolerations: [{key: dedicated, operator: Exists}]\n",
    );
    y
}

/// The statuses a cluster writes (nodes' allocatable, pods' phase).
fn with_status(y: &str) -> String {
    let mut out = String::new();
    for doc in y.split("---\n").filter(|d| !d.trim().is_empty()) {
        out += "---\n";
        out += doc;
        if doc.contains("kind: Node") {
            out += &format!("status: {STATUS}\n");
        } else if doc.contains("nodeName") {
            out += "status: {phase: Running}\n";
        } else {
            out += "status: {phase: Pending}\n";
        }
    }
    out
}

fn check_answers(v: &Value, what: &str) {
    let pools: Vec<Value> = v["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            json!([
                p["name"],
                p["nodes"],
                p["requested"]["cpu"],
                p["share"]["cpu"],
                p["spot"],
                p["fitNowhere"]
            ])
        })
        .collect();
    assert_eq!(
        pools,
        [
            json!(["general", 2, 6000, 0.75, 0, 1]),
            json!(["gpu", 1, 1000, 0.25, 1, 1]),
            json!([null, 1, 0, 0.0, 0, 1]),
        ],
        "{what}: {v:#}"
    );
    assert_eq!(v["total"]["nodes"], 4, "{what}");
    assert_eq!(v["total"]["allocatable"]["cpu"], 16000, "{what}");
    assert_eq!(
        v["total"]["allocatable"]["memory"],
        4 * 8 * 1024 * 1024 * 1024_i64,
        "{what}"
    );
    assert_eq!(v["total"]["requested"]["pods"], 3, "{what}");
    assert_eq!(v["total"]["fitNowhere"], 2, "{what}");
    assert_eq!(v["pending"], 3, "{what}");
    assert_eq!(v["placed"], 1, "{what}");
    let unplaced: Vec<Value> = v["fitNowhere"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| json!([u["namespace"], u["name"], u["pools"]]))
        .collect();
    assert_eq!(
        unplaced,
        [
            json!(["shop", "huge", ["general", null]]),
            json!(["ml", "big-train", ["gpu"]]),
        ],
        "{what}"
    );
    let huge = &v["fitNowhere"][0]["reason"];
    assert!(
        huge.as_str()
            .unwrap()
            .starts_with("0/4 nodes are available:")
            && huge.as_str().unwrap().contains("Insufficient cpu"),
        "{what}: {huge}"
    );
}

#[test]
fn pools_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.yaml");
    std::fs::write(&file, with_status(&objects())).unwrap();
    let f = file.to_str().unwrap();
    let v = report(&plimsoll(&["capacity", f, "--format", "json"]));
    check_answers(&v, "files");
    assert_eq!(v["poolLabel"], Value::Null);

    // the text table
    let out = plimsoll(&["capacity", f]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("4 node(s) in 3 pool(s) by label eks.amazonaws.com/nodegroup"),
        "{text}"
    );
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name}: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("general"), "general 2 6/8 75% 2Gi/16Gi 12% 2/220 1% 1");
    assert_eq!(line("gpu"), "gpu 1 (1 spot) 1/4 25% 1Gi/8Gi 12% 1/110 1% 1");
    assert_eq!(
        line("total"),
        "total 4 (1 spot) 7/16 44% 3Gi/32Gi 9% 3/440 1% 2"
    );
    assert!(
        text.contains("shop/huge (for general, (no pool label)): 0/4 nodes are available"),
        "{text}"
    );
    assert!(
        text.contains("3 pending pod(s): 1 fit on some node, 2 fit nowhere"),
        "{text}"
    );

    // --pool-label groups by that label alone
    let v = report(&plimsoll(&[
        "capacity",
        f,
        "--format",
        "json",
        "--pool-label",
        "kubernetes.io/hostname",
    ]));
    assert_eq!(v["poolLabel"], "kubernetes.io/hostname");
    let names: Vec<&str> = v["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["g1", "g2", "gpu1", "plain"]);
}

#[test]
fn input_errors_exit_2() {
    let out = plimsoll(&["capacity", "missing.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.yaml: no such file"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pods.yaml");
    std::fs::write(&file, pod("shop", "a", "", "1", "")).unwrap();
    let out = plimsoll(&["capacity", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Node objects in the input"));
}

// --- against a real kube-apiserver -------------------------------------------------

#[test]
fn pools_of_a_live_cluster() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(bin, &tools.kubectl, &[]);
    let mut y = String::new();
    for ns in ["shop", "ml"] {
        y += &format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n");
    }
    y += &objects();
    c.apply(&y);
    for n in ["g1", "g2", "gpu1", "plain"] {
        c.set_status("node", None, n, STATUS);
    }
    // the API server's TaintNodesByCondition admission taints every new Node
    // `node.kubernetes.io/not-ready:NoSchedule`, and plimsoll reads it so (nothing fits);
    // no node lifecycle controller runs here to lift it once the node is Ready
    c.kubectl(&[
        "taint",
        "nodes",
        "g1",
        "g2",
        "gpu1",
        "plain",
        "node.kubernetes.io/not-ready:NoSchedule-",
    ]);
    for (ns, name) in [("shop", "api-1"), ("shop", "api-2"), ("ml", "train")] {
        c.set_status("pod", Some(ns), name, r#"{"phase":"Running"}"#);
    }
    let kubeconfig = c.kubeconfig(ADMIN);
    let v = report(&plimsoll(&[
        "capacity",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--format",
        "json",
        "--no-progress",
    ]));
    // the pods come back in the API server's order (by namespace, then name)
    let mut v = v;
    let list = v["fitNowhere"].as_array_mut().unwrap();
    list.sort_by_key(|u| u["namespace"].as_str() != Some("shop"));
    check_answers(&v, "live");
    assert!(
        v["source"].as_str().unwrap().starts_with("cluster "),
        "{}",
        v["source"]
    );
}
