//! The admission webhook's index of the cluster (`plimsoll_cluster::Watched`) against a
//! real kube-apiserver and etcd: the initial sync, then creations, updates and deletions
//! followed within seconds, unwatched kinds, Secrets refused, a user without rights, the
//! object cap, and the memory the index takes for 50,000 objects.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::kube_env::{ADMIN, Cluster, NOBODY, binaries};
use futures::StreamExt;
use plimsoll_cluster::{Keep, KindStatus, WatchOptions, Watched};
use plimsoll_model::Object;
use serde_json::{Value, json};

// the allocator of the plimsoll binary, which the webhook runs in: the memory figure is
// that of the real process
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn options(kubeconfig: &Path, kinds: &[(&str, Keep)]) -> WatchOptions {
    WatchOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        kinds: kinds
            .iter()
            .map(|(k, keep)| (k.to_string(), *keep))
            .collect(),
        ..WatchOptions::default()
    }
}

/// Polls `f` until it holds; panics with `what` (and the index's status) after 15 s.
fn eventually(w: &Watched, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !f() {
        assert!(
            Instant::now() < deadline,
            "not within 15 s: {what}\n{:#?}",
            w.status()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> Option<&'a Object> {
    objects.iter().find(|o| o.kind == kind && o.name == name)
}

fn status<'a>(all: &'a [KindStatus], kind: &str) -> &'a KindStatus {
    all.iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("no status for {kind}: {all:#?}"))
}

const STATE: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: restricted, team: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {team: other}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  strategy: {type: RollingUpdate}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: registry.example.com/api:1.2.3
          ports: [{containerPort: 8080, name: http}]
          env: [{name: LOG_LEVEL, value: info}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
          readinessProbe: {httpGet: {path: /ready, port: http}}
      volumes:
        - {name: config, configMap: {name: api-config}}
        - {name: data, persistentVolumeClaim: {claimName: api-data}}
        - {name: tmp, emptyDir: {}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: api}}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other-config, namespace: other}
data: {k: v}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: plimsoll-watch-test}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
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

/// Applied client-side: kubectl writes its last-applied annotation, which the index drops.
const CONFIG: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: api-config, namespace: shop, labels: {app: api}}
data: {application.yaml: "port: 8080"}
"#;

const WIDGET: &str = r#"
apiVersion: example.com/v1
kind: Widget
metadata: {name: blue, namespace: shop}
spec: {size: 3}
"#;

