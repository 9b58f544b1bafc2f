//! The release artefacts of `tools/release/build.sh`, checked with the programs that
//! consume them: the archive's binary is static (ldd) and runs in a chroot that holds
//! nothing else with an empty environment; umoci unpacks the OCI image and its binary
//! runs from the image's root filesystem as the image's numeric user; the same inputs
//! give the same image digest; helm renders the released chart with the image pinned by
//! that digest; krew installs the plugin from the manifest and the archive (its own
//! manifest validation and checksum included) and `kubectl-plimsoll` runs; actionlint
//! accepts the release workflow and the documented example workflow.
//!
//! `.ci/run` builds the release once and names its directory in `PLIMSOLL_RELEASE_DIR`;
//! without it, this test runs the script itself (a whole-program-optimised build of a
//! few minutes the first time).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

const TARGET: &str = "x86_64-unknown-linux-musl";
const NAIVE: &str = "examples/naive/api.yaml";

fn root() -> PathBuf {
    std::fs::canonicalize(common::repo_root()).unwrap()
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The directory with the artefacts, built once per test binary.
fn release() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("PLIMSOLL_RELEASE_DIR") {
            return PathBuf::from(dir);
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release");
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
        let out = Command::new("bash")
            .arg(root().join("tools/release/build.sh"))
            .arg(&dir)
            .env("CARGO_TARGET_DIR", target_dir)
            .output()
            .unwrap();
        ok(&out, "tools/release/build.sh");
        dir
    })
}

fn archive_name() -> String {
    format!("plimsoll-{}-{TARGET}", version())
}

