//! `plimsoll audit` against a real kube-apiserver and etcd (built from their Go modules)
//! holding the example application in several namespaces, pods and nodes with status
//! written through the status subresource, and users bound to exactly the roles shipped
//! in `deploy/`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::kube_env::{ADMIN, AUDIT, AUDIT_SECRETS, Cluster, NOBODY, binaries};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn audit(c: &Cluster, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .arg("audit")
        .arg(format!("--kubeconfig={}", c.kubeconfig(user).display()))
        .args(["--format", "json", "--no-config"])
        .args(args)
        .output()
        .expect("run plimsoll")
}

fn report(out: &Output) -> Value {
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "report violates the schema: {errors:?}");
    v
}

fn findings<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn on(f: &Value) -> String {
    format!(
        "{} {}/{}",
        f["object"]["kind"].as_str().unwrap_or(""),
        f["object"]["namespace"].as_str().unwrap_or("-"),
        f["object"]["name"].as_str().unwrap_or("")
    )
}

fn codes_on(v: &Value, kind: &str, ns: &str, name: &str) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["object"]["kind"] == kind
                && f["object"]["namespace"] == ns
                && f["object"]["name"] == name
        })
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// Versions the API server no longer serves: documents of the naive example that use
/// them never reach a cluster.
const REMOVED: &[&str] = &[
    "autoscaling/v2beta2",
    "batch/v1beta1",
    "extensions/v1beta1",
    "networking.k8s.io/v1beta1",
    "policy/v1beta1",
];

const EXTERNAL_SECRETS_CRDS: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: externalsecrets.external-secrets.io}
spec:
  group: external-secrets.io
  scope: Namespaced
  names: {kind: ExternalSecret, plural: externalsecrets, singular: externalsecret, listKind: ExternalSecretList}
  versions:
    - name: v1beta1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: secretstores.external-secrets.io}
spec:
  group: external-secrets.io
  scope: Namespaced
  names: {kind: SecretStore, plural: secretstores, singular: secretstore, listKind: SecretStoreList}
  versions:
    - name: v1beta1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
# a group the shipped role does not grant: its objects are reported, not skipped
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"#;

/// The test users bound to exactly the shipped roles.
const TEST_BINDINGS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: test-plimsoll-audit}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: plimsoll-audit}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: plimsoll-audit}
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: plimsoll-audit-secrets}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: test-plimsoll-audit-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: plimsoll-audit-secrets}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: plimsoll-audit-secrets}
"#;

fn read_dir_yaml(dir: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The naive example as the cluster would hold it, in namespaces of its own: the
/// documents in removed API versions could never have been applied.
fn naive_servable() -> String {
    read_dir_yaml(&repo().join("examples/naive"))
        .replace("shop", "naive")
        .split("\n---")
        .filter(|d| {
            !REMOVED
                .iter()
                .any(|v| d.contains(&format!("apiVersion: {v}\n")))
        })
        .collect::<Vec<_>>()
        .join("\n---")
}

fn rfc3339(minutes_ago: i64) -> String {
    let out = Command::new("date")
        .args([
            "-u",
            "-d",
            &format!("{minutes_ago} minutes ago"),
            "+%Y-%m-%dT%H:%M:%SZ",
        ])
        .output()
        .expect("date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A ReplicaSet of a Deployment, and pods of it, as the controllers would write them.
fn replicaset_and_pods(
    c: &Cluster,
    ns: &str,
    deploy: &str,
    hash: &str,
    pods: &[(&str, Option<&str>)],
) {
    let d: Value =
        serde_json::from_str(&c.kubectl(&["get", "deployment", deploy, "-n", ns, "-o", "json"]))
            .unwrap();
    let uid = d["metadata"]["uid"].as_str().unwrap();
    let mut template = d["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let mut selector = d["spec"]["selector"].clone();
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    let rs_name = format!("{deploy}-{hash}");
    let rs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": rs_name, "namespace": ns, "labels": template["metadata"]["labels"],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy, "uid": uid,
                "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"replicas": pods.len(), "selector": selector, "template": template}
    });
    c.kubectl_stdin(&["create", "-f", "-"], &rs.to_string());
    let rs_uid = c.uid("replicaset", Some(ns), &rs_name);
    for (suffix, node) in pods {
        let mut spec = template["spec"].clone();
        if let Some(n) = node {
            spec["nodeName"] = json!(n);
        }
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("{rs_name}-{suffix}"), "namespace": ns, "labels": template["metadata"]["labels"],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid,
                    "controller": true, "blockOwnerDeletion": true}]},
            "spec": spec
        });
        c.kubectl_stdin(&["create", "-f", "-"], &pod.to_string());
    }
}

