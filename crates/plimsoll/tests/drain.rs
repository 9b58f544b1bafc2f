//! `plimsoll drain` and `plimsoll snapshot`: scenarios with known answers on files,
//! and the same budgets replayed against a real kube-apiserver: plimsoll's verdicts
//! must be the API server's answers to the evictions (201, 429, 500), and kubectl's
//! own filters (`kubectl drain --dry-run=client`) must pick the pods plimsoll picks.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Output};

use common::kube_env::{ADMIN, Cluster, binaries};
use serde_json::{Value, json};

fn plimsoll(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(args)
        .output()
        .expect("run plimsoll")
}

/// The JSON report, validated against schemas/drain.schema.json, and the exit code.
fn report(out: &Output) -> (Value, i32) {
    let code = out.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = common::valid_json(out, "drain.schema.json");
    assert_eq!(v["ok"], json!(code == 0), "ok and the exit code agree");
    (v, code)
}

fn verdicts(v: &Value) -> BTreeMap<String, String> {
    v["pods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                format!(
                    "{}/{}",
                    p["namespace"].as_str().unwrap(),
                    p["name"].as_str().unwrap()
                ),
                p["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn node(name: &str, cpu: &str, labels: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/hostname: {name}{labels}}}\nstatus:\n  allocatable: {{cpu: \"{cpu}\", memory: 8Gi, pods: \"110\"}}\n"
    )
}

#[derive(Clone, Copy)]
struct Pod<'a> {
    ns: &'a str,
    name: &'a str,
    node: &'a str,
    app: &'a str,
    /// `ReplicaSet/NAME`, `DaemonSet/NAME`, or "" for a bare pod
    owner: &'a str,
    phase: &'a str,
    ready: bool,
    extra_spec: &'a str,
}

impl Pod<'_> {
    fn yaml(&self, with_status: bool) -> String {
        let owner = match self.owner.split_once('/') {
            Some((kind, name)) => format!(
                "  ownerReferences:\n  - {{apiVersion: apps/v1, kind: {kind}, name: {name}, uid: 6f1a2c3e-0000-4000-8000-{:012}, controller: true}}\n",
                name.len()
            ),
            None => String::new(),
        };
        let mut y = format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\n  namespace: {}\n  labels: {{app: {}}}\n{owner}spec:\n  nodeName: {}\n  containers:\n  - name: c\n    image: registry.example/app:1\n    resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}\n{}",
            self.name, self.ns, self.app, self.node, self.extra_spec
        );
        if with_status {
            y += &self.status_yaml();
        }
        y
    }

    fn status_json(&self) -> String {
        format!(
            "{{\"phase\":\"{}\",\"conditions\":[{{\"type\":\"Ready\",\"status\":\"{}\"}}]}}",
            self.phase,
            if self.ready { "True" } else { "False" }
        )
    }

    fn status_yaml(&self) -> String {
        format!("status: {}\n", self.status_json())
    }
}

struct Pdb<'a> {
    ns: &'a str,
    name: &'a str,
    /// the spec's lines (selector included)
    spec: &'a str,
    /// (currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed) as the
    /// disruption controller computes them; `None`: not processed yet
    status: Option<(i64, i64, i64, i64)>,
}

impl Pdb<'_> {
    fn yaml(&self) -> String {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n{}",
            self.name, self.ns, self.spec
        )
    }

    fn status_json(&self) -> Option<String> {
        self.status.map(|(cur, des, exp, allowed)| {
            format!(
                "{{\"observedGeneration\":1,\"currentHealthy\":{cur},\"desiredHealthy\":{des},\"expectedPods\":{exp},\"disruptionsAllowed\":{allowed}}}"
            )
        })
    }
}

/// One budget scenario: a namespace, its pods (those on `d-NS` are drained, the others
/// live on `d-NS-2`), its PDBs, and the answers the API server gives to the evictions
/// of the drained node's pods in name order.
struct Scenario<'a> {
    ns: &'a str,
    pods: Vec<Pod<'a>>,
    pdbs: Vec<Pdb<'a>>,
    answers: &'a [u16],
    verdicts: &'a [&'a str],
}

