//! `plimsoll check`: read, parse once, index, run the rules in parallel, report.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plimsoll_model::{Index, KubeVersion};
use plimsoll_report::{
    HtmlOptions, NoteOut, Report, RunResult, SourceFile, TextOptions, render_github, render_html,
    render_junit, render_sarif, render_text,
};
use plimsoll_rules::config::{Config, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FINDINGS, FailOn};
use plimsoll_rules::engine::{self, Baseline, BaselineEntry, CommentExemption, Run};
use plimsoll_rules::input::{InputError, Loaded, Note, YamlFacts, decode, load_text_with, salvage};
use plimsoll_rules::select;
use plimsoll_yaml::Limits;
use rayon::prelude::*;

use crate::cli::{CheckArgs, ColorArg, FailOnArg, LimitArgs, RenderMode, RunArgs};
use crate::comments;
use crate::fix;
use crate::inputs::{self, Input};
use crate::progress::Progress;
use crate::render::{self, RenderOptions};

/// A usage or environment problem that stops the run before any checking (exit 2).
#[derive(Debug)]
pub struct Fatal(pub String);

const CONFIG_NAMES: &[&str] = &[".plimsoll.yaml", ".plimsoll.yml"];

/// The configuration file for a run: `--config`, else the nearest `.plimsoll.yaml`
/// upward from the first input (or the working directory for stdin and live audits).
fn find_config(args: &RunArgs, paths: &[PathBuf]) -> Option<PathBuf> {
    if let Some(c) = &args.config {
        return Some(c.clone());
    }
    if args.no_config {
        return None;
    }
    let start = paths
        .iter()
        .find(|p| p.as_os_str() != "-")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let start = std::fs::canonicalize(&start).unwrap_or(start);
    let mut dir: Option<&Path> = if start.is_dir() {
        Some(&start)
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        for name in CONFIG_NAMES {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
        dir = d.parent();
    }
    None
}

/// A configuration file found (not named with `--config`) that is a symbolic link is
/// followed only to a file inside the directory that holds it: a link to a file elsewhere
/// (a key, another project's secrets) is an error, never read.
fn refuse_outside_link(path: &Path) -> Result<(), Fatal> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let inside = match (std::fs::canonicalize(path), std::fs::canonicalize(dir)) {
        (Ok(target), Ok(dir)) => target.starts_with(&dir),
        _ => false,
    };
    if inside {
        Ok(())
    } else {
        Err(Fatal(format!(
            "{}: a symbolic link to a file outside {}; not followed (name it with --config to use it)",
            path.display(),
            dir.display()
        )))
    }
}

pub(crate) struct Settings {
    pub(crate) config: Config,
    /// The directory of the configuration file, when there is one (exemption paths
    /// are relative to it).
    pub(crate) config_dir: Option<PathBuf>,
    pub(crate) kube_version: KubeVersion,
    pub(crate) pss_version: Option<KubeVersion>,
    pub(crate) namespace: String,
    pub(crate) fail_on: FailOn,
    /// The configuration file read, if any.
    pub(crate) config_path: Option<PathBuf>,
    /// `--max-findings`, else the configuration's, else the default.
    pub(crate) max_findings: usize,
}

/// What one input may cost: the `--max-*` flags over the configuration's `limits:`
/// over the defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputLimits {
    pub(crate) file_bytes: u64,
    pub(crate) yaml: Limits,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            file_bytes: DEFAULT_MAX_FILE_SIZE,
            yaml: Limits::default(),
        }
    }
}

pub(crate) fn input_limits(args: &LimitArgs, config: &Config) -> InputLimits {
    let c = &config.limits;
    let mut yaml = Limits::default();
    let bytes = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    if let Some(v) = args.max_depth.or(c.max_depth.map(|n| n.0)) {
        yaml.max_depth = v;
    }
    if let Some(v) = args.max_alias_nodes.or(c.max_alias_nodes.map(|n| n.0)) {
        yaml.max_alias_nodes = v;
        yaml.max_anchored_nodes = v.saturating_mul(10);
    }
    if let Some(v) = args.max_alias_bytes.or(c.max_alias_bytes.map(|n| n.0)) {
        yaml.max_alias_bytes = bytes(v);
    }
    if let Some(v) = args.max_documents.or(c.max_documents.map(|n| n.0)) {
        yaml.max_documents = v;
    }
    if let Some(v) = args.max_document_size.or(c.max_document_size.map(|n| n.0)) {
        yaml.max_document_bytes = bytes(v);
    }
    InputLimits {
        file_bytes: args
            .max_file_size
            .or(c.max_file_size.map(|n| n.0))
            .unwrap_or(DEFAULT_MAX_FILE_SIZE),
        yaml,
    }
}

