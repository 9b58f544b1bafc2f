//! The Helm chart of the admission webhook (`deploy/chart/plimsoll`) and its rendering
//! `deploy/plimsoll-serve.yaml`: helm lints and renders the chart with the helm of the
//! other tests, plimsoll's own check finds nothing at warning or above in any variant,
//! the rendering in the repository is current, and the webhook configurations, the
//! RBAC and the scheduled audit keep their contract.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use common::tools::{Tools, tools};

const CHART: &str = "deploy/chart/plimsoll";
const RENDERED: &str = "deploy/plimsoll-serve.yaml";
/// A base64 PEM as `tls.caBundle` wants it (its content does not matter to helm).
const CA_BUNDLE: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==";

fn repo_root() -> PathBuf {
    std::fs::canonicalize(common::repo_root()).unwrap()
}

/// helm, in the repository, with a Helm home of its own (nothing of the user's is read
/// or written).
fn helm(t: &Tools, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(&t.helm)
        .current_dir(repo_root())
        .args(args)
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .output()
        .expect("runs helm")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `helm template RELEASE deploy/chart/plimsoll --namespace NS --set ...`: the text.
fn template(t: &Tools, release: &str, namespace: &str, sets: &[&str]) -> String {
    let mut args = vec!["template", release, CHART, "--namespace", namespace];
    for s in sets {
        args.extend(["--set", s]);
    }
    let out = helm(t, &args);
    assert!(
        out.status.success(),
        "helm {}: {}",
        args.join(" "),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The objects of a rendered stream, as Kubernetes decodes them.
fn objects(yaml: &str) -> Vec<Value> {
    let stream = plimsoll_yaml::parse_stream(yaml, plimsoll_yaml::Limits::default());
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    stream
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref().map(plimsoll_yaml::Node::to_json))
        .filter(|v| !v.is_null())
        .collect()
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the rendering"))
}

fn of_kind<'a>(objs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objs.iter().filter(|o| o["kind"] == kind).collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// The findings of a JSON report at warning or error severity.
fn above_info(v: &Value) -> Vec<&Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect()
}

/// A `plimsoll check --select all --fail-on warning` report passes: exit 0, nothing at
/// warning or above, no input error, and every exemption used and with a reason.
fn assert_passes(what: &str, out: &Output) {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: the report is not JSON ({e}): {}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    assert_eq!(v["errors"], json!([]), "{what}");
    let loud = above_info(&v);
    assert!(loud.is_empty(), "{what}: findings above info: {loud:#?}");
    assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out.stderr));
    assert!(
        v["summary"]["objects"].as_u64().unwrap() > 10,
        "{what}: {v}"
    );
    assert_eq!(v["unusedExemptions"], json!([]), "{what}");
    for e in v["exempted"].as_array().unwrap() {
        assert!(!e["reason"].as_str().unwrap().is_empty(), "{what}: {e}");
    }
}

/// The variants of the chart the tests render and check: the defaults, the mutating
/// webhook, self-managed certificates, and the optional parts turned the other way.
fn variants() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("the defaults", vec![]),
        ("mutate.enabled=true", vec!["mutate.enabled=true".into()]),
        (
            "certManager.enabled=false",
            vec![
                "certManager.enabled=false".into(),
                format!("tls.caBundle={CA_BUNDLE}"),
            ],
        ),
        (
            "the options",
            vec![
                "mutate.enabled=true".into(),
                "metrics.serviceMonitor.enabled=true".into(),
                "webhook.failurePolicy=Fail".into(),
                "priorityClassName=system-cluster-critical".into(),
                "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            ],
        ),
        ("cluster.enabled=false", vec!["cluster.enabled=false".into(), "audit.enabled=false".into()]),
    ]
}