#[test]
fn the_index_follows_the_cluster() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(bin, &tools.kubectl, &[]);
    c.apply(STATE);
    c.kubectl_stdin(&["apply", "-f", "-"], CONFIG);
    c.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=60s",
    ]);
    c.apply(WIDGET);

    let deprecated_requests = || {
        c.metrics()
            .lines()
            .filter(|l| l.starts_with("apiserver_requested_deprecated_apis{"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let deprecated_before = deprecated_requests();

    let rt = runtime();
    let mut opts = options(
        &c.kubeconfig(ADMIN),
        &[
            ("Deployment", Keep::Workload),
            ("PodDisruptionBudget", Keep::Full),
            ("Service", Keep::Full),
            ("NetworkPolicy", Keep::Full),
            ("HorizontalPodAutoscaler", Keep::Full),
            ("ConfigMap", Keep::Metadata),
            ("ClusterRole", Keep::Metadata),
            ("example.com/Widget", Keep::Full),
            // a custom kind this cluster does not serve
            ("VerticalPodAutoscaler", Keep::Full),
            // v1 Endpoints: deprecated by the server itself
            ("Endpoints", Keep::Metadata),
            // deprecated by the caller's table
            ("ServiceAccount", Keep::Metadata),
        ],
    );
    opts.deprecated = Some(Arc::new(|group: &str, version: &str, kind: &str| {
        (group.is_empty() && kind == "ServiceAccount")
            .then(|| format!("{version} {kind}: deprecated, for the test"))
    }));
    let w = rt.block_on(Watched::start(opts)).expect("starts");
    assert!(
        rt.block_on(w.wait_synced(Duration::from_secs(60))),
        "not synced in 60 s: {:#?}",
        w.status()
    );
    assert!(w.complete());
    assert_eq!(
        deprecated_before,
        deprecated_requests(),
        "the watches requested a deprecated API"
    );
    assert!(
        w.server_version().starts_with("v1."),
        "{}",
        w.server_version()
    );

    // --- what was there before the watches started
    let shop = w.namespace_objects("shop");
    assert_eq!(
        (shop[0].kind.as_str(), shop[0].name.as_str()),
        ("Namespace", "shop"),
        "the namespace comes first"
    );
    let deploy = find(&shop, "Deployment", "api").expect("the Deployment");
    assert_eq!(deploy.api_version, "apps/v1");
    assert_eq!(deploy.namespace.as_deref(), Some("shop"));
    let spec = deploy.spec().unwrap();
    assert_eq!(spec.get("replicas").unwrap().as_i64(), Some(2));
    assert!(
        spec.get("strategy").is_none(),
        "a workload keeps its slim spec"
    );
    let pod = spec.at(&["template", "spec"]).unwrap();
    assert_eq!(
        pod.get("serviceAccountName").unwrap().as_text(),
        Some("api")
    );
    let container = &pod.get("containers").unwrap().items()[0];
    assert!(container.get("env").is_none() && container.get("readinessProbe").is_none());
    assert!(container.at(&["resources", "limits", "memory"]).is_some());
    let volumes: Vec<&str> = pod
        .get("volumes")
        .unwrap()
        .items()
        .iter()
        .filter_map(|v| v.get("name")?.as_text())
        .collect();
    assert_eq!(volumes, ["config", "data"]);
    assert!(deploy.root.at(&["metadata", "managedFields"]).is_none());

    let pdb = find(&shop, "PodDisruptionBudget", "api").expect("the PDB");
    assert_eq!(pdb.api_version, "policy/v1");
    assert!(
        pdb.root
            .at(&["spec", "selector", "matchLabels", "app"])
            .is_some()
    );
    let svc = find(&shop, "Service", "api").expect("the Service");
    assert!(svc.root.at(&["spec", "clusterIP"]).is_some(), "kept whole");
    let cm = find(&shop, "ConfigMap", "api-config").expect("the ConfigMap");
    assert_eq!(
        (cm.api_version.as_str(), cm.kind.as_str()),
        ("v1", "ConfigMap")
    );
    assert_eq!(cm.label("app"), Some("api"));
    assert!(cm.root.get("data").is_none(), "metadata only");
    assert!(
        cm.annotation("kubectl.kubernetes.io/last-applied-configuration")
            .is_none()
    );
    assert!(cm.root.at(&["metadata", "managedFields"]).is_none());
    let widget = find(&shop, "Widget", "blue").expect("the custom resource");
    assert_eq!(widget.api_version, "example.com/v1");
    assert_eq!(widget.root.at(&["spec", "size"]).unwrap().as_i64(), Some(3));
    assert!(
        find(&shop, "ConfigMap", "other-config").is_none(),
        "another namespace's objects"
    );

    let labels = w.namespace_labels("shop").expect("labels of shop");
    assert_eq!(
        labels
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str),
        Some("restricted")
    );
    assert_eq!(
        labels
            .get("kubernetes.io/metadata.name")
            .map(String::as_str),
        Some("shop")
    );
    assert_eq!(w.namespace_labels("nowhere"), None);
    assert!(w.namespace_objects("nowhere").is_empty());

    let cluster = w.cluster_objects();
    for (kind, name) in [
        ("Namespace", "shop"),
        ("Namespace", "default"),
        ("ClusterRole", "plimsoll-watch-test"),
    ] {
        assert!(find(&cluster, kind, name).is_some(), "{kind} {name}");
    }
    assert!(cluster.iter().all(|o| o.namespace.is_none()));
    assert!(
        w.get("ClusterRole", None, "plimsoll-watch-test")
            .is_some_and(|o| o.root.get("rules").is_none())
    );

    let st = w.status();
    let vpa = status(&st, "VerticalPodAutoscaler");
    assert!(
        vpa.unwatched
            .as_deref()
            .is_some_and(|u| u.contains("does not serve")),
        "{vpa:?}"
    );
    assert!(!vpa.synced && vpa.api_version.is_none());
    let ep = status(&st, "Endpoints");
    assert!(
        ep.unwatched
            .as_deref()
            .is_some_and(|u| u.contains("deprecated since 1.33")),
        "{ep:?}"
    );
    let sa = status(&st, "ServiceAccount");
    assert!(
        sa.unwatched
            .as_deref()
            .is_some_and(|u| u.contains("for the test")),
        "{sa:?}"
    );
    let ns = status(&st, "Namespace");
    assert_eq!(ns.keep, Keep::Metadata, "added when not asked");
    let hpa = status(&st, "HorizontalPodAutoscaler");
    assert_eq!(hpa.api_version.as_deref(), Some("autoscaling/v2"));
    assert!(hpa.synced && hpa.objects == 0 && hpa.last_error.is_none());
    assert_eq!(
        st.iter().map(|s| s.objects).sum::<usize>(),
        w.len(),
        "{st:#?}"
    );
    assert!(
        st.iter()
            .all(|s| s.unwatched.is_some() || (s.synced && !s.failing))
    );

    // --- then changes: creations, updates, deletions
    c.apply(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: shop}\ndata: {a: b}\n",
    );
    eventually(&w, "a new ConfigMap", || {
        w.get("ConfigMap", Some("shop"), "late").is_some()
    });
    c.kubectl(&[
        "label",
        "namespace",
        "shop",
        "pod-security.kubernetes.io/warn=baseline",
    ]);
    eventually(&w, "a namespace's new label", || {
        w.namespace_labels("shop").is_some_and(|l| {
            l.get("pod-security.kubernetes.io/warn").map(String::as_str) == Some("baseline")
        })
    });
    c.kubectl(&["scale", "deployment", "api", "-n", "shop", "--replicas=5"]);
    eventually(&w, "a Deployment scaled", || {
        w.get("Deployment", Some("shop"), "api")
            .is_some_and(|d| d.root.at(&["spec", "replicas"]).and_then(|r| r.as_i64()) == Some(5))
    });
    c.kubectl(&["delete", "pdb", "api", "-n", "shop"]);
    eventually(&w, "a PDB deleted", || {
        find(&w.namespace_objects("shop"), "PodDisruptionBudget", "api").is_none()
    });
    c.apply(
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: late, labels: {team: late}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: late}
spec: {podSelector: {}, policyTypes: [Ingress]}
"#,
    );
    eventually(&w, "a new namespace and its NetworkPolicy", || {
        let late = w.namespace_objects("late");
        late.len() == 2
            && late[0].kind == "Namespace"
            && find(&late, "NetworkPolicy", "default-deny").is_some()
    });
    c.kubectl(&["delete", "configmap", "other-config", "-n", "other"]);
    eventually(&w, "the last object of a namespace deleted", || {
        w.namespace_objects("other").len() == 1
    });
    c.kubectl(&["delete", "clusterrole", "plimsoll-watch-test"]);
    eventually(&w, "a cluster-scoped object deleted", || {
        find(&w.cluster_objects(), "ClusterRole", "plimsoll-watch-test").is_none()
    });
    let st = w.status();
    assert_eq!(st.iter().map(|s| s.objects).sum::<usize>(), w.len());

    // --- the cap: past it objects are not kept, and the index says so
    let mut capped = options(&c.kubeconfig(ADMIN), &[("ConfigMap", Keep::Metadata)]);
    capped.max_objects = 3;
    let small = rt.block_on(Watched::start(capped)).expect("starts");
    assert!(rt.block_on(small.wait_synced(Duration::from_secs(30))));
    assert_eq!(small.len(), 3);
    assert!(!small.complete());
    assert!(
        small.status().iter().any(|s| s.incomplete),
        "{:#?}",
        small.status()
    );

    // --- a user without rights: the watches fail, are retried, and say why
    let nobody = rt
        .block_on(Watched::start(options(
            &c.kubeconfig(NOBODY),
            &[("ConfigMap", Keep::Metadata)],
        )))
        .expect("discovery is open to every user");
    eventually(&nobody, "a forbidden watch reported", || {
        let st = nobody.status();
        let cm = status(&st, "ConfigMap");
        cm.failing
            && cm
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("forbidden") && e.contains("403"))
    });
    assert!(!nobody.synced());
    assert!(nobody.is_empty());

    // the watches end with the index
    drop((w, small, nobody));
    rt.shutdown_timeout(Duration::from_secs(5));
}

