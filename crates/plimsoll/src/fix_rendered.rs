//! Fixes on rendered inputs: a Helm chart's output or a Kustomize build is never
//! edited (the next render would undo the edit). Such a fix is shown display-only,
//! with where it belongs when that can be told:
//!
//! - in a chart, the values key that sets the field (`api.resources.requests.memory`,
//!   when the template writes `resources:` from `toYaml .Values.api.resources`, or
//!   `replicas: {{ .Values.api.replicas }}`), else the template line that writes it
//!   literally, else the template the object comes from;
//! - in a Kustomize build, the overlay to add a patch to (the kustomization that was
//!   built: a base is shared by the other overlays);
//! - a new object (a PodDisruptionBudget, a NetworkPolicy) as a template of the chart,
//!   or a resource of the overlay.

use plimsoll_model::Index;
use plimsoll_report::SourceFile;
use plimsoll_rules::rule::{Applicability, Finding};

/// Marks the fixes of findings on rendered inputs display-only and says where each
/// belongs.
pub fn place(sources: &[SourceFile], index: &Index, findings: &mut [Finding]) {
    let mut templates: std::collections::HashMap<String, Option<String>> = Default::default();
    for f in findings.iter_mut() {
        let Some(fix) = &mut f.fix else { continue };
        let object = &index.objects()[f.object];
        let Some(map) = object
            .source
            .file
            .and_then(|i| sources.get(i))
            .and_then(|s| s.rendered.as_ref())
        else {
            continue;
        };
        let segment = map.segment(object.root.span.start.line);
        let paths: Vec<Vec<String>> = fix
            .edits
            .iter()
            .filter_map(|e| e.get("path").and_then(|p| p.as_str()))
            .map(pointer_keys)
            .collect();
        let new_object = fix
            .edits
            .iter()
            .any(|e| e.get("op").and_then(|o| o.as_str()) == Some("add-document"));
        let place = if new_object {
            match (&segment.chart, &segment.kustomization) {
                (Some(c), _) => format!(
                    "rendered from chart {c}, not edited: add it as a template of the chart"
                ),
                (None, Some(k)) => format!(
                    "rendered by Kustomize, not edited: add it to the resources of the overlay `{k}`"
                ),
                _ => "rendered, not edited".to_string(),
            }
        } else if segment.chart.is_some() {
            let text = templates
                .entry(segment.file.clone())
                .or_insert_with(|| std::fs::read_to_string(&segment.file).ok());
            in_chart(&segment.file, text.as_deref(), &paths)
        } else if let Some(k) = &segment.kustomization {
            format!("rendered by Kustomize, not edited: add a patch to the overlay `{k}`")
        } else {
            "rendered, not edited".to_string()
        };
        if fix.applicability != Applicability::DisplayOnly {
            fix.applicability = Applicability::DisplayOnly;
        }
        fix.title = format!("{} ({place})", fix.title);
    }
}

