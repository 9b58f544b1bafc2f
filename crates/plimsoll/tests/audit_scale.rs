//! The audit at scale: 10,000 pods and ~50,000 objects in a real kube-apiserver, audited
//! with the release binary; wall time and peak memory are printed and held to the bar
//! (under 10 s, under 300 MB). Loading the state is not timed.
//!
//! A benchmark, outside the CI suite (it loads the API server for minutes):
//!
//! ```sh
//! cargo build --release -p plimsoll
//! cargo test --release -p plimsoll --test audit_scale -- --ignored --nocapture
//! ```
//!
//! `PLIMSOLL_SCALE_APPS` (default 1000: 10 pods each) scales it down for a quick run.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use common::kube_env::{ADMIN, AUDIT, Cluster, binaries};
use futures::StreamExt;
use serde_json::{Value, json};

const NAMESPACES: usize = 100;
const PODS_PER_APP: usize = 10;
const OLD_REPLICASETS: usize = 3;
const CONFIGMAPS_PER_APP: usize = 26;
const NODES: usize = 100;
const CONCURRENCY: usize = 24;

struct Loader {
    client: kube::Client,
}

impl Loader {
    async fn send(&self, method: http::Method, path: &str, body: &Value, content: &str) -> Value {
        let req = http::Request::builder()
            .method(method.clone())
            .uri(path)
            .header(http::header::CONTENT_TYPE, content)
            .body(serde_json::to_vec(body).unwrap())
            .unwrap();
        let mut tries = 0;
        loop {
            match self.client.request_text(req.clone()).await {
                Ok(t) => return serde_json::from_str(&t).unwrap(),
                Err(e) if tries < 5 => {
                    tries += 1;
                    eprintln!("retrying {method} {path}: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
                }
                Err(e) => panic!("{method} {path}: {e}"),
            }
        }
    }

    async fn create(&self, collection: &str, body: Value) -> Value {
        self.send(http::Method::POST, collection, &body, "application/json")
            .await
    }

    async fn status(&self, object: &str, status: Value) {
        self.send(
            http::Method::PATCH,
            &format!("{object}/status"),
            &json!({ "status": status }),
            "application/merge-patch+json",
        )
        .await;
    }
}

fn owner(kind: &str, api_version: &str, obj: &Value) -> Value {
    json!([{ "apiVersion": api_version, "kind": kind, "name": obj["metadata"]["name"],
             "uid": obj["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true }])
}

fn template(app: &str, ns: &str) -> Value {
    json!({
        "metadata": { "labels": { "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns } },
        "spec": {
            "serviceAccountName": app,
            "automountServiceAccountToken": false,
            "securityContext": { "runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": { "type": "RuntimeDefault" } },
            "topologySpreadConstraints": [{ "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": { "matchLabels": { "app.kubernetes.io/name": app } } }],
            "containers": [{
                "name": "app",
                "image": format!("registry.example.com/{ns}/{app}:1.{}.3", app.len()),
                "ports": [{ "containerPort": 8080, "name": "http" }, { "containerPort": 9090, "name": "metrics" }],
                "env": [
                    { "name": "LOG_LEVEL", "value": "info" },
                    { "name": "DB_HOST", "value": format!("postgres.{ns}.svc") },
                    { "name": "DB_PASSWORD", "valueFrom": { "secretKeyRef": { "name": format!("{app}-db"), "key": "password" } } },
                    { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } }
                ],
                "envFrom": [{ "configMapRef": { "name": format!("{app}-config-0") } }],
                "resources": { "requests": { "cpu": "250m", "memory": "256Mi" }, "limits": { "memory": "512Mi" } },
                "readinessProbe": { "httpGet": { "path": "/ready", "port": "http" }, "periodSeconds": 5 },
                "livenessProbe": { "httpGet": { "path": "/live", "port": "http" }, "periodSeconds": 10, "failureThreshold": 6 },
                "securityContext": { "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                    "capabilities": { "drop": ["ALL"] } },
                "volumeMounts": [{ "name": "config", "mountPath": "/etc/app" }, { "name": "tmp", "mountPath": "/tmp" }]
            }],
            "volumes": [
                { "name": "config", "configMap": { "name": format!("{app}-config-1") } },
                { "name": "tmp", "emptyDir": { "sizeLimit": "64Mi" } }
            ]
        }
    })
}

fn running_status(pod: &str, node: usize, started: &str) -> Value {
    json!({
        "phase": "Running",
        "hostIP": format!("10.0.{}.{}", node / 250, node % 250 + 1),
        "podIP": format!("10.244.{}.{}", node, pod.len()),
        "startTime": started,
        "qosClass": "Burstable",
        "conditions": [
            { "type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": started },
            { "type": "Initialized", "status": "True", "lastTransitionTime": started },
            { "type": "Ready", "status": "True", "lastTransitionTime": started },
            { "type": "ContainersReady", "status": "True", "lastTransitionTime": started },
            { "type": "PodScheduled", "status": "True", "lastTransitionTime": started }
        ],
        "containerStatuses": [{
            "name": "app", "ready": true, "started": true, "restartCount": 0,
            "image": "registry.example.com/app:1.3.3",
            "imageID": "registry.example.com/app@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
            "containerID": format!("containerd://{:064x}", pod.len() * 7919 + node),
            "state": { "running": { "startedAt": started } }
        }]
    })
}

async fn load(c: &Cluster, apps: usize) -> usize {
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(c.kubeconfig(ADMIN)).unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    let l = Loader {
        client: kube::Client::try_from(config).unwrap(),
    };
    let started = "2026-11-20T08:00:00Z";
    let mut count = 0usize;

    let nodes = futures::stream::iter((0..NODES).map(|i| {
        let l = &l;
        async move {
            let name = format!("node-{i:03}");
            l.create("/api/v1/nodes", json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name,
                "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": format!("zone-{}", i % 3),
                    "node.kubernetes.io/instance-type": "m6i.2xlarge"}}})).await;
            l.status(&format!("/api/v1/nodes/{name}"), json!({
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "allocatable": {"cpu": "7800m", "memory": "30Gi", "pods": "110"},
                "conditions": [
                    {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "lastHeartbeatTime": started, "lastTransitionTime": started},
                    {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "lastHeartbeatTime": started, "lastTransitionTime": started},
                    {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "lastHeartbeatTime": started, "lastTransitionTime": started},
                    {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": started, "lastTransitionTime": started}]})).await;
        }
    }))
    .buffer_unordered(CONCURRENCY)
    .count()
    .await;
    count += nodes;

    let per_ns = apps.div_ceil(NAMESPACES);
    let namespaces = apps.div_ceil(per_ns);
    for n in 0..namespaces {
        let ns = format!("team-{n:03}");
        l.create("/api/v1/namespaces", json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "baseline", "team": ns}}})).await;
        let base = format!("/api/v1/namespaces/{ns}");
        l.create(&format!("{base}/limitranges"), json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
            "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"}, "default": {"memory": "256Mi"}}]}})).await;
        l.create(
            &format!("{base}/resourcequotas"),
            json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
            "spec": {"hard": {"requests.cpu": "40", "requests.memory": "80Gi"}}}),
        )
        .await;
        l.create(&format!("/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"), json!({"apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy", "metadata": {"name": "default-deny"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})).await;
        count += 4;
        let first = n * per_ns;
        let last = ((n + 1) * per_ns).min(apps);
        let done = futures::stream::iter((first..last).map(|a| {
            let (l, ns) = (&l, ns.clone());
            async move { load_app(l, &ns, a, started).await }
        }))
        .buffer_unordered(CONCURRENCY / 4)
        .fold(0usize, |acc, n| async move { acc + n })
        .await;
        count += done;
        eprintln!("loaded {ns}: {count} objects so far");
    }
    count
}

