//! An in-memory index of a cluster kept current by watches, for the admission webhook.
//!
//! The webhook judges one object at a time, but its cross-object rules need that
//! object's neighbours: the PodDisruptionBudgets that cover its pods, the Pod Security
//! labels of its namespace, the Services and NetworkPolicies that select its pods, the
//! HorizontalPodAutoscaler that fights its `replicas`, the ConfigMaps, ServiceAccounts
//! and PersistentVolumeClaims it names. Listing them on every request would put the API
//! server on the webhook's latency path; instead each kind is watched once
//! (`kube::runtime::watcher`: a paged list, then a watch resumed from its
//! resourceVersion, re-listed after a desync) and kept here.
//!
//! - **What is kept**: each kind is kept whole ([`Keep::Full`]), as its metadata only
//!   ([`Keep::Metadata`], through metadata-only requests: the server never sends the
//!   rest), or as the parts of a workload that neighbours' rules read
//!   ([`Keep::Workload`]). `metadata.managedFields` is dropped while reading and the
//!   `kubectl.kubernetes.io/last-applied-configuration` annotation (a second copy of the
//!   object) before storing. Secrets are never watched.
//! - **Bounded**: past [`WatchOptions::max_objects`] new objects are not kept, and the
//!   index says it is incomplete ([`Watched::complete`]) rather than answering as if the
//!   missing objects did not exist.
//! - **Failures are states**: a kind the server does not serve is unwatched with the
//!   reason; a watch that fails (403, connection lost) keeps retrying with backoff and
//!   its error is in [`Watched::status`]. Nothing here panics or ends the process.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use futures::StreamExt;
use kube::core::{ApiResource, DynamicResourceScope, ObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use plimsoll_model::{Object, SourceRef};
use plimsoll_yaml::{CompactString, Data, Entry, Node, NodeSeed, Span};
use serde::de::{Deserialize, DeserializeSeed, Deserializer};

use crate::discovery::{self, Discovered, Resource};
use crate::{Error, Options, chain, describe, slim};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// How much of an object of a kind the index keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Everything but `metadata.managedFields` and the last-applied annotation
    /// (PodDisruptionBudgets, Services, NetworkPolicies, HPAs: their specs are read);
    /// of a Node, everything but the list of images it holds.
    Full,
    /// `apiVersion`, `kind` and `metadata` (ConfigMaps, ServiceAccounts, PVCs,
    /// Namespaces: their existence and labels are read). Watched with metadata-only
    /// requests, so neither the server nor the network carries the rest.
    Metadata,
    /// Metadata, replicas, selector, `serviceName`, the names of the
    /// `volumeClaimTemplates`, the pod template's metadata, and of the pod spec the
    /// containers (name, image, ports, resources, restartPolicy), the service account,
    /// `hostNetwork` and the volumes naming a PVC, ConfigMap or Secret; the replica
    /// counts of the status (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods).
    Workload,
    /// Metadata and the keys of `data` and `binaryData`, their values emptied
    /// (ConfigMaps: which keys exist is read by the rules that check references to
    /// them; what the values say is not, and can be megabytes).
    Keys,
    /// Everything but the schemas of each version and the status
    /// (CustomResourceDefinitions: their group, names, scope, versions and
    /// subresources are read; the OpenAPI schemas can be megabytes).
    Definition,
}

/// Decides whether a (group, version, kind) is deprecated; returns the reason. The
/// caller's table of API lifecycles (the audit's `deprecated`): aggregated discovery
/// does not say which versions are deprecated.
pub type DeprecatedFn = Arc<dyn Fn(&str, &str, &str) -> Option<String> + Send + Sync>;

/// What to watch and how to connect.
#[derive(Clone)]
pub struct WatchOptions {
    /// A kubeconfig file (`None`: `$KUBECONFIG`, `~/.kube/config`, else in-cluster),
    /// resolved as the audit resolves it.
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Each kind to watch and how much of it to keep. A kind is its Kubernetes name
    /// (`PodDisruptionBudget`) or `group/Kind` (`policy/PodDisruptionBudget`,
    /// `core/Service`) when several groups serve it; it is watched at the version the
    /// server prefers. `Namespace` is added (as [`Keep::Metadata`]) when missing: the
    /// index answers for namespaces' labels.
    pub kinds: Vec<(String, Keep)>,
    /// Objects kept in all (default 200,000); past it new objects are not kept and
    /// [`Watched::complete`] is false.
    pub max_objects: usize,
    /// Kinds not to watch because their version is deprecated, with the reason (see
    /// [`DeprecatedFn`]). The core APIs the server deprecates (v1 Endpoints,
    /// ComponentStatus) are never watched, whatever this says.
    pub deprecated: Option<DeprecatedFn>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            kubeconfig: None,
            context: None,
            kinds: Vec::new(),
            max_objects: 200_000,
            deprecated: None,
        }
    }
}

impl std::fmt::Debug for WatchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchOptions")
            .field("kubeconfig", &self.kubeconfig)
            .field("context", &self.context)
            .field("kinds", &self.kinds)
            .field("max_objects", &self.max_objects)
            .field("deprecated", &self.deprecated.as_ref().map(|_| "fn"))
            .finish()
    }
}

