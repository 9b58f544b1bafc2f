//! `plimsoll audit` against a real kube-apiserver and etcd (built from their Go modules)
//! holding the example application in several namespaces, pods and nodes with status
//! written through the status subresource, and users bound to exactly the roles shipped
//! in `deploy/`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::formats::{
    assert_sarif_matches, count, github_command, have_xmllint, junit_schema, multitool_validate,
    parse_command, parse_xml, sarif_multitool, xmllint_validate,
};
use common::kube_env::{ADMIN, AUDIT, AUDIT_SECRETS, Cluster, NAMESPACED, NOBODY, binaries};
use serde_json::{Value, json};

fn audit(c: &Cluster, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .arg("audit")
        .arg(format!("--kubeconfig={}", c.kubeconfig(user).display()))
        .args(["--format", "json", "--no-config", &now()])
        .args(args)
        .output()
        .expect("run plimsoll")
}

/// The clock of every audit of the test (`--now`), fixed at the first: messages that
/// say how long ago something happened ("for 1m") are the same in every run, however
/// slowly the test goes.
fn now() -> String {
    static NOW: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    format!("--now={}", NOW.get_or_init(|| rfc3339(0)))
}

/// `plimsoll audit` with exactly these arguments.
fn plimsoll_audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .arg("audit")
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
    common::valid_json(out, "report.schema.json")
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
    read_dir_yaml(&common::repo_root().join("examples/naive"))
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

/// A Helm 3 release record as Helm writes it: a Secret of type helm.sh/release.v1 whose
/// `release` key holds base64 of gzip of the release JSON (the API adds its own base64).
/// The release's manifest still uses policy/v1beta1, which the server no longer serves:
/// the next `helm upgrade` of it fails.
fn helm_release(c: &Cluster) {
    use std::io::Write;
    let release = json!({
        "name": "legacy", "namespace": "legacy", "version": 2,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "legacy", "version": "0.4.1"}},
        "manifest": "---\n# Source: legacy/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: legacy\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: legacy}\n---\n# Source: legacy/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: legacy\n"
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.to_string().as_bytes()).unwrap();
    let gz_path = c.dir.path().join("release.gz");
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let b64 = Command::new("base64")
        .arg("-w0")
        .arg(&gz_path)
        .output()
        .unwrap();
    assert!(b64.status.success());
    let rel_path = c.dir.path().join("release");
    std::fs::write(&rel_path, &b64.stdout).unwrap();
    c.kubectl(&["create", "namespace", "legacy"]);
    c.kubectl(&[
        "create",
        "secret",
        "generic",
        "sh.helm.release.v1.legacy.v2",
        "-n",
        "legacy",
        "--type=helm.sh/release.v1",
        &format!("--from-file=release={}", rel_path.display()),
    ]);
    c.kubectl(&[
        "label",
        "secret",
        "sh.helm.release.v1.legacy.v2",
        "-n",
        "legacy",
        "owner=helm",
        "name=legacy",
        "status=deployed",
        "version=2",
    ]);
    // an object last applied by kubectl in a version that is gone (the API server
    // converted it; only the annotation remembers: kubectl itself rewrites the annotation
    // on create, so it is written afterwards, as an old `kubectl apply` left it)
    c.apply(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: legacy, namespace: legacy}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: legacy}\n",
    );
    c.kubectl(&[
        "annotate",
        "pdb",
        "legacy",
        "-n",
        "legacy",
        "--overwrite",
        r#"kubectl.kubernetes.io/last-applied-configuration={"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget","metadata":{"name":"legacy","namespace":"legacy"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"legacy"}}}}"#,
    ]);
}