#[test]
fn secrets_are_refused_before_anything_else() {
    let rt = runtime();
    for kind in ["Secret", "core/Secret"] {
        let err = rt
            .block_on(Watched::start(options(
                Path::new("/nonexistent/kubeconfig"),
                &[("ConfigMap", Keep::Metadata), (kind, Keep::Metadata)],
            )))
            .expect_err("Secrets are refused");
        assert!(err.0.contains("Secrets are never watched"), "{err}");
    }
    // a kubeconfig that is not there is an error, not a panic
    let err = rt
        .block_on(Watched::start(options(
            Path::new("/nonexistent/kubeconfig"),
            &[("ConfigMap", Keep::Metadata)],
        )))
        .expect_err("no kubeconfig");
    assert!(err.0.contains("no such kubeconfig file"), "{err}");
}

// --- memory: 50,000 objects of the kinds the webhook watches

const NAMESPACES: usize = 100;
const CONFIGMAPS: usize = 400;
const SERVICES: usize = 40;
const DEPLOYMENTS: usize = 30;
const PDBS: usize = 29;
const MEMORY_KUBECONFIG: &str = "PLIMSOLL_WATCH_MEMORY_KUBECONFIG";
/// The whole process, index included, with 50,000 objects in it.
const BUDGET_MB: f64 = 250.0;

