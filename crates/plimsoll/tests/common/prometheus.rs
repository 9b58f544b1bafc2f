//! A real Prometheus for the right-sizing tests: synthetic history written as
//! OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from
//! openmetrics`, served by `prometheus` on a free loopback port (Debian's `prometheus`
//! package ships both).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const INSTALL: &str = "apt-get install -y prometheus";

/// A running Prometheus, killed when dropped.
pub struct Prometheus {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on the loopback port: the status code, if it answered.
fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.split_whitespace().nth(1)?.parse().ok()
}

/// Starts Prometheus over the history `openmetrics` (which ends with `# EOF`). `None`
/// when prometheus or promtool is missing and the caller may skip (see
/// `common::missing`, which fails in CI).
pub fn start(openmetrics: &str) -> Option<Prometheus> {
    let (Some(prometheus), Some(promtool)) =
        (super::on_path("prometheus"), super::on_path("promtool"))
    else {
        super::missing(
            "prometheus and promtool (Debian's prometheus package)",
            INSTALL,
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("history.om");
    std::fs::write(&data, openmetrics).unwrap();
    let tsdb = dir.path().join("tsdb");
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&data)
        .arg(&tsdb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb create-blocks-from openmetrics failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new(&prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=3650d")
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut p = Prometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if get_status(port, "/-/ready") == Some(200) {
            return Some(p);
        }
        if let Ok(Some(status)) = p.child.try_wait() {
            let log =
                std::fs::read_to_string(p.dir.path().join("prometheus.log")).unwrap_or_default();
            panic!("prometheus exited ({status}) before it was ready:\n{log}");
        }
        assert!(
            Instant::now() < deadline,
            "prometheus was not ready within 90 s: {}",
            std::fs::read_to_string(p.dir.path().join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The directory Prometheus keeps its files in.
pub fn dir(p: &Prometheus) -> &Path {
    p.dir.path()
}
