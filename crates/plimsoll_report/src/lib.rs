//! The report every front-end produces, and its renderers (text, JSON, SARIF,
//! JUnit XML, GitHub workflow commands, HTML).
//!
//! [`Report`] is the public JSON contract (`version: 1`, see DESIGN.md "Contracts"):
//! findings sorted by file, line, column and code (live objects by namespace, kind,
//! name, code), so that output is the same whatever the parallelism.

mod github;
mod html;
mod junit;
mod sarif;
mod text;

use std::sync::Arc;

use plimsoll_model::{Index, Object};
use plimsoll_rules::engine::{Outcome, Via};
use plimsoll_rules::input::{InputError, Note};
use plimsoll_rules::rule::{Finding, Fix, Severity};
use plimsoll_yaml::Span;
use serde::Serialize;

pub use github::render_github;
pub use html::{HtmlOptions, Score, render_html, report_score, score};
pub use junit::render_junit;
pub use sarif::{fingerprint, render_sarif, rule_help_uri};
pub use text::{TextOptions, render_text};

/// A rule's documentation (Markdown in the fixed sections), as `plimsoll rule CODE`
/// prints it below the title: the doc comment without the space after `///`. `None`
/// for an unknown code.
pub fn rule_doc(code: &str) -> Option<String> {
    let m = plimsoll_rules::registry::find(code)?.meta();
    let doc: String = m
        .doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    Some(if doc.trim().is_empty() {
        m.summary.to_string()
    } else {
        doc
    })
}

/// An input of the run, for locations and snippets.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// As the user named it (relative where it was given relative).
    pub path: String,
    /// The text, for snippets (`None` when it could not be read). For a rendered input,
    /// the renderer's output.
    pub text: Option<Arc<str>>,
    /// For a rendered input (Helm chart, Kustomize overlay): where its lines came from.
    pub rendered: Option<Arc<RenderedMap>>,
}

/// How the lines of a rendered input map back to files on disk (DESIGN.md "Rendered
/// inputs"): a position is given in a template only where the mapping is exact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderedMap {
    /// Parts of the rendered text, by first line, not overlapping.
    pub segments: Vec<RenderedSegment>,
    /// For lines that no segment covers.
    pub fallback: RenderedSegment,
}

/// A run of rendered lines that came from one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderedSegment {
    /// First and last rendered line (1-based, inclusive).
    pub first_line: u32,
    pub last_line: u32,
    /// The file to name in locations (a template, a kustomization file), as paths are
    /// shown elsewhere in the report.
    pub file: String,
    pub chart: Option<String>,
    /// The template's path inside the chart (`templates/api.yaml`).
    pub template: Option<String>,
    /// The Kustomize directory that was built.
    pub kustomization: Option<String>,
    /// Set only when these rendered lines are, byte for byte, lines of `file`: the
    /// line of `file` that rendered line `first_line` is.
    pub exact_first_line: Option<u32>,
}

impl RenderedMap {
    /// The segment a rendered line belongs to.
    pub fn segment(&self, line: u32) -> &RenderedSegment {
        let i = self.segments.partition_point(|s| s.first_line <= line);
        match i.checked_sub(1).map(|i| &self.segments[i]) {
            Some(s) if line <= s.last_line => s,
            _ => &self.fallback,
        }
    }

    /// The line of the segment's file for a rendered line, when the mapping is exact.
    pub fn exact_line(&self, line: u32) -> Option<u32> {
        let s = self.segment(line);
        s.exact_first_line.map(|f| f + (line - s.first_line))
    }

    /// The source of a rendered line, as findings report it.
    pub fn source(&self, line: u32) -> SourceOut {
        let s = self.segment(line);
        SourceOut {
            chart: s.chart.clone(),
            template: s.template.clone(),
            kustomization: s.kustomization.clone(),
            rendered_line: Some(line),
        }
    }

