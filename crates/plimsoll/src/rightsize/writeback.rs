//! `rightsize --fix` and `--diff`: the recommended values written into the manifests as
//! text edits on the original bytes, through the edit machinery of `check --fix`
//! (`plimsoll_yaml::edit`), so that comments, key order and quoting stay as they were.
//! Only containers with a recommendation (`ok`) are changed, and only the values that
//! differ. A rendered chart or overlay, standard input or a live object is not edited:
//! the change to make is printed on stderr instead.

use std::collections::BTreeMap;

use plimsoll_model::Index;
use plimsoll_report::SourceFile;
use plimsoll_yaml::edit::{Editor, TextEdit, apply_edits};
use serde_json::{Map, Value, json};

use super::Row;
use super::strategy::{Status, cpu_text, memory_text};
use super::workloads::{Target, TargetContainer};
use crate::check::Fatal;
use crate::fix::{unified_diff, write_fixed};

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

/// JSON Patch operations that set a container's resources to `rec` (only what changes).
fn ops(c: &TargetContainer, rec: &super::strategy::Values) -> Vec<Value> {
    let base = c.pointer.key("resources");
    let w = c.written;
    // (section, resource, current, recommended, written, text)
    let fields = [
        (
            "requests",
            "cpu",
            c.current.cpu_request,
            rec.cpu_request,
            w.cpu_request,
            cpu_text as fn(f64) -> String,
        ),
        (
            "requests",
            "memory",
            c.current.memory_request,
            rec.memory_request,
            w.memory_request,
            memory_text,
        ),
        (
            "limits",
            "cpu",
            c.current.cpu_limit,
            rec.cpu_limit,
            w.cpu_limit,
            cpu_text,
        ),
        (
            "limits",
            "memory",
            c.current.memory_limit,
            rec.memory_limit,
            w.memory_limit,
            memory_text,
        ),
    ];
    let mut out = Vec::new();
    // what goes into sections (or the resources block) that do not exist yet
    let mut new_sections: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for (section, resource, cur, new, written, text) in fields {
        if same(cur, new) {
            continue;
        }
        let section_written = if section == "requests" {
            w.requests
        } else {
            w.limits
        };
        let path = base.keys(&[section, resource]).to_string();
        match new {
            Some(v) if written => {
                out.push(json!({"op": "replace", "path": path, "value": text(v)}))
            }
            Some(v) if section_written => {
                out.push(json!({"op": "add", "path": path, "value": text(v)}))
            }
            Some(v) => {
                new_sections
                    .entry(section)
                    .or_default()
                    .insert(resource.to_string(), Value::String(text(v)));
            }
            None if written => out.push(json!({"op": "remove", "path": path})),
            None => {}
        }
    }
    if !new_sections.is_empty() {
        if w.resources {
            for (section, m) in new_sections {
                out.push(json!({"op": "add", "path": base.key(section).to_string(), "value": m}));
            }
        } else {
            let mut r = Map::new();
            for key in ["requests", "limits"] {
                if let Some(m) = new_sections.remove(key) {
                    r.insert(key.to_string(), Value::Object(m));
                }
            }
            out.push(json!({"op": "add", "path": base.to_string(), "value": r}));
        }
    }
    out
}

/// The `.Values` path in a line of a template (`{{ toYaml .Values.api.resources | ... }}`).
fn values_path(line: &str) -> Option<String> {
    let at = line.find(".Values.")? + ".Values.".len();
    let path: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == '-')
        .collect();
    let path = path.trim_end_matches('.').to_string();
    (!path.is_empty()).then_some(path)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Where the resources of `container` come from in a chart template: for each of the
