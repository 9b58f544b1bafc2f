//! `--format html`: the page written by the real binary, checked as a file (self-contained,
//! deterministic, the data block cannot be broken out of) and in Debian's chromium, driven
//! headless by playwright-core from the npm registry (`tests/html/drive.mjs`): no console
//! errors, no requests, the counts and every filter agree with the JSON report of the same
//! run, and screenshots are written to the target's tmp directory.

mod common;

use common::{repo_root, run_in};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::{Value, json};

/// Runs `check ARGS --format json=JSON --format html=HTML` in `dir`; returns the exit code.
fn html_and_json(dir: &Path, args: &[&str], html: &Path, json: &Path) -> i32 {
    let mut all: Vec<String> = vec!["check".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    all.push("--format".into());
    all.push(format!("json={}", json.display()));
    all.push("--format".into());
    all.push(format!("html={}", html.display()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = run_in(dir, &all);
    let code = out.status.code().expect("exit code");
    assert!(
        matches!(code, 0..=2),
        "exit {code}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    code
}

/// The JSON inside `<script type="application/json" id="plimsoll-data">`.
fn embedded_data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"plimsoll-data\">";
    let start = html.find(open).expect("the data block") + open.len();
    let end = start + html[start..].find("</script>").expect("closed");
    serde_json::from_str(&html[start..end]).expect("the data block is JSON")
}

/// A directory with a manifest whose names and values are markup, and an unparsable file.
fn hostile_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("x<script>&<!--.yaml"),
        r#"apiVersion: v1
kind: Pod
metadata:
  name: "p</script><script>alert(1)</script>"
  namespace: "ns<!--"
  labels: {app: "<img src=x onerror=alert(2)>"}
spec:
  containers:
  - name: "c</script>"
    image: "evil</script><script>alert(3)</script><!--:latest"
"#,
    )
    .unwrap();
    std::fs::write(d.path().join("bad<b>.yaml"), "a: [\n").unwrap();
    d
}

#[test]
fn html_is_one_self_contained_deterministic_file() {
    let root = repo_root();
    let d = tempfile::tempdir().unwrap();
    let (html, json) = (d.path().join("report.html"), d.path().join("report.json"));
    assert_eq!(html_and_json(&root, &["examples/naive"], &html, &json), 1);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>\n"));
    assert!(text.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:;"
    ));
    // nothing to fetch: no src attributes, no style sheets, no url() but data:
    for bad in [
        " src=",
        "<link rel=\"stylesheet\"",
        "@import",
        "url(http",
        "//fonts.",
    ] {
        assert!(!text.contains(bad), "the page contains {bad:?}");
    }
    assert!(text.contains("<link rel=\"icon\" href=\"data:"));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let data = embedded_data(&text);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(data["findings"].as_array().unwrap().len(), findings.len());
    for (d, f) in data["findings"].as_array().unwrap().iter().zip(findings) {
        assert_eq!(d["code"], f["code"]);
        assert_eq!(d["message"], f["message"]);
        assert_eq!(d["severity"], f["severity"]);
        assert_eq!(d["kind"], f["object"]["kind"]);
        assert_eq!(d["namespace"], f["object"]["namespace"]);
        assert!(
            d["snippet"]["lines"]
                .as_array()
                .is_some_and(|l| !l.is_empty())
        );
    }
    // the explanation of every rule with a finding is on the page
    for f in findings {
        let code = f["code"].as_str().unwrap();
        assert!(text.contains(&format!("id=\"doc-{code}\"")), "{code}");
    }
    // the same input gives the same bytes; `--output` is the same as `--format html=PATH`
    let again = d.path().join("again.html");
    let out = run_in(
        &root,
        &[
            "check",
            "examples/naive",
            "--format",
            "html",
            "--output",
            again.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "the report went to the file");
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
}

#[test]
fn html_keeps_markup_from_manifests_inert() {
    let d = hostile_dir();
    let (html, json) = (d.path().join("r.html"), d.path().join("r.json"));
    assert_eq!(html_and_json(d.path(), &["."], &html, &json), 2);
    let text = std::fs::read_to_string(&html).unwrap();
    // the page's own two scripts, and no other script or comment opening
    assert_eq!(text.matches("<script").count(), 2);
    assert_eq!(text.matches("</script").count(), 2);
    assert!(!text.contains("<!--"));
    assert!(!text.contains("<img"));
    assert!(!text.contains("<b>"));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let data = embedded_data(&text);
    assert_eq!(
        data["findings"].as_array().unwrap().len(),
        report["findings"].as_array().unwrap().len()
    );
    assert!(
        data["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "p</script><script>alert(1)</script>")
    );
    // the input error is listed, escaped
    assert!(text.contains("bad&lt;b&gt;.yaml"));
    assert!(text.contains("Incomplete: 1 input could not be read"));
}

#[test]
fn html_without_findings() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("empty.yaml"), "# nothing yet\n").unwrap();
    // nothing to deploy yet, and said to be expected
    let out = run_in(
        d.path(),
        &["check", ".", "--format", "html", "--allow-empty"],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("No findings"));
    assert!(text.contains("data-score=\"–\""), "no objects, no score");
    assert_eq!(embedded_data(&text)["findings"], json!([]));
}

// ---------------------------------------------------------------- in chromium

/// Chromium tests one at a time: two cores, and each browser wants one.
static BROWSER: Mutex<()> = Mutex::new(());

