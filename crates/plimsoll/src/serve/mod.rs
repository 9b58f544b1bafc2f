//! `plimsoll serve`: the rules of `check` at admission, as a validating and mutating
//! webhook that never becomes the outage.
//!
//! - Each request is read (at most [`admission::MAX_BODY`]; anything that is not an
//!   AdmissionReview v1 with a uid gets 400 and a one-line reason) and judged on a
//!   blocking thread under a deadline; a deadline passed, a panic or an internal error
//!   allows the request with a warning (fail-open) or, with `--fail-closed`, refuses it,
//!   and is counted.
//! - Evaluations run at most [`MAX_CONCURRENT`] at a time: a flood of requests waits
//!   for a slot within its deadline, then fails open, instead of piling up threads.
//! - TLS is rustls; the certificate is read again when its files change ([`tls`]).
//! - `/healthz` says the process answers, `/readyz` that it can judge (with a cluster:
//!   its index has listed every kind once), `/metrics` is the Prometheus text.

pub mod admission;
pub mod metrics;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use plimsoll_rules::config::ServeMode;
use tokio::sync::Semaphore;

use crate::check::{Fatal, select_rules, settings};
use crate::cli::{ModeArg, RunArgs, ServeArgs};
use admission::{Answer, BadRequest, Context, Decision, Endpoint, Judge};
use metrics::{CodeLabels, Metrics, ReasonLabels, RequestLabels};

/// Evaluations running at once, at most (per core, the rules are CPU-bound).
pub const MAX_CONCURRENT: usize = 64;
/// A client has this long to finish its TLS handshake, to send a request's headers, and
/// to send its body.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests may take to finish after SIGTERM.
const DRAIN: Duration = Duration::from_secs(10);

/// What the handlers share.
pub struct Served {
    pub judge: Judge,
    pub context: Option<Arc<dyn Context>>,
    /// Whether the server can judge, and what `/readyz` says.
    pub ready: Box<dyn Fn() -> (bool, String) + Send + Sync>,
    pub metrics: Metrics,
    pub deadline: Duration,
    pub fail_closed: bool,
    pub tls: Option<Arc<tls::Reloading>>,
    /// Index objects by kind, for the metrics.
    pub index_counts: Box<dyn Fn() -> Vec<(String, usize)> + Send + Sync>,
    permits: Arc<Semaphore>,
}

impl Served {
    pub fn new(judge: Judge, deadline: Duration, fail_closed: bool) -> Served {
        Served {
            judge,
            context: None,
            ready: Box::new(|| {
                (
                    true,
                    "ready (no cluster: rules that look at other objects are skipped)".to_string(),
                )
            }),
            metrics: Metrics::new(),
            deadline,
            fail_closed,
            tls: None,
            index_counts: Box::new(Vec::new),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
        }
    }
}

/// The answer to a request that could not be judged.
fn unjudged(s: &Served, uid: &str, reason: &str, detail: &str) -> Answer {
    s.metrics
        .unjudged
        .get_or_create(&ReasonLabels {
            reason: reason.to_string(),
        })
        .inc();
    eprintln!("plimsoll serve: request {uid} could not be judged ({reason}): {detail}");
    let mut a = Answer::allow(uid, Decision::Failed);
    if s.fail_closed {
        a.allowed = false;
        a.message = Some(format!(
            "plimsoll could not judge this request ({reason}: {detail}); it is refused because the webhook runs with --fail-closed"
        ));
    } else {
        a.warnings = vec![format!(
            "plimsoll could not judge this request ({reason}); allowed without its checks (fail-open)"
        )];
    }
    a
}

fn bad_request(s: &Served, why: &str) -> Response<Body> {
    s.metrics.malformed.inc();
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(format!("{why}\n")))
        .expect("a valid response")
}

