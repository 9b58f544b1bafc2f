//! `plimsoll upgrade --to 1.N`: what breaks at the target, on files (manifests, a
//! `kubectl get -o yaml` dump with the annotations and managed fields kubectl shows,
//! Helm release records) and on a real kube-apiserver, with a release record written
//! by the real helm binary beside one written as an old Helm left it.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output};

use common::kube_env::{ADMIN, Cluster, binaries};
use serde_json::{Value, json};

fn plimsoll(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(args)
        .output()
        .expect("run plimsoll")
}

/// The JSON report, validated against schemas/report.schema.json.
fn report(out: &Output) -> Value {
    common::valid_json(out, "report.schema.json")
}

/// `CODE Kind ns/name` of every finding.
fn found(v: &Value) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let o = &f["object"];
            format!(
                "{} {} {}{}",
                f["code"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["namespace"]
                    .as_str()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default(),
                o["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn message<'a>(v: &'a Value, code: &str, name: &str) -> &'a str {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["object"]["name"] == name)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no {code} on {name}"))
}

const MANIFESTS: &str = "\
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: registry.example.com/report:2.0.1}]
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
          livenessProbe:
            httpGet: {host: 10.0.0.7, path: /healthz, port: 8080}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ingress-policy}
webhooks:
  - name: ingress.policy.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig:
      service: {name: policy, namespace: policy}
    rules:
      - apiGroups: [extensions]
        apiVersions: [v1beta1]
        operations: [CREATE, UPDATE]
        resources: [ingresses]
";