    /// A rendered position as a file and a line to show: the line only when exact.
    pub fn place(&self, line: u32) -> (String, Option<u32>) {
        (self.segment(line).file.clone(), self.exact_line(line))
    }
}

/// Where a finding on a rendered input came from (`source` in the JSON report).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, Default)]
#[serde(rename_all = "camelCase")]
pub struct SourceOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kustomization: Option<String>,
    /// The line in the renderer's output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered_line: Option<u32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "camelCase")]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectId {
    pub fn of(o: &Object) -> ObjectId {
        ObjectId {
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
        }
    }

    /// `Kind namespace/name` (`Kind name` when cluster-scoped). An id without a name
    /// stands for every object of its kind (a kind a live audit could not read):
    /// `every Kind` (`every Kind in namespace NS`).
    pub fn display(&self) -> String {
        match (&self.namespace, self.name.is_empty()) {
            (Some(ns), false) => format!("{} {}/{}", self.kind, ns, self.name),
            (None, false) => format!("{} {}", self.kind, self.name),
            (Some(ns), true) => format!("every {} in namespace {ns}", self.kind),
            (None, true) => format!("every {}", self.kind),
        }
    }
}

/// 1-based lines and columns, columns in characters, end exclusive.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RelatedOut {
    pub object: ObjectId,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FindingOut {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub object: ObjectId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// For rendered inputs: the chart and template, or the kustomization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Index of the source file (for snippets); not part of the JSON.
    #[serde(skip)]
    pub file_index: Option<usize>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotEvaluatedOut {
    pub code: &'static str,
    pub object: ObjectId,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExemptedOut {
    pub code: &'static str,
    pub object: ObjectId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub reason: String,
    pub via: Via,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnusedOut {
    pub code: String,
    pub via: Via,
    #[serde(rename = "where")]
    pub location: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NoteOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub files: usize,
    pub objects: usize,
    pub findings: usize,
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub exempted: usize,
    pub not_evaluated: usize,
    pub errors: usize,
    pub baselined: usize,
    /// The score of [`html::score`], 0 to 100; `None` without objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
}

/// The report (JSON contract version 1).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub version: u32,
    pub tool: Tool,
    pub findings: Vec<FindingOut>,
    pub not_evaluated: Vec<NotEvaluatedOut>,
    pub exempted: Vec<ExemptedOut>,
    pub unused_exemptions: Vec<UnusedOut>,
    pub notes: Vec<NoteOut>,
    pub errors: Vec<ErrorOut>,
    pub summary: Summary,
    #[serde(skip)]
    pub sources: Vec<SourceFile>,
}

/// What a run produced, for building the report.
pub struct RunResult<'a> {
    pub sources: Vec<SourceFile>,
    pub index: &'a Index,
    pub outcome: Outcome,
    pub notes: Vec<Note>,
    pub errors: Vec<InputError>,
    /// Errors that belong to no file (bad flags discovered late, renderer failures).
    pub general_errors: Vec<String>,
}

fn location(sources: &[SourceFile], o: &Object, span: Option<Span>) -> Option<Location> {
    located(sources, o, span).map(|(l, _)| l)
}

/// The location of a span of an object, and for a rendered input its source. A
/// rendered position becomes a line of a file on disk only where the mapping is exact
/// (DESIGN.md "Rendered inputs"); otherwise the file is named without a line.
fn located(
    sources: &[SourceFile],
    o: &Object,
    span: Option<Span>,
) -> Option<(Location, Option<SourceOut>)> {
    let file = sources.get(o.source.file?)?;
    let span = span?;
    let Some(map) = &file.rendered else {
        return Some((
            Location {
                file: file.path.clone(),
                line: Some(span.start.line),
                column: Some(span.start.col),
                end_line: Some(span.end.line),
                end_column: Some(span.end.col),
            },
            None,
        ));
    };
    let seg = map.segment(span.start.line);
    let location = match (
        map.exact_line(span.start.line),
        map.exact_line(span.end.line),
    ) {
        (Some(line), Some(end_line)) if std::ptr::eq(seg, map.segment(span.end.line)) => Location {
            file: seg.file.clone(),
            line: Some(line),
            column: Some(span.start.col),
            end_line: Some(end_line),
            end_column: Some(span.end.col),
        },
        _ => Location {
            file: seg.file.clone(),
            line: None,
            column: None,
            end_line: None,
            end_column: None,
        },
    };
    Some((location, Some(map.source(span.start.line))))
}

/// A line of an input as a file and line to report: for a rendered input, the file it
/// came from, with the line only when the mapping is exact, and a prefix naming the
/// rendered line otherwise.
fn place(
    sources: &[SourceFile],
    file: usize,
    line: Option<u32>,
) -> (Option<String>, Option<u32>, String) {
    let Some(src) = sources.get(file) else {
        return (None, line, String::new());
    };
    match (&src.rendered, line) {
        (Some(map), Some(l)) => {
            let (f, exact) = map.place(l);
            let prefix = if exact.is_some() {
                String::new()
            } else {
                format!("rendered line {l}: ")
            };
            (Some(f), exact, prefix)
        }
        _ => (Some(src.path.clone()), line, String::new()),
    }
}

fn finding_out(sources: &[SourceFile], index: &Index, f: Finding) -> FindingOut {
    let o = index.object(f.object);
    let (at, source) = match located(sources, o, f.span) {
        Some((l, s)) => (Some(l), s),
        None => (None, None),
    };
    FindingOut {
        code: f.rule.code,
        rule: f.rule.name,
        severity: f.severity,
        message: f.message,
        object: ObjectId::of(o),
        container: f.container,
        path: f.path.to_string(),
        location: at,
        source,
        related: f
            .related
            .iter()
            .map(|r| {
                let ro = index.object(r.object);
                RelatedOut {
                    object: ObjectId::of(ro),
                    path: r.path.to_string(),
                    location: location(
                        sources,
                        ro,
                        Some(plimsoll_rules::engine::locate(&ro.root, &r.path)),
                    ),
                }
            })
            .collect(),
        fix: f.fix,
        file_index: o.source.file,
    }
}

type SortKey<'a> = (
    u8,
    &'a str,
    u32,
    u32,
    u32,
    Option<&'a str>,
    &'a str,
    &'a str,
    &'static str,
);

