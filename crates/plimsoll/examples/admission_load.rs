//! A constant-rate load client for `plimsoll serve` (the admission benchmark driven by
//! `bench/serve_load.py`).
//!
//! Open loop: request `i` is scheduled at `start + i / rate`, whatever the answers to
//! the earlier ones; requests go round-robin over `--connections` keep-alive HTTP/1.1
//! connections over TLS (one request in flight on each, as the API server's client
//! does). Latency is measured from the *scheduled* send time, so a request that waits
//! behind a slow one on its connection counts its wait (no coordinated omission). A
//! thread of its own keeps the schedule (the runtime's timer ticks in milliseconds).
//!
//! ```sh
//! cargo run --release -p plimsoll --example admission_load -- --addr 127.0.0.1:8443 \
//!     --ca ca.crt --object-from examples/production/api.yaml --kind Deployment \
//!     --rate 1000 --duration 60 --warmup 5
//! ```
//!
//! Each answer must be HTTP 200, an AdmissionReview in JSON, with the request's uid;
//! anything else is an error. Reported: requests sent, errors by kind, the rate
//! achieved, the client's latency (p50, p90, p99, p99.9, max) and the server's own time
//! from its `server-timing: judge;dur=MS` header (p50, p90, p99, p99.9, max).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(about = "Constant-rate (open-loop) load client for plimsoll serve")]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:8443")]
    addr: std::net::SocketAddr,
    /// The CA certificate (PEM) to trust for the server's certificate.
    #[arg(long, value_name = "FILE")]
    ca: PathBuf,
    /// The name to verify the server's certificate against (default: the address's IP).
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
    /// Requests per second, scheduled at fixed intervals.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Seconds at the same rate before the measurement, not counted.
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    /// Keep-alive connections, each with one request in flight at a time.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Threads of the client's runtime (the schedule has one more of its own).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// An AdmissionReview (JSON) to send; its `request.uid` is replaced by a new one for
    /// each request.
    #[arg(long, value_name = "FILE", conflicts_with = "object_from")]
    body: Option<PathBuf>,
    /// A manifest (YAML) whose object of `--kind` is sent in an AdmissionReview.
    #[arg(long, value_name = "FILE", requires = "kind")]
    object_from: Option<PathBuf>,
    /// The kind of the object of `--object-from` (the first one of that kind).
    #[arg(long)]
    kind: Option<String>,
    /// The namespace of the review (default: the object's, else `default`).
    #[arg(long)]
    namespace: Option<String>,
    /// The path posted to.
    #[arg(long, default_value = "/validate")]
    path: String,
    /// Seconds a request may take before it is an error (and its connection is opened
    /// again); also how long after the schedule ends requests still waiting are sent.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Prints the results as one JSON object.
    #[arg(long)]
    json: bool,
    /// Prints the request body that would be sent, and exits.
    #[arg(long)]
    print_body: bool,
}

/// Stands for the uid in the serialised review, replaced for each request.
const UID_MARK: &str = "@@plimsoll-load-uid@@";

/// The review's bytes before and after the uid.
struct Template {
    before: Vec<u8>,
    after: Vec<u8>,
}

impl Template {
    fn body(&self, uid: &str) -> Bytes {
        let mut b = Vec::with_capacity(self.before.len() + uid.len() + self.after.len());
        b.extend_from_slice(&self.before);
        b.extend_from_slice(uid.as_bytes());
        b.extend_from_slice(&self.after);
        Bytes::from(b)
    }
}

/// An AdmissionReview for `object`, as the API server sends one for a `kubectl create`.
fn review_of(object: Value, namespace: &str) -> Value {
    let kind = object["kind"].as_str().unwrap_or("").to_string();
    let api = object["apiVersion"].as_str().unwrap_or("").to_string();
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let (group, version) = api.rsplit_once('/').unwrap_or(("", &api));
    let gvk = json!({"group": group, "version": version, "kind": kind});
    let gvr = json!({"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())});
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": UID_MARK,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": name,
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {
                "username": "system:serviceaccount:ci:deployer",
                "uid": "3b0e0a4c-8f1e-4a57-9d3c-5d1f0c7e2a11",
                "groups": ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"]
            },
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {
                "apiVersion": "meta.k8s.io/v1",
                "kind": "CreateOptions",
                "fieldManager": "kubectl-client-side-apply",
                "fieldValidation": "Strict"
            }
        }
    })
}

