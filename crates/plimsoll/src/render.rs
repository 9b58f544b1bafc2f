//! Rendering the inputs that are not manifests yet: Helm charts (`helm template`) and
//! Kustomize overlays (`kustomize build` or `kubectl kustomize`), offline, with the
//! positions of the rendered text mapped back to the files on disk where that mapping
//! is exact (DESIGN.md "Rendered inputs").

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use plimsoll_report::{RenderedMap, RenderedSegment};
use plimsoll_yaml::{Limits, Node, parse_stream};

use crate::cli::RenderMode;
use crate::inputs::{display_path, kustomization_file};

/// A renderer that has not finished after this long is stopped.
const TIMEOUT: Duration = Duration::from_secs(300);

/// The most of a renderer's error output quoted in a report.
const MAX_MESSAGE_LINES: usize = 12;
const MAX_MESSAGE_CHARS: usize = 1500;

/// Set in kustomize's environment, naming the real helm: kustomize runs plimsoll itself
/// as its `--helm-command` (see [`helm_for_kustomize`]).
pub const HELM_FOR_KUSTOMIZE_ENV: &str = "PLIMSOLL_HELM_FOR_KUSTOMIZE";

/// How charts and overlays are rendered in a run.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub mode: RenderMode,
    pub helm: Option<PathBuf>,
    pub kustomize: Option<PathBuf>,
    pub release_name: Option<String>,
    pub values: Vec<PathBuf>,
    pub set: Vec<String>,
    /// The release namespace.
    pub namespace: String,
    /// `--kube-version` as the user gave it, passed on when given.
    pub kube_version: Option<String>,
}

/// A rendered input.
#[derive(Debug)]
pub struct Rendered {
    pub text: String,
    pub map: RenderedMap,
    /// Things the report should say about this input.
    pub notes: Vec<String>,
}

/// Whether a file is there and executable.
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

/// A binary named on the command line: a path, or a bare name looked up on PATH.
fn given_binary(p: &Path, flag: &str) -> Result<PathBuf, String> {
    if p.components().count() == 1
        && !p.as_os_str().to_string_lossy().starts_with('.')
        && let Some(found) = find_on_path(&p.to_string_lossy())
    {
        return Ok(found);
    }
    if is_executable(p) {
        Ok(p.to_path_buf())
    } else {
        Err(format!(
            "{flag} {}: no executable file there",
            p.to_string_lossy()
        ))
    }
}

fn helm_binary(opts: &RenderOptions) -> Result<PathBuf, String> {
    match &opts.helm {
        Some(p) => given_binary(p, "--helm"),
        None => find_on_path("helm").ok_or_else(|| {
            "helm was not found on PATH; install helm or name it with --helm PATH".to_string()
        }),
    }
}

/// How overlays are built.
#[derive(Debug, Clone)]
enum Kustomizer {
    /// `kubectl kustomize DIR`
    Kubectl(PathBuf),
    /// `kustomize build DIR`
    Kustomize(PathBuf),
}

fn kustomizer(opts: &RenderOptions) -> Result<Kustomizer, String> {
    let bin = match &opts.kustomize {
        Some(p) => given_binary(p, "--kustomize")?,
        None => find_on_path("kustomize")
            .or_else(|| find_on_path("kubectl"))
            .ok_or_else(|| {
                "neither kustomize nor kubectl was found on PATH; install one or name it with --kustomize PATH"
                    .to_string()
            })?,
    };
    let is_kubectl = bin
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("kubectl"));
    Ok(if is_kubectl {
        Kustomizer::Kubectl(bin)
    } else {
        Kustomizer::Kustomize(bin)
    })
}

/// A renderer's environment: nothing of the user's Helm or kubectl configuration, a
/// throw-away Helm home, no cluster.
fn clean_env(cmd: &mut Command, home: &Path) {
    cmd.env_clear();
    for keep in ["PATH", "TMPDIR", "LANG", "LC_ALL"] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("HOME", home)
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("KUBECONFIG", home.join("no-kubeconfig"))
        .stdin(Stdio::null());
}