/// Lists at most `max` findings: past it, the first ones in report order are kept and
/// an error counts the others, so that a report cut short always exits 2.
pub(crate) fn limit_findings(report: &mut Report, max: usize) {
    let total = report.findings.len();
    let dropped = report.truncate_findings(max);
    if dropped > 0 {
        report.errors.push(plimsoll_report::ErrorOut {
            file: None,
            line: None,
            column: None,
            message: format!(
                "{total} findings, more than the limit of {max}: the first {max} (in report order) are listed and {dropped} are left out; raise it with --max-findings"
            ),
        });
        report
            .errors
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        report.summary.errors = report.errors.len();
    }
}

/// The settings of a run: configuration file, versions, namespace, fail-on.
pub(crate) fn settings(
    args: &RunArgs,
    paths: &[PathBuf],
    namespace: Option<&String>,
) -> Result<Settings, Fatal> {
    let config_path = find_config(args, paths);
    let config_dir = config_path
        .as_ref()
        .and_then(|p| std::path::absolute(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let config = match &config_path {
        Some(path) => {
            if args.config.is_none() {
                refuse_outside_link(path)?;
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| Fatal(format!("{}: cannot read: {e}", path.display())))?;
            Config::from_yaml(&text).map_err(|e| Fatal(format!("{}: {e}", path.display())))?
        }
        None => Config::default(),
    };
    let mut config = config;
    if let Some(from) = &args.upgrade_from {
        config.settings.upgrade_from = Some(from.clone());
    }
    let kube_version = match args.kube_version.as_ref().or(config.kube_version.as_ref()) {
        Some(v) => {
            let parsed =
                KubeVersion::parse(v).map_err(|e| Fatal(format!("--kube-version: {e}")))?;
            if parsed > KubeVersion::NEWEST {
                eprintln!(
                    "plimsoll: warning: --kube-version {parsed}: this build knows Kubernetes up to {newest}, so the objects are judged as for {newest} (APIs removed after it are not known)",
                    newest = KubeVersion::NEWEST
                );
            }
            parsed.min(KubeVersion::NEWEST)
        }
        None => KubeVersion::NEWEST,
    };
    let pss_version = match args.pss_version.as_ref().or(config.pss_version.as_ref()) {
        Some(v) if v.eq_ignore_ascii_case("latest") => None,
        Some(v) => Some(KubeVersion::parse(v).map_err(|e| Fatal(format!("--pss-version: {e}")))?),
        None => Some(kube_version),
    };
    let namespace = namespace
        .cloned()
        .or_else(|| config.namespace.clone())
        .unwrap_or_else(|| "default".to_string());
    let fail_on = match args.fail_on {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => config.fail_on.unwrap_or(FailOn::Error),
    };
    let max_findings = args
        .max_findings
        .or(config.limits.max_findings.map(|n| n.0))
        .unwrap_or(DEFAULT_MAX_FINDINGS);
    Ok(Settings {
        config,
        config_dir,
        kube_version,
        pss_version,
        namespace,
        fail_on,
        config_path,
        max_findings,
    })
}

/// The roots of a run: the configuration's `root` (relative to the configuration file),
/// then `--root`. Each must be a directory.
fn roots(args: &CheckArgs, s: &Settings) -> Result<Vec<PathBuf>, Fatal> {
    let mut out = Vec::new();
    if let Some(config) = &s.config_path {
        let dir = config.parent().unwrap_or(Path::new("."));
        for r in &s.config.root {
            let p = shorter(&dir.join(r));
            if !p.is_dir() {
                return Err(Fatal(format!(
                    "{}: root `{r}`: not a directory ({})",
                    config.display(),
                    p.display()
                )));
            }
            out.push(p);
        }
    }
    for r in &args.roots {
        if !r.is_dir() {
            return Err(Fatal(format!("--root {}: not a directory", r.display())));
        }
        out.push(r.clone());
    }
    for d in &args.crd_dirs {
        if !d.is_dir() {
            return Err(Fatal(format!("--crd-dir {}: not a directory", d.display())));
        }
    }
    Ok(out)
}

/// The paths a run reads: those named, then the configuration's `policies` (relative to
/// the configuration file) and `--policy`, each unless it is under a path already read.
fn input_paths(args: &CheckArgs, s: &Settings) -> Result<Vec<PathBuf>, Fatal> {
    let mut out = args.paths.clone();
    let mut extra: Vec<(String, PathBuf)> = Vec::new();
    if let Some(config) = &s.config_path {
        let dir = config.parent().unwrap_or(Path::new("."));
        for p in &s.config.policies {
            extra.push((
                format!("{}: policies `{p}`", config.display()),
                shorter(&dir.join(p)),
            ));
        }
    }
    for p in &args.policies {
        extra.push((format!("--policy {}", p.display()), p.clone()));
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    for (what, p) in extra {
        let Some(c) = canonical(&p) else {
            return Err(Fatal(format!("{what}: no such file or directory")));
        };
        let covered = out
            .iter()
            .filter_map(|q| canonical(q))
            .any(|q| c.starts_with(&q));
        if !covered {
            out.push(p);
        }
    }
    Ok(out)
}

/// A path relative to the working directory when it is under it (a configuration found
/// upward is known by its absolute path), for the report.
fn shorter(p: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok())
        .map(|r| {
            if r.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                r.to_path_buf()
            }
        })
        .unwrap_or_else(|| p.to_path_buf())
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
    Html,
}

const AVAILABLE: &str = "text, json, sarif, junit, github, html";

pub(crate) fn parse_formats(args: &RunArgs) -> Result<Vec<(Format, Option<PathBuf>)>, Fatal> {
    let specs = if args.formats.is_empty() {
        vec!["text".to_string()]
    } else {
        args.formats.clone()
    };
    let mut out = Vec::new();
    for spec in &specs {
        let (name, path) = match spec.split_once('=') {
            Some((n, p)) => (n, Some(PathBuf::from(p))),
            None => (spec.as_str(), None),
        };
        let fmt = match name.to_ascii_lowercase().as_str() {
            "text" => Format::Text,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "junit" => Format::Junit,
            "github" => Format::Github,
            "html" => Format::Html,
            _ => {
                return Err(Fatal(format!(
                    "--format {name}: unknown format (available: {AVAILABLE})"
                )));
            }
        };
        out.push((fmt, path));
    }
    if let Some(o) = &args.output {
        match out.as_mut_slice() {
            [(_, p @ None)] => *p = Some(o.clone()),
            [_] => return Err(Fatal("--output conflicts with --format FMT=PATH".into())),
            _ => {
                return Err(Fatal(
                    "--output needs a single --format; give paths as --format FMT=PATH".into(),
                ));
            }
        }
    }
    if out.iter().filter(|(_, p)| p.is_none()).count() > 1 {
        return Err(Fatal(
            "only one format can go to stdout; give the others a path (--format json=report.json)"
                .into(),
        ));
    }
    Ok(out)
}

/// Runs `check` and returns the exit code.
pub fn run(args: &CheckArgs) -> Result<i32, Fatal> {
    let mut s = settings(&args.run, &args.paths, args.namespace.as_ref())?;
    if args.strict_schemas {
        // the flag wins over the configuration's severity for SPEC005
        s.config.settings.strict_schemas = true;
        s.config
            .severity
            .insert("SPEC005".into(), plimsoll_rules::Severity::Error);
    }
    let formats = parse_formats(&args.run)?;

    let rules = select_rules(&args.run, &s)?;
    let roots = roots(args, &s)?;
    let paths = input_paths(args, &s)?;

    let baseline = match &args.baseline {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Fatal(format!("{}: cannot read baseline: {e}", p.display())))?;
            let b: Baseline = serde_json::from_str(&text)
                .map_err(|e| Fatal(format!("{}: not a plimsoll baseline: {e}", p.display())))?;
            Some(b)
        }
        None => None,
    };

    // discover and read
    let mut excludes = s.config.exclude.clone();
    excludes.extend(args.exclude.iter().cloned());
    // source texts are kept for snippets only: the other formats do not need them
    let keep_text = formats
        .iter()
        .any(|(f, _)| matches!(f, Format::Text | Format::Html));
    let render = RenderOptions {
        mode: args.render.render,
        helm: args.render.helm.clone(),
        kustomize: args.render.kustomize.clone(),
        release_name: args.render.release_name.clone(),
        values: args.render.values.clone(),
        set: args.render.set.clone(),
        namespace: s.namespace.clone(),
        kube_version: args
            .run
            .kube_version
            .clone()
            .or_else(|| s.config.kube_version.clone()),
    };
    let progress = Progress::new(
        !args.no_progress,
        std::time::Duration::from_millis(args.progress_delay),
    );
    let limits = input_limits(&args.limits, &s.config);

    // --fix, --diff, --fix-only: fix in memory, pass after pass, then write (or show)
    let fixing = args.fix || args.fix_only || args.diff;
    let mut overrides = Overrides::new();
    let mut originals: BTreeMap<String, Arc<str>> = BTreeMap::new();
    let mut fixes_per_file: BTreeMap<String, usize> = BTreeMap::new();
    if fixing {
        let which = fix::Which {
            unsafe_fixes: args.unsafe_fixes,
        };
        for _ in 0..fix::MAX_PASSES {
            let mut g = gather(
                &paths,
                &roots,
                &args.crd_dirs,
                &excludes,
                &s.namespace,
                true,
                &render,
                &limits,
                &Progress::hidden(),
                &overrides,
            );
            let named = g.named;
            let index = g.index();
            let editable: Vec<bool> = (0..g.sources.len())
                .map(|i| {
                    let sf = &g.sources[i];
                    i < named
                        && sf.rendered.is_none()
                        && sf.text.is_some()
                        && sf.path != "<stdin>"
                        && !g.errors.iter().any(|e| e.file == i)
                })
                .collect();
            let file_paths = exemption_paths(&s, &g.sources);
            let outcome = engine::run(
                &index,
                &Run {
                    rules: &rules,
                    config: &s.config,
                    settings: &s.config.settings,
                    kube_version: s.kube_version,
                    pss_version: s.pss_version,
                    facts: &g.facts,
                    comments: &g.comments,
                    strict: args.run.strict,
                    baseline: baseline.as_ref(),
                    live: None,
                    file_paths: &file_paths,
                    context_files_from: (g.sources.len() > named).then_some(named),
                },
            );
            // standard input cannot be read twice: its text is kept for the next reads
            for sf in &g.sources {
                if sf.path == "<stdin>"
                    && let Some(t) = &sf.text
                {
                    overrides
                        .entry(sf.path.clone())
                        .or_insert_with(|| t.to_string());
                }
            }
            let changed = fix::apply_pass(&g.sources, &editable, &index, &outcome.findings, which);
            if changed.is_empty() {
                break;
            }
            for c in changed {
                let sf = &g.sources[c.file];
                if let Some(text) = &sf.text {
                    originals
                        .entry(sf.path.clone())
                        .or_insert_with(|| text.clone());
                }
                *fixes_per_file.entry(sf.path.clone()).or_default() += c.fixes;
                overrides.insert(sf.path.clone(), c.text);
            }
        }
    }
    let mut fix_errors = Vec::new();
    let mut diff = String::new();
    if args.diff {
        for (path, before) in &originals {
            diff.push_str(&fix::unified_diff(path, before, &overrides[path]));
        }
    } else if fixing {
        for (path, before) in &originals {
            if let Err(e) = fix::write_fixed(Path::new(path), before, &overrides[path]) {
                fix_errors.push(format!("{path}: {e}"));
                overrides.remove(path);
                fixes_per_file.remove(path);
            }
        }
    }
    if fixing {
        let n: usize = fixes_per_file.values().sum();
        let files = fixes_per_file.len();
        eprintln!(
            "plimsoll: {} {n} fix{} in {files} file{}",
            if args.diff { "would apply" } else { "applied" },
            if n == 1 { "" } else { "es" },
            if files == 1 { "" } else { "s" },
        );
    }

    let phase = std::time::Instant::now();
    let mut gathered = gather(
        &paths,
        &roots,
        &args.crd_dirs,
        &excludes,
        &s.namespace,
        keep_text,
        &render,
        &limits,
        &progress,
        &overrides,
    );
    engine::profile_phase("read and parse", phase);
    if engine::profiling() {
        profile_memory(&gathered.objects, &gathered.sources);
    }
    let named = gathered.named;
    let context_files_from = (gathered.sources.len() > named).then_some(named);
    let phase = std::time::Instant::now();
    let index = gathered.index();
    engine::profile_phase("index", phase);
    let Gathered {
        sources,
        notes,
        errors,
        mut general_errors,
        skipped,
        facts,
        comments: comment_exemptions,
        empty_dirs,
        ..
    } = gathered;
    general_errors.extend(fix_errors);
    if !args.allow_empty {
        // a job pointed at a renamed or emptied directory must not pass on nothing
        general_errors.extend(empty_dirs.iter().map(|d| {
            format!("{d}: no .yaml, .yml or .json file, chart or overlay in this directory; pass --allow-empty if that is expected")
        }));
        let named_objects = index
            .objects()
            .iter()
            .filter(|o| o.source.file.is_some_and(|f| f < named))
            .count();
        if named_objects == 0
            && empty_dirs.is_empty()
            && errors.is_empty()
            && general_errors.is_empty()
        {
            general_errors.push(format!(
                "no Kubernetes object in the input ({named} file{} read, none with a document that has `apiVersion` and `kind`); pass --allow-empty if that is expected",
                if named == 1 { "" } else { "s" }
            ));
        }
    }
    let file_paths = exemption_paths(&s, &sources);
    let mut run = Run {
        rules: &rules,
        config: &s.config,
        settings: &s.config.settings,
        kube_version: s.kube_version,
        pss_version: s.pss_version,
        facts: &facts,
        comments: &comment_exemptions,
        strict: args.run.strict,
        baseline: baseline.as_ref(),
        live: None,
        file_paths: &file_paths,
        context_files_from,
    };
    let written_baseline;
    if let Some(path) = &args.write_baseline {
        let all = engine::run(
            &index,
            &Run {
                baseline: None,
                ..run
            },
        );
        let mut entries: Vec<BaselineEntry> = all
            .findings
            .iter()
            .map(|f| BaselineEntry::of(f, index.object(f.object)))
            .collect();
        entries.sort();
        written_baseline = Baseline {
            version: 1,
            findings: entries,
        };
        let json = serde_json::to_string_pretty(&written_baseline).expect("baseline serializes");
        if let Err(e) = std::fs::write(path, json + "\n") {
            general_errors.push(format!("{}: cannot write baseline: {e}", path.display()));
        }
        run.baseline = Some(&written_baseline);
    }
    progress.checking(index.objects().len(), rules.len());
    let mut outcome = engine::run(&index, &run);
    crate::fix_rendered::place(&sources, &index, &mut outcome.findings);
    progress.finish();
    let not_evaluated = !outcome.not_evaluated.is_empty();
    let phase = std::time::Instant::now();
    let mut report = Report::build(RunResult {
        sources,
        index: &index,
        outcome,
        notes,
        errors,
        general_errors,
    });
    if context_files_from.is_some() {
        // the files under the roots were context: the report is about the named ones
        report.sources.truncate(named);
        report.summary.files = named;
        report.summary.objects = index
            .objects()
            .iter()
            .filter(|o| o.source.file.is_some_and(|f| f < named))
            .count();
    }
    limit_findings(&mut report, s.max_findings);
    if !skipped.is_empty() {
        report
            .notes
            .extend(skipped.into_iter().map(|(file, message)| NoteOut {
                file: Some(file),
                message,
            }));
        report
            .notes
            .sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
    }

    engine::profile_phase("report model", phase);
    let phase = std::time::Instant::now();
    let inputs: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    let code = if args.diff || args.fix_only {
        // the diff (or nothing) on stdout, input errors on stderr
        for e in &report.errors {
            let at = match (&e.file, e.line) {
                (Some(f), Some(l)) => format!("{f}:{l}: "),
                (Some(f), None) => format!("{f}: "),
                _ => String::new(),
            };
            eprintln!("plimsoll: error: {at}{}", e.message);
        }
        if args.diff {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(diff.as_bytes()).and_then(|_| out.flush());
        }
        if !report.errors.is_empty() {
            2
        } else if args.diff && !diff.is_empty() {
            1
        } else {
            0
        }
    } else {
        emit(&report, &formats, &args.run, &s, not_evaluated, &inputs)
    };
    engine::profile_phase("render and write", phase);
    // The process exits next: tearing down millions of tree nodes one by one would
    // only cost time (a tenth of a run on the benchmark corpus).
    std::mem::forget(report);
    std::mem::forget(index);
    Ok(code)
}