async fn review(s: Arc<Served>, endpoint: Endpoint, body: Body) -> Response<Body> {
    let start = Instant::now();
    let bytes = match tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        axum::body::to_bytes(body, admission::MAX_BODY),
    )
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            return bad_request(
                &s,
                &format!(
                    "the request body could not be read or is over the limit of {} bytes: {e}",
                    admission::MAX_BODY
                ),
            );
        }
        Err(_) => {
            return bad_request(
                &s,
                &format!("the request body was not sent within {HANDSHAKE_TIMEOUT:?}"),
            );
        }
    };
    // the deadline is for judging: it starts once the request is read
    let start_judging = Instant::now();
    let review = match admission::parse(&bytes) {
        Ok(r) => r,
        Err(BadRequest(why)) => return bad_request(&s, &why),
    };
    drop(bytes);
    let uid = review.uid.clone();
    let operation = review.operation.clone();
    let kind = review.kind.clone();
    let answer = judge_in_time(&s, review, endpoint, start_judging).await;
    let labels = RequestLabels {
        endpoint: endpoint.as_str().to_string(),
        operation,
        kind,
        decision: answer.decision.as_str().to_string(),
    };
    s.metrics.requests.get_or_create(&labels).inc();
    if endpoint == Endpoint::Validate {
        for code in &answer.codes {
            s.metrics
                .findings
                .get_or_create(&CodeLabels {
                    code: code.to_string(),
                })
                .inc();
        }
    }
    let body = answer.to_json();
    let took = start.elapsed();
    s.metrics
        .latency
        .get_or_create(&labels)
        .observe(took.as_secs_f64());
    if answer.decision == Decision::Denied {
        eprintln!(
            "plimsoll serve: denied {uid}: {}",
            answer.message.as_deref().unwrap_or("").replace('\n', " ")
        );
    }
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("a valid response");
    // the server's own time for the request, for load benchmarks (Server-Timing)
    if let Ok(v) = HeaderValue::from_str(&format!("judge;dur={:.3}", took.as_secs_f64() * 1000.0)) {
        response.headers_mut().insert("server-timing", v);
    }
    response
}

/// Judges on a blocking thread, within the deadline (counted from `start`).
async fn judge_in_time(
    s: &Arc<Served>,
    review: admission::Review,
    endpoint: Endpoint,
    start: Instant,
) -> Answer {
    let uid = review.uid.clone();
    let left = s.deadline.saturating_sub(start.elapsed());
    let permit = match tokio::time::timeout(left, s.permits.clone().acquire_owned()).await {
        Ok(Ok(p)) => p,
        _ => {
            return unjudged(
                s,
                &uid,
                "deadline",
                "every evaluation slot stayed busy until the deadline",
            );
        }
    };
    let shared = s.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        shared
            .judge
            .answer(&review, endpoint, shared.context.as_deref())
    });
    let left = s.deadline.saturating_sub(start.elapsed());
    match tokio::time::timeout(left, task).await {
        Ok(Ok(Ok(answer))) => answer,
        Ok(Ok(Err(e))) => unjudged(s, &uid, "error", &e),
        Ok(Err(e)) => unjudged(s, &uid, "panic", &e.to_string()),
        Err(_) => unjudged(
            s,
            &uid,
            "deadline",
            &format!("judging took longer than {:?}", s.deadline),
        ),
    }
}

async fn validate(State(s): State<Arc<Served>>, body: Body) -> Response<Body> {
    review(s, Endpoint::Validate, body).await
}

async fn mutate(State(s): State<Arc<Served>>, body: Body) -> Response<Body> {
    review(s, Endpoint::Mutate, body).await
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(s): State<Arc<Served>>) -> Response<Body> {
    let (ready, why) = (s.ready)();
    Response::builder()
        .status(if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        })
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(format!("{why}\n")))
        .expect("a valid response")
}

