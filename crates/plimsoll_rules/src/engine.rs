//! Runs the selected rules over the index in parallel, resolves every finding to a
//! source span, then applies exemptions (annotation, comment, config), severity
//! overrides and the baseline.

use std::collections::HashMap;

use plimsoll_model::{Index, KubeVersion, Object, PodTemplate};
use plimsoll_yaml::{Node, Pointer, Pos, Segment, Span};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigExemption, wildcard_match};
use crate::input::YamlFacts;
use crate::live::LiveFacts;
use crate::rule::{Context, Finding, NotEvaluated, Rule, Severity, Sink};
use crate::select;
use crate::settings::Settings;

/// The annotation that exempts an object: `"RES001,IMG002 -- reason"`.
pub const IGNORE_ANNOTATION: &str = "plimsoll.dev/ignore";

/// An inline `# plimsoll: ignore CODES -- reason` comment found by the files front-end.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentExemption {
    pub file: usize,
    /// The line the comment is on.
    pub comment_line: u32,
    /// The line whose findings it exempts (its own line for a trailing comment, the
    /// next line for a comment on a line of its own).
    pub applies_to: u32,
    pub selectors: Vec<String>,
    pub reason: Option<String>,
}

/// How an exemption was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Annotation,
    Comment,
    Config,
}

#[derive(Debug, Clone)]
pub struct Exempted {
    pub finding: Finding,
    pub reason: String,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnusedExemption {
    pub selector: String,
    pub via: Via,
    /// For comments: the file and line of the comment.
    pub file: Option<usize>,
    pub line: Option<u32>,
    /// For annotations and config entries: `Deployment shop/api`, `exemptions[0]`.
    pub location: String,
}

/// A saved set of accepted findings (`--write-baseline`), matched without line numbers
/// so that unrelated edits do not resurrect them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BaselineEntry {
    pub code: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub path: String,
}

impl BaselineEntry {
    pub fn of(f: &Finding, o: &Object) -> BaselineEntry {
        BaselineEntry {
            code: f.rule.code.to_string(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            container: f.container.clone(),
            path: f.path.to_string(),
        }
    }
}

/// What the engine needs besides the index.
pub struct Run<'a> {
    pub rules: &'a [&'static dyn Rule],
    pub config: &'a Config,
    pub settings: &'a Settings,
    pub kube_version: KubeVersion,
    pub pss_version: Option<KubeVersion>,
    pub facts: &'a YamlFacts,
    pub comments: &'a [CommentExemption],
    /// Ignore annotation exemptions.
    pub strict: bool,
    pub baseline: Option<&'a Baseline>,
    /// What the live front-end knows besides the objects (`None` for files).
    pub live: Option<&'a LiveFacts>,
    /// The path of each input file relative to the configuration file's directory, by
    /// file index, for exemptions scoped by `path` (empty when there are none).
    pub file_paths: &'a [String],
    /// Files loaded for cross-object context only (`check --root`): with `Some(n)`,
    /// the files numbered `n` and above are judged with the others (so that
    /// exemptions in the configuration see every finding) but nothing located in them
    /// is reported: findings, not-evaluated entries, exemptions, unused exemptions,
    /// notes. `None` reports everything.
    pub context_files_from: Option<usize>,
}

impl Run<'_> {
    /// Whether what is located in input file `file` is reported (live objects, with no
    /// file, always are).
    pub fn reports(&self, file: Option<usize>) -> bool {
        match (self.context_files_from, file) {
            (Some(n), Some(f)) => f < n,
            _ => true,
        }
    }
}

/// Everything the engine found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every finding has `span` set to where it should be shown.
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub exempted: Vec<Exempted>,
    pub unused_exemptions: Vec<UnusedExemption>,
    /// Findings dropped because the baseline has them.
    pub baselined: usize,
    /// Problems with exemptions themselves (missing reasons).
    pub notes: Vec<(Option<usize>, String)>,
}

/// Runs the rules.
pub fn run(index: &Index, run: &Run) -> Outcome {
    run_focused(index, run, None)
}