/// Where the memory of the parsed input goes (`PLIMSOLL_PROFILE`): trees, kept text.
fn profile_memory(objects: &[plimsoll_model::Object], sources: &[SourceFile]) {
    let (mut structs, mut text, mut nodes) = (0usize, 0usize, 0usize);
    for o in objects {
        let (s, t) = o.root.memory();
        structs += s;
        text += t;
        nodes += o.root.count();
    }
    let kept: usize = sources
        .iter()
        .filter_map(|s| s.text.as_ref())
        .map(|t| t.len())
        .sum();
    let mb = |b: usize| b as f64 / 1e6;
    eprintln!(
        "plimsoll profile: trees: {} objects, {nodes} nodes ({} B a node, {} B a mapping entry): {:.1} MB of node structs, {:.1} MB of long strings; kept source text {:.1} MB; objects' identity {:.1} MB",
        objects.len(),
        std::mem::size_of::<plimsoll_yaml::Node>(),
        std::mem::size_of::<plimsoll_yaml::Entry>(),
        mb(structs),
        mb(text),
        mb(kept),
        mb(std::mem::size_of_val(objects)),
    );
}

/// The objects of a set of paths, read and indexed as `check` reads them, with the
/// problems found on the way (unreadable paths, YAML errors) as messages.
pub struct LoadedInputs {
    pub index: Index,
    pub sources: Vec<SourceFile>,
    pub errors: Vec<String>,
}

