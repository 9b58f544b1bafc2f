//! A real Kubernetes control plane for the live-audit tests: etcd and kube-apiserver
//! built from their Go modules (`tools/kube-testenv/build.sh`, cached by version),
//! started on loopback with TLS, static-token users and RBAC, and torn down on drop.
//! No controller-manager or scheduler runs: the tests write the state a cluster would
//! have (ReplicaSets, Pods, their status) themselves, through the real API.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The directory holding `kube-apiserver` and `etcd`, built once per version.
pub fn binaries() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        if Command::new("go").arg("version").output().is_err() {
            super::missing(
                "Go, to build kube-apiserver and etcd for the live-audit tests",
                "apt-get install golang-go (or https://go.dev/dl/)",
            );
            return None;
        }
        let out = Command::new("bash")
            .arg(root.join("tools/kube-testenv/build.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run build.sh");
        assert!(
            out.status.success(),
            "building kube-apiserver and etcd failed"
        );
        let dir = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("build.sh prints the directory")
            .trim()
            .to_string();
        Some(PathBuf::from(dir))
    })
    .as_deref()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind loopback")
        .local_addr()
        .expect("local addr")
        .port()
}

/// The token of each static user.
pub const ADMIN: &str = "admin";
/// The audit's user: bound to exactly the shipped `deploy/audit-rbac.yaml` role.
pub const AUDIT: &str = "plimsoll-audit";
/// The audit's user with the opt-in Secrets role as well.
pub const AUDIT_SECRETS: &str = "plimsoll-audit-secrets";
/// A user with no permissions at all.
pub const NOBODY: &str = "nobody";
/// A user a test binds in one namespace only (a team's view of its namespace).
pub const NAMESPACED: &str = "plimsoll-audit-namespaced";

const USERS: [&str; 5] = [ADMIN, AUDIT, AUDIT_SECRETS, NOBODY, NAMESPACED];

pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub url: String,
    pub kubectl: PathBuf,
    etcd: Child,
    apiserver: Child,
}

impl Cluster {
    /// Starts etcd and kube-apiserver and waits until the API server is ready.
    pub fn start(bin: &Path, kubectl: &Path, extra_flags: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let (client, peer, secure) = (free_port(), free_port(), free_port());
        let log = |name: &str| std::fs::File::create(d.join(name)).expect("log file");
        // first what may fail, so that no process is left running when it does
        // a service-account signing key (required by the API server)
        let key = d.join("sa.key");
        let ok = Command::new("openssl")
            .args([
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ])
            .arg(&key)
            .status()
            .expect("openssl makes the API server's service-account key: install it");
        assert!(ok.success(), "openssl could not make a key");
        let mut tokens = std::fs::File::create(d.join("tokens.csv")).expect("tokens");
        writeln!(tokens, "{ADMIN},admin,1,\"system:masters\"").unwrap();
        writeln!(tokens, "{AUDIT},{AUDIT},2,").unwrap();
        writeln!(tokens, "{AUDIT_SECRETS},{AUDIT_SECRETS},3,").unwrap();
        writeln!(tokens, "{NOBODY},{NOBODY},4,").unwrap();
        writeln!(tokens, "{NAMESPACED},{NAMESPACED},5,").unwrap();
        drop(tokens);

        let etcd = Command::new(bin.join("etcd"))
            .args([
                "--name=plimsoll-test",
                &format!("--data-dir={}", d.join("etcd").display()),
                &format!("--listen-client-urls=http://127.0.0.1:{client}"),
                &format!("--advertise-client-urls=http://127.0.0.1:{client}"),
                &format!("--listen-peer-urls=http://127.0.0.1:{peer}"),
                &format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer}"),
                &format!("--initial-cluster=plimsoll-test=http://127.0.0.1:{peer}"),
                "--unsafe-no-fsync",
                "--log-level=warn",
            ])
            .stdout(log("etcd.log"))
            .stderr(log("etcd.err"))
            .spawn()
            .expect("start etcd");

