//! `plimsoll rightsize`: requests and limits from the usage history in Prometheus.
//!
//! The workloads come from the manifests (read as `check` reads them) or from a live
//! cluster (as `audit` lists it). For each namespace, a fixed set of queries is sent,
//! whatever the number of containers: the owners of the pods (kube-state-metrics), then
//! per-pod statistics evaluated by Prometheus over the whole history (`p95-2x`,
//! `krr-simple`), or the per-step series of the namespace (`vpa`, whose histograms need
//! every sample). Pods are mapped to their workload through kube-state-metrics, or by
//! the names their controller gives them when its series are missing. The strategies
//! ([`strategy`]) are pure functions of the numbers.

pub mod output;
pub mod prom;
pub mod strategy;
pub mod workloads;
mod writeback;

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::StreamExt;
use plimsoll_model::Index;

use crate::check::{Fatal, load_inputs_with};
use crate::cli::{RightsizeArgs, RunArgs};
use crate::render::RenderOptions;
use prom::{Prom, parse_duration, quote};
use strategy::{CpuLimit, MemoryWindow, Outcome, Settings, Strategy, Usage, VpaState};
use workloads::{Target, pod_name_matches};

/// OpenCost's default on-demand prices (`configs/default.json`: GCP us-central1).
pub const OPENCOST_CPU_CORE_HOUR: f64 = 0.031611;
pub const OPENCOST_MEMORY_GIB_HOUR: f64 = 0.004237;
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Prometheus refuses range queries of more than 11,000 points per series.
const MAX_RANGE_POINTS: f64 = 10_000.0;

/// What the queries need to know.
#[derive(Debug, Clone)]
pub struct QueryParams {
    pub strategy: Strategy,
    pub history: u64,
    pub step: u64,
    pub at: f64,
    pub labels: Vec<(String, String)>,
}

impl QueryParams {
    fn selector(&self, ns: &str, more: &str) -> String {
        let mut s = format!("namespace={}", quote(ns));
        for (k, v) in &self.labels {
            s.push_str(&format!(",{k}={}", quote(v)));
        }
        if !more.is_empty() {
            s.push(',');
            s.push_str(more);
        }
        format!("{{{s}}}")
    }
    fn h(&self) -> String {
        prom::duration(self.history)
    }
    fn s(&self) -> String {
        prom::duration(self.step)
    }
}

/// One row of the report: a container of a workload and what to do with it.
#[derive(Debug, Clone)]
pub struct Row {
    pub target: usize,
    pub container: usize,
    pub outcome: Outcome,
    pub points: f64,
    pub pods: usize,
    pub replicas: Option<f64>,
    pub current_cost: Option<f64>,
    pub recommended_cost: Option<f64>,
}

impl Row {
    pub fn monthly_delta(&self) -> Option<f64> {
        Some(self.recommended_cost? - self.current_cost?)
    }
}

pub struct Prices {
    pub cpu: f64,
    pub memory: f64,
    pub source: &'static str,
}

/// Everything collected for one namespace.
#[derive(Default)]
struct NsData {
    usage: HashMap<(usize, usize), Usage>,
    by_name: HashSet<usize>,
    hpa_replicas: HashMap<String, f64>,
}