/// The kinds the webhook watches, as it keeps them.
const WEBHOOK_KINDS: &[(&str, Keep)] = &[
    ("Namespace", Keep::Metadata),
    ("ConfigMap", Keep::Metadata),
    ("ServiceAccount", Keep::Metadata),
    ("PersistentVolumeClaim", Keep::Metadata),
    ("Service", Keep::Full),
    ("NetworkPolicy", Keep::Full),
    ("PodDisruptionBudget", Keep::Full),
    ("HorizontalPodAutoscaler", Keep::Full),
    ("Deployment", Keep::Workload),
    ("StatefulSet", Keep::Workload),
];

async fn post(client: &kube::Client, path: &str, body: Value) {
    let req = http::Request::post(path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    let mut tries = 0;
    loop {
        match client.request_text(req.clone()).await {
            Ok(_) => return,
            Err(e) if tries < 5 => {
                tries += 1;
                eprintln!("retrying POST {path}: {e}");
                tokio::time::sleep(Duration::from_millis(200 * tries)).await;
            }
            Err(e) => panic!("POST {path}: {e}"),
        }
    }
}

fn pod_template(app: &str) -> Value {
    json!({
        "metadata": {"labels": {"app.kubernetes.io/name": app}},
        "spec": {
            "serviceAccountName": app,
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app", "image": format!("registry.example.com/{app}:1.0.0"),
                "ports": [{"containerPort": 8080, "name": "http"}],
                "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_HOST", "value": "postgres"}],
                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
                "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]
            }],
            "volumes": [{"name": "config", "configMap": {"name": format!("{app}-config-0")}}]
        }
    })
}