struct Ran {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs a renderer to completion (or [`TIMEOUT`]), collecting its output.
fn run(mut cmd: Command, what: &str) -> Result<Ran, String> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {what}: {e}"))?;
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{what} did not finish within {} s and was stopped",
                    TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot run {what}: {e}")),
        }
    };
    Ok(Ran {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    })
}

/// A renderer's error output, trimmed for a report: its own words, a few lines.
fn quote(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut out = lines
        .iter()
        .take(MAX_MESSAGE_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > MAX_MESSAGE_LINES {
        out.push_str("\n...");
    }
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "...";
    }
    if out.is_empty() {
        "(no error output)".to_string()
    } else {
        out
    }
}

fn parse_yaml_file(p: &Path) -> Option<Node> {
    let text = std::fs::read_to_string(p).ok()?;
    parse_stream(&text, Limits::default())
        .documents
        .into_iter()
        .find_map(|d| d.root)
}

/// The name a chart gives itself in Chart.yaml (else its directory's name).
fn chart_name(dir: &Path) -> String {
    parse_yaml_file(&dir.join("Chart.yaml"))
        .and_then(|root| root.get("name").and_then(Node::as_text).map(str::to_string))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            std::fs::canonicalize(dir)
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().to_string()))
                .unwrap_or_else(|| "chart".to_string())
        })
}

/// A path to hand to a renderer: relative paths start with `./`, so that helm reads a
/// directory and never a repository reference.
fn explicit(p: &Path) -> PathBuf {
    if p.is_absolute() || p.starts_with(".") {
        p.to_path_buf()
    } else {
        Path::new(".").join(p)
    }
}

/// Renders a chart with `helm template`.
pub fn render_chart(dir: &Path, opts: &RenderOptions) -> Result<Rendered, String> {
    let chart = chart_name(dir);
    let fail = |m: String| format!("cannot render Helm chart `{chart}`: {m}");
    let helm = helm_binary(opts).map_err(fail)?;
    let home = tempfile::tempdir().map_err(|e| fail(format!("no temporary directory: {e}")))?;
    let mut cmd = Command::new(&helm);
    clean_env(&mut cmd, home.path());
    cmd.arg("template")
        .arg(opts.release_name.as_deref().unwrap_or(&chart))
        .arg(explicit(dir))
        .arg("--namespace")
        .arg(&opts.namespace)
        .arg("--include-crds");
    if let Some(v) = &opts.kube_version {
        cmd.arg("--kube-version").arg(v);
    }
    for v in &opts.values {
        cmd.arg("--values").arg(v);
    }
    for s in &opts.set {
        cmd.arg("--set").arg(s);
    }
    let ran = run(cmd, &format!("helm ({})", helm.display())).map_err(fail)?;
    if !ran.status.success() {
        return Err(fail(format!(
            "helm template failed: {}",
            quote(&ran.stderr)
        )));
    }
    let text = String::from_utf8(ran.stdout)
        .map_err(|_| fail("helm template wrote output that is not UTF-8".into()))?;
    let map = helm_map(&text, dir, &chart);
    let notes = lost_template_comments(dir, &text).into_iter().collect();
    Ok(Rendered { text, map, notes })
}

/// helm prints a template's comments as they are, so exemption comments in templates
/// apply to the rendered objects they stand above. A note for the ones that did not
/// reach the output (in a branch not taken, in a named template never included).
fn lost_template_comments(dir: &Path, rendered: &str) -> Option<String> {
    let comment_of =
        |line: &str| crate::comments::comment_start(line).map(|i| line[i..].trim_end().to_string());
    let in_output: std::collections::HashSet<String> = rendered
        .lines()
        .filter(|l| l.contains("plimsoll:"))
        .filter_map(comment_of)
        .collect();
    let mut lost = 0usize;
    let mut first = None;
    for entry in ignore::WalkBuilder::new(dir)
        .require_git(false)
        .sort_by_file_path(|a, b| a.cmp(b))
        .build()
        .flatten()
    {
        let p = entry.path();
        if !p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "tpl")
            || !p.components().any(|c| c.as_os_str() == "templates")
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        if !text.contains("plimsoll:") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for c in crate::comments::scan(0, &text) {
            let line = lines[c.comment_line as usize - 1];
            if comment_of(line).is_some_and(|k| in_output.contains(&k)) {
                continue;
            }
            lost += 1;
            if first.is_none() {
                first = Some(format!("{}:{}", shown(p), c.comment_line));
            }
        }
    }
    let first = first?;
    Some(format!(
        "{lost} comment exemption{} in the chart's templates (e.g. at {first}) {} not in helm's output, so {} not apply; exempt with the `plimsoll.dev/ignore` annotation or in .plimsoll.yaml",
        if lost == 1 { "" } else { "s" },
        if lost == 1 { "is" } else { "are" },
        if lost == 1 { "it does" } else { "they do" },
    ))
}

