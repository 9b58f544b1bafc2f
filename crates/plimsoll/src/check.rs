//! `plimsoll check`: read, parse once, index, run the rules in parallel, report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plimsoll_model::{Index, KubeVersion};
use plimsoll_report::{
    HtmlOptions, NoteOut, Report, RunResult, SourceFile, TextOptions, render_github, render_html,
    render_junit, render_sarif, render_text,
};
use plimsoll_rules::config::{Config, FailOn};
use plimsoll_rules::engine::{self, Baseline, BaselineEntry, CommentExemption, Run};
use plimsoll_rules::input::{InputError, Loaded, Note, YamlFacts, decode, load_text, salvage};
use plimsoll_rules::select;
use rayon::prelude::*;

use crate::cli::{CheckArgs, ColorArg, FailOnArg, RenderMode, RunArgs};
use crate::comments;
use crate::inputs::{self, Input};
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
    pub(crate) kube_version: KubeVersion,
    pub(crate) pss_version: Option<KubeVersion>,
    pub(crate) namespace: String,
    pub(crate) fail_on: FailOn,
}

/// The settings of a run: configuration file, versions, namespace, fail-on.
pub(crate) fn settings(
    args: &RunArgs,
    paths: &[PathBuf],
    namespace: Option<&String>,
) -> Result<Settings, Fatal> {
    let config = match find_config(args, paths) {
        Some(path) => {
            if args.config.is_none() {
                refuse_outside_link(&path)?;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Fatal(format!("{}: cannot read: {e}", path.display())))?;
            Config::from_yaml(&text).map_err(|e| Fatal(format!("{}: {e}", path.display())))?
        }
        None => Config::default(),
    };
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
    Ok(Settings {
        config,
        kube_version,
        pss_version,
        namespace,
        fail_on,
    })
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
    let s = settings(&args.run, &args.paths, args.namespace.as_ref())?;
    let formats = parse_formats(&args.run)?;

    let rules = select_rules(&args.run, &s)?;

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
    let phase = std::time::Instant::now();
    let Gathered {
        sources,
        objects,
        notes,
        errors,
        mut general_errors,
        skipped,
        facts,
        comments: comment_exemptions,
    } = gather(&args.paths, &excludes, &s.namespace, keep_text, &render);
    engine::profile_phase("read and parse", phase);
    if engine::profiling() {
        profile_memory(&objects, &sources);
    }
    let phase = std::time::Instant::now();
    let index = Index::new(objects);
    engine::profile_phase("index", phase);
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
    let outcome = engine::run(&index, &run);
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
    let code = emit(&report, &formats, &args.run, &s, not_evaluated, &inputs);
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
}

/// Discovers, reads and parses the inputs in parallel (one task per file).
fn gather(
    paths: &[PathBuf],
    excludes: &[String],
    namespace: &str,
    keep_text: bool,
    render: &RenderOptions,
) -> Gathered {
    let found = inputs::discover(paths, excludes);
    let per_file: Vec<(SourceFile, Loaded, Vec<CommentExemption>)> = found
        .inputs
        .par_iter()
        .enumerate()
        .map(|(i, input)| read_one(i, input, namespace, keep_text, render))
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
    };
    for (src, loaded, comments) in per_file {
        g.sources.push(src);
        g.objects.extend(loaded.objects);
        g.notes.extend(loaded.notes);
        g.errors.extend(loaded.errors);
        g.facts.merge(loaded.facts);
        g.comments.extend(comments);
    }
    if found.inputs.is_empty() && found.errors.is_empty() {
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
    let g = gather(paths, excludes, namespace, false, &render);
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
        index: Index::new(g.objects),
        sources: g.sources,
        errors,
    }
}

fn read_one(
    i: usize,
    input: &Input,
    namespace: &str,
    keep_text: bool,
    render: &RenderOptions,
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
        _ => match inputs::read(input) {
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
    let mut loaded = load_text(i, text, namespace);
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
                },
            )),
            Format::Json => None,
            Format::Sarif => Some(render_sarif(report)),
            Format::Junit => Some(render_junit(report)),
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
    {
        1
    } else {
        0
    }
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
                "configuration `severity`: unknown rule selector `{sel}`"
            )));
        }
    }
    for (i, ex) in s.config.exemptions.iter().enumerate() {
        for r in &ex.rules {
            if !select::is_known(r) {
                return Err(Fatal(format!(
                    "configuration `exemptions[{i}]`: unknown rule selector `{r}`"
                )));
            }
        }
    }

    Ok(rules)
}
