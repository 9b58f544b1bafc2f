//! A self-contained HTML report: one file, no network.
//!
//! Everything is inline: the style sheet, a small script that filters and renders the
//! findings, and the findings themselves as JSON in a `<script type="application/json">`
//! block (every `<`, `>` and `&` in it is written as a `\u` escape, so no string from a
//! manifest can close the block or open a comment). Everything else is HTML-escaped
//! when it is written. A Content-Security-Policy forbids every load from the network.
//!
//! The page has the run's header (tool version, inputs), the [score](score), counts of
//! findings, input errors, not-evaluated and exempted entries, a table of findings by
//! rule group and severity, the findings (filters by severity, namespace, kind, rule
//! and free text), each with its source snippet, its fix and its rule's documentation,
//! then the input errors, not-evaluated entries, exemptions and notes. There is no
//! timestamp: the same input gives the same file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use plimsoll_rules::rule::{Applicability, Severity};
use plimsoll_rules::rules::GROUPS;
use serde_json::{Map, Value, json};

use crate::{FindingOut, Location, ObjectId, Report, rule_doc};

/// The page's Content-Security-Policy: nothing is loaded from anywhere; inline style,
/// inline script and `data:` images (the icon) only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// The Plimsoll mark: a circle crossed by a line.
const MARK_SVG: &str = r#"<svg class="mark" viewBox="0 0 32 32" aria-hidden="true"><circle cx="16" cy="16" r="11" fill="none" stroke="currentColor" stroke-width="3"/><path d="M1 16h30" stroke="currentColor" stroke-width="3"/></svg>"#;
const ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='16' cy='16' r='11' fill='none' stroke='%230b3a5b' stroke-width='3'/%3E%3Cpath d='M1 16h30' stroke='%230b3a5b' stroke-width='3'/%3E%3C/svg%3E";

/// Context lines shown above and below a finding's span.
const CONTEXT: u32 = 2;
/// Lines of a span shown at most (the rest of a long span is left out).
const SPAN_LINES: u32 = 6;
/// Characters of a source line shown at most (around the span).
const LINE_CHARS: usize = 160;

#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// The inputs as named on the command line, for the header.
    pub inputs: Vec<String>,
}

/// The report's score, 0 to 100.
///
/// Every object of the input earns a point when it has no finding at error or warning
/// severity, half a point when its worst finding is a warning, and nothing when it
/// has an error; the score is the share of points earned, in percent, rounded down (so
/// only a run without errors and warnings scores 100). Info findings do not count.
/// `None` when the input has no objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub value: u32,
    pub objects: usize,
    /// Objects with at least one error finding.
    pub with_errors: usize,
    /// Objects whose worst finding is a warning.
    pub with_warnings: usize,
}

/// The [`Score`] of `objects` objects with these findings (object, severity).
pub fn score<'a>(
    objects: usize,
    findings: impl IntoIterator<Item = (&'a ObjectId, Severity)>,
) -> Option<Score> {
    let mut worst: HashMap<&ObjectId, Severity> = HashMap::new();
    for (o, s) in findings {
        let w = worst.entry(o).or_insert(s);
        *w = (*w).max(s);
    }
    let with_errors = worst.values().filter(|s| **s == Severity::Error).count();
    let with_warnings = worst.values().filter(|s| **s == Severity::Warning).count();
    // objects with findings are always among the objects; clamp all the same
    let objects_n = objects.max(with_errors + with_warnings);
    if objects_n == 0 {
        return None;
    }
    let points2 = 2 * (objects_n - with_errors - with_warnings) + with_warnings;
    let value = (100 * points2 / (2 * objects_n)) as u32;
    Some(Score {
        value,
        objects: objects_n,
        with_errors,
        with_warnings,
    })
}

/// The score of a report.
pub fn report_score(r: &Report) -> Option<Score> {
    score(
        r.summary.objects,
        r.findings.iter().map(|f| (&f.object, f.severity)),
    )
}

/// Escapes text for HTML content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside `<script type="application/json">`: no `<`, `>` or `&`
/// outside `\u` escapes (so neither `</script>` nor `<!--` can occur), and the line
/// separators JavaScript once treated as line ends escaped too.
pub fn script_json(v: &Value) -> String {
    let s = serde_json::to_string(v).expect("JSON serializes");
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with the backtick-quoted parts of messages as `<code>`.
fn rich(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let mut out = String::with_capacity(s.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1 && i + 1 < parts.len() {
            let _ = write!(out, "<code>{}</code>", html_escape(p));
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&html_escape(p));
        }
    }
    out
}

// ---------------------------------------------------------------- Markdown

