//! Reads a live Kubernetes cluster into plimsoll's object model.
//!
//! - **Discovery**: one aggregated-discovery request for the core group and one for the
//!   named groups (`apidiscovery.k8s.io/v2`), and only each group's preferred version is
//!   listed. Resources the caller marks deprecated are never requested: the audit must not
//!   trip the upgrade alarms it exists to prevent.
//! - **Paged lists**: `limit=500` with `continue`; each page is read straight into trees
//!   ([`plimsoll_yaml::NodeSeed`]), with `metadata.managedFields` dropped while reading.
//! - **Bounded memory**: objects whose controller is already loaded (the ReplicaSets of a
//!   Deployment, the Pods of a ReplicaSet, ...) are kept slim: only what the live rules
//!   read (identity, labels, owners, node, container names and resources, status). The
//!   full pod template is judged once, on the controller. Secret values are never kept.
//! - **Permissions**: a 403 on a resource becomes an [`Unreadable`] entry, which the
//!   report turns into "not evaluated"; it is never a silent pass.
//! - **Watches** ([`Watched`]): for the admission webhook, an index of the kinds it
//!   asks for, kept current by one watch per kind, with the same connection and
//!   discovery as the audit.

mod discovery;
mod list;
mod progress;
pub use progress::DelayedBar;
mod slim;
mod watch;
pub use watch::{DeprecatedFn, Keep, KindStatus, WatchOptions, Watched, trim};

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use kube::config::{KubeConfigOptions, Kubeconfig};
use plimsoll_model::{Object, ObjectRef};

pub use discovery::Resource;
pub use plimsoll_model::helm::{HelmRelease, decode_release};
pub use slim::for_drain;

/// What to read and how to connect.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A kubeconfig file (`None`: `$KUBECONFIG`, `~/.kube/config`, else in-cluster).
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Only this namespace for namespaced resources (`None`: all namespaces).
    pub namespace: Option<String>,
    /// Read Secrets (keys only; values are dropped as they are read) and Helm releases.
    pub secrets: bool,
    /// Items per list request (default 500).
    pub page_size: u32,
    /// Show a progress bar on stderr when it is a terminal and the audit takes longer
    /// than a second.
    pub progress: bool,
    /// How long the audit runs before the bar shows (`None`: one second).
    pub progress_delay: Option<std::time::Duration>,
    /// Trims each object as it is read, instead of the audit's slimming (see
    /// [`read_kinds`]).
    pub trim: Option<TrimFn>,
}

/// Trims an object (its root and kind) to what a reader needs.
pub type TrimFn = fn(plimsoll_yaml::Node, &str) -> plimsoll_yaml::Node;

/// A resource the audit could not read.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub resource: String,
    /// Whether its objects live in namespaces (Secrets) or not (Nodes).
    pub namespaced: bool,
    /// Why: the API server's answer (`forbidden: ...`) or the mode (`Secrets are not read ...`).
    pub reason: String,
}

/// A resource deliberately not listed, with the reason (deprecated, high-volume).
#[derive(Debug, Clone)]
pub struct Skipped {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub reason: String,
}

/// An object's `kubectl.kubernetes.io/last-applied-configuration` apiVersion, which is
/// the version the last `kubectl apply` used (a weak signal: it does not say what any
/// client uses today).
#[derive(Debug, Clone)]
pub struct LastApplied {
    pub object: ObjectRef,
    pub api_version: String,
}

/// Everything read from the cluster.
#[derive(Debug)]
pub struct Snapshot {
    /// The server's version (`v1.37.2`).
    pub server_version: String,
    /// The context or host read (for the report).
    pub cluster: String,
    pub objects: Vec<Object>,
    pub unreadable: Vec<Unreadable>,
    pub skipped: Vec<Skipped>,
    /// The API server's `/metrics` text, or why it could not be read.
    pub metrics: Result<String, String>,
    pub helm_releases: Vec<HelmRelease>,
    pub last_applied: Vec<LastApplied>,
    /// Whether Secrets were read: `--secrets` was given and the list was allowed.
    pub secrets_read: bool,
    pub stats: Stats,
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub requests: usize,
    pub bytes: usize,
    pub slimmed: usize,
    pub seconds: f64,
}