/// Findings are ordered by place (file, line, column, rendered line), then those
/// without one by object; borrowed, so that sorting allocates nothing.
fn sort_key(f: &FindingOut) -> SortKey<'_> {
    match &f.location {
        Some(l) => (
            0,
            &l.file,
            l.line.unwrap_or(0),
            l.column.unwrap_or(0),
            f.source.as_ref().and_then(|s| s.rendered_line).unwrap_or(0),
            None,
            "",
            "",
            f.code,
        ),
        None => (
            1,
            "",
            0,
            0,
            0,
            f.object.namespace.as_deref(),
            &f.object.kind,
            &f.object.name,
            f.code,
        ),
    }
}

/// Sorts findings in report order, stably, by sorting their positions and then
/// moving each finding once: a stable sort of the findings themselves would hold a
/// buffer of half of them (tens of MB on a large run) at the report's peak of memory.
fn sort_findings(findings: &mut [FindingOut]) {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&findings[a], &findings[b]);
        sort_key(a)
            .cmp(&sort_key(b))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.message.cmp(&b.message))
    });
    permute(findings, &mut order);
}

/// Reorders `v` so that its element `k` is the one that was at `order[k]`, by
/// following each cycle of the permutation (`order` is consumed).
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..v.len() {
        if order[start] == DONE {
            continue;
        }
        let mut k = start;
        loop {
            let src = order[k];
            order[k] = DONE;
            if src == start {
                break;
            }
            v.swap(k, src);
            k = src;
        }
    }
}