/// Inline Markdown of the rule docs: code spans, autolinks, `[text](url)`, `**strong**`
/// and `*emphasis*`. Everything else is escaped.
fn inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let find = |from: usize, pat: &[char]| -> Option<usize> {
        (from..chars.len().saturating_sub(pat.len() - 1)).find(|&j| chars[j..].starts_with(pat))
    };
    let text = |a: usize, b: usize| -> String { chars[a..b].iter().collect() };
    while i < chars.len() {
        let c = chars[i];
        if c == '`'
            && let Some(end) = find(i + 1, &['`'])
        {
            let _ = write!(out, "<code>{}</code>", html_escape(&text(i + 1, end)));
            i = end + 1;
            continue;
        }
        if c == '<'
            && let Some(end) = find(i + 1, &['>'])
        {
            let url = text(i + 1, end);
            if (url.starts_with("https://") || url.starts_with("http://"))
                && !url.contains(char::is_whitespace)
            {
                let u = html_escape(&url);
                let _ = write!(out, "<a href=\"{u}\" rel=\"noreferrer\">{u}</a>");
                i = end + 1;
                continue;
            }
        }
        if c == '['
            && let Some(close) = find(i + 1, &[']', '('])
            && let Some(end) = find(close + 2, &[')'])
        {
            let url = text(close + 2, end);
            if url.starts_with("https://") || url.starts_with("http://") || url.starts_with('#') {
                let _ = write!(
                    out,
                    "<a href=\"{}\" rel=\"noreferrer\">{}</a>",
                    html_escape(&url),
                    inline(&text(i + 1, close))
                );
                i = end + 1;
                continue;
            }
        }
        if c == '*' && chars.get(i + 1) == Some(&'*') {
            if let Some(end) = find(i + 2, &['*', '*'])
                && end > i + 2
            {
                let _ = write!(out, "<strong>{}</strong>", inline(&text(i + 2, end)));
                i = end + 2;
                continue;
            }
        } else if c == '*'
            && chars.get(i + 1).is_some_and(|n| !n.is_whitespace())
            && let Some(end) = find(i + 1, &['*'])
            && end > i + 1
            && !chars[end - 1].is_whitespace()
        {
            let _ = write!(out, "<em>{}</em>", inline(&text(i + 1, end)));
            i = end + 1;
            continue;
        }
        out.push_str(&html_escape(c.encode_utf8(&mut [0; 4])));
        i += 1;
    }
    out
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
        return Some((false, rest));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && t[digits..].starts_with(". ") {
        return Some((true, &t[digits + 2..]));
    }
    None
}

/// The subset of Markdown that rule docs use: `##` headings, paragraphs, fenced code
/// blocks, bullet and numbered lists, and the inline forms of [`inline`]. Headings
/// become `<h4>`.
pub fn markdown_to_html(md: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Option<(bool, Vec<String>)> = None;
    let flush_para = |out: &mut String, para: &mut Vec<&str>| {
        if !para.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", inline(&para.join("\n")));
            para.clear();
        }
    };
    let flush_list = |out: &mut String, list: &mut Option<(bool, Vec<String>)>| {
        if let Some((ordered, items)) = list.take() {
            let tag = if ordered { "ol" } else { "ul" };
            let _ = write!(out, "<{tag}>");
            for it in items {
                let _ = write!(out, "<li>{}</li>", inline(&it));
            }
            let _ = writeln!(out, "</{tag}>");
        }
    };
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.trim_start().strip_prefix("```") {
            flush_para(&mut out, &mut para);
            flush_list(&mut out, &mut list);
            let mut code = String::new();
            for l in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                code.push_str(l);
                code.push('\n');
            }
            let lang = lang.trim();
            let _ = writeln!(
                out,
                "<pre class=\"code-block\"{}><code>{}</code></pre>",
                if lang.is_empty() {
                    String::new()
                } else {
                    format!(" data-lang=\"{}\"", html_escape(lang))
                },
                html_escape(code.trim_end_matches('\n'))
            );
            continue;
        }
        if line.trim().is_empty() {
            flush_para(&mut out, &mut para);
            flush_list(&mut out, &mut list);
            continue;
        }
        let hashes = line.bytes().take_while(|b| *b == b'#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            flush_para(&mut out, &mut para);
            flush_list(&mut out, &mut list);
            let _ = writeln!(out, "<h4>{}</h4>", inline(line[hashes..].trim()));
            continue;
        }
        if let Some((ordered, rest)) = list_item(line) {
            flush_para(&mut out, &mut para);
            match &mut list {
                Some((o, items)) if *o == ordered => items.push(rest.to_string()),
                _ => {
                    flush_list(&mut out, &mut list);
                    list = Some((ordered, vec![rest.to_string()]));
                }
            }
            continue;
        }
        if let Some((_, items)) = &mut list
            && line.starts_with(' ')
            && let Some(last) = items.last_mut()
        {
            last.push('\n');
            last.push_str(line.trim());
            continue;
        }
        flush_list(&mut out, &mut list);
        para.push(line);
    }
    flush_para(&mut out, &mut para);
    flush_list(&mut out, &mut list);
    out
}

// ---------------------------------------------------------------- snippets

/// Byte offsets of the line starts of a text.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Line `n` (1-based) without its line break.
fn line_of<'t>(text: &'t str, starts: &[usize], n: u32) -> Option<&'t str> {
    let i = (n as usize).checked_sub(1)?;
    let start = *starts.get(i)?;
    if start > text.len() || (start == text.len() && i > 0) {
        return None;
    }
    let end = starts.get(i + 1).map_or(text.len(), |e| e - 1);
    Some(text[start..end].trim_end_matches('\r'))
}

