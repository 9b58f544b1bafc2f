//! Finding and reading the inputs of a run: files, directories (recursive, honouring
//! .gitignore and excludes), stdin. Charts and Kustomize overlays are never parsed raw.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;

/// Largest file read. Kubernetes stores objects of at most ~1.5 MiB; a manifest file
/// beyond this is not something to load whole.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => p.to_string_lossy().trim_start_matches("./").to_string(),
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
}

const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn is_manifest(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e))
}

/// A directory that must be rendered rather than read: a Helm chart or a Kustomize
/// overlay.
fn render_kind(dir: &Path) -> Option<&'static str> {
    if dir.join("Chart.yaml").is_file() {
        Some("Helm chart")
    } else if KUSTOMIZATION_FILES.iter().any(|k| dir.join(k).is_file()) {
        Some("Kustomize overlay")
    } else {
        None
    }
}

pub fn discover(paths: &[PathBuf], excludes: &[String]) -> Discovered {
    let mut out = Discovered::default();
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
        let mut overrides = OverrideBuilder::new(path);
        for ex in excludes {
            if let Err(e) = overrides.add(&format!("!{ex}")) {
                out.errors
                    .push((ex.clone(), format!("invalid exclude pattern: {e}")));
            }
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
                if let Some(kind) = render_kind(p)
                    && !rendered_dirs.iter().any(|d| p.starts_with(d))
                {
                    rendered_dirs.push(p.to_path_buf());
                    out.errors.push((
                        p.to_string_lossy().to_string(),
                        format!("{kind}: rendering charts and overlays is not supported by this version, so its files were not checked (they are never parsed raw); check the rendered output instead, e.g. `helm template ... | plimsoll check -`"),
                    ));
                }
                continue;
            }
            if is_manifest(p) && !rendered_dirs.iter().any(|d| p.starts_with(d)) {
                found.push(Input::File(p.to_path_buf()));
            }
        }
        out.inputs.extend(found);
    }
    out.inputs.dedup();
    out
}

/// Reads an input whole, refusing files larger than [`MAX_FILE_BYTES`].
pub fn read(input: &Input) -> Result<Vec<u8>, String> {
    match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            if buf.len() as u64 > MAX_FILE_BYTES {
                return Err(format!("input larger than {} MiB", MAX_FILE_BYTES >> 20));
            }
            Ok(buf)
        }
        Input::File(p) => {
            let f = std::fs::File::open(p).map_err(|e| format!("cannot read: {e}"))?;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len > MAX_FILE_BYTES {
                return Err(format!(
                    "file is {} MiB, larger than the {} MiB limit",
                    len >> 20,
                    MAX_FILE_BYTES >> 20
                ));
            }
            let mut buf = Vec::with_capacity(len as usize);
            f.take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read: {e}"))?;
            Ok(buf)
        }
    }
}