fn rs_pod<'a>(ns: &'a str, name: &'a str, drained: bool, ready: bool) -> Pod<'a> {
    Pod {
        ns,
        name,
        node: if drained { "DRAINED" } else { "OTHER" },
        app: "web",
        owner: "ReplicaSet/web-5d8f",
        phase: "Running",
        ready,
        extra_spec: "",
    }
}

fn pdb<'a>(ns: &'a str, spec: &'a str, status: Option<(i64, i64, i64, i64)>) -> Pdb<'a> {
    Pdb {
        ns,
        name: "web",
        spec,
        status,
    }
}

fn scenarios() -> Vec<Scenario<'static>> {
    let three = |ns: &'static str, ready_a: bool| {
        vec![
            rs_pod(ns, "web-a", true, ready_a),
            rs_pod(ns, "web-b", false, true),
            rs_pod(ns, "web-c", false, true),
        ]
    };
    vec![
        // maxUnavailable 0: blocked with every pod Ready
        Scenario {
            ns: "maxu0",
            pods: three("maxu0", true),
            pdbs: vec![pdb(
                "maxu0",
                "  maxUnavailable: 0\n  selector: {matchLabels: {app: web}}\n",
                Some((3, 3, 3, 0)),
            )],
            answers: &[429],
            verdicts: &["blocked"],
        },
        // minAvailable equal to the replicas
        Scenario {
            ns: "minall",
            pods: three("minall", true),
            pdbs: vec![pdb(
                "minall",
                "  minAvailable: 3\n  selector: {matchLabels: {app: web}}\n",
                Some((3, 3, 3, 0)),
            )],
            answers: &[429],
            verdicts: &["blocked"],
        },
        // maxUnavailable 1 with two pods on the node: the first eviction uses it up
        Scenario {
            ns: "maxu1",
            pods: vec![
                rs_pod("maxu1", "web-a", true, true),
                rs_pod("maxu1", "web-b", true, true),
                rs_pod("maxu1", "web-c", false, true),
            ],
            pdbs: vec![pdb(
                "maxu1",
                "  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n",
                Some((3, 2, 3, 1)),
            )],
            answers: &[201, 429],
            verdicts: &["evict", "blocked"],
        },
        // two PDBs select the pod: 500
        Scenario {
            ns: "two",
            pods: three("two", true),
            pdbs: vec![
                pdb(
                    "two",
                    "  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n",
                    Some((3, 2, 3, 1)),
                ),
                Pdb {
                    ns: "two",
                    name: "web-also",
                    spec: "  minAvailable: 1\n  selector: {matchExpressions: [{key: app, operator: Exists}]}\n",
                    status: Some((3, 1, 3, 2)),
                },
            ],
            answers: &[500],
            verdicts: &["blocked"],
        },
        // an unready pod under IfHealthyBudget (the default) with the budget short
        Scenario {
            ns: "ifhealthy",
            pods: three("ifhealthy", false),
            pdbs: vec![pdb(
                "ifhealthy",
                "  minAvailable: 3\n  selector: {matchLabels: {app: web}}\n",
                Some((2, 3, 3, 0)),
            )],
            answers: &[429],
            verdicts: &["blocked"],
        },
        // ... the same, explicitly
        Scenario {
            ns: "ifhealthy2",
            pods: three("ifhealthy2", false),
            pdbs: vec![pdb(
                "ifhealthy2",
                "  minAvailable: 3\n  unhealthyPodEvictionPolicy: IfHealthyBudget\n  selector: {matchLabels: {app: web}}\n",
                Some((2, 3, 3, 0)),
            )],
            answers: &[429],
            verdicts: &["blocked"],
        },
        // ... and AlwaysAllow lets it go
        Scenario {
            ns: "alwaysallow",
            pods: three("alwaysallow", false),
            pdbs: vec![pdb(
                "alwaysallow",
                "  minAvailable: 3\n  unhealthyPodEvictionPolicy: AlwaysAllow\n  selector: {matchLabels: {app: web}}\n",
                Some((2, 3, 3, 0)),
            )],
            answers: &[201],
            verdicts: &["evict"],
        },
        // an unready pod while the budget is healthy (2 >= 2 > 0): allowed, not counted
        Scenario {
            ns: "healthybudget",
            pods: three("healthybudget", false),
            pdbs: vec![pdb(
                "healthybudget",
                "  minAvailable: 2\n  selector: {matchLabels: {app: web}}\n",
                Some((2, 2, 3, 0)),
            )],
            answers: &[201],
            verdicts: &["evict"],
        },
        // policy/v1 `selector: {}` selects every pod of the namespace
        Scenario {
            ns: "emptysel",
            pods: three("emptysel", true),
            pdbs: vec![pdb(
                "emptysel",
                "  maxUnavailable: 0\n  selector: {}\n",
                Some((3, 3, 3, 0)),
            )],
            answers: &[429],
            verdicts: &["blocked"],
        },
        // a PDB the disruption controller has not processed (no status)
        Scenario {
            ns: "unprocessed",
            pods: three("unprocessed", true),
            pdbs: vec![pdb(
                "unprocessed",
                "  maxUnavailable: 3\n  selector: {matchLabels: {app: web}}\n",
                None,
            )],
            answers: &[429],
            verdicts: &["blocked"],
        },
        // a Pending pod and a Succeeded one go without a PDB check
        Scenario {
            ns: "phases",
            pods: vec![
                Pod {
                    phase: "Pending",
                    ..rs_pod("phases", "web-a", true, false)
                },
                Pod {
                    phase: "Succeeded",
                    ..rs_pod("phases", "web-b", true, false)
                },
                rs_pod("phases", "web-c", false, true),
            ],
            pdbs: vec![pdb(
                "phases",
                "  maxUnavailable: 0\n  selector: {matchLabels: {app: web}}\n",
                Some((1, 3, 3, 0)),
            )],
            answers: &[201, 201],
            verdicts: &["evict", "already-terminal"],
        },
        // no PDB at all
        Scenario {
            ns: "nopdb",
            pods: three("nopdb", true),
            pdbs: vec![],
            answers: &[201],
            verdicts: &["evict"],
        },
    ]
}