/// One source line split into (before, marked, after), cut to [`LINE_CHARS`] around
/// the mark. `mark` is a range of 0-based character indices.
fn split_line(line: &str, mark: Option<(usize, usize)>) -> [String; 3] {
    let chars: Vec<char> = line.chars().collect();
    let len = chars.len();
    let (ms, me) = match mark {
        Some((s, e)) => (s.min(len), e.min(len).max(s.min(len))),
        None => (len, len),
    };
    let (from, to) = if len <= LINE_CHARS {
        (0, len)
    } else {
        let anchor = if mark.is_some() { ms } else { 0 };
        let from = anchor.saturating_sub(LINE_CHARS / 4).min(len - LINE_CHARS);
        (from, from + LINE_CHARS)
    };
    let cut = |a: usize, b: usize| -> String {
        let (a, b) = (a.clamp(from, to), b.clamp(from, to));
        chars[a..b].iter().collect()
    };
    let mut pre = cut(0, ms);
    let mut marked = cut(ms, me);
    let mut post = cut(me, len);
    if from > 0 {
        pre.insert(0, '…');
    }
    if to < len {
        post.push('…');
    }
    if mark.is_some() && marked.is_empty() {
        // a zero-width span: mark the next character, or a space at the end
        if post.is_empty() || post == "…" {
            marked.push(' ');
        } else {
            let c = post.remove(0);
            marked.push(c);
        }
    }
    [pre, marked, post]
}

/// The lines around a location, each split by the span: `{"start": n, "lines": [[before,
/// marked, after], ...]}`.
fn snippet(text: &str, starts: &[usize], loc: &Location) -> Option<Value> {
    snippet_at(text, starts, loc, 0, CONTEXT)
}

/// A snippet whose lines stand `shift` lines further down in `text` than the location
/// says (a rendered input: the location is in the template, the text is the renderer's
/// output), with `context` lines around the marked ones.
fn snippet_at(
    text: &str,
    starts: &[usize],
    loc: &Location,
    shift: u32,
    context: u32,
) -> Option<Value> {
    let (line, col) = (loc.line?, loc.column.unwrap_or(1).max(1));
    let (mut end_line, mut end_col) = match (loc.end_line, loc.end_column) {
        (Some(l), Some(c)) if l >= line => (l, c),
        _ => (line, col),
    };
    // a span that ends at the start of a line ends with the line before
    if end_line > line && end_col <= 1 {
        end_line -= 1;
        end_col = u32::MAX;
    }
    let last_marked = end_line.min(line + SPAN_LINES - 1);
    let first = line.saturating_sub(context).max(1);
    let last = last_marked + context;
    let mut lines = Vec::new();
    for n in first..=last {
        let Some(l) = line_of(text, starts, n + shift) else {
            break;
        };
        let mark = if n < line || n > last_marked {
            None
        } else {
            let s = if n == line { col - 1 } else { 0 };
            let e = if n == end_line {
                end_col.saturating_sub(1)
            } else {
                u32::MAX
            };
            Some((s as usize, (e as usize).max(s as usize)))
        };
        let [a, b, c] = split_line(l, mark);
        lines.push(json!([a, b, c]));
    }
    // the finding's own line must be there
    if lines.len() <= (line - first) as usize {
        return None;
    }
    Some(json!({ "start": first, "lines": lines }))
}

// ---------------------------------------------------------------- data

fn group_of(code: &str) -> &str {
    let end = code
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(code.len());
    &code[..end]
}

fn group_title(prefix: &str) -> &'static str {
    GROUPS
        .iter()
        .find(|g| g.prefix == prefix)
        .map_or("", |g| g.title)
}

/// Group prefixes in documentation order, unknown ones last.
fn group_order<'a>(present: &BTreeSet<&'a str>) -> Vec<&'a str> {
    let mut order: Vec<&str> = GROUPS
        .iter()
        .filter_map(|g| present.get(g.prefix).copied())
        .collect();
    for p in present {
        if !order.contains(p) {
            order.push(p);
        }
    }
    order
}

fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display-only",
    }
}

fn at(loc: &Location) -> String {
    match (loc.line, loc.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", loc.file),
        (Some(l), None) => format!("{}:{l}", loc.file),
        _ => loc.file.clone(),
    }
}

/// A JSON Patch operation on one line: `replace /spec/replicas 3`, `remove /x`.
fn patch_line(op: &Value) -> String {
    match (op["op"].as_str(), op["path"].as_str()) {
        (Some(name), Some(path)) => {
            let mut line = format!("{name} {path}");
            if let Some(from) = op["from"].as_str() {
                let _ = write!(line, " from {from}");
            }
            if let Some(v) = op.get("value") {
                let _ = write!(line, " {v}");
            }
            line
        }
        _ => op.to_string(),
    }
}