/// A resource whose list failed: refused (403, or gone since discovery), which is
/// reported as not readable, or any other error, which stops the read.
fn unreadable(
    r: &Resource,
    e: list::ListError,
    namespace: Option<&str>,
) -> Result<Unreadable, Error> {
    match e {
        list::ListError::Forbidden(reason) => Ok(Unreadable {
            group: r.group.clone(),
            version: r.version.clone(),
            kind: r.kind.clone(),
            resource: r.resource.clone(),
            namespaced: r.namespaced,
            reason,
        }),
        list::ListError::Other(msg) => Err(Error(format!("listing {}: {msg}", r.path(namespace)))),
    }
}

/// A connection or discovery failure: nothing could be audited.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Decides whether a (group, version, kind) must not be requested; returns the reason.
pub type SkipFn<'a> = &'a (dyn Fn(&str, &str, &str) -> Option<String> + Sync);

/// The kubeconfig `kubectl` would read: `$KUBECONFIG` (a list of files, merged) or
/// `~/.kube/config`; `None` when neither is there (then the in-cluster account is used).
fn default_kubeconfig() -> Result<Option<Kubeconfig>, Error> {
    let env = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty());
    let home = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".kube/config"))
        .filter(|p| p.exists());
    if env.is_none() && home.is_none() {
        return Ok(None);
    }
    let what = match &env {
        Some(v) => format!("$KUBECONFIG ({})", v.to_string_lossy()),
        None => "~/.kube/config".to_string(),
    };
    Kubeconfig::read()
        .map(Some)
        .map_err(|e| Error(format!("{what}: cannot read kubeconfig: {}", chain(&e))))
}

/// Connects as a kubeconfig (`--kubeconfig`, else `$KUBECONFIG` or `~/.kube/config`) or,
/// without one, as the pod's service account. Returns the client and the name of what
/// is audited: the context (with the server's address) or `in-cluster`.
async fn client(opts: &Options) -> Result<(kube::Client, String), Error> {
    let (kc, origin) = match &opts.kubeconfig {
        Some(path) => {
            if !path.exists() {
                return Err(Error(format!(
                    "{}: no such kubeconfig file",
                    path.display()
                )));
            }
            let kc = Kubeconfig::read_from(path).map_err(|e| {
                Error(format!(
                    "{}: cannot read kubeconfig: {}",
                    path.display(),
                    chain(&e)
                ))
            })?;
            (Some(kc), path.display().to_string())
        }
        None => (default_kubeconfig()?, "kubeconfig".to_string()),
    };
    let (config, name) = match kc {
        Some(kc) => {
            let contexts: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
            let context = match opts.context.as_ref().or(kc.current_context.as_ref()) {
                Some(c) if contexts.contains(&c.as_str()) => c.clone(),
                Some(c) => {
                    return Err(Error(format!(
                        "{origin}: no context `{c}` (it has: {})",
                        if contexts.is_empty() {
                            "none".to_string()
                        } else {
                            contexts.join(", ")
                        }
                    )));
                }
                None => {
                    return Err(Error(format!(
                        "{origin}: no current context; name one with --context (it has: {})",
                        contexts.join(", ")
                    )));
                }
            };
            let ko = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            let config = kube::Config::from_custom_kubeconfig(kc, &ko)
                .await
                .map_err(|e| Error(format!("{origin}: context `{context}`: {}", chain(&e))))?;
            let name = format!("{context} ({})", config.cluster_url);
            (config, name)
        }
        None if opts.context.is_some() => {
            return Err(Error(
                "--context: no kubeconfig to find it in ($KUBECONFIG is unset and ~/.kube/config does not exist); give --kubeconfig".into(),
            ));
        }
        None => {
            let config = kube::Config::incluster().map_err(|e| {
                Error(format!(
                    "no cluster to audit: no kubeconfig ($KUBECONFIG is unset and ~/.kube/config does not exist) and not running in a cluster ({}); give --kubeconfig",
                    chain(&e)
                ))
            })?;
            let name = format!("in-cluster ({})", config.cluster_url);
            (config, name)
        }
    };
    let client =
        kube::Client::try_from(config).map_err(|e| Error(format!("client: {}", chain(&e))))?;
    Ok((client, name))
}

/// Reads the cluster. Runs its own tokio runtime: callers are synchronous.
pub fn snapshot(opts: &Options, skip: SkipFn) -> Result<Snapshot, Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error(format!("cannot start the runtime: {e}")))?;
    rt.block_on(snapshot_async(opts, skip))
}