fn drained(ns: &str) -> String {
    format!("d-{ns}")
}

fn other(ns: &str) -> String {
    format!("d-{ns}-2")
}

fn pod_node(p: &Pod, ns: &str) -> String {
    if p.node == "DRAINED" {
        drained(ns)
    } else if p.node == "OTHER" {
        other(ns)
    } else {
        p.node.to_string()
    }
}

/// The scenarios as one snapshot file (with status), for the file tests.
fn scenario_files() -> String {
    let mut y = String::new();
    for s in scenarios() {
        y += &node(&drained(s.ns), "4", "");
        y += &node(&other(s.ns), "4", "");
        for p in &s.pods {
            let n = pod_node(p, s.ns);
            y += &Pod { node: &n, ..*p }.yaml(true);
        }
        for b in &s.pdbs {
            y += &b.yaml();
            match b.status_json() {
                Some(st) => y += &format!("status: {st}\n"),
                None => {
                    // as the API server stores it before the controller runs
                    y = y.replace(
                        &format!("  name: {}\n  namespace: {}\nspec:", b.name, b.ns),
                        &format!(
                            "  name: {}\n  namespace: {}\n  generation: 1\nspec:",
                            b.name, b.ns
                        ),
                    );
                }
            }
        }
    }
    y
}

fn check_answers(v: &Value, what: &str) {
    let by_ns: BTreeMap<String, Vec<&Value>> =
        v["pods"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, p| {
                m.entry(p["namespace"].as_str().unwrap().to_string())
                    .or_default()
                    .push(p);
                m
            });
    for s in scenarios() {
        let pods = &by_ns[s.ns];
        let got: Vec<&str> = pods
            .iter()
            .map(|p| p["verdict"].as_str().unwrap())
            .collect();
        assert_eq!(got, s.verdicts, "{what}: verdicts of scenario {}", s.ns);
        let codes: Vec<u64> = pods
            .iter()
            .map(|p| p["httpStatus"].as_u64().unwrap_or(0))
            .collect();
        let want: Vec<u64> = s.answers.iter().map(|&a| u64::from(a)).collect();
        assert_eq!(codes, want, "{what}: answers of scenario {}", s.ns);
    }
}