/// Runs the rules for the findings on one object, the others being its context (the
/// admission webhook: the object under review among its namespace's). Per-object
/// checks run on that object only (the rules that report on other objects than the
/// one checked, [`Rule::reports_on_other_objects`], on every object); the whole-input
/// checks run as always. The outcome
/// may still hold findings on other objects (from the whole-input checks): the caller
/// keeps those on `id`.
pub fn run_on(index: &Index, run: &Run, id: usize) -> Outcome {
    run_focused(index, run, Some(id))
}

fn run_focused(index: &Index, run: &Run, focus: Option<usize>) -> Outcome {
    let selected: Vec<&'static str> = run.rules.iter().map(|r| r.meta().code).collect();
    let cx = Context {
        selected: &selected,
        cache: Default::default(),
        index,
        settings: run.settings,
        kube_version: run.kube_version,
        pss_version: run.pss_version,
        yaml: run.facts,
        live: run.live,
    };
    let objects = index.objects();
    let profile = RuleProfile::new(run.rules.len());
    let phase = std::time::Instant::now();
    // per-object checks, in parallel over objects; an object controlled by another of
    // the input (the ReplicaSets of a Deployment, their Pods) is judged through it
    // focused on one object: the rules that report on other objects than the one
    // checked still check every object
    let elsewhere: Vec<bool> = run
        .rules
        .iter()
        .map(|r| r.reports_on_other_objects())
        .collect();
    let owned_too: Vec<bool> = run.rules.iter().map(|r| r.judges_owned_objects()).collect();
    let ids: Vec<usize> = match focus {
        Some(id) if !elsewhere.contains(&true) => vec![id],
        _ => (0..objects.len()).collect(),
    };
    let check_one = |id: usize| {
        let mut f = Vec::new();
        let mut n = Vec::new();
        let owned = index.judged_through_owner(id);
        let others_only = focus.is_some_and(|f| f != id);
        for (i, rule) in run.rules.iter().enumerate() {
            if owned && !owned_too[i] || others_only && !elsewhere[i] {
                continue;
            }
            let mut sink = Sink::new(rule.meta());
            let t = profile.start();
            rule.check(&cx, id, &objects[id], &mut sink);
            profile.add(i, t);
            debug_assert!(
                elsewhere[i] || sink.findings.iter().all(|f| f.object == id),
                "{} reported on another object than the one checked: declare reports_on_other_objects",
                rule.meta().code
            );
            f.append(&mut sink.findings);
            n.append(&mut sink.not_evaluated);
        }
        (f, n)
    };
    let check_all = |(i, rule): (usize, &&'static dyn Rule)| {
        let mut sink = Sink::new(rule.meta());
        let t = profile.start();
        rule.check_all(&cx, &mut sink);
        profile.add(i, t);
        (sink.findings, sink.not_evaluated)
    };
    // a focused run is one request among many (the webhook's): on the calling thread,
    // since waking the pool's threads for it costs more than it saves
    let per_object: Vec<(Vec<Finding>, Vec<NotEvaluated>)> = if focus.is_some() {
        ids.into_iter().map(check_one).collect()
    } else {
        ids.into_par_iter()
            .with_min_len(64)
            .map(check_one)
            .collect()
    };
    profile.phase("rules, per object", phase);
    let phase = std::time::Instant::now();
    let whole: Vec<(Vec<Finding>, Vec<NotEvaluated>)> = if focus.is_some() {
        run.rules.iter().enumerate().map(check_all).collect()
    } else {
        run.rules.par_iter().enumerate().map(check_all).collect()
    };
    profile.phase("rules, whole input", phase);
    profile.report(run.rules);
    // gathered into lists of the exact size: doubling a list of findings as it grows
    // would hold up to twice their structs at the run's peak of memory
    let (found, unjudged) = per_object
        .iter()
        .chain(&whole)
        .fold((0, 0), |(f, n), (a, b)| (f + a.len(), n + b.len()));
    let mut findings = Vec::with_capacity(found);
    let mut not_evaluated = Vec::with_capacity(unjudged);
    for (f, n) in per_object.into_iter().chain(whole) {
        findings.extend(f);
        not_evaluated.extend(n);
    }
    not_evaluated.retain(|n| run.reports(objects[n.object].source.file));
    for f in &mut findings {
        if f.related_omitted > 0 {
            f.message.push_str(&format!(
                " ({} more related object{} not listed)",
                f.related_omitted,
                if f.related_omitted == 1 { "" } else { "s" }
            ));
            f.related_omitted = 0;
        }
        if f.span.is_none() {
            f.span = Some(locate(&objects[f.object].root, &f.path));
        }
        for (sel, sev) in &run.config.severity {
            if select::matches(sel, f.rule) {
                f.severity = *sev;
            }
        }
    }
    let mut out = Outcome {
        not_evaluated,
        ..Outcome::default()
    };
    let phase = std::time::Instant::now();
    apply_exemptions(index, run, findings, &mut out);
    profile_phase("locations and exemptions", phase);
    out
}