fn template(args: &Args) -> Result<Template, String> {
    let mut review = if let Some(path) = &args.body {
        let text = std::fs::read(path).map_err(|e| format!("--body {}: {e}", path.display()))?;
        let mut review: Value = serde_json::from_slice(&text)
            .map_err(|e| format!("--body {}: not JSON: {e}", path.display()))?;
        let Some(request) = review.get_mut("request").and_then(Value::as_object_mut) else {
            return Err(format!("--body {}: no request", path.display()));
        };
        request.insert("uid".into(), Value::from(UID_MARK));
        if let Some(ns) = &args.namespace {
            request.insert("namespace".into(), Value::from(ns.as_str()));
        }
        review
    } else if let Some(path) = &args.object_from {
        let kind = args.kind.as_deref().unwrap_or("");
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--object-from {}: {e}", path.display()))?;
        let object = plimsoll_yaml::parse_stream(&text, plimsoll_yaml::Limits::default())
            .documents
            .into_iter()
            .filter_map(|d| d.root.map(|r| r.to_json()))
            .find(|o| o["kind"] == kind)
            .ok_or_else(|| format!("--object-from {}: no {kind}", path.display()))?;
        let namespace = args
            .namespace
            .clone()
            .or_else(|| object["metadata"]["namespace"].as_str().map(str::to_string))
            .unwrap_or_else(|| "default".to_string());
        review_of(object, &namespace)
    } else {
        return Err("say what to send: --body FILE or --object-from FILE --kind KIND".into());
    };
    let text = serde_json::to_string(&review.take()).expect("a JSON value serialises");
    let (before, after) = text
        .split_once(&format!("\"{UID_MARK}\""))
        .ok_or("the review has no request.uid")?;
    Ok(Template {
        before: format!("{before}\"").into_bytes(),
        after: format!("\"{after}").into_bytes(),
    })
}

fn client_config(ca: &std::path::Path) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(ca)
        .map_err(|e| format!("--ca {}: {e}", ca.display()))?;
    for c in certs {
        let c = c.map_err(|e| format!("--ca {}: {e}", ca.display()))?;
        roots
            .add(c)
            .map_err(|e| format!("--ca {}: {e}", ca.display()))?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// What every connection shares.
struct Shared {
    addr: std::net::SocketAddr,
    server_name: rustls_pki_types::ServerName<'static>,
    connector: tokio_rustls::TlsConnector,
    template: Template,
    path: String,
    /// The `host` header.
    host: String,
    timeout: Duration,
    /// Requests still waiting after this are not sent.
    give_up: Instant,
}

async fn connect(s: &Shared) -> Result<Sender, String> {
    let tcp = tokio::net::TcpStream::connect(s.addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let tls = s
        .connector
        .connect(s.server_name.clone(), tcp)
        .await
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One request of the schedule.
struct Job {
    seq: u64,
    at: Instant,
    measured: bool,
}

#[derive(Default)]
struct Errors {
    status: u64,
    json: u64,
    uid: u64,
    transport: u64,
    timeout: u64,
    unsent: u64,
    /// The first few, to show.
    examples: Vec<String>,
}

impl Errors {
    fn total(&self) -> u64 {
        self.status + self.json + self.uid + self.transport + self.timeout + self.unsent
    }
    fn note(&mut self, what: String) {
        if self.examples.len() < 5 {
            self.examples.push(what);
        }
    }
    fn add(&mut self, o: Errors) {
        self.status += o.status;
        self.json += o.json;
        self.uid += o.uid;
        self.transport += o.transport;
        self.timeout += o.timeout;
        self.unsent += o.unsent;
        for e in o.examples {
            self.note(e);
        }
    }
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    sent: u64,
    /// Microseconds from the scheduled send to the whole answer.
    client_us: Vec<u32>,
    /// The server's `server-timing`, in microseconds.
    server_us: Vec<u32>,
    errors: Errors,
    allowed: u64,
    denied: u64,
    warned: u64,
    last_done: Option<Instant>,
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u32::MAX as u128) as u32
}

/// `judge;dur=1.234` in microseconds.
fn server_timing(headers: &http::HeaderMap) -> Option<u32> {
    let v = headers.get("server-timing")?.to_str().ok()?;
    let ms: f64 = v
        .split(';')
        .find_map(|p| p.trim().strip_prefix("dur="))?
        .parse()
        .ok()?;
    Some((ms * 1000.0).round() as u32)
}

enum Outcome {
    Answer {
        status: u16,
        headers: http::HeaderMap,
        body: Bytes,
    },
    Transport(String),
    Timeout,
}

async fn send(s: &Shared, sender: &mut Sender, uid: &str) -> Outcome {
    let req = http::Request::builder()
        .method("POST")
        .uri(s.path.as_str())
        .header("host", s.host.as_str())
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Full::new(s.template.body(uid)))
        .expect("a valid request");
    let exchange = async {
        sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let res = sender
            .send_request(req)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("read: {e}"))?
            .to_bytes();
        Ok::<_, String>((status, headers, body))
    };
    match tokio::time::timeout(s.timeout, exchange).await {
        Ok(Ok((status, headers, body))) => Outcome::Answer {
            status,
            headers,
            body,
        },
        Ok(Err(e)) => Outcome::Transport(e),
        Err(_) => Outcome::Timeout,
    }
}