/// Everything read from the inputs of a run, before indexing.
struct Gathered {
    sources: Vec<SourceFile>,
    /// With the scopes of CRDs in the input applied.
    objects: Vec<plimsoll_model::Object>,
    notes: Vec<Note>,
    errors: Vec<InputError>,
    /// Problems with the paths themselves.
    general_errors: Vec<String>,
    /// Files found while walking directories and not read: (path, why).
    skipped: Vec<(String, String)>,
    facts: YamlFacts,
    comments: Vec<CommentExemption>,
    /// Per source file: whether it holds its namespaces whole ([`holds_whole`]).
    whole: Vec<bool>,
    /// Directories named on the command line that hold no manifest file.
    empty_dirs: Vec<String>,
    /// How many sources were named on the command line: the others were read under a
    /// root, for context only.
    named: usize,
}

/// Whether an input holds the namespaces of its objects whole
/// (`Index::holds_namespace`): a file found in a directory named on the command line or
/// under a root, a rendered chart or overlay, and standard input (what `helm template`
/// or `kustomize build` print) do; a file named on its own (what a pre-commit hook
/// passes) is only part of its namespaces, unless a root holds it.
fn holds_whole(input: &Input, named: &[PathBuf], under_root: bool) -> bool {
    under_root
        || match input {
            Input::File(p) => !named.contains(p),
            Input::Stdin | Input::Chart(_) | Input::Kustomization(_) => true,
        }
}