fn load_state(c: &Cluster) {
    c.apply(&std::fs::read_to_string(repo().join("deploy/audit-rbac.yaml")).unwrap());
    c.apply(&std::fs::read_to_string(repo().join("deploy/audit-secrets-rbac.yaml")).unwrap());
    c.apply(TEST_BINDINGS);
    c.apply(EXTERNAL_SECRETS_CRDS);
    c.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd",
        "--all",
        "--timeout=60s",
    ]);
    c.apply(&read_dir_yaml(&repo().join("examples/production")));
    // one document at a time: the API server rejects what the naive example gets wrong
    // at the schema level (numbers in string fields, YML003), as it would have then
    let mut accepted = Vec::new();
    for doc in naive_servable().split("\n---") {
        if doc.contains("kind:") && c.kubectl_stdin_ok(&["apply", "--server-side", "-f", "-"], doc)
        {
            accepted.push(doc.to_string());
        }
    }
    assert!(
        accepted.len() > 15,
        "the naive example did not load: {}",
        accepted.len()
    );
    std::fs::write(
        c.dir.path().join("naive-accepted.yaml"),
        accepted.join("\n---"),
    )
    .unwrap();
    c.apply("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: naive}\n");

    // nodes, in three zones: one under memory pressure, one not ready
    for (name, zone) in [
        ("node-a", "eu-1a"),
        ("node-b", "eu-1b"),
        ("node-c", "eu-1c"),
    ] {
        c.apply(&format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/hostname: {name}, topology.kubernetes.io/zone: {zone}}}\n"
        ));
    }
    let hb = rfc3339(1);
    let cond = |t: &str, s: &str, reason: &str| json!({"type": t, "status": s, "reason": reason, "lastHeartbeatTime": hb, "lastTransitionTime": hb, "message": reason});
    let healthy = |extra: Vec<Value>| {
        let mut v = vec![
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID"),
        ];
        v.extend(extra);
        json!({"conditions": v, "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
               "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110"}})
    };
    c.set_status(
        "node",
        None,
        "node-a",
        &healthy(vec![cond("Ready", "True", "KubeletReady")]).to_string(),
    );
    let mut b = healthy(vec![cond("Ready", "True", "KubeletReady")]);
    b["conditions"][0] = cond("MemoryPressure", "True", "KubeletHasInsufficientMemory");
    c.set_status("node", None, "node-b", &b.to_string());
    c.set_status(
        "node",
        None,
        "node-c",
        &healthy(vec![cond("Ready", "Unknown", "NodeStatusUnknown")]).to_string(),
    );

    // the api Deployment of the naive shop: two pods, both on node-a; one was
    // OOMKilled an hour ago, the other is crash-looping
    replicaset_and_pods(
        c,
        "naive",
        "api",
        "5d8f7c9b4",
        &[("x2k4p", Some("node-a")), ("q7n2w", Some("node-a"))],
    );
    let started = rfc3339(50);
    let oom = rfc3339(60);
    c.set_status("pod", Some("naive"), "api-5d8f7c9b4-x2k4p", &json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [{"name": "api", "image": "naive/api:latest", "imageID": "", "ready": true, "started": true,
            "restartCount": 7,
            "state": {"running": {"startedAt": started}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": rfc3339(120), "finishedAt": oom}}}]
    }).to_string());
    c.set_status("pod", Some("naive"), "api-5d8f7c9b4-q7n2w", &json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [{"name": "api", "image": "naive/api:latest", "imageID": "", "ready": false, "started": false,
            "restartCount": 12,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": rfc3339(6), "finishedAt": rfc3339(5)}}}]
    }).to_string());
    c.set_status("deployment", Some("naive"), "api", &json!({
        "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1, "availableReplicas": 1,
        "unavailableReplicas": 1
    }).to_string());
    // the redis pod cannot be scheduled
    replicaset_and_pods(c, "naive-data", "redis", "7c5b9d8f6", &[("m4t8z", None)]);
    c.set_status("pod", Some("naive-data"), "redis-7c5b9d8f6-m4t8z", &json!({
        "phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
            "lastTransitionTime": rfc3339(30)}]
    }).to_string());
    // the api PDB of the naive shop allows no disruption now: a drain would hang
    let pdbs = c.kubectl(&["get", "pdb", "-n", "naive", "-o", "name"]);
    if pdbs.contains("poddisruptionbudget.policy/api") {
        c.set_status("pdb", Some("naive"), "api", &json!({
            "observedGeneration": 1, "disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 2, "expectedPods": 2
        }).to_string());
    }
    // cluster DNS with a single replica and no PDB
    c.apply(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      priorityClassName: system-cluster-critical
      containers:
        - name: coredns
          image: registry.k8s.io/coredns/coredns:v1.12.1
          resources: {requests: {cpu: 100m, memory: 70Mi}, limits: {memory: 170Mi}}
"#,
    );
}