/// The state of one kind asked for.
#[derive(Debug, Clone)]
pub struct KindStatus {
    /// The kind as asked (`PodDisruptionBudget`, `policy/PodDisruptionBudget`).
    pub kind: String,
    pub keep: Keep,
    /// The group/version watched (`policy/v1`); `None` when unwatched.
    pub api_version: Option<String>,
    /// The resource watched (`poddisruptionbudgets`); `None` when unwatched.
    pub resource: Option<String>,
    pub namespaced: bool,
    /// Objects of the kind in the index.
    pub objects: usize,
    /// The watch has completed its initial list at least once.
    pub synced: bool,
    /// The last error of the watch (`list: ... is forbidden ... (HTTP 403)`), kept after
    /// it recovers.
    pub last_error: Option<String>,
    /// The watch's last attempt failed and nothing has arrived since: it is retrying
    /// with backoff.
    pub failing: bool,
    /// Objects of the kind were not kept, the index being full (`max_objects`).
    pub incomplete: bool,
    /// Why the kind is not watched (not served, deprecated, ambiguous...).
    pub unwatched: Option<String>,
    /// The kind is unwatched because the server does not serve it at all: the cluster
    /// has no object of it (as of the start; a CustomResourceDefinition installed later
    /// is not watched until a restart).
    pub not_served: bool,
}

/// A kind resolved to what the server serves.
#[derive(Debug, Clone)]
struct Target {
    resource: Resource,
    api: ApiResource,
}

/// A kind asked for; its index in [`Watched::kinds`] is its id in the store.
#[derive(Debug)]
struct Kind {
    asked: String,
    keep: Keep,
    target: Option<Target>,
    unwatched: Option<String>,
    not_served: bool,
}

/// The index: objects by namespace, then by (kind, name).
///
/// One `std::sync::RwLock` guards it all. Writers hold it for one map insertion or
/// removal (the conversion of an event into an object is done before, outside it), and
/// readers for the copy of one namespace's entries (cloning an [`Object`] copies its
/// identity strings and an `Arc` of its tree); contention is that of a few watch events
/// a second against admission requests, which a plain lock serves without a dependency
/// (`dashmap` would shard a map we read per namespace anyway, `arc-swap` would copy
/// the store on every event).
struct Store {
    /// Namespaced objects by namespace: a namespace's objects are found without
    /// scanning the others.
    namespaces: HashMap<String, BTreeMap<Key, Stored>>,
    /// Cluster-scoped objects.
    cluster: BTreeMap<Key, Stored>,
    kinds: Vec<KindState>,
    total: usize,
    max_objects: usize,
}

/// (kind id, name): ordered, so that one kind's objects in a namespace are a range.
type Key = (u32, CompactString);

struct Stored {
    object: Object,
    /// The list (see [`KindState::epoch`]) that last saw the object.
    epoch: u32,
}

#[derive(Debug, Default, Clone)]
struct KindState {
    objects: usize,
    synced: bool,
    /// Counts the initial lists (`Init`): an object not seen by the latest one is gone
    /// once that list is done.
    epoch: u32,
    /// Objects were dropped during the current list.
    dropped_in_list: bool,
    incomplete: bool,
    last_error: Option<String>,
    failing: bool,
}

/// The cluster's objects of the kinds asked for, kept current in the background.
pub struct Watched {
    cluster: String,
    server_version: String,
    kinds: Vec<Kind>,
    /// Id of the core Namespace kind (always watched or unwatched with a reason).
    namespace_kind: Option<u32>,
    store: Arc<RwLock<Store>>,
    synced_notify: Arc<tokio::sync::Notify>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Drop for Watched {
    /// The watches end with the index: nothing keeps a connection open for an index no
    /// one can read.
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl std::fmt::Debug for Watched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched")
            .field("cluster", &self.cluster)
            .field("objects", &self.len())
            .field("synced", &self.synced())
            .finish()
    }
}

/// A poisoned lock (a panic while it was held, which no code path here can cause) still
/// holds a consistent map: every write is one insertion or removal.
fn read(store: &RwLock<Store>) -> RwLockReadGuard<'_, Store> {
    store.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(store: &RwLock<Store>) -> RwLockWriteGuard<'_, Store> {
    store.write().unwrap_or_else(PoisonError::into_inner)
}

