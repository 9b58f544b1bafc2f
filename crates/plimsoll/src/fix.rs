//! `check --fix`: the rules' fixes (JSON Patch operations on an object) applied to the
//! files as text edits on the original bytes (see `plimsoll_yaml::edit`).
//!
//! One pass takes, file by file, the fixes whose edits do not overlap those already
//! taken; the files are then checked again and the next pass takes what is left, until
//! nothing changes or [`MAX_PASSES`] (ruff's loop). Fixes that append a document to
//! a file (`add-document`) never collide with one another: several in one pass are
//! written one after the other at the end of the file, in the order of the findings. Only files read as they are on disk
//! are edited: never a rendered chart or overlay, standard input, a file with a
//! document that did not parse, or a file read for context under a root.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use plimsoll_model::Index;
use plimsoll_report::SourceFile;
use plimsoll_rules::rule::{Applicability, Finding};
use plimsoll_yaml::edit::{Editor, TextEdit, apply_edits};

/// Passes of fixing and checking again, at most.
pub const MAX_PASSES: usize = 10;

/// Which fixes to apply.
#[derive(Debug, Clone, Copy)]
pub struct Which {
    pub unsafe_fixes: bool,
}

impl Which {
    pub fn takes(&self, a: Applicability) -> bool {
        match a {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }
}

/// A file changed by one pass: its new text and how many fixes went into it.
#[derive(Debug)]
pub struct Changed {
    pub file: usize,
    pub text: String,
    pub fixes: usize,
}

/// The fixes of one pass, applied to the texts of the editable files.
pub fn apply_pass(
    sources: &[SourceFile],
    editable: &[bool],
    index: &Index,
    findings: &[Finding],
    which: Which,
) -> Vec<Changed> {
    // by file, in the order of the findings (by position)
    let mut by_file: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let Some(fix) = &f.fix else { continue };
        if !which.takes(fix.applicability) || fix.edits.is_empty() {
            continue;
        }
        let o = index.object(f.object);
        let Some(file) = o.source.file else { continue };
        if editable.get(file).copied().unwrap_or(false) {
            by_file.entry(file).or_default().push(f);
        }
    }
    let mut out = Vec::new();
    for (file, fs) in by_file {
        let Some(text) = sources[file].text.as_deref() else {
            continue;
        };
        let mut taken: Vec<TextEdit> = Vec::new();
        let mut fixes = 0;
        for f in fs {
            let o = index.object(f.object);
            let fix = f.fix.as_ref().expect("filtered above");
            let editor = Editor::new(text, &o.root);
            let Ok(edits) = editor.edits(&o.root, &fix.edits) else {
                continue;
            };
            // the fix whole or not at all, and never over an edit taken already
            let mut with = taken.clone();
            with.extend(edits.iter().cloned());
            if apply_edits(text, &with).is_some() {
                taken = with;
                fixes += 1;
            }
        }
        if fixes == 0 {
            continue;
        }
        if let Some(new) = apply_edits(text, &taken)
            && new != text
        {
            out.push(Changed {
                file,
                text: new,
                fixes,
            });
        }
    }
    out
}

/// A unified diff of a file, as `diff -u` and ruff's `--diff` print it.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Writes a file atomically (a temporary file in its directory, then a rename) with
/// its permissions kept. The text must still be what was read: a file changed on disk
/// since, or whose bytes were not exactly the text checked (line breaks normalised),
/// is not written.
pub fn write_fixed(path: &Path, read: &str, text: &str) -> Result<(), String> {
    // through a symbolic link, the file it points at is written
    let target = std::fs::canonicalize(path).map_err(|e| format!("cannot write: {e}"))?;
    let path = target.as_path();
    let on_disk = std::fs::read(path).map_err(|e| format!("cannot read it again: {e}"))?;
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let bom = on_disk.starts_with(BOM);
    let body = if bom { &on_disk[3..] } else { &on_disk[..] };
    if body != read.as_bytes() {
        return Err(
            "not fixed: its bytes are not the text checked (it changed since, or its line breaks were normalised)"
                .into(),
        );
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot write: {e}"))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".plimsoll-fix-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write: {e}"))?;
    let written = (|| {
        if bom {
            tmp.write_all(BOM)?;
        }
        tmp.write_all(text.as_bytes())?;
        tmp.flush()?;
        tmp.as_file().set_permissions(meta.permissions())
    })();
    written.map_err(|e| format!("cannot write: {e}"))?;
    tmp.persist(path)
        .map_err(|e| format!("cannot write: {}", e.error))?;
    Ok(())
}
