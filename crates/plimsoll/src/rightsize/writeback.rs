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

/// Writes (or with `diff`, prints the diff of) the recommendations; returns the exit code.
pub fn write(
    index: &Index,
    sources: &[SourceFile],
    targets: &[Target],
    rows: &[Row],
    diff: bool,
) -> Result<i32, Fatal> {
    let mut by_file: BTreeMap<usize, Vec<TextEdit>> = BTreeMap::new();
    let mut failed = 0;
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
        if src.rendered.is_some() || src.path == "-" {
            eprintln!(
                "plimsoll: not written: {what} comes from {} (rendered or read from stdin); set in its source: {}",
                src.path,
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
    if !diff {
        eprintln!(
            "plimsoll: wrote the recommendations into {written} file{}",
            if written == 1 { "" } else { "s" }
        );
    }
    Ok(if failed > 0 { 2 } else { 0 })
}