impl Report {
    pub fn build(r: RunResult) -> Report {
        let RunResult {
            sources,
            index,
            outcome,
            notes,
            errors,
            general_errors,
        } = r;
        let Outcome {
            findings,
            not_evaluated,
            exempted,
            unused_exemptions,
            baselined,
            notes: outcome_notes,
        } = outcome;
        // each finding is consumed as it is converted, so that the two forms are not
        // held side by side
        let mut findings: Vec<FindingOut> = findings
            .into_iter()
            .map(|f| finding_out(&sources, index, f))
            .collect();
        sort_findings(&mut findings);
        findings.dedup_by(|a, b| a == b);
        let mut not_evaluated: Vec<NotEvaluatedOut> = not_evaluated
            .iter()
            .map(|n| NotEvaluatedOut {
                code: n.rule.code,
                object: ObjectId::of(index.object(n.object)),
                reason: n.reason.clone(),
            })
            .collect();
        not_evaluated.sort_by(|a, b| (&a.object, a.code).cmp(&(&b.object, b.code)));
        not_evaluated.dedup();
        let mut exempted: Vec<ExemptedOut> = exempted
            .iter()
            .map(|e| {
                let o = index.object(e.finding.object);
                ExemptedOut {
                    code: e.finding.rule.code,
                    object: ObjectId::of(o),
                    container: e.finding.container.clone(),
                    location: location(&sources, o, e.finding.span),
                    reason: e.reason.clone(),
                    via: e.via,
                }
            })
            .collect();
        exempted.sort_by(|a, b| {
            (&a.location, &a.object, a.code).cmp(&(&b.location, &b.object, b.code))
        });
        let path_of = |f: Option<usize>| f.and_then(|i| sources.get(i)).map(|s| s.path.clone());
        let mut unused: Vec<UnusedOut> = unused_exemptions
            .iter()
            .map(|u| UnusedOut {
                code: u.selector.clone(),
                via: u.via,
                location: match (u.via, path_of(u.file), u.line) {
                    (Via::Comment, Some(_), Some(l)) => {
                        match place(&sources, u.file.unwrap_or(0), Some(l)) {
                            (Some(p), Some(l), _) => format!("{p}:{l}"),
                            (Some(p), None, _) => format!("{p} (rendered line {l})"),
                            _ => String::new(),
                        }
                    }
                    (Via::Annotation, Some(p), _) => format!("{} ({p})", u.location),
                    (Via::Config, _, _) => format!(".plimsoll.yaml {}", u.location),
                    _ => u.location.clone(),
                },
            })
            .collect();
        unused.sort_by(|a, b| (&a.location, &a.code).cmp(&(&b.location, &b.code)));
        let mut notes_out: Vec<NoteOut> = notes
            .iter()
            .map(|n| {
                let (file, line, prefix) = place(&sources, n.file, n.line);
                NoteOut {
                    file,
                    message: match line {
                        Some(l) => format!("line {l}: {}", n.message),
                        None => format!("{prefix}{}", n.message),
                    },
                }
            })
            .chain(outcome_notes.iter().map(|(f, m)| NoteOut {
                file: path_of(*f),
                message: m.clone(),
            }))
            .collect();
        notes_out.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
        let mut errors_out: Vec<ErrorOut> = errors
            .iter()
            .map(|e| {
                let (file, line, prefix) = place(&sources, e.file, e.line);
                ErrorOut {
                    file,
                    line,
                    column: if line.is_some() { e.column } else { None },
                    message: format!("{prefix}{}", e.message),
                }
            })
            .chain(general_errors.iter().map(|m| ErrorOut {
                file: None,
                line: None,
                column: None,
                message: m.clone(),
            }))
            .collect();
        errors_out.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let summary = Summary {
            files: sources.len(),
            objects: index.len(),
            findings: findings.len(),
            error: count(Severity::Error),
            warning: count(Severity::Warning),
            info: count(Severity::Info),
            exempted: exempted.len(),
            not_evaluated: not_evaluated.len(),
            errors: errors_out.len(),
            baselined,
            score: html::score(
                index.len(),
                findings.iter().map(|f| (&f.object, f.severity)),
            )
            .map(|s| s.value),
        };
        Report {
            version: 1,
            tool: Tool {
                name: "plimsoll",
                version: env!("CARGO_PKG_VERSION"),
            },
            findings,
            not_evaluated,
            exempted,
            unused_exemptions: unused,
            notes: notes_out,
            errors: errors_out,
            summary,
            sources,
        }
    }