async fn metrics_page(State(s): State<Arc<Served>>) -> Response<Body> {
    for (kind, n) in (s.index_counts)() {
        s.metrics
            .index_objects
            .get_or_create(&metrics::KindLabels { kind })
            .set(n as i64);
    }
    if let Some(tls) = &s.tls {
        s.metrics.cert_expiry.set(tls.not_after());
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
        .body(Body::from(s.metrics.encode()))
        .expect("a valid response")
}

/// The routes.
pub fn router(s: Arc<Served>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .with_state(s)
}

/// The judge for the command line and configuration.
fn judge(args: &ServeArgs) -> Result<(Judge, crate::check::Settings), Fatal> {
    let run = RunArgs {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
        kube_version: args.kube_version.clone(),
        pss_version: args.pss_version.clone(),
        fail_on: args.fail_on,
        config: args.config.clone(),
        no_config: args.no_config,
        strict: args.strict,
        ..RunArgs::default()
    };
    let s = settings(&run, &[], None)?;
    let rules: Vec<_> = select_rules(&run, &s)?
        .into_iter()
        .filter(|r| !crate::audit::files_only(r.meta().code))
        .collect();
    let default_mode = match args.mode {
        Some(ModeArg::Warn) => ServeMode::Warn,
        Some(ModeArg::Deny) => ServeMode::Deny,
        Some(ModeArg::Off) => ServeMode::Off,
        None => s.config.serve.mode.unwrap_or(ServeMode::Warn),
    };
    let judge = Judge {
        cluster_rules: rules.clone(),
        rules,
        config: s.config.clone(),
        kube_version: s.kube_version,
        pss_version: s.pss_version,
        fail_on: s.fail_on,
        default_mode,
        mutate: s.config.serve.mutate,
        strict: args.strict,
    };
    Ok((judge, s))
}

pub fn run(args: &ServeArgs) -> Result<i32, Fatal> {
    let (judge, s) = judge(args)?;
    let tls = tls::Reloading::new(&args.tls_cert, &args.tls_key).map_err(Fatal)?;
    let tls_config = tls.server_config().map_err(Fatal)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("plimsoll-serve")
        .build()
        .map_err(|e| Fatal(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        let mut served = Served::new(judge, args.timeout, args.fail_closed);
        served.tls = Some(tls.clone());
        if !args.no_cluster {
            cluster::attach(&mut served, args, &s).await?;
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Fatal(format!("--listen {}: {e}", args.listen)))?;
        eprintln!(
            "plimsoll serve: listening on https://{} ({} rules; default mode {}; {}; deadline {:?}, fail-{})",
            listener.local_addr().map_or(args.listen, |a| a),
            served.judge.rules.len(),
            served.judge.default_mode.as_str(),
            if args.no_cluster {
                "no cluster: rules that look at other objects are skipped and namespace labels are not read".to_string()
            } else {
                "with the cluster index".to_string()
            },
            args.timeout,
            if args.fail_closed { "closed" } else { "open" },
        );
        let served = Arc::new(served);
        tokio::spawn(reload_certificates(tls));
        serve(listener, tokio_rustls::TlsAcceptor::from(Arc::new(tls_config)), router(served)).await;
        Ok(0)
    })
}

/// Reads the certificate files again every [`tls::POLL`].
async fn reload_certificates(tls: Arc<tls::Reloading>) {
    let mut tick = tokio::time::interval(tls::POLL);
    let mut last_error = String::new();
    loop {
        tick.tick().await;
        match tls.reload() {
            Ok(true) => {
                last_error.clear();
                eprintln!(
                    "plimsoll serve: the serving certificate changed; new connections get the new one"
                );
            }
            Ok(false) => {}
            Err(e) if e != last_error => {
                eprintln!(
                    "plimsoll serve: the certificate files changed but do not load, the previous pair stays: {e}"
                );
                last_error = e;
            }
            Err(_) => {}
        }
    }
}

/// Accepts connections until SIGTERM or SIGINT, then lets those in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: Router,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT);
    let builder = Arc::new(builder);
    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        let (tcp, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // out of file descriptors and the like: keep serving
                    eprintln!("plimsoll serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let Ok(Ok(stream)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
            else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let _ = watcher.watch(conn).await;
        });
    }
    eprintln!("plimsoll serve: stopping: finishing the requests in flight");
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

mod cluster {
    use super::*;

    /// Starts the cluster index and hands it to the judge.
    pub async fn attach(
        _served: &mut Served,
        _args: &ServeArgs,
        _s: &crate::check::Settings,
    ) -> Result<(), Fatal> {
        Err(Fatal(
            "serve with a cluster index is not available in this build yet: run with --no-cluster"
                .to_string(),
        ))
    }
}