#[test]
fn helm_lint_passes() {
    let Some(t) = tools() else { return };
    for (what, sets) in variants() {
        let mut args = vec!["lint", "--strict", CHART];
        for s in &sets {
            args.extend(["--set", s.as_str()]);
        }
        let out = helm(t, &args);
        assert!(
            out.status.success(),
            "helm lint ({what}): {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// Each variant, rendered by helm and piped to `plimsoll check -` (as `helm template |
/// plimsoll check -` runs), and the chart directory rendered by plimsoll itself:
/// nothing at warning or above with every rule selected.
#[test]
fn every_variant_passes_plimsolls_own_check() {
    let Some(t) = tools() else { return };
    let root = repo_root();
    for (what, sets) in variants() {
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let rendered = template(t, "plimsoll", "plimsoll", &sets);
        let mut child = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
            .current_dir(&root)
            .args(["check", "-", "--select", "all", "--fail-on", "warning"])
            .args(["--no-config", "--format", "json"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(rendered.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert_passes(&format!("helm template ({what}) | plimsoll check -"), &out);

        let mut args = vec![
            "check",
            CHART,
            "--helm",
            t.helm.to_str().unwrap(),
            "--release-name",
            "plimsoll",
            "--namespace",
            "plimsoll",
            "--select",
            "all",
            "--fail-on",
            "warning",
            "--no-config",
            "--format",
            "json",
        ];
        for s in &sets {
            args.extend(["--set", s]);
        }
        let out = common::run_in(&root, &args);
        assert_passes(&format!("plimsoll check {CHART} ({what})"), &out);
    }
}

/// deploy/plimsoll-serve.yaml is the chart rendered with its default values, after a
/// header comment.
#[test]
fn the_rendered_manifests_are_current() {
    let Some(t) = tools() else { return };
    let want = template(t, "plimsoll", "plimsoll", &[]);
    let file = std::fs::read_to_string(repo_root().join(RENDERED)).unwrap();
    // the header: the comment lines before helm's output
    let header_end: usize = file
        .split_inclusive('\n')
        .take_while(|l| l.starts_with('#'))
        .map(str::len)
        .sum();
    let (header, have) = file.split_at(header_end);
    assert!(
        header.contains("helm template plimsoll deploy/chart/plimsoll --namespace plimsoll"),
        "{RENDERED} says how it was made: {header}"
    );
    assert!(
        have == want,
        "{RENDERED} is not the chart's rendering with its default values: regenerate it \
         with `HELM={} sh deploy/render.sh`",
        t.helm.display()
    );
    // and it passes the check as the files of deploy/ do, beside the audit's
    let out = common::run_in(
        &repo_root(),
        &[
            "check",
            RENDERED,
            "--select",
            "all",
            "--fail-on",
            "warning",
            "--no-config",
            "--format",
            "json",
        ],
    );
    assert_passes(RENDERED, &out);
}

/// The points of the admission contract: who is called, how the API server treats a
/// failure, what is sent, and what is never sent.
#[test]
fn the_webhook_configurations_keep_the_contract() {
    let Some(t) = tools() else { return };
    // a release namespace other than the default, to see it excluded by name
    let ns = "policy-system";
    for (certs, sets) in [
        ("cert-manager", vec!["mutate.enabled=true".to_string()]),
        (
            "caBundle",
            vec![
                "mutate.enabled=true".to_string(),
                "certManager.enabled=false".to_string(),
                format!("tls.caBundle={CA_BUNDLE}"),
            ],
        ),
    ] {
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let objs = objects(&template(t, "plimsoll", ns, &sets));
        let service = find(&objs, "Service", "plimsoll");
        assert_eq!(service["spec"]["ports"][0]["port"], 443);
        let deployment = find(&objs, "Deployment", "plimsoll");
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        let https = container["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == service["spec"]["ports"][0]["targetPort"])
            .expect("the Service's targetPort is a port of the container");
        assert_eq!(https["containerPort"], 8443);

        let mut paths = Vec::new();
        for (kind, path) in [
            ("ValidatingWebhookConfiguration", "/validate"),
            ("MutatingWebhookConfiguration", "/mutate"),
        ] {
            let config = find(&objs, kind, "plimsoll");
            let hooks = config["webhooks"].as_array().unwrap();
            assert_eq!(hooks.len(), 1, "{kind}");
            let hook = &hooks[0];
            let what = format!("{kind} ({certs})");
            assert_eq!(hook["failurePolicy"], "Ignore", "{what}");
            assert_eq!(hook["timeoutSeconds"], 3, "{what}");
            assert_eq!(hook["sideEffects"], "None", "{what}");
            assert_eq!(hook["admissionReviewVersions"], json!(["v1"]), "{what}");
            assert_eq!(hook["matchPolicy"], "Equivalent", "{what}");
            let svc = &hook["clientConfig"]["service"];
            assert_eq!(svc["name"], "plimsoll", "{what}");
            assert_eq!(svc["namespace"], ns, "{what}");
            assert_eq!(svc["port"], 443, "{what}");
            paths.push(svc["path"].as_str().unwrap().to_string());
            assert_eq!(svc["path"], path, "{what}");

            // never kube-system, never the release's own namespace
            let by_name = hook["namespaceSelector"]["matchExpressions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["key"] == "kubernetes.io/metadata.name")
                .unwrap_or_else(|| panic!("{what}: no expression on the namespace's name"));
            assert_eq!(by_name["operator"], "NotIn", "{what}");
            let excluded = strings(&by_name["values"]);
            assert!(excluded.contains(&"kube-system"), "{what}: {excluded:?}");
            assert!(excluded.contains(&ns), "{what}: {excluded:?}");
            assert!(hook["namespaceSelector"].get("matchLabels").is_none());

            // the workload kinds and the kinds the rules judge, created or updated
            let mut resources = Vec::new();
            for rule in hook["rules"].as_array().unwrap() {
                assert_eq!(rule["operations"], json!(["CREATE", "UPDATE"]), "{what}");
                resources.extend(strings(&rule["resources"]));
            }
            for r in [
                "pods",
                "deployments",
                "replicasets",
                "statefulsets",
                "daemonsets",
                "jobs",
                "cronjobs",
                "services",
                "poddisruptionbudgets",
                "networkpolicies",
                "horizontalpodautoscalers",
                "ingresses",
                "serviceaccounts",
                "roles",
                "rolebindings",
                "clusterroles",
                "clusterrolebindings",
            ] {
                assert!(resources.contains(&r), "{what} does not send {r}");
            }
            assert!(
                !resources
                    .iter()
                    .any(|r| *r == "*" || r.starts_with("secrets")),
                "{what}: {resources:?}"
            );

            // the CA: injected by cert-manager from the serving Certificate, or given
            let annotations = &config["metadata"]["annotations"];
            if certs == "cert-manager" {
                let from = annotations["cert-manager.io/inject-ca-from"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{what}: no inject-ca-from"));
                let (cert_ns, cert_name) = from.split_once('/').unwrap();
                assert_eq!(cert_ns, ns);
                let cert = find(&objs, "Certificate", cert_name);
                let dns = strings(&cert["spec"]["dnsNames"]);
                assert!(
                    dns.contains(&format!("plimsoll.{ns}.svc").as_str()),
                    "{dns:?}"
                );
                assert_eq!(
                    cert["spec"]["secretName"],
                    *tls_secret(deployment),
                    "the serving certificate's Secret is the one the pods mount"
                );
                assert!(hook["clientConfig"].get("caBundle").is_none());
            } else {
                assert_eq!(hook["clientConfig"]["caBundle"], CA_BUNDLE, "{what}");
                assert!(annotations.get("cert-manager.io/inject-ca-from").is_none());
                assert!(of_kind(&objs, "Certificate").is_empty());
                assert!(of_kind(&objs, "Issuer").is_empty());
            }
        }
        assert_eq!(paths, ["/validate", "/mutate"]);
    }

    // the mutating webhook is opt-in; certificates need cert-manager or a caBundle
    let objs = objects(&template(t, "plimsoll", ns, &[]));
    assert!(of_kind(&objs, "MutatingWebhookConfiguration").is_empty());
    assert_eq!(of_kind(&objs, "ValidatingWebhookConfiguration").len(), 1);
    assert_eq!(of_kind(&objs, "Certificate").len(), 2);
    let out = helm(
        t,
        &[
            "template",
            "plimsoll",
            CHART,
            "--set",
            "certManager.enabled=false",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("tls.caBundle"),
        "{}",
        text(&out.stderr)
    );
}

/// The Secret volume of the webhook's pods.
fn tls_secret(deployment: &Value) -> &Value {
    let volumes = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    &volumes
        .iter()
        .find(|v| v.get("secret").is_some())
        .expect("the certificate is a Secret volume")["secret"]["secretName"]
}

/// The pods run as `plimsoll serve` with the certificate and the configuration mounted
/// where its flags say, probed over HTTPS, spread, and at the restricted level.
#[test]
fn the_webhook_deployment_runs_serve_as_the_contract_says() {
    let Some(t) = tools() else { return };
    let objs = objects(&template(t, "plimsoll", "plimsoll", &[]));
    let deployment = find(&objs, "Deployment", "plimsoll");
    let spec = &deployment["spec"];
    assert!(spec["replicas"].as_u64().unwrap() >= 2);
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], true);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert!(pod["securityContext"]["runAsUser"].as_u64().unwrap() > 0);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let c = &pod["containers"][0];
    assert_eq!(
        c["image"],
        format!("ghcr.io/plimsoll-dev/plimsoll:{}", chart_app_version())
    );
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    let sc = &c["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
    assert!(c["resources"]["limits"]["memory"].is_string());
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        assert_eq!(c[probe]["httpGet"]["path"], path);
        assert_eq!(c[probe]["httpGet"]["scheme"], "HTTPS");
    }
    let args = strings(&c["args"]);
    assert_eq!(args[0], "serve");
    let flag = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("no --{name} in {args:?}"))
            .to_string()
    };
    assert_eq!(flag("listen"), "0.0.0.0:8443");
    assert_eq!(flag("mode"), "warn");
    // each file a flag names is in a volume of the right kind
    let mounts = c["volumeMounts"].as_array().unwrap();
    let volume_of = |file: &str| {
        let m = mounts
            .iter()
            .find(|m| file.starts_with(&format!("{}/", m["mountPath"].as_str().unwrap())))
            .unwrap_or_else(|| panic!("{file} is in no mounted volume"));
        assert!(
            m.get("subPath").is_none(),
            "a subPath mount never sees updates"
        );
        pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == m["name"])
            .unwrap()
            .clone()
    };
    for flag_name in ["tls-cert", "tls-key"] {
        let v = volume_of(&flag(flag_name));
        assert_eq!(v["secret"]["secretName"], "plimsoll-tls", "--{flag_name}");
    }
    let config_file = flag("config");
    let v = volume_of(&config_file);
    let cm = find(&objs, "ConfigMap", v["configMap"]["name"].as_str().unwrap());
    let key = Path::new(&config_file)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    let config = objects(
        cm["data"][key]
            .as_str()
            .expect("the file is a key of the ConfigMap"),
    );
    assert_eq!(config[0]["serve"], json!({"mode": "warn", "mutate": false}));

    // kept available through drains, and in the namespace's restricted level
    let pdb = find(&objs, "PodDisruptionBudget", "plimsoll");
    assert_eq!(pdb["spec"]["selector"], spec["selector"]);
    let out = common::run_in(
        &repo_root(),
        &[
            "check",
            RENDERED,
            "--select",
            "pss-restricted",
            "--no-config",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"], json!([]), "{}", text(&out.stderr));
}

fn chart_app_version() -> String {
    let chart = std::fs::read_to_string(repo_root().join(CHART).join("Chart.yaml")).unwrap();
    let v = &objects(&chart)[0];
    v["appVersion"].as_str().unwrap().to_string()
}

/// The webhook's ClusterRole reads (get, list, watch) the kinds its cross-object rules
/// need, never Secrets and never a wildcard; the chart refuses a rule that would.
/// The group and resource of the custom resources the rules read.
fn custom_resource(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "VerticalPodAutoscaler" => ("autoscaling.k8s.io", "verticalpodautoscalers"),
        "Rollout" => ("argoproj.io", "rollouts"),
        "DeploymentConfig" => ("apps.openshift.io", "deploymentconfigs"),
        "HTTPRoute" => ("gateway.networking.k8s.io", "httproutes"),
        "GRPCRoute" => ("gateway.networking.k8s.io", "grpcroutes"),
        "TLSRoute" => ("gateway.networking.k8s.io", "tlsroutes"),
        "Certificate" => ("cert-manager.io", "certificates"),
        "ExternalSecret" => ("external-secrets.io", "externalsecrets"),
        "ClusterExternalSecret" => ("external-secrets.io", "clusterexternalsecrets"),
        "SealedSecret" => ("bitnami.com", "sealedsecrets"),
        "VaultStaticSecret" => ("secrets.hashicorp.com", "vaultstaticsecrets"),
        "VaultDynamicSecret" => ("secrets.hashicorp.com", "vaultdynamicsecrets"),
        "VaultPKISecret" => ("secrets.hashicorp.com", "vaultpkisecrets"),
        "Schedule" => ("velero.io", "schedules"),
        "Backup" => ("velero.io", "backups"),
        "Restore" => ("velero.io", "restores"),
        "Canary" => ("flagger.app", "canaries"),
        "PeerAuthentication" => ("security.istio.io", "peerauthentications"),
        "ServiceMonitor" => ("monitoring.coreos.com", "servicemonitors"),
        "PodMonitor" => ("monitoring.coreos.com", "podmonitors"),
        "NodePool" => ("karpenter.sh", "nodepools"),
        "ScaledObject" => ("keda.sh", "scaledobjects"),
        "VulnerabilityReport" => ("aquasecurity.github.io", "vulnerabilityreports"),
        _ => return None,
    })
}

#[test]
fn the_webhook_role_never_reads_secrets() {
    let Some(t) = tools() else { return };
    let objs = objects(&template(t, "plimsoll", "plimsoll", &[]));
    // the ClusterRole bound to the Deployment's ServiceAccount
    let sa =
        find(&objs, "Deployment", "plimsoll")["spec"]["template"]["spec"]["serviceAccountName"]
            .clone();
    let binding = of_kind(&objs, "ClusterRoleBinding")
        .into_iter()
        .find(|b| {
            b["subjects"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["kind"] == "ServiceAccount" && s["name"] == sa)
        })
        .expect("the webhook's ServiceAccount is bound");
    let role = find(
        &objs,
        "ClusterRole",
        binding["roleRef"]["name"].as_str().unwrap(),
    );
    let mut granted = Vec::new();
    let mut granted_in: Vec<(String, String)> = Vec::new();
    for rule in role["rules"].as_array().unwrap() {
        assert!(rule.get("nonResourceURLs").is_none(), "{rule}");
        assert_eq!(rule["verbs"], json!(["get", "list", "watch"]), "{rule}");
        let groups = strings(&rule["apiGroups"]);
        assert!(!groups.contains(&"*"), "{rule}");
        for r in strings(&rule["resources"]) {
            assert!(
                r != "*" && r != "secrets" && !r.starts_with("secrets/"),
                "the webhook's role grants {r}: {rule}"
            );
            granted.push(r);
            for g in &groups {
                granted_in.push((g.to_string(), r.to_string()));
            }
        }
    }
    // every kind `plimsoll serve` watches (what the rules read) is granted, by group
    let builtin = plimsoll_model::ApiResources::builtin();
    // the rules `plimsoll serve` runs
    let rules: Vec<_> = plimsoll_rules::registry::all_rules()
        .iter()
        .copied()
        .filter(|r| !plimsoll::serve::not_at_admission(r.meta().code))
        .collect();
    for (kind, _) in plimsoll::serve::cluster::kinds_for(&rules) {
        let wanted: Vec<(String, String)> = match custom_resource(&kind) {
            Some((g, r)) => vec![(g.to_string(), r.to_string())],
            None => builtin
                .resources()
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| (r.group.clone(), r.plural.clone()))
                .collect(),
        };
        assert!(
            !wanted.is_empty(),
            "{kind}: neither a built-in kind nor one of custom_resource(): add its group and resource there"
        );
        for (g, r) in wanted {
            assert!(
                granted_in.contains(&(g.clone(), r.clone())),
                "the webhook watches {kind} but its role does not grant {g}/{r}"
            );
        }
    }

    // who may get (list, watch) Secrets, by what the chart installs: nobody of the
    // release; ConfigMaps, to show the question sees its ServiceAccounts
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plimsoll.yaml");
    std::fs::write(&file, template(t, "plimsoll", "plimsoll", &[])).unwrap();
    let who_can = |verb: &str, resource: &str| -> Vec<String> {
        let v = common::answer_json(&[
            "rbac",
            "who-can",
            verb,
            resource,
            "-A",
            "--format",
            "json",
            file.to_str().unwrap(),
        ]);
        v["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["name"] != "system:masters")
            .map(|s| {
                format!(
                    "{}/{}",
                    s["kind"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    for verb in ["get", "list", "watch"] {
        assert_eq!(
            who_can(verb, "secrets"),
            Vec::<String>::new(),
            "{verb} secrets"
        );
    }
    let readers = who_can("watch", "configmaps");
    assert_eq!(readers, ["ServiceAccount/plimsoll"]);

    // a values file that asks for Secrets does not render
    let out = helm(
        t,
        &[
            "template",
            "plimsoll",
            CHART,
            "--set",
            "rbac.readRules[0].apiGroups[0]=",
            "--set",
            "rbac.readRules[0].resources[0]=secrets",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("Secrets"),
        "{}",
        text(&out.stderr)
    );
}

/// The scheduled audit is deploy/audit-job.yaml's pod in a CronJob, with
/// deploy/audit-rbac.yaml's role: the same rules, arguments, resources and security.
#[test]
fn the_scheduled_audit_matches_the_audit_files() {
    let Some(t) = tools() else { return };
    let objs = objects(&template(t, "plimsoll", "plimsoll", &[]));
    let files = |name: &str| {
        objects(&std::fs::read_to_string(repo_root().join("deploy").join(name)).unwrap())
    };
    let rbac = files("audit-rbac.yaml");
    let job = files("audit-job.yaml");

    let name = "plimsoll-scheduled-audit";
    assert_eq!(
        find(&objs, "ClusterRole", name)["rules"],
        find(&rbac, "ClusterRole", "plimsoll-audit")["rules"],
        "the chart's audit role is deploy/audit-rbac.yaml's"
    );
    let cron = find(&objs, "CronJob", name);
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let from_chart = &cron["spec"]["jobTemplate"]["spec"];
    let from_file = &find(&job, "Job", "plimsoll-audit")["spec"];
    for field in ["backoffLimit", "activeDeadlineSeconds"] {
        assert_eq!(from_chart[field], from_file[field], "{field}");
    }
    let (pc, pf) = (
        &from_chart["template"]["spec"],
        &from_file["template"]["spec"],
    );
    assert_eq!(pc["serviceAccountName"], name);
    for field in [
        "automountServiceAccountToken",
        "restartPolicy",
        "securityContext",
    ] {
        assert_eq!(pc[field], pf[field], "{field}");
    }
    let (cc, cf) = (&pc["containers"][0], &pf["containers"][0]);
    for field in ["args", "resources", "securityContext", "imagePullPolicy"] {
        assert_eq!(cc[field], cf[field], "{field}");
    }
    // the chart's audit is its own: it installs beside deploy/audit-rbac.yaml
    for kind in ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"] {
        assert!(
            !objs
                .iter()
                .any(|o| o["kind"] == kind && o["metadata"]["name"] == "plimsoll-audit"),
            "{kind} plimsoll-audit is deploy/audit-rbac.yaml's"
        );
    }
}

/// deploy/gen-certs.sh makes a CA and a serving certificate for the Service, and prints
/// the helm flags that install the chart with them.
#[test]
fn gen_certs_makes_a_certificate_the_chart_takes() {
    let Some(t) = tools() else { return };
    if Command::new("openssl").arg("version").output().is_err() {
        common::missing(
            "openssl, for deploy/gen-certs.sh",
            "apt-get install openssl",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("sh")
        .current_dir(dir.path())
        .arg(repo_root().join("deploy/gen-certs.sh"))
        .args(["-n", "policy-system", "-d", "certs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let certs = dir.path().join("certs");
    for f in ["ca.crt", "ca.key", "tls.crt", "tls.key"] {
        assert!(certs.join(f).is_file(), "{f}");
    }
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(&certs)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    openssl(&["verify", "-CAfile", "ca.crt", "tls.crt"]);
    let cert = openssl(&["x509", "-in", "tls.crt", "-noout", "-text"]);
    assert!(cert.contains("DNS:plimsoll.policy-system.svc"), "{cert}");

    // the flags it prints install the chart with the CA it made
    let flags = text(&out.stdout);
    let sets: Vec<&str> = flags.split_whitespace().filter(|w| *w != "--set").collect();
    assert!(sets.contains(&"certManager.enabled=false"), "{flags}");
    let objs = objects(&template(t, "plimsoll", "policy-system", &sets));
    let ca = std::fs::read(certs.join("ca.crt")).unwrap();
    let bundle = find(&objs, "ValidatingWebhookConfiguration", "plimsoll")["webhooks"][0]
        ["clientConfig"]["caBundle"]
        .as_str()
        .unwrap()
        .to_string();
    let decoded = openssl_base64_decode(&bundle);
    assert_eq!(decoded, ca, "the caBundle is the CA's PEM");
    assert_eq!(
        *tls_secret(find(&objs, "Deployment", "plimsoll")),
        "plimsoll-tls"
    );

    // run again, it keeps the CA (the caBundle stays valid) and renews the certificate
    let again = Command::new("sh")
        .current_dir(dir.path())
        .arg(repo_root().join("deploy/gen-certs.sh"))
        .args(["-n", "policy-system", "-d", "certs"])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(std::fs::read(certs.join("ca.crt")).unwrap(), ca);
    assert_eq!(text(&again.stdout), flags);
    openssl(&["verify", "-CAfile", "ca.crt", "tls.crt"]);
}

fn openssl_base64_decode(s: &str) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["base64", "-d", "-A"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    child.wait_with_output().unwrap().stdout
}

/// A real API server admits what the chart renders (the cert-manager objects aside,
/// whose CRDs it does not have) into the namespace deploy/audit-rbac.yaml creates, which
/// enforces the restricted Pod Security level, without a warning.
#[test]
fn a_real_api_server_admits_the_chart() {
    let Some(bin) = common::kube_env::binaries() else {
        return;
    };
    let Some(t) = tools() else { return };
    let c = common::kube_env::Cluster::start(bin, &t.kubectl, &[]);
    c.apply(&std::fs::read_to_string(repo_root().join("deploy/audit-rbac.yaml")).unwrap());
    let rendered = template(
        t,
        "plimsoll",
        "plimsoll",
        &[
            "mutate.enabled=true",
            "certManager.enabled=false",
            &format!("tls.caBundle={CA_BUNDLE}"),
        ],
    );
    let path = c.dir.path().join("plimsoll.yaml");
    std::fs::write(&path, &rendered).unwrap();
    let out = c.kubectl_as(
        common::kube_env::ADMIN,
        &[
            "apply",
            "--dry-run=server",
            "-f",
            &path.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(said.trim().is_empty(), "the API server warned: {said}");
    let applied = text(&out.stdout);
    for object in [
        "deployment.apps/plimsoll",
        "cronjob.batch/plimsoll-scheduled-audit",
        "validatingwebhookconfiguration.admissionregistration.k8s.io/plimsoll",
        "mutatingwebhookconfiguration.admissionregistration.k8s.io/plimsoll",
        "networkpolicy.networking.k8s.io/plimsoll",
        "poddisruptionbudget.policy/plimsoll",
    ] {
        assert!(applied.contains(object), "{object} not admitted: {applied}");
    }
}