impl Watched {
    /// Connects, resolves each kind to the group/version/resource the server prefers
    /// (aggregated discovery; a kind the server does not serve, or serves only through a
    /// deprecated version, is recorded as unwatched with the reason, never an error),
    /// and starts one watch per kind as tokio tasks on the current runtime. Returns once
    /// the watches are started; syncing goes on in the background ([`Watched::synced`]).
    ///
    /// Errors: asking for Secrets, asking for a kind twice, no runtime, and what stops
    /// everything (no kubeconfig, the API server unreachable, discovery failing).
    pub async fn start(opts: WatchOptions) -> Result<Arc<Watched>, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error("the watches need a tokio runtime: call Watched::start from one".into())
        })?;
        let mut asked = opts.kinds.clone();
        for (kind, _) in &asked {
            let (group, name) = split_kind(kind);
            if name == "Secret" && matches!(group, None | Some("")) {
                return Err(Error(format!(
                    "{kind}: Secrets are never watched (their values would be held in memory; RBAC has no metadata-only read)"
                )));
            }
        }
        if !asked
            .iter()
            .any(|(k, _)| matches!(split_kind(k), (None | Some(""), "Namespace")))
        {
            asked.push(("Namespace".to_string(), Keep::Metadata));
        }

        let (client, cluster) = crate::client(&Options {
            kubeconfig: opts.kubeconfig.clone(),
            context: opts.context.clone(),
            ..Options::default()
        })
        .await?;
        let version = client.apiserver_version().await.map_err(|e| {
            Error(format!(
                "cannot reach the API server of {cluster}: {}",
                describe(&e)
            ))
        })?;
        let discovered = discovery::discover(&client).await?;

        let mut kinds: Vec<Kind> = Vec::with_capacity(asked.len());
        for (name, keep) in asked {
            let (target, unwatched, not_served) =
                match resolve(&name, &discovered, opts.deprecated.as_ref()) {
                    Ok(t) => (Some(t), None, false),
                    Err(Unwatched { why, not_served }) => (None, Some(why), not_served),
                };
            if let Some(t) = &target {
                if t.resource.group.is_empty() && t.resource.resource == "secrets" {
                    return Err(Error(format!("{name}: Secrets are never watched")));
                }
                if let Some(other) = kinds.iter().find(|k| {
                    k.target.as_ref().is_some_and(|o| {
                        o.resource.group == t.resource.group
                            && o.resource.resource == t.resource.resource
                    })
                }) {
                    return Err(Error(format!(
                        "{name}: asked twice (as `{}` too); keep one",
                        other.asked
                    )));
                }
            }
            kinds.push(Kind {
                asked: name,
                keep,
                target,
                unwatched,
                not_served,
            });
        }
        let namespace_kind = kinds
            .iter()
            .position(|k| {
                k.target
                    .as_ref()
                    .is_some_and(|t| t.resource.group.is_empty() && t.resource.kind == "Namespace")
            })
            .map(|i| i as u32);

        let store = Arc::new(RwLock::new(Store::new(kinds.len(), opts.max_objects)));
        let synced_notify = Arc::new(tokio::sync::Notify::new());
        let mut tasks = Vec::new();
        for (id, kind) in kinds.iter().enumerate() {
            let Some(target) = kind.target.clone() else {
                continue;
            };
            let w = Watcher {
                id: id as u32,
                keep: kind.keep,
                target,
                store: store.clone(),
                synced_notify: synced_notify.clone(),
            };
            let client = client.clone();
            let task = match kind.keep {
                Keep::Metadata => runtime.spawn(w.run::<true>(client)),
                Keep::Full | Keep::Workload | Keep::Keys | Keep::Definition => {
                    runtime.spawn(w.run::<false>(client))
                }
            };
            tasks.push(task.abort_handle());
        }
        Ok(Arc::new(Watched {
            cluster,
            server_version: version.git_version,
            kinds,
            namespace_kind,
            store,
            synced_notify,
            tasks,
        }))
    }

    /// Every watch has completed its initial list at least once. Kinds that are not
    /// watched (see [`Watched::status`]) do not count; a kind whose list is forbidden
    /// never syncs.
    pub fn synced(&self) -> bool {
        let store = read(&self.store);
        self.kinds
            .iter()
            .zip(&store.kinds)
            .all(|(k, s)| k.target.is_none() || s.synced)
    }

    /// Waits until [`Watched::synced`], at most `timeout`; whether it is.
    pub async fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // registered before the check: a sync between the check and the wait
            // still wakes it
            let notified = self.synced_notify.notified();
            if self.synced() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.synced();
            }
        }
    }

    /// No object was left out for lack of room (`max_objects`) since each kind's last
    /// list.
    pub fn complete(&self) -> bool {
        read(&self.store).kinds.iter().all(|s| !s.incomplete)
    }

    /// The objects of a namespace (namespaced kinds), preceded by that Namespace object
    /// itself when it is known. Each kind's objects come together, by name.
    pub fn namespace_objects(&self, ns: &str) -> Vec<Object> {
        let store = read(&self.store);
        let objects = store.namespaces.get(ns);
        let mut out = Vec::with_capacity(1 + objects.map_or(0, BTreeMap::len));
        if let Some(o) = self.namespace_object(&store, ns) {
            out.push(o.clone());
        }
        if let Some(objects) = objects {
            out.extend(objects.values().map(|s| s.object.clone()));
        }
        out
    }

    /// The cluster-scoped objects kept (Namespaces, ClusterRoles, IngressClasses...).
    pub fn cluster_objects(&self) -> Vec<Object> {
        read(&self.store)
            .cluster
            .values()
            .map(|s| s.object.clone())
            .collect()
    }

    /// One object: `kind` as asked or as the server names it (`PodDisruptionBudget`),
    /// `namespace` `None` for cluster-scoped kinds.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<Object> {
        let id = self.kinds.iter().position(|k| {
            k.asked == kind || k.target.as_ref().is_some_and(|t| t.resource.kind == kind)
        })? as u32;
        let store = read(&self.store);
        let map = match namespace {
            Some(ns) => store.namespaces.get(ns)?,
            None => &store.cluster,
        };
        map.get(&(id, CompactString::new(name)))
            .map(|s| s.object.clone())
    }

    /// The labels of a namespace, if the namespace is known.
    pub fn namespace_labels(&self, ns: &str) -> Option<BTreeMap<String, String>> {
        let store = read(&self.store);
        let o = self.namespace_object(&store, ns)?;
        Some(
            o.labels()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn namespace_object<'a>(&self, store: &'a Store, ns: &str) -> Option<&'a Object> {
        let id = self.namespace_kind?;
        store
            .cluster
            .get(&(id, CompactString::new(ns)))
            .map(|s| &s.object)
    }

    /// Each kind asked for: objects kept, whether synced, the last watch error, or why
    /// it is not watched.
    pub fn status(&self) -> Vec<KindStatus> {
        let store = read(&self.store);
        self.kinds
            .iter()
            .zip(&store.kinds)
            .map(|(k, s)| KindStatus {
                kind: k.asked.clone(),
                keep: k.keep,
                api_version: k.target.as_ref().map(|t| t.resource.api_version()),
                resource: k.target.as_ref().map(|t| t.resource.resource.clone()),
                namespaced: k.target.as_ref().is_some_and(|t| t.resource.namespaced),
                objects: s.objects,
                synced: s.synced,
                last_error: s.last_error.clone(),
                failing: s.failing,
                incomplete: s.incomplete,
                unwatched: k.unwatched.clone(),
                not_served: k.not_served,
            })
            .collect()
    }

    /// Objects in the index.
    pub fn len(&self) -> usize {
        read(&self.store).total
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The context or host watched (`test (https://127.0.0.1:6443)`, `in-cluster (...)`).
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The API server's version (`v1.37.2`).
    pub fn server_version(&self) -> &str {
        &self.server_version
    }
}