/// Time spent in each rule, measured only when `PLIMSOLL_PROFILE` is set (a diagnostic
/// for the benchmarks: it goes to stderr and never changes a report).
struct RuleProfile {
    nanos: Option<Vec<std::sync::atomic::AtomicU64>>,
}

impl RuleProfile {
    fn new(rules: usize) -> RuleProfile {
        RuleProfile {
            nanos: profiling().then(|| {
                (0..rules)
                    .map(|_| std::sync::atomic::AtomicU64::new(0))
                    .collect()
            }),
        }
    }

    fn start(&self) -> Option<std::time::Instant> {
        self.nanos.as_ref().map(|_| std::time::Instant::now())
    }

    fn add(&self, rule: usize, start: Option<std::time::Instant>) {
        if let (Some(n), Some(t)) = (&self.nanos, start) {
            n[rule].fetch_add(
                t.elapsed().as_nanos() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
    }

    fn phase(&self, name: &str, start: std::time::Instant) {
        if self.nanos.is_some() {
            profile_phase(name, start);
        }
    }

    fn report(&self, rules: &[&'static dyn Rule]) {
        let Some(n) = &self.nanos else { return };
        let mut per: Vec<(u64, &str)> = n
            .iter()
            .zip(rules)
            .map(|(n, r)| (n.load(std::sync::atomic::Ordering::Relaxed), r.meta().code))
            .collect();
        per.sort_unstable_by(|a, b| b.cmp(a));
        let total: u64 = per.iter().map(|p| p.0).sum();
        eprintln!(
            "plimsoll profile: rules, CPU time over all threads: {:.3} s ({} B a finding struct)",
            total as f64 / 1e9,
            std::mem::size_of::<Finding>()
        );
        for (nanos, code) in per.iter().take(15) {
            eprintln!("plimsoll profile:   {code:8} {:.3} s", *nanos as f64 / 1e9);
        }
    }
}

/// Whether `PLIMSOLL_PROFILE` asks for phase and rule timings on stderr.
pub fn profiling() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PLIMSOLL_PROFILE").is_some_and(|v| !v.is_empty()))
}

/// Prints the wall time of a phase when [`profiling`].
pub fn profile_phase(name: &str, start: std::time::Instant) {
    if profiling() {
        eprintln!(
            "plimsoll profile: {name}: {:.3} s{}",
            start.elapsed().as_secs_f64(),
            memory_now()
        );
    }
}

/// The resident memory now and at its peak so far, where the system tells them
/// (Linux's `/proc/self/status`).
fn memory_now() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|kb| kb as f64 / 1024.0)
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(now), Some(peak)) => format!(" (RSS {now:.0} MB, peak so far {peak:.0} MB)"),
        _ => String::new(),
    }
}

/// The span to show for a pointer: the node it names, or the nearest existing parent.
pub fn locate(root: &Node, path: &Pointer) -> Span {
    let mut node = root;
    let mut key_span: Option<Span> = None;
    for seg in path.segments() {
        let next = match seg {
            Segment::Key(k) => node.entry(k).map(|e| (&e.value, Some(e.key_span))),
            Segment::Index(i) => node.items().get(*i).map(|n| (n, None)),
        };
        match next {
            Some((n, ks)) => {
                node = n;
                key_span = ks;
            }
            None => break,
        }
    }
    let span = match (key_span, node.entries().first()) {
        // an item of a list (a container): show its first line, `name: api`
        (None, Some(first))
            if first.value.scalar().is_some()
                && first.value.span.end.line == first.key_span.start.line =>
        {
            Span {
                start: first.key_span.start,
                end: first.value.span.end,
            }
        }
        _ => node.display_span(key_span),
    };
    if span.start.line == 0 {
        Span {
            start: Pos { line: 1, col: 1 },
            end: Pos { line: 1, col: 2 },
        }
    } else {
        span
    }
}