#[test]
fn budget_scenarios_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.yaml");
    std::fs::write(&file, scenario_files()).unwrap();
    let nodes: Vec<String> = scenarios().iter().map(|s| drained(s.ns)).collect();
    let mut args: Vec<&str> = vec!["drain", "--format", "json", file.to_str().unwrap()];
    args.extend(nodes.iter().map(String::as_str));
    let (v, code) = report(&plimsoll(&args));
    assert_eq!(code, 1);
    check_answers(&v, "files");
    // the replacements of evicted pods found room on the other nodes
    assert_eq!(v["pending"], json!([]));
    let maxu1 = v["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["namespace"] == "maxu1" && p["name"] == "web-b")
        .unwrap();
    assert_eq!(maxu1["pdb"]["disruptionsAllowed"], 0);
    assert!(
        maxu1["reason"]
            .as_str()
            .unwrap()
            .contains("the 1 eviction(s) before it")
    );
    let two = v["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["namespace"] == "two")
        .unwrap();
    assert_eq!(two["pdb"]["others"], json!(["web-also"]));
}

/// kubectl's filters: a bare pod, an emptyDir pod, a DaemonSet pod and a plain one.
fn filter_pods() -> Vec<Pod<'static>> {
    let pod = |name, app, owner, extra_spec| Pod {
        ns: "filters",
        name,
        node: "f1",
        app,
        owner,
        phase: "Running",
        ready: true,
        extra_spec,
    };
    let tmp = "  volumes: [{name: tmp, emptyDir: {}}]\n";
    vec![
        pod("bare", "bare", "", ""),
        pod("cache", "cache", "ReplicaSet/cache-77", tmp),
        pod("agent-f1", "agent", "DaemonSet/agent", tmp),
        pod("web", "web", "ReplicaSet/web-5d8f", ""),
    ]
}

/// The nodes and the DaemonSet of the filter scenario.
fn filter_objects() -> String {
    let mut y = node("f1", "4", ", pool: blue");
    y += &node("f2", "4", ", pool: green");
    y += "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: filters\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: a, image: registry.example/agent:1}]\n";
    y
}

fn filter_files() -> String {
    let mut y = filter_objects();
    for p in filter_pods() {
        y += &p.yaml(true);
    }
    y
}