/// `group/Kind` → (Some(group), Kind); `Kind` → (None, Kind). `core/Kind` names the core
/// group.
fn split_kind(asked: &str) -> (Option<&str>, &str) {
    match asked.rsplit_once('/') {
        Some(("core", kind)) => (Some(""), kind),
        Some((group, kind)) => (Some(group), kind),
        None => (None, asked),
    }
}

/// Why a kind is not watched.
#[derive(Debug)]
struct Unwatched {
    why: String,
    /// No group serves the kind (and no unavailable aggregated server might).
    not_served: bool,
}

impl From<String> for Unwatched {
    fn from(why: String) -> Self {
        Unwatched {
            why,
            not_served: false,
        }
    }
}

/// The resource that serves a kind, at its group's preferred version; the reason it
/// is not watched otherwise.
fn resolve(
    asked: &str,
    discovered: &Discovered,
    deprecated: Option<&DeprecatedFn>,
) -> Result<Target, Unwatched> {
    let (group, kind) = split_kind(asked);
    let wanted = |r: &Resource| r.kind == kind && group.is_none_or(|g| r.group == g);
    let mut found: Vec<&Resource> = discovered.resources.iter().filter(|r| wanted(r)).collect();
    // one resource per group: the first the group lists for the kind
    found.dedup_by(|a, b| a.group == b.group);
    let r = match found.as_slice() {
        [] => {
            if let Some(s) = discovered
                .stale
                .iter()
                .find(|s| s.resources.iter().any(wanted))
            {
                return Err(format!(
                    "served by the aggregated API server of {}/{}, which is unavailable (its discovery document is stale)",
                    s.group, s.version
                )
                .into());
            }
            return Err(Unwatched {
                why: match group {
                    Some(g) if !g.is_empty() => {
                        format!("the server does not serve the kind {kind} in the group {g}")
                    }
                    _ => format!("the server does not serve the kind {kind}"),
                },
                not_served: true,
            });
        }
        [one] => *one,
        many => {
            // the core group, then the one built-in group, wins over custom resources
            // of the same name (Knative's Service, ...)
            let builtin: Vec<&&Resource> = many
                .iter()
                .filter(|r| r.group.is_empty() || plimsoll_model::is_builtin_group(&r.group))
                .collect();
            match builtin
                .iter()
                .find(|r| r.group.is_empty())
                .or(match builtin.as_slice() {
                    [one] => Some(one),
                    _ => None,
                }) {
                Some(r) => **r,
                None => {
                    let groups: Vec<&str> = many.iter().map(|r| r.group.as_str()).collect();
                    return Err(format!(
                        "{kind} is served by several groups ({}); name one as group/{kind}",
                        groups.join(", ")
                    )
                    .into());
                }
            }
        }
    };
    if !(r.verbs.iter().any(|v| v == "list") && r.verbs.iter().any(|v| v == "watch")) {
        return Err(format!(
            "{} {}: the server does not allow list and watch on it",
            r.api_version(),
            r.resource
        )
        .into());
    }
    if let Some(why) = crate::deprecated_core(r) {
        return Err(why.to_string().into());
    }
    if let Some(why) = deprecated.and_then(|f| f(&r.group, &r.version, &r.kind)) {
        return Err(why.into());
    }
    Ok(Target {
        api: ApiResource {
            group: r.group.clone(),
            version: r.version.clone(),
            api_version: r.api_version(),
            kind: r.kind.clone(),
            plural: r.resource.clone(),
        },
        resource: r.clone(),
    })
}

