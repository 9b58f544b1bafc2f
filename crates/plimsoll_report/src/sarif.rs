//! SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.
//!
//! One run; `tool.driver.rules` lists every rule that has a finding (sorted by code)
//! and each result points at its rule by `ruleId` and `ruleIndex`. Columns are in
//! characters (`columnKind: unicodeCodePoints`), end exclusive, as in the JSON report.
//! `partialFingerprints["plimsoll/v1"]` hashes what identifies a finding (code, kind,
//! namespace, name, container, path) and no line numbers, so it survives edits
//! elsewhere in the file. Logical locations are `Kind/namespace/name` (empty
//! namespace for cluster-scoped objects).

use std::collections::BTreeMap;

use plimsoll_rules::rule::Severity;
use serde_json::{Value, json};

use crate::{FindingOut, Location, ObjectId, Report};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://plimsoll.dev";

/// The documentation address of a rule.
pub fn rule_help_uri(code: &str) -> String {
    format!("https://plimsoll.dev/rules/#{}", code.to_ascii_lowercase())
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// 64-bit FNV-1a: small, stable across runs, platforms and releases.
pub fn fnv1a64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            // a separator no part contains, so ("ab", "c") != ("a", "bc")
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The line-independent fingerprint of a finding.
pub fn fingerprint(f: &FindingOut) -> String {
    let h = fnv1a64(&[
        f.code,
        &f.object.kind,
        f.object.namespace.as_deref().unwrap_or(""),
        &f.object.name,
        f.container.as_deref().unwrap_or(""),
        &f.path,
    ]);
    format!("{h:016x}")
}

/// A path as a URI reference: forward slashes, relative paths stay relative,
/// absolute ones become `file://` URIs, reserved and non-ASCII bytes percent-encoded.
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let (prefix, rest) = if p.starts_with('/') {
        ("file://", p.as_str())
    } else if p.len() > 2 && p.as_bytes()[1] == b':' && p.as_bytes()[2] == b'/' {
        ("file:///", p.as_str())
    } else {
        ("", p.as_str())
    };
    let mut out = String::from(prefix);
    for b in rest.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            b':' if !prefix.is_empty() => out.push(':'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn physical(loc: &Location) -> Value {
    let mut pl = json!({ "artifactLocation": { "uri": uri(&loc.file) } });
    if let Some(line) = loc.line {
        let mut region = serde_json::Map::new();
        region.insert("startLine".into(), line.into());
        if let Some(c) = loc.column {
            region.insert("startColumn".into(), c.into());
        }
        if let Some(el) = loc.end_line {
            region.insert("endLine".into(), el.max(line).into());
        }
        if let Some(ec) = loc.end_column {
            region.insert("endColumn".into(), ec.into());
        }
        pl["region"] = Value::Object(region);
    }
    pl
}

fn qualified_name(o: &ObjectId) -> String {
    format!(
        "{}/{}/{}",
        o.kind,
        o.namespace.as_deref().unwrap_or(""),
        o.name
    )
}

fn rule_descriptor(code: &'static str, f: &FindingOut) -> Value {
    let meta = plimsoll_rules::registry::find(code).map(|r| r.meta());
    let (name, summary, severity) = match meta {
        Some(m) => (m.name, m.summary, m.severity),
        None => (f.rule, f.rule, f.severity),
    };
    let doc = crate::rule_doc(code).unwrap_or_else(|| summary.to_string());
    json!({
        "id": code,
        "name": name,
        "shortDescription": { "text": summary },
        "fullDescription": { "text": doc, "markdown": doc },
        "help": { "text": doc, "markdown": doc },
        "helpUri": rule_help_uri(code),
        "defaultConfiguration": { "level": level(severity) },
    })
}

fn result(f: &FindingOut, rule_index: usize) -> Value {
    let mut r = json!({
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "logicalLocations": [{
                "fullyQualifiedName": qualified_name(&f.object),
                "kind": "resource",
            }],
        }],
        "partialFingerprints": { "plimsoll/v1": fingerprint(f) },
        "properties": {
            "object": f.object.display(),
            "path": f.path,
        },
    });
    if let Some(loc) = &f.location {
        r["locations"][0]["physicalLocation"] = physical(loc);
    }
    if let Some(c) = &f.container {
        r["properties"]["container"] = c.as_str().into();
    }
    if let Some(src) = &f.source {
        r["properties"]["source"] = serde_json::to_value(src).expect("source serializes");
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let mut v = json!({
                "id": i,
                "message": { "text": format!("{} {}", rel.object.display(), rel.path) },
                "logicalLocations": [{
                    "fullyQualifiedName": qualified_name(&rel.object),
                    "kind": "resource",
                }],
            });
            if let Some(loc) = &rel.location {
                v["physicalLocation"] = physical(loc);
            }
            v
        })
        .collect();
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related);
    }
    r
}

/// The report as a SARIF 2.1.0 log (pretty-printed, newline-terminated).
pub fn render_sarif(report: &Report) -> String {
    // rules with findings, by code
    let mut by_code: BTreeMap<&'static str, &FindingOut> = BTreeMap::new();
    for f in &report.findings {
        by_code.entry(f.code).or_insert(f);
    }
    let index: BTreeMap<&'static str, usize> =
        by_code.keys().enumerate().map(|(i, c)| (*c, i)).collect();
    let rules: Vec<Value> = by_code
        .iter()
        .map(|(code, f)| rule_descriptor(code, f))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, index[f.code]))
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({ "level": "error", "message": { "text": e.message } });
            if let Some(file) = &e.file {
                n["locations"] = json!([{ "physicalLocation": physical(&Location {
                    file: file.clone(),
                    line: e.line,
                    column: e.column,
                    end_line: None,
                    end_column: None,
                }) }]);
            }
            n
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(uri("k8s/a b.yaml"), "k8s/a%20b.yaml");
        assert_eq!(uri("k8s\\a.yaml"), "k8s/a.yaml");
        assert_eq!(uri("/tmp/x.yaml"), "file:///tmp/x.yaml");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(uri("a:b.yaml"), "a%3Ab.yaml");
    }

    #[test]
    fn fnv_is_stable_and_separates_parts() {
        // the FNV-1a 64 test vector
        assert_eq!(fnv1a64(&["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a64(&["ab", "c"]), fnv1a64(&["a", "bc"]));
    }
}