#[test]
fn audit_against_a_real_apiserver() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(
        bin,
        &tools.kubectl,
        &["--runtime-config=resource.k8s.io/v1beta1=true"],
    );
    load_state(&c);

    // --- the default role: every rule group runs, Secrets are not read
    let metrics_before = c.metrics();
    let out = audit(&c, AUDIT, &[]);
    let v = report(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "errors found: exit 1\n{stderr}");
    // the audit itself requested no deprecated API
    let deprecated = |m: &str| {
        m.lines()
            .filter(|l| l.starts_with("apiserver_requested_deprecated_apis{"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        deprecated(&metrics_before),
        deprecated(&c.metrics()),
        "the audit requested a deprecated API"
    );

    // the same rules, with the same codes, as `check` on the same objects
    let check = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(["check", "-", "--format", "json", "--no-config"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut ch| {
            use std::io::Write;
            ch.stdin
                .take()
                .unwrap()
                .write_all(&std::fs::read(c.dir.path().join("naive-accepted.yaml")).unwrap())?;
            ch.wait_with_output()
        })
        .expect("check");
    let checked: Value = serde_json::from_slice(&check.stdout).unwrap();
    let not_evaluated: BTreeSet<String> = v["notEvaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect();
    for (ns, name) in [
        ("naive", "api"),
        ("naive", "frontend"),
        ("naive-data", "redis"),
        ("naive", "worker"),
    ] {
        if codes_on(&checked, "Deployment", ns, name).is_empty() {
            continue; // rejected by the API server
        }
        let live = codes_on(&v, "Deployment", ns, name);
        let files = codes_on(&checked, "Deployment", ns, name);
        let only_files: BTreeSet<_> = files
            .difference(&live)
            // YAML-text rules have no text to judge on a live object, and rules that
            // need Secrets are not evaluated by the default role
            .filter(|c| !c.starts_with("YML") && *c != "META003" && !not_evaluated.contains(*c))
            .collect();
        assert!(
            only_files.is_empty(),
            "Deployment {ns}/{name}: check found {only_files:?} that the audit did not (live {live:?})"
        );
        assert!(live.contains("RES001") || files.is_empty() || !files.contains("RES001"));
    }
    // owned objects are judged through their owner: no finding on ReplicaSets or Pods
    // of the Deployments for template rules
    assert!(
        findings(&v, "RES001")
            .iter()
            .all(|f| f["object"]["kind"] != "Pod" && f["object"]["kind"] != "ReplicaSet"),
        "template rules ran on controlled objects"
    );
    // every rule group ran
    let groups: BTreeSet<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["code"]
                .as_str()
                .unwrap()
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string()
        })
        .collect();
    for g in [
        "RES", "PRB", "AVL", "PSS", "SEC", "IMG", "NET", "RBAC", "META", "LIV",
    ] {
        assert!(
            groups.contains(g),
            "no {g} finding in the audit: {groups:?}"
        );
    }

    // live-only rules against what the API server returned
    let one = |code: &str, what: &str| -> Value {
        let fs = findings(&v, code);
        let f = fs.iter().find(|f| on(f) == what).unwrap_or_else(|| {
            panic!(
                "{code} not on {what}: {:?}",
                fs.iter().map(|f| on(f)).collect::<Vec<_>>()
            )
        });
        (*f).clone()
    };
    let oom = one("LIV001", "Deployment naive/api");
    assert!(
        oom["message"].as_str().unwrap().contains("OOMKilled"),
        "{oom}"
    );
    one("LIV002", "Deployment naive/api");
    let unsched = one("LIV004", "Deployment naive-data/redis");
    assert!(
        unsched["message"]
            .as_str()
            .unwrap()
            .contains("Insufficient memory"),
        "{unsched}"
    );
    one("LIV005", "Deployment naive/api");
    one("LIV006", "Deployment naive/api");
    one("LIV008", "Node -/node-b");
    one("LIV009", "Node -/node-c");
    one("LIV011", "Deployment kube-system/coredns");
    one("LIV012", "Deployment kube-system/coredns");
    assert!(
        findings(&v, "LIV013").is_empty(),
        "no deprecated API was requested yet"
    );

    // Secrets are not read: rules that need them are not evaluated, never passed
    let ne = v["notEvaluated"].as_array().unwrap();
    assert!(
        ne.iter()
            .any(|n| n["code"] == "REF003" && n["object"]["kind"] == "Secret"),
        "REF003 must be not evaluated without Secrets: {ne:?}"
    );
    assert!(findings(&v, "REF003").is_empty());
    // a group outside the role: a note and not-evaluated entries, not a pass
    let notes = v["notes"].to_string();
    assert!(notes.contains("widgets could not be read"), "{notes}");
    assert!(
        ne.iter().any(|n| n["object"]["kind"] == "Widget"),
        "Widget: 403 must be not evaluated"
    );
    assert!(v["objects"].is_null() && v["summary"]["objects"].as_u64().unwrap() > 100);

    // --- paging: two items per request gives the same report
    let paged = report(&audit(&c, AUDIT, &["--page-size", "2"]));
    assert_eq!(paged["findings"], v["findings"]);

    // --- one namespace
    let ns = report(&audit(&c, AUDIT, &["-n", "shop"]));
    assert!(
        ns["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["object"]["namespace"] == "shop" || f["object"]["namespace"].is_null())
    );

    // --- with Secrets: references are checked and no secret value is kept
    let secret_value = c.kubectl(&[
        "get",
        "secret",
        "-n",
        "naive",
        "-o",
        "jsonpath={.items[0].data}",
    ]);
    assert!(!secret_value.is_empty());
    let out = audit(&c, AUDIT_SECRETS, &["--secrets"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let vs = report(&out);
    assert!(
        !vs["notEvaluated"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["object"]["kind"] == "Secret")
    );
    for value in serde_json::from_str::<Value>(&secret_value)
        .unwrap()
        .as_object()
        .unwrap()
        .values()
    {
        assert!(
            !text.contains(value.as_str().unwrap()),
            "a secret value reached the report"
        );
    }
    // --secrets without the role: 403 on Secrets is reported as not evaluated
    let denied = report(&audit(&c, AUDIT, &["--secrets"]));
    assert!(
        denied["notEvaluated"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["object"]["kind"] == "Secret")
    );

    // --- a user without permissions: everything not evaluated, nothing passes
    let none = report(&audit(&c, NOBODY, &[]));
    assert!(none["findings"].as_array().unwrap().is_empty());
    assert!(none["notEvaluated"].as_array().unwrap().len() > 100);

    // --- a client still calls a deprecated API version: LIV013 from the metric
    c.kubectl(&[
        "get",
        "--raw",
        "/apis/resource.k8s.io/v1beta1/deviceclasses",
    ]);
    let v2 = report(&audit(&c, AUDIT, &[]));
    let f = findings(&v2, "LIV013");
    assert!(
        f.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("resource.k8s.io/v1beta1")),
        "LIV013: {f:?}"
    );
    let _ = ADMIN;
}