/// The keys of a JSON Pointer (`/spec/containers/0/image` → spec, containers, 0, image).
fn pointer_keys(p: &str) -> Vec<String> {
    p.split('/')
        .skip(1)
        .map(|k| k.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Where a fix on a chart's object belongs.
fn in_chart(file: &str, text: Option<&str>, paths: &[Vec<String>]) -> String {
    let Some(text) = text else {
        return format!("rendered from a chart, not edited: change the template `{file}`");
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut keys: Vec<String> = Vec::new();
    let mut literal: Option<(usize, String, bool)> = None;
    for path in paths {
        match values_key(&lines, path) {
            Found::Values(k) => keys.push(k),
            Found::Literal { line, key, exact } => {
                literal = literal.or(Some((line, key, exact)));
            }
            Found::Nothing => {}
        }
    }
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        return format!(
            "rendered from a chart, not edited: set {} in the chart's values",
            keys.join(", ")
        );
    }
    match literal {
        Some((line, _, true)) => {
            format!(
                "rendered from a chart, not edited: change it at line {line} of the template `{file}`"
            )
        }
        Some((line, key, false)) => format!(
            "rendered from a chart, not edited: add it under `{key}`, line {line} of the template `{file}`"
        ),
        None => format!("rendered from a chart, not edited: add it to the template `{file}`"),
    }
}

enum Found {
    /// The values key that sets the field.
    Values(String),
    /// The template writes the field itself (`exact`), or its nearest parent `key`,
    /// literally at this line (1-based).
    Literal {
        line: usize,
        key: String,
        exact: bool,
    },
    Nothing,
}

/// The values key behind the deepest key of `path` that the template writes from
/// `.Values` (in a line `key: {{ .Values.x }}`, or `key:` followed by a more indented
/// `toYaml .Values.x`, or `toYaml .` inside `{{ with .Values.x }}`), with the rest of the
/// path appended. Only one distinct expression for the key counts: a key written from
/// several values (each container's `resources`) is not told apart.
fn values_key(lines: &[&str], path: &[String]) -> Found {
    let mut literal: Option<(usize, String, bool)> = None;
    let deepest = path.iter().rposition(|k| k.parse::<usize>().is_err());
    for depth in (0..path.len()).rev() {
        let key = &path[depth];
        if key.parse::<usize>().is_ok() {
            continue;
        }
        let wanted: Vec<&str> = path[..=depth]
            .iter()
            .filter(|k| k.parse::<usize>().is_err())
            .map(String::as_str)
            .collect();
        let mut found: Vec<String> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = key_line(line, key) else {
                continue;
            };
            // the same key elsewhere (the pod's securityContext for a container's) is
            // another field
            if chain(lines, i) != wanted {
                continue;
            }
            literal = literal.or(Some((i + 1, key.clone(), Some(depth) == deepest)));
            let expr = values_in(rest).or_else(|| {
                // the value on the following, more indented lines
                let indent = indentation(line);
                lines[i + 1..]
                    .iter()
                    // the template lines right below the key write its whole value; a
                    // key below is a nested field, whose own values are not this one's
                    .take_while(|l| {
                        l.trim().is_empty()
                            || indentation(l) > indent && l.trim_start().starts_with("{{")
                    })
                    .find_map(|l| writes_value(l, &lines[..i]))
            });
            if let Some(e) = expr {
                found.push(e);
            }
        }
        found.sort();
        found.dedup();
        if let [one] = found.as_slice() {
            let rest: Vec<&str> = path[depth + 1..]
                .iter()
                .filter(|k| k.parse::<usize>().is_err())
                .map(String::as_str)
                .collect();
            let mut k = one.clone();
            for r in rest {
                k.push('.');
                k.push_str(r);
            }
            return Found::Values(k);
        }
        if found.len() > 1 {
            return Found::Nothing;
        }
    }
    literal.map_or(Found::Nothing, |(line, key, exact)| Found::Literal {
        line,
        key,
        exact,
    })
}

/// The keys from the document's root to the key of line `i`, by indentation: a
/// sequence item (`- name: api`) stands for an index and adds nothing; template lines
/// (`{{- if ... }}`) and comments are not structure.
fn chain<'a>(lines: &[&'a str], i: usize) -> Vec<&'a str> {
    let key_of = |l: &'a str| -> Option<&'a str> {
        let t = l.trim_start();
        let t = t.strip_prefix("- ").unwrap_or(t);
        let (k, _) = t.split_once(':')?;
        (!k.is_empty() && !k.contains(' ') && !k.starts_with('{') && !k.starts_with('#'))
            .then_some(k)
    };
    let mut keys = Vec::new();
    if let Some(k) = key_of(lines[i]) {
        keys.push(k);
    }
    // a line `- key:` is an item's first key: its siblings are indented past the dash
    let mut indent = indentation(lines[i]);
    for l in lines[..i].iter().rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with("{{") || t.starts_with('#') {
            continue;
        }
        let n = indentation(l);
        if n >= indent {
            continue;
        }
        if t.starts_with("- ") {
            // the item holding the line: its dash is not a key of the path
            indent = n;
            continue;
        }
        indent = n;
        if let Some(k) = key_of(l) {
            keys.push(k);
        }
    }
    keys.reverse();
    keys
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The rest of a template line that writes `key:` (also as a sequence item `- key:`).
fn key_line<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t);
    let rest = t.strip_prefix(key)?;
    rest.strip_prefix(':')
}