/// The rendered documents of helm's output, by their `# Source:` comments: (first line
/// of the document's body, last line, the source path), lines 1-based.
pub fn helm_sources(text: &str) -> Vec<(u32, u32, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(src) = l.strip_prefix("# Source: ")
            && i > 0
            && lines[i - 1].trim_end() == "---"
        {
            starts.push((i, src.trim_end()));
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &(i, src)) in starts.iter().enumerate() {
        // the body runs up to the `---` before the next source (or to the end)
        let end = starts.get(k + 1).map_or(lines.len(), |&(j, _)| j - 1);
        if end > i + 1 {
            out.push((i as u32 + 2, end as u32, src));
        }
    }
    out
}

/// The text of lines `first..=last` (1-based) of `text`, without the final line break.
fn lines_text(text: &str, first: u32, last: u32) -> Option<&str> {
    let mut start = None;
    let mut offset = 0;
    for (n, l) in (1u32..).zip(text.split_inclusive('\n')) {
        if n == first {
            start = Some(offset);
        }
        offset += l.len();
        if n == last {
            return Some(text[start?..offset].trim_end_matches('\n'));
        }
    }
    None
}

/// Where `body` stands in `file` when the mapping is provably exact: the file has no
/// template actions at all (so helm printed its text as it is), and the body occurs in
/// it exactly once, from the start of a line to the end of one. Returns the 1-based
/// line of the file where the body starts.
pub fn exact_line(file: &str, body: &str) -> Option<u32> {
    if body.is_empty() || file.contains("{{") || file.contains('\r') {
        return None;
    }
    let mut found = None;
    for (at, _) in file.match_indices(body) {
        let starts_line = at == 0 || file.as_bytes()[at - 1] == b'\n';
        let end = at + body.len();
        let ends_line = end == file.len() || file.as_bytes()[end] == b'\n';
        if starts_line && ends_line {
            if found.is_some() {
                return None;
            }
            found = Some(at);
        }
    }
    found.map(|at| file[..at].matches('\n').count() as u32 + 1)
}

/// The position map of `helm template ... | plimsoll check -`: helm's output read from
/// stdin, recognised by its `# Source:` comments. Findings name the template helm names
/// (`shop/templates/api.yaml`); when the chart's directory is in the working directory
/// under the chart's name, its templates are read and lines given where exact, as for a
/// chart checked directly. `None` for input that is not helm's output.
pub fn stdin_helm_map(text: &str) -> Option<RenderedMap> {
    if !text.contains("# Source: ") {
        return None;
    }
    let sources = helm_sources(text);
    let chart = sources.first()?.2.split('/').next()?.to_string();
    let dir = Path::new(&chart);
    if dir.join("Chart.yaml").is_file() {
        return Some(helm_map(text, dir, &chart));
    }
    let segments = sources
        .into_iter()
        .map(|(first, last, src)| RenderedSegment {
            first_line: first,
            last_line: last,
            file: src.to_string(),
            chart: Some(chart.clone()),
            template: Some(
                src.split_once('/')
                    .map_or(src, |(_, rest)| rest)
                    .to_string(),
            ),
            kustomization: None,
            exact_first_line: None,
        })
        .collect();
    Some(RenderedMap {
        segments,
        fallback: RenderedSegment {
            file: "<stdin>".to_string(),
            chart: Some(chart),
            ..Default::default()
        },
    })
}