fn unpack_archive(into: &Path) -> PathBuf {
    let archive = release().join(format!("{}.tar.gz", archive_name()));
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(into)
        .output()
        .unwrap();
    ok(&out, "tar -xzf");
    into.join(archive_name())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `chroot ROOT ARGS...` with an empty environment, `input` on stdin.
fn chroot(root_fs: &Path, user: Option<&str>, args: &[&str], input: &[u8]) -> Output {
    let mut cmd = Command::new("/usr/sbin/chroot");
    if let Some(user) = user {
        cmd.arg(format!("--userspec={user}"));
    }
    let mut child = cmd
        .arg(root_fs)
        .args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// The naive API Deployment, checked from stdin by a binary inside `root_fs`: exit 1 with
/// the findings the repository's own build reports.
fn assert_checks_like_the_build(root_fs: &Path, binary: &str, user: Option<&str>) {
    let input = std::fs::read(root().join(NAIVE)).unwrap();
    let out = chroot(
        root_fs,
        user,
        &[binary, "check", "-", "--format", "json", "--no-progress"],
        &input,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let released: Value = serde_json::from_slice(&out.stdout).unwrap();
    // the same input the same way: standard input (read as rendered output, whose
    // namespaces it holds whole, unlike a file named on its own)
    let mut child = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(["check", "-", "--format", "json", "--no-progress"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let here = child.wait_with_output().unwrap();
    let here: Value = serde_json::from_slice(&here.stdout).unwrap();
    let codes = |report: &Value| -> Vec<String> {
        let mut codes: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect();
        codes.sort();
        codes
    };
    assert!(!codes(&released).is_empty());
    assert_eq!(codes(&released), codes(&here));
}

#[test]
fn every_artefact_is_listed_with_its_checksum() {
    let dir = release();
    let name = archive_name();
    for file in [
        format!("{name}.tar.gz"),
        format!("{name}.tar.gz.sha256"),
        format!("plimsoll-chart-{}.tgz", version()),
        format!("plimsoll-chart-{}.tgz.sha256", version()),
        "SHA256SUMS".to_owned(),
        "plimsoll.yaml".to_owned(),
        "image.digest".to_owned(),
        "image/index.json".to_owned(),
        "image/oci-layout".to_owned(),
    ] {
        assert!(dir.join(&file).is_file(), "{file} is missing");
    }
    let out = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(dir)
        .output()
        .unwrap();
    ok(&out, "sha256sum --check SHA256SUMS");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    assert!(sums.contains(&format!("  {name}.tar.gz\n")), "{sums}");
    assert!(sums.contains(&format!("  plimsoll-chart-{}.tgz\n", version())));
}

#[test]
fn the_archive_holds_a_static_binary_that_runs_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let unpacked = unpack_archive(tmp.path());
    let mut files: Vec<String> = walk(&unpacked)
        .into_iter()
        .map(|p| {
            p.strip_prefix(&unpacked)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    for expected in [
        "LICENSE",
        "README.md",
        "completions/_plimsoll",
        "install.sh",
        "completions/plimsoll.bash",
        "completions/plimsoll.fish",
        "man/man1/plimsoll-check.1",
        "man/man1/plimsoll-serve.1",
        "man/man1/plimsoll.1",
        "plimsoll",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} not in {files:?}"
        );
    }
    let binary = unpacked.join("plimsoll");

    // install.sh puts the binary, the man pages and the completions under a prefix
    let prefix = tmp.path().join("prefix");
    let out = Command::new("sh")
        .arg(unpacked.join("install.sh"))
        .arg(&prefix)
        .output()
        .unwrap();
    ok(&out, "install.sh");
    for installed in [
        "bin/plimsoll",
        "share/man/man1/plimsoll.1",
        "share/man/man1/plimsoll-check.1",
        "share/bash-completion/completions/plimsoll",
        "share/zsh/site-functions/_plimsoll",
        "share/fish/vendor_completions.d/plimsoll.fish",
    ] {
        assert!(
            prefix.join(installed).is_file(),
            "install.sh did not install {installed}"
        );
    }
    let bash =
        std::fs::read_to_string(prefix.join("share/bash-completion/completions/plimsoll")).unwrap();
    assert!(bash.contains("complete") && bash.contains("plimsoll"));

    // ldd: "not a dynamic executable", or "statically linked" for a static PIE (newer
    // glibc's ldd); and no program interpreter in the ELF program headers
    let ldd = Command::new("ldd").arg(&binary).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        said.contains("not a dynamic executable") || said.contains("statically linked"),
        "ldd says: {said}"
    );
    assert!(!elf_has_interpreter(&std::fs::read(&binary).unwrap()));

    // --version: the version and the commit the script was built from
    let out = Command::new(&binary).arg("--version").output().unwrap();
    ok(&out, "plimsoll --version");
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root())
        .output()
        .unwrap();
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_owned();
    if std::env::var_os("PLIMSOLL_RELEASE_DIR").is_none() && !commit.is_empty() {
        assert_eq!(printed, format!("plimsoll {} ({commit})", version()));
    } else {
        assert!(
            printed.starts_with(&format!("plimsoll {} (", version())) && printed.ends_with(')'),
            "{printed}"
        );
    }

    // an empty directory with only the binary, an empty environment
    if !is_root() {
        common::missing("root (for chroot)", "run the release test as root");
        return;
    }
    let jail = tempfile::tempdir().unwrap();
    std::fs::copy(&binary, jail.path().join("plimsoll")).unwrap();
    let out = chroot(jail.path(), None, &["/plimsoll", "--version"], b"");
    ok(&out, "plimsoll --version in an empty chroot");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), printed);
    assert_checks_like_the_build(jail.path(), "/plimsoll", None);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn blob(image: &Path, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    std::fs::read(image.join("blobs/sha256").join(hex)).unwrap()
}

#[test]
fn the_image_unpacks_and_runs_as_its_numeric_user() {
    let dir = release();
    let image = dir.join("image");
    let digest = std::fs::read_to_string(dir.join("image.digest"))
        .unwrap()
        .trim()
        .to_owned();

    // the layout: index -> manifest (the recorded digest) -> config
    let index: Value =
        serde_json::from_slice(&std::fs::read(image.join("index.json")).unwrap()).unwrap();
    let entry = &index["manifests"][0];
    assert_eq!(entry["digest"], digest.as_str());
    assert_eq!(
        entry["annotations"]["org.opencontainers.image.ref.name"],
        version()
    );
    let manifest: Value = serde_json::from_slice(&blob(&image, &digest)).unwrap();
    let config: Value = serde_json::from_slice(&blob(
        &image,
        manifest["config"]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"][0], "/plimsoll");
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);

    let Some(umoci) = common::on_path("umoci") else {
        common::missing("umoci", "apt-get install umoci");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    let out = Command::new(&umoci)
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:{}", image.display(), version()))
        .arg(&bundle)
        .output()
        .unwrap();
    ok(&out, "umoci unpack");
    let rootfs = bundle.join("rootfs");
    let mut files: Vec<String> = walk(&rootfs)
        .into_iter()
        .map(|p| {
            p.strip_prefix(&rootfs)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["etc/ssl/certs/ca-certificates.crt", "plimsoll"],
        "the binary and the CA bundle, nothing else"
    );
    let ca = std::fs::read_to_string(rootfs.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    assert!(ca.contains("-----BEGIN CERTIFICATE-----"));
    // umoci's runtime configuration carries the image's user
    let runtime: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    assert_eq!(runtime["process"]["user"]["uid"], 65532);
    assert_eq!(runtime["process"]["user"]["gid"], 65532);

    if !is_root() {
        common::missing("root (for chroot)", "run the release test as root");
        return;
    }
    // umoci --rootless leaves the files to the unpacking user: give them to root as the
    // image says, then run as the image's user
    let out = Command::new("chown")
        .args(["-R", "0:0"])
        .arg(&rootfs)
        .output()
        .unwrap();
    ok(&out, "chown");
    let _ = Command::new("chmod").args(["755"]).arg(&rootfs).output();
    assert_checks_like_the_build(&rootfs, "/plimsoll", Some("65532:65532"));
}

#[test]
fn the_same_inputs_give_the_same_image_digest() {
    let dir = release();
    let tmp = tempfile::tempdir().unwrap();
    let unpacked = unpack_archive(tmp.path());
    let image = dir.join("image");
    let index: Value =
        serde_json::from_slice(&std::fs::read(image.join("index.json")).unwrap()).unwrap();
    let manifest: Value = serde_json::from_slice(&blob(
        &image,
        index["manifests"][0]["digest"].as_str().unwrap(),
    ))
    .unwrap();
    let labels = &manifest["annotations"];
    let created = labels["org.opencontainers.image.created"].as_str().unwrap();
    let epoch = Command::new("date")
        .args(["-u", "-d", created, "+%s"])
        .output()
        .unwrap();
    let epoch = String::from_utf8_lossy(&epoch.stdout).trim().to_owned();
    // the CA bundle as the image holds it: the same bytes as the build's input
    let layer = blob(&image, manifest["layers"][0]["digest"].as_str().unwrap());
    let layer_file = tmp.path().join("layer.tar.gz");
    std::fs::write(&layer_file, layer).unwrap();
    let extracted = tmp.path().join("layer");
    std::fs::create_dir(&extracted).unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&layer_file)
        .arg("-C")
        .arg(&extracted)
        .output()
        .unwrap();
    ok(&out, "tar -xzf layer");
    let mut digests = Vec::new();
    for run in ["a", "b"] {
        let out = Command::new("python3")
            .arg(root().join("tools/release/oci_image.py"))
            .arg("--binary")
            .arg(unpacked.join("plimsoll"))
            .arg("--ca-bundle")
            .arg(extracted.join("etc/ssl/certs/ca-certificates.crt"))
            .arg("--out")
            .arg(tmp.path().join(run))
            .args(["--version", version()])
            .args([
                "--commit",
                labels["org.opencontainers.image.revision"]
                    .as_str()
                    .unwrap(),
            ])
            .args(["--epoch", &epoch])
            .output()
            .unwrap();
        ok(&out, "oci_image.py");
        digests.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    let released = std::fs::read_to_string(dir.join("image.digest")).unwrap();
    assert_eq!(digests[0], digests[1]);
    assert_eq!(digests[0], released.trim());
}

#[test]
fn the_released_chart_pins_the_image_by_digest() {
    let dir = release();
    let digest = std::fs::read_to_string(dir.join("image.digest"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(dir.join(format!("plimsoll-chart-{}.tgz", version())))
        .arg("-C")
        .arg(tmp.path())
        .output()
        .unwrap();
    ok(&out, "tar -xzf chart");
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(&tools.helm)
        .args(["template", "plimsoll"])
        .arg(tmp.path().join("plimsoll"))
        .args(["--namespace", "plimsoll", "--set", "tls.caBundle=LS0tCg=="])
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    ok(&out, "helm template");
    let rendered = String::from_utf8_lossy(&out.stdout);
    let images: Vec<&str> = rendered
        .lines()
        .filter_map(|l| l.trim().strip_prefix("image: "))
        .collect();
    assert!(!images.is_empty());
    for image in images {
        assert!(
            image.trim_matches('"').ends_with(&format!("@{digest}")),
            "{image} is not pinned to {digest}"
        );
    }
}

/// krew and actionlint, built from `tools/release-check` (versions pinned by its go.mod).
fn go_tool(package: &str, name: &str) -> Option<PathBuf> {
    if Command::new("go").arg("version").output().is_err() {
        common::missing("Go", "apt-get install golang-go");
        return None;
    }
    let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let out = Command::new("go")
        .current_dir(root().join("tools/release-check"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=readonly")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(package)
        .output()
        .unwrap();
    ok(&out, &format!("go build {package}"));
    Some(bin)
}

#[test]
fn krew_installs_the_plugin_from_the_manifest_and_archive() {
    let dir = release();
    let manifest = std::fs::read_to_string(dir.join("plimsoll.yaml")).unwrap();
    let sha =
        std::fs::read_to_string(dir.join(format!("{}.tar.gz.sha256", archive_name()))).unwrap();
    let sha = sha.split_whitespace().next().unwrap();
    assert!(manifest.contains(&format!("sha256: {sha}")), "{manifest}");
    assert!(manifest.contains(&format!("version: v{}", version())));
    let Some(krew) = go_tool("sigs.k8s.io/krew/cmd/krew", "krew") else {
        return;
    };
    let archive = dir.join(format!("{}.tar.gz", archive_name()));
    let install = |manifest: &Path, krew_root: &Path| {
        Command::new(&krew)
            .arg("install")
            .arg(format!("--manifest={}", manifest.display()))
            .arg(format!("--archive={}", archive.display()))
            .env("KREW_ROOT", krew_root)
            .env("KREW_NO_UPGRADE_CHECK", "1")
            .output()
            .unwrap()
    };
    let krew_root = tempfile::tempdir().unwrap();
    let out = install(&dir.join("plimsoll.yaml"), krew_root.path());
    ok(&out, "krew install --manifest --archive");
    let plugin = krew_root.path().join("bin/kubectl-plimsoll");
    let out = Command::new(&plugin).arg("--version").output().unwrap();
    ok(&out, "kubectl-plimsoll --version");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("plimsoll {}", version())));
    // a manifest whose checksum is wrong is refused by krew
    let bad = krew_root.path().join("plimsoll.yaml");
    std::fs::write(&bad, manifest.replace(sha, &"0".repeat(64))).unwrap();
    let other_root = tempfile::tempdir().unwrap();
    let out = install(&bad, other_root.path());
    assert!(
        !out.status.success(),
        "krew installed an archive with a wrong checksum"
    );
}

#[test]
fn actionlint_accepts_the_workflows_and_the_action_names_the_released_archive() {
    let Some(actionlint) = go_tool("github.com/rhysd/actionlint/cmd/actionlint", "actionlint")
    else {
        return;
    };
    let out = Command::new(&actionlint)
        .current_dir(root())
        .args([
            ".github/workflows/release.yml",
            "docs/examples/plimsoll-action.yml",
        ])
        .output()
        .unwrap();
    ok(&out, "actionlint");
    // actionlint fails on a broken workflow (the check can fail)
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("broken.yml");
    std::fs::write(
        &broken,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n",
    )
    .unwrap();
    let out = Command::new(&actionlint).arg(&broken).output().unwrap();
    assert!(!out.status.success());
    // the action downloads what the release script names, and the release workflow
    // publishes it
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(action.contains(r#"name="plimsoll-$version-x86_64-unknown-linux-musl""#));
    assert!(action.contains(r#"-O "$base/$name.tar.gz.sha256""#));
    assert!(action.contains("github/codeql-action/upload-sarif"));
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    assert!(workflow.contains("tools/release/build.sh dist"));
    assert!(workflow.contains("dist/*.tar.gz"));
}

/// Whether a 64-bit little-endian ELF file has a `PT_INTERP` program header (a dynamic
/// loader to run it).
fn elf_has_interpreter(elf: &[u8]) -> bool {
    assert_eq!(&elf[..4], b"\x7fELF", "an ELF file");
    assert_eq!((elf[4], elf[5]), (2, 1), "64-bit little-endian");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| {
        let at = phoff + i * phentsize;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == 3 // PT_INTERP
    })
}
