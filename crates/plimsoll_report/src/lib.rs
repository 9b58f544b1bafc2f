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
    /// The text, for snippets (`None` when it could not be read).
    pub text: Option<Arc<str>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
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

    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, self.name),
            None => format!("{} {}", self.kind, self.name),
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
    let file = o.source.file?;
    let span = span?;
    Some(Location {
        file: sources.get(file)?.path.clone(),
        line: Some(span.start.line),
        column: Some(span.start.col),
        end_line: Some(span.end.line),
        end_column: Some(span.end.col),
    })
}

fn finding_out(sources: &[SourceFile], index: &Index, f: &Finding) -> FindingOut {
    let o = index.object(f.object);
    FindingOut {
        code: f.rule.code,
        rule: f.rule.name,
        severity: f.severity,
        message: f.message.clone(),
        object: ObjectId::of(o),
        container: f.container.clone(),
        path: f.path.to_string(),
        location: location(sources, o, f.span),
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
        fix: f.fix.clone(),
        file_index: o.source.file,
    }
}

type SortKey = (
    u8,
    String,
    u32,
    u32,
    Option<String>,
    String,
    String,
    &'static str,
);

fn sort_key(f: &FindingOut) -> SortKey {
    match &f.location {
        Some(l) => (
            0,
            l.file.clone(),
            l.line.unwrap_or(0),
            l.column.unwrap_or(0),
            None,
            String::new(),
            String::new(),
            f.code,
        ),
        None => (
            1,
            String::new(),
            0,
            0,
            f.object.namespace.clone(),
            f.object.kind.clone(),
            f.object.name.clone(),
            f.code,
        ),
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
        let mut findings: Vec<FindingOut> = outcome
            .findings
            .iter()
            .map(|f| finding_out(&sources, index, f))
            .collect();
        findings.sort_by(|a, b| {
            sort_key(a)
                .cmp(&sort_key(b))
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.message.cmp(&b.message))
        });
        findings.dedup_by(|a, b| a == b);
        let mut not_evaluated: Vec<NotEvaluatedOut> = outcome
            .not_evaluated
            .iter()
            .map(|n| NotEvaluatedOut {
                code: n.rule.code,
                object: ObjectId::of(index.object(n.object)),
                reason: n.reason.clone(),
            })
            .collect();
        not_evaluated.sort_by(|a, b| (&a.object, a.code).cmp(&(&b.object, b.code)));
        not_evaluated.dedup();
        let mut exempted: Vec<ExemptedOut> = outcome
            .exempted
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
        let mut unused: Vec<UnusedOut> = outcome
            .unused_exemptions
            .iter()
            .map(|u| UnusedOut {
                code: u.selector.clone(),
                via: u.via,
                location: match (u.via, path_of(u.file), u.line) {
                    (Via::Comment, Some(p), Some(l)) => format!("{p}:{l}"),
                    (Via::Annotation, Some(p), _) => format!("{} ({p})", u.location),
                    (Via::Config, _, _) => format!(".plimsoll.yaml {}", u.location),
                    _ => u.location.clone(),
                },
            })
            .collect();
        unused.sort_by(|a, b| (&a.location, &a.code).cmp(&(&b.location, &b.code)));
        let mut notes_out: Vec<NoteOut> = notes
            .iter()
            .map(|n| NoteOut {
                file: path_of(Some(n.file)),
                message: match n.line {
                    Some(l) => format!("line {l}: {}", n.message),
                    None => n.message.clone(),
                },
            })
            .chain(outcome.notes.iter().map(|(f, m)| NoteOut {
                file: path_of(*f),
                message: m.clone(),
            }))
            .collect();
        notes_out.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
        let mut errors_out: Vec<ErrorOut> = errors
            .iter()
            .map(|e| ErrorOut {
                file: path_of(Some(e.file)),
                line: e.line,
                column: e.column,
                message: e.message.clone(),
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
            baselined: outcome.baselined,
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

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serializes");
        s.push('\n');
        s
    }
}