/// One object as a watch delivers it: read straight into a tree (without
/// `metadata.managedFields`, which a `DynamicObject` would parse into typed entries only
/// to be thrown away), with the identity the watcher needs (name, namespace,
/// resourceVersion) copied into an `ObjectMeta`. `METADATA` selects metadata-only
/// requests (`PartialObjectMetadata`), as `Api<PartialObjectMeta<K>>` does: the
/// non-deprecated form of `kube::runtime::metadata_watcher`.
#[derive(Debug, Clone)]
struct Raw<const METADATA: bool> {
    meta: ObjectMeta,
    node: Node,
}

impl<'de, const METADATA: bool> Deserialize<'de> for Raw<METADATA> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = NodeSeed::object().deserialize(d)?;
        let text = |key: &str| {
            node.at(&["metadata", key])
                .and_then(Node::as_text)
                .map(str::to_string)
        };
        let meta = ObjectMeta {
            name: text("name"),
            namespace: text("namespace"),
            resource_version: text("resourceVersion"),
            ..ObjectMeta::default()
        };
        Ok(Raw { meta, node })
    }
}

impl<const METADATA: bool> kube::Resource for Raw<METADATA> {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn kind(dt: &ApiResource) -> Cow<'_, str> {
        dt.kind.as_str().into()
    }

    fn group(dt: &ApiResource) -> Cow<'_, str> {
        dt.group.as_str().into()
    }

    fn version(dt: &ApiResource) -> Cow<'_, str> {
        dt.version.as_str().into()
    }

    fn api_version(dt: &ApiResource) -> Cow<'_, str> {
        dt.api_version.as_str().into()
    }

    fn plural(dt: &ApiResource) -> Cow<'_, str> {
        dt.plural.as_str().into()
    }

    fn metadata_api() -> bool {
        METADATA
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.meta
    }
}

/// One kind's watch, feeding the store.
struct Watcher {
    id: u32,
    keep: Keep,
    target: Target,
    store: Arc<RwLock<Store>>,
    synced_notify: Arc<tokio::sync::Notify>,
}

impl Watcher {
    async fn run<const METADATA: bool>(self, client: kube::Client) {
        let api = kube::Api::<Raw<METADATA>>::all_with(client, &self.target.api);
        // the watcher retries by itself after an error; the backoff (client-go's: 0.8 s
        // doubling to 30 s, with jitter) spaces the retries, so a forbidden kind costs
        // the server a request every 30 s, not a loop
        let stream = watcher::watcher(api, watcher::Config::default()).default_backoff();
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            self.handle(item);
        }
        // the watcher's stream has no end; should one come, it is a state, not a panic
        let mut store = write(&self.store);
        let state = &mut store.kinds[self.id as usize];
        state.last_error = Some("the watch ended".into());
        state.failing = true;
    }

    fn handle<const METADATA: bool>(&self, item: Result<Event<Raw<METADATA>>, watcher::Error>) {
        let event = match item {
            Ok(event) => event,
            Err(e) => {
                write(&self.store).failed(self.id, describe_watch(&e));
                return;
            }
        };
        // the object is converted before the lock is taken: writers hold it for one
        // insertion or removal
        let change = match event {
            Event::Init => Change::BeginList,
            Event::InitApply(raw) | Event::Apply(raw) => {
                Change::Put(to_object(raw.node, &self.target, self.keep))
            }
            Event::Delete(raw) => Change::Remove(
                raw.meta
                    .namespace
                    .filter(|_| self.target.resource.namespaced),
                raw.meta.name.unwrap_or_default(),
            ),
            Event::InitDone => Change::EndList,
        };
        let mut store = write(&self.store);
        // something arrived: the watch works again (a watch resumed after an error
        // sends nothing until an object changes, so `failing` may outlive the failure
        // on a quiet kind)
        store.kinds[self.id as usize].failing = false;
        match change {
            Change::BeginList => store.begin_list(self.id),
            Change::Put(Some(object)) => store.upsert(self.id, object),
            Change::Put(None) => {}
            Change::Remove(namespace, name) => store.remove(self.id, namespace.as_deref(), &name),
            Change::EndList => {
                store.end_list(self.id);
                drop(store);
                self.synced_notify.notify_waiters();
            }
        }
    }
}

/// A watch event as the store applies it.
enum Change {
    BeginList,
    /// `None`: an object without apiVersion or kind, which the server never sends.
    Put(Option<Object>),
    Remove(Option<String>, String),
    EndList,
}

/// A watch error as a user reads it.
fn describe_watch(e: &watcher::Error) -> String {
    match e {
        watcher::Error::InitialListFailed(e) => format!("list: {}", describe(e)),
        watcher::Error::WatchStartFailed(e) => format!("watch: {}", describe(e)),
        watcher::Error::WatchError(s) => format!("watch: {} (HTTP {})", s.message, s.code),
        watcher::Error::WatchFailed(e) => format!("watch stream: {}", describe(e)),
        other => chain(other),
    }
}

/// An object of `kind` as the index keeps it with `keep` (the last-applied annotation,
/// a second copy of the object, is dropped in every case).
pub fn trim(mut root: Node, kind: &str, keep: Keep) -> Node {
    slim::take_annotation(&mut root, LAST_APPLIED);
    match keep {
        // a Node's list of the images it holds (hundreds of names) is read by no rule
        Keep::Full if kind == "Node" => slim::slim_node(root),
        Keep::Full => root,
        Keep::Metadata => slim::metadata_only(root),
        Keep::Workload => slim::workload(root, kind),
        Keep::Keys => slim::keys_only(root),
        Keep::Definition => slim::definition(root),
    }
}