/// The position map of helm's output for a chart in `dir`.
fn helm_map(text: &str, dir: &Path, chart: &str) -> RenderedMap {
    let shown = display_path(dir);
    let mut segments = Vec::new();
    let mut files: std::collections::HashMap<PathBuf, Option<String>> = Default::default();
    for (first, last, src) in helm_sources(text) {
        // `shop/templates/api.yaml`: the chart's name, then the path inside the chart
        let template = src.split_once('/').map_or(src, |(_, rest)| rest);
        let on_disk = dir.join(template);
        let file_text = files
            .entry(on_disk.clone())
            .or_insert_with(|| std::fs::read_to_string(&on_disk).ok());
        let (file, exact) = match file_text {
            Some(ft) => (
                display_path(&Path::new(&shown).join(template)),
                lines_text(text, first, last).and_then(|body| exact_line(ft, body)),
            ),
            // a subchart kept as an archive: no file to point at
            None => (shown.clone(), None),
        };
        segments.push(RenderedSegment {
            first_line: first,
            last_line: last,
            file,
            chart: Some(chart.to_string()),
            template: Some(template.to_string()),
            kustomization: None,
            exact_first_line: exact,
        });
    }
    RenderedMap {
        segments,
        fallback: RenderedSegment {
            file: shown,
            chart: Some(chart.to_string()),
            ..Default::default()
        },
    }
}

/// Builds an overlay with kustomize (or `kubectl kustomize`), helm charts enabled.
pub fn render_kustomization(dir: &Path, opts: &RenderOptions) -> Result<Rendered, String> {
    let shown = display_path(dir);
    let fail = |m: String| format!("cannot build kustomization {shown}: {m}");
    let k = kustomizer(opts).map_err(fail)?;
    let helm = helm_binary(opts);
    let home = tempfile::tempdir().map_err(|e| fail(format!("no temporary directory: {e}")))?;
    let (bin, mut cmd) = match &k {
        Kustomizer::Kubectl(b) => {
            let mut c = Command::new(b);
            c.arg("kustomize");
            (b, c)
        }
        Kustomizer::Kustomize(b) => {
            let mut c = Command::new(b);
            c.arg("build");
            (b, c)
        }
    };
    clean_env(&mut cmd, home.path());
    cmd.arg(explicit(dir));
    if let Ok(helm) = &helm {
        // kustomize runs plimsoll as its helm, which passes everything on to the real
        // one except what plimsoll must not let happen (see `helm_for_kustomize`)
        let me = std::env::current_exe()
            .map_err(|e| fail(format!("cannot find plimsoll's own executable: {e}")))?;
        let helm = std::fs::canonicalize(helm).unwrap_or_else(|_| helm.clone());
        cmd.arg("--enable-helm")
            .arg("--helm-command")
            .arg(me)
            .env(HELM_FOR_KUSTOMIZE_ENV, helm);
        if let Some(v) = &opts.kube_version {
            cmd.arg("--helm-kube-version").arg(v);
        }
    }
    let what = match &k {
        Kustomizer::Kubectl(_) => "kubectl kustomize",
        Kustomizer::Kustomize(_) => "kustomize build",
    };
    let ran = run(cmd, &format!("{what} ({})", bin.display())).map_err(fail)?;
    if !ran.status.success() {
        let mut m = format!("{what} failed: {}", quote(&ran.stderr));
        if let Err(e) = &helm
            && declares_helm_charts(dir)
        {
            m.push_str(&format!(" (its helmCharts need helm: {e})"));
        }
        return Err(fail(m));
    }
    let text = String::from_utf8(ran.stdout)
        .map_err(|_| fail(format!("{what} wrote output that is not UTF-8")))?;
    let kfile = kustomization_file(dir).unwrap_or_else(|| dir.join("kustomization.yaml"));
    let map = RenderedMap {
        segments: Vec::new(),
        fallback: RenderedSegment {
            file: display_path(&kfile),
            kustomization: Some(shown.clone()),
            ..Default::default()
        },
    };
    let mut notes = Vec::new();
    if let Some(n) = dropped_comment_exemptions(dir) {
        notes.push(n);
    }
    Ok(Rendered { text, map, notes })
}