impl Gathered {
    /// The index of the objects, with the namespaces the inputs hold whole declared.
    fn index(&mut self) -> Index {
        let mut index = Index::new(std::mem::take(&mut self.objects));
        let whole = &self.whole;
        index.hold_namespaces_of(|o| o.source.file.is_some_and(|f| whole[f]));
        index
    }
}

/// The path of each input file relative to the configuration file's directory, for
/// exemptions scoped by `path` (empty when there are none).
fn exemption_paths(s: &Settings, sources: &[SourceFile]) -> Vec<String> {
    if s.config.exemptions.iter().any(|e| e.path.is_some()) {
        sources
            .iter()
            .map(|sf| relative_to(&sf.path, s.config_dir.as_deref()))
            .collect()
    } else {
        Vec::new()
    }
}

/// Texts of files that `--fix` has edited in memory, by the path as displayed.
pub(crate) type Overrides = std::collections::HashMap<String, String>;

/// Discovers, reads and parses the inputs in parallel (one task per file): the paths
/// named, then what the roots hold besides them (for context only: their problems are
/// notes, and nothing else of them is reported).
#[allow(
    clippy::too_many_arguments,
    reason = "each is a separate setting of the run; a struct would only rename them"
)]
fn gather(
    paths: &[PathBuf],
    roots: &[PathBuf],
    crd_dirs: &[PathBuf],
    excludes: &[String],
    namespace: &str,
    keep_text: bool,
    render: &RenderOptions,
    limits: &InputLimits,
    progress: &Progress,
    overrides: &Overrides,
) -> Gathered {
    let found = inputs::discover_with_roots(paths, roots, excludes);
    let named = found.named;
    progress.reading(found.inputs.len());
    let per_file: Vec<(SourceFile, Loaded, Vec<CommentExemption>)> = found
        .inputs
        .par_iter()
        .enumerate()
        .map(|(i, input)| {
            let read = read_one(i, input, namespace, keep_text, render, limits, overrides);
            progress.file_done(read.1.objects.len());
            read
        })
        .collect();
    let whole = found
        .inputs
        .iter()
        .zip(&found.under_root)
        .map(|(input, &under_root)| holds_whole(input, paths, under_root))
        .collect();
    let mut g = Gathered {
        sources: Vec::with_capacity(per_file.len()),
        objects: Vec::new(),
        notes: Vec::new(),
        errors: Vec::new(),
        general_errors: found
            .errors
            .iter()
            .map(|(p, m)| format!("{p}: {m}"))
            .collect(),
        skipped: found.skipped.clone(),
        facts: YamlFacts::default(),
        comments: Vec::new(),
        whole,
        named,
        empty_dirs: found.empty_dirs.clone(),
    };
    for (i, (src, loaded, comments)) in per_file.into_iter().enumerate() {
        g.sources.push(src);
        g.objects.extend(loaded.objects);
        g.facts.merge(loaded.facts);
        g.comments.extend(comments);
        if i < named {
            g.notes.extend(loaded.notes);
            g.errors.extend(loaded.errors);
        } else {
            // a file under a root that is not named: what it could not give is said
            // once, as a note; its other notes are about a file the run does not report
            for e in loaded.errors {
                let at = match (e.line, e.column) {
                    (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
                    (Some(l), None) => format!(" at line {l}"),
                    _ => String::new(),
                };
                g.notes.push(Note {
                    file: e.file,
                    line: None,
                    message: format!(
                        "read for context only (under a root), and not all of it could be read{at}: {}; what it holds is missing from the context",
                        e.message
                    ),
                });
            }
        }
    }
    // problems walking a root are notes on the path: its files are context only
    g.skipped.extend(found.root_errors.iter().map(|(p, m)| {
        (
            p.clone(),
            format!("{m} (under a root, read for context only)"),
        )
    }));
    // --crd-dir: the CustomResourceDefinitions found there validate the custom resources
    // of the run (SPEC); nothing else of those files is kept, and nothing located in them
    // is reported. A file there that cannot be read is an input error: the custom
    // resources it would have validated would otherwise pass as not evaluated.
    if !crd_dirs.is_empty() {
        let crds = inputs::discover(crd_dirs, excludes);
        g.general_errors.extend(
            crds.errors
                .iter()
                .map(|(p, m)| format!("{p}: {m} (--crd-dir)")),
        );
        g.general_errors.extend(
            crds.empty_dirs
                .iter()
                .map(|d| format!("--crd-dir {d}: no .yaml, .yml or .json file found")),
        );
        let first = g.sources.len();
        let read: Vec<_> = crds
            .inputs
            .par_iter()
            .enumerate()
            .map(|(k, input)| {
                read_one(
                    first + k,
                    input,
                    namespace,
                    false,
                    render,
                    limits,
                    overrides,
                )
            })
            .collect();
        for (src, loaded, _) in read {
            g.sources.push(src);
            g.whole.push(false);
            g.objects.extend(loaded.objects.into_iter().filter(|o| {
                o.kind == "CustomResourceDefinition" && o.group() == "apiextensions.k8s.io"
            }));
            g.errors.extend(loaded.errors);
        }
    }
    if named == 0 && found.errors.is_empty() && found.empty_dirs.is_empty() {
        g.notes.push(Note {
            file: 0,
            line: None,
            message: "no .yaml, .yml or .json files found".into(),
        });
    }
    plimsoll_rules::input::apply_crd_scopes(&mut g.objects);
    g
}

/// Reads and indexes inputs (paths, `-` for stdin) for commands other than `check`.
pub fn load_inputs(paths: &[PathBuf], namespace: &str, excludes: &[String]) -> LoadedInputs {
    let render = RenderOptions {
        namespace: namespace.to_string(),
        ..RenderOptions::default()
    };
    load_inputs_with(paths, namespace, excludes, &render, false)
}

/// [`load_inputs`] with the rendering options of the run, keeping the text of each
/// file when `keep_text` (for commands that edit them).
pub fn load_inputs_with(
    paths: &[PathBuf],
    namespace: &str,
    excludes: &[String],
    render: &RenderOptions,
    keep_text: bool,
) -> LoadedInputs {
    let mut g = gather(
        paths,
        &[],
        &[],
        excludes,
        namespace,
        keep_text,
        render,
        &InputLimits::default(),
        &Progress::hidden(),
        &Overrides::new(),
    );
    let index = g.index();
    let mut errors = g.general_errors;
    for e in &g.errors {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(":{l}:{c}"),
            (Some(l), None) => format!(":{l}"),
            _ => String::new(),
        };
        let path = g.sources.get(e.file).map_or("", |s| s.path.as_str());
        errors.push(format!("{path}{at}: {}", e.message));
    }
    LoadedInputs {
        index,
        sources: g.sources,
        errors,
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "each is a separate setting of the run; a struct would only rename them"
)]
fn read_one(
    i: usize,
    input: &Input,
    namespace: &str,
    keep_text: bool,
    render: &RenderOptions,
    limits: &InputLimits,
    overrides: &Overrides,
) -> (SourceFile, Loaded, Vec<CommentExemption>) {
    let path = input.display();
    let fail = |line: Option<u32>, column: Option<u32>, message: String| {
        (
            SourceFile {
                path: path.clone(),
                text: None,
                rendered: None,
            },
            Loaded {
                errors: vec![InputError {
                    file: i,
                    line,
                    column,
                    message,
                }],
                ..Loaded::default()
            },
            Vec::new(),
        )
    };
    let (rendered, bytes) = match input {
        Input::Chart(dir) | Input::Kustomization(dir) => {
            let chart = matches!(input, Input::Chart(_));
            if render.mode == RenderMode::Never {
                let kind = if chart {
                    "Helm chart"
                } else {
                    "Kustomize overlay"
                };
                return fail(
                    None,
                    None,
                    format!(
                        "{kind} not rendered: --render never was given (its files are never read raw)"
                    ),
                );
            }
            let r = if chart {
                render::render_chart(dir, render)
            } else {
                render::render_kustomization(dir, render)
            };
            match r {
                Ok(r) => (Some(r), Vec::new()),
                Err(e) => return fail(None, None, e),
            }
        }
        // standard input is read once: a run that checks it again (`--fix`) has it here
        Input::Stdin if overrides.contains_key(&path) => {
            let t = overrides[&path].clone();
            match render::stdin_helm_map(&t) {
                Some(map) => (
                    Some(render::Rendered {
                        text: t,
                        map,
                        notes: Vec::new(),
                    }),
                    Vec::new(),
                ),
                None => (None, t.into_bytes()),
            }
        }
        Input::Stdin => match inputs::read(input, limits.file_bytes) {
            // `helm template ... | plimsoll check -`: mapped to the templates as a
            // chart directory is
            Ok(b) => match std::str::from_utf8(&b)
                .ok()
                .and_then(|t| Some((t, render::stdin_helm_map(t)?)))
            {
                Some((t, map)) => (
                    Some(render::Rendered {
                        text: t.to_string(),
                        map,
                        notes: Vec::new(),
                    }),
                    Vec::new(),
                ),
                None => (None, b),
            },
            Err(e) => return fail(None, None, e),
        },
        // a file as `--fix` has edited it so far
        _ if overrides.contains_key(&path) => (None, overrides[&path].as_bytes().to_vec()),
        _ => match inputs::read(input, limits.file_bytes) {
            Ok(b) => (None, b),
            Err(e) => return fail(None, None, e),
        },
    };
    let salvaged;
    let mut bad_documents = Vec::new();
    let text = match &rendered {
        Some(r) => r.text.as_str(),
        None => match decode(i, &bytes) {
            Ok(t) => t,
            // NUL bytes or invalid UTF-8: the documents holding them are errors, the
            // others are read
            Err(e) => match salvage(i, &bytes) {
                Some((t, errors)) => {
                    salvaged = t;
                    bad_documents = errors;
                    salvaged.as_str()
                }
                None => return fail(e.line, e.column, e.message),
            },
        },
    };
    let normalized = plimsoll_rules::input::normalize_line_breaks(text);
    let text: &str = &normalized;
    let mut loaded = load_text_with(i, text, namespace, limits.yaml);
    loaded.errors.extend(bad_documents);
    let comments = if text.contains("plimsoll:") {
        comments::scan(i, text)
    } else {
        Vec::new()
    };
    let text = keep_text.then(|| Arc::from(text));
    let map = rendered.map(|r| {
        loaded.notes.extend(r.notes.into_iter().map(|message| Note {
            file: i,
            line: None,
            message,
        }));
        Arc::new(r.map)
    });
    (
        SourceFile {
            path: path.clone(),
            text,
            rendered: map,
        },
        loaded,
        comments,
    )
}