fn finding_data(f: &FindingOut, snippet: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("code".into(), f.code.into());
    m.insert("rule".into(), f.rule.into());
    m.insert("group".into(), group_of(f.code).into());
    m.insert("severity".into(), f.severity.as_str().into());
    m.insert("message".into(), f.message.as_str().into());
    m.insert("apiVersion".into(), f.object.api_version.as_str().into());
    m.insert("kind".into(), f.object.kind.as_str().into());
    m.insert(
        "namespace".into(),
        f.object
            .namespace
            .as_deref()
            .map_or(Value::Null, Value::from),
    );
    m.insert("name".into(), f.object.name.as_str().into());
    if let Some(c) = &f.container {
        m.insert("container".into(), c.as_str().into());
    }
    m.insert("path".into(), f.path.as_str().into());
    if let Some(l) = &f.location {
        m.insert("at".into(), at(l).into());
        m.insert("file".into(), l.file.as_str().into());
    }
    if let Some(s) = snippet {
        m.insert("snippet".into(), s);
    }
    if !f.related.is_empty() {
        let rel: Vec<Value> = f
            .related
            .iter()
            .map(|r| {
                let mut v = json!({ "object": r.object.display(), "path": r.path });
                if let Some(l) = &r.location {
                    v["at"] = at(l).into();
                }
                v
            })
            .collect();
        m.insert("related".into(), rel.into());
    }
    if let Some(fix) = &f.fix {
        let edits: Vec<String> = fix.edits.iter().map(patch_line).collect();
        m.insert(
            "fix".into(),
            json!({
                "applicability": applicability(fix.applicability),
                "title": fix.title,
                "edits": edits.join("\n"),
            }),
        );
    }
    Value::Object(m)
}

/// The page's data: findings (with snippets) and the rules and groups they name.
fn data(r: &Report) -> Value {
    let mut starts: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let text = f
                .file_index
                .and_then(|i| r.sources.get(i))
                .and_then(|s| s.text.as_deref());
            let rendered = f
                .file_index
                .and_then(|i| r.sources.get(i))
                .is_some_and(|s| s.rendered.is_some());
            let snip = match (text, &f.location, f.file_index) {
                // a rendered input's text is the renderer's output: where the location
                // in the template is exact, the same lines stand `shift` lines further
                // down in it; only the marked lines are shown, since lines around them
                // in the output need not be the template's
                (Some(text), Some(loc), Some(i)) if rendered => {
                    match (loc.line, f.source.as_ref().and_then(|s| s.rendered_line)) {
                        (Some(line), Some(rl)) if rl >= line => {
                            let st = starts.entry(i).or_insert_with(|| line_starts(text));
                            snippet_at(text, st, loc, rl - line, 0)
                        }
                        _ => None,
                    }
                }
                (Some(text), Some(loc), Some(i)) => {
                    let st = starts.entry(i).or_insert_with(|| line_starts(text));
                    snippet(text, st, loc)
                }
                _ => None,
            };
            finding_data(f, snip)
        })
        .collect();
    let mut rules = Map::new();
    let mut prefixes: BTreeSet<&str> = BTreeSet::new();
    for f in &r.findings {
        let g = group_of(f.code);
        prefixes.insert(g);
        rules.entry(f.code).or_insert_with(|| {
            let summary =
                plimsoll_rules::registry::find(f.code).map_or("", |rule| rule.meta().summary);
            json!({ "name": f.rule, "group": g, "summary": summary })
        });
    }
    let groups: Vec<Value> = group_order(&prefixes)
        .into_iter()
        .map(|g| json!([g, group_title(g)]))
        .collect();
    json!({ "findings": findings, "rules": rules, "groups": groups })
}

// ---------------------------------------------------------------- page

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn score_band(v: u32) -> &'static str {
    match v {
        90.. => "good",
        70..=89 => "fair",
        _ => "poor",
    }
}

fn write_score(out: &mut String, r: &Report) {
    let s = report_score(r);
    let (value, band, detail) = match s {
        Some(s) => (
            s.value.to_string(),
            score_band(s.value),
            format!(
                "<dl class=\"score-break\"><dt class=\"e\">with errors</dt><dd>{}</dd><dt class=\"w\">warnings only</dt><dd>{}</dd><dt class=\"c\">clean</dt><dd>{}</dd><dt class=\"all\">objects</dt><dd>{}</dd></dl>",
                s.with_errors,
                s.with_warnings,
                s.objects - s.with_errors - s.with_warnings,
                s.objects,
            ),
        ),
        None => (
            "–".to_string(),
            "none",
            "<div class=\"score-detail\">No objects in the input.</div>".to_string(),
        ),
    };
    // a ring: the arc is the score
    let c = 2.0 * std::f64::consts::PI * 42.0;
    let arc = s.map_or(0.0, |s| c * f64::from(s.value) / 100.0);
    let fg = if arc > 0.0 {
        format!(
            "<circle cx=\"50\" cy=\"50\" r=\"42\" class=\"ring-fg\" stroke-dasharray=\"{arc:.2} {c:.2}\" transform=\"rotate(-90 50 50)\"/>"
        )
    } else {
        String::new()
    };
    let _ = write!(
        out,
        r##"<section class="card score score-{band}" aria-label="score">
<svg class="ring" viewBox="0 0 100 100" aria-hidden="true"><circle cx="50" cy="50" r="42" class="ring-bg"/>{fg}</svg>
<div class="score-text"><div class="score-label">Score</div><div class="score-value" id="score" data-score="{value}">{value}<span class="score-max">/100</span></div>
{detail}<a class="score-how" href="#score-formula">How it is computed</a>{}</div>
</section>
"##,
        if r.errors.is_empty() {
            String::new()
        } else {
            format!(
                "<div class=\"score-warn\">Incomplete: {} could not be read</div>",
                plural(r.errors.len(), "input", "inputs")
            )
        },
    );
}