fn declares_helm_charts(dir: &Path) -> bool {
    kustomization_file(dir)
        .and_then(|k| parse_yaml_file(&k))
        .is_some_and(|root| root.get("helmCharts").is_some())
}

/// A local path of a kustomization entry (not a URL or a remote git reference).
fn local_entry(entry: &str) -> bool {
    !(entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.contains("?ref="))
}

/// The directories an overlay builds (bases, components, local helm charts), directly
/// or through them, canonical, added to `out`.
pub fn reached_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Some(root) = kustomization_file(dir).and_then(|k| parse_yaml_file(&k)) else {
        return;
    };
    let mut next = Vec::new();
    for key in ["resources", "bases", "components"] {
        for item in root.get(key).map(Node::items).unwrap_or_default() {
            if let Some(entry) = item.as_text()
                && local_entry(entry)
            {
                let p = dir.join(entry);
                if p.is_dir() {
                    next.push(p);
                }
            }
        }
    }
    if let Some(charts) = root.get("helmCharts") {
        let home = root
            .at(&["helmGlobals", "chartHome"])
            .and_then(Node::as_text)
            .unwrap_or("charts");
        let home = dir.join(home);
        for c in charts.items() {
            let Some(name) = c.get("name").and_then(Node::as_text) else {
                continue;
            };
            let mut candidates = vec![home.join(name)];
            if let Some(v) = c.get("version").and_then(Node::as_text) {
                candidates.push(home.join(format!("{name}-{v}")).join(name));
            }
            next.extend(candidates.into_iter().filter(|p| p.is_dir()));
        }
    }
    let me = std::fs::canonicalize(dir).ok();
    for p in next {
        let Ok(c) = std::fs::canonicalize(&p) else {
            continue;
        };
        if Some(&c) == me.as_ref() || out.contains(&c) {
            continue;
        }
        out.push(c);
        reached_dirs(&p, out);
    }
}

/// Kustomize re-serialises what it builds, so comments do not reach plimsoll: a note
/// when the overlay's own files (or its local bases') carry exemption comments.
fn dropped_comment_exemptions(dir: &Path) -> Option<String> {
    let mut dirs = vec![dir.to_path_buf()];
    reached_dirs(dir, &mut dirs);
    let mut count = 0usize;
    let mut first: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    for d in &dirs {
        for entry in ignore::WalkBuilder::new(d)
            .require_git(false)
            .sort_by_file_path(|a, b| a.cmp(b))
            .build()
            .flatten()
        {
            let p = entry.path();
            if !p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                || !seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
            {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(p) else {
                continue;
            };
            if !text.contains("plimsoll:") {
                continue;
            }
            let found = crate::comments::scan(0, &text);
            if let Some(c) = found.first()
                && first.is_none()
            {
                first = Some(format!("{}:{}", shown(p), c.comment_line));
            }
            count += found.len();
        }
    }
    let first = first?;
    Some(format!(
        "{count} comment exemption{} (`# plimsoll: ignore`, e.g. at {first}) {} not apply to this overlay: kustomize drops comments when it builds; exempt with the `plimsoll.dev/ignore` annotation or in .plimsoll.yaml",
        if count == 1 { "" } else { "s" },
        if count == 1 { "does" } else { "do" },
    ))
}

/// A path for the report: relative to the working directory when it is below it.
fn shown(p: &Path) -> String {
    if p.is_absolute()
        && let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize)
        && let Ok(rel) = p.strip_prefix(&cwd)
    {
        return display_path(rel);
    }
    display_path(p)
}