    /// Re-sorts and re-counts after a front-end added entries of its own (a live audit
    /// adds findings on Helm release manifests, kinds it could not read and notes).
    pub fn finish(&mut self) {
        sort_findings(&mut self.findings);
        self.not_evaluated
            .sort_by(|a, b| (&a.object, a.code).cmp(&(&b.object, b.code)));
        self.not_evaluated.dedup();
        self.notes
            .sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
        self.notes.dedup();
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        self.summary.findings = self.findings.len();
        self.summary.error = count(Severity::Error);
        self.summary.warning = count(Severity::Warning);
        self.summary.info = count(Severity::Info);
        self.summary.not_evaluated = self.not_evaluated.len();
        self.summary.errors = self.errors.len();
    }

    /// Keeps the first `max` findings (in report order) and recounts the summary;
    /// returns how many were left out.
    pub fn truncate_findings(&mut self, max: usize) -> usize {
        let dropped = self.findings.len().saturating_sub(max);
        if dropped > 0 {
            self.findings.truncate(max);
            self.findings.shrink_to_fit();
            let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
            self.summary.findings = self.findings.len();
            self.summary.error = count(Severity::Error);
            self.summary.warning = count(Severity::Warning);
            self.summary.info = count(Severity::Info);
        }
        dropped
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serializes");
        s.push('\n');
        s
    }

    /// Writes [`Report::to_json`] to `out` as it is serialized, without holding it.
    pub fn write_json(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod permute_tests {
    #[test]
    fn permute_follows_the_order() {
        for order in [
            vec![],
            vec![0],
            vec![2, 0, 1],
            vec![1, 0, 3, 2],
            vec![4, 3, 2, 1, 0],
            vec![0, 2, 1, 5, 3, 4],
        ] {
            let v: Vec<u32> = (0..order.len() as u32).map(|i| i * 10).collect();
            let want: Vec<u32> = order.iter().map(|&i| v[i]).collect();
            let mut got = v.clone();
            super::permute(&mut got, &mut order.clone());
            assert_eq!(got, want, "order {order:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_lines_map_to_templates_only_where_exact() {
        let seg = |first, last, file: &str, exact| RenderedSegment {
            first_line: first,
            last_line: last,
            file: file.to_string(),
            chart: Some("shop".into()),
            template: Some(file.to_string()),
            kustomization: None,
            exact_first_line: exact,
        };
        let map = RenderedMap {
            segments: vec![
                seg(3, 10, "templates/a.yaml", None),
                seg(13, 20, "templates/b.yaml", Some(2)),
            ],
            fallback: RenderedSegment {
                file: "chart".into(),
                chart: Some("shop".into()),
                ..Default::default()
            },
        };
        assert_eq!(map.place(5), ("templates/a.yaml".to_string(), None));
        assert_eq!(map.place(13), ("templates/b.yaml".to_string(), Some(2)));
        assert_eq!(map.place(20), ("templates/b.yaml".to_string(), Some(9)));
        // between documents (the `---` and `# Source:` lines) and past the end
        assert_eq!(map.place(11), ("chart".to_string(), None));
        assert_eq!(map.place(21), ("chart".to_string(), None));
        assert_eq!(map.place(1), ("chart".to_string(), None));
        let src = map.source(14);
        assert_eq!(src.template.as_deref(), Some("templates/b.yaml"));
        assert_eq!(src.rendered_line, Some(14));
    }
}