#[test]
fn kubectl_filters_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("filters.yaml");
    let mut text = filter_files();
    text += "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-proxy-f1\n  namespace: kube-system\n  annotations: {kubernetes.io/config.mirror: 9a3c}\nspec:\n  nodeName: f1\n  containers: [{name: p, image: registry.example/proxy:1}]\nstatus: {phase: Running}\n";
    std::fs::write(&file, &text).unwrap();
    let f = file.to_str().unwrap();
    let (v, code) = report(&plimsoll(&["drain", "f1", f, "--format", "json"]));
    assert_eq!(code, 1);
    let want: BTreeMap<String, String> = [
        ("filters/agent-f1", "skip-daemonset"),
        ("filters/bare", "needs-force"),
        ("filters/cache", "needs-delete-emptydir"),
        ("filters/web", "evict"),
        ("kube-system/kube-proxy-f1", "skip-mirror"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(verdicts(&v), want);
    assert_eq!(v["nodes"][0]["status"], "refused");
    // refused: web is not evicted, so nothing is rescheduled
    let web = &v["pods"].as_array().unwrap()[3];
    assert_eq!(web["httpStatus"], Value::Null);
    assert_eq!(web["rescheduledTo"], Value::Null);

    let (v, code) = report(&plimsoll(&[
        "drain",
        "f1",
        f,
        "--format",
        "json",
        "--force",
        "--delete-emptydir-data",
    ]));
    assert_eq!(code, 0, "{v:#}");
    let got = verdicts(&v);
    assert_eq!(got["filters/bare"], "evict");
    assert_eq!(got["filters/cache"], "evict");
    assert_eq!(got["filters/agent-f1"], "skip-daemonset");
    let pods = v["pods"].as_array().unwrap();
    let bare = pods.iter().find(|p| p["name"] == "bare").unwrap();
    assert_eq!(
        bare["rescheduledTo"],
        Value::Null,
        "a bare pod is gone for good"
    );
    let cache = pods.iter().find(|p| p["name"] == "cache").unwrap();
    assert_eq!(cache["rescheduledTo"], "f2");

    // the text output, and --pool
    let out = plimsoll(&["drain", "--pool", "pool=blue", f]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("node f1: refused"), "{text}");
    assert!(text.contains("needs-force"), "{text}");
}

#[test]
fn taints_anti_affinity_and_pending() {
    let mut y = node("a1", "2", ", pool: a, zone: z1");
    y += &node("a2", "2", ", pool: a, zone: z2");
    y += &node("b1", "2", ", pool: b, zone: z1").replace(
        "status:",
        "spec:\n  taints: [{key: dedicated, value: batch, effect: NoSchedule}]\nstatus:",
    );
    let anti = "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: db}}\n        topologyKey: zone\n";
    for (name, n) in [("db-0", "a1"), ("db-1", "a2")] {
        y += &Pod {
            ns: "data",
            name,
            node: n,
            app: "db",
            owner: "StatefulSet/db",
            phase: "Running",
            ready: true,
            extra_spec: anti,
        }
        .yaml(true);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(&file, &y).unwrap();
    let (v, code) = report(&plimsoll(&[
        "drain",
        "a1",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(code, 1);
    let pending = v["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{v:#}");
    let r = pending[0]["reason"].as_str().unwrap();
    assert_eq!(
        r,
        "0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 1 node(s) had untolerated taint {dedicated: batch}, 1 node(s) were unschedulable."
    );
    // one node at a time, each replaced by a node of the same shape: db-0 waits for the
    // replacement of a1 (same zone) and goes there
    let (v, code) = report(&plimsoll(&[
        "drain",
        "--pool",
        "pool=a",
        "--plan",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["plan"]["possible"], true);
    assert_eq!(v["pending"], json!([]));
    let db0 = v["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "db-0")
        .unwrap();
    assert_eq!(db0["rescheduledTo"], "a1");
}

#[test]
fn plan_names_the_pdb_that_forbids_every_order() {
    let mut y = node("p1", "4", ", pool: p");
    y += &node("p2", "4", ", pool: p");
    y += &node("q1", "4", ", pool: q");
    for (name, n) in [
        ("web-a", "p1"),
        ("web-b", "p2"),
        ("api-a", "p1"),
        ("api-b", "p2"),
    ] {
        y += &Pod {
            ns: "shop",
            name,
            node: n,
            app: &name[..3],
            owner: if name.starts_with("web") {
                "ReplicaSet/web-5d8f"
            } else {
                "ReplicaSet/api-7c9d"
            },
            phase: "Running",
            ready: true,
            extra_spec: "",
        }
        .yaml(true);
    }
    y += "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop, generation: 1}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\nstatus: {observedGeneration: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 1}\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(&file, &y).unwrap();
    let f = file.to_str().unwrap();
    // drained together (both cordoned, budgets do not recover): web-b is blocked
    let (v, code) = report(&plimsoll(&[
        "drain", "--pool", "pool=p", f, "--format", "json",
    ]));
    assert_eq!(code, 1);
    assert_eq!(verdicts(&v)["shop/web-b"], "blocked");
    // one at a time: the budget recovers in between
    let (v, code) = report(&plimsoll(&[
        "drain", "--pool", "pool=p", "--plan", f, "--format", "json",
    ]));
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["plan"]["order"], json!(["p1", "p2"]));
    // maxUnavailable 0: no order
    let y0 = y
        .replace("maxUnavailable: 1", "maxUnavailable: 0")
        .replace("disruptionsAllowed: 1", "disruptionsAllowed: 0");
    std::fs::write(&file, &y0).unwrap();
    let (v, code) = report(&plimsoll(&[
        "drain", "--pool", "pool=p", "--plan", f, "--format", "json",
    ]));
    assert_eq!(code, 1);
    assert_eq!(v["plan"]["possible"], false);
    let by = v["plan"]["blockedBy"].as_array().unwrap();
    assert_eq!(by.len(), 2);
    assert!(by.iter().all(|b| b["by"] == "PDB web"), "{by:#?}");
}

#[test]
fn input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(&file, node("n1", "4", "")).unwrap();
    let f = file.to_str().unwrap();
    let out = plimsoll(&["drain", "nope", f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("node `nope` is not in the input (it has 1 node(s): n1)")
    );
    let out = plimsoll(&["drain", "n1", "missing.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.yaml: no such file"));
    let out = plimsoll(&["drain", f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the nodes to drain"));
    let out = plimsoll(&["drain", "--pool", "x=y", f]);
    assert_eq!(out.status.code(), Some(2));
    // a kubectl JSON List is read as well
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "j1"},
         "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "10"}}}
    ]});
    let jf = dir.path().join("l.json");
    std::fs::write(&jf, list.to_string()).unwrap();
    let (v, code) = report(&plimsoll(&[
        "drain",
        "j1",
        jf.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    assert_eq!(v["nodes"][0]["name"], "j1");
}

// --- against a real kube-apiserver -------------------------------------------------

/// Creates the scenarios in the cluster: nodes, pods (bound through spec.nodeName)
/// with their status, PDBs with the status the disruption controller would write (no
/// controller-manager runs).
fn load(c: &Cluster) {
    let mut y = String::new();
    let mut statuses: Vec<(String, String, String, String)> = Vec::new();
    let mut namespaces: Vec<&str> = scenarios().iter().map(|s| s.ns).collect();
    namespaces.push("filters");
    for ns in &namespaces {
        y += &format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n");
    }
    for s in scenarios() {
        y += &node(&drained(s.ns), "4", "");
        y += &node(&other(s.ns), "4", "");
        for p in &s.pods {
            let n = pod_node(p, s.ns);
            y += &Pod { node: &n, ..*p }.yaml(false);
            statuses.push(("pod".into(), s.ns.into(), p.name.into(), p.status_json()));
        }
        for b in &s.pdbs {
            y += &b.yaml();
            if let Some(st) = b.status_json() {
                statuses.push(("pdb".into(), s.ns.into(), b.name.into(), st));
            }
        }
    }
    // the filter scenario (without a mirror pod: only a kubelet creates those)
    y += &filter_objects();
    for p in filter_pods() {
        y += &p.yaml(false);
        statuses.push(("pod".into(), p.ns.into(), p.name.into(), p.status_json()));
    }
    c.apply(&y);
    for (kind, ns, name, st) in statuses {
        c.set_status(&kind, Some(&ns), &name, &st);
    }
    for n in ["f1", "f2"] {
        c.set_status(
            "node",
            None,
            n,
            r#"{"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"},"capacity":{"cpu":"4","memory":"8Gi","pods":"110"}}"#,
        );
    }
    for s in scenarios() {
        for n in [drained(s.ns), other(s.ns)] {
            c.set_status(
                "node",
                None,
                &n,
                r#"{"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"},"capacity":{"cpu":"4","memory":"8Gi","pods":"110"}}"#,
            );
        }
    }
}

/// POSTs a policy/v1 Eviction for a pod; the HTTP status of the answer (kubectl
/// names the status of a refusal: TooManyRequests is 429, InternalError 500).
fn evict(c: &Cluster, ns: &str, name: &str) -> u16 {
    let body = json!({"apiVersion": "policy/v1", "kind": "Eviction",
        "metadata": {"name": name, "namespace": ns}});
    let out = c.kubectl_input(
        &[
            "create",
            "--raw",
            &format!("/api/v1/namespaces/{ns}/pods/{name}/eviction"),
            "-f",
            "-",
        ],
        &body.to_string(),
    );
    if out.status.success() {
        return 201;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("(TooManyRequests)") {
        429
    } else if err.contains("(InternalError)") || err.contains("more than one PodDisruptionBudget") {
        500
    } else {
        panic!("eviction of {ns}/{name}: {err}")
    }
}

#[test]
fn drain_matches_the_eviction_api() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(bin, &tools.kubectl, &[]);
    load(&c);
    let kubeconfig = c.kubeconfig(ADMIN);
    let kc = kubeconfig.to_str().unwrap();
    let nodes: Vec<String> = scenarios().iter().map(|s| drained(s.ns)).collect();

    // plimsoll reads the live cluster ...
    let mut args: Vec<&str> = vec![
        "drain",
        "--kubeconfig",
        kc,
        "--format",
        "json",
        "--no-progress",
    ];
    args.extend(nodes.iter().map(String::as_str));
    let (live, code) = report(&plimsoll(&args));
    assert_eq!(code, 1);
    check_answers(&live, "live");

    // ... and a snapshot of it says the same
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    let out = plimsoll(&[
        "snapshot",
        "--kubeconfig",
        kc,
        "-o",
        snap.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&snap).unwrap();
    assert!(
        !text.contains("registry.example"),
        "images are trimmed away"
    );
    let mut args: Vec<&str> = vec!["drain", snap.to_str().unwrap(), "--format", "json"];
    args.extend(nodes.iter().map(String::as_str));
    let (from_file, _) = report(&plimsoll(&args));
    assert_eq!(from_file["pods"], live["pods"], "snapshot and live differ");

    // kubectl's filters pick the pods plimsoll picks
    let out = c.kubectl_as(
        ADMIN,
        &["drain", "f1", "--ignore-daemonsets", "--dry-run=client"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(use --force to override): filters/bare"),
        "{err}"
    );
    assert!(
        err.contains("(use --delete-emptydir-data to override): filters/cache"),
        "{err}"
    );
    let (v, _) = report(&plimsoll(&[
        "drain",
        "f1",
        "--kubeconfig",
        kc,
        "--format",
        "json",
        "--no-progress",
    ]));
    let got = verdicts(&v);
    assert_eq!(got["filters/bare"], "needs-force");
    assert_eq!(got["filters/cache"], "needs-delete-emptydir");
    assert_eq!(got["filters/agent-f1"], "skip-daemonset");
    let out = c.kubectl_as(
        ADMIN,
        &[
            "drain",
            "f1",
            "--ignore-daemonsets",
            "--force",
            "--delete-emptydir-data",
            "--dry-run=client",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    let mut kubectl_evicts: Vec<String> = said
        .lines()
        .filter_map(|l| l.strip_prefix("evicting pod "))
        .map(|l| l.trim_end_matches(" (dry run)").to_string())
        .collect();
    kubectl_evicts.sort();
    let (v, _) = report(&plimsoll(&[
        "drain",
        "f1",
        "--kubeconfig",
        kc,
        "--format",
        "json",
        "--no-progress",
        "--force",
        "--delete-emptydir-data",
    ]));
    let mut ours: Vec<String> = verdicts(&v)
        .into_iter()
        .filter(|(_, verdict)| verdict == "evict")
        .map(|(id, _)| id)
        .collect();
    ours.sort();
    assert_eq!(kubectl_evicts, ours, "kubectl: {said}");

    // the API server's answers to the evictions, sent in plimsoll's order
    for p in live["pods"].as_array().unwrap() {
        let Some(want) = p["httpStatus"].as_u64() else {
            continue;
        };
        let (ns, name) = (
            p["namespace"].as_str().unwrap(),
            p["name"].as_str().unwrap(),
        );
        let got = evict(&c, ns, name);
        assert_eq!(
            u64::from(got),
            want,
            "eviction of {ns}/{name}: the API server answered {got}, plimsoll said {want} ({})",
            p["reason"]
        );
    }
}