/// plimsoll as kustomize's `--helm-command`: passes every call on to the real helm
/// (named by [`HELM_FOR_KUSTOMIZE_ENV`]), except two.
///
/// - `helm pull`: kustomize pulls a helmCharts entry with a `repo:` that is not in its
///   chart home. plimsoll renders offline and never writes into the checked tree, so
///   this is an error that says what to do.
/// - `helm version -c --short`: kustomize before 5.8 asks this and accepts only a
///   major version 3; helm 4 no longer knows `-c` (kubernetes-sigs/kustomize#6013,
///   fixed in kustomize 5.8). plimsoll answers for a helm 4 as kustomize 5.8 would
///   accept it, and otherwise lets helm answer.
///
/// Returns the exit code.
pub fn helm_for_kustomize(real: &Path, args: &[std::ffi::OsString]) -> i32 {
    let argv: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().to_string())
        .collect();
    let mut cmd = Command::new(real);
    cmd.env_remove(HELM_FOR_KUSTOMIZE_ENV);
    match argv.first().map(String::as_str) {
        Some("pull") => {
            let value = |flag: &str| {
                argv.iter()
                    .position(|a| a == flag)
                    .and_then(|i| argv.get(i + 1))
                    .cloned()
            };
            // the chart: the first argument that is neither a flag nor a flag's value
            let mut chart = None;
            let mut i = 1;
            while i < argv.len() {
                if matches!(argv[i].as_str(), "--repo" | "--untardir" | "--version") {
                    i += 2;
                    continue;
                }
                if !argv[i].starts_with('-') {
                    chart = Some(argv[i].clone());
                    break;
                }
                i += 1;
            }
            eprintln!(
                "plimsoll renders offline: helmCharts entry `{}` would be pulled from {}; vendor the chart into the kustomization's chart home (helmGlobals.chartHome, default charts/) so that it is found there",
                chart.as_deref().unwrap_or("?"),
                value("--repo").as_deref().unwrap_or("a chart repository"),
            );
            2
        }
        Some("version") if argv.iter().any(|a| a == "-c" || a == "--client") => {
            let out = Command::new(real)
                .args(["version", "--short"])
                .env_remove(HELM_FOR_KUSTOMIZE_ENV)
                .output();
            match out {
                Ok(o) if o.status.success() => {
                    let v = String::from_utf8_lossy(&o.stdout).trim().to_string();
                    if v.trim_start_matches('v').starts_with("3.") {
                        println!("{v}");
                    } else {
                        // what kustomize < 5.8 accepts; the real version follows
                        println!("v3.0.0 (helm {v}, answered by plimsoll for kustomize < 5.8)");
                    }
                    0
                }
                _ => {
                    eprintln!("cannot run {} version --short", real.display());
                    1
                }
            }
        }
        _ => {
            use std::os::unix::process::CommandExt;
            let e = cmd.args(args).exec();
            eprintln!("cannot run {}: {e}", real.display());
            127
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_sources_split_at_source_comments() {
        let text = "---\n# Source: shop/templates/a.yaml\napiVersion: v1\nkind: A\n---\n# Source: shop/charts/c/templates/b.yaml\napiVersion: v1\nkind: B\nx: |\n  # Source: not/this.yaml\n";
        let s = helm_sources(text);
        assert_eq!(
            s,
            [
                (3, 4, "shop/templates/a.yaml"),
                (7, 10, "shop/charts/c/templates/b.yaml")
            ]
        );
        assert_eq!(lines_text(text, 3, 4), Some("apiVersion: v1\nkind: A"));
    }

    #[test]
    fn exact_only_when_provable() {
        let file = "# header\napiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n";
        assert_eq!(exact_line(file, "apiVersion: v1\nkind: B"), Some(5));
        assert_eq!(
            exact_line(file, "# header\napiVersion: v1\nkind: A"),
            Some(1)
        );
        // twice in the file: which one is unknown
        assert_eq!(exact_line(file, "apiVersion: v1"), None);
        // not from the start of a line
        assert_eq!(exact_line(file, "Version: v1\nkind: B"), None);
        // a template with actions is never exact, even where the text matches
        let templated = "apiVersion: v1\nkind: B\nname: {{ .Release.Name }}\n";
        assert_eq!(exact_line(templated, "apiVersion: v1\nkind: B"), None);
    }

    #[test]
    fn trimmed_messages() {
        let long = "Error: x\n".repeat(40);
        let q = quote(long.as_bytes());
        assert_eq!(q.lines().count(), MAX_MESSAGE_LINES + 1);
        assert!(q.ends_with("..."));
        assert_eq!(quote(b"\n  \n"), "(no error output)");
    }
}