/// What `kubectl get pdb,nodes -o yaml --show-managed-fields` prints.
const DUMP: &str = "\
apiVersion: v1
kind: List
items:
  - apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata:
      name: api
      namespace: shop
      annotations:
        kubectl.kubernetes.io/last-applied-configuration: |
          {\"apiVersion\":\"policy/v1beta1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"api\",\"namespace\":\"shop\"},\"spec\":{\"minAvailable\":1}}
      managedFields:
        - manager: legacy-operator
          operation: Update
          apiVersion: policy/v1beta1
          time: \"2021-06-01T10:00:00Z\"
    spec:
      minAvailable: 1
      selector: {matchLabels: {app: api}}
  - apiVersion: v1
    kind: Node
    metadata: {name: pool-a-1}
    status:
      nodeInfo: {kubeletVersion: v1.30.4}
";

#[test]
fn upgrade_on_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), MANIFESTS).unwrap();
    std::fs::write(dir.path().join("dump.yaml"), DUMP).unwrap();
    let path = dir.path().to_str().unwrap();

    let out = plimsoll(&[
        "upgrade",
        "--to",
        "1.34",
        "--from",
        "1.33",
        "--format",
        "json",
        "--no-config",
        path,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "something breaks: exit 1\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = report(&out);
    let expected: BTreeSet<String> = [
        "API001 CronJob shop/nightly",
        "UPG001 PodDisruptionBudget shop/api",
        "UPG002 PodDisruptionBudget shop/api",
        "UPG004 ValidatingWebhookConfiguration ingress-policy",
        "UPG005 Deployment shop/api",
        "UPG006 Node pool-a-1",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(found(&v), expected);
    assert!(message(&v, "API001", "nightly").contains("use `batch/v1` CronJob"));
    assert!(message(&v, "UPG005", "api").contains("hostProbesAndHostLifecycle"));

    // from 1.34 on, the probe is rejected already: that is PSS205's, not an upgrade's
    let out = plimsoll(&[
        "upgrade",
        "--to",
        "1.35",
        "--from",
        "1.34",
        "--format",
        "json",
        "--no-config",
        path,
    ]);
    let v = report(&out);
    assert!(!found(&v).iter().any(|f| f.starts_with("UPG005")));
    // without --from, files are taken to run the minor before the target
    let out = plimsoll(&[
        "upgrade",
        "--to",
        "1.34",
        "--format",
        "json",
        "--no-config",
        path,
    ]);
    assert!(found(&report(&out)).contains("UPG005 Deployment shop/api"));

    // at 1.24 nothing of this is removed yet (the CronJob's version goes in 1.25), but
    // the kubelet is too old and the PDB's old version deprecated
    let out = plimsoll(&[
        "upgrade",
        "--to",
        "1.24",
        "--from",
        "1.23",
        "--format",
        "json",
        "--no-config",
        path,
    ]);
    let v = report(&out);
    assert!(!found(&v).iter().any(|f| f.starts_with("API001")));
    assert!(found(&v).contains("API002 CronJob shop/nightly"));

    // --diff shows the mechanical migrations and writes nothing
    let before = std::fs::read_to_string(dir.path().join("app.yaml")).unwrap();
    let out = plimsoll(&["upgrade", "--to", "1.34", "--diff", "--no-config", path]);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("-apiVersion: batch/v1beta1") && diff.contains("+apiVersion: batch/v1"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        before
    );

    // bad versions are input errors
    for args in [
        ["upgrade", "--to", "1.99", path],
        ["upgrade", "--to", "2.1", path],
    ] {
        assert_eq!(plimsoll(&args).status.code(), Some(2), "{args:?}");
    }
    let out = plimsoll(&["upgrade", "--to", "1.30", "--from", "1.31", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not older than --to"));
}

/// A Helm release record as an old Helm left it: base64 of gzip of the release JSON
/// (the API adds its own base64), its manifest in versions 1.37 no longer serves.
fn old_release(c: &Cluster) {
    use base64::Engine;
    use std::io::Write;
    let release = json!({
        "name": "legacy", "namespace": "legacy", "version": 2,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "legacy", "version": "0.4.1"}},
        "config": {"password": "hunter2"},
        "manifest": "---\n# Source: legacy/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: legacy\n---\n# Source: legacy/templates/cronjob.yaml\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: legacy\n"
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.to_string().as_bytes()).unwrap();
    let helm = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    let path = c.dir.path().join("release");
    std::fs::write(&path, helm).unwrap();
    c.kubectl(&["create", "namespace", "legacy"]);
    c.kubectl(&[
        "create",
        "secret",
        "generic",
        "sh.helm.release.v1.legacy.v2",
        "-n",
        "legacy",
        "--type=helm.sh/release.v1",
        &format!("--from-file=release={}", path.display()),
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
}

#[test]
fn upgrade_against_a_real_apiserver() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(bin, &tools.kubectl, &[]);
    old_release(&c);
    // a release written by the real helm binary
    let chart = c.dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: shop\nversion: 1.2.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/pdb.yaml"),
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: shop}\n",
    )
    .unwrap();
    let kubeconfig = c.kubeconfig(ADMIN);
    let helm = Command::new(&tools.helm)
        .args(["install", "shop"])
        .arg(&chart)
        .args(["--namespace", "web", "--create-namespace", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .expect("run helm");
    assert!(
        helm.status.success(),
        "helm install: {}",
        String::from_utf8_lossy(&helm.stderr)
    );
    // an object last applied by kubectl in a version that is gone (kubectl rewrites
    // the annotation on create, so it is written afterwards, as an old apply left it)
    c.apply(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: api, namespace: legacy}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: api}\n",
    );
    c.kubectl(&[
        "annotate",
        "pdb",
        "api",
        "-n",
        "legacy",
        "--overwrite",
        r#"kubectl.kubernetes.io/last-applied-configuration={"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget","metadata":{"name":"api","namespace":"legacy"},"spec":{"minAvailable":1}}"#,
    ]);

    let kc = kubeconfig.to_str().unwrap();
    let out = plimsoll(&[
        "upgrade",
        "--to",
        "1.37",
        "--from",
        "1.36",
        "--kubeconfig",
        kc,
        "--context",
        "test",
        "--helm-releases",
        "--format",
        "json",
        "--no-config",
        "--no-progress",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let v = report(&out);
    let f = found(&v);
    assert!(
        f.contains("UPG001 PodDisruptionBudget legacy/api"),
        "{f:?}\n{stderr}"
    );
    assert!(
        f.contains("UPG003 Secret legacy/sh.helm.release.v1.legacy.v2"),
        "{f:?}"
    );
    let m = message(&v, "UPG003", "sh.helm.release.v1.legacy.v2");
    assert!(
        m.contains("`policy/v1beta1` PodDisruptionBudget `legacy`")
            && m.contains("`batch/v1beta1` CronJob `legacy`"),
        "{m}"
    );
    // the release helm wrote is read, and is fine
    assert!(
        !f.iter().any(|x| x.contains("sh.helm.release.v1.shop")),
        "{f:?}"
    );
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["message"].as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("2 deployed Helm release")),
        "{notes:?}"
    );
    // chart values never reach the report
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));

    // without --helm-releases the records are not read, and the report says so
    let out = plimsoll(&[
        "upgrade",
        "--to",
        "1.37",
        "--from",
        "1.36",
        "--kubeconfig",
        kc,
        "--format",
        "json",
        "--no-config",
        "--no-progress",
    ]);
    let v = report(&out);
    assert!(!found(&v).iter().any(|x| x.starts_with("UPG003")));
    assert!(found(&v).contains("UPG001 PodDisruptionBudget legacy/api"));
}

#[test]
fn the_upgrade_example_reports_what_breaks() {
    let example = common::repo_root().join("examples/upgrade/cluster.yaml");
    let out = plimsoll(&[
        "upgrade",
        "--from",
        "1.31",
        "--to",
        "1.34",
        "--format",
        "json",
        "--no-config",
        example.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let expected: BTreeSet<String> = [
        "UPG001 PodDisruptionBudget shop/api",
        "UPG002 CronJob batch/nightly",
        "UPG003 Secret ops/sh.helm.release.v1.queue-operator.v4",
        "UPG004 ValidatingWebhookConfiguration ingress-policy",
        "UPG005 Deployment shop/api",
        "UPG006 Node pool-legacy-1",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(found(&report(&out)), expected);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1.31 → 1.32 → 1.33 → 1.34"),
        "the steps are said"
    );
}