/// 100 namespaces, each with 400 ConfigMaps, 40 Services, 30 Deployments and 29 PDBs:
/// 50,000 objects with the Namespaces.
async fn load(c: &Cluster) -> usize {
    let kc = kube::config::Kubeconfig::read_from(c.kubeconfig(ADMIN)).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let mut requests: Vec<(String, Value)> = Vec::new();
    for n in 0..NAMESPACES {
        let ns = format!("team-{n:03}");
        post(&client, "/api/v1/namespaces", json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted", "team": ns}}})).await;
        let core = format!("/api/v1/namespaces/{ns}");
        for i in 0..CONFIGMAPS {
            let app = format!("app-{:02}", i % DEPLOYMENTS);
            requests.push((format!("{core}/configmaps"), json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("{app}-config-{i}"), "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns}},
                "data": {"application.yaml": format!("server:\n  port: 8080\nfeature:\n  flag-{i}: true\nlogging:\n  level: info\n"),
                         "REGION": "eu-west-1", "CACHE_TTL": "300"}})));
        }
        for i in 0..SERVICES {
            let app = format!("app-{:02}", i % DEPLOYMENTS);
            requests.push((format!("{core}/services"), json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{i:02}"), "labels": {"app.kubernetes.io/name": app}},
                "spec": {"selector": {"app.kubernetes.io/name": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})));
        }
        for i in 0..DEPLOYMENTS {
            let app = format!("app-{i:02}");
            requests.push((format!("/apis/apps/v1/namespaces/{ns}/deployments"), json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": app, "labels": {"app.kubernetes.io/name": app}},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": app}}, "template": pod_template(&app)}})));
        }
        for i in 0..PDBS {
            let app = format!("app-{i:02}");
            requests.push((format!("/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets"), json!({"apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget", "metadata": {"name": app},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": app}}}})));
        }
    }
    let created = requests.len() + NAMESPACES;
    let client = &client;
    futures::stream::iter(
        requests
            .into_iter()
            .map(|(path, body)| async move { post(client, &path, body).await }),
    )
    .buffer_unordered(32)
    .count()
    .await;
    created
}

/// A figure of `/proc/self/status`, in MB.
fn proc_status_mb(field: &str) -> f64 {
    status_mb("self", field)
}

/// A figure of `/proc/PROCESS/status` (`self` or a pid), in MB.
fn status_mb(process: &str, field: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{process}/status"))
        .expect("/proc/PID/status (Linux)");
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    kb / 1024.0
}

/// Loads 50,000 objects, then measures a process of its own that only starts the index
/// and waits for it to sync (this test binary again, running `watch_memory_child`): the
/// loader's memory is not counted, the whole index's is.
#[test]
fn index_memory_for_50k_objects() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let c = Cluster::start(
        bin,
        &tools.kubectl,
        &[
            "--max-requests-inflight=800",
            "--max-mutating-requests-inflight=400",
        ],
    );
    let started = Instant::now();
    let created = runtime().block_on(load(&c));
    eprintln!(
        "loaded {created} objects in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "watch_memory_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MEMORY_KUBECONFIG, c.kubeconfig(ADMIN))
        .output()
        .expect("run the measuring process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .chain(stderr.lines())
        // the harness writes `test watch_memory_child ... ` before the test's own output
        .find_map(|l| l.split_once("WATCH_MEMORY ").map(|(_, figures)| figures))
        .unwrap_or_else(|| panic!("no figures:\n{stdout}\n{stderr}"));
    let v: Value = serde_json::from_str(line).unwrap();
    eprintln!("index of the cluster: {v}");
    assert!(v["objects"].as_u64().unwrap() >= created as u64, "{v}");
    let peak = v["peak_mb"].as_f64().unwrap();
    assert!(
        peak < BUDGET_MB,
        "the process peaked at {peak:.0} MB with {created} objects (budget {BUDGET_MB} MB): {v}"
    );
    serve_on_the_loaded_cluster(&c, created);
}

/// `plimsoll serve` over the same 50,000 objects: the whole server's memory once its
/// index is ready and after judging, and the time of a request judged among a
/// namespace's 500 objects (client-side, over TLS with a new connection each).
fn serve_on_the_loaded_cluster(c: &Cluster, created: usize) {
    use common::serve::{Certs, Server, request, review};
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = c.kubeconfig(ADMIN);
    let started = Instant::now();
    let server = Server::start(
        &certs,
        dir.path(),
        &["--kubeconfig", kubeconfig.to_str().unwrap()],
    );
    common::serve::eventually(300, "serve's index is ready", || {
        request(&certs.ca(), server.port(), "GET", "/readyz", Vec::new()).status == 200
    });
    let ready = started.elapsed().as_secs_f64();
    let pid = server.pid().to_string();
    let status = |field: &str| status_mb(&pid, field);
    let rss_ready = status("VmRSS:");
    // app-29 has no PodDisruptionBudget: the index says so
    let lone = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "app-29", "namespace": "team-042", "labels": {"app.kubernetes.io/name": "app-29"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": "app-29"}},
                 "template": pod_template("app-29")}});
    let r = request(
        &certs.ca(),
        server.port(),
        "POST",
        "/validate",
        review("u-lone", "UPDATE", "team-042", &lone),
    );
    let text = serde_json::to_string(&r.json()["response"]["warnings"]).unwrap();
    assert!(text.contains("AVL002"), "{text}\n{}", server.log());
    let mut deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "app-07", "namespace": "team-042", "labels": {"app.kubernetes.io/name": "app-07"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": "app-07"}},
                 "template": pod_template("app-07")}});
    let mut times = Vec::new();
    let mut server_times = Vec::new();
    let mut codes = Vec::new();
    for i in 0..300 {
        deployment["metadata"]["annotations"] = json!({"round": i.to_string()});
        let body = review(&format!("u-{i}"), "UPDATE", "team-042", &deployment);
        let t = Instant::now();
        let r = request(&certs.ca(), server.port(), "POST", "/validate", body);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, 200, "{}", r.text());
        // the server's own time (`server-timing: judge;dur=MS`)
        let timing = r.headers["server-timing"].to_str().unwrap();
        server_times.push(timing.split("dur=").nth(1).unwrap().parse::<f64>().unwrap());
        if i == 0 {
            codes = r.json()["response"]["warnings"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
    }
    times.sort_by(f64::total_cmp);
    server_times.sort_by(f64::total_cmp);
    let at = |v: &[f64], p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    let pct = |p: f64| at(&times, p);
    let figures = json!({
        "objects": created,
        "ready_seconds": (ready * 10.0).round() / 10.0,
        "rss_ready_mb": rss_ready.round(),
        "rss_after_mb": status("VmRSS:").round(),
        "peak_mb": status("VmHWM:").round(),
        "request_p50_ms": (pct(0.5) * 100.0).round() / 100.0,
        "request_p99_ms": (pct(0.99) * 100.0).round() / 100.0,
        "server_p50_ms": (at(&server_times, 0.5) * 100.0).round() / 100.0,
        "server_p99_ms": (at(&server_times, 0.99) * 100.0).round() / 100.0,
        "binary": common::serve::binary().display().to_string().rsplit('/').nth(1).unwrap_or("").to_string(),
    });
    eprintln!("SERVE_MEMORY {figures}");
    // the load client of bench/serve_load.py against this server, when named (release
    // builds: PLIMSOLL_LOAD_CLIENT=target/release/examples/admission_load), at
    // PLIMSOLL_LOAD_RATE requests/s (default 500) for 30 s
    if let Some(client) = std::env::var_os("PLIMSOLL_LOAD_CLIENT") {
        let body = dir.path().join("review.json");
        std::fs::write(&body, review("u", "UPDATE", "team-042", &deployment)).unwrap();
        let rate = std::env::var("PLIMSOLL_LOAD_RATE").unwrap_or_else(|_| "500".into());
        let out = Command::new(client)
            .args(["--addr", &server.addr, "--ca"])
            .arg(certs.ca())
            .arg("--body")
            .arg(&body)
            .args([
                "--rate",
                &rate,
                "--duration",
                "30",
                "--warmup",
                "5",
                "--json",
            ])
            .output()
            .expect("run the load client");
        eprintln!(
            "SERVE_LOAD {}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        assert!(out.status.success());
    }
    // judged with the index: the Deployment's PDB and Services are seen (no AVL002), and
    // the namespace's missing default-deny policy is not this object's finding
    let text = serde_json::to_string(&codes).unwrap();
    assert!(!text.contains("AVL002"), "the PDB is not seen: {text}");
    let peak = figures["peak_mb"].as_f64().unwrap();
    assert!(
        peak < BUDGET_MB,
        "plimsoll serve peaked at {peak:.0} MB with {created} objects (budget {BUDGET_MB} MB): {figures}"
    );
}

#[test]
#[ignore = "run by index_memory_for_50k_objects in a process of its own"]
fn watch_memory_child() {
    let kubeconfig = std::env::var_os(MEMORY_KUBECONFIG)
        .expect("run by index_memory_for_50k_objects, which names the kubeconfig");
    let rt = runtime();
    let before = proc_status_mb("VmRSS:");
    let started = Instant::now();
    let w = rt
        .block_on(Watched::start(options(
            Path::new(&kubeconfig),
            WEBHOOK_KINDS,
        )))
        .expect("starts");
    assert!(
        rt.block_on(w.wait_synced(Duration::from_secs(300))),
        "not synced in 300 s: {:#?}",
        w.status()
    );
    let sync = started.elapsed().as_secs_f64();
    let after = proc_status_mb("VmRSS:");
    let peak = proc_status_mb("VmHWM:");
    let per_kind: serde_json::Map<String, Value> = w
        .status()
        .iter()
        .map(|s| (s.kind.clone(), json!(s.objects)))
        .collect();
    println!(
        "WATCH_MEMORY {}",
        json!({
            "objects": w.len(),
            "sync_seconds": (sync * 10.0).round() / 10.0,
            "rss_before_mb": before.round(),
            "rss_after_mb": after.round(),
            "growth_mb": (after - before).round(),
            "peak_mb": peak.round(),
            "bytes_per_object": ((after - before) * 1024.0 * 1024.0 / w.len() as f64).round(),
            "kinds": per_kind,
        })
    );
}