fn write_counts(out: &mut String, r: &Report) {
    let s = &r.summary;
    let items: &[(&str, &str, usize, &str)] = &[
        ("findings", "Findings", s.findings, ""),
        ("error", "Errors", s.error, "error"),
        ("warning", "Warnings", s.warning, "warning"),
        ("info", "Info", s.info, "info"),
        ("objects", "Objects", s.objects, ""),
        ("files", "Files", s.files, ""),
        ("notEvaluated", "Not evaluated", s.not_evaluated, ""),
        ("exempted", "Exempted", s.exempted, ""),
        ("errors", "Input errors", s.errors, "count-input-errors"),
    ];
    out.push_str("<section class=\"counts\" aria-label=\"counts\">\n");
    for (key, label, n, class) in items {
        let zero = if *n == 0 { " zero" } else { "" };
        let _ = writeln!(
            out,
            "<div class=\"count {class}{zero}\"><div class=\"count-n\" data-summary=\"{key}\">{n}</div><div class=\"count-label\">{label}</div></div>"
        );
    }
    if s.baselined > 0 {
        let _ = writeln!(
            out,
            "<div class=\"count\"><div class=\"count-n\" data-summary=\"baselined\">{}</div><div class=\"count-label\">In the baseline</div></div>",
            s.baselined
        );
    }
    out.push_str("</section>\n");
}

fn write_groups(out: &mut String, r: &Report) {
    let mut by: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for f in &r.findings {
        let i = match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        };
        by.entry(group_of(f.code)).or_default()[i] += 1;
    }
    if by.is_empty() {
        return;
    }
    out.push_str("<section class=\"card\" id=\"by-group\"><h2>Findings by rule group</h2>\n");
    let present: BTreeSet<&str> = by.keys().copied().collect();
    let order = group_order(&present);
    out.push_str("<table class=\"groups\"><thead><tr><th>Group</th><th class=\"num\">Error</th><th class=\"num\">Warning</th><th class=\"num\">Info</th><th class=\"num\">Total</th></tr></thead><tbody>\n");
    let mut total = [0usize; 3];
    for g in order {
        let n = by[g];
        let g = html_escape(g);
        let _ = write!(
            out,
            "<tr data-group=\"{g}\"><th scope=\"row\"><span class=\"gp\">{g}</span> {}</th>",
            html_escape(group_title(&g))
        );
        for (i, sev) in ["error", "warning", "info"].iter().enumerate() {
            total[i] += n[i];
            if n[i] == 0 {
                let _ = write!(
                    out,
                    "<td class=\"num zero\" data-sev=\"{sev}\" data-n=\"0\">0</td>"
                );
            } else {
                let _ = write!(
                    out,
                    "<td class=\"num\" data-sev=\"{sev}\" data-n=\"{0}\"><button type=\"button\" class=\"cell sev-{sev}\" data-group=\"{g}\" data-sev=\"{sev}\" title=\"Show these findings\">{0}</button></td>",
                    n[i]
                );
            }
        }
        let _ = writeln!(
            out,
            "<td class=\"num total\"><button type=\"button\" class=\"cell\" data-group=\"{g}\" title=\"Show these findings\">{}</button></td></tr>",
            n.iter().sum::<usize>()
        );
    }
    let _ = writeln!(
        out,
        "</tbody><tfoot><tr><th scope=\"row\">All groups</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num total\">{}</td></tr></tfoot></table></section>",
        total[0],
        total[1],
        total[2],
        total.iter().sum::<usize>()
    );
}

fn object_cell(o: &ObjectId) -> String {
    format!(
        "<span class=\"kind\">{}</span> {}",
        html_escape(&o.kind),
        html_escape(&match &o.namespace {
            Some(ns) => format!("{ns}/{}", o.name),
            None => o.name.clone(),
        })
    )
}

fn write_errors(out: &mut String, r: &Report) {
    if r.errors.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section class=\"card input-errors\" id=\"input-errors\"><h2>Input errors <span class=\"pill\">{}</span></h2>\n<p>These inputs could not be read or parsed; their objects were not checked.</p><ul class=\"errors\">",
        r.errors.len()
    );
    for e in &r.errors {
        let where_ = match (&e.file, e.line, e.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            (Some(f), Some(l), None) => format!("{f}:{l}"),
            (Some(f), None, _) => f.clone(),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<li class=\"input-error\"><code class=\"loc\">{}</code> {}</li>",
            html_escape(&where_),
            rich(&e.message)
        );
    }
    out.push_str("</ul></section>\n");
}

