//! Finding and reading the inputs of a run: files, directories (recursive, honouring
//! .gitignore and excludes), stdin. Charts and Kustomize overlays are never parsed raw.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;
use plimsoll_yaml::format_size;

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    File(PathBuf),
    Stdin,
    /// A directory holding `Chart.yaml`, rendered with `helm template`.
    Chart(PathBuf),
    /// A directory holding a kustomization, built with kustomize.
    Kustomization(PathBuf),
}

/// A path as the report shows it: as given, without a leading `./`.
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    let s = s.trim_start_matches("./");
    let s = if s.len() > 1 {
        s.trim_end_matches('/')
    } else {
        s
    };
    if s.is_empty() {
        ".".to_string()
    } else {
        s.to_string()
    }
}

impl Input {
    pub fn display(&self) -> String {
        match self {
            Input::File(p) | Input::Chart(p) | Input::Kustomization(p) => display_path(p),
            Input::Stdin => "<stdin>".to_string(),
        }
    }
}

/// What discovery found: the inputs to read, and problems with the paths themselves.
#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    /// (path, message)
    pub errors: Vec<(String, String)>,
    /// Files met while walking a directory and not read: (path, message).
    pub skipped: Vec<(String, String)>,
    /// Directories named that hold no .yaml, .yml or .json file, chart or overlay.
    pub empty_dirs: Vec<String>,
}

/// Whether an entry met while walking `root` is read, and if not, why. Only regular files
/// are read: a FIFO would block the run, a device would never end. A symbolic link is
/// followed only to a regular file inside `root`.
fn walked_file(p: &Path, file_type: std::fs::FileType, root: &Path) -> Result<(), &'static str> {
    if file_type.is_file() {
        return Ok(());
    }
    if !file_type.is_symlink() {
        return Err("skipped: not a regular file");
    }
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err("skipped: a symbolic link to something that is not a regular file"),
        Err(_) => return Err("skipped: a symbolic link that cannot be followed"),
    }
    let inside = match (std::fs::canonicalize(p), std::fs::canonicalize(root)) {
        (Ok(target), Ok(root)) => target.starts_with(root),
        _ => false,
    };
    if inside {
        Ok(())
    } else {
        Err("skipped: a symbolic link to a file outside the input directory (not read)")
    }
}

const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn is_manifest(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e))
}

/// The kustomization file of a directory, if it has one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|k| dir.join(k))
        .find(|p| p.is_file())
}

/// A directory that must be rendered rather than read: a Helm chart or a Kustomize
/// overlay.
fn render_input(dir: &Path) -> Option<Input> {
    if dir.join("Chart.yaml").is_file() {
        Some(Input::Chart(dir.to_path_buf()))
    } else if kustomization_file(dir).is_some() {
        Some(Input::Kustomization(dir.to_path_buf()))
    } else {
        None
    }
}

pub fn discover(paths: &[PathBuf], excludes: &[String]) -> Discovered {
    let mut out = Discovered::default();
    // an invalid pattern is an error once, whether or not a directory is walked
    let excludes: Vec<&String> = excludes
        .iter()
        .filter(
            |ex| match OverrideBuilder::new(".").add(&format!("!{ex}")) {
                Ok(_) => true,
                Err(e) => {
                    // the pattern as the user wrote it, without the `!` added above
                    let why = e
                        .to_string()
                        .replace(&format!("'!{ex}'"), &format!("'{ex}'"));
                    out.errors
                        .push(((*ex).clone(), format!("invalid exclude pattern: {why}")));
                    false
                }
            },
        )
        .collect();
    for path in paths {
        if path.as_os_str() == "-" {
            out.inputs.push(Input::Stdin);
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                out.errors.push((
                    path.to_string_lossy().to_string(),
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        if meta.is_file() {
            out.inputs.push(Input::File(path.clone()));
            continue;
        }
        if !meta.is_dir() {
            use std::os::unix::fs::FileTypeExt;
            let t = meta.file_type();
            if t.is_fifo() || t.is_char_device() {
                // named on the command line: read as a stream, within the size limit
                out.inputs.push(Input::File(path.clone()));
            } else {
                out.errors.push((
                    path.to_string_lossy().to_string(),
                    "not a regular file, directory or pipe".to_string(),
                ));
            }
            continue;
        }
        let mut overrides = OverrideBuilder::new(path);
        for ex in &excludes {
            // validated above
            let _ = overrides.add(&format!("!{ex}"));
        }
        let overrides = overrides.build().unwrap_or_else(|_| {
            OverrideBuilder::new(path)
                .build()
                .expect("empty overrides build")
        });
        let mut rendered_dirs: Vec<PathBuf> = Vec::new();
        let walker = WalkBuilder::new(path)
            .overrides(overrides)
            .require_git(false)
            .sort_by_file_path(|a, b| a.cmp(b))
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        let mut found = Vec::new();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.errors
                        .push((path.to_string_lossy().to_string(), e.to_string()));
                    continue;
                }
            };
            let p = entry.path();
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                if !rendered_dirs.iter().any(|d| p.starts_with(d))
                    && let Some(input) = render_input(p)
                {
                    rendered_dirs.push(p.to_path_buf());
                    found.push(input);
                }
                continue;
            }
            if is_manifest(p) && !rendered_dirs.iter().any(|d| p.starts_with(d)) {
                match entry.file_type().map(|t| walked_file(p, t, path)) {
                    Some(Ok(())) => found.push(Input::File(p.to_path_buf())),
                    Some(Err(why)) => out.skipped.push((display_path(p), why.to_string())),
                    None => {}
                }
            }
        }
        if found.is_empty() {
            out.empty_dirs.push(path.to_string_lossy().to_string());
        }
        out.inputs.extend(found);
    }
    out.inputs.dedup();
    drop_reached_through_overlays(&mut out.inputs);
    out
}