fn load_state(c: &Cluster) {
    c.apply(&std::fs::read_to_string(common::repo_root().join("deploy/audit-rbac.yaml")).unwrap());
    c.apply(
        &std::fs::read_to_string(common::repo_root().join("deploy/audit-secrets-rbac.yaml"))
            .unwrap(),
    );
    c.apply(TEST_BINDINGS);
    c.apply(EXTERNAL_SECRETS_CRDS);
    c.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd",
        "--all",
        "--timeout=60s",
    ]);
    c.apply(&read_dir_yaml(
        &common::repo_root().join("examples/production"),
    ));
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

/// The finding of a rule on an object (`Kind namespace/name`, `-` for no namespace).
fn one_of(v: &Value, code: &str, what: &str) -> Value {
    let fs = findings(v, code);
    let f = fs.iter().find(|f| on(f) == what).unwrap_or_else(|| {
        panic!(
            "{code} not on {what}: {:?}",
            fs.iter().map(|f| on(f)).collect::<Vec<_>>()
        )
    });
    (*f).clone()
}

/// The notes of a report, one text each.
fn notes(v: &Value) -> Vec<String> {
    v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_string())
        .collect()
}

fn has_note(v: &Value, text: &str) -> bool {
    notes(v).iter().any(|n| n.contains(text))
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// A kubeconfig with two contexts: `bogus` (the current one: a server where nothing
/// listens) and `audit` (the audit's user on the test cluster).
fn two_contexts(c: &Cluster) -> PathBuf {
    let path = c.dir.path().join("two-contexts.kubeconfig");
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {{server: \"{url}\", certificate-authority: \"{ca}\"}}
- name: nowhere
  cluster: {{server: \"https://127.0.0.1:{port}\", insecure-skip-tls-verify: true}}
users:
- name: audit
  user: {{token: {AUDIT}}}
contexts:
- name: bogus
  context: {{cluster: nowhere, user: audit}}
- name: audit
  context: {{cluster: test, user: audit}}
current-context: bogus
",
        url = c.url,
        ca = c.ca().display(),
        port = dead_port(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A run that could not audit: exit 2, a message naming the problem, nothing on stdout.
fn assert_fails(out: &Output, says: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit 2 expected: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "a partial report on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains(says), "{says:?} not in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Every format of one audit run, through the context `--context` picks: text, SARIF,
/// JUnit, GitHub and HTML into files, JSON on stdout.
fn outputs(c: &Cluster) -> Value {
    let kubeconfig = two_contexts(c);
    let d = c.dir.path().join("outputs");
    std::fs::create_dir_all(&d).unwrap();
    let file = |name: &str| d.join(name).display().to_string();
    let formats: Vec<String> = [
        ("text", "report.txt"),
        ("sarif", "report.sarif"),
        ("junit", "junit.xml"),
        ("github", "github.txt"),
        ("html", "report.html"),
    ]
    .iter()
    .map(|(f, name)| format!("--format={f}={}", file(name)))
    .collect();
    let mut args = vec![
        format!("--kubeconfig={}", kubeconfig.display()),
        "--context=audit".to_string(),
        "--no-config".to_string(),
        now(),
        "--format=json".to_string(),
    ];
    args.extend(formats);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = plimsoll_audit(&args);
    let v = report(&out);
    assert_eq!(out.status.code(), Some(1));
    // stderr is not a terminal: no progress bar, nothing at all
    assert!(
        out.stderr.is_empty(),
        "stderr of an audit that went well, not on a terminal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = v["findings"].as_array().unwrap();
    assert!(findings.len() > 50);
    assert!(
        findings.iter().all(|f| f["location"].is_null()),
        "live objects have no file"
    );
    assert!(
        has_note(&v, "Secrets not read (default mode)"),
        "the report says which Secrets mode ran: {:?}",
        notes(&v)
    );
    let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap();

    // text: the object where a file and line would be, and no empty paths
    let text = read("report.txt");
    let arrows: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("--> "))
        .collect();
    let objects: BTreeSet<String> = findings.iter().map(on_display).collect();
    assert_eq!(
        arrows,
        objects.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "every finding names its object where a file would be"
    );
    assert!(text.contains("\n--> Deployment naive/api\n"), "{text}");
    assert!(
        !text.contains(" --> :") && !text.contains("--> \n") && !text.contains(" at :"),
        "an empty path in the text output"
    );
    assert!(
        text.contains("objects read from the cluster;"),
        "summary: {}",
        text.lines().last().unwrap_or("")
    );
    assert!(text.contains("Secrets not read (default mode)"));
    // the kinds the role does not grant, once per kind with every rule that needs it
    assert!(
        text.lines().any(|l| l.starts_with("note: ")
            && l.contains("REF003")
            && l.contains(" not evaluated for every Secret: ")),
        "{text}"
    );

    // SARIF: logical locations (Kind/namespace/name), no physical location without a
    // file, and valid for Microsoft's validator
    let log: Value = serde_json::from_str(&read("report.sarif")).unwrap();
    assert_sarif_matches(&log, &v);
    for r in log["runs"][0]["results"].as_array().unwrap() {
        let loc = &r["locations"][0];
        assert!(loc.get("physicalLocation").is_none(), "{r}");
        assert!(
            loc["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .split('/')
                .count()
                == 3
        );
    }
    if let Some(tool) = sarif_multitool() {
        let problems: Vec<Value> = multitool_validate(&tool, &d.join("report.sarif"))
            .into_iter()
            .filter(|r| r["level"] != "note")
            .collect();
        assert!(
            problems.is_empty(),
            "the SARIF multitool reports errors or warnings on the audit's log: {problems:#?}"
        );
    }

    // JUnit: a suite per namespace and one for cluster-scoped objects, a testcase per
    // object, a failure per finding at or above --fail-on (error by default), the others
    // in the testcase's system-out; `failures` counts failing testcases; valid against
    // Jenkins' schema
    let xml = read("junit.xml");
    let elements = parse_xml(&xml);
    assert_eq!(elements[0].0, "testsuites");
    let failing: BTreeSet<String> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(on_display)
        .collect();
    assert!(!failing.is_empty());
    assert_eq!(count(&elements[0].1, "failures"), failing.len());
    let mut suites: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let (mut suite, mut case) = (String::new(), String::new());
    for (name, attrs) in &elements {
        match name.as_str() {
            "testsuite" => {
                suite = attrs["name"].clone();
                assert!(
                    suites.insert(suite.clone(), BTreeMap::new()).is_none(),
                    "suite {suite} twice"
                );
            }
            "testcase" => {
                case = attrs["name"].clone();
                assert_eq!(attrs["classname"], suite);
                let cases = suites.get_mut(&suite).unwrap();
                assert!(
                    cases.insert(case.clone(), 0).is_none(),
                    "testcase {case} twice in {suite}"
                );
            }
            "failure" => *suites.get_mut(&suite).unwrap().get_mut(&case).unwrap() += 1,
            _ => {}
        }
    }
    let mut want: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for f in findings {
        let s = match f["object"]["namespace"].as_str() {
            Some(ns) => format!("namespace {ns}"),
            None => "cluster-scoped".to_string(),
        };
        *want.entry(s).or_default().entry(on_display(f)).or_default() +=
            usize::from(f["severity"] == "error");
    }
    assert_eq!(suites, want);
    assert_eq!(
        xml.matches("<system-out>findings below --fail-on:").count(),
        findings
            .iter()
            .filter(|f| f["severity"] != "error")
            .map(on_display)
            .collect::<BTreeSet<_>>()
            .len()
    );
    assert!(suites.contains_key("cluster-scoped") && suites.contains_key("namespace naive"));
    if have_xmllint()
        && let Some(xsd) = junit_schema()
        && let Err(said) = xmllint_validate(&xsd, &xml)
    {
        panic!("the audit's JUnit XML does not validate against junit-10.xsd:\n{said}");
    }

    // GitHub: no file to annotate, so annotations without `file=` (GitHub shows them on
    // the run), each naming its object
    let gh = read("github.txt");
    let lines: Vec<&str> = gh.lines().collect();
    assert_eq!(lines.len(), findings.len());
    for (line, f) in lines.iter().zip(findings) {
        let (cmd, props, message) = parse_command(line);
        let want = github_command(f["severity"].as_str().unwrap());
        assert_eq!(cmd, want);
        let keys: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["title"], "{line}");
        let unescaped = message.replace("%0A", "\n").replace("%25", "%");
        assert_eq!(
            unescaped,
            format!("{}: {}", on_display(f), f["message"].as_str().unwrap())
        );
    }

    // HTML: written, and names the context it audited (tests/html.rs drives it in a
    // browser)
    let html = read("report.html");
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    assert!(
        html.contains("cluster audit (https://127.0.0.1:"),
        "the HTML report does not name the cluster"
    );
    v
}

/// How the formats name a finding's object.
fn on_display(f: &Value) -> String {
    let o = &f["object"];
    match o["namespace"].as_str() {
        Some(ns) => format!(
            "{} {ns}/{}",
            o["kind"].as_str().unwrap(),
            o["name"].as_str().unwrap()
        ),
        None => format!(
            "{} {}",
            o["kind"].as_str().unwrap(),
            o["name"].as_str().unwrap()
        ),
    }
}

/// On a terminal, the progress bar shows once the delay has passed (`script` gives the
/// audit a terminal); not on a terminal, never (checked in `outputs`).
fn progress_on_a_terminal(c: &Cluster) {
    if Command::new("script").arg("--version").output().is_err() {
        common::missing(
            "`script`, to give the audit a terminal",
            "apt-get install bsdutils",
        );
        return;
    }
    let json = c.dir.path().join("progress.json");
    let cmd = format!(
        "'{}' audit --kubeconfig='{}' --no-config --progress-delay=0 --format=json='{}'",
        env!("CARGO_BIN_EXE_plimsoll"),
        c.kubeconfig(AUDIT).display(),
        json.display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("reading the cluster") && shown.contains("resources"),
        "no progress bar on a terminal: {shown:?}"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(!v["findings"].as_array().unwrap().is_empty());
    // --no-progress: silent even there
    let quiet = Command::new("script")
        .args(["-qec", &format!("{cmd} --no-progress"), "/dev/null"])
        .output()
        .expect("script");
    assert!(
        !String::from_utf8_lossy(&quiet.stdout).contains("reading the cluster"),
        "--no-progress"
    );
}

/// What stops an audit before it starts: exit 2, the problem named, no report.
fn connection_errors(c: &Cluster) {
    let missing = c.dir.path().join("no-such.kubeconfig");
    assert_fails(
        &plimsoll_audit(&[&format!("--kubeconfig={}", missing.display())]),
        "no such kubeconfig file",
    );
    let broken = c.dir.path().join("broken.kubeconfig");
    std::fs::write(&broken, "clusters: [\n").unwrap();
    assert_fails(
        &plimsoll_audit(&[&format!("--kubeconfig={}", broken.display())]),
        "cannot read kubeconfig",
    );
    // the current context of this kubeconfig is a server where nothing listens
    let two = two_contexts(c);
    let kc = format!("--kubeconfig={}", two.display());
    let start = Instant::now();
    assert_fails(
        &plimsoll_audit(&[&kc]),
        "cannot reach the API server of bogus",
    );
    assert!(start.elapsed() < Duration::from_secs(30));
    let out = plimsoll_audit(&[&kc, "--context=bogus"]);
    assert_fails(&out, "Connection refused");
    assert_fails(
        &plimsoll_audit(&[&kc, "--context=elsewhere"]),
        "no context `elsewhere` (it has: bogus, audit)",
    );
    assert_fails(
        &plimsoll_audit(&[&kc, "--context=audit", "--selector=app in ("]),
        "--selector `app in (`",
    );
}

/// `--selector`: the report covers the namespaced objects with the labels (and the
/// cluster-scoped ones), judged against the whole cluster: a namespace whose
/// NetworkPolicy lacks the label still has it.
fn selector(c: &Cluster, full: &Value) {
    let sel = report(&audit(c, AUDIT, &["--selector", "app=api"]));
    let labelled: BTreeSet<(String, String, String)> = c
        .kubectl(&[
            "get",
            "deployments,statefulsets,daemonsets,cronjobs,jobs,replicasets,pods,services,configmaps,serviceaccounts,ingresses,networkpolicies,poddisruptionbudgets,horizontalpodautoscalers,roles,rolebindings",
            "--all-namespaces",
            "--selector=app=api",
            "-o",
            "jsonpath={range .items[*]}{.kind} {.metadata.namespace} {.metadata.name}{\"\\n\"}{end}",
        ])
        .lines()
        .filter_map(|l| {
            let mut p = l.split(' ');
            Some((p.next()?.into(), p.next()?.into(), p.next()?.into()))
        })
        .collect();
    assert!(labelled.contains(&("Deployment".into(), "naive".into(), "api".into())));
    let key = |f: &Value| {
        (
            f["code"].as_str().unwrap().to_string(),
            on_display(f),
            f["path"].as_str().unwrap().to_string(),
            f["message"].as_str().unwrap().to_string(),
        )
    };
    let namespaced = |v: &Value, keep: &dyn Fn(&Value) -> bool| -> BTreeSet<_> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| keep(f))
            .map(key)
            .collect()
    };
    let is_labelled = |f: &Value| {
        f["object"]["namespace"].as_str().is_some_and(|ns| {
            labelled.contains(&(
                f["object"]["kind"].as_str().unwrap().to_string(),
                ns.to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
            ))
        })
    };
    let got = namespaced(&sel, &|f| !f["object"]["namespace"].is_null());
    assert!(!got.is_empty());
    assert_eq!(
        got,
        namespaced(full, &is_labelled),
        "the selected objects, and only they, with the findings of the whole audit"
    );
    let cluster_scoped = |f: &Value| f["object"]["namespace"].is_null();
    assert_eq!(
        namespaced(&sel, &cluster_scoped),
        namespaced(full, &cluster_scoped),
        "cluster-scoped objects are judged as without a selector"
    );
    assert!(sel["summary"]["objects"].as_u64() < full["summary"]["objects"].as_u64());
    assert!(has_note(&sel, "--selector app=api: "), "{:?}", notes(&sel));
}

/// A user bound to the audit role in one namespace only: cluster-scoped kinds are
/// forbidden, so the rules that read Nodes are not evaluated, for every Node (not for
/// Nodes "in" the namespace), and the namespace's own objects are judged.
fn namespaced_user(c: &Cluster) {
    c.apply(&format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: team-audit, namespace: naive}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: plimsoll-audit}}\nsubjects:\n  - {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {NAMESPACED}}}\n"
    ));
    let v = report(&audit(c, NAMESPACED, &["--namespace", "naive"]));
    let ne = v["notEvaluated"].as_array().unwrap();
    let node_blocked: Vec<&Value> = ne
        .iter()
        .filter(|n| n["object"]["kind"] == "Node")
        .collect();
    for code in ["LIV006", "LIV007", "LIV008", "LIV009", "LIV011"] {
        let n = node_blocked
            .iter()
            .find(|n| n["code"] == code)
            .unwrap_or_else(|| panic!("{code} not evaluated without Nodes: {node_blocked:?}"));
        assert!(
            n["object"]["namespace"].is_null(),
            "Nodes have no namespace: {n}"
        );
        assert_eq!(n["object"]["name"], "");
        assert!(n["reason"].as_str().unwrap().contains("forbidden"), "{n}");
        assert!(findings(&v, code).is_empty(), "{code} ran without Nodes");
    }
    // the namespaced kinds of that namespace were read and judged
    assert!(!codes_on(&v, "Deployment", "naive", "api").is_empty());
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["object"]["namespace"] == "naive"),
        "only the namespace audited"
    );
    assert!(
        ne.iter()
            .filter(|n| n["object"]["kind"] == "Secret")
            .all(|n| n["object"]["namespace"] == "naive")
    );
    assert!(has_note(&v, "nodes could not be read"), "{:?}", notes(&v));
    assert!(
        has_note(&v, "/metrics could not be read"),
        "{:?}",
        notes(&v)
    );
}

