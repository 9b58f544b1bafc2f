//! The command line as a user runs it: real files, real processes, exit codes and
//! the JSON contract checked against its published schema.

mod common;

use common::{repo_root, run_in};

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_plimsoll"));
    c.env_remove("NO_COLOR");
    c
}

fn run_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
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

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("schemas").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid_report(v: &Value) {
    let validator = schema("report.schema.json");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match its schema: {errors:#?}\n{v:#}"
    );
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

const NO_LIMIT: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.0.0
      resources:
        requests: {cpu: 100m, memory: 64Mi}
";

const WITH_LIMIT: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
";

fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    d
}

#[test]
fn exit_codes_follow_the_contract() {
    let d = dir_with(&[
        ("clean.yaml", WITH_LIMIT.as_bytes()),
        ("bad.yaml", NO_LIMIT.as_bytes()),
    ]);
    assert_eq!(
        run_in(d.path(), &["check", "clean.yaml", "--select", "RES003"])
            .status
            .code(),
        Some(0)
    );
    let out = run_in(d.path(), &["check", "bad.yaml", "--select", "RES003"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        run_in(
            d.path(),
            &[
                "check",
                "bad.yaml",
                "--select",
                "RES003",
                "--fail-on",
                "never"
            ]
        )
        .status
        .code(),
        Some(0)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("error[RES003]: container `web` has no memory limit"),
        "{text}"
    );
    assert!(text.contains("--> bad.yaml:10:7"), "{text}");
    assert!(
        out.stderr.is_empty(),
        "stdout carries only the report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_report_matches_the_schema_and_positions() {
    let d = dir_with(&[("k8s/web.yaml", NO_LIMIT.as_bytes())]);
    let out = run_in(
        d.path(),
        &["check", "k8s", "--select", "RES003", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_valid_report(&v);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "RES003");
    assert_eq!(f["rule"], "memory-limit-missing");
    assert_eq!(f["container"], "web");
    assert_eq!(f["path"], "/spec/containers/0/resources/limits/memory");
    assert_eq!(f["object"]["namespace"], "shop");
    assert_eq!(f["location"]["file"], "k8s/web.yaml");
    assert_eq!(
        f["location"]["line"], 10,
        "the nearest existing parent of the missing limit"
    );
    assert_eq!(f["location"]["column"], 7);
    assert_eq!(v["summary"]["findings"], 1);
    assert_eq!(v["summary"]["error"], 1);
}

#[test]
fn stdin_is_an_input() {
    let d = tempfile::tempdir().unwrap();
    let out = run_stdin(
        d.path(),
        &["check", "-", "--select", "RES003", "--format", "json"],
        NO_LIMIT.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["findings"][0]["location"]["file"], "<stdin>");
}

#[test]
fn a_bad_document_does_not_stop_the_others() {
    let mixed = format!("{WITH_LIMIT}---\nkind: [unclosed\n---\n{NO_LIMIT}");
    let d = dir_with(&[("mixed.yaml", mixed.as_bytes())]);
    let out = run_in(
        d.path(),
        &["check", ".", "--select", "RES003", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(
        codes(&v),
        ["RES003"],
        "the document after the broken one is checked"
    );
    let err = &v["errors"][0];
    assert_eq!(err["file"], "mixed.yaml");
    assert!(err["line"].as_u64().unwrap() >= 8, "{err}");
}

#[test]
fn hostile_inputs_are_errors_with_bounded_cost() {
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "  a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // 100k levels of block sequences, on one line
    let deep_block = format!("{}x\n", "- ".repeat(100_000));
    let mut binary = b"apiVersion: v1\n".to_vec();
    binary.extend_from_slice(&[0, 159, 146, 150, 0]);
    let mut latin1 = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {k: \"".to_vec();
    latin1.extend_from_slice(&[0xE9, b'"', b'}', b'\n']);
    // bytes of a simple generator: garbage, reproducible
    let mut x: u32 = 1;
    let garbage: Vec<u8> = (0..256 << 10)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let d = dir_with(&[
        ("a-bomb.yaml", bomb.as_bytes()),
        ("b-deep.yaml", deep.as_bytes()),
        ("b-deep-block.yaml", deep_block.as_bytes()),
        ("c-binary.yaml", &binary),
        ("c-garbage.yaml", &garbage),
        ("d-latin1.yaml", &latin1),
        ("e-good.yaml", NO_LIMIT.as_bytes()),
    ]);
    // 1 GiB without the disk space: a sparse file, refused by its size before a byte
    // of it is read
    std::fs::File::create(d.path().join("f-huge.yaml"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let start = Instant::now();
    let out = run_in(
        d.path(),
        &["check", ".", "--select", "RES003", "--format", "json"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "hostile input took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(codes(&v), ["RES003"], "the good file is still checked");
    let errors = v["errors"].as_array().unwrap();
    let msg = |file: &str| -> String {
        errors
            .iter()
            .find(|e| e["file"] == file)
            .unwrap_or_else(|| panic!("no error for {file}: {errors:#?}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(msg("a-bomb.yaml").contains("YAML bomb"));
    assert!(msg("a-bomb.yaml").ends_with("raise it with --max-alias-nodes"));
    assert!(msg("b-deep.yaml").contains("nesting too deep"));
    assert!(msg("b-deep.yaml").contains("at most 255 levels"));
    assert_eq!(
        msg("b-deep-block.yaml"),
        "nesting too deep (more than 256 levels); no Kubernetes object is this deep; raise it with --max-depth"
    );
    assert!(msg("c-binary.yaml").contains("NUL byte"));
    assert!(
        msg("c-garbage.yaml").contains("invalid UTF-8"),
        "{}",
        msg("c-garbage.yaml")
    );
    assert!(msg("d-latin1.yaml").contains("UTF-8"));
    assert_eq!(
        msg("f-huge.yaml"),
        "the file is 1 GiB, larger than the 256 MiB limit; not read; raise it with --max-file-size"
    );
    let latin = errors
        .iter()
        .find(|e| e["file"] == "d-latin1.yaml")
        .unwrap();
    assert_eq!(latin["line"], 4);
}

/// A ConfigMap whose data holds `payload` (a YAML flow value or scalar).
fn config_map(name: &str, payload: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata:\n  a: {payload}\n")
}

/// Runs `check` on a directory holding `good.yaml` (one RES003 finding) and `name` with
/// `body`, with `extra` flags; returns the exit code, the report, and the errors about
/// `name`.
fn check_beside_good(name: &str, body: &[u8], extra: &[&str]) -> (Option<i32>, Value, Vec<Value>) {
    let d = dir_with(&[("good.yaml", NO_LIMIT.as_bytes()), (name, body)]);
    let mut args = vec!["check", ".", "--select", "RES003", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_in(d.path(), &args);
    let v = json(&out);
    assert_valid_report(&v);
    let errors = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["file"] == name)
        .cloned()
        .collect();
    (out.status.code(), v, errors)
}

#[test]
fn each_limit_is_an_error_naming_file_line_and_flag_and_the_rest_is_checked() {
    let bomb = {
        let mut y = String::from(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x]\n",
        );
        y.push_str("  a1: [*a0, *a0, *a0]\n");
        y
    };
    let big_scalar = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata:\n  a: &a \"{}\"\n  b: *a\n  c: *a\n",
        "x".repeat(600)
    );
    let three_docs = format!(
        "{}---\n{}---\n{NO_LIMIT}",
        config_map("one", "x"),
        config_map("two", "x")
    );
    let large_doc = format!(
        "{}---\n{NO_LIMIT}",
        config_map("large", &format!("\"{}\"", "x".repeat(2_000)))
    );
    let deep = config_map("deep", &format!("{}x{}", "[".repeat(12), "]".repeat(12)));
    // (flag, value that the file exceeds, value it fits, file, line of the error,
    // findings in the file itself once it fits)
    type Case<'a> = (&'a str, &'a str, &'a str, String, Option<u64>, usize);
    let cases: Vec<Case> = vec![
        (
            "--max-file-size",
            "1KiB",
            "1MiB",
            large_doc.clone(),
            None,
            1,
        ),
        ("--max-document-size", "1KiB", "4KiB", large_doc, Some(1), 1),
        ("--max-documents", "2", "3", three_docs, Some(12), 1),
        ("--max-depth", "8", "16", deep, Some(5), 0),
        ("--max-alias-nodes", "10", "20", bomb, Some(6), 0),
        ("--max-alias-bytes", "1KiB", "2KiB", big_scalar, Some(7), 0),
    ];
    for (flag, low, high, body, line, own) in cases {
        let (code, v, errors) = check_beside_good("limited.yaml", body.as_bytes(), &[flag, low]);
        assert_eq!(code, Some(2), "{flag} {low}: {v:#}");
        assert_eq!(errors.len(), 1, "{flag} {low}: {v:#}");
        let e = &errors[0];
        assert_eq!(e["line"].as_u64(), line, "{flag}: {e}");
        let message = e["message"].as_str().unwrap();
        assert!(
            message.ends_with(&format!("raise it with {flag}")),
            "{flag}: {message}"
        );
        let in_good = |v: &Value| {
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["location"]["file"] == "good.yaml")
                .count()
        };
        assert_eq!(in_good(&v), 1, "{flag}: the other file is still checked");
        let (code, v, errors) = check_beside_good("limited.yaml", body.as_bytes(), &[flag, high]);
        assert!(errors.is_empty(), "{flag} {high}: {errors:?}");
        assert_eq!(code, Some(1), "{flag} {high}");
        assert_eq!(v["summary"]["findings"], 1 + own as u64, "{flag} {high}");
    }
    println!("{}", message_of_depth());
}

/// The text report of a limit: file, line and column, and the flag.
fn message_of_depth() -> String {
    let deep = config_map("deep", &format!("{}x{}", "[".repeat(12), "]".repeat(12)));
    let d = dir_with(&[("deep.yaml", deep.as_bytes())]);
    let out = run_in(d.path(), &["check", ".", "--max-depth", "8"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "deep.yaml:5:12: nesting too deep (more than 8 levels); no Kubernetes object is this deep; raise it with --max-depth"
        ),
        "{text}"
    );
    text
}

#[test]
fn limits_come_from_the_configuration_and_the_flags_win() {
    let deep = config_map("deep", &format!("{}x{}", "[".repeat(12), "]".repeat(12)));
    let d = dir_with(&[
        ("good.yaml", NO_LIMIT.as_bytes()),
        ("deep.yaml", deep.as_bytes()),
        (
            ".plimsoll.yaml",
            b"limits:\n  max-depth: 8\n  max-findings: 5\n",
        ),
    ]);
    let args = ["check", ".", "--select", "RES003", "--format", "json"];
    let out = run_in(d.path(), &args);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 8 levels"),
        "{v:#}"
    );
    let out = run_in(d.path(), &[&args[..], &["--max-depth", "100"]].concat());
    assert_eq!(out.status.code(), Some(1), "{:#}", json(&out));
    // an invalid limit in the configuration is said, with its line
    std::fs::write(
        d.path().join(".plimsoll.yaml"),
        "limits:\n  max-file-size: 10MB\n",
    )
    .unwrap();
    let out = run_in(d.path(), &args);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("KiB, MiB or GiB"), "{err}");
    // and on the command line
    let out = run_in(d.path(), &["check", ".", "--no-config", "--max-depth", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1"));
}

#[test]
fn findings_past_the_limit_are_counted_and_never_a_pass() {
    let d = dir_with(&[
        ("a.yaml", NO_LIMIT.as_bytes()),
        ("b.yaml", NO_LIMIT.as_bytes()),
        ("c.yaml", NO_LIMIT.as_bytes()),
    ]);
    let args = ["check", ".", "--select", "RES003", "--format", "json"];
    let out = run_in(d.path(), &[&args[..], &["--max-findings", "2"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_valid_report(&v);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["a.yaml", "b.yaml"], "the first in report order");
    assert_eq!(v["summary"]["findings"], 2);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(
        v["errors"][0]["message"],
        "3 findings, more than the limit of 2: the first 2 (in report order) are listed and 1 are left out; raise it with --max-findings"
    );
    assert!(v["errors"][0].get("file").is_none());
    // with --fail-on never too: a report cut short is an error, not a pass
    let out = run_in(
        d.path(),
        &[&args[..], &["--max-findings", "2", "--fail-on", "never"]].concat(),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run_in(d.path(), &[&args[..], &["--max-findings", "3"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["summary"]["errors"], 0);
}

#[test]
fn standard_input_over_the_size_limit_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let out = run_stdin(
        d.path(),
        &["check", "-", "--format", "json", "--max-file-size", "100"],
        NO_LIMIT.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(v["errors"][0]["file"], "<stdin>");
    assert_eq!(
        v["errors"][0]["message"],
        "standard input is larger than the 100 bytes limit; not read; raise it with --max-file-size"
    );
}

/// n Deployments whose pods share one label, and n of each object that selects that
/// label (PodDisruptionBudgets, Services, NetworkPolicies), n HPAs on one Deployment
/// and n copies of one ConfigMap, all in one namespace.
fn shared_selector_family(n: usize) -> String {
    let mut y = String::new();
    for i in 0..n {
        y.push_str(&format!(
            "apiVersion: apps/v1
kind: Deployment
metadata: {{name: d{i}, namespace: shop}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: d{i}}}}}
  template:
    metadata: {{labels: {{app: d{i}, team: shop}}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0.0
          ports: [{{containerPort: 8080}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: p{i}, namespace: shop}}
spec:
  maxUnavailable: 1
  selector: {{matchLabels: {{team: shop}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: s{i}, namespace: shop}}
spec:
  selector: {{team: shop}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: n{i}, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{team: shop}}}}
  policyTypes: [Ingress, Egress]
  ingress: [{{from: [{{podSelector: {{matchLabels: {{team: shop}}}}}}]}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: h{i}, namespace: shop}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: d0}}
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: shop}}
data: {{copy: \"{i}\"}}
---
"
        ));
    }
    y
}

#[test]
fn cross_object_findings_grow_linearly_with_the_input() {
    let mut sizes = Vec::new();
    for n in [50, 100, 200] {
        let d = dir_with(&[("family.yaml", shared_selector_family(n).as_bytes())]);
        let out = run_in(
            d.path(),
            &["check", ".", "--select", "all", "--format", "json"],
        );
        assert_eq!(out.status.code(), Some(1), "n = {n}");
        let v = json(&out);
        let findings = v["findings"].as_array().unwrap();
        for f in findings {
            let related = f["related"].as_array().map_or(0, Vec::len);
            assert!(
                related <= 21,
                "n = {n}: {} lists {related} related objects: {}",
                f["code"],
                f["message"]
            );
        }
        for code in ["AVL005", "META004"] {
            let count = codes(&v).iter().filter(|c| *c == code).count();
            assert!(count < n, "n = {n}: {count} {code} findings");
            assert!(count > 0, "n = {n}: no {code} finding");
        }
        sizes.push(out.stdout.len());
    }
    assert!(
        sizes[2] < 5 * sizes[0],
        "the report grows faster than its input: {sizes:?} bytes at n = 50, 100, 200"
    );
}

/// No byte of the text that a terminal would take as a control sequence: only newlines
/// below 0x20, nothing in DEL or C1.
fn assert_no_control_characters(what: &str, out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c.is_control() && c != '\n')
        .collect();
    assert!(bad.is_empty(), "{what} holds {bad:?}:\n{text}");
}

#[test]
fn names_from_the_input_cannot_drive_the_terminal() {
    let hostile = NO_LIMIT
        .replace(
            "name: web\n  namespace",
            "name: \"x\\e]0;pwned\\a\\e[2J\\x7f\\x9b1m\"\n  namespace",
        )
        .replace("- name: web", "- name: \"c\\e[31m\\r\\ttrick\"");
    // a raw ESC in a comment of the source, where the snippet shows it
    let raw = format!(
        "# \x1b[2J\n{}",
        NO_LIMIT.replace("name: web\n ", "name: raw\n ")
    );
    let d = dir_with(&[
        ("hostile.yaml", hostile.as_bytes()),
        ("raw\x1b[1m.yaml", raw.as_bytes()),
        ("raw-error.yaml", b"apiVersion: v1\nkind: \"\x1b]0;t\x07\n"),
    ]);
    let json_out = run_in(
        d.path(),
        &["check", ".", "--select", "RES003", "--format", "json"],
    );
    let v = json(&json_out);
    assert_eq!(codes(&v), ["RES003", "RES003"], "both pods are judged");
    assert!(
        v["findings"][0]["object"]["name"]
            .as_str()
            .unwrap()
            .contains("\x1b]0;pwned\x07"),
        "the JSON keeps the name as it is: {v:#}"
    );
    for args in [
        &["check", ".", "--select", "RES003"][..],
        &["check", ".", "--select", "RES003", "--concise"],
        &["check", ".", "--select", "RES003", "--format", "github"],
        &["check", ".", "--select", "RES003", "--color", "never"],
    ] {
        let out = run_in(d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_no_control_characters(&format!("{args:?}"), &out.stdout);
        let text = String::from_utf8_lossy(&out.stdout);
        // the concise and GitHub forms name the container, not the object (and GitHub
        // escapes the carriage return its own way)
        let escaped = if args.contains(&"--concise") || args.contains(&"github") {
            r"c\u{1b}[31m"
        } else {
            r"x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{7f}\u{9b}1m"
        };
        assert!(text.contains(escaped), "{args:?}:\n{text}");
    }
}

fn note_for<'a>(v: &'a Value, file: &str) -> &'a str {
    v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["file"] == file)
        .unwrap_or_else(|| panic!("no note for {file}: {v:#}"))["message"]
        .as_str()
        .unwrap()
}

#[test]
fn pipes_and_devices_in_a_directory_are_skipped_not_read() {
    let d = dir_with(&[("app/web.yaml", NO_LIMIT.as_bytes())]);
    let status = Command::new("mkfifo")
        .arg(d.path().join("app/pipe.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    std::os::unix::fs::symlink("/dev/zero", d.path().join("app/zero.yaml")).unwrap();
    // a walk that opened the pipe would wait for a writer forever; the test would hang
    let out = run_in(
        d.path(),
        &["check", "app", "--select", "RES003", "--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(codes(&v), ["RES003"]);
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(note_for(&v, "app/pipe.yaml"), "skipped: not a regular file");
    assert!(note_for(&v, "app/zero.yaml").contains("not a regular file"));
    // named on the command line, a pipe is read (here: what a writer sends)
    let pipe = d.path().join("app/pipe.yaml");
    let writer = std::thread::spawn(move || std::fs::write(pipe, NO_LIMIT).unwrap());
    let out = run_in(
        d.path(),
        &[
            "check",
            "app/pipe.yaml",
            "--select",
            "RES003",
            "--format",
            "json",
        ],
    );
    writer.join().unwrap();
    assert_eq!(codes(&json(&out)), ["RES003"]);
    // a socket or other special file named on the command line is an input error
    let sock = d.path().join("app/s.yaml");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let out = run_in(d.path(), &["check", "app/s.yaml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{v:#}"
    );
}

#[test]
fn symlinks_out_of_the_input_directory_are_not_followed() {
    let d = dir_with(&[
        ("app/web.yaml", NO_LIMIT.as_bytes()),
        (
            "elsewhere/secret.yaml",
            NO_LIMIT
                .replace("name: web\n ", "name: secret\n ")
                .as_bytes(),
        ),
    ]);
    let app = d.path().join("app");
    std::os::unix::fs::symlink(d.path().join("elsewhere/secret.yaml"), app.join("out.yaml"))
        .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", app.join("passwd.yaml")).unwrap();
    std::os::unix::fs::symlink("web.yaml", app.join("same.yaml")).unwrap();
    let out = run_in(
        d.path(),
        &["check", "app", "--select", "RES003", "--format", "json"],
    );
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    assert!(note_for(&v, "app/out.yaml").contains("outside the input directory"));
    assert!(note_for(&v, "app/passwd.yaml").contains("outside the input directory"));
    assert_eq!(
        v["summary"]["files"], 2,
        "web.yaml and the link to it inside app: {v:#}"
    );
    let names: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["object"]["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"secret"), "{names:?}");
    // a device named on the command line is read only up to the size limit
    let out = run_in(d.path(), &["check", "/dev/zero", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("limit"),
        "{v:#}"
    );
}

#[test]
fn a_bad_byte_costs_only_its_own_document() {
    let first = NO_LIMIT.replace("name: web\n ", "name: first\n ");
    let third = NO_LIMIT.replace("name: web\n ", "name: third\n ");
    for bad in [&[0xE9u8][..], &[0u8][..]] {
        let mut file = format!(
            "{first}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: mid}}\ndata: {{k: \""
        )
        .into_bytes();
        file.extend_from_slice(bad);
        file.extend_from_slice(format!("\"}}\n---\n{third}").as_bytes());
        let d = dir_with(&[("three.yaml", &file)]);
        let out = run_in(
            d.path(),
            &[
                "check",
                "three.yaml",
                "--select",
                "RES003",
                "--format",
                "json",
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        let v = json(&out);
        assert_valid_report(&v);
        assert_eq!(v["summary"]["objects"], 2, "{v:#}");
        let lines: Vec<u64> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["location"]["line"].as_u64().unwrap())
            .collect();
        assert_eq!(
            lines.len(),
            2,
            "the first and third documents are checked: {v:#}"
        );
        assert_eq!(
            lines[1],
            lines[0] + 17,
            "the third document keeps its lines"
        );
        let errors = v["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{v:#}");
        assert_eq!(errors[0]["line"], 16);
        assert_eq!(errors[0]["column"], 12);
    }
}

#[test]
fn documents_without_kind_are_noted_not_errors() {
    let d = dir_with(&[
        ("values.yaml", b"replicaCount: 2\nimage: {tag: x}\n"),
        ("empty.yaml", b"# nothing\n"),
        ("pod.yaml", WITH_LIMIT.as_bytes()),
    ]);
    let out = run_in(
        d.path(),
        &["check", ".", "--format", "json", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["notes"][0]["file"], "values.yaml");
    assert!(
        v["notes"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no apiVersion/kind")
    );
}

#[test]
fn charts_and_overlays_are_never_parsed_raw() {
    let d = dir_with(&[
        (
            "chart/Chart.yaml",
            b"apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        ),
        ("chart/templates/web.yaml", NO_LIMIT.as_bytes()),
        ("plain/web.yaml", NO_LIMIT.as_bytes()),
    ]);
    let out = run_in(
        d.path(),
        &[
            "check", ".", "--select", "RES003", "--format", "json", "--render", "never",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unrendered chart is not a silent pass"
    );
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["location"]["file"], "plain/web.yaml");
    assert_eq!(v["errors"][0]["file"], "chart");
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Helm chart") && message.contains("--render never"),
        "{message}"
    );
}

#[test]
fn selection_by_code_prefix_name_and_unknown() {
    let d = dir_with(&[("bad.yaml", NO_LIMIT.as_bytes())]);
    for sel in [
        "RES003",
        "res",
        "RES0",
        "memory-limit-missing",
        "all",
        "default",
    ] {
        let out = run_in(
            d.path(),
            &["check", ".", "--select", sel, "--format", "json"],
        );
        assert!(
            codes(&json(&out)).contains(&"RES003".to_string()),
            "--select {sel}"
        );
    }
    let out = run_in(
        d.path(),
        &[
            "check",
            ".",
            "--select",
            "RES",
            "--ignore",
            "memory-limit-missing",
            "--format",
            "json",
        ],
    );
    assert!(!codes(&json(&out)).contains(&"RES003".to_string()));
    let out = run_in(d.path(), &["check", ".", "--select", "RESX999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule selector"));
    assert!(out.stdout.is_empty());
}

#[test]
fn exemptions_annotation_comment_config_and_unused() {
    let annotated = NO_LIMIT.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    plimsoll.dev/ignore: \"RES003 -- sized by the operator\"\n",
    );
    let commented = NO_LIMIT
        .replace("name: web\n  namespace", "name: web2\n  namespace")
        .replace("      resources:\n", "      # plimsoll: ignore RES003 -- memory bounded by the JVM flags\n      resources:\n");
    let configured = NO_LIMIT.replace("name: web\n  namespace", "name: batch\n  namespace");
    let no_reason = NO_LIMIT.replace(
        "name: web\n  namespace: shop\n",
        "name: web3\n  namespace: shop\n  annotations:\n    plimsoll.dev/ignore: RES003\n",
    );
    let unused = WITH_LIMIT.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    plimsoll.dev/ignore: \"RES003 -- stale\"\n",
    );
    let config = "exemptions:\n  - rules: [memory-limit-missing]\n    kind: Pod\n    name: bat*\n    reason: batch pods are memory-bounded by the queue\n  - rules: [RES003]\n    name: nothing-matches\n    reason: stale\n";
    let d = dir_with(&[
        ("a.yaml", annotated.as_bytes()),
        ("b.yaml", commented.as_bytes()),
        ("c.yaml", configured.as_bytes()),
        ("d.yaml", no_reason.as_bytes()),
        ("e.yaml", unused.as_bytes()),
        (".plimsoll.yaml", config.as_bytes()),
    ]);
    let out = run_in(
        d.path(),
        &["check", ".", "--select", "RES003", "--format", "json"],
    );
    let v = json(&out);
    assert_valid_report(&v);
    let via: Vec<(String, String)> = v["exempted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["object"]["name"].as_str().unwrap().to_string(),
                e["via"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        via.contains(&("web".into(), "annotation".into())),
        "{via:?}"
    );
    assert!(via.contains(&("web2".into(), "comment".into())), "{via:?}");
    assert!(via.contains(&("batch".into(), "config".into())), "{via:?}");
    assert_eq!(v["summary"]["exempted"], 3);
    // an exemption without a reason does not apply, and says so
    let remaining: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["object"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(remaining, ["web3"]);
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["message"].as_str().unwrap().contains("has no reason"))
    );
    let unused: Vec<&str> = v["unusedExemptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["where"].as_str().unwrap())
        .collect();
    assert_eq!(unused.len(), 2, "{unused:?}");
    assert!(unused.iter().any(|u| u.contains("ConfigMap shop/settings")));
    assert!(unused.iter().any(|u| u.contains("exemptions[1]")));
    // --strict ignores annotations
    let out = run_in(
        d.path(),
        &[
            "check", ".", "--select", "RES003", "--format", "json", "--strict",
        ],
    );
    let v = json(&out);
    assert_eq!(v["summary"]["exempted"], 2);
}

#[test]
fn exemption_comments_at_scale_apply_to_their_own_lines() {
    // thousands of objects, each with its own ignore comment: every comment applies to
    // the line below it and nowhere else (they are looked up by line, not scanned)
    let n = 3000;
    let mut text = String::new();
    for i in 0..n {
        let ignore = if i % 3 == 0 {
            "    # plimsoll: ignore AVL001 -- a singleton by design\n"
        } else {
            ""
        };
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: s}}\nspec:\n{ignore}  replicas: 1\n  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}}}}}\n    spec:\n      containers: [{{name: c, image: \"nginx:1.27\"}}]\n"
        ));
    }
    let text = text.replace("    # plimsoll", "  # plimsoll");
    let d = dir_with(&[("many.yaml", text.as_bytes())]);
    let out = run_in(
        d.path(),
        &["check", ".", "--select", "AVL001", "--format", "json"],
    );
    let v = json(&out);
    assert_eq!(v["summary"]["exempted"], n / 3);
    assert_eq!(v["summary"]["findings"], n - n / 3);
    assert!(v["unusedExemptions"].as_array().unwrap().is_empty());
}

#[test]
fn baseline_reports_only_new_findings() {
    let d = dir_with(&[("a.yaml", NO_LIMIT.as_bytes())]);
    let out = run_in(
        d.path(),
        &[
            "check",
            ".",
            "--select",
            "RES003",
            "--write-baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["summary"]["baselined"], 1);
    let out = run_in(
        d.path(),
        &[
            "check",
            ".",
            "--select",
            "RES003",
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    // edits above the finding do not resurrect it; a new problem is reported
    let moved = format!(
        "# a comment that moves every line\n{NO_LIMIT}---\n{}",
        NO_LIMIT.replace("name: web\n  namespace", "name: new\n  namespace")
    );
    std::fs::write(d.path().join("a.yaml"), moved).unwrap();
    let out = run_in(
        d.path(),
        &[
            "check",
            ".",
            "--select",
            "RES003",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["object"]["name"], "new");
}

#[test]
fn configuration_is_found_upward_and_validated() {
    let d = dir_with(&[
        (".plimsoll.yaml", b"select: [RES003]\nfail-on: never\n"),
        ("deploy/app/web.yaml", NO_LIMIT.as_bytes()),
    ]);
    let out = run_in(&d.path().join("deploy"), &["check", "app"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "fail-on from the config found upward"
    );
    let out = run_in(
        &d.path().join("deploy"),
        &["check", "app", "--fail-on", "error"],
    );
    assert_eq!(out.status.code(), Some(1), "the command line wins");
    std::fs::write(d.path().join("bad.yaml"), "selekt: [RES003]\n").unwrap();
    let out = run_in(d.path(), &["check", "deploy", "--config", "bad.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml") && err.contains("selekt"), "{err}");
}

#[test]
fn a_configuration_file_that_is_not_configuration_is_not_echoed() {
    let key = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n".repeat(40)
    );
    let long_value = format!("namespace: [{}]\n", "x".repeat(5000));
    let d = dir_with(&[
        ("secret/id_ed25519", key.as_bytes()),
        ("deploy/web.yaml", NO_LIMIT.as_bytes()),
        ("other/.plimsoll.yaml", long_value.as_bytes()),
        ("other/web.yaml", NO_LIMIT.as_bytes()),
    ]);
    // found beside the inputs, a link to a key elsewhere: not followed
    std::os::unix::fs::symlink(
        d.path().join("secret/id_ed25519"),
        d.path().join("deploy/.plimsoll.yaml"),
    )
    .unwrap();
    let out = run_in(d.path(), &["check", "deploy"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".plimsoll.yaml") && err.contains("outside") && !err.contains("b3Blbn"),
        "{err}"
    );
    // named explicitly, it is read, and only a line of it is quoted
    let out = run_in(
        d.path(),
        &["check", "deploy", "--config", "secret/id_ed25519"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("b3Blbn"), "the key is not echoed: {err}");
    assert!(err.lines().count() <= 2 && err.len() < 400, "{err}");
    // a value too long to quote whole
    let out = run_in(d.path(), &["check", "other"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".plimsoll.yaml") && err.len() < 400, "{err}");
    // a link to a file inside the directory holding it is followed
    std::fs::write(
        d.path().join("deploy/plimsoll-config.yaml"),
        "fail-on: never\n",
    )
    .unwrap();
    std::fs::remove_file(d.path().join("deploy/.plimsoll.yaml")).unwrap();
    std::os::unix::fs::symlink(
        "plimsoll-config.yaml",
        d.path().join("deploy/.plimsoll.yaml"),
    )
    .unwrap();
    let out = run_in(d.path(), &["check", "deploy"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn default_namespace_follows_the_flag() {
    let d = dir_with(&[(
        "a.yaml",
        NO_LIMIT.replace("  namespace: shop\n", "").as_bytes(),
    )]);
    let v = json(&run_in(
        d.path(),
        &[
            "check", ".", "--select", "RES003", "--format", "json", "-n", "payments",
        ],
    ));
    assert_eq!(v["findings"][0]["object"]["namespace"], "payments");
}

#[test]
fn rules_listing_and_rule_docs() {
    let d = tempfile::tempdir().unwrap();
    let out = run_in(d.path(), &["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["version"], 1);
    let rules = v["rules"].as_array().unwrap();
    assert!(!rules.is_empty());
    for r in rules {
        for key in [
            "code", "name", "group", "severity", "profiles", "fixable", "fix", "summary",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert!(
            r["code"]
                .as_str()
                .unwrap()
                .starts_with(r["group"].as_str().unwrap())
        );
    }
    let out = run_in(d.path(), &["rule", "res003"]);
    let doc = String::from_utf8(out.stdout).unwrap();
    assert!(doc.starts_with("# RES003"));
    assert!(doc.contains("## Why it matters in production"));
    assert_eq!(
        run_in(d.path(), &["rule", "NOPE001"]).status.code(),
        Some(2)
    );
}

#[test]
fn multiple_formats_in_one_run() {
    let d = dir_with(&[("a.yaml", NO_LIMIT.as_bytes())]);
    let out = run_in(
        d.path(),
        &[
            "check",
            "a.yaml",
            "--select",
            "RES003",
            "--format",
            "text",
            "--format",
            "json=out/report.json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "the output directory does not exist: a write error"
    );
    std::fs::create_dir(d.path().join("out")).unwrap();
    let out = run_in(
        d.path(),
        &[
            "check",
            "a.yaml",
            "--select",
            "RES003",
            "--format",
            "text",
            "--format",
            "json=out/report.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("error[RES003]"));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_valid_report(&v);
    let out = run_in(d.path(), &["check", "a.yaml", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format"));
}

#[test]
fn missing_paths_are_errors() {
    let d = tempfile::tempdir().unwrap();
    let out = run_in(d.path(), &["check", "nope.yaml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nope.yaml")
    );
}

#[test]
fn generated_rule_docs_are_current() {
    let out = run_in(&repo_root(), &["rules", "--format", "markdown"]);
    let want = String::from_utf8(out.stdout).unwrap();
    let have = std::fs::read_to_string(repo_root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is out of date: run `cargo run -q -- rules --format markdown > docs/rules.md`"
    );
    // every command the rule docs and the README point at exists
    let help = String::from_utf8(run_in(&repo_root(), &["--help"]).stdout).unwrap();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for text in [&want, &readme] {
        for (at, _) in text.match_indices("`plimsoll ") {
            let cmd: String = text[at + 10..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            // `plimsoll --version` is a flag, not a command
            if cmd.is_empty() || cmd.starts_with('-') {
                continue;
            }
            assert!(
                help.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{cmd} "))),
                "`plimsoll {cmd}` is mentioned but is not a command: {}",
                &text[at..(at + 60).min(text.len())]
            );
        }
    }
}

#[test]
fn config_files_in_the_repository_match_the_config_schema() {
    let validator = schema("plimsoll-config.schema.json");
    let mut checked = 0;
    let mut stack = vec![
        repo_root().join("crates/plimsoll_rules/fixtures"),
        repo_root().join("examples"),
    ];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("plimsoll.yaml"))
            {
                let text = std::fs::read_to_string(&p).unwrap();
                let stream = plimsoll_yaml::parse_stream(&text, plimsoll_yaml::Limits::default());
                let root = stream
                    .documents
                    .into_iter()
                    .find_map(|d| d.root)
                    .map(|r| r.to_json())
                    .unwrap_or(Value::Null);
                let errors: Vec<String> = validator
                    .iter_errors(&root)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", p.display());
                plimsoll_rules::config::Config::from_yaml(&text).unwrap();
                checked += 1;
            }
        }
    }
    let _ = checked;
}

/// What `deploy/` ships (the audit's roles and its in-cluster Job) passes plimsoll's own
/// check: no finding above info, the restricted Pod Security level, and an exemption
/// with a reason wherever a rule is knowingly set aside.
#[test]
fn the_deploy_manifests_pass_their_own_check() {
    let root = repo_root();
    let out = run_in(
        &root,
        &["check", "deploy", "--format", "json", "--no-config"],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_valid_report(&v);
    let loud = above_info(&v);
    assert!(
        loud.is_empty(),
        "deploy/ has findings above info: {loud:#?}"
    );
    assert_eq!(v["summary"]["errors"], 0);
    assert!(
        v["unusedExemptions"].as_array().unwrap().is_empty(),
        "{}",
        v["unusedExemptions"]
    );
    assert!(
        v["exempted"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["reason"].as_str().unwrap().is_empty())
    );
    // the Job meets the level its namespace enforces
    let out = run_in(
        &root,
        &[
            "check",
            "deploy/audit-job.yaml",
            "--select",
            "pss-restricted",
            "--format",
            "json",
            "--no-config",
        ],
    );
    let v = json(&out);
    assert_eq!(v["summary"]["objects"], 2);
    assert!(
        v["findings"].as_array().unwrap().is_empty(),
        "{}",
        v["findings"]
    );
}

/// The findings of a report at warning or error severity.
fn above_info(v: &Value) -> Vec<&Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect()
}

#[test]
fn the_production_example_is_clean_and_the_naive_one_is_not() {
    let root = repo_root();
    let out = run_in(&root, &["check", "examples/production", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_valid_report(&v);
    let loud = above_info(&v);
    assert!(
        loud.is_empty(),
        "production has findings above info: {loud:#?}"
    );
    assert_eq!(v["summary"]["errors"], 0);
    let out = run_in(
        &root,
        &[
            "check",
            "examples/production",
            "--select",
            "pss-restricted",
            "--format",
            "json",
        ],
    );
    assert_eq!(json(&out)["summary"]["findings"], 0);

    // the add-ons (backups, a Rollout, monitoring, the mesh) with the application: clean,
    // and none of their rules fires even with every rule selected
    let out = run_in(
        &root,
        &[
            "check",
            "examples/production",
            "examples/production-stack",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let loud = above_info(&v);
    assert!(loud.is_empty(), "production-stack: {loud:#?}");
    let out = run_in(
        &root,
        &[
            "check",
            "examples/production",
            "examples/production-stack",
            "--select",
            "BAK,DLV,MSH,MON",
            "--format",
            "json",
        ],
    );
    assert_eq!(json(&out)["summary"]["findings"], 0);

    let out = run_in(&root, &["check", "examples/naive", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_valid_report(&v);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.get("fix").is_some()),
        "fixes (JSON Patch) appear in the report and match the schema"
    );
    let found = codes(&v);
    for code in [
        "API001", "AVL001", "AVL003", "IMG001", "JOB002", "PRB001", "PRB003", "RBAC001", "RES002",
        "RES003", "RES007", "SCL002", "SCL006", "SCL007", "SCL008", "SCL009", "SCL010", "SCL011",
        "SCR001", "SCR006", "SCR007", "SCR008", "SEC001", "STO004", "YML003", "YML004", "BAK001",
        "BAK002", "BAK003", "DLV001", "DLV002", "DLV003", "DLV004", "MSH001", "MON002",
    ] {
        assert!(
            found.iter().any(|c| c == code),
            "the naive example should show {code}: {found:?}"
        );
    }
}

#[test]
fn completions_man_page_and_kubectl_plugin() {
    let d = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run_in(d.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("check") && text.contains("--select"),
            "{shell}: {text}"
        );
    }
    let out = run_in(d.path(), &["man"]);
    assert_eq!(out.status.code(), Some(0));
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.contains(".TH plimsoll 1") && man.contains(".SH SYNOPSIS"),
        "{man}"
    );
    // a page per subcommand, with its options
    let out = run_in(d.path(), &["man", "check"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.contains(".TH plimsoll-check 1") && page.contains("\\-\\-fail\\-on"),
        "{page}"
    );
    let out = run_in(d.path(), &["man", "--dir", "man1"]);
    assert_eq!(out.status.code(), Some(0));
    for name in [
        "plimsoll",
        "plimsoll-check",
        "plimsoll-audit",
        "plimsoll-rbac-who-can",
        "plimsoll-netpol-reach",
    ] {
        let page =
            std::fs::read_to_string(d.path().join("man1").join(format!("{name}.1"))).unwrap();
        assert!(page.contains(&format!(".TH {name} 1")), "{name}");
    }
    assert_eq!(run_in(d.path(), &["man", "nope"]).status.code(), Some(2));
    // kubectl runs a plugin as `kubectl-plimsoll ARGS...`: the same binary under that name
    let plugin = d.path().join("kubectl-plimsoll");
    std::fs::copy(env!("CARGO_BIN_EXE_plimsoll"), &plugin).unwrap();
    std::fs::write(d.path().join("a.yaml"), NO_LIMIT).unwrap();
    // a test running beside this one may fork while the copy is still open for writing
    // (the child holds the descriptor until it execs): exec then fails with "text file
    // busy" for a moment
    let mut tries = 0;
    let out = loop {
        match Command::new(&plugin)
            .current_dir(d.path())
            .args(["check", "a.yaml", "--select", "RES003", "--format", "json"])
            .output()
        {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => break other.unwrap(),
        }
    };
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&json(&out)), ["RES003"]);
}

#[test]
fn the_pre_commit_hook_points_at_the_check_command() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let stream = plimsoll_yaml::parse_stream(&text, plimsoll_yaml::Limits::default());
    let hooks = stream.documents[0].root.as_ref().unwrap().to_json();
    assert_eq!(hooks[0]["id"], "plimsoll");
    assert_eq!(hooks[0]["entry"], "plimsoll check");
    let files = hooks[0]["files"].as_str().unwrap();
    assert!(files.contains("ya?ml") && files.contains("json"));
    // run as pre-commit runs it, from the top of a repository: the entry's words after
    // the program, the hook's arguments, then the changed files
    let mut argv: Vec<String> = hooks[0]["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    argv.extend(
        hooks[0]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string()),
    );
    // a commit that changes only YAML that is not a manifest passes
    let d = dir_with(&[(".pre-commit-config.yaml", b"repos: []\n")]);
    let mut only_config = argv.clone();
    only_config.push(".pre-commit-config.yaml".to_string());
    let only_config: Vec<&str> = only_config.iter().map(String::as_str).collect();
    let out = run_in(d.path(), &only_config);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    argv.extend(["api.yaml", "worker.yaml"].map(String::from));
    argv.extend(["--format", "json"].map(String::from));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = run_in(&repo_root().join("examples/production"), &argv);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    // the changed files are judged with the namespace's other files as context
    assert_eq!(codes(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(not_evaluated_codes(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(v["summary"]["files"], 2);
}

#[test]
fn misleading_silences_are_said() {
    let d = dir_with(&[("pod.yaml", NO_LIMIT.as_bytes())]);
    // a full disk is an error on stderr, not just an exit code
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = bin()
        .current_dir(d.path())
        .args(["check", "pod.yaml"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write the report"), "{err}");
    // an invalid exclude pattern is an error even when no directory is walked
    let out = run_in(
        d.path(),
        &["check", "pod.yaml", "--exclude", "[", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("invalid exclude pattern") && msg.contains("'['"),
        "{v:#}"
    );
    // a Kubernetes version newer than this build knows is said, and judged as the newest
    let out = run_in(d.path(), &["check", "pod.yaml", "--kube-version", "1.99"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--kube-version 1.99") && err.contains("judged as for 1."),
        "{err}"
    );
    // UTF-16 without a byte order mark is named, not called binary
    let utf16: Vec<u8> = NO_LIMIT.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let d = dir_with(&[("wide.yaml", &utf16)]);
    let out = run_in(d.path(), &["check", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-16 (little-endian)"),
        "{v:#}"
    );
}

#[test]
fn unknown_rules_and_selectors_get_a_suggestion() {
    let d = dir_with(&[("pod.yaml", NO_LIMIT.as_bytes())]);
    for (args, want) in [
        (
            &["check", ".", "--select", "memory-limit-mising"][..],
            "did you mean `memory-limit-missing`?",
        ),
        (
            &["check", ".", "--ignore", "RES03"],
            "did you mean `RES003`?",
        ),
        (
            &["check", ".", "--select", "pss-restricetd"],
            "did you mean `pss-restricted`?",
        ),
        (&["rule", "RES0003"], "did you mean `RES003`?"),
    ] {
        let out = run_in(d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let out = run_in(d.path(), &["check", ".", "--select", "zzzzzzzz"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn exemptions_scoped_by_path_and_errors_at_their_line() {
    let d = dir_with(&[
        ("legacy/old.yaml", NO_LIMIT.as_bytes()),
        (
            "apps/new.yaml",
            NO_LIMIT.replace("name: web\n ", "name: new\n ").as_bytes(),
        ),
        (
            "apps/legacy-copy.yaml",
            NO_LIMIT.replace("name: web\n ", "name: copy\n ").as_bytes(),
        ),
    ]);
    let config = |path: &str| {
        format!(
            "exemptions:\n  - rules: [RES003]\n    path: \"{path}\"\n    reason: the legacy stack is retired next quarter\n"
        )
    };
    // from the project root, and from a subdirectory (paths are relative to the config)
    for (pattern, cwd, input, exempted) in [
        ("legacy/**", ".", ".", vec!["legacy/old.yaml"]),
        ("legacy", ".", ".", vec!["legacy/old.yaml"]),
        ("legacy*.yaml", ".", ".", vec!["apps/legacy-copy.yaml"]),
        (
            "apps/*.yaml",
            ".",
            ".",
            vec!["apps/legacy-copy.yaml", "apps/new.yaml"],
        ),
        ("legacy/**", "apps", "../legacy", vec!["../legacy/old.yaml"]),
    ] {
        std::fs::write(d.path().join(".plimsoll.yaml"), config(pattern)).unwrap();
        let out = run_in(
            &d.path().join(cwd),
            &["check", input, "--select", "RES003", "--format", "json"],
        );
        let v = json(&out);
        let mut files: Vec<&str> = v["exempted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["location"]["file"].as_str().unwrap())
            .collect();
        files.sort();
        assert_eq!(files, exempted, "{pattern}: {v:#}");
    }
    // an exemption without a reason is an error at its line in the configuration
    std::fs::write(
        d.path().join(".plimsoll.yaml"),
        "fail-on: error\nexemptions:\n  - rules: [RES003]\n    reason: fine\n  - rules: [RES003]\n    path: legacy/**\n",
    )
    .unwrap();
    let out = run_in(d.path(), &["check", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 5: exemptions[1]: a `reason` is required"),
        "{err}"
    );
}

#[test]
fn quiet_statistics_score_and_help_headings() {
    let d = dir_with(&[
        ("clean.yaml", WITH_LIMIT.as_bytes()),
        ("bad.yaml", NO_LIMIT.as_bytes()),
    ]);
    let args = |extra: &[&'static str]| {
        let mut a = vec!["check", "clean.yaml", "bad.yaml", "--select", "RES003"];
        a.extend_from_slice(extra);
        a
    };
    // the score of one object with an error and one clean: 50
    let v = json(&run_in(d.path(), &args(&["--format", "json"])));
    assert_valid_report(&v);
    assert_eq!(v["summary"]["score"], 50, "{v:#}");
    // --quiet: the summary line alone, with the score
    let quiet = run_in(d.path(), &args(&["--quiet"]));
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(quiet.stdout).unwrap(),
        "1 finding (1 error, 0 warning, 0 info) in 2 objects from 2 files; 0 exempted, 0 not evaluated; score 50/100\n"
    );
    // --statistics: a count per rule instead of the findings
    let stats = String::from_utf8(run_in(d.path(), &args(&["--statistics"])).stdout).unwrap();
    assert!(stats.starts_with("1  RES003  "), "{stats}");
    assert!(!stats.contains("--> bad.yaml"), "{stats}");
    // --fail-below-score: exit 1 under the bar even when --fail-on passes the run
    let code = |extra: &[&'static str]| run_in(d.path(), &args(extra)).status.code();
    assert_eq!(
        code(&["--fail-on", "never", "--fail-below-score", "51"]),
        Some(1)
    );
    assert_eq!(
        code(&["--fail-on", "never", "--fail-below-score", "50"]),
        Some(0)
    );
    assert_eq!(code(&["--fail-below-score", "101"]), Some(2));
    // help: flags grouped under headings a user can scan
    let help = String::from_utf8(run_in(d.path(), &["check", "--help"]).stdout).unwrap();
    let at = |s: &str| {
        help.find(s)
            .unwrap_or_else(|| panic!("{s:?} not in:\n{help}"))
    };
    for (heading, flag) in [
        ("Rule selection:", "--select"),
        ("Kubernetes version:", "--kube-version"),
        ("Exit code:", "--fail-on"),
        ("Output:", "--quiet"),
        ("Configuration:", "--config"),
    ] {
        let h = at(&format!("\n{heading}\n"));
        let f = h + help[h..]
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} not after {heading}"));
        assert!(h < f, "{flag} before its heading {heading}:\n{help}");
        // the section ends where the next heading (a line at column 0) starts
        let next = help[h + 1..]
            .match_indices("\n\n")
            .map(|(i, _)| h + 1 + i + 2)
            .find(|&i| help[i..].starts_with(|c: char| c.is_ascii_alphabetic()))
            .unwrap_or(help.len());
        assert!(f < next, "{flag} not under {heading}:\n{help}");
    }
}

/// A namespace `shop` spread over files, as a repository keeps it: the application, the
/// namespace-wide policies and guard rails apart, and no Namespace object.
const SHOP_API: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
";

const SHOP_POLICIES: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

const SHOP_GUARD_RAILS: &str = "apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits: [{type: Container, defaultRequest: {cpu: 100m, memory: 128Mi}}]
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: shop}
spec:
  hard: {requests.cpu: \"4\"}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: api}}
";

const SHOP_NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata: {name: shop}
";

/// The rules that conclude that a namespace, or a workload in it, lacks something.
const COMPLETENESS: &str = "NET001,NET002,RES009,RES010,AVL002";

/// `(code, file)` of each finding, sorted.
fn code_files(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["location"]["file"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The codes of the not-evaluated entries, sorted.
fn not_evaluated_codes(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["notEvaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn namespace_completeness_is_judged_only_where_the_input_holds_the_namespace() {
    let d = dir_with(&[
        ("k8s/api.yaml", SHOP_API.as_bytes()),
        ("k8s/network-policies.yaml", SHOP_POLICIES.as_bytes()),
        ("k8s/guard-rails.yaml", SHOP_GUARD_RAILS.as_bytes()),
        ("bare/api.yaml", SHOP_API.as_bytes()),
        ("namespace.yaml", SHOP_NAMESPACE.as_bytes()),
    ]);
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--select", COMPLETENESS, "--format", "json"];
        all.extend_from_slice(args);
        let out = run_in(d.path(), &all);
        let v = json(&out);
        assert_valid_report(&v);
        (out.status.code(), v)
    };
    let all_five = |file: &str| -> Vec<(String, String)> {
        ["AVL002", "NET001", "NET002", "RES009", "RES010"]
            .iter()
            .map(|c| (c.to_string(), file.to_string()))
            .collect()
    };

    // one file named on its own (what a pre-commit hook runs): its namespace's policies,
    // LimitRange, quota and budgets may be in other files, so nothing is concluded
    let (code, v) = check(&["k8s/api.yaml"]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(code_files(&v), [], "{v:#}");
    assert_eq!(
        not_evaluated_codes(&v),
        ["AVL002", "NET001", "NET002", "RES009", "RES010"]
    );
    for n in v["notEvaluated"].as_array().unwrap() {
        assert_eq!(n["object"]["name"], "api");
        let reason = n["reason"].as_str().unwrap();
        assert!(
            reason.contains("namespace `shop`") && reason.contains("is unknown"),
            "{reason}"
        );
    }

    // the directory holds the namespace: everything it needs is found there
    let (code, v) = check(&["k8s"]);
    assert_eq!((code, code_files(&v)), (Some(0), vec![]), "{v:#}");
    assert_eq!(not_evaluated_codes(&v), Vec::<String>::new());

    // a directory without them: the namespace lacks them, without a Namespace object
    let (code, v) = check(&["bare"]);
    assert_eq!(code, Some(0), "warnings and infos only");
    assert_eq!(code_files(&v), all_five("bare/api.yaml"), "{v:#}");
    assert_eq!(not_evaluated_codes(&v), Vec::<String>::new());

    // standard input is what a renderer prints: held as well
    let out = run_stdin(
        d.path(),
        &["check", "-", "--select", COMPLETENESS, "--format", "json"],
        SHOP_API.as_bytes(),
    );
    assert_eq!(code_files(&json(&out)), all_five("<stdin>"));

    // the Namespace object makes the namespace judged: who ships the namespace ships
    // what it needs
    let (_, v) = check(&["k8s/api.yaml", "namespace.yaml"]);
    let mut want = vec![("AVL002".to_string(), "k8s/api.yaml".to_string())];
    for c in ["NET001", "NET002", "RES009", "RES010"] {
        want.push((c.to_string(), "namespace.yaml".to_string()));
    }
    want.sort();
    assert_eq!(code_files(&v), want, "{v:#}");
    assert_eq!(not_evaluated_codes(&v), Vec::<String>::new());
}

const SHOP_WORKER: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: registry.example.com/worker:1.0.0
";

#[test]
fn roots_give_context_and_only_the_named_files_are_reported() {
    let d = dir_with(&[
        ("k8s/api.yaml", SHOP_API.as_bytes()),
        ("k8s/network-policies.yaml", SHOP_POLICIES.as_bytes()),
        ("k8s/guard-rails.yaml", SHOP_GUARD_RAILS.as_bytes()),
        ("k8s/worker.yaml", SHOP_WORKER.as_bytes()),
        ("k8s/broken.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n"),
        (
            "k8s/annotated.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: shop\n  annotations: {plimsoll.dev/ignore: \"NET001 -- not a workload\"}\n",
        ),
        ("bare/api.yaml", SHOP_API.as_bytes()),
    ]);
    let select = format!("{COMPLETENESS},RES003,META004");
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--select", select.as_str(), "--format", "json"];
        all.extend_from_slice(args);
        let out = run_in(d.path(), &all);
        let v = json(&out);
        assert_valid_report(&v);
        (out.status.code(), v)
    };

    // the file a pre-commit hook names, with its project as context: the namespace's
    // policies, guard rails and budget are found; the worker's missing memory limit
    // (in a file not named) and the broken file do not fail the run
    let (code, v) = check(&["k8s/api.yaml", "--root", "k8s"]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(code_files(&v), [], "{v:#}");
    assert_eq!(not_evaluated_codes(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(v["errors"], Value::Array(vec![]));
    // an unused exemption in a file not named is that file's business
    assert_eq!(v["unusedExemptions"], Value::Array(vec![]), "{v:#}");
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["objects"], 1);
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes.len() == 1
            && notes[0]["file"] == "k8s/broken.yaml"
            && notes[0]["message"]
                .as_str()
                .unwrap()
                .contains("read for context only"),
        "{notes:#?}"
    );

    // a named file under a root is read once (no duplicate object), and reported
    let (code, v) = check(&["k8s/api.yaml", "k8s/worker.yaml", "--root", "k8s"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        code_files(&v),
        [("RES003".to_string(), "k8s/worker.yaml".to_string())],
        "{v:#}"
    );
    assert_eq!(v["summary"]["files"], 2);

    // a root that lacks them: the correct verdicts, on the named file only
    let (_, v) = check(&["bare/api.yaml", "--root", "bare"]);
    assert_eq!(
        code_files(&v),
        ["AVL002", "NET001", "NET002", "RES009", "RES010"]
            .iter()
            .map(|c| (c.to_string(), "bare/api.yaml".to_string()))
            .collect::<Vec<_>>()
    );

    // a root must be a directory
    let (code, _) = (
        run_in(d.path(), &["check", "k8s/api.yaml", "--root", "nowhere"])
            .status
            .code(),
        (),
    );
    assert_eq!(code, Some(2));

    // `root:` in the configuration, relative to the configuration file, found upward
    // from the named file
    std::fs::write(d.path().join(".plimsoll.yaml"), "root: [k8s]\n").unwrap();
    let sub = d.path().join("elsewhere");
    std::fs::create_dir(&sub).unwrap();
    let out = run_in(
        &sub,
        &[
            "check",
            "../k8s/api.yaml",
            "--select",
            select.as_str(),
            "--format",
            "json",
        ],
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(code_files(&v), [], "{v:#}");
    assert_eq!(not_evaluated_codes(&v), Vec::<String>::new(), "{v:#}");
    std::fs::write(d.path().join(".plimsoll.yaml"), "root: [missing]\n").unwrap();
    let out = run_in(d.path(), &["check", "k8s/api.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("root `missing`"));
}

#[test]
fn one_file_of_the_production_example_with_its_directory_as_root() {
    let root = repo_root();
    let api = "examples/production/api.yaml";
    // alone: no verdict on what the namespace lacks, but a note that it was not judged
    let v = json(&run_in(&root, &["check", api, "--format", "json"]));
    let found = codes(&v);
    for code in ["NET001", "NET002", "RES009", "RES010"] {
        assert!(!found.iter().any(|c| c == code), "{found:?}");
    }
    let ne = not_evaluated_codes(&v);
    assert!(
        ne.contains(&"NET001".to_string()) && ne.contains(&"RES009".to_string()),
        "{ne:?}"
    );
    // with the directory as root: judged, and clean, as the whole example is
    let out = run_in(
        &root,
        &[
            "check",
            api,
            "--root",
            "examples/production",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_valid_report(&v);
    assert_eq!(codes(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(not_evaluated_codes(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn an_input_that_yields_nothing_is_an_error_unless_allowed() {
    let d = dir_with(&[
        ("empty/README.md", b"moved to deploy/\n"),
        ("values.yaml", b"replicas: 3\n"),
        ("pod.yaml", NO_LIMIT.as_bytes()),
    ]);
    let code = |args: &[&str]| run_in(d.path(), args).status.code();
    // a directory named that holds no manifest, even next to one that does
    let out = run_in(
        d.path(),
        &["check", "empty", "pod.yaml", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("error: empty: no .yaml, .yml or .json file, chart or overlay"),
        "{text}"
    );
    // a file, or stdin, with no Kubernetes object
    assert_eq!(code(&["check", "values.yaml"]), Some(2));
    let out = run_stdin(d.path(), &["check", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no Kubernetes object in the input"));
    // --allow-empty: as before
    assert_eq!(code(&["check", "empty", "--allow-empty"]), Some(0));
    assert_eq!(code(&["check", "values.yaml", "--allow-empty"]), Some(0));
    assert_eq!(
        code(&[
            "check",
            "empty",
            "pod.yaml",
            "--fail-on",
            "never",
            "--allow-empty"
        ]),
        Some(0)
    );
    // a manifest among other YAML is enough
    assert_eq!(
        code(&["check", "values.yaml", "pod.yaml", "--fail-on", "never"]),
        Some(0)
    );
}

#[test]
fn a_long_check_shows_progress_on_a_terminal_only() {
    // `script` gives the run a terminal, as a user's shell does
    let Some(script) = common::on_path("script") else {
        common::missing(
            "script (util-linux), to give a run a terminal",
            "apt-get install bsdutils",
        );
        return;
    };
    let body: String = (0..400)
        .map(|i| {
            format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: shop}}\ndata: {{a: b}}\n")
        })
        .collect();
    let files: Vec<(String, Vec<u8>)> = (0..10)
        .map(|f| (format!("f{f}.yaml"), body.clone().into_bytes()))
        .collect();
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let d = dir_with(&files);
    let bin = env!("CARGO_BIN_EXE_plimsoll");
    let on_terminal = |extra: &str| {
        let out = Command::new(&script)
            .current_dir(d.path())
            .args([
                "-qec",
                &format!("{bin} check . --quiet --progress-delay 0 {extra}"),
                "/dev/null",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let shown = on_terminal("");
    // drawing is rate-limited: whichever state was drawn, it counts files and objects
    assert!(
        (shown.contains("reading [") && shown.contains(" files, ") && shown.contains(" objects"))
            || shown.contains("checking 4000 objects with "),
        "{shown}"
    );
    assert!(shown.contains("0 findings"), "{shown}");
    assert!(!on_terminal("--no-progress").contains("reading ["));
    // never on a pipe, whatever the delay
    let out = run_in(
        d.path(),
        &["check", ".", "--quiet", "--progress-delay", "0"],
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fix_diff_and_fix_only() {
    const POD: &str = "# the API\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  serviceAccount: api   # legacy\n  containers:\n  - name: c\n    image: nginx:1.27\n";
    let d = dir_with(&[("pod.yaml", POD.as_bytes())]);
    let sel = ["--select", "API005", "--fail-on", "info"];
    let run = |extra: &[&str]| {
        let mut a = vec!["check", "pod.yaml"];
        a.extend_from_slice(&sel);
        a.extend_from_slice(extra);
        run_in(d.path(), &a)
    };
    // --diff: the change, nothing written, exit 1
    let out = run(&["--diff"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.contains("-  serviceAccount: api   # legacy\n+  serviceAccountName: api   # legacy\n"),
        "{diff}"
    );
    assert!(
        diff.starts_with("--- a/pod.yaml\n+++ b/pod.yaml\n"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("pod.yaml")).unwrap(),
        POD
    );
    // --fix: written with every other byte kept, and the finding gone
    let out = run(&["--fix"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let fixed = std::fs::read_to_string(d.path().join("pod.yaml")).unwrap();
    assert_eq!(
        fixed,
        POD.replace("serviceAccount: api", "serviceAccountName: api")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("applied 1 fix in 1 file"));
    // a second run has nothing to fix
    let out = run(&["--diff"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    // --fix-only: fixes, reports nothing, exit 0
    std::fs::write(d.path().join("pod.yaml"), POD).unwrap();
    let out = run(&["--fix-only"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(d.path().join("pod.yaml")).unwrap(),
        fixed
    );
    // stdin is never edited, charts neither (their fix is only shown)
    let out = run_stdin(
        d.path(),
        &["check", "-", "--select", "API005", "--diff"],
        POD.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn fix_keeps_json_permissions_and_links() {
    use std::os::unix::fs::PermissionsExt;
    const POD_JSON: &str = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\", \"namespace\": \"shop\"},\n  \"spec\": {\n    \"serviceAccount\": \"api\",\n    \"containers\": [{\"name\": \"c\", \"image\": \"nginx:1.27\"}]\n  }\n}\n";
    let d = dir_with(&[("real/pod.json", POD_JSON.as_bytes())]);
    let real = d.path().join("real/pod.json");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real/pod.json", d.path().join("pod.json")).unwrap();
    let out = run_in(
        d.path(),
        &["check", "pod.json", "--select", "API005", "--fix"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // the file the link points at is fixed, as JSON; the link stays a link
    let fixed = std::fs::read_to_string(&real).unwrap();
    assert_eq!(
        fixed,
        POD_JSON.replace("\"serviceAccount\"", "\"serviceAccountName\"")
    );
    assert!(serde_json::from_str::<Value>(&fixed).is_ok());
    assert!(
        std::fs::symlink_metadata(d.path().join("pod.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    // no temporary file left behind
    let names: Vec<String> = std::fs::read_dir(d.path().join("real"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["pod.json"]);
    // a file with a document that does not parse is never written
    let bad = format!("{POD_JSON}---\nkey: [unclosed\n");
    std::fs::write(d.path().join("bad.yaml"), &bad).unwrap();
    let out = run_in(
        d.path(),
        &["check", "bad.yaml", "--select", "API005", "--fix"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(d.path().join("bad.yaml")).unwrap(),
        bad
    );
}

#[test]
fn fixes_that_append_a_document_follow_one_another() {
    const APPS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - {name: web, image: registry.example.com/web:1.0.0}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - {name: api, image: registry.example.com/api:1.0.0}";
    let d = dir_with(&[("apps.yaml", APPS.as_bytes())]);
    let args = [
        "check",
        "apps.yaml",
        "--select",
        "AVL002",
        "--fail-on",
        "warning",
        "--fix",
    ];
    // unsafe: only with --unsafe-fixes
    let out = run_in(d.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(d.path().join("apps.yaml")).unwrap(),
        APPS
    );
    let mut unsafe_args = args.to_vec();
    unsafe_args.push("--unsafe-fixes");
    let out = run_in(d.path(), &unsafe_args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("applied 2 fixes in 1 file"));
    let pdb = |name: &str| {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: {name}\n  unhealthyPodEvictionPolicy: AlwaysAllow\n"
        )
    };
    assert_eq!(
        std::fs::read_to_string(d.path().join("apps.yaml")).unwrap(),
        format!("{APPS}\n{}{}", pdb("web"), pdb("api"))
    );
}

#[test]
fn the_readme_counts_the_fixes_the_rules_declare() {
    let out = run_in(&repo_root(), &["rules", "--format", "json"]);
    let v = json(&out);
    let rules = v["rules"].as_array().unwrap();
    let count = |a: &str| rules.iter().filter(|r| r["fix"] == a).count();
    let with_fix = rules.iter().filter(|r| !r["fix"].is_null()).count();
    let want = format!(
        "{with_fix} of the {} rules carry a fix: {} safe, {} unsafe and {}\ndisplay-only.",
        rules.len(),
        count("safe"),
        count("unsafe"),
        count("display-only")
    );
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(readme.contains(&want), "the README should say: {want}");
    // the issue's bar: at least 40% of the rules
    assert!(
        with_fix * 10 >= rules.len() * 4,
        "{with_fix} of {}",
        rules.len()
    );
}

const BACKUP_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: backups.example.com
spec:
  group: example.com
  names: {kind: Backup, plural: backups, singular: backup, listKind: BackupList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [schedule]
              properties:
                schedule: {type: string}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd, namespace: shop}
data: {retention: forever}
";

const BACKUP_TYPO: &str = "apiVersion: example.com/v1
kind: Backup
metadata: {name: nightly, namespace: shop}
spec:
  schedule: '0 3 * * *'
  schedul: '0 4 * * *'
";

#[test]
fn crd_dir_validates_custom_resources_and_strict_schemas_reports_unknown_ones() {
    let d = dir_with(&[
        ("k8s/backup.yaml", BACKUP_TYPO.as_bytes()),
        ("crds/backup-crd.yaml", BACKUP_CRD.as_bytes()),
    ]);
    let select = ["--select", "SPEC", "--format", "json"];

    // without the CRD: not evaluated, exit 0
    let out = run_in(d.path(), &[&["check", "k8s"][..], &select].concat());
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert!(code_files(&v).is_empty(), "{v:#}");
    assert!(
        not_evaluated_codes(&v).iter().any(|c| c == "SPEC001"),
        "{v:#}"
    );

    // with --crd-dir: the typo is found in the words of the API server; nothing of the
    // CRD directory is reported (its ConfigMap is not even read)
    let out = run_in(
        d.path(),
        &[&["check", "k8s", "--crd-dir", "crds"][..], &select].concat(),
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    assert_eq!(
        code_files(&v),
        [("SPEC001".to_string(), "k8s/backup.yaml".to_string())],
        "{v:#}"
    );
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field \"spec.schedul\""),
        "{v:#}"
    );
    assert!(not_evaluated_codes(&v).is_empty(), "{v:#}");

    // --strict-schemas: the custom resource without its CRD is an error (SPEC005)
    let out = run_in(
        d.path(),
        &[&["check", "k8s", "--strict-schemas"][..], &select].concat(),
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    assert_eq!(
        code_files(&v),
        [("SPEC005".to_string(), "k8s/backup.yaml".to_string())],
        "{v:#}"
    );
    assert_eq!(v["findings"][0]["severity"], "error", "{v:#}");
    assert!(not_evaluated_codes(&v).is_empty(), "{v:#}");

    // a CRD directory that does not exist, or holds a file that does not parse, is an
    // input error
    let out = run_in(d.path(), &["check", "k8s", "--crd-dir", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--crd-dir nowhere: not a directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(d.path().join("crds/broken.yaml"), "kind: [\n").unwrap();
    let out = run_in(
        d.path(),
        &[&["check", "k8s", "--crd-dir", "crds"][..], &select].concat(),
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(2), "{v:#}");
    assert!(
        v["errors"].as_array().unwrap().iter().any(|e| e["file"]
            .as_str()
            .is_some_and(|f| f.contains("broken.yaml"))),
        "{v:#}"
    );
}

/// `policy test`: per object the verdict and the API server's messages, exit 1 when one
/// is denied; a policy the API server would refuse is an input error (exit 2), and
/// `check --policy` reports the same denials as POL001, located where the policies read.
#[test]
fn policy_test_and_check_policy_give_the_api_servers_verdicts() {
    let root = repo_root();
    let out = run_in(
        &root,
        &[
            "policy",
            "test",
            "--format",
            "json",
            "examples/policies/policies.yaml",
            "--",
            "examples/policies/objects.yaml",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let objects = v["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0]["name"], "checkout");
    assert_eq!(objects[0]["admitted"], true);
    assert_eq!(objects[1]["name"], "legacy-cart");
    assert_eq!(objects[1]["admitted"], false);
    let denials: Vec<&str> = objects[1]["denials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(
        denials,
        [
            "ValidatingAdmissionPolicy 'workload-rules' with binding 'workload-rules' denied request: every workload carries a `team` label",
            "ValidatingAdmissionPolicy 'workload-rules' with binding 'workload-rules' denied request: images come from registry.example.com: docker.io/library/cart:latest",
            "ValidatingAdmissionPolicy 'workload-rules' with binding 'workload-rules' denied request: every container has a memory limit of at most 2Gi",
        ]
    );
    assert_eq!(
        objects[1]["warnings"],
        json!([
            "Validation failed for ValidatingAdmissionPolicy 'no-host-path' with binding 'no-host-path': hostPath volumes only in the storage namespace: cache"
        ])
    );

    // a policy the API server refuses: named with the field and the compiler's message
    let d = dir_with(&[
        (
            "policy.yaml",
            b"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
metadata: {name: typo}\nspec:\n  matchConstraints:\n    resourceRules:\n    \
- {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n  \
validations:\n  - expression: object.spec.replicas <= maxReplicas\n---\n\
apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
metadata: {name: typo}\nspec: {policyName: typo, validationActions: [Deny]}\n",
        ),
        ("objects.yaml", NO_LIMIT.as_bytes()),
    ]);
    let out = run_in(
        d.path(),
        &["policy", "test", "policy.yaml", "--", "objects.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("policy.yaml:1: the API server refuses to create ValidatingAdmissionPolicy typo: /spec/validations/0/expression")
            && stderr.contains("undeclared reference to 'maxReplicas'"),
        "{stderr}"
    );

    // check --policy: the same verdicts, as findings
    let out = run_in(
        &root,
        &[
            "check",
            "examples/policies/objects.yaml",
            "--policy",
            "examples/policies/policies.yaml",
            "--select",
            "POL",
            "--format",
            "json",
            "--no-config",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_valid_report(&v);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4, "{v:#}");
    let team = findings
        .iter()
        .find(|f| f["message"].as_str().unwrap().ends_with("`team` label"))
        .unwrap();
    assert_eq!(team["severity"], "error");
    assert_eq!(team["path"], "/metadata");
    let warn = findings
        .iter()
        .find(|f| f["severity"] == "warning")
        .unwrap();
    assert!(warn["message"].as_str().unwrap().contains("no-host-path"));
}

/// A binding whose selector picks hundreds of params: one POL001 finding per object and
/// validation (the params related, capped), not one per param.
#[test]
fn policy_findings_stay_one_per_object_whatever_the_params() {
    let mut yaml = String::from(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
metadata: {name: per-param}\nspec:\n  paramKind: {apiVersion: v1, kind: ConfigMap}\n  \
matchConstraints:\n    resourceRules:\n    \
- {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n  \
validations:\n  - expression: object.spec.replicas <= int(params.data.max)\n    \
messageExpression: \"'at most ' + params.data.max + ' replicas'\"\n---\n\
apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
metadata: {name: per-param}\nspec:\n  policyName: per-param\n  validationActions: [Deny]\n  \
paramRef: {selector: {}, parameterNotFoundAction: Allow}\n",
    );
    let params = 300;
    let objects = 100;
    for i in 0..params {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: limit-{i}, namespace: shop}}\ndata: {{max: '{}'}}\n",
            i % 3
        ));
    }
    for i in 0..objects {
        yaml.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web-{i}, namespace: shop}}\n\
spec:\n  replicas: 5\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    \
metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: web, image: 'nginx:1.27'}}]}}\n"
        ));
    }
    let d = dir_with(&[("all.yaml", yaml.as_bytes())]);
    let out = run_in(
        d.path(),
        &[
            "check",
            "all.yaml",
            "--select",
            "POL001",
            "--format",
            "json",
            "--no-config",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), objects, "one per object");
    let f = &findings[0];
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("(with each of 300 params; the message is the first one's)"),
        "{message}"
    );
    assert!(f["related"].as_array().unwrap().len() <= 22, "{f:#}");
}