fn valid_label_name(k: &str) -> bool {
    let mut b = k.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

pub fn run(args: &RightsizeArgs) -> Result<i32, Fatal> {
    // every flag is checked before a query is sent
    let history = parse_duration(&args.history).map_err(|e| Fatal(format!("--history: {e}")))?;
    let step = parse_duration(&args.step).map_err(|e| Fatal(format!("--step: {e}")))?;
    let min_history =
        parse_duration(&args.min_history).map_err(|e| Fatal(format!("--min-history: {e}")))?;
    if step * 2 > history {
        return Err(Fatal(format!(
            "--step {} is too long for --history {}: a history holds at least two steps",
            args.step, args.history
        )));
    }
    let cpu_limit = match args.cpu_limit.as_deref() {
        None => CpuLimit::None,
        Some("none") => CpuLimit::None,
        Some("keep") => CpuLimit::Keep,
        Some(f) => match f.trim_end_matches(['x', '×']).parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 1.0 => CpuLimit::Factor(v),
            _ => {
                return Err(Fatal(format!(
                    "--cpu-limit `{f}`: give none, keep or a factor of at least 1 (2)"
                )));
            }
        },
    };
    let cpu_limit = match (args.strategy, args.cpu_limit.as_deref()) {
        (Strategy::Vpa, None) => CpuLimit::Proportional,
        _ => cpu_limit,
    };
    for (k, _) in &args.prometheus_label {
        if !valid_label_name(k) {
            return Err(Fatal(format!("--prometheus-label `{k}`: not a label name")));
        }
    }
    let token = match &args.prometheus_token_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| Fatal(format!("--prometheus-token-file {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let prices = Prices {
        cpu: args.price_cpu.unwrap_or(OPENCOST_CPU_CORE_HOUR),
        memory: args.price_memory.unwrap_or(OPENCOST_MEMORY_GIB_HOUR),
        source: if args.price_cpu.is_none() || args.price_memory.is_none() {
            "OpenCost default on-demand prices (configs/default.json, GCP us-central1), where no --price-cpu/--price-memory was given"
        } else {
            "--price-cpu and --price-memory"
        },
    };
    let at = args.at.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Fatal(format!("cannot start the runtime: {e}")))?;
    let prom_opts = prom::Options {
        url: args.prometheus.clone(),
        headers: args.prometheus_header.clone(),
        token,
        ca: args.prometheus_ca.clone(),
        timeout: args.query_timeout,
        verbose: args.verbose,
    };
    let prom = {
        let _guard = rt.enter();
        Prom::new(&prom_opts, args.concurrency).map_err(Fatal)?
    };

    // the workloads
    let mut input_errors = Vec::new();
    let default_ns = args
        .namespace
        .first()
        .cloned()
        .unwrap_or_else(|| "default".into());
    let paths = if args.paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let run_args = RunArgs {
        config: args.config.clone(),
        ..RunArgs::default()
    };
    let settings = crate::check::settings(&run_args, &paths, None)?;
    let cost_labels = settings.config.settings.cost_labels.clone();
    let (index, sources) = match &args.context {
        Some(ctx) => {
            let opts = plimsoll_cluster::Options {
                kubeconfig: args.kubeconfig.clone(),
                context: Some(ctx.clone()),
                namespace: (args.namespace.len() == 1).then(|| args.namespace[0].clone()),
                secrets: false,
                page_size: 500,
                progress: false,
                progress_delay: None,
                trim: None,
            };
            let wanted = |group: &str, _version: &str, kind: &str| {
                let keep = matches!(
                    (group, kind),
                    ("apps", "Deployment" | "StatefulSet" | "DaemonSet")
                        | ("batch", "Job" | "CronJob")
                        | ("argoproj.io", "Rollout")
                        | ("autoscaling", "HorizontalPodAutoscaler")
                        | ("", "Namespace")
                );
                (!keep).then(|| "not needed to size workloads".to_string())
            };
            let snap =
                plimsoll_cluster::snapshot(&opts, &wanted).map_err(|e| Fatal(e.to_string()))?;
            (Index::new(snap.objects), Vec::new())
        }
        None => {
            let render = RenderOptions {
                mode: args.render.render,
                helm: args.render.helm.clone(),
                kustomize: args.render.kustomize.clone(),
                release_name: args.render.release_name.clone(),
                values: args.render.values.clone(),
                set: args.render.set.clone(),
                namespace: default_ns.clone(),
                kube_version: None,
            };
            let loaded = load_inputs_with(&paths, &default_ns, &args.exclude, &render, true);
            input_errors = loaded.errors;
            (loaded.index, loaded.sources)
        }
    };
    for e in &input_errors {
        eprintln!("plimsoll: {e}");
    }
    let targets = workloads::targets(&index, &args.namespace, &cost_labels);
    if targets.is_empty() {
        eprintln!(
            "plimsoll: no Deployment, StatefulSet, DaemonSet, Job, CronJob or Rollout in the input{}",
            if args.namespace.is_empty() {
                String::new()
            } else {
                format!(" (namespaces {})", args.namespace.join(", "))
            }
        );
    }

    let params = QueryParams {
        strategy: args.strategy,
        history,
        step,
        at,
        labels: args.prometheus_label.clone(),
    };
    let started = std::time::Instant::now();
    let data = rt
        .block_on(collect(&prom, &targets, &params))
        .map_err(Fatal)?;
    if args.verbose {
        eprintln!(
            "plimsoll: {} queries in {:.1} s",
            prom.queries.lock().expect("not poisoned").len(),
            started.elapsed().as_secs_f64()
        );
    }

    let s = Settings {
        strategy: args.strategy,
        cpu_limit,
        min_points: args.min_data_points as f64,
        min_span: min_history as f64,
        history: history as f64,
        step: step as f64,
    };
    let rows = compute(&targets, &data, &s, &prices);
    let queries = prom.queries.lock().expect("not poisoned").clone();
    let report = output::Report {
        strategy: args.strategy,
        history: &args.history,
        step: &args.step,
        prometheus: prom.url(),
        queries: &queries,
        targets: &targets,
        rows: &rows,
        prices: &prices,
        cost_labels: &cost_labels,
    };

    let mut code = if input_errors.is_empty() { 0 } else { 2 };
    if args.fix || args.diff {
        let values_file = if args.write_values {
            match args.render.values.last() {
                Some(v) => Some(v.as_path()),
                None => {
                    return Err(Fatal(
                        "--write-values needs the chart's values file, given with --values".into(),
                    ));
                }
            }
        } else {
            None
        };
        code = code.max(writeback::write(
            &index,
            &sources,
            &targets,
            &rows,
            args.diff,
            values_file,
        )?);
        if args.diff {
            return Ok(code);
        }
    }
    let text = match args.format {
        crate::cli::RightsizeFormat::Json => {
            let mut t = serde_json::to_string_pretty(&report.json()).expect("serialisable");
            t.push('\n');
            t
        }
        crate::cli::RightsizeFormat::Text => report.text(),
        crate::cli::RightsizeFormat::Markdown => report.markdown(),
    };
    print!("{text}");
    Ok(code)
}