/// Writes the report in every requested format and returns the exit code.
pub(crate) fn emit(
    report: &Report,
    formats: &[(Format, Option<PathBuf>)],
    args: &RunArgs,
    s: &Settings,
    not_evaluated: bool,
    inputs: &[String],
) -> i32 {
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut write_failed = false;
    for (fmt, path) in formats {
        // the JSON report is written as it is serialized: on a large run it is larger
        // than the input, and a string of it would be held whole
        let text = match fmt {
            Format::Text => Some(render_text(
                report,
                TextOptions {
                    color: color && path.is_none(),
                    concise: args.concise,
                    quiet: args.quiet,
                    statistics: args.statistics,
                    show_not_evaluated: args.show_not_evaluated,
                },
            )),
            Format::Json => None,
            Format::Sarif => Some(render_sarif(report)),
            Format::Junit => Some(render_junit(report, s.fail_on)),
            Format::Github => Some(render_github(report)),
            Format::Html => Some(render_html(
                report,
                &HtmlOptions {
                    inputs: inputs.to_vec(),
                },
            )),
        };
        let write = |out: &mut dyn Write| -> std::io::Result<()> {
            match &text {
                Some(t) => out.write_all(t.as_bytes())?,
                None => report.write_json(&mut *out)?,
            }
            out.flush()
        };
        match path {
            Some(p) => {
                let written = std::fs::File::create(p)
                    .and_then(|f| write(&mut std::io::BufWriter::with_capacity(1 << 16, f)));
                if let Err(e) = written {
                    eprintln!("plimsoll: {}: cannot write report: {e}", p.display());
                    write_failed = true;
                }
            }
            None => {
                let out = std::io::stdout().lock();
                if let Err(e) = write(&mut std::io::BufWriter::with_capacity(1 << 16, out)) {
                    // a closed pipe (`| head`) is the reader's choice; anything else
                    // (a full disk) is said
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        eprintln!("plimsoll: cannot write the report to standard output: {e}");
                    }
                    write_failed = true;
                }
            }
        }
    }

    if write_failed || !report.errors.is_empty() {
        2
    } else if report.findings.iter().any(|f| s.fail_on.fails(f.severity))
        || args.fail_on_not_evaluated && not_evaluated
        || args
            .fail_below_score
            .is_some_and(|min| report.summary.score.is_some_and(|v| v < min))
    {
        1
    } else {
        0
    }
}