/// Bases, components and charts that an overlay among the inputs builds are checked
/// through it, not once more on their own.
fn drop_reached_through_overlays(inputs: &mut Vec<Input>) {
    drop_reached_from(inputs, 0);
}

/// [`drop_reached_through_overlays`] for the inputs from position `from` on, with the
/// overlays of every input: the charts and overlays under a root that an overlay
/// named on the command line builds are not rendered a second time.
fn drop_reached_from(inputs: &mut Vec<Input>, from: usize) {
    let overlays: Vec<&PathBuf> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::Kustomization(d) => Some(d),
            _ => None,
        })
        .collect();
    if overlays.is_empty() {
        return;
    }
    let mut reached = Vec::new();
    for d in overlays {
        crate::render::reached_dirs(d, &mut reached);
    }
    let mut at = 0;
    inputs.retain(|i| {
        at += 1;
        match i {
            Input::Chart(d) | Input::Kustomization(d) if at > from => {
                let c = std::fs::canonicalize(d).unwrap_or_else(|_| d.clone());
                !reached.contains(&c)
            }
            _ => true,
        }
    });
}

/// The inputs of a run with roots (`check --root`): the inputs named on the command line
/// first, then those found under the roots that are not named (read for context only).
#[derive(Debug, Default)]
pub struct WithRoots {
    /// The named inputs, then the context inputs.
    pub inputs: Vec<Input>,
    /// How many of `inputs` were named.
    pub named: usize,
    /// Per input: found under a root (the named ones as well, when a root holds them).
    pub under_root: Vec<bool>,
    /// Problems with the named paths (errors of the run).
    pub errors: Vec<(String, String)>,
    /// Problems met while walking the roots (notes: they are context only).
    pub root_errors: Vec<(String, String)>,
    /// Files met while walking the named directories and not read.
    pub skipped: Vec<(String, String)>,
    /// Named directories that hold no manifest file, chart or overlay.
    pub empty_dirs: Vec<String>,
}

/// Where an input is on disk, to recognise it under another name.
fn identity(input: &Input) -> Option<PathBuf> {
    match input {
        Input::Stdin => None,
        Input::File(p) | Input::Chart(p) | Input::Kustomization(p) => {
            Some(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        }
    }
}

/// Discovers the named paths, then the roots; an input both named and under a root is
/// read once, as named.
pub fn discover_with_roots(paths: &[PathBuf], roots: &[PathBuf], excludes: &[String]) -> WithRoots {
    let named = discover(paths, excludes);
    let mut out = WithRoots {
        named: named.inputs.len(),
        under_root: vec![false; named.inputs.len()],
        inputs: named.inputs,
        errors: named.errors,
        skipped: named.skipped,
        empty_dirs: named.empty_dirs,
        ..WithRoots::default()
    };
    if roots.is_empty() {
        return out;
    }
    let context = discover(roots, excludes);
    let known: std::collections::HashMap<PathBuf, usize> = out
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| Some((identity(input)?, i)))
        .collect();
    for input in context.inputs {
        match identity(&input).and_then(|k| known.get(&k)) {
            Some(&i) => out.under_root[i] = true,
            None => {
                out.inputs.push(input);
                out.under_root.push(true);
            }
        }
    }
    // only inputs after the named ones are dropped, and all of those are under a root
    drop_reached_from(&mut out.inputs, out.named);
    out.under_root.truncate(out.inputs.len());
    out.root_errors = context.errors;
    out
}

/// Reads an input whole, refusing one larger than `max_bytes` (`--max-file-size`): a
/// regular file by its size, before reading anything, and a stream (stdin, a pipe)
/// after `max_bytes` bytes.
pub fn read(input: &Input, max_bytes: u64) -> Result<Vec<u8>, String> {
    let too_large = |what: &str| {
        format!(
            "{what} larger than the {} limit; not read; raise it with --max-file-size",
            format_size(max_bytes)
        )
    };
    match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .take(max_bytes.saturating_add(1))
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            if buf.len() as u64 > max_bytes {
                return Err(too_large("standard input is"));
            }
            Ok(buf)
        }
        Input::Chart(_) | Input::Kustomization(_) => {
            Err("a chart or overlay is rendered, not read".to_string())
        }
        Input::File(p) => {
            let f = std::fs::File::open(p).map_err(|e| format!("cannot read: {e}"))?;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len > max_bytes {
                return Err(too_large(&format!("the file is {},", format_size(len))));
            }
            let mut buf = Vec::with_capacity(len as usize);
            // the length may be zero or wrong (a pipe, a device, a growing file): the read
            // is bounded as well
            f.take(max_bytes.saturating_add(1))
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read: {e}"))?;
            if buf.len() as u64 > max_bytes {
                return Err(too_large("the input is"));
            }
            Ok(buf)
        }
    }
}