/// four fields written by the template straight from `.Values`, the values key
/// (`api.resources.requests.cpu`). Two forms are recognised: the whole block
/// (`resources:` then `{{- toYaml .Values.X | nindent N }}`, or on the same line) and
/// one field at a time (`cpu: {{ .Values.X }}` under `requests:` or `limits:`). The
/// container is found by its `- name:` line when the template writes it literally, else
/// the template must have only one resources block.
pub(crate) fn values_keys(
    template: &str,
    container: &str,
) -> BTreeMap<(&'static str, &'static str), String> {
    let lines: Vec<&str> = template.lines().collect();
    let is_resources = |l: &str| l.trim_start().starts_with("resources:");
    let named = lines.iter().position(|l| {
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        t.strip_prefix("name:")
            .map(|v| v.trim().trim_matches(['"', '\'']) == container)
            .unwrap_or(false)
    });
    let blocks: Vec<usize> = (0..lines.len())
        .filter(|&i| is_resources(lines[i]))
        .collect();
    let start = match named {
        Some(n) => blocks.iter().copied().find(|&b| b > n),
        None if blocks.len() == 1 => Some(blocks[0]),
        None => None,
    };
    let mut out = BTreeMap::new();
    let Some(b) = start else { return out };
    let base = indent(lines[b]);
    // the whole block from .Values
    let whole = values_path(lines[b]).or_else(|| {
        lines[b + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .filter(|l| l.contains("toYaml") || l.contains("toJson"))
            .and_then(|l| values_path(l))
    });
    if let Some(p) = whole {
        for section in ["requests", "limits"] {
            for resource in ["cpu", "memory"] {
                out.insert((section, resource), format!("{p}.{section}.{resource}"));
            }
        }
        return out;
    }
    // field by field
    let mut section = None;
    for l in &lines[b + 1..] {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if indent(l) <= base {
            break;
        }
        let t = l.trim_start();
        if t.starts_with("requests:") {
            section = Some("requests");
        } else if t.starts_with("limits:") {
            section = Some("limits");
        } else if let Some(sec) = section {
            for resource in ["cpu", "memory"] {
                if t.starts_with(&format!("{resource}:"))
                    && let Some(p) = values_path(t)
                {
                    out.insert((sec, resource), p);
                }
            }
        }
    }
    out
}

/// Writes (or with `diff`, prints the diff of) the recommendations; returns the exit code.
pub fn write(
    index: &Index,
    sources: &[SourceFile],
    targets: &[Target],
    rows: &[Row],
    diff: bool,
    values_file: Option<&std::path::Path>,
) -> Result<i32, Fatal> {
    let mut by_file: BTreeMap<usize, Vec<TextEdit>> = BTreeMap::new();
    let mut failed = 0;
    // values keys of rendered charts to set: key -> value
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for r in rows {
        if r.outcome.status != Status::Ok {
            continue;
        }
        let t = &targets[r.target];
        let c = &t.containers[r.container];
        let ops = ops(c, &r.outcome.recommended);
        if ops.is_empty() {
            continue;
        }
        let o = index.object(t.object);
        let what = format!("{}/{}/{} container {}", t.namespace, t.kind, t.name, c.name);
        let Some(file) = o.source.file else { continue };
        let Some(src) = sources.get(file) else {
            continue;
        };
        let describe = || {
            ops.iter()
                .map(|op| match op["value"].as_str() {
                    Some(v) => format!("{} = {v}", op["path"].as_str().unwrap_or("")),
                    None if op["op"] == "remove" => {
                        format!("remove {}", op["path"].as_str().unwrap_or(""))
                    }
                    None => format!("{} = {}", op["path"].as_str().unwrap_or(""), op["value"]),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(map) = &src.rendered {
            let line = o.root.pointer(&c.pointer).map_or(0, |n| n.span.start.line);
            let seg = map.segment(line);
            let keys = std::fs::read_to_string(&seg.file)
                .map(|t| values_keys(&t, &c.name))
                .unwrap_or_default();
            let rec = &r.outcome.recommended;
            let mut set = Vec::new();
            let mut unmapped = false;
            for (section, resource, cur, new, text) in [
                (
                    "requests",
                    "cpu",
                    c.current.cpu_request,
                    rec.cpu_request,
                    cpu_text as fn(f64) -> String,
                ),
                (
                    "requests",
                    "memory",
                    c.current.memory_request,
                    rec.memory_request,
                    memory_text,
                ),
                (
                    "limits",
                    "cpu",
                    c.current.cpu_limit,
                    rec.cpu_limit,
                    cpu_text,
                ),
                (
                    "limits",
                    "memory",
                    c.current.memory_limit,
                    rec.memory_limit,
                    memory_text,
                ),
            ] {
                if same(cur, new) {
                    continue;
                }
                match (keys.get(&(section, resource)), new) {
                    (Some(k), Some(v)) => set.push((k.clone(), text(v))),
                    (Some(k), None) => set.push((k.clone(), "null".to_string())),
                    (None, _) => unmapped = true,
                }
            }
            let from = match (&seg.chart, &seg.template) {
                (Some(ch), Some(t)) => format!("chart {ch} ({t})"),
                _ => seg.file.clone(),
            };
            if !set.is_empty() {
                eprintln!(
                    "plimsoll: {what} comes from {from}: set the values {}{}",
                    set.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if values_file.is_some() {
                        ""
                    } else {
                        " (--write-values writes them into the last --values file)"
                    }
                );
                for (k, v) in set {
                    values.insert(k, v);
                }
            }
            if unmapped || keys.is_empty() {
                eprintln!(
                    "plimsoll: not written: {what} comes from {from}, which does not take these values straight from .Values; set: {}",
                    describe()
                );
            }
            continue;
        }
        if src.path == "-" {
            eprintln!(
                "plimsoll: not written: {what} was read from stdin; set: {}",
                describe()
            );
            continue;
        }
        let Some(text) = src.text.as_deref() else {
            continue;
        };
        let editor = Editor::new(text, &o.root);
        match editor.edits(&o.root, &ops) {
            Ok(edits) => by_file.entry(file).or_default().extend(edits),
            Err(e) => {
                failed += 1;
                eprintln!(
                    "plimsoll: not written: {what} in {}: {e}; set: {}",
                    src.path,
                    describe()
                );
            }
        }
    }
    let mut written = 0;
    for (file, edits) in by_file {
        let src = &sources[file];
        let text = src.text.as_deref().expect("edited files have text");
        let Some(new) = apply_edits(text, &edits) else {
            failed += 1;
            eprintln!("plimsoll: not written: {}: overlapping edits", src.path);
            continue;
        };
        if new == text {
            continue;
        }
        if diff {
            print!("{}", unified_diff(&src.path, text, &new));
        } else {
            match write_fixed(std::path::Path::new(&src.path), text, &new) {
                Ok(()) => written += 1,
                Err(e) => {
                    failed += 1;
                    eprintln!("plimsoll: {}: {e}", src.path);
                }
            }
        }
    }
    if let Some(path) = values_file.filter(|_| !values.is_empty()) {
        match write_values(path, &values, diff) {
            Ok(true) => written += 1,
            Ok(false) => {}
            Err(e) => {
                failed += 1;
                eprintln!("plimsoll: {}: {e}", path.display());
            }
        }
    }
    if !diff {
        eprintln!(
            "plimsoll: wrote the recommendations into {written} file{}",
            if written == 1 { "" } else { "s" }
        );
    }
    Ok(if failed > 0 { 2 } else { 0 })
}

/// Sets values keys (`api.resources.requests.cpu`) in a Helm values file, by text edits
/// that keep its comments; `"null"` removes a key. Returns whether the file changed.
fn write_values(
    path: &std::path::Path,
    values: &BTreeMap<String, String>,
    diff: bool,
) -> Result<bool, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let stream = plimsoll_yaml::parse_stream(&text, plimsoll_yaml::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(format!("line {}: {}", e.line, e.message));
    }
    let root = match stream.documents.first().and_then(|d| d.root.as_ref()) {
        Some(r) if r.is_map() => r,
        _ => return Err("not a mapping of values".into()),
    };
    // the values to add under each deepest existing mapping, merged, so that two keys
    // under one missing parent make one edit
    let mut ops = Vec::new();
    let mut additions: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (key, value) in values {
        let segs: Vec<&str> = key.split('.').collect();
        let mut depth = 0;
        let mut node = root;
        while depth < segs.len() {
            match node.get(segs[depth]) {
                Some(n) if depth + 1 == segs.len() || n.is_map() => {
                    node = n;
                    depth += 1;
                }
                _ => break,
            }
        }
        let pointer = |n: usize| {
            segs[..n]
                .iter()
                .fold(plimsoll_model::Pointer::root(), |p, s| p.key(s))
                .to_string()
        };
        if depth == segs.len() {
            if value == "null" {
                ops.push(json!({"op": "remove", "path": pointer(depth)}));
            } else {
                ops.push(json!({"op": "replace", "path": pointer(depth), "value": value}));
            }
            continue;
        }
        if value == "null" {
            continue;
        }
        // nest the missing keys under the deepest existing one
        let mut m = additions.entry(pointer(depth)).or_default();
        for s in &segs[depth..segs.len() - 1] {
            m = m
                .entry(s.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("made a mapping");
        }
        m.insert(
            segs[segs.len() - 1].to_string(),
            Value::String(value.clone()),
        );
    }
    for (parent, m) in additions {
        for (k, v) in m {
            ops.push(json!({"op": "add", "path": format!("{parent}/{k}"), "value": v}));
        }
    }
    let editor = Editor::new(&text, root);
    let edits = editor.edits(root, &ops)?;
    let new = apply_edits(&text, &edits).ok_or("overlapping edits")?;
    if new == text {
        return Ok(false);
    }
    let shown = path.display().to_string();
    if diff {
        print!("{}", unified_diff(&shown, &text, &new));
        return Ok(false);
    }
    write_fixed(path, &text, &new)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keys_of_templates() {
        let t = "spec:\n  containers:\n    - name: api\n      resources:\n        {{- toYaml .Values.api.resources | nindent 8 }}\n    - name: proxy\n      resources:\n        requests:\n          cpu: {{ .Values.proxy.cpu }}\n          memory: 64Mi\n";
        let k = values_keys(t, "api");
        assert_eq!(k[&("requests", "cpu")], "api.resources.requests.cpu");
        assert_eq!(k[&("limits", "memory")], "api.resources.limits.memory");
        let k = values_keys(t, "proxy");
        assert_eq!(k.len(), 1);
        assert_eq!(k[&("requests", "cpu")], "proxy.cpu");
    }
}