        let mut args: Vec<String> = vec![
            format!("--etcd-servers=http://127.0.0.1:{client}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={secure}"),
            format!("--cert-dir={}", d.join("certs").display()),
            format!("--token-auth-file={}", d.join("tokens.csv").display()),
            "--authorization-mode=RBAC".into(),
            "--service-account-issuer=https://kubernetes.default.svc".into(),
            format!("--service-account-key-file={}", key.display()),
            format!("--service-account-signing-key-file={}", key.display()),
            "--service-cluster-ip-range=10.96.0.0/16".into(),
            // no controller-manager runs to create the default ServiceAccounts
            "--disable-admission-plugins=ServiceAccount".into(),
            "--enable-priority-and-fairness=false".into(),
            // the kubernetes Service cannot point at a loopback address
            "--endpoint-reconciler-type=none".into(),
            "--v=0".into(),
        ];
        args.extend(extra_flags.iter().map(|s| s.to_string()));
        let apiserver = Command::new(bin.join("kube-apiserver"))
            .args(&args)
            .stdout(log("apiserver.log"))
            .stderr(log("apiserver.err"))
            .spawn();
        let apiserver = match apiserver {
            Ok(a) => a,
            Err(e) => {
                let mut etcd = etcd;
                let _ = etcd.kill();
                let _ = etcd.wait();
                panic!("cannot start kube-apiserver: {e}");
            }
        };
        let mut c = Cluster {
            url: format!("https://127.0.0.1:{secure}"),
            kubectl: kubectl.to_path_buf(),
            dir,
            etcd,
            apiserver,
        };
        // the serving certificate is generated at start-up
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if c.dir.path().join("certs/apiserver.crt").is_file() {
                for user in USERS {
                    c.write_kubeconfig(user);
                }
                let out = c.kubectl_as(ADMIN, &["get", "--raw", "/readyz"]);
                if out.status.success() {
                    break;
                }
            }
            if let Ok(Some(status)) = c.apiserver.try_wait() {
                panic!(
                    "kube-apiserver exited ({status}):\n{}",
                    std::fs::read_to_string(c.dir.path().join("apiserver.err")).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "kube-apiserver not ready after 120 s:\n{}",
                std::fs::read_to_string(c.dir.path().join("apiserver.err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        c
    }

    /// The CA that signed the API server's serving certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("certs/apiserver.crt")
    }

    /// The kubeconfig of a static user.
    pub fn kubeconfig(&self, user: &str) -> PathBuf {
        self.dir.path().join(format!("{user}.kubeconfig"))
    }

    fn write_kubeconfig(&self, user: &str) {
        let ca = self.dir.path().join("certs/apiserver.crt");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: {user}\n  user:\n    token: {user}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: {user}\ncurrent-context: test\n",
            self.url,
            ca.display()
        );
        std::fs::write(self.kubeconfig(user), text).expect("write kubeconfig");
    }

    /// Runs kubectl as a user.
    pub fn kubectl_as(&self, user: &str, args: &[&str]) -> std::process::Output {
        Command::new(&self.kubectl)
            .arg(format!("--kubeconfig={}", self.kubeconfig(user).display()))
            .args(args)
            .output()
            .expect("run kubectl")
    }

    /// Runs kubectl as the admin and panics when it fails.
    pub fn kubectl(&self, args: &[&str]) -> String {
        stdout_of(args, self.kubectl_as(ADMIN, args))
    }

    /// `kubectl apply --server-side -f -` of a YAML text, as the admin.
    pub fn apply(&self, yaml: &str) -> String {
        self.kubectl_stdin(
            &["apply", "--server-side", "--force-conflicts", "-f", "-"],
            yaml,
        )
    }

    /// Runs kubectl as the admin with `input` on stdin.
    pub fn kubectl_input(&self, args: &[&str], input: &str) -> std::process::Output {
        let mut child = Command::new(&self.kubectl)
            .arg(format!("--kubeconfig={}", self.kubeconfig(ADMIN).display()))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        // kubectl may exit before reading all of it; its answer says why
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes());
        child.wait_with_output().expect("kubectl")
    }

    /// Runs kubectl as the admin with `input` on stdin; whether it succeeded (the
    /// reason it did not goes to stderr).
    pub fn kubectl_stdin_ok(&self, args: &[&str], input: &str) -> bool {
        let out = self.kubectl_input(args, input);
        if !out.status.success() {
            eprintln!(
                "kubectl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.status.success()
    }

    /// Runs kubectl as the admin with `input` on stdin; panics when it fails.
    pub fn kubectl_stdin(&self, args: &[&str], input: &str) -> String {
        stdout_of(args, self.kubectl_input(args, input))
    }

    /// Writes the status of an object through its status subresource.
    pub fn set_status(&self, kind: &str, namespace: Option<&str>, name: &str, status: &str) {
        let patch = format!("{{\"status\":{status}}}");
        let mut args = vec![
            "patch",
            kind,
            name,
            "--subresource=status",
            "--type=merge",
            "-p",
        ];
        args.push(&patch);
        if let Some(ns) = namespace {
            args.extend(["-n", ns]);
        }
        self.kubectl(&args);
    }

    /// The uid of an object.
    pub fn uid(&self, kind: &str, namespace: Option<&str>, name: &str) -> String {
        let mut args = vec!["get", kind, name, "-o", "jsonpath={.metadata.uid}"];
        if let Some(ns) = namespace {
            args.extend(["-n", ns]);
        }
        self.kubectl(&args)
    }

    /// The API server's metrics text.
    pub fn metrics(&self) -> String {
        self.kubectl(&["get", "--raw", "/metrics"])
    }
}

/// The stdout of a kubectl run that must have succeeded.
fn stdout_of(args: &[&str], out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "kubectl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.apiserver.kill();
        let _ = self.apiserver.wait();
        let _ = self.etcd.kill();
        let _ = self.etcd.wait();
    }
}