async fn snapshot_async(opts: &Options, skip: SkipFn<'_>) -> Result<Snapshot, Error> {
    let start = Instant::now();
    let progress = progress::Progress::new(
        opts.progress,
        opts.progress_delay.unwrap_or(progress::DELAY),
    );
    let (client, cluster) = client(opts).await?;
    let version = client.apiserver_version().await.map_err(|e| {
        Error(format!(
            "cannot reach the API server of {cluster}: {}",
            describe(&e)
        ))
    })?;
    let discovery::Discovered { resources, stale } = discovery::discover(&client).await?;

    let mut snap = Snapshot {
        server_version: version.git_version.clone(),
        cluster,
        objects: Vec::new(),
        unreadable: Vec::new(),
        skipped: Vec::new(),
        metrics: Err(String::new()),
        helm_releases: Vec::new(),
        last_applied: Vec::new(),
        secrets_read: false,
        stats: Stats::default(),
    };
    for g in &stale {
        let reason = format!(
            "the aggregated API server of {}/{} is unavailable (its discovery document is stale)",
            g.group, g.version
        );
        if g.resources.is_empty() {
            snap.skipped.push(Skipped {
                group: g.group.clone(),
                version: g.version.clone(),
                resource: "every resource".into(),
                reason: reason.clone(),
            });
        }
        for r in g
            .resources
            .iter()
            .filter(|r| r.verbs.iter().any(|v| v == "list"))
        {
            snap.unreadable.push(Unreadable {
                group: r.group.clone(),
                version: r.version.clone(),
                kind: r.kind.clone(),
                resource: r.resource.clone(),
                namespaced: r.namespaced,
                reason: reason.clone(),
            });
        }
    }
    let mut stats = Stats::default();
    progress.resources(resources.len());

    // which resources to list, in phases: controllers before what they control, so
    // that controlled objects can be kept slim
    let mut phases: [Vec<&Resource>; 3] = Default::default();
    for r in &resources {
        if !r.verbs.iter().any(|v| v == "list") {
            continue;
        }
        let reason = never_listed(r)
            .map(str::to_string)
            .or_else(|| skip(&r.group, &r.version, &r.kind));
        if let Some(reason) = reason {
            snap.skipped.push(Skipped {
                group: r.group.clone(),
                version: r.version.clone(),
                resource: r.resource.clone(),
                reason,
            });
            continue;
        }
        if r.group.is_empty() && r.resource == "secrets" && !opts.secrets {
            snap.unreadable.push(Unreadable {
                group: String::new(),
                version: r.version.clone(),
                kind: r.kind.clone(),
                resource: r.resource.clone(),
                namespaced: true,
                reason: "Secrets are not read by default (RBAC has no metadata-only read); give --secrets with the secrets role to check references to them".into(),
            });
            continue;
        }
        // a namespaced audit still reads the cluster-scoped objects it can (nodes,
        // namespaces, cluster roles): rules need them, and a 403 is reported
        phases[phase(r)].push(r);
    }

    let mut controllers: HashSet<String> = HashSet::new();
    for phase in phases {
        let results = list::list_all(&client, &phase, opts, &controllers, &progress).await;
        for (r, res) in phase.iter().zip(results) {
            match res {
                Ok(page) => {
                    stats.requests += page.requests;
                    stats.bytes += page.bytes;
                    stats.slimmed += page.slimmed;
                    if is_controller_kind(&r.kind) {
                        controllers.extend(page.uids);
                    }
                    if r.group.is_empty() && r.resource == "secrets" {
                        snap.secrets_read = true;
                    }
                    snap.last_applied.extend(page.last_applied);
                    snap.helm_releases.extend(page.helm_releases);
                    snap.objects.extend(page.objects);
                }
                Err(e) => snap
                    .unreadable
                    .push(unreadable(r, e, opts.namespace.as_deref())?),
            }
        }
    }
    progress.finish();

    snap.metrics = match client
        .request_text(
            http::Request::get("/metrics")
                .body(Vec::new())
                .expect("static request"),
        )
        .await
    {
        Ok(text) => {
            stats.requests += 1;
            Ok(text)
        }
        Err(e) => Err(describe(&e)),
    };
    stats.seconds = start.elapsed().as_secs_f64();
    snap.stats = stats;
    Ok(snap)
}

/// What [`read_kinds`] read.
#[derive(Debug)]
pub struct KindsRead {
    /// The server's version (`v1.37.2`).
    pub server_version: String,
    /// The context or host read.
    pub cluster: String,
    pub objects: Vec<Object>,
    /// Kinds asked for that the server does not serve or the user may not list.
    pub unreadable: Vec<Unreadable>,
    pub stats: Stats,
}