/// An aggregated API whose server does not answer (metrics-server down, the most common
/// case) is stale in discovery: the audit says so and goes on.
fn stale_aggregated_api(c: &Cluster) {
    c.apply(
        r#"
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: metrics-server, namespace: kube-system, port: 443}
"#,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = report(&audit(c, AUDIT, &[]));
        if has_note(&v, "not listed: every resource (metrics.k8s.io/v1beta1)") {
            assert!(has_note(
                &v,
                "is unavailable (its discovery document is stale)"
            ));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no note on the unavailable metrics.k8s.io: {:?}",
            notes(&v)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The in-cluster Job of `deploy/` is admitted by the API server into the namespace that
/// enforces the restricted Pod Security level, without a warning; a variant that breaks
/// the level draws one (the check is live).
fn job_is_admitted(c: &Cluster) {
    let job = std::fs::read_to_string(common::repo_root().join("deploy/audit-job.yaml")).unwrap();
    let apply = |yaml: &str| {
        let path = c.dir.path().join("job.yaml");
        std::fs::write(&path, yaml).unwrap();
        let out = c.kubectl_as(
            ADMIN,
            &[
                "apply",
                "--dry-run=server",
                "-f",
                &path.display().to_string(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let broken = job.replace(
        "allowPrivilegeEscalation: false",
        "allowPrivilegeEscalation: true",
    );
    assert_ne!(broken, job);
    assert!(
        apply(&broken).contains("would violate PodSecurity \"restricted:"),
        "the API server does not warn about a template that breaks the restricted level"
    );
    let said = apply(&job);
    assert!(said.trim().is_empty(), "deploy/audit-job.yaml: {said}");
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
    helm_release(&c);

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
    let one = |code: &str, what: &str| one_of(&v, code, what);
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
    assert!(has_note(&v, "widgets could not be read"), "{:?}", notes(&v));
    assert!(
        ne.iter().any(|n| n["object"]["kind"] == "Widget"),
        "Widget: 403 must be not evaluated"
    );
    assert!(v["objects"].is_null() && v["summary"]["objects"].as_u64().unwrap() > 100);

    // --- every output format of one run, through --context; progress on a terminal
    let outputs_report = outputs(&c);
    assert_eq!(outputs_report["findings"], v["findings"]);
    progress_on_a_terminal(&c);
    connection_errors(&c);
    selector(&c, &v);
    namespaced_user(&c);

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
    // the cluster-scoped objects read beside it are reported (Nodes), the Namespace
    // objects of other namespaces are not
    one_of(&ns, "LIV009", "Node -/node-c");
    for entries in [&ns["findings"], &ns["notEvaluated"], &ns["exempted"]] {
        for e in entries.as_array().unwrap() {
            assert!(
                e["object"]["kind"] != "Namespace" || e["object"]["name"] == "shop",
                "another namespace in an audit of shop: {e}"
            );
        }
    }
    one_of(&v, "PSS201", "Namespace -/naive");
    assert!(ns["summary"]["objects"].as_u64() < v["summary"]["objects"].as_u64());

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
        has_note(&vs, "Secrets read (--secrets: keys only, values dropped)"),
        "{:?}",
        notes(&vs)
    );
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
    // Helm release records: the apiVersions the next upgrade sends, judged by API001
    let helm = findings(&vs, "API001");
    assert!(
        helm.iter().any(|f| {
            let m = f["message"].as_str().unwrap();
            m.contains("policy/v1beta1") && m.contains("Helm release legacy/legacy revision 2")
        }),
        "API001 on the Helm release manifest: {helm:?}"
    );
    // the last-applied annotation is a weak signal, said as such, in both modes
    for r in [&v, &vs] {
        assert!(
            has_note(r, "last applied with kubectl as policy/v1beta1")
                && has_note(r, "a weak signal"),
            "{:?}",
            notes(r)
        );
    }
    // --secrets without the role: 403 on Secrets is reported as not evaluated
    let denied = report(&audit(&c, AUDIT, &["--secrets"]));
    assert!(
        has_note(&denied, "--secrets was given but listing them was refused"),
        "the report says the Secrets mode that actually ran: {:?}",
        notes(&denied)
    );
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

    stale_aggregated_api(&c);
    job_is_admitted(&c);
}

/// The cluster's ValidatingAdmissionPolicies judge the objects already there (POL001: a
/// policy made after them, which they would not pass again), and `--policy` tries a
/// policy from a file on the cluster before it is applied, replacing the cluster's copy.
#[test]
fn audit_evaluates_the_clusters_policies_and_those_of_files() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(bin, &tools.kubectl, &[]);
    c.apply(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: legacy-cart, namespace: shop}\n\
         spec:\n  replicas: 7\n  selector: {matchLabels: {app: cart}}\n  template:\n    \
         metadata: {labels: {app: cart}}\n    spec:\n      containers:\n      - {name: app, image: 'docker.io/library/cart:1.0'}\n",
    );
    // made after the Deployment: the API server never judged it
    c.apply(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
         metadata: {name: replica-limit}\nspec:\n  matchConstraints:\n    resourceRules:\n    \
         - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}\n  \
         validations:\n  - {expression: 'object.spec.replicas <= 5', message: at most 5 replicas}\n---\n\
         apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
         metadata: {name: replica-limit}\nspec: {policyName: replica-limit, validationActions: [Deny]}\n",
    );
    let out = audit(&c, ADMIN, &["--select", "POL"]);
    let v = report(&out);
    let pol = findings(&v, "POL001");
    assert_eq!(pol.len(), 1, "{v:#}");
    assert_eq!(on(pol[0]), "Deployment shop/legacy-cart");
    assert_eq!(
        pol[0]["message"],
        "ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit' denied request: at most 5 replicas"
    );

    // a file's version of the policy replaces the cluster's; the example's policies
    // read a param from the file too
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("replica-limit.yaml");
    std::fs::write(
        &file,
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
         metadata: {name: replica-limit}\nspec:\n  matchConstraints:\n    resourceRules:\n    \
         - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}\n  \
         validations:\n  - {expression: 'object.spec.replicas <= 10', message: at most 10 replicas}\n",
    )
    .unwrap();
    let examples = common::repo_root().join("examples/policies/policies.yaml");
    let out = audit(
        &c,
        ADMIN,
        &[
            "--select",
            "POL",
            "--policy",
            &file.to_string_lossy(),
            "--policy",
            &examples.to_string_lossy(),
        ],
    );
    let v = report(&out);
    let messages: BTreeSet<String> = findings(&v, "POL001")
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !messages.iter().any(|m| m.contains("at most 5 replicas")),
        "the file's policy replaces the cluster's: {messages:#?}"
    );
    assert!(
        messages.contains(
            "ValidatingAdmissionPolicy 'workload-rules' with binding 'workload-rules' denied request: every workload carries a `team` label"
        ),
        "{messages:#?}"
    );
    // the related policy is located in its file
    let f = findings(&v, "POL001")
        .into_iter()
        .find(|f| f["message"].as_str().unwrap().contains("team"))
        .unwrap();
    assert!(
        f["related"][0]["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("policies.yaml"),
        "{f:#}"
    );
}