/// The owner of a pod as kube-state-metrics saw it, resolved up to the workload.
fn resolve_owner(
    pod_owner: &(String, String),
    rs_owner: &HashMap<String, (String, String)>,
    job_owner: &HashMap<String, (String, String)>,
) -> (String, String) {
    let (kind, name) = pod_owner;
    match kind.as_str() {
        "ReplicaSet" => match rs_owner.get(name) {
            Some((k, n)) if k != "<none>" && !k.is_empty() => (k.clone(), n.clone()),
            _ => (kind.clone(), name.clone()),
        },
        "Job" => match job_owner.get(name) {
            Some((k, n)) if k == "CronJob" => (k.clone(), n.clone()),
            _ => (kind.clone(), name.clone()),
        },
        _ => (kind.clone(), name.clone()),
    }
}

/// A literal for a PromQL regular expression (RE2).
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn label<'a>(l: &'a BTreeMap<String, String>, k: &str) -> &'a str {
    l.get(k).map(String::as_str).unwrap_or("")
}

/// Queries every namespace of the targets, at most `concurrency` queries at once.
async fn collect(
    prom: &Prom,
    targets: &[Target],
    p: &QueryParams,
) -> Result<HashMap<String, NsData>, String> {
    let mut by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        by_ns.entry(&t.namespace).or_default().push(i);
    }
    let results: Vec<Result<(String, NsData), String>> = futures::stream::iter(by_ns)
        .map(|(ns, ids)| async move {
            let d = namespace(prom, ns, &ids, targets, p).await?;
            Ok((ns.to_string(), d))
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut out = HashMap::new();
    for r in results {
        let (ns, d) = r?;
        out.insert(ns, d);
    }
    Ok(out)
}

/// Per-pod figures of one container, as the instant queries give them.
#[derive(Default, Clone, Copy)]
struct PodRow {
    cpu_p95: Option<f64>,
    memory_p95: Option<f64>,
    memory_max: Option<f64>,
    count: f64,
    first: Option<f64>,
    last: Option<f64>,
    oom: bool,
    oom_request: Option<f64>,
    restarts: f64,
    /// Running time: samples × the scrape interval.
    seconds: f64,
}

impl PodRow {
    /// `n` samples at `time`.
    fn add_samples(&mut self, time: f64, n: f64) {
        self.count += n;
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
    }
}

type Key = (String, String);

/// The pod and container a series is of.
fn key_of(labels: &prom::Labels) -> Key {
    (
        label(labels, "pod").to_string(),
        label(labels, "container").to_string(),
    )
}

fn by_pod_container(samples: Vec<prom::Sample>) -> HashMap<Key, f64> {
    samples
        .into_iter()
        .map(|s| (key_of(&s.labels), s.value))
        .collect()
}

async fn namespace(
    prom: &Prom,
    ns: &str,
    ids: &[usize],
    targets: &[Target],
    p: &QueryParams,
) -> Result<NsData, String> {
    let h = p.h();
    let st = p.s();
    let plain = p.selector(ns, "");
    let usage_sel = p.selector(ns, r#"container!="",container!="POD""#);
    // owners
    let q_pod =
        format!("max by (pod, owner_kind, owner_name) (max_over_time(kube_pod_owner{plain}[{h}]))");
    let q_rs = format!(
        "max by (replicaset, owner_kind, owner_name) (max_over_time(kube_replicaset_owner{plain}[{h}]))"
    );
    let q_job = format!(
        "max by (job_name, owner_kind, owner_name) (max_over_time(kube_job_owner{plain}[{h}]))"
    );
    let oom_sel = p.selector(ns, r#"reason="OOMKilled""#);
    let q_oom = format!(
        "max by (pod, container) (max_over_time(kube_pod_container_status_last_terminated_reason{oom_sel}[{h}])) > 0"
    );
    let req_sel = p.selector(ns, r#"resource="memory""#);
    let q_oom_request = format!(
        "max by (pod, container) (max_over_time(kube_pod_container_resource_requests{req_sel}[{h}])) and on (pod, container) (max by (pod, container) (max_over_time(kube_pod_container_status_last_terminated_reason{oom_sel}[{h}])) > 0)"
    );
    let q_restarts = format!(
        "max by (pod, container) (increase(kube_pod_container_status_restarts_total{plain}[{h}])) > 0"
    );
    let q_hpa = format!(
        "avg by (horizontalpodautoscaler) (avg_over_time(kube_horizontalpodautoscaler_status_current_replicas{plain}[{h}]))"
    );
    let (pods, rss, jobs, ooms, oom_requests, restarts, hpas) = futures::try_join!(
        prom.instant(&q_pod, p.at),
        prom.instant(&q_rs, p.at),
        prom.instant(&q_job, p.at),
        prom.instant(&q_oom, p.at),
        prom.instant(&q_oom_request, p.at),
        prom.instant(&q_restarts, p.at),
        prom.instant(&q_hpa, p.at),
    )?;
    let owner = |s: &prom::Sample| {
        (
            label(&s.labels, "owner_kind").to_string(),
            label(&s.labels, "owner_name").to_string(),
        )
    };
    let rs_owner: HashMap<String, (String, String)> = rss
        .iter()
        .map(|s| (label(&s.labels, "replicaset").to_string(), owner(s)))
        .collect();
    let job_owner: HashMap<String, (String, String)> = jobs
        .iter()
        .map(|s| (label(&s.labels, "job_name").to_string(), owner(s)))
        .collect();
    let pod_owner: HashMap<String, (String, String)> = pods
        .iter()
        .map(|s| {
            (
                label(&s.labels, "pod").to_string(),
                resolve_owner(&owner(s), &rs_owner, &job_owner),
            )
        })
        .collect();
    let by_kind_name: HashMap<(&str, &str), usize> = ids
        .iter()
        .map(|&i| ((targets[i].kind.as_str(), targets[i].name.as_str()), i))
        .collect();
    let mut data = NsData {
        hpa_replicas: hpas
            .iter()
            .map(|s| {
                (
                    label(&s.labels, "horizontalpodautoscaler").to_string(),
                    s.value,
                )
            })
            .collect(),
        ..NsData::default()
    };
    // pod -> target, cached
    let mut pod_target: HashMap<String, Option<usize>> = HashMap::new();
    let mut target_of = |pod: &str, data: &mut NsData| -> Option<usize> {
        if let Some(t) = pod_target.get(pod) {
            return *t;
        }
        let t = match pod_owner.get(pod) {
            Some((k, n)) => by_kind_name.get(&(k.as_str(), n.as_str())).copied(),
            None => {
                // no kube-state-metrics series: the controller's naming, longest name first
                let found = ids
                    .iter()
                    .copied()
                    .filter(|&i| pod_name_matches(&targets[i].kind, &targets[i].name, pod))
                    .max_by_key(|&i| targets[i].name.len());
                if let Some(i) = found {
                    data.by_name.insert(i);
                }
                found
            }
        };
        pod_target.insert(pod.to_string(), t);
        t
    };
    let container_of = |t: usize, c: &str| targets[t].containers.iter().position(|x| x.name == c);
    let oom_keys: HashSet<Key> = by_pod_container(ooms).into_keys().collect();
    let restart_counts = by_pod_container(restarts);
    let oom_request = by_pod_container(oom_requests);

    // per series: the `max by (pod, container)` that de-duplicates them is taken here,
    // as Prometheus' per-step aggregation costs twice the rate itself
    let cpu = format!("rate(container_cpu_usage_seconds_total{usage_sel}[{st}])");
    let mut rows: HashMap<Key, PodRow> = HashMap::new();
    if p.strategy == Strategy::Vpa {
        let reference = p.at - p.history as f64;
        let mut states: HashMap<(usize, usize), VpaState> = HashMap::new();
        // CPU: every step, in chunks of at most MAX_RANGE_POINTS steps, oldest first;
        // the rows' sample counts and first and last steps come from the same series
        let step = p.step as f64;
        let start = ((p.at - p.history as f64) / step).ceil() * step;
        let end = (p.at / step).floor() * step;
        let mut from = start;
        while from <= end {
            let to = (from + step * (MAX_RANGE_POINTS - 1.0)).min(end);
            let mut series: HashMap<Key, Vec<Vec<(f64, f64)>>> = HashMap::new();
            for s in prom.range(&cpu, from, to, step).await? {
                series.entry(key_of(&s.labels)).or_default().push(s.values);
            }
            for ((pod, container), mut values) in series {
                let Some(t) = target_of(&pod, &mut data) else {
                    continue;
                };
                let Some(c) = container_of(t, &container) else {
                    continue;
                };
                // several series of one pod and container (several jobs scraping
                // cAdvisor, a restarted container): the highest at each step
                let values = if values.len() == 1 {
                    values.pop().unwrap_or_default()
                } else {
                    let mut merged: BTreeMap<i64, f64> = BTreeMap::new();
                    for (time, v) in values.into_iter().flatten() {
                        let m = merged.entry((time * 1000.0).round() as i64).or_insert(v);
                        *m = m.max(v);
                    }
                    merged
                        .into_iter()
                        .map(|(ms, v)| (ms as f64 / 1000.0, v))
                        .collect()
                };
                let st = states
                    .entry((t, c))
                    .or_insert_with(|| VpaState::new(reference));
                let row = rows.entry((pod, container)).or_default();
                for (time, v) in values {
                    st.add_cpu(v, time, step);
                    row.add_samples(time, 1.0);
                }
            }
            from = to + step;
        }
        // memory: one peak per container per 24 h window, fed in time order; the windows
        // start where the container's first CPU rate does (a step before its first step)
        let anchors: HashMap<Key, (f64, f64)> = rows
            .iter()
            .filter_map(|(k, r)| Some((k.clone(), (r.first? - step, r.last?))))
            .collect();
        let peaks = memory_windows(prom, p, ns, start, &anchors).await?;
        let mut windows: HashMap<Key, MemoryWindow> = HashMap::new();
        for (key, mut days) in peaks {
            let Some(t) = target_of(&key.0, &mut data) else {
                continue;
            };
            let Some(c) = container_of(t, &key.1) else {
                continue;
            };
            days.sort_by(|a, b| a.0.total_cmp(&b.0));
            let st = states
                .entry((t, c))
                .or_insert_with(|| VpaState::new(reference));
            let w = windows.entry(key.clone()).or_default();
            let row = rows.entry(key).or_default();
            for (window_start, peak) in days {
                st.add_memory(w, peak, window_start, false);
                row.memory_max = Some(row.memory_max.map_or(peak, |m: f64| m.max(peak)));
            }
        }
        // OOM kills: a synthetic peak in the pod's last window
        for (key, w) in windows.iter_mut() {
            if !oom_keys.contains(key) {
                continue;
            }
            let Some(t) = target_of(&key.0, &mut data) else {
                continue;
            };
            let Some(c) = container_of(t, &key.1) else {
                continue;
            };
            let cur = &targets[t].containers[c].current;
            let request = oom_request
                .get(key)
                .copied()
                .or(cur.memory_request)
                .or(cur.memory_limit)
                .unwrap_or(0.0);
            let last = rows.get(key).and_then(|r| r.last).unwrap_or(p.at);
            if let Some(st) = states.get_mut(&(t, c)) {
                st.record_oom(w, request, last);
            }
        }
        for ((t, c), st) in states {
            data.usage.entry((t, c)).or_default().vpa = Some(st);
        }
    } else {
        // Prometheus evaluates everything: the CPU rate needs a subquery at the step; the
        // working set is read raw (every scrape counts), and the first and last sample
        // times to the hour (a cheap subquery: the span only has to be told from a day)
        let raw = format!("container_memory_working_set_bytes{usage_sel}");
        let q_cpu = format!(
            "max by (pod, container) (quantile_over_time(0.95, rate(container_cpu_usage_seconds_total{usage_sel}[{st}])[{h}:{st}]))"
        );
        let q_mem_p95 = format!("max by (pod, container) (quantile_over_time(0.95, {raw}[{h}]))");
        let q_mem_max = format!("max by (pod, container) (max_over_time({raw}[{h}]))");
        // the samples of each hour: their sum is the count, the first and last hours with
        // samples the span (one range query with an hour's step reads the working set once)
        let q_hours = format!("max by (pod, container) (count_over_time({raw}[1h]))");
        let p95_2x = p.strategy == Strategy::P95x2;
        let (cpu_p95, mem_p95, mem_max, hours) = futures::try_join!(
            prom.instant(&q_cpu, p.at),
            async {
                if p95_2x {
                    prom.instant(&q_mem_p95, p.at).await
                } else {
                    Ok(Vec::new())
                }
            },
            async {
                // p95-2x needs the peak only as the base of an OOM bump: for the
                // OOM-killed pods alone
                if !p95_2x {
                    return prom.instant(&q_mem_max, p.at).await;
                }
                let mut oom_pods: Vec<&str> =
                    oom_keys.iter().map(|(pod, _)| pod.as_str()).collect();
                oom_pods.sort_unstable();
                oom_pods.dedup();
                if oom_pods.is_empty() {
                    return Ok(Vec::new());
                }
                let pods = oom_pods
                    .iter()
                    .map(|p| regex_escape(p))
                    .collect::<Vec<_>>()
                    .join("|");
                let sel = p.selector(
                    ns,
                    &format!(r#"container!="",container!="POD",pod=~{}"#, quote(&pods)),
                );
                prom.instant(
                    &format!("max by (pod, container) (max_over_time(container_memory_working_set_bytes{sel}[{h}]))"),
                    p.at,
                )
                .await
            },
            hourly(prom, &q_hours, p),
        )?;
        for (k, v) in by_pod_container(cpu_p95) {
            rows.entry(k).or_default().cpu_p95 = Some(v);
        }
        for (k, v) in by_pod_container(mem_p95) {
            rows.entry(k).or_default().memory_p95 = Some(v);
        }
        for (k, v) in by_pod_container(mem_max) {
            rows.entry(k).or_default().memory_max = Some(v);
        }
        for s in hours {
            let row = rows.entry(key_of(&s.labels)).or_default();
            for (time, n) in s.values {
                row.add_samples(time, n);
            }
        }
    }
    // the scrape interval, from the pods seen for two hours or more (the median), to
    // turn sample counts into running time
    let mut intervals: Vec<f64> = rows
        .values()
        .filter_map(|r| match (r.first, r.last) {
            (Some(a), Some(b)) if b - a >= 7200.0 && r.count > 1.0 => {
                Some((b - a) / (r.count - 1.0))
            }
            _ => None,
        })
        .collect();
    intervals.sort_by(f64::total_cmp);
    let interval = intervals
        .get(intervals.len() / 2)
        .copied()
        .unwrap_or(p.step as f64);
    for (key, row) in rows.iter_mut() {
        row.seconds = row.count * interval;
        row.oom = oom_keys.contains(key);
        row.oom_request = oom_request.get(key).copied();
        row.restarts = restart_counts.get(key).copied().unwrap_or(0.0);
    }
    for ((pod, container), row) in rows {
        let Some(t) = target_of(&pod, &mut data) else {
            continue;
        };
        let Some(c) = container_of(t, &container) else {
            continue;
        };
        if row.count <= 0.0 {
            continue;
        }
        let u = data.usage.entry((t, c)).or_default();
        u.pods += 1;
        u.add_pod(row.cpu_p95, row.memory_p95, row.memory_max);
        u.points += row.count;
        u.pod_seconds += row.seconds;
        if let (Some(a), Some(b)) = (row.first, row.last) {
            u.add_times(a, b);
        }
        u.oom_killed |= row.oom;
        if let Some(r) = row.oom_request {
            u.oom_request = Some(u.oom_request.map_or(r, |x: f64| x.max(r)));
        }
        u.restarts += row.restarts;
    }
    Ok(data)
}

/// An hourly range query over the history: points at `at`, `at - 1h`, ... back to the
/// last whole hour of the history, each over the hour before it (the hours tile the
/// history, whatever the left end of a range), in chunks below Prometheus' limit.
async fn hourly(prom: &Prom, query: &str, p: &QueryParams) -> Result<Vec<prom::Series>, String> {
    let hours = (p.history / 3600).max(1) as f64;
    let mut out: HashMap<prom::Labels, Vec<(f64, f64)>> = HashMap::new();
    let mut from = p.at - (hours - 1.0) * 3600.0;
    while from <= p.at {
        let to = (from + 3600.0 * (MAX_RANGE_POINTS - 1.0)).min(p.at);
        for s in prom.range(query, from, to, 3600.0).await? {
            out.entry(s.labels).or_default().extend(s.values);
        }
        from = to + 3600.0;
    }
    Ok(out
        .into_iter()
        .map(|(labels, values)| prom::Series { labels, values })
        .collect())
}

/// VPA's memory aggregation interval (`MemoryAggregationInterval`): 24 h.
const DAY: f64 = 86_400.0;

/// The memory peaks of the `vpa` strategy: per pod and container, the peak of its
/// working set (every scraped sample) in each 24 h window `[f + k·24h, f + (k+1)·24h)`
/// from its anchor `f` (where its first CPU rate starts: its first step with CPU usage
/// less the step), as (window start, peak). `anchors`: (anchor, last step) per pod and
/// container.
///
/// VPA keeps one peak per container and window (`addMemorySample`: a later, higher
/// sample of the window replaces the window's peak in the histogram), so only the
/// peaks are asked of Prometheus, never every sample. Containers are grouped by their
/// anchor's time of day: per group, a range query with a 24 h step evaluated 1 ms
/// before each window's end over 24 h (the same window whether the range's left end is
/// closed, Prometheus 2, or open, Prometheus 3), and an instant query at the end of the
/// history for the window still open. A container seen for less than a day has a single
/// window, its whole life: one query over the whole history serves all of them.
async fn memory_windows(
    prom: &Prom,
    p: &QueryParams,
    ns: &str,
    start: f64,
    anchors: &HashMap<Key, (f64, f64)>,
) -> Result<HashMap<Key, Vec<(f64, f64)>>, String> {
    let mut out: HashMap<Key, Vec<(f64, f64)>> = HashMap::new();
    if anchors.is_empty() {
        return Ok(out);
    }
    let step = p.step as f64;
    let at = (p.at * 1000.0).floor() / 1000.0;
    let ms = |x: f64| (x * 1000.0).round() as i64;
    // the earliest anchor: the rate at the history's first step starts a step before it
    let origin = start - step;
    // an anchor's phase (ms into the day from the origin); none for a container whose
    // samples all fall in one window (they end within a step of its last step)
    let phase_of = |(first, last): (f64, f64)| {
        (last + step - first >= DAY).then(|| ms((first - origin).rem_euclid(DAY)))
    };
    let mut phases: BTreeMap<i64, Vec<&Key>> = BTreeMap::new();
    let mut short = false;
    for (k, &anchor) in anchors {
        match phase_of(anchor) {
            Some(phase) => phases.entry(phase).or_default().push(k),
            None => short = true,
        }
    }
    // the largest group reads the whole namespace; the others their own pods
    let main = phases
        .iter()
        .max_by_key(|(phase, keys)| (keys.len(), std::cmp::Reverse(**phase)))
        .map(|(phase, _)| *phase);
    let all = p.selector(ns, r#"container!="",container!="POD""#);
    let peak_query = |sel: &str, range: &str| {
        format!(
            "max by (pod, container) (max_over_time(container_memory_working_set_bytes{sel}[{range}]))"
        )
    };
    let mut jobs = Vec::new();
    for (&phase, keys) in &phases {
        let sel = if Some(phase) == main {
            all.clone()
        } else {
            let mut pods: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
            pods.sort_unstable();
            pods.dedup();
            let re = pods
                .iter()
                .map(|x| regex_escape(x))
                .collect::<Vec<_>>()
                .join("|");
            p.selector(
                ns,
                &format!(r#"container!="",container!="POD",pod=~{}"#, quote(&re)),
            )
        };
        let base = origin + phase as f64 / 1000.0;
        // windows j = 0..full end at or before `at`; the next one is still open
        let full = ((at - base + 0.001) / DAY).floor().max(0.0);
        let open = base + full * DAY;
        let q_full = peak_query(&sel, "1d");
        let q_open = peak_query(&sel, &format!("{}ms", ms(at - open) + 1));
        jobs.push(async move {
            let mut got: Vec<(Vec<(f64, f64)>, prom::Labels)> = Vec::new();
            if full >= 1.0 {
                let first_end = base + DAY - 0.001;
                let last_end = base + full * DAY - 0.001;
                for s in prom.range(&q_full, first_end, last_end, DAY).await? {
                    let days = s
                        .values
                        .iter()
                        .map(|&(t, v)| (t + 0.001 - DAY, v))
                        .collect();
                    got.push((days, s.labels));
                }
            }
            if at > open {
                for s in prom.instant(&q_open, at).await? {
                    got.push((vec![(open, s.value)], s.labels));
                }
            }
            Ok::<_, String>((phase, got))
        });
    }
    let q_short = peak_query(&all, &p.h());
    let (groups, short_peaks) = futures::try_join!(futures::future::try_join_all(jobs), async {
        if short || main.is_none() {
            prom.instant(&q_short, at).await
        } else {
            Ok(Vec::new())
        }
    })?;
    for (phase, got) in groups {
        for (days, labels) in got {
            let key = key_of(&labels);
            let keep_from = match anchors.get(&key) {
                Some(&anchor) => {
                    // another group's container, or one of a single window
                    if phase_of(anchor) != Some(phase) {
                        continue;
                    }
                    anchor.0 - 0.5
                }
                // memory without CPU usage: in the whole namespace's group only
                None if Some(phase) == main => f64::NEG_INFINITY,
                None => continue,
            };
            out.entry(key).or_default().extend(
                days.into_iter()
                    .filter(|&(w, v)| w >= keep_from && v.is_finite()),
            );
        }
    }
    for s in short_peaks {
        let key = key_of(&s.labels);
        let window = match anchors.get(&key) {
            Some(&anchor) if phase_of(anchor).is_none() => anchor.0,
            None if main.is_none() => origin,
            _ => continue,
        };
        out.entry(key).or_default().push((window, s.value));
    }
    Ok(out)
}

fn cost(v: &strategy::Values, replicas: f64, prices: &Prices) -> Option<f64> {
    let cpu = v.cpu_request.unwrap_or(0.0);
    let mem = v.memory_request.unwrap_or(0.0);
    Some(replicas * HOURS_PER_MONTH * (cpu * prices.cpu + mem / strategy::GIB * prices.memory))
}

/// The recommendations, one row per container, in the order of the targets.
fn compute(
    targets: &[Target],
    data: &HashMap<String, NsData>,
    s: &Settings,
    prices: &Prices,
) -> Vec<Row> {
    let empty = NsData::default();
    let mut rows = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        let d = data.get(&t.namespace).unwrap_or(&empty);
        // the replicas that pay: the HPA's average where known, the spec's, or (for
        // DaemonSets, Jobs and CronJobs) the pods running on average
        let busiest = (0..t.containers.len())
            .filter_map(|c| d.usage.get(&(ti, c)))
            .max_by(|a, b| a.points.total_cmp(&b.points));
        let replicas = match (&t.hpa_name, t.kind.as_str()) {
            (Some((name, min)), _) => Some(d.hpa_replicas.get(name).copied().unwrap_or(*min)),
            (None, "Deployment" | "StatefulSet" | "Rollout") => t.replicas,
            (None, "DaemonSet") => busiest.map(|u| u.pod_seconds / u.span().max(s.step)),
            (None, _) => busiest.map(|u| u.pod_seconds / s.history),
        };
        let containers = t.containers.len();
        for (ci, c) in t.containers.iter().enumerate() {
            let usage = d.usage.get(&(ti, ci));
            let mut outcome = strategy::recommend(s, &c.current, usage, &c.hpa, containers);
            if d.by_name.contains(&ti) && usage.is_some() {
                outcome.reasons.push(
                    "pods matched by the names their controller gives them: kube-state-metrics has no owner series for them".into(),
                );
            }
            if matches!(t.kind.as_str(), "Job" | "CronJob") && usage.is_some() {
                outcome
                    .reasons
                    .push("judged on the runs of its pods only (no samples between runs)".into());
            }
            let (current_cost, recommended_cost) = match (outcome.status, replicas) {
                (strategy::Status::Ok, Some(r)) => {
                    // a value kept unchanged costs the same
                    let rec = strategy::Values {
                        cpu_request: outcome.recommended.cpu_request.or(c.current.cpu_request),
                        memory_request: outcome
                            .recommended
                            .memory_request
                            .or(c.current.memory_request),
                        ..outcome.recommended
                    };
                    (cost(&c.current, r, prices), cost(&rec, r, prices))
                }
                _ => (None, None),
            };
            rows.push(Row {
                target: ti,
                container: ci,
                points: usage.map_or(0.0, |u| u.points),
                pods: usage.map_or(0, |u| u.pods),
                outcome,
                replicas,
                current_cost,
                recommended_cost,
            });
        }
    }
    rows
}