/// Reads every object of some built-in kinds, (group, kind) pairs such as
/// `("", "Pod")` or `("apps", "ReplicaSet")`, at their preferred versions, each trimmed
/// by `opts.trim` as it is read. Never Secrets. A kind the user may not list is
/// returned as unreadable; a failure to connect or list is an error.
pub fn read_kinds(opts: &Options, kinds: &[(&str, &str)]) -> Result<KindsRead, Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let start = Instant::now();
        let progress = progress::Progress::new(
            opts.progress,
            opts.progress_delay.unwrap_or(progress::DELAY),
        );
        let (client, cluster) = client(opts).await?;
        let version = client.apiserver_version().await.map_err(|e| {
            Error(format!(
                "cannot reach the API server of {cluster}: {}",
                describe(&e)
            ))
        })?;
        let discovery::Discovered { resources, .. } = discovery::discover(&client).await?;
        let mut out = KindsRead {
            server_version: version.git_version.clone(),
            cluster,
            objects: Vec::new(),
            unreadable: Vec::new(),
            stats: Stats::default(),
        };
        let wanted: Vec<&Resource> = resources
            .iter()
            .filter(|r| {
                kinds.iter().any(|(g, k)| r.group == *g && r.kind == *k)
                    && !(r.group.is_empty() && r.resource == "secrets")
                    && r.verbs.iter().any(|v| v == "list")
            })
            .collect();
        for (g, k) in kinds {
            if !wanted.iter().any(|r| r.group == *g && r.kind == *k) {
                out.unreadable.push(Unreadable {
                    group: g.to_string(),
                    version: String::new(),
                    kind: k.to_string(),
                    resource: k.to_lowercase(),
                    namespaced: true,
                    reason: "the API server does not serve it".into(),
                });
            }
        }
        progress.resources(wanted.len());
        let results = list::list_all(&client, &wanted, opts, &HashSet::new(), &progress).await;
        for (r, res) in wanted.iter().zip(results) {
            match res {
                Ok(page) => {
                    out.stats.requests += page.requests;
                    out.stats.bytes += page.bytes;
                    out.objects.extend(page.objects);
                }
                Err(e) => out
                    .unreadable
                    .push(unreadable(r, e, opts.namespace.as_deref())?),
            }
        }
        progress.finish();
        out.stats.seconds = start.elapsed().as_secs_f64();
        Ok(out)
    })
}

/// Resources never listed, whatever the permissions: high-volume streams no rule reads,
/// and core APIs the server itself deprecates (listing them would count as a use of a
/// deprecated API, and raise the warnings this tool warns about).
fn never_listed(r: &Resource) -> Option<&'static str> {
    match (r.group.as_str(), r.resource.as_str()) {
        ("", "events") | ("events.k8s.io", "events") => {
            Some("events: high volume, and no rule reads them")
        }
        ("coordination.k8s.io", "leases") => {
            Some("leases: heartbeats (one per node), and no rule reads them")
        }
        _ => deprecated_core(r),
    }
}

/// Core resources the server itself deprecates at their only version: a request for them
/// counts as a use of a deprecated API, wherever it comes from (the audit, the watches).
fn deprecated_core(r: &Resource) -> Option<&'static str> {
    match (r.group.as_str(), r.resource.as_str()) {
        ("", "componentstatuses") => Some("v1 ComponentStatus is deprecated since 1.19"),
        ("", "endpoints") => {
            Some("v1 Endpoints is deprecated since 1.33; EndpointSlices replace it")
        }
        _ => None,
    }
}

/// Kinds whose objects control others, listed first.
fn is_controller_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "CronJob"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController"
            | "Rollout"
            | "DeploymentConfig"
    )
}

fn phase(r: &Resource) -> usize {
    match (r.group.as_str(), r.kind.as_str()) {
        // owned by the controllers of phase 0 (a DeploymentConfig owns
        // ReplicationControllers as a Deployment owns ReplicaSets)
        ("apps", "ReplicaSet") | ("", "ReplicationController") | ("batch", "Job") => 1,
        ("", "Pod") => 2,
        _ => 0,
    }
}

/// A kube error as a user reads it.
pub(crate) fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => {
            if s.message.is_empty() {
                format!("HTTP {}", s.code)
            } else {
                format!("{} (HTTP {})", s.message, s.code)
            }
        }
        other => chain(other),
    }
}

/// An error with its causes (`client error (Connect): tcp connect error: Connection
/// refused (os error 111)`): the outermost message alone rarely says what went wrong.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
