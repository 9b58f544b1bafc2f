//! `plimsoll serve` in front of a real kube-apiserver: the API server calls the webhook
//! through ValidatingWebhookConfiguration and MutatingWebhookConfiguration objects
//! (a `url` on loopback with the CA as `caBundle`), kubectl shows its denials and
//! warnings, the cluster index feeds the cross-object rules, and the failure policy
//! decides what happens when the webhook is gone.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use common::kube_env::{ADMIN, Cluster, binaries};
use common::serve::{Certs, Server, request};

/// Namespaces: `strict` denies (by its label), `soft` warns (the default), `fixing`
/// warns and is where the mutations are looked at.
const NAMESPACES: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: strict
  labels: {plimsoll.dev/mode: deny}
---
apiVersion: v1
kind: Namespace
metadata: {name: soft}
---
apiVersion: v1
kind: Namespace
metadata: {name: quiet, labels: {plimsoll.dev/mode: "off"}}
"#;

/// What a team writes on its first day.
fn naive(namespace: &str, name: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: web
          image: nginx
"#
    )
}

/// What passes the default deny threshold (errors); `extra` goes into the container.
fn production(namespace: &str, name: &str, extra: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{app.kubernetes.io/name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}, app.kubernetes.io/name: {name}}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
          ports: [{{containerPort: 8080}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}
          livenessProbe: {{httpGet: {{path: /live, port: 8080}}}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
{extra}"#
    )
}

/// The webhook configurations, pointing at the server on loopback.
fn webhooks(port: u16, ca: &Path, failure_policy: &str) -> String {
    let bundle = base64::engine::general_purpose::STANDARD.encode(std::fs::read(ca).unwrap());
    let hook = |path: &str, name: &str| {
        format!(
            r#"  - name: {name}
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: {failure_policy}
    timeoutSeconds: 5
    clientConfig:
      url: https://127.0.0.1:{port}{path}
      caBundle: {bundle}
    namespaceSelector:
      matchExpressions:
        - {{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}}
    rules:
      - apiGroups: ["", apps, policy]
        apiVersions: ["*"]
        operations: [CREATE, UPDATE]
        resources: [deployments, pods, configmaps, poddisruptionbudgets, services]
"#
        )
    };
    format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {{name: plimsoll}}\nwebhooks:\n{}---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {{name: plimsoll}}\nwebhooks:\n{}",
        hook("/mutate", "mutate.plimsoll.dev"),
        hook("/validate", "validate.plimsoll.dev")
    )
}

