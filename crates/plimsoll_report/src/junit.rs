//! JUnit XML output, for CI systems that show test reports.
//!
//! One `<testsuite>` per input file (objects without a file, such as those of a
//! live cluster, get one suite per namespace, `namespace NS` or `cluster-scoped`).
//! Each object with findings is a `<testcase>` named `Kind namespace/name` (`Kind
//! name` when cluster-scoped), with one `<failure type="CODE">` per finding at or above
//! `--fail-on`; findings below it are listed in the testcase's `<system-out>` and do
//! not make it fail, so the XML agrees with the exit code. `failures` counts failing
//! testcases, never more than `tests`. The report does not list objects without
//! findings, so a file without any finding is a suite with a single passing
//! testcase, `all objects`. Input errors (unreadable file, YAML syntax) are
//! `<error>` testcases in their file's suite (`input errors` when they belong to no
//! file).
//!
//! The output follows the schema Jenkins (xunit-plugin) and GitLab read, `junit-10.xsd`:
//! `name`, `tests`, `failures` and `errors` on every suite, `name` on every testcase, only
//! suites under `<testsuites>`; no `time` attribute (its format is restricted), since the
//! checks are not timed per object. The tests validate it with `xmllint`.

use std::fmt::Write;

use plimsoll_rules::config::FailOn;

use crate::{ErrorOut, FindingOut, ObjectId, Report};

/// Escapes text for XML 1.0 content and attribute values. Characters XML 1.0 cannot
/// carry at all (most C0 controls) become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Like [`xml_escape`] but keeps line breaks literal, for element text.
fn text_escape(s: &str) -> String {
    xml_escape(s).replace("&#10;", "\n")
}

fn suite_of(f: &FindingOut) -> String {
    match (&f.location, &f.object.namespace) {
        (Some(l), _) => l.file.clone(),
        (None, Some(ns)) => format!("namespace {ns}"),
        (None, None) => "cluster-scoped".to_string(),
    }
}

struct Suite<'a> {
    name: String,
    /// Objects in order of their first finding, each with its findings.
    cases: Vec<(&'a ObjectId, Vec<&'a FindingOut>)>,
    /// Input errors (unreadable file, YAML syntax): one `<error>` testcase each.
    errors: Vec<&'a ErrorOut>,
}

impl Suite<'_> {
    /// A suite with neither findings nor errors has the single passing case.
    fn tests(&self) -> usize {
        (self.cases.len() + self.errors.len()).max(1)
    }

    /// Testcases with at least one finding at or above the threshold.
    fn failures(&self, fail_on: FailOn) -> usize {
        self.cases
            .iter()
            .filter(|(_, fs)| fs.iter().any(|f| fail_on.fails(f.severity)))
            .count()
    }
}

fn suite_index<'a>(suites: &mut Vec<Suite<'a>>, name: String) -> usize {
    match suites.iter().position(|s| s.name == name) {
        Some(i) => i,
        None => {
            suites.push(Suite {
                name,
                cases: Vec::new(),
                errors: Vec::new(),
            });
            suites.len() - 1
        }
    }
}

fn suites(report: &Report) -> Vec<Suite<'_>> {
    let mut suites: Vec<Suite> = Vec::new();
    for s in &report.sources {
        suite_index(&mut suites, s.path.clone());
    }
    for f in &report.findings {
        let i = suite_index(&mut suites, suite_of(f));
        let cases = &mut suites[i].cases;
        match cases.iter_mut().find(|(o, _)| **o == f.object) {
            Some((_, fs)) => fs.push(f),
            None => cases.push((&f.object, vec![f])),
        }
    }
    for e in &report.errors {
        let name = e.file.clone().unwrap_or_else(|| "input errors".to_string());
        let i = suite_index(&mut suites, name);
        suites[i].errors.push(e);
    }
    suites
}

fn failure_text(f: &FindingOut) -> String {
    let mut t = format!(
        "{} {} ({})\n{}\n",
        f.code,
        f.rule,
        f.severity.as_str(),
        f.message
    );
    if let Some(l) = &f.location {
        t.push_str("at ");
        t.push_str(&l.file);
        if let Some(line) = l.line {
            let _ = write!(t, ":{line}");
            if let Some(c) = l.column {
                let _ = write!(t, ":{c}");
            }
        }
        t.push('\n');
    }
    if let Some(src) = &f.source {
        match (&src.chart, &src.template, &src.kustomization) {
            (Some(c), Some(tpl), _) => {
                let _ = write!(t, "rendered from chart {c}, template {tpl}");
            }
            (Some(c), None, _) => {
                let _ = write!(t, "rendered from chart {c}");
            }
            (None, _, Some(k)) => {
                let _ = write!(t, "built from kustomization {k}");
            }
            _ => t.push_str("rendered"),
        }
        if let Some(l) = src.rendered_line {
            let _ = write!(t, ", line {l} of the rendered output");
        }
        t.push('\n');
    }
    let _ = write!(t, "object {}", f.object.display());
    if let Some(c) = &f.container {
        let _ = write!(t, ", container {c}");
    }
    let _ = writeln!(t, ", path {}", f.path);
    t
}

/// The report as JUnit XML (newline-terminated); findings that `fail_on` does not fail
/// are not failures.
pub fn render_junit(report: &Report, fail_on: FailOn) -> String {
    let suites = suites(report);
    let total_tests: usize = suites.iter().map(Suite::tests).sum();
    let total_failures: usize = suites.iter().map(|s| s.failures(fail_on)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"plimsoll\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{}\">",
        report.errors.len()
    );
    for s in &suites {
        let name = xml_escape(&s.name);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">",
            s.tests(),
            s.failures(fail_on),
            s.errors.len()
        );
        if s.cases.is_empty() && s.errors.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{name}\" name=\"all objects\"/>"
            );
        }
        for e in &s.errors {
            let case = match (e.line, e.column) {
                (Some(l), Some(c)) => format!("input error at {l}:{c}"),
                (Some(l), None) => format!("input error at line {l}"),
                _ => "input error".to_string(),
            };
            let _ = writeln!(
                out,
                "    <testcase classname=\"{name}\" name=\"{case}\">\n      <error message=\"{}\" type=\"input\">{}</error>\n    </testcase>",
                xml_escape(&e.message),
                text_escape(&e.message)
            );
        }
        for (o, fs) in &s.cases {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{name}\" name=\"{}\">",
                xml_escape(&o.display())
            );
            let (failing, below): (Vec<&&FindingOut>, Vec<&&FindingOut>) =
                fs.iter().partition(|f| fail_on.fails(f.severity));
            for f in failing {
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    xml_escape(&f.message),
                    xml_escape(f.code),
                    text_escape(&failure_text(f))
                );
            }
            if !below.is_empty() {
                let text: String = below.iter().map(|f| failure_text(f)).collect();
                let _ = writeln!(
                    out,
                    "      <system-out>findings below --fail-on:\n{}</system-out>",
                    text_escape(&text)
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            xml_escape("a<b>&\"c\"'d'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#10;\u{FFFD}"
        );
        assert_eq!(text_escape("x\ny"), "x\ny");
    }
}