fn skip_or_fail(what: &str, install: &str) -> Option<PathBuf> {
    common::missing(
        &format!("{what}, to check the HTML report in a browser"),
        install,
    );
    None
}

/// Debian's chromium (`PLIMSOLL_CHROMIUM` overrides the path).
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PLIMSOLL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        Some(path)
    } else {
        skip_or_fail(
            &format!("chromium ({})", path.display()),
            "apt-get install chromium",
        )
    }
}

/// playwright-core from the npm registry, installed once per target dir.
fn playwright() -> Option<PathBuf> {
    const VERSION: &str = "1.65.1";
    let home =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("playwright-core-{VERSION}"));
    if home
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return Some(home);
    }
    std::fs::create_dir_all(&home).unwrap();
    let installed = Command::new("npm")
        .current_dir(&home)
        .args(["install", "--no-audit", "--no-fund", "--prefix", "."])
        .arg(format!("playwright-core@{VERSION}"))
        // the browser is Debian's; playwright must not try to fetch one
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .output();
    match installed {
        Ok(o) if o.status.success() => Some(home),
        Ok(o) => skip_or_fail(
            &format!(
                "npm (to install playwright-core: {})",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            "apt-get install npm",
        ),
        Err(e) => skip_or_fail(&format!("npm ({e})"), "apt-get install npm"),
    }
}

/// A fresh directory under the target's tmp dir, for reports and screenshots to look at.
fn out_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("html-report")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs drive.mjs over the cases; returns its output lines (one JSON object per case).
fn drive(dir: &Path, cases: Vec<Value>) -> Option<Vec<Value>> {
    let _one_at_a_time = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let chromium = chromium()?;
    let playwright = playwright()?;
    let user_data = dir.join("chromium-profile");
    let _ = std::fs::remove_dir_all(&user_data);
    std::fs::create_dir_all(&user_data).unwrap();
    let plan = json!({
        "playwright": playwright,
        "chromium": chromium,
        "userDataDir": user_data,
        "cases": cases,
    });
    let plan_path = dir.join("plan.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html/drive.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(&plan_path)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser checks failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{stdout}");
    Some(
        stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line per case"))
            .collect(),
    )
}

/// A PNG of at least `min_bytes`, and its width and height.
fn assert_png(path: &Path, min_bytes: usize) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "{} is not a PNG",
        path.display()
    );
    assert!(
        bytes.len() >= min_bytes,
        "{}: only {} bytes",
        path.display(),
        bytes.len()
    );
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

fn case(name: &str, dir: &Path, extra: Value) -> Value {
    let mut c = json!({
        "name": name,
        "html": dir.join(format!("{name}.html")),
        "report": dir.join(format!("{name}.json")),
        "screenshot": dir.join(format!("{name}.png")),
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[test]
fn html_report_in_chromium() {
    let dir = out_dir("chromium");
    let root = repo_root();
    let file = |name: &str, ext: &str| dir.join(format!("{name}.{ext}"));
    // the naive example: every count, filter and snippet against the JSON report
    assert_eq!(
        html_and_json(
            &root,
            &["examples/naive"],
            &file("naive", "html"),
            &file("naive", "json")
        ),
        1
    );
    // no findings: the production example with a rule it passes
    assert_eq!(
        html_and_json(
            &root,
            &["examples/production", "--select", "RES003"],
            &file("clean", "html"),
            &file("clean", "json")
        ),
        0
    );
    // markup in names, values and file names; an input error
    let hostile = hostile_dir();
    assert_eq!(
        html_and_json(
            hostile.path(),
            &["."],
            &file("hostile", "html"),
            &file("hostile", "json")
        ),
        2
    );
    let results = drive(
        &dir,
        vec![
            case("naive", &dir, json!({"filters": true, "root": root})),
            case("clean", &dir, json!({"empty": true})),
            case(
                "hostile",
                &dir,
                json!({"hostile": "p</script><script>alert(1)</script>"}),
            ),
        ],
    );
    let Some(results) = results else {
        return;
    };
    assert_eq!(results.len(), 3);
    assert!(results[0]["snippetsChecked"].as_u64().unwrap() > 50);
    for name in ["naive", "naive-findings", "clean", "hostile"] {
        let (w, h) = assert_png(&file(name, "png"), 20_000);
        assert_eq!((w, h), (1280, 900), "{name}.png");
    }
}

/// About 13,000 findings: the page loads, filters and renders more on scrolling in time.
#[test]
fn html_report_with_many_findings_in_chromium() {
    let dir = out_dir("many");
    let mut yaml = String::new();
    for i in 0..1000 {
        yaml.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: team-{}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app-{i}:latest\n",
            i % 10
        ));
    }
    std::fs::write(dir.join("many.yaml"), yaml).unwrap();
    let code = html_and_json(
        &dir,
        &["many.yaml"],
        &dir.join("many.html"),
        &dir.join("many.json"),
    );
    assert_eq!(code, 1);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("many.json")).unwrap()).unwrap();
    assert!(report["summary"]["findings"].as_u64().unwrap() >= 10_000);
    let Some(results) = drive(&dir, vec![case("many", &dir, json!({"large": true}))]) else {
        return;
    };
    assert!(results[0]["shownAfterScroll"].as_u64().unwrap() > 250);
    assert_png(&dir.join("many.png"), 20_000);
}
