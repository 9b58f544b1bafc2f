//! Human output: rustc-style snippets, then a summary.

use std::borrow::Cow;
use std::fmt::Write;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use plimsoll_rules::rule::{Applicability, Severity};

use crate::{FindingOut, Report, SourceOut};

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
    /// Print only one line per finding.
    pub concise: bool,
    /// Print only input errors and the summary line.
    pub quiet: bool,
    /// Print a count per rule instead of the findings (as ruff's `--statistics`).
    pub statistics: bool,
    /// List every rule not evaluated, per object; by default they are folded into one
    /// line.
    pub show_not_evaluated: bool,
}

/// `severity` in its colour (ANSI), for one-line output.
fn severity_word(s: Severity, color: bool) -> Cow<'static, str> {
    if !color {
        return Cow::Borrowed(s.as_str());
    }
    let code = match s {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
    };
    Cow::Owned(format!("\x1b[{code}m{}\x1b[0m", s.as_str()))
}

/// `s` with every control character (C0, DEL, C1) shown as `\u{..}`, so that a name or
/// message read from the input cannot drive the terminal. `keep_newlines` keeps `\n` (and
/// a `\r` before it) for multi-line text: source snippets and tool output.
fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let keep = |s: &str, i: usize, c: char| {
        keep_newlines && (c == '\n' || c == '\r' && s[i + 1..].starts_with('\n'))
    };
    if !s
        .char_indices()
        .any(|(i, c)| c.is_control() && !keep(s, i, c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        if c.is_control() && !keep(s, i, c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A single-line string from the input, escaped for the terminal.
fn esc(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// The lines `first..=last` (1-based) of `text`, and the byte offset of their start.
fn window(text: &str, first: u32, last: u32) -> Option<(&str, usize)> {
    let mut start = None;
    let mut offset = 0usize;
    for (line, l) in (1u32..).zip(text.split_inclusive('\n')) {
        if line == first {
            start = Some(offset);
        }
        offset += l.len();
        if line == last {
            let s = start?;
            return Some((text[s..offset].trim_end_matches(['\n', '\r']), s));
        }
    }
    start.map(|s| (text[s..].trim_end_matches(['\n', '\r']), s))
}

/// Byte offset within `snippet` (which starts at line `first`) of (line, col).
fn byte_at(snippet: &str, first: u32, line: u32, col: u32) -> usize {
    let mut off = 0;
    for (cur, l) in (first..).zip(snippet.split_inclusive('\n')) {
        if cur == line {
            let body = l.trim_end_matches(['\n', '\r']);
            let idx = body
                .char_indices()
                .nth(col.saturating_sub(1) as usize)
                .map_or(body.len(), |(i, _)| i);
            return off + idx;
        }
        off += l.len();
    }
    snippet.len()
}

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

fn render_finding(out: &mut String, r: &Report, f: &FindingOut, renderer: &Renderer) {
    let text = f
        .file_index
        .and_then(|i| r.sources.get(i))
        .and_then(|s| s.text.as_deref());
    let message = esc(&f.message);
    let mut group = Group::with_title(level(f.severity).primary_title(&*message).id(f.code));
    let mut had_snippet = false;
    if let (Some(loc), Some(text)) = (&f.location, text)
        && let (Some(line), Some(col)) = (loc.line, loc.column)
    {
        // A rendered input's text is the renderer's output: where the location is exact,
        // the same lines stand `shift` lines further down in it.
        let shift = f
            .source
            .as_ref()
            .and_then(|s| s.rendered_line)
            .map_or(0, |rl| rl.saturating_sub(line));
        let end_line = loc.end_line.unwrap_or(line).max(line).min(line + 4);
        if let Some((snip, _)) = window(text, line + shift, end_line + shift) {
            let start = byte_at(snip, line, line, col);
            let mut end = match (loc.end_line, loc.end_column) {
                (Some(el), Some(ec)) if el <= end_line => byte_at(snip, line, el, ec),
                _ => snip.len(),
            };
            if end <= start {
                end = (start + 1).min(snip.len());
            }
            // escaping lengthens the text: map the span through it
            let (start, end) = (
                escape(&snip[..start], true).len(),
                escape(&snip[..end], true).len(),
            );
            let snip = escape(snip, true);
            let label = match &f.container {
                Some(c) => format!("{} (container {})", f.rule, esc(c)),
                None => f.rule.to_string(),
            };
            group = group.element(
                Snippet::source(snip)
                    .line_start(line as usize)
                    .path(esc(&loc.file))
                    .annotation(AnnotationKind::Primary.span(start..end).label(label)),
            );
            had_snippet = true;
        }
    }
    if f.location.is_none() {
        // an object without a file (read from a live cluster): the object is the place
        group = group.element(Origin::path(esc(&f.object.display()).into_owned()));
    }
    let mut groups: Vec<Group> = vec![group];
    let mut note = format!("object: {}", esc(&f.object.display()));
    if f.location.is_none() {
        note = match &f.container {
            Some(c) => format!("container {}, path {}", esc(c), esc(&f.path)),
            None => format!("path {}", esc(&f.path)),
        };
    } else if !had_snippet {
        if let Some(loc) = &f.location {
            match loc.line {
                Some(l) => {
                    let _ = write!(note, " at {}:{l}", esc(&loc.file));
                }
                None => {
                    let _ = write!(note, " in {}", esc(&loc.file));
                }
            }
        }
        if let Some(src) = &f.source {
            let _ = write!(note, " ({})", rendered_from(src));
        }
        let _ = write!(note, ", path {}", esc(&f.path));
    } else if let Some(src) = &f.source {
        let _ = write!(note, " ({})", rendered_from(src));
    }
    for rel in &f.related {
        let _ = write!(note, "\nrelated: {}", esc(&rel.object.display()));
        if let Some(l) = &rel.location {
            let _ = write!(note, " ({}:{})", esc(&l.file), l.line.unwrap_or(0));
        }
    }
    groups.push(Group::with_title(Level::NOTE.secondary_title(note)));
    if let Some(fix) = &f.fix {
        let applicability = match fix.applicability {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        };
        groups.push(Group::with_title(Level::HELP.secondary_title(format!(
            "fix ({applicability}): {}",
            esc(&fix.title)
        ))));
    }
    out.push_str(&renderer.render(&groups));
    out.push_str("\n\n");
}

/// Where a finding of a rendered input came from, for people: the chart or overlay and
/// the line of the renderer's output (never a template line that may be wrong).
fn rendered_from(src: &SourceOut) -> String {
    let mut s = match (&src.chart, &src.kustomization) {
        (Some(c), _) => format!("rendered from chart {}", esc(c)),
        (None, Some(k)) => format!("built from kustomization {}", esc(k)),
        (None, None) => "rendered".to_string(),
    };
    if let Some(l) = src.rendered_line {
        let _ = write!(s, ", line {l} of the rendered output");
    }
    s
}

/// Renders the whole report as text.
pub fn render_text(r: &Report, opts: TextOptions) -> String {
    let renderer = if opts.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for e in &r.errors {
        let at = match (e.file.as_deref().map(esc), e.line, e.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
            (Some(f), Some(l), None) => format!("{f}:{l}: "),
            (Some(f), None, _) => format!("{f}: "),
            _ => String::new(),
        };
        // an error may quote a tool's output over several lines
        let _ = writeln!(out, "error: {at}{}", escape(&e.message, true));
    }
    if !r.errors.is_empty() && !opts.quiet {
        out.push('\n');
    }
    if opts.statistics && !opts.quiet {
        // a count per rule, most frequent first
        let mut counts: Vec<(usize, &str, &str, Severity)> = Vec::new();
        for f in &r.findings {
            match counts.iter_mut().find(|c| c.1 == f.code) {
                Some(c) => c.0 += 1,
                None => counts.push((1, f.code, f.rule, f.severity)),
            }
        }
        counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let width = counts.first().map_or(1, |c| c.0.to_string().len());
        for (n, code, rule, sev) in &counts {
            let _ = writeln!(
                out,
                "{n:>width$}  {code}  {rule} ({})",
                severity_word(*sev, opts.color)
            );
        }
    }
    let listed: &[FindingOut] = if opts.quiet || opts.statistics {
        &[]
    } else {
        &r.findings
    };
    for f in listed {
        if opts.concise {
            let at = f
                .location
                .as_ref()
                .map(|l| match (l.line, l.column, &f.source) {
                    (Some(li), Some(c), _) => format!("{}:{li}:{c}: ", esc(&l.file)),
                    (_, _, Some(src)) => format!("{} ({}): ", esc(&l.file), rendered_from(src)),
                    _ => format!("{}: ", esc(&l.file)),
                })
                .unwrap_or_else(|| format!("{}: ", esc(&f.object.display())));
            let _ = writeln!(
                out,
                "{at}{}[{}] {}",
                severity_word(f.severity, opts.color),
                f.code,
                esc(&f.message)
            );
        } else {
            render_finding(&mut out, r, f, &renderer);
        }
    }
    let notes: &[crate::NoteOut] = if opts.quiet { &[] } else { &r.notes };
    for n in notes {
        match &n.file {
            Some(f) => {
                let _ = writeln!(out, "note: {}: {}", esc(f), esc(&n.message));
            }
            None => {
                let _ = writeln!(out, "note: {}", esc(&n.message));
            }
        }
    }
    let unused: &[crate::UnusedOut] = if opts.quiet {
        &[]
    } else {
        &r.unused_exemptions
    };
    for u in unused {
        let _ = writeln!(
            out,
            "note: unused exemption `{}` ({:?}) at {}",
            esc(&u.code),
            u.via,
            esc(&u.location)
        );
    }
    // rules not evaluated for the same object and reason share a line (a kind a live
    // audit could not read blocks every rule that reads it)
    let mut i = 0;
    // a kind-wide note (a kind a live audit could not read) is about the run itself and
    // is always listed; per-object notes are folded unless asked for
    let per_object = |n: &&crate::NotEvaluatedOut| !n.object.name.is_empty();
    if !opts.show_not_evaluated && !opts.quiet && r.not_evaluated.iter().any(|n| per_object(&n)) {
        // folded: the rules and how many objects, and how to see them all
        let mut codes: Vec<&str> = r
            .not_evaluated
            .iter()
            .filter(per_object)
            .map(|n| n.code)
            .collect();
        codes.sort();
        codes.dedup();
        let mut objects: Vec<&crate::ObjectId> = r
            .not_evaluated
            .iter()
            .filter(per_object)
            .map(|n| &n.object)
            .collect();
        objects.sort();
        objects.dedup();
        const SHOWN: usize = 8;
        let more = codes.len().saturating_sub(SHOWN);
        let _ = writeln!(
            out,
            "note: {} rule{} not evaluated for lack of context on {} object{} ({}{}); --show-not-evaluated lists why",
            codes.len(),
            if codes.len() == 1 { "" } else { "s" },
            objects.len(),
            if objects.len() == 1 { "" } else { "s" },
            codes[..codes.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
        );
    }
    while i < r.not_evaluated.len() && !opts.quiet {
        let n = &r.not_evaluated[i];
        let same = r.not_evaluated[i..]
            .iter()
            .take_while(|m| m.object == n.object && m.reason == n.reason)
            .count();
        if !opts.show_not_evaluated && per_object(&n) {
            i += same;
            continue;
        }
        let codes: Vec<&str> = r.not_evaluated[i..i + same]
            .iter()
            .map(|m| m.code)
            .collect();
        let _ = writeln!(
            out,
            "note: {} not evaluated for {}: {}",
            codes.join(", "),
            esc(&n.object.display()),
            esc(&n.reason)
        );
        i += same;
    }
    let s = &r.summary;
    let _ = writeln!(
        out,
        "{} finding{} ({} error, {} warning, {} info) in {} object{} {}; {} exempted, {} not evaluated{}{}",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.error,
        s.warning,
        s.info,
        s.objects,
        if s.objects == 1 { "" } else { "s" },
        if s.files == 0 && s.objects > 0 {
            // objects without files: a live cluster's
            "read from the cluster".to_string()
        } else {
            format!(
                "from {} file{}",
                s.files,
                if s.files == 1 { "" } else { "s" }
            )
        },
        s.exempted,
        s.not_evaluated,
        if s.baselined > 0 {
            format!(", {} in the baseline", s.baselined)
        } else {
            String::new()
        },
        if s.errors > 0 {
            format!(
                "; {} input error{}",
                s.errors,
                if s.errors == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        },
    );
    if let Some(score) = s.score {
        // on the summary line, before its line break
        out.pop();
        let _ = writeln!(out, "; score {score}/100");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NotEvaluatedOut, ObjectId, Summary, Tool};

    fn live_report() -> Report {
        let object = ObjectId {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "api".into(),
        };
        let rule = plimsoll_rules::registry::find("LIV002").unwrap().meta();
        Report {
            version: 1,
            tool: Tool {
                name: "plimsoll",
                version: "0",
            },
            findings: vec![FindingOut {
                code: rule.code,
                rule: rule.name,
                severity: Severity::Error,
                message: "container `api` is in CrashLoopBackOff".into(),
                object,
                container: Some("api".into()),
                path: "/status".into(),
                location: None,
                source: None,
                related: Vec::new(),
                fix: None,
                file_index: None,
            }],
            not_evaluated: ["API001", "REF003"]
                .into_iter()
                .map(|code| NotEvaluatedOut {
                    code,
                    object: ObjectId {
                        api_version: "v1".into(),
                        kind: "Secret".into(),
                        namespace: None,
                        name: String::new(),
                    },
                    reason: "secrets could not be read".into(),
                })
                .collect(),
            exempted: Vec::new(),
            unused_exemptions: Vec::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            summary: Summary {
                objects: 3,
                findings: 1,
                error: 1,
                not_evaluated: 2,
                ..Summary::default()
            },
            sources: Vec::new(),
        }
    }

    #[test]
    fn live_objects_are_named_where_a_file_would_be() {
        let text = render_text(
            &live_report(),
            TextOptions {
                show_not_evaluated: true,
                ..TextOptions::default()
            },
        );
        assert_eq!(
            text,
            "error[LIV002]: container `api` is in CrashLoopBackOff\n--> Deployment shop/api\n |\nnote: container api, path /status\n\nnote: API001, REF003 not evaluated for every Secret: secrets could not be read\n1 finding (1 error, 0 warning, 0 info) in 3 objects read from the cluster; 0 exempted, 2 not evaluated\n"
        );
        let concise = render_text(
            &live_report(),
            TextOptions {
                concise: true,
                ..TextOptions::default()
            },
        );
        assert!(
            concise.starts_with(
                "Deployment shop/api: error[LIV002] container `api` is in CrashLoopBackOff\n"
            ),
            "{concise}"
        );
        // --concise honours --color
        let colored = render_text(
            &live_report(),
            TextOptions {
                concise: true,
                color: true,
                ..TextOptions::default()
            },
        );
        assert!(
            colored.starts_with("Deployment shop/api: \x1b[1;31merror\x1b[0m[LIV002]"),
            "{colored:?}"
        );
    }

    #[test]
    fn quiet_statistics_and_folded_not_evaluated() {
        let mut r = live_report();
        r.summary.score = Some(66);
        // two rules that lacked context on one object
        for code in ["NET001", "RES009"] {
            r.not_evaluated.push(NotEvaluatedOut {
                code,
                object: ObjectId {
                    api_version: "v1".into(),
                    kind: "Namespace".into(),
                    namespace: None,
                    name: "shop".into(),
                },
                reason: "the input holds part of namespace shop".into(),
            });
        }
        let folded = render_text(&r, TextOptions::default());
        assert!(
            folded.contains(
                "note: 2 rules not evaluated for lack of context on 1 object (NET001, RES009); --show-not-evaluated lists why\n"
            ),
            "{folded}"
        );
        // a kind the audit could not read is about the run: always listed
        assert!(
            folded.contains("note: API001, REF003 not evaluated for every Secret"),
            "{folded}"
        );
        assert!(!folded.contains("part of namespace shop"), "{folded}");
        let listed = render_text(
            &r,
            TextOptions {
                show_not_evaluated: true,
                ..TextOptions::default()
            },
        );
        assert!(
            listed.contains("note: NET001, RES009 not evaluated for Namespace shop: the input holds part of namespace shop\n"),
            "{listed}"
        );
        assert!(folded.ends_with("; score 66/100\n"), "{folded}");
        let quiet = render_text(
            &r,
            TextOptions {
                quiet: true,
                ..TextOptions::default()
            },
        );
        assert_eq!(
            quiet,
            "1 finding (1 error, 0 warning, 0 info) in 3 objects read from the cluster; 0 exempted, 2 not evaluated; score 66/100\n"
        );
        let stats = render_text(
            &r,
            TextOptions {
                statistics: true,
                ..TextOptions::default()
            },
        );
        assert!(stats.starts_with("1  LIV002  "), "{stats}");
        assert!(!stats.contains("CrashLoopBackOff"), "{stats}");
    }
}