/// The first `.Values.a.b` of a text, as `a.b`.
fn values_in(text: &str) -> Option<String> {
    let at = text.find(".Values.")?;
    let rest = &text[at + ".Values.".len()..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let k = rest[..end].trim_end_matches('.');
    (!k.is_empty()).then(|| k.to_string())
}

/// The values a template line writes as a whole value: `{{- toYaml .Values.x | ... }}`,
/// `{{ .Values.x }}`, or `{{- toYaml . }}` inside `{{ with .Values.x }}`; not a control
/// action (`with`, `if`, `range`, `end`).
fn writes_value(line: &str, above: &[&str]) -> Option<String> {
    let action = line.trim_start().strip_prefix("{{")?;
    let action = action.trim_start_matches('-').trim_start();
    if let Some(arg) = action.strip_prefix("toYaml ") {
        let arg = arg.trim_start();
        if arg.starts_with(".Values.") {
            return values_in(arg);
        }
        if arg.starts_with(". ") || arg.starts_with(".|") || arg == "." {
            return enclosing_with(above);
        }
        return None;
    }
    if action.starts_with(".Values.") {
        return values_in(action);
    }
    None
}

/// The `.Values` of the nearest `{{ with .Values.x }}` above.
fn enclosing_with(above: &[&str]) -> Option<String> {
    above
        .iter()
        .rev()
        .find(|l| l.contains("with .Values."))
        .and_then(|l| values_in(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"spec:
  replicas: {{ .Values.api.replicas }}
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: api
          image: {{ include "common.image" .Values.image }}
          resources:
            {{- toYaml .Values.api.resources | nindent 12 }}
          ports:
            - containerPort: 8080
"#;

    fn keys(p: &str) -> Vec<String> {
        pointer_keys(p)
    }

    #[test]
    fn the_values_key_behind_a_field_is_found() {
        let lines: Vec<&str> = TEMPLATE.lines().collect();
        let at = |p: &str| match values_key(&lines, &keys(p)) {
            Found::Values(k) => format!("values {k}"),
            Found::Literal { line, key, exact } => format!("line {line} {key} {exact}"),
            Found::Nothing => "nothing".to_string(),
        };
        assert_eq!(at("/spec/replicas"), "values api.replicas");
        assert_eq!(
            at("/spec/template/spec/containers/0/resources/requests/memory"),
            "values api.resources.requests.memory"
        );
        assert_eq!(
            at("/spec/template/spec/securityContext/runAsNonRoot"),
            "values podSecurityContext.runAsNonRoot"
        );
        // written literally: the template's line (not the image's values, a sibling)
        assert_eq!(
            at("/spec/template/spec/containers/0/ports/0/protocol"),
            "line 14 ports false"
        );
        assert_eq!(
            at("/spec/template/spec/containers/0/ports"),
            "line 14 ports true"
        );
        // the container's securityContext is not the pod's
        assert_eq!(
            at("/spec/template/spec/containers/0/securityContext/runAsNonRoot"),
            "line 9 containers false"
        );
        // nowhere in the template
        assert_eq!(at("/metadata/annotations/x"), "nothing");
    }

    #[test]
    fn the_place_is_said() {
        let p = in_chart(
            "chart/templates/api.yaml",
            Some(TEMPLATE),
            &[keys(
                "/spec/template/spec/containers/0/resources/limits/memory",
            )],
        );
        assert!(p.contains("`api.resources.limits.memory`"), "{p}");
        let p = in_chart(
            "chart/templates/api.yaml",
            Some(TEMPLATE),
            &[keys(
                "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation",
            )],
        );
        assert!(
            p.contains(
                "add it under `containers`, line 9 of the template `chart/templates/api.yaml`"
            ),
            "{p}"
        );
        let p = in_chart(
            "chart/templates/api.yaml",
            Some(TEMPLATE),
            &[keys("/metadata/annotations/a")],
        );
        assert!(
            p.contains("add it to the template `chart/templates/api.yaml`"),
            "{p}"
        );
    }
}