/// Sends the jobs given to this connection, one at a time, and measures them.
async fn connection(
    s: Arc<Shared>,
    mut sender: Option<Sender>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
) -> Tally {
    #[derive(serde::Deserialize)]
    struct Response {
        uid: String,
        allowed: bool,
        #[serde(default)]
        warnings: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    struct ReviewOut {
        response: Response,
    }
    let mut t = Tally::default();
    while let Some(job) = jobs.recv().await {
        if Instant::now() > s.give_up {
            if job.measured {
                t.errors.unsent += 1;
            }
            continue;
        }
        if sender.is_none() {
            match connect(&s).await {
                Ok(c) => sender = Some(c),
                Err(e) => {
                    if job.measured {
                        t.errors.transport += 1;
                        t.errors.note(e);
                    }
                    continue;
                }
            }
        }
        let uid = format!("00000000-0000-4000-8000-{:012x}", job.seq);
        let outcome = send(&s, sender.as_mut().expect("connected"), &uid).await;
        let done = Instant::now();
        if job.measured {
            t.sent += 1;
            t.last_done = Some(done);
        }
        match outcome {
            Outcome::Answer {
                status,
                headers,
                body,
            } => {
                if !job.measured {
                    continue;
                }
                if status != 200 {
                    t.errors.status += 1;
                    t.errors.note(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    ));
                    continue;
                }
                let review: ReviewOut = match serde_json::from_slice(&body) {
                    Ok(r) => r,
                    Err(e) => {
                        t.errors.json += 1;
                        t.errors.note(format!("not an AdmissionReview: {e}"));
                        continue;
                    }
                };
                if review.response.uid != uid {
                    t.errors.uid += 1;
                    t.errors
                        .note(format!("uid {} answered for {uid}", review.response.uid));
                    continue;
                }
                if review.response.allowed {
                    t.allowed += 1;
                } else {
                    t.denied += 1;
                }
                if !review.response.warnings.is_empty() {
                    t.warned += 1;
                }
                t.client_us
                    .push(micros(done.saturating_duration_since(job.at)));
                if let Some(us) = server_timing(&headers) {
                    t.server_us.push(us);
                }
            }
            Outcome::Transport(e) => {
                sender = None;
                if job.measured {
                    t.errors.transport += 1;
                    t.errors.note(e);
                }
            }
            Outcome::Timeout => {
                sender = None;
                if job.measured {
                    t.errors.timeout += 1;
                    t.errors.note(format!("no answer within {:?}", s.timeout));
                }
            }
        }
    }
    t
}

/// Percentiles of a sorted list of microseconds.
fn summary(sorted: &[u32]) -> Value {
    let at = |p: f64| -> u32 {
        if sorted.is_empty() {
            return 0;
        }
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    };
    let mean = if sorted.is_empty() {
        0.0
    } else {
        sorted.iter().map(|&x| x as f64).sum::<f64>() / sorted.len() as f64
    };
    json!({
        "count": sorted.len(),
        "mean": mean.round(),
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "p999": at(0.999),
        "max": sorted.last().copied().unwrap_or(0),
    })
}