/// Parses `"RES001,IMG002 -- reason"` into selectors and the reason.
pub fn parse_exemption_text(text: &str) -> (Vec<String>, Option<String>) {
    let (codes, reason) = match text.split_once("--") {
        Some((c, r)) => (c, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
        None => (text, None),
    };
    let selectors = codes
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (selectors, reason)
}

struct Candidate {
    selector: String,
    reason: Option<String>,
    via: Via,
    file: Option<usize>,
    line: Option<u32>,
    location: String,
    used: bool,
}

fn apply_exemptions(index: &Index, run: &Run, findings: Vec<Finding>, out: &mut Outcome) {
    let objects = index.objects();
    // annotation exemptions per object, collected lazily for objects with findings
    let mut by_object: HashMap<usize, Vec<Candidate>> = HashMap::new();
    let mut comments: Vec<Candidate> = run
        .comments
        .iter()
        .flat_map(|c| {
            c.selectors.iter().map(|s| Candidate {
                selector: s.clone(),
                reason: c.reason.clone(),
                via: Via::Comment,
                file: Some(c.file),
                line: Some(c.comment_line),
                location: String::new(),
                used: false,
            })
        })
        .collect();
    let mut config: Vec<(usize, &ConfigExemption, Vec<bool>)> = run
        .config
        .exemptions
        .iter()
        .enumerate()
        .map(|(i, e)| (i, e, vec![false; e.rules.len()]))
        .collect();
    let path_matchers: Vec<Option<crate::config::PathMatcher>> = run
        .config
        .exemptions
        .iter()
        .map(|e| e.path_matcher())
        .collect();
    let covers = |i: usize, o: &Object| {
        run.config.exemptions[i].path.is_none()
            || path_matchers[i].as_ref().is_some_and(|m| {
                o.source
                    .file
                    .and_then(|f| run.file_paths.get(f))
                    .is_some_and(|p| m.covers(p))
            })
    };
    // comment candidates by the (file, line) they apply to, so that each finding looks
    // up the comments of its own line instead of scanning every comment of the run
    let mut comment_at: HashMap<(usize, u32), Vec<usize>> = HashMap::new();
    for (i, key) in run
        .comments
        .iter()
        .flat_map(|c| c.selectors.iter().map(move |_| (c.file, c.applies_to)))
        .enumerate()
    {
        comment_at.entry(key).or_default().push(i);
    }

    let mut baseline: HashMap<BaselineEntry, usize> = HashMap::new();
    if let Some(b) = run.baseline {
        for e in &b.findings {
            *baseline.entry(e.clone()).or_default() += 1;
        }
    }

    out.findings.reserve(findings.len());
    for f in findings {
        let o = &objects[f.object];
        let reported = run.reports(o.source.file);
        if !run.strict {
            let cands = by_object
                .entry(f.object)
                .or_insert_with(|| annotation_candidates(o));
            if let Some(c) = cands
                .iter_mut()
                .find(|c| select::matches(&c.selector, f.rule))
            {
                c.used = true;
                if let Some(reason) = c.reason.clone() {
                    if reported {
                        out.exempted.push(Exempted {
                            finding: f,
                            reason,
                            via: Via::Annotation,
                        });
                    }
                    continue;
                }
            }
        }
        let line = f.span.map(|s| s.start.line).unwrap_or(0);
        if let Some(file) = o.source.file
            && let Some(pos) = comment_at.get(&(file, line)).and_then(|at| {
                at.iter()
                    .copied()
                    .find(|&i| select::matches(&comments[i].selector, f.rule))
            })
        {
            comments[pos].used = true;
            if let Some(reason) = comments[pos].reason.clone() {
                if reported {
                    out.exempted.push(Exempted {
                        finding: f,
                        reason,
                        via: Via::Comment,
                    });
                }
                continue;
            }
        }
        if let Some((_, ex, used)) = config
            .iter_mut()
            .find(|(i, ex, _)| config_applies(ex, &f, o) && covers(*i, o))
        {
            for (i, s) in ex.rules.iter().enumerate() {
                if select::matches(s, f.rule) {
                    used[i] = true;
                }
            }
            if reported {
                out.exempted.push(Exempted {
                    finding: f,
                    reason: ex.reason.clone(),
                    via: Via::Config,
                });
            }
            continue;
        }
        if !baseline.is_empty() {
            let key = BaselineEntry::of(&f, o);
            if let Some(n) = baseline.get_mut(&key)
                && *n > 0
            {
                *n -= 1;
                if reported {
                    out.baselined += 1;
                }
                continue;
            }
        }
        if reported {
            out.findings.push(f);
        }
    }

    let selected = |s: &str| run.rules.iter().any(|r| select::matches(s, r.meta()));
    // annotation exemptions are reported for every object, also those without findings,
    // but not for the copies a controller made (a Pod carries its template's
    // annotations; it is judged through its owner, which reports them)
    if !run.strict {
        for (id, o) in objects.iter().enumerate() {
            if index.judged_through_owner(id) || !run.reports(o.source.file) {
                continue;
            }
            let cands = by_object
                .remove(&id)
                .unwrap_or_else(|| annotation_candidates(o));
            for c in cands {
                if c.reason.is_none() {
                    out.notes.push((
                        o.source.file,
                        format!(
                            "{}: exemption `{}` in annotation {IGNORE_ANNOTATION} has no reason (write `CODE -- reason`); it is not applied",
                            o.display_name(),
                            c.selector
                        ),
                    ));
                } else if !c.used && selected(&c.selector) {
                    out.unused_exemptions.push(UnusedExemption {
                        selector: c.selector,
                        via: c.via,
                        file: c.file,
                        line: None,
                        location: c.location,
                    });
                }
            }
        }
    }
    for c in comments {
        if !run.reports(c.file) {
            continue;
        }
        if c.reason.is_none() {
            out.notes.push((
                c.file,
                format!(
                    "line {}: exemption comment for `{}` has no reason (write `# plimsoll: ignore CODE -- reason`); it is not applied",
                    c.line.unwrap_or(0),
                    c.selector
                ),
            ));
        } else if !c.used && selected(&c.selector) {
            out.unused_exemptions.push(UnusedExemption {
                selector: c.selector,
                via: Via::Comment,
                file: c.file,
                line: c.line,
                location: String::new(),
            });
        }
    }
    for (i, ex, used) in config {
        for (j, s) in ex.rules.iter().enumerate() {
            if !used[j] && selected(s) {
                out.unused_exemptions.push(UnusedExemption {
                    selector: s.clone(),
                    via: Via::Config,
                    file: None,
                    line: None,
                    location: format!("exemptions[{i}]"),
                });
            }
        }
    }
}

fn annotation_candidates(o: &Object) -> Vec<Candidate> {
    let mut texts: Vec<&str> = Vec::new();
    if let Some(t) = o.annotation(IGNORE_ANNOTATION) {
        texts.push(t);
    }
    if let Some(t) = PodTemplate::of(o)
        .filter(|t| !t.is_pod())
        .and_then(|t| t.annotation(IGNORE_ANNOTATION))
    {
        texts.push(t);
    }
    texts
        .into_iter()
        .flat_map(|t| {
            let (sels, reason) = parse_exemption_text(t);
            sels.into_iter().map(move |s| Candidate {
                selector: s,
                reason: reason.clone(),
                via: Via::Annotation,
                file: o.source.file,
                line: None,
                location: o.display_name(),
                used: false,
            })
        })
        .collect()
}

fn config_applies(ex: &ConfigExemption, f: &Finding, o: &Object) -> bool {
    ex.rules.iter().any(|s| select::matches(s, f.rule))
        && ex
            .kind
            .as_ref()
            .is_none_or(|k| k.eq_ignore_ascii_case(&o.kind))
        && ex.namespace.as_ref().is_none_or(|n| {
            o.namespace
                .as_deref()
                .is_some_and(|ns| wildcard_match(n, ns))
        })
        && ex.name.as_ref().is_none_or(|n| wildcard_match(n, &o.name))
        && ex.container.as_ref().is_none_or(|c| {
            f.container
                .as_deref()
                .is_some_and(|fc| wildcard_match(c, fc))
        })
}

/// The most severe finding's severity.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}