/// `kubectl apply -f -` (client-side, as users run it): (success, stdout + stderr).
fn apply(c: &Cluster, yaml: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["apply", "-f", "-"];
    args.extend(extra);
    let mut child = std::process::Command::new(&c.kubectl)
        .arg(format!("--kubeconfig={}", c.kubeconfig(ADMIN).display()))
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run kubectl");
    use std::io::Write;
    let _ = child.stdin.take().unwrap().write_all(yaml.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Retries `f` until it is true: the webhook configuration, and the index's view of a
/// change, take effect within moments, not at once.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> Result<(), String>) {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < Duration::from_secs(secs) {
        match f() {
            Ok(()) => return,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{what}: not within {secs} s; last: {last}");
}

fn exists(c: &Cluster, kind: &str, ns: &str, name: &str) -> bool {
    c.kubectl_as(ADMIN, &["get", kind, name, "-n", ns])
        .status
        .success()
}

#[test]
fn the_webhook_judges_what_the_api_server_admits() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(bin, &tools.kubectl, &[]);
    c.apply(NAMESPACES);

    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plimsoll.yaml"), "serve:\n  mutate: true\n").unwrap();
    let kubeconfig = c.kubeconfig(ADMIN);
    let mut server = Server::start(
        &certs,
        dir.path(),
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--config",
            "plimsoll.yaml",
            "--select",
            "all",
        ],
    );
    let log = server.log();
    assert!(log.contains("with the cluster index"), "{log}");
    // ready once every watch has listed
    eventually(30, "/readyz says ready", || {
        let r = request(&certs.ca(), server.port(), "GET", "/readyz", Vec::new());
        (r.status == 200).then_some(()).ok_or(r.text())
    });
    c.apply(&webhooks(server.port(), &certs.ca(), "Ignore"));

    // deny: the naive Deployment is refused, with the findings and how to exempt
    eventually(
        20,
        "a naive Deployment is refused in a deny namespace",
        || {
            let (ok, out) = apply(&c, &naive("strict", "web"), &[]);
            if ok {
                // the webhook configuration was not in effect yet: try again
                c.kubectl(&["delete", "deployment", "web", "-n", "strict"]);
                return Err(out);
            }
            for want in [
                "validate.plimsoll.dev",
                "denied the request",
                "RES002",
                "RES003",
            ] {
                if !out.contains(want) {
                    return Err(format!("no `{want}` in: {out}"));
                }
            }
            Ok(())
        },
    );
    assert!(!exists(&c, "deployment", "strict", "web"));
    // the same with --dry-run=server: refused, nothing stored
    let (ok, out) = apply(&c, &naive("strict", "web"), &["--dry-run=server"]);
    assert!(!ok && out.contains("RES002"), "{out}");
    assert!(!exists(&c, "deployment", "strict", "web"));
    // a production-grade Deployment is admitted
    let (ok, out) = apply(&c, &production("strict", "api", ""), &[]);
    assert!(ok, "{out}");

    // warn: admitted, with the findings as kubectl warnings
    let (ok, out) = apply(&c, &naive("soft", "web"), &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Warning:") && out.contains("RES002"),
        "warnings are shown: {out}"
    );
    // off: nothing is said
    let (ok, out) = apply(&c, &naive("quiet", "web"), &[]);
    assert!(ok && !out.contains("Warning:"), "{out}");

    // mutate: the safe fixes are stored (allowPrivilegeEscalation: false)
    let stored = c.kubectl(&[
        "get",
        "deployment",
        "web",
        "-n",
        "soft",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation}",
    ]);
    assert_eq!(stored.trim(), "false", "the mutation is stored");

    // cross-object: a reference to a ConfigMap that does not exist is refused; the
    // index sees the ConfigMap once it is created (its keys too), and then admits
    let reader = production(
        "strict",
        "reader",
        "          env: [{name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}]\n",
    );
    let (ok, out) = apply(&c, &reader, &[]);
    assert!(!ok && out.contains("REF001"), "{out}\n{}", server.log());
    c.apply(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: strict}\ndata: {other: x}\n",
    );
    eventually(20, "a missing key of the ConfigMap is seen", || {
        let (ok, out) = apply(&c, &reader, &[]);
        (!ok && !out.contains("REF001") && out.contains("mode"))
            .then_some(())
            .ok_or(out)
    });
    c.apply(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: strict}\ndata: {other: x, mode: fast}\n",
    );
    eventually(
        20,
        "the Deployment is admitted once its ConfigMap has the key",
        || {
            let (ok, out) = apply(&c, &reader, &[]);
            ok.then_some(()).ok_or(out)
        },
    );

    // a PodDisruptionBudget created after a Deployment is seen by the next update
    let (ok, out) = apply(&c, &naive("soft", "many"), &[]);
    assert!(ok && out.contains("AVL002"), "no PDB yet: {out}");
    c.apply(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: many, namespace: soft}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: many}}}\n",
    );
    eventually(20, "the PDB is seen", || {
        let yaml = naive("soft", "many").replace("replicas: 3", "replicas: 4");
        let (ok, out) = apply(&c, &yaml, &[]);
        let yaml = naive("soft", "many");
        let _ = apply(&c, &yaml, &[]);
        (ok && !out.contains("AVL002")).then_some(()).ok_or(out)
    });

    // the metrics count what happened
    let metrics = request(&certs.ca(), server.port(), "GET", "/metrics", Vec::new()).text();
    assert!(
        metrics.contains("decision=\"denied\"")
            && metrics.contains("plimsoll_admission_index_objects"),
        "{metrics}"
    );

    // the webhook is gone: failurePolicy Ignore admits, Fail refuses
    server.kill();
    let (ok, out) = apply(&c, &naive("strict", "gone"), &[]);
    assert!(ok, "fail-open admits: {out}");
    c.apply(&webhooks(server.port(), &certs.ca(), "Fail"));
    eventually(20, "failurePolicy Fail refuses without the webhook", || {
        let (ok, out) = apply(&c, &naive("strict", "gone2"), &[]);
        if ok {
            c.kubectl(&["delete", "deployment", "gone2", "-n", "strict"]);
            return Err(out);
        }
        out.contains("failed calling webhook")
            .then_some(())
            .ok_or(out)
    });
}