async fn load_app(l: &Loader, ns: &str, a: usize, started: &str) -> usize {
    let app = format!("svc-{a:04}");
    let apps = format!("/apis/apps/v1/namespaces/{ns}");
    let core = format!("/api/v1/namespaces/{ns}");
    let labels = json!({"app.kubernetes.io/name": app});
    let mut n = 0;
    let deploy = l.create(&format!("{apps}/deployments"), json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app, "labels": labels},
        "spec": {"replicas": PODS_PER_APP, "revisionHistoryLimit": OLD_REPLICASETS, "selector": {"matchLabels": labels},
                 "strategy": {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                 "template": template(&app, ns)}})).await;
    n += 1;
    let mut current = Value::Null;
    for r in 0..=OLD_REPLICASETS {
        let hash = format!("{:x}", 0x5d8f7c9b4u64 + (a * 8 + r) as u64);
        let mut t = template(&app, ns);
        t["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        let mut sel = labels.clone();
        sel["pod-template-hash"] = json!(hash);
        let replicas = if r == OLD_REPLICASETS {
            PODS_PER_APP
        } else {
            0
        };
        let rs = l
            .create(
                &format!("{apps}/replicasets"),
                json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("{app}-{hash}"), "labels": t["metadata"]["labels"],
                         "ownerReferences": owner("Deployment", "apps/v1", &deploy)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": sel}, "template": t}}),
            )
            .await;
        n += 1;
        current = rs;
    }
    let rs_name = current["metadata"]["name"].as_str().unwrap().to_string();
    for p in 0..PODS_PER_APP {
        let mut t = template(&app, ns);
        t["metadata"]["labels"]["pod-template-hash"] =
            current["metadata"]["labels"]["pod-template-hash"].clone();
        let node = (a * PODS_PER_APP + p) % NODES;
        t["spec"]["nodeName"] = json!(format!("node-{node:03}"));
        let name = format!("{rs_name}-{p:05x}");
        l.create(
            &format!("{core}/pods"),
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": t["metadata"]["labels"],
                         "ownerReferences": owner("ReplicaSet", "apps/v1", &current)},
            "spec": t["spec"]}),
        )
        .await;
        l.status(
            &format!("{core}/pods/{name}"),
            running_status(&name, node, started),
        )
        .await;
        n += 1;
    }
    l.status(&format!("{apps}/deployments/{app}"), json!({"observedGeneration": 1, "replicas": PODS_PER_APP,
        "updatedReplicas": PODS_PER_APP, "readyReplicas": PODS_PER_APP, "availableReplicas": PODS_PER_APP})).await;
    l.create(&format!("{core}/services"), json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "labels": labels},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})).await;
    l.create(
        &format!("{core}/serviceaccounts"),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": app},
        "automountServiceAccountToken": false}),
    )
    .await;
    l.create(&format!("/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets"), json!({"apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget", "metadata": {"name": app}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}}})).await;
    l.create(&format!("/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers"), json!({"apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler", "metadata": {"name": app},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app}, "minReplicas": PODS_PER_APP, "maxReplicas": 30,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})).await;
    l.create(&format!("/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"), json!({"apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy", "metadata": {"name": app},
        "spec": {"podSelector": {"matchLabels": labels}, "policyTypes": ["Ingress"],
                 "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                              "ports": [{"port": 8080}]}]}})).await;
    l.create(&format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles"), json!({"apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role", "metadata": {"name": app}, "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]})).await;
    l.create(&format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings"), json!({"apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding", "metadata": {"name": app}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app},
        "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}]})).await;
    n += 7;
    for i in 0..CONFIGMAPS_PER_APP {
        l.create(&format!("{core}/configmaps"), json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{app}-config-{i}"), "labels": labels},
            "data": {"application.yaml": format!("server:\n  port: 8080\nfeature:\n  flag-{i}: true\nlogging:\n  level: info\n"),
                     "REGION": "eu-west-1", "CACHE_TTL": "300"}})).await;
        n += 1;
    }
    n
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
#[ignore = "a benchmark: loads ~50,000 objects into the API server (minutes); run with --ignored"]
fn audit_at_scale() {
    let Some(bin) = binaries() else { return };
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let apps: usize = std::env::var("PLIMSOLL_SCALE_APPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let c = Cluster::start(
        bin,
        &tools.kubectl,
        &[
            "--max-requests-inflight=800",
            "--max-mutating-requests-inflight=400",
        ],
    );
    c.apply(&std::fs::read_to_string(common::repo_root().join("deploy/audit-rbac.yaml")).unwrap());
    c.apply(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: test-plimsoll-audit}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: plimsoll-audit}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: plimsoll-audit}]\n",
    );
    let t = Instant::now();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let loaded = rt.block_on(load(&c, apps));
    eprintln!(
        "loaded {loaded} objects in {:.0} s (not timed)",
        t.elapsed().as_secs_f64()
    );

    // PLIMSOLL_SCALE_HOLD=SECONDS keeps the loaded cluster up for experiments by hand
    if let Some(secs) = std::env::var("PLIMSOLL_SCALE_HOLD")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        eprintln!(
            "holding the cluster for {secs} s: --kubeconfig={}",
            c.kubeconfig(AUDIT).display()
        );
        std::thread::sleep(std::time::Duration::from_secs(secs));
    }
    // the release binary when it is built, as a user runs it
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_plimsoll"));
    let mut runs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut child = Command::new(&exe)
            .arg("audit")
            .arg(format!("--kubeconfig={}", c.kubeconfig(AUDIT).display()))
            .args(["--format", "json", "--no-config"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut peak = 0;
        let out = std::thread::scope(|s| {
            let stdout = child.stdout.take().unwrap();
            let reader = s.spawn(move || {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut { stdout }, &mut b).unwrap();
                b
            });
            while child.try_wait().unwrap().is_none() {
                if let Some(kb) = vm_hwm_kb(pid) {
                    peak = peak.max(kb);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            reader.join().unwrap()
        });
        let secs = t.elapsed().as_secs_f64();
        let v: Value = serde_json::from_slice(&out).expect("JSON report");
        let objects = v["summary"]["objects"].as_u64().unwrap();
        let pods = v["notes"].to_string();
        eprintln!(
            "audit: {objects} objects, {} findings, {:.2} s, peak RSS {} MB ({})",
            v["summary"]["findings"],
            secs,
            peak / 1024,
            exe.display()
        );
        assert!(
            objects as usize >= loaded,
            "the audit read {objects} of {loaded} objects: {pods}"
        );
        runs.push((secs, peak));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (median, _) = runs[1];
    let peak = runs.iter().map(|r| r.1).max().unwrap();
    println!(
        "SCALE {} pods, {} objects loaded: audit median {:.2} s, peak RSS {} MB",
        apps * PODS_PER_APP,
        loaded,
        median,
        peak / 1024
    );
    if apps >= 1000 {
        assert!(median < 10.0, "the audit took {median:.2} s (bar: 10 s)");
        assert!(
            peak < 300 * 1024,
            "peak RSS {} MB (bar: 300 MB)",
            peak / 1024
        );
    }
}
