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

/// Rules `serve` never runs: the files-only rules; the LIV rules and BAK004, BAK005,
/// which judge what a live object reports in `status` (an object under review has no
/// status yet, or the one it is about to replace); the UNU rules, which judge what
/// nothing refers to (one object under review does not say); the UPG rules, about an
/// upgrade to come; IMG006, which judges the scanner's reports of images already
/// running; CAP004, which judges a node pool by the requests of every pod bound there
/// (no object under review changes them, and the index does not hold every pod's spec).
pub fn not_at_admission(code: &str) -> bool {
    crate::audit::files_only(code)
        || plimsoll_rules::live::judges_status_only(code)
        || code.starts_with("UNU")
        || code.starts_with("UPG")
        || code == "IMG006"
        || code == "CAP004"
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
        .filter(|r| !not_at_admission(r.meta().code))
        .collect();
    let default_mode = match args.mode {
        Some(ModeArg::Warn) => ServeMode::Warn,
        Some(ModeArg::Deny) => ServeMode::Deny,
        Some(ModeArg::Off) => ServeMode::Off,
        None => s.config.serve.mode.unwrap_or(ServeMode::Warn),
    };
    // --policy and the configuration's `policies`: read once, judged with every review
    let mut policy_paths: Vec<std::path::PathBuf> = Vec::new();
    if let Some(config) = &s.config_path {
        let dir = config.parent().unwrap_or(std::path::Path::new("."));
        policy_paths.extend(s.config.policies.iter().map(|p| dir.join(p)));
    }
    policy_paths.extend(args.policies.iter().cloned());
    let mut policies = Vec::new();
    if !policy_paths.is_empty() {
        let loaded = crate::check::load_inputs(&policy_paths, "default", &[]);
        if !loaded.errors.is_empty() {
            return Err(Fatal(format!("--policy: {}", loaded.errors.join("; "))));
        }
        policies = loaded.index.objects().to_vec();
    }
    let judge = Judge {
        policies,
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

pub mod cluster {
    use std::collections::{BTreeMap, HashSet};
    use std::sync::RwLock;

    use plimsoll_cluster::{Keep, KindStatus, WatchOptions, Watched};
    use plimsoll_model::{KubeVersion, Object};
    use plimsoll_rules::reads::{kinds_read, reads_secrets};

    use super::*;

    /// How often the kinds the index holds are looked at again (a watch that fails,
    /// or recovers, moves its rules between the cluster and the object alone).
    const REFRESH: Duration = Duration::from_secs(1);

    /// Kinds the rules name that are not API resources, or that are never watched.
    /// The cluster's ValidatingAdmissionPolicies are the API server's to enforce: serve
    /// judges with those of `--policy` only.
    const NOT_WATCHED: &[&str] = &[
        "*",
        "Secret",
        "EncryptionConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ];

    /// How much of a kind the index keeps: workloads as their neighbours' rules read
    /// them, ConfigMaps as their keys, CustomResourceDefinitions without their schemas,
    /// Namespaces as their metadata, the rest whole.
    pub fn keep_of(kind: &str) -> Keep {
        match kind {
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "CronJob"
            | "Pod"
            | "ReplicationController"
            | "Rollout"
            | "DeploymentConfig" => Keep::Workload,
            "ConfigMap" => Keep::Keys,
            "CustomResourceDefinition" => Keep::Definition,
            "Namespace" => Keep::Metadata,
            // read only by IMG006, which serve does not run: the IMG rules share their
            // group's helpers, so the reads table names the kind for all of them
            "VulnerabilityReport" => Keep::Metadata,
            _ => Keep::Full,
        }
    }

    /// The kinds to watch: every kind the rules read, but Secrets.
    pub fn kinds_for(rules: &[&'static dyn plimsoll_rules::Rule]) -> Vec<(String, Keep)> {
        let mut kinds: Vec<&str> = rules
            .iter()
            .flat_map(|r| kinds_read(r.meta().code).iter().copied())
            .filter(|k| !NOT_WATCHED.contains(k))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
            .into_iter()
            .map(|k| (k.to_string(), keep_of(k)))
            .collect()
    }

    /// Whether the index holds every object of a kind, current: its watch has listed it
    /// and is not failing, nothing was dropped for the cap; or the server does not serve
    /// the kind at all (there is none).
    pub fn held(k: &KindStatus) -> bool {
        k.not_served || (k.unwatched.is_none() && k.synced && !k.failing && !k.incomplete)
    }

    /// Whether a kind's watch is still on its first list (neither listed nor failed).
    fn listing(k: &KindStatus) -> bool {
        k.unwatched.is_none() && !k.synced && k.last_error.is_none()
    }

    /// The watch index as the judge's context.
    pub struct Cluster {
        watched: Arc<Watched>,
        /// Whether every kind has listed, or failed to, and the codes of the rules
        /// judged with the cluster (see [`Context::judged_with_cluster`]), refreshed
        /// every [`REFRESH`] (and on every request while some kind is still listing).
        with_cluster: RwLock<(bool, Arc<HashSet<&'static str>>)>,
        rules: Vec<&'static dyn plimsoll_rules::Rule>,
    }

    impl Cluster {
        fn refresh(&self) -> Vec<String> {
            let status = self.watched.status();
            let holds: HashSet<&str> = status
                .iter()
                .filter(|k| held(k))
                .map(|k| k.kind.as_str())
                .collect();
            let codes: HashSet<&'static str> = self
                .rules
                .iter()
                .map(|r| r.meta().code)
                .filter(|code| {
                    kinds_read(code).iter().all(|k| match *k {
                        "*" => true,
                        // never watched: the rules whose findings can depend on
                        // Secrets judge each object alone
                        "Secret" => !reads_secrets(code),
                        k => holds.contains(k),
                    })
                })
                .collect();
            let mut blind: Vec<String> = status
                .iter()
                .filter(|k| !held(k))
                .map(|k| k.kind.clone())
                .collect();
            blind.sort();
            let settled = !status.iter().any(listing);
            *self.with_cluster.write().unwrap_or_else(|e| e.into_inner()) =
                (settled, Arc::new(codes));
            blind
        }
    }

    impl Context for Cluster {
        fn objects_around(&self, namespace: Option<&str>) -> Vec<Object> {
            let mut objects = namespace
                .map(|ns| self.watched.namespace_objects(ns))
                .unwrap_or_default();
            objects.extend(self.watched.cluster_objects());
            objects
        }

        fn namespace_labels(&self, namespace: &str) -> Option<BTreeMap<String, String>> {
            self.watched.namespace_labels(namespace)
        }

        fn judged_with_cluster(&self) -> Arc<HashSet<&'static str>> {
            let (settled, codes) = self
                .with_cluster
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if settled {
                return codes;
            }
            // while kinds are listing, each request looks again: a kind that became held
            // serves the next request, not the next refresh (a kind failing for good,
            // a 403, is left to the refresh: it would cost every request)
            self.refresh();
            self.with_cluster
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .1
                .clone()
        }
    }

    /// Starts the cluster index and hands it to the judge: the rules whose kinds it
    /// holds are judged with the objects around, namespaces' modes are read from their
    /// labels, `/readyz` waits for every watch's first list, and the Kubernetes version
    /// is the server's unless given.
    pub(crate) async fn attach(
        served: &mut Served,
        args: &ServeArgs,
        s: &crate::check::Settings,
    ) -> Result<(), Fatal> {
        let kinds = kinds_for(&served.judge.rules);
        let watched = Watched::start(WatchOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            kinds,
            deprecated: Some(Arc::new(|g: &str, v: &str, k: &str| {
                crate::audit::deprecated(g, v, k)
            })),
            ..WatchOptions::default()
        })
        .await
        .map_err(|e| Fatal(format!("the cluster index cannot start: {e}")))?;
        eprintln!(
            "plimsoll serve: watching {} (Kubernetes {}) for the objects around each request",
            watched.cluster(),
            watched.server_version()
        );
        for k in watched.status() {
            if let Some(why) = &k.unwatched
                && !k.not_served
            {
                eprintln!(
                    "plimsoll serve: {} is not watched ({why}): the rules that read it judge each object alone",
                    k.kind
                );
            }
        }
        // judged against the cluster's own version unless told otherwise
        if args.kube_version.is_none()
            && s.config.kube_version.is_none()
            && let Ok(v) = KubeVersion::parse(watched.server_version())
        {
            served.judge.kube_version = v.min(KubeVersion::NEWEST);
            if args.pss_version.is_none() && s.config.pss_version.is_none() {
                served.judge.pss_version = Some(served.judge.kube_version);
            }
        }
        let rules = served.judge.rules.clone();
        let cluster = Arc::new(Cluster {
            watched: watched.clone(),
            with_cluster: RwLock::new((false, Arc::new(HashSet::new()))),
            rules,
        });
        cluster.refresh();
        {
            let cluster = cluster.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(REFRESH);
                let mut last: Option<Vec<String>> = None;
                loop {
                    tick.tick().await;
                    let blind = cluster.refresh();
                    // said once the first lists are done, then at each change
                    if cluster.watched.synced() && last.as_ref() != Some(&blind) {
                        if blind.is_empty() {
                            eprintln!("plimsoll serve: the index holds every kind the rules read");
                        } else {
                            eprintln!(
                                "plimsoll serve: the index does not hold {} (listing, failing or full): the rules that read them judge each object alone",
                                blind.join(", ")
                            );
                        }
                        last = Some(blind);
                    }
                }
            });
        }
        // ready once every kind has listed, or failed to (a kind the webhook may not
        // list must not keep it unready for ever: its rules judge objects alone)
        let for_ready = watched.clone();
        served.ready = Box::new(move || {
            let status = for_ready.status();
            let listing: Vec<&str> = status
                .iter()
                .filter(|k| listing(k))
                .map(|k| k.kind.as_str())
                .collect();
            if !listing.is_empty() {
                return (
                    false,
                    format!(
                        "not ready: the cluster index is still listing {}",
                        listing.join(", ")
                    ),
                );
            }
            let blind: Vec<String> = status
                .iter()
                .filter(|k| !held(k))
                .map(|k| match &k.last_error {
                    Some(e) => format!("{} ({e})", k.kind),
                    None => k.kind.clone(),
                })
                .collect();
            let mut why = format!("ready ({} objects in the cluster index)", for_ready.len());
            if !blind.is_empty() {
                why.push_str(&format!(
                    "; not held, their rules judge each object alone: {}",
                    blind.join(", ")
                ));
            }
            (true, why)
        });
        let for_counts = watched;
        served.index_counts = Box::new(move || {
            for_counts
                .status()
                .into_iter()
                .filter(|k| k.unwatched.is_none())
                .map(|k| (k.kind, k.objects))
                .collect()
        });
        served.context = Some(cluster);
        Ok(())
    }
}