fn write_tables(out: &mut String, r: &Report) {
    if !r.not_evaluated.is_empty() {
        let _ = writeln!(
            out,
            "<section class=\"card\" id=\"not-evaluated\"><details open><summary><h2>Not evaluated <span class=\"pill\">{}</span></h2></summary>\n<p class=\"muted\">Rules that could not judge an object because what they need is not in the input. These are not passes.</p>\n<table class=\"list\"><thead><tr><th>Rule</th><th>Object</th><th>Reason</th></tr></thead><tbody>",
            r.not_evaluated.len()
        );
        for n in &r.not_evaluated {
            let _ = writeln!(
                out,
                "<tr class=\"not-evaluated\"><td><a class=\"code\" href=\"#rule-{0}\">{0}</a></td><td>{1}</td><td>{2}</td></tr>",
                html_escape(n.code),
                object_cell(&n.object),
                rich(&n.reason)
            );
        }
        out.push_str("</tbody></table></details></section>\n");
    }
    if !r.exempted.is_empty() {
        let _ = writeln!(
            out,
            "<section class=\"card\" id=\"exempted\"><details><summary><h2>Exempted <span class=\"pill\">{}</span></h2></summary>\n<table class=\"list\"><thead><tr><th>Rule</th><th>Object</th><th>Container</th><th>Location</th><th>Via</th><th>Reason</th></tr></thead><tbody>",
            r.exempted.len()
        );
        for e in &r.exempted {
            let via = match e.via {
                plimsoll_rules::engine::Via::Annotation => "annotation",
                plimsoll_rules::engine::Via::Comment => "comment",
                plimsoll_rules::engine::Via::Config => "config",
            };
            let _ = writeln!(
                out,
                "<tr class=\"exempted\"><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{via}</td><td>{}</td></tr>",
                html_escape(e.code),
                object_cell(&e.object),
                html_escape(e.container.as_deref().unwrap_or("")),
                html_escape(&e.location.as_ref().map(at).unwrap_or_default()),
                rich(&e.reason)
            );
        }
        out.push_str("</tbody></table></details></section>\n");
    }
    if !r.unused_exemptions.is_empty() || !r.notes.is_empty() {
        out.push_str("<section class=\"card\" id=\"notes\"><details><summary><h2>Notes</h2></summary>\n<ul class=\"notes\">");
        for u in &r.unused_exemptions {
            let _ = writeln!(
                out,
                "<li>Unused exemption <code>{}</code> at {}</li>",
                html_escape(&u.code),
                html_escape(&u.location)
            );
        }
        for n in &r.notes {
            let _ = writeln!(
                out,
                "<li>{}{}</li>",
                n.file
                    .as_ref()
                    .map(|f| format!("<code>{}</code>: ", html_escape(f)))
                    .unwrap_or_default(),
                rich(&n.message)
            );
        }
        out.push_str("</ul></details></section>\n");
    }
}

fn write_rules(out: &mut String, r: &Report) {
    let mut counts: BTreeMap<&'static str, (usize, &'static str)> = BTreeMap::new();
    for f in &r.findings {
        counts.entry(f.code).or_insert((0, f.rule)).0 += 1;
    }
    let mut not_evaluated: BTreeMap<&'static str, usize> = BTreeMap::new();
    for n in &r.not_evaluated {
        *not_evaluated.entry(n.code).or_default() += 1;
    }
    let mut codes: BTreeSet<&'static str> = counts.keys().copied().collect();
    codes.extend(not_evaluated.keys());
    if codes.is_empty() {
        return;
    }
    out.push_str("<section class=\"card\" id=\"rules\"><h2>Rules in this report</h2>\n");
    for code in codes {
        let meta = plimsoll_rules::registry::find(code).map(|r| r.meta());
        let (name, severity, summary) = match meta {
            Some(m) => (m.name, m.severity.as_str(), m.summary),
            None => (counts.get(code).map_or("", |c| c.1), "", ""),
        };
        let mut tally = Vec::new();
        if let Some(c) = counts.get(code) {
            tally.push(plural(c.0, "finding", "findings"));
        }
        if let Some(n) = not_evaluated.get(code) {
            tally.push(format!("{n} not evaluated"));
        }
        let code_e = html_escape(code);
        let _ = writeln!(
            out,
            "<details class=\"rule\" id=\"rule-{code_e}\"><summary><code class=\"code\">{code_e}</code> <span class=\"rule-name\">{}</span> <span class=\"badge sev-{severity}\">{severity}</span> <span class=\"muted\">{}</span> <span class=\"pill\">{}</span></summary>\n<div class=\"doc\" id=\"doc-{code_e}\">\n{}</div></details>",
            html_escape(name),
            html_escape(summary),
            tally.join(", "),
            markdown_to_html(&rule_doc(code).unwrap_or_default()),
        );
    }
    out.push_str("</section>\n");
}

const SCORE_FORMULA: &str = "<section class=\"card about\" id=\"score-formula\"><h2>How the score is computed</h2>\n<p>Every object in the input earns one point when it has no finding at error or warning severity, half a point when its worst finding is a warning, and no point when it has an error. The score is the share of points earned, in percent, rounded down: only a run without errors and warnings scores 100. Info findings, exemptions and not-evaluated rules do not change it; an input that could not be read contributes no objects, so the score is marked incomplete.</p>\n<p class=\"formula\"><code>score = ⌊100 × (objects − with errors − ½ × with warnings only) ÷ objects⌋</code></p></section>\n";