fn ms(v: &Value) -> String {
    format!("{:.3} ms", v.as_f64().unwrap_or(0.0) / 1000.0)
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("admission_load: {e}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<(), String> {
    if !(args.rate > 0.0 && args.duration > 0.0 && args.warmup >= 0.0 && args.connections > 0) {
        return Err("--rate, --duration and --connections must be positive".into());
    }
    let template = template(&args)?;
    if args.print_body {
        println!("{}", String::from_utf8_lossy(&template.body("uid")));
        return Ok(());
    }
    let body_bytes = template.body("00000000-0000-4000-8000-000000000000").len();
    let server_name = args
        .server_name
        .clone()
        .unwrap_or_else(|| args.addr.ip().to_string());
    let server_name = rustls_pki_types::ServerName::try_from(server_name)
        .map_err(|e| format!("--server-name: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(client_config(&args.ca)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let total = ((args.warmup + args.duration) * args.rate).round() as u64;
    let first_measured = (args.warmup * args.rate).round() as u64;
    let interval = 1.0 / args.rate;
    let c = args.connections;

    let (tallies, lag, measure_start) = runtime.block_on(async {
        // connected before the schedule starts: handshakes are not measured
        let placeholder = Shared {
            addr: args.addr,
            server_name: server_name.clone(),
            connector: connector.clone(),
            template,
            path: args.path.clone(),
            host: args.addr.to_string(),
            timeout: Duration::from_secs_f64(args.timeout),
            give_up: Instant::now(),
        };
        let mut senders = Vec::new();
        for _ in 0..c {
            senders.push(connect(&placeholder).await?);
        }
        let start = Instant::now() + Duration::from_millis(20);
        let end = start + Duration::from_secs_f64(args.warmup + args.duration);
        let shared = Arc::new(Shared {
            give_up: end + Duration::from_secs_f64(args.timeout),
            ..placeholder
        });
        let mut txs = Vec::new();
        let mut tasks = Vec::new();
        for sender in senders {
            let (tx, rx) = mpsc::unbounded_channel();
            txs.push(tx);
            tasks.push(tokio::spawn(connection(shared.clone(), Some(sender), rx)));
        }
        // the schedule: a thread that sleeps to each request's time and hands it over
        let pacer = std::thread::spawn(move || {
            let mut lag = Vec::with_capacity((total - first_measured) as usize);
            for seq in 0..total {
                let at = start + Duration::from_secs_f64(seq as f64 * interval);
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                let measured = seq >= first_measured;
                if measured {
                    lag.push(micros(Instant::now().saturating_duration_since(at)));
                }
                let _ = txs[(seq % c as u64) as usize].send(Job { seq, at, measured });
            }
            lag
        });
        let mut tallies = Vec::new();
        for t in tasks {
            tallies.push(t.await.map_err(|e| format!("a connection failed: {e}"))?);
        }
        let lag = pacer.join().map_err(|_| "the schedule's thread failed")?;
        let measure_start = start + Duration::from_secs_f64(first_measured as f64 * interval);
        Ok::<_, String>((tallies, lag, measure_start))
    })?;

    let mut errors = Errors::default();
    let (mut client, mut server) = (Vec::new(), Vec::new());
    let (mut sent, mut allowed, mut denied, mut warned) = (0, 0, 0, 0);
    let mut last_done = measure_start;
    for t in tallies {
        sent += t.sent;
        allowed += t.allowed;
        denied += t.denied;
        warned += t.warned;
        client.extend(t.client_us);
        server.extend(t.server_us);
        errors.add(t.errors);
        if let Some(d) = t.last_done {
            last_done = last_done.max(d);
        }
    }
    client.sort_unstable();
    server.sort_unstable();
    let mut lag = lag;
    lag.sort_unstable();
    let scheduled = total - first_measured;
    let elapsed = last_done
        .saturating_duration_since(measure_start)
        .as_secs_f64();
    let achieved = if elapsed > 0.0 {
        client.len() as f64 / elapsed
    } else {
        0.0
    };
    let result = json!({
        "rate": args.rate,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": c,
        "path": args.path,
        "body_bytes": body_bytes,
        "scheduled": scheduled,
        "sent": sent,
        "ok": client.len(),
        "errors": {
            "total": errors.total(),
            "status": errors.status,
            "json": errors.json,
            "uid": errors.uid,
            "transport": errors.transport,
            "timeout": errors.timeout,
            "unsent": errors.unsent,
            "examples": errors.examples,
        },
        "answers": {"allowed": allowed, "denied": denied, "with_warnings": warned},
        "achieved_rps": (achieved * 10.0).round() / 10.0,
        "client_us": summary(&client),
        "server_us": summary(&server),
        "schedule_lag_us": summary(&lag),
    });
    if args.json {
        println!("{result}");
        return Ok(());
    }
    let (cl, sv, lg) = (
        &result["client_us"],
        &result["server_us"],
        &result["schedule_lag_us"],
    );
    println!(
        "POST {} at {} req/s for {} s ({} s warm-up), {} connections, body {} bytes",
        args.path, args.rate, args.duration, args.warmup, c, body_bytes
    );
    println!(
        "requests: {scheduled} scheduled, {sent} sent, {} ok, {} errors; achieved {:.1} req/s",
        client.len(),
        errors.total(),
        achieved
    );
    println!("answers: {allowed} allowed, {denied} denied, {warned} with warnings");
    println!(
        "client latency (from the scheduled send): p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        ms(&cl["p50"]),
        ms(&cl["p90"]),
        ms(&cl["p99"]),
        ms(&cl["p999"]),
        ms(&cl["max"])
    );
    println!(
        "server time (server-timing):           p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        ms(&sv["p50"]),
        ms(&sv["p90"]),
        ms(&sv["p99"]),
        ms(&sv["p999"]),
        ms(&sv["max"])
    );
    println!(
        "schedule lag of the client:            p50 {}  p99 {}  max {}",
        ms(&lg["p50"]),
        ms(&lg["p99"]),
        ms(&lg["max"])
    );
    if errors.total() > 0 {
        println!(
            "errors: {} status, {} not JSON, {} uid mismatch, {} transport, {} timeout, {} not sent",
            errors.status, errors.json, errors.uid, errors.transport, errors.timeout, errors.unsent
        );
        for e in &errors.examples {
            println!("  e.g. {e}");
        }
    }
    Ok(())
}
