//! `plimsoll serve` started on loopback with a certificate made for the test, and an
//! HTTPS client for it (hyper over rustls, trusting only the test's CA).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

/// A CA and a serving certificate for 127.0.0.1, made with openssl.
pub struct Certs {
    pub dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl makes the test's certificates: install it");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Certs {
    pub fn new() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=plimsoll test CA",
            ],
        );
        let c = Certs { dir };
        c.issue("tls", "first");
        c
    }

    /// Issues a serving certificate for 127.0.0.1 into `{name}.crt` and `{name}.key`,
    /// with `serial_cn` in its subject to tell certificates apart.
    pub fn issue(&self, name: &str, serial_cn: &str) {
        let d = self.dir.path();
        let ext = d.join("ext.cnf");
        std::fs::write(&ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &format!("{name}.new.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={serial_cn}"),
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                &format!("{name}.new.crt"),
            ],
        );
        // replaced by rename, as a Secret volume is updated
        std::fs::rename(
            d.join(format!("{name}.new.key")),
            d.join(format!("{name}.key")),
        )
        .unwrap();
        std::fs::rename(
            d.join(format!("{name}.new.crt")),
            d.join(format!("{name}.crt")),
        )
        .unwrap();
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("tls.key")
    }
}

/// The plimsoll binary the servers run: the test build, or the one `PLIMSOLL_SERVE_BIN`
/// names (the release build, for the measurements in `bench/RESULTS.md`).
pub fn binary() -> PathBuf {
    std::env::var_os("PLIMSOLL_SERVE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_plimsoll")))
}

/// A running `plimsoll serve`.
pub struct Server {
    child: Child,
    pub addr: String,
    pub log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `plimsoll serve --listen 127.0.0.1:0` with the certificates and `args`, in
    /// `dir`, and waits for it to say where it listens.
    pub fn start(certs: &Certs, dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .current_dir(dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(certs.cert())
            .arg("--tls-key")
            .arg(certs.key())
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start plimsoll serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let addr = line
                    .split("listening on https://")
                    .nth(1)
                    .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string());
                lines.lock().unwrap().push(line);
                if let Some(addr) = addr {
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "plimsoll serve did not start:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Server { child, addr, log }
    }

    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An answer: status, body, headers, and the subject of the certificate presented.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub headers: http::HeaderMap,
    pub peer_subject: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn client_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

/// Sends one request on a new TLS connection (HTTP/1.1).
pub fn request(ca: &Path, port: u16, method: &str, path: &str, body: Vec<u8>) -> Reply {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect to plimsoll serve");
        let connector = tokio_rustls::TlsConnector::from(client_config(ca));
        let tls = connector
            .connect(
                rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap(),
                tcp,
            )
            .await
            .expect("TLS handshake with plimsoll serve");
        let peer_subject = {
            let (_, conn) = tls.get_ref();
            let leaf = &conn.peer_certificates().unwrap()[0];
            let (_, cert) = x509_parser::parse_x509_certificate(leaf).unwrap();
            cert.subject().to_string()
        };
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(conn);
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let res = tokio::time::timeout(Duration::from_secs(30), sender.send_request(req))
            .await
            .expect("an answer within 30 s")
            .expect("an answer");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status,
            body,
            headers,
            peer_subject,
        }
    })
}

/// Polls `f` until it is true or `secs` pass.
pub fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("not within {secs} s: {what}");
}

/// An AdmissionReview request for `object` (JSON), in `namespace`.
pub fn review(uid: &str, operation: &str, namespace: &str, object: &serde_json::Value) -> Vec<u8> {
    let kind = object["kind"].as_str().unwrap_or("");
    let api = object["apiVersion"].as_str().unwrap_or("");
    let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "test"},
            "object": object,
            "dryRun": false,
        }
    }))
    .unwrap()
}
