//! GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line
//! per finding, which the runner turns into annotations on the pull request.
//!
//! Escaping follows `@actions/core`: in the message `%`, `\r`, `\n` become `%25`,
//! `%0D`, `%0A`; in property values `:` and `,` are escaped as well (`%3A`, `%2C`).
//! Every other control character (C0, DEL, C1) is shown as `\u{..}`, as the text
//! output does, so that names from the input cannot drive the runner's log.

use std::fmt::Write;

use plimsoll_rules::rule::Severity;

use crate::Report;

/// Escapes the message (data) part of a workflow command.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn line(out: &mut String, cmd: &str, props: &[(&str, String)], message: &str) {
    out.push_str("::");
    out.push_str(cmd);
    for (i, (k, v)) in props.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        let _ = write!(out, "{k}={}", escape_property(v));
    }
    let _ = writeln!(out, "::{}", escape_data(message));
}

/// The report as workflow commands, one line per finding, then one `::error` per
/// input error.
pub fn render_github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let mut props: Vec<(&str, String)> = Vec::new();
        if let Some(l) = &f.location {
            props.push(("file", l.file.clone()));
            if let Some(v) = l.line {
                props.push(("line", v.to_string()));
            }
            if let Some(v) = l.column {
                props.push(("col", v.to_string()));
            }
            if let Some(v) = l.end_line {
                props.push(("endLine", v.to_string()));
            }
            if let Some(v) = l.end_column {
                props.push(("endColumn", v.to_string()));
            }
        }
        props.push(("title", format!("{} {}", f.code, f.rule)));
        let message =
            if let (Some(src), Some(None)) = (&f.source, f.location.as_ref().map(|l| l.line)) {
                // a rendered input without an exact template line: say where in the output
                let from = match (&src.chart, &src.kustomization) {
                    (Some(c), _) => format!("chart {c}"),
                    (None, Some(k)) => format!("kustomization {k}"),
                    _ => "the renderer".to_string(),
                };
                match src.rendered_line {
                    Some(l) => format!("{} (rendered line {l} of {from})", f.message),
                    None => format!("{} (rendered by {from})", f.message),
                }
            } else if f.location.is_some() {
                f.message.clone()
            } else {
                // no file to annotate: say which object
                format!("{}: {}", f.object.display(), f.message)
            };
        line(&mut out, command(f.severity), &props, &message);
    }
    for e in &report.errors {
        let mut props: Vec<(&str, String)> = Vec::new();
        if let Some(file) = &e.file {
            props.push(("file", file.clone()));
        }
        if let Some(v) = e.line {
            props.push(("line", v.to_string()));
        }
        if let Some(v) = e.column {
            props.push(("col", v.to_string()));
        }
        props.push(("title", "plimsoll input error".to_string()));
        line(&mut out, "error", &props, &e.message);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("50% a:b,c\nd"), "50%25 a%3Ab%2Cc%0Ad");
        assert_eq!(
            escape_data("x\u{1b}]0;pwned\u{7}\u{9b}2J\u{7f}"),
            "x\\u{1b}]0;pwned\\u{7}\\u{9b}2J\\u{7f}"
        );
    }

    #[test]
    fn command_line() {
        let mut s = String::new();
        line(
            &mut s,
            "warning",
            &[("file", "a,b.yaml".into()), ("line", "3".into())],
            "x: y",
        );
        assert_eq!(s, "::warning file=a%2Cb.yaml,line=3::x: y\n");
    }
}