/// An event's object as the index keeps it: its real apiVersion and kind (list items
/// carry none, metadata-only ones say `PartialObjectMetadata`), without the
/// last-applied annotation, trimmed to what its [`Keep`] keeps.
fn to_object(mut root: Node, target: &Target, keep: Keep) -> Option<Object> {
    if let Data::Map(entries) = &mut root.data {
        entries.retain(|e| e.key != "apiVersion" && e.key != "kind");
        for (key, value) in [
            ("kind", &target.api.kind),
            ("apiVersion", &target.api.api_version),
        ] {
            entries.insert(
                0,
                Entry {
                    key: CompactString::new(key),
                    key_span: Span::default(),
                    value: slim::text_node(value),
                },
            );
        }
    }
    let root = trim(root, &target.api.kind, keep);
    let namespaced = target.resource.namespaced;
    Object::from_node(
        root,
        SourceRef {
            file: None,
            doc: 0,
            item: None,
        },
        "",
        |_, _| !namespaced,
    )
}

impl Store {
    fn new(kinds: usize, max_objects: usize) -> Store {
        Store {
            namespaces: HashMap::new(),
            cluster: BTreeMap::new(),
            kinds: vec![KindState::default(); kinds],
            total: 0,
            max_objects,
        }
    }

    /// A list starts (`Init`): the first, or a re-list after a desync.
    fn begin_list(&mut self, id: u32) {
        let k = &mut self.kinds[id as usize];
        k.epoch = k.epoch.wrapping_add(1);
        k.dropped_in_list = false;
    }

    /// An object listed (`InitApply`) or changed (`Apply`).
    fn upsert(&mut self, id: u32, object: Object) {
        let epoch = self.kinds[id as usize].epoch;
        let key = (id, CompactString::new(&object.name));
        let full = self.total >= self.max_objects;
        let map = match &object.namespace {
            Some(ns) => {
                if !self.namespaces.contains_key(ns.as_str()) {
                    if full {
                        return self.dropped(id);
                    }
                    self.namespaces.insert(ns.clone(), BTreeMap::new());
                }
                self.namespaces
                    .get_mut(ns.as_str())
                    .expect("the namespace's map is there")
            }
            None => &mut self.cluster,
        };
        match map.get_mut(&key) {
            Some(stored) => *stored = Stored { object, epoch },
            None if full => self.dropped(id),
            None => {
                map.insert(key, Stored { object, epoch });
                self.total += 1;
                self.kinds[id as usize].objects += 1;
            }
        }
    }

    /// An object not kept: the index is full.
    fn dropped(&mut self, id: u32) {
        let k = &mut self.kinds[id as usize];
        k.dropped_in_list = true;
        k.incomplete = true;
    }

    /// An object deleted (`Delete`).
    fn remove(&mut self, id: u32, namespace: Option<&str>, name: &str) {
        let key = (id, CompactString::new(name));
        let removed = match namespace {
            Some(ns) => {
                let Some(map) = self.namespaces.get_mut(ns) else {
                    return;
                };
                let removed = map.remove(&key).is_some();
                if map.is_empty() {
                    self.namespaces.remove(ns);
                }
                removed
            }
            None => self.cluster.remove(&key).is_some(),
        };
        if removed {
            self.total -= 1;
            self.kinds[id as usize].objects -= 1;
        }
    }

    /// A list is done (`InitDone`): the kind's objects it did not see are gone.
    fn end_list(&mut self, id: u32) {
        let epoch = self.kinds[id as usize].epoch;
        let range = (id, CompactString::default())..(id + 1, CompactString::default());
        let mut removed = 0;
        let mut stale = |map: &mut BTreeMap<Key, Stored>| {
            let gone: Vec<Key> = map
                .range(range.clone())
                .filter(|(_, s)| s.epoch != epoch)
                .map(|(k, _)| k.clone())
                .collect();
            for k in &gone {
                map.remove(k);
            }
            removed += gone.len();
        };
        stale(&mut self.cluster);
        self.namespaces.retain(|_, map| {
            stale(map);
            !map.is_empty()
        });
        self.total -= removed;
        let k = &mut self.kinds[id as usize];
        k.objects -= removed;
        k.synced = true;
        k.incomplete = k.dropped_in_list;
    }