/// A shown path relative to the configuration file's directory (as exemption paths are
/// written), or as shown when it is not under it.
fn relative_to(shown: &str, dir: Option<&Path>) -> String {
    let Some(dir) = dir else {
        return shown.to_string();
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let path = canonical(&std::path::absolute(shown).unwrap_or_else(|_| PathBuf::from(shown)));
    match path.strip_prefix(canonical(dir)) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => shown.to_string(),
    }
}

/// `; did you mean `X`?` for a selector close to a known one, or nothing.
fn did_you_mean(selector: &str) -> String {
    select::suggest(selector)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// The rules of a run: command line over configuration, and the configuration's
/// selectors validated.
pub(crate) fn select_rules(
    args: &RunArgs,
    s: &Settings,
) -> Result<Vec<&'static dyn plimsoll_rules::Rule>, Fatal> {
    // selection: command line over configuration
    let select_list = args.select.clone().or_else(|| s.config.select.clone());
    let mut extend = s.config.extend_select.clone();
    extend.extend(args.extend_select.iter().cloned());
    let mut ignore = s.config.ignore.clone();
    ignore.extend(args.ignore.iter().cloned());
    let rules = select::resolve(select_list.as_deref(), &extend, &ignore).map_err(Fatal)?;
    for sel in s.config.severity.keys() {
        if !select::is_known(sel) {
            return Err(Fatal(format!(
                "configuration `severity`: unknown rule selector `{sel}`{}",
                did_you_mean(sel)
            )));
        }
    }
    for (i, ex) in s.config.exemptions.iter().enumerate() {
        for r in &ex.rules {
            if !select::is_known(r) {
                return Err(Fatal(format!(
                    "configuration `exemptions[{i}]`: unknown rule selector `{r}`{}",
                    did_you_mean(r)
                )));
            }
        }
    }

    Ok(rules)
}