/// The report as one self-contained HTML page.
pub fn render_html(r: &Report, opts: &HtmlOptions) -> String {
    let s = &r.summary;
    let mut out = String::with_capacity(64 * 1024 + r.findings.len() * 800);
    let title = format!(
        "plimsoll report: {} ({} error, {} warning, {} info)",
        plural(s.findings, "finding", "findings"),
        s.error,
        s.warning,
        s.info
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"{} {}\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n<link rel=\"icon\" href=\"{ICON}\">\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        r.tool.name,
        r.tool.version,
        html_escape(&title)
    );
    let inputs = if opts.inputs.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = opts
            .inputs
            .iter()
            .map(|i| {
                format!(
                    "<code>{}</code>",
                    html_escape(if i == "-" { "stdin" } else { i })
                )
            })
            .collect();
        format!("<span class=\"inputs\">{}</span>", list.join(" "))
    };
    let _ = write!(
        out,
        "<header class=\"top\"><div class=\"wrap\">{MARK_SVG}<div class=\"brand\"><h1>plimsoll report</h1><div class=\"sub\"><span class=\"tool\">{} {}</span>{inputs}<span>{} · {}</span></div></div></div></header>\n<main class=\"wrap\">\n",
        html_escape(r.tool.name),
        html_escape(r.tool.version),
        plural(s.files, "file", "files"),
        plural(s.objects, "object", "objects"),
    );
    out.push_str("<div class=\"overview\">\n");
    write_score(&mut out, r);
    write_counts(&mut out, r);
    out.push_str("</div>\n");
    write_errors(&mut out, r);
    write_groups(&mut out, r);
    let _ = write!(
        out,
        r#"<section class="card findings-card" id="findings"><h2>Findings</h2>
<noscript><p class="muted">The findings are shown by the page's script; the JSON report (<code>--format json</code>) has them without one.</p></noscript>
<form class="filters" id="filters" autocomplete="off" onsubmit="return false">
<fieldset class="sev-filter"><legend>Severity</legend>
<label class="chip sev-error"><input type="checkbox" name="severity" value="error" checked> Error <span class="n" data-facet="error"></span></label>
<label class="chip sev-warning"><input type="checkbox" name="severity" value="warning" checked> Warning <span class="n" data-facet="warning"></span></label>
<label class="chip sev-info"><input type="checkbox" name="severity" value="info" checked> Info <span class="n" data-facet="info"></span></label>
</fieldset>
<label class="field">Namespace <select id="f-namespace"><option value="">All namespaces</option></select></label>
<label class="field">Kind <select id="f-kind"><option value="">All kinds</option></select></label>
<label class="field">Rule <select id="f-rule"><option value="">All rules</option></select></label>
<label class="field grow">Search <input type="search" id="f-text" placeholder="message, object, file, rule…"></label>
<button type="button" id="f-reset" class="reset">Reset</button>
</form>
<div class="result-line"{hide_empty_line}><span id="match-count" data-n="{n}" data-total="{n}">{n_text}</span></div>
<div id="finding-list" class="finding-list"></div>
<div id="empty" class="empty"{hide_empty}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 12.5l5 5L20 6.5" fill="none" stroke="currentColor" stroke-width="2.5"/></svg><span>{empty_text}</span></div>
<div id="more" class="more" hidden><button type="button" id="show-more">Show more</button></div>
</section>
"#,
        n = s.findings,
        n_text = plural(s.findings, "finding", "findings"),
        hide_empty = if s.findings == 0 { "" } else { " hidden" },
        hide_empty_line = if s.findings == 0 { " hidden" } else { "" },
        empty_text = if s.findings == 0 {
            "No findings"
        } else {
            "No finding matches these filters"
        },
    );
    write_tables(&mut out, r);
    write_rules(&mut out, r);
    out.push_str(SCORE_FORMULA);
    let _ = write!(
        out,
        "</main>\n<footer class=\"wrap foot\">Generated by {} {}. This page loads nothing from the network.</footer>\n<script type=\"application/json\" id=\"plimsoll-data\">{}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        html_escape(r.tool.name),
        html_escape(r.tool.version),
        script_json(&data(r)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> ObjectId {
        ObjectId {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some("ns".into()),
            name: name.into(),
        }
    }

    #[test]
    fn patches_on_one_line() {
        assert_eq!(
            patch_line(&json!({"op": "remove", "path": "/spec/replicas"})),
            "remove /spec/replicas"
        );
        assert_eq!(
            patch_line(&json!({"op": "add", "path": "/a", "value": {"b": [1]}})),
            "add /a {\"b\":[1]}"
        );
        assert_eq!(patch_line(&json!(3)), "3");
    }

    #[test]
    fn backticks_become_code() {
        assert_eq!(
            rich("ServiceAccount `a<b>` is `x` and `open"),
            "ServiceAccount <code>a&lt;b&gt;</code> is <code>x</code> and `open"
        );
    }

    #[test]
    fn score_formula() {
        let (a, b, c) = (id("a"), id("b"), id("c"));
        assert_eq!(score(0, []), None);
        assert_eq!(score(4, []).unwrap().value, 100);
        // a: error (and a warning), b: warning, c: info only; 4 objects
        let s = score(
            4,
            [
                (&a, Severity::Warning),
                (&a, Severity::Error),
                (&b, Severity::Warning),
                (&c, Severity::Info),
            ],
        )
        .unwrap();
        assert_eq!((s.with_errors, s.with_warnings), (1, 1));
        // (4 - 1 - 0.5) / 4 = 62.5 %
        assert_eq!(s.value, 62);
        // one warning among 1000 objects is not 100
        assert_eq!(score(1000, [(&a, Severity::Warning)]).unwrap().value, 99);
        assert_eq!(score(1, [(&a, Severity::Error)]).unwrap().value, 0);
    }

    #[test]
    fn script_json_cannot_close_the_block() {
        let v = json!({"m": "</script><!-- <script>alert(1)</script> & \u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(!s.contains('\u{2028}'));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn markdown_subset() {
        let md = "## What it does\nReports `a<b>` and *this*,\n**that**.\n\n```yaml\nx: <y>\n```\n\n- <https://kubernetes.io/a?b=1&c=2>\n- [docs](https://example.org)\n  continued\n\n1. one\n2. two\n\n<script>alert(1)</script> `*/5 * * * *` *not closed";
        let h = markdown_to_html(md);
        assert!(h.contains("<h4>What it does</h4>"), "{h}");
        assert!(
            h.contains(
                "<p>Reports <code>a&lt;b&gt;</code> and <em>this</em>,\n<strong>that</strong>.</p>"
            ),
            "{h}"
        );
        assert!(
            h.contains(
                "<pre class=\"code-block\" data-lang=\"yaml\"><code>x: &lt;y&gt;</code></pre>"
            ),
            "{h}"
        );
        assert!(h.contains("<li><a href=\"https://kubernetes.io/a?b=1&amp;c=2\" rel=\"noreferrer\">https://kubernetes.io/a?b=1&amp;c=2</a></li>"), "{h}");
        assert!(
            h.contains(
                "<li><a href=\"https://example.org\" rel=\"noreferrer\">docs</a>\ncontinued</li>"
            ),
            "{h}"
        );
        assert!(h.contains("<ol><li>one</li><li>two</li></ol>"), "{h}");
        assert!(
            h.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt; <code>*/5 * * * *</code> *not closed"
            ),
            "{h}"
        );
        assert!(!h.contains("<script"));
    }

    #[test]
    fn every_rule_doc_renders() {
        for r in plimsoll_rules::registry::all_rules() {
            let h = markdown_to_html(&rule_doc(r.meta().code).unwrap());
            assert!(h.contains("<h4>What it does</h4>"), "{}", r.meta().code);
            assert!(!h.contains("<script"), "{}", r.meta().code);
        }
    }

    fn loc(line: u32, col: u32, end_line: u32, end_col: u32) -> Location {
        Location {
            file: "f.yaml".into(),
            line: Some(line),
            column: Some(col),
            end_line: Some(end_line),
            end_column: Some(end_col),
        }
    }

    #[test]
    fn rendered_snippets_show_the_template_lines_only() {
        // the template's line 2 is line 5 of the renderer's output
        let rendered = "---\n# Source: c/templates/a.yaml\nkind: A\nmetadata:\n  labels:\n---\n";
        let st = line_starts(rendered);
        let s = snippet_at(rendered, &st, &loc(2, 3, 2, 9), 3, 0).unwrap();
        assert_eq!(s["start"], 2);
        assert_eq!(s["lines"], json!([["  ", "labels", ":"]]));
    }

    #[test]
    fn snippets_mark_the_span() {
        let text = "a: 1\nb: 2\nkey: välue\nd: 4\ne: 5\nf: 6\n";
        let st = line_starts(text);
        let s = snippet(text, &st, &loc(3, 6, 3, 11)).unwrap();
        assert_eq!(s["start"], 1);
        let lines = s["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[2], json!(["key: ", "välue", ""]));
        assert_eq!(lines[0], json!(["a: 1", "", ""]));
        // a block ending at the start of the next line marks whole lines
        let s = snippet(text, &st, &loc(2, 1, 4, 1)).unwrap();
        let lines = s["lines"].as_array().unwrap();
        assert_eq!(lines[1], json!(["", "b: 2", ""]));
        assert_eq!(lines[2], json!(["", "key: välue", ""]));
        assert_eq!(lines[3], json!(["d: 4", "", ""]));
        // zero-width at the end of a line
        let s = snippet(text, &st, &loc(1, 5, 1, 5)).unwrap();
        assert_eq!(s["lines"][0], json!(["a: 1", " ", ""]));
        // the last line without a newline, and a line past the end
        assert!(snippet("x: 1", &line_starts("x: 1"), &loc(1, 1, 1, 2)).is_some());
        assert!(snippet(text, &st, &loc(40, 1, 40, 2)).is_none());
    }

    #[test]
    fn long_lines_are_cut_around_the_mark() {
        let line = format!("{}TARGET{}", "x".repeat(500), "y".repeat(500));
        let [a, b, c] = split_line(&line, Some((500, 506)));
        assert_eq!(b, "TARGET");
        assert!(a.starts_with('…') && c.ends_with('…'));
        assert_eq!(
            a.chars().count() + b.len() + c.chars().count(),
            LINE_CHARS + 2
        );
    }
}