    fn failed(&mut self, id: u32, why: String) {
        let k = &mut self.kinds[id as usize];
        k.last_error = Some(why);
        k.failing = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_yaml::node_from_json;

    fn target(group: &str, version: &str, kind: &str, resource: &str, namespaced: bool) -> Target {
        let resource = Resource {
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
            kind: kind.into(),
            namespaced,
            verbs: vec!["list".into(), "watch".into()],
        };
        Target {
            api: ApiResource {
                group: group.into(),
                version: version.into(),
                api_version: resource.api_version(),
                kind: kind.into(),
                plural: resource.resource.clone(),
            },
            resource,
        }
    }

    fn watcher(store: &Arc<RwLock<Store>>, id: u32, keep: Keep, t: Target) -> Watcher {
        Watcher {
            id,
            keep,
            target: t,
            store: store.clone(),
            synced_notify: Arc::new(tokio::sync::Notify::new()),
        }
    }

    fn raw<const M: bool>(json: &str) -> Raw<M> {
        serde_json::from_str(json).unwrap()
    }

    fn cm(ns: &str, name: &str) -> Raw<true> {
        raw(&format!(
            r#"{{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{{"name":"{name}","namespace":"{ns}","resourceVersion":"1",
               "managedFields":[{{"manager":"kubectl"}}],"annotations":{{"{LAST_APPLIED}":"{{}}","keep":"me"}}}}}}"#
        ))
    }

    fn names(store: &Store, ns: &str) -> Vec<String> {
        store
            .namespaces
            .get(ns)
            .map(|m| m.values().map(|s| s.object.name.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn events_keep_the_index_current_and_a_relist_removes_what_disappeared() {
        let store = Arc::new(RwLock::new(Store::new(2, 100)));
        let w = watcher(
            &store,
            0,
            Keep::Metadata,
            target("", "v1", "ConfigMap", "configmaps", true),
        );
        w.handle(Ok(Event::<Raw<true>>::Init));
        for (ns, name) in [("a", "one"), ("a", "two"), ("b", "three")] {
            w.handle(Ok(Event::InitApply(cm(ns, name))));
        }
        assert!(!read(&store).kinds[0].synced);
        w.handle(Ok(Event::<Raw<true>>::InitDone));
        {
            let s = read(&store);
            assert!(s.kinds[0].synced);
            assert_eq!(s.total, 3);
            assert_eq!(names(&s, "a"), ["one", "two"]);
            // the real identity, no managedFields, no last-applied, the rest of metadata
            let o = &s.namespaces["a"][&(0, "one".into())].object;
            assert_eq!(
                (o.api_version.as_str(), o.kind.as_str()),
                ("v1", "ConfigMap")
            );
            assert_eq!(o.namespace.as_deref(), Some("a"));
            assert!(o.root.at(&["metadata", "managedFields"]).is_none());
            assert!(o.annotation(LAST_APPLIED).is_none());
            assert_eq!(o.annotation("keep"), Some("me"));
        }
        w.handle(Ok(Event::Apply(cm("c", "four"))));
        w.handle(Ok(Event::Delete(cm("b", "three"))));
        w.handle(Ok(Event::Delete(cm("b", "never-seen"))));
        {
            let s = read(&store);
            assert_eq!(s.total, 3);
            assert!(
                !s.namespaces.contains_key("b"),
                "an emptied namespace is dropped"
            );
        }
        // a desync: the re-list sees `two` and `five` only
        w.handle::<true>(Err(watcher::Error::NoResourceVersion));
        assert!(read(&store).kinds[0].failing);
        w.handle(Ok(Event::<Raw<true>>::Init));
        w.handle(Ok(Event::InitApply(cm("a", "two"))));
        w.handle(Ok(Event::InitApply(cm("a", "five"))));
        // until the list is done, the old objects stay: answers stay as good as before
        assert_eq!(read(&store).total, 4);
        w.handle(Ok(Event::<Raw<true>>::InitDone));
        let s = read(&store);
        assert_eq!(names(&s, "a"), ["five", "two"]);
        assert!(!s.namespaces.contains_key("c"));
        assert_eq!((s.total, s.kinds[0].objects), (2, 2));
        assert!(!s.kinds[0].failing);
        assert!(
            s.kinds[0]
                .last_error
                .as_deref()
                .unwrap()
                .contains("resourceVersion")
        );
    }

    #[test]
    fn a_relist_of_one_kind_leaves_the_others() {
        let store = Arc::new(RwLock::new(Store::new(2, 100)));
        let cms = watcher(
            &store,
            0,
            Keep::Metadata,
            target("", "v1", "ConfigMap", "configmaps", true),
        );
        let svcs = watcher(
            &store,
            1,
            Keep::Full,
            target("", "v1", "Service", "services", true),
        );
        for w in [&cms, &svcs] {
            w.handle(Ok(Event::<Raw<true>>::Init));
            w.handle(Ok(Event::<Raw<true>>::InitDone));
        }
        cms.handle(Ok(Event::Apply(cm("a", "x"))));
        svcs.handle(Ok(Event::Apply(raw::<false>(
            r#"{"metadata":{"name":"x","namespace":"a","resourceVersion":"2"},"spec":{"ports":[{"port":80}]}}"#,
        ))));
        cms.handle(Ok(Event::<Raw<true>>::Init));
        cms.handle(Ok(Event::<Raw<true>>::InitDone));
        let s = read(&store);
        let left: Vec<&str> = s.namespaces["a"]
            .values()
            .map(|s| s.object.kind.as_str())
            .collect();
        assert_eq!(left, ["Service"]);
        assert!(
            s.namespaces["a"][&(1, "x".into())]
                .object
                .root
                .at(&["spec", "ports"])
                .is_some()
        );
        assert_eq!((s.total, s.kinds[0].objects, s.kinds[1].objects), (1, 0, 1));
    }

    #[test]
    fn past_the_cap_objects_are_not_kept_and_the_kind_says_so() {
        let store = Arc::new(RwLock::new(Store::new(1, 2)));
        let w = watcher(
            &store,
            0,
            Keep::Metadata,
            target("", "v1", "ConfigMap", "configmaps", true),
        );
        w.handle(Ok(Event::<Raw<true>>::Init));
        for name in ["a", "b", "c"] {
            w.handle(Ok(Event::InitApply(cm("n", name))));
        }
        w.handle(Ok(Event::<Raw<true>>::InitDone));
        {
            let s = read(&store);
            assert_eq!(s.total, 2);
            assert!(s.kinds[0].incomplete && s.kinds[0].synced);
        }
        // an update of a kept object still applies
        w.handle(Ok(Event::Apply(raw::<false>(
            r#"{"metadata":{"name":"a","namespace":"n","labels":{"v":"2"}}}"#,
        ))));
        assert_eq!(
            read(&store).namespaces["n"][&(0, "a".into())]
                .object
                .label("v"),
            Some("2")
        );
        // once there is room, a re-list that keeps everything makes it complete again
        w.handle(Ok(Event::Delete(cm("n", "b"))));
        w.handle(Ok(Event::<Raw<true>>::Init));
        for name in ["a", "c"] {
            w.handle(Ok(Event::InitApply(cm("n", name))));
        }
        w.handle(Ok(Event::<Raw<true>>::InitDone));
        let s = read(&store);
        assert_eq!(names(&s, "n"), ["a", "c"]);
        assert!(!s.kinds[0].incomplete);
    }

    #[test]
    fn workloads_are_kept_slim_and_cluster_scoped_kinds_apart() {
        let t = target("apps", "v1", "Deployment", "deployments", true);
        let o = to_object(
            node_from_json(
                r#"{"metadata":{"name":"api","namespace":"shop"},"spec":{"replicas":2,"paused":true,
                   "template":{"spec":{"containers":[{"name":"c","image":"i","args":["x"]}]}}}}"#,
            )
            .unwrap(),
            &t,
            Keep::Workload,
        )
        .unwrap();
        assert_eq!(o.api_version, "apps/v1");
        assert!(o.spec().unwrap().get("paused").is_none());
        let c = &o
            .root
            .at(&["spec", "template", "spec", "containers"])
            .unwrap()
            .items()[0];
        assert!(c.get("args").is_none() && c.get("image").is_some());

        let ns = to_object(
            node_from_json(r#"{"metadata":{"name":"shop","labels":{"a":"b"}},"spec":{"finalizers":["kubernetes"]}}"#)
                .unwrap(),
            &target("", "v1", "Namespace", "namespaces", false),
            Keep::Metadata,
        )
        .unwrap();
        assert_eq!(ns.namespace, None);
        assert!(ns.spec().is_none());
        // a cluster-scoped custom kind the model does not know: scope from discovery
        let c = to_object(
            node_from_json(r#"{"metadata":{"name":"x"}}"#).unwrap(),
            &target("example.com", "v1", "Widget", "widgets", false),
            Keep::Full,
        )
        .unwrap();
        assert_eq!(c.namespace, None);
    }

    fn discovered(resources: &[(&str, &str, &str, &str)]) -> Discovered {
        Discovered {
            resources: resources
                .iter()
                .map(|(g, v, k, r)| target(g, v, k, r, true).resource)
                .collect(),
            stale: vec![discovery::Stale {
                group: "metrics.k8s.io".into(),
                version: "v1beta1".into(),
                resources: vec![
                    target("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", true).resource,
                ],
            }],
        }
    }

    #[test]
    fn kinds_resolve_to_the_served_resource_or_say_why_not() {
        let d = discovered(&[
            ("", "v1", "Service", "services"),
            ("serving.knative.dev", "v1", "Service", "services"),
            ("", "v1", "Endpoints", "endpoints"),
            (
                "policy",
                "v1",
                "PodDisruptionBudget",
                "poddisruptionbudgets",
            ),
            ("a.example", "v1", "Widget", "widgets"),
            ("b.example", "v1", "Widget", "widgets"),
            (
                "flowcontrol.apiserver.k8s.io",
                "v1beta3",
                "FlowSchema",
                "flowschemas",
            ),
        ]);
        let deprecated: DeprecatedFn = Arc::new(|_: &str, v: &str, k: &str| {
            (v == "v1beta3").then(|| format!("{k} {v} is deprecated"))
        });
        let r = |k: &str| resolve(k, &d, Some(&deprecated));
        assert_eq!(r("Service").unwrap().resource.group, "");
        assert_eq!(
            r("serving.knative.dev/Service").unwrap().resource.group,
            "serving.knative.dev"
        );
        assert_eq!(r("core/Service").unwrap().api.api_version, "v1");
        assert_eq!(
            r("PodDisruptionBudget").unwrap().api.api_version,
            "policy/v1"
        );
        let vpa = r("VerticalPodAutoscaler").unwrap_err();
        assert!(vpa.why.contains("does not serve") && vpa.not_served);
        let widget = r("Widget").unwrap_err();
        assert!(widget.why.contains("a.example, b.example") && !widget.not_served);
        assert!(r("b.example/Widget").is_ok());
        assert!(r("Endpoints").unwrap_err().why.contains("deprecated"));
        assert!(r("FlowSchema").unwrap_err().why.contains("deprecated"));
        // an unavailable aggregated server may serve it: not known to be absent
        let metrics = r("PodMetrics").unwrap_err();
        assert!(metrics.why.contains("unavailable") && !metrics.not_served);
    }
}
