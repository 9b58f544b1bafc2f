//! `plimsoll rightsize` against a real Prometheus: synthetic usage history with known
//! values, written as OpenMetrics and loaded with promtool, then the command run as a
//! user runs it. The expected numbers are computed here from the generated data, by
//! each strategy's documented definition.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::process::Output;

use common::prometheus;
use serde_json::Value;

const STEP: i64 = 300;
const MIB: f64 = 1024.0 * 1024.0;
const DAY: i64 = 86_400;

const MANIFESTS: &str = r#"# The shop, sized by hand when it launched.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels:
    team: payments
spec:
  replicas: 2
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      initContainers:
        - name: proxy
          image: envoyproxy/envoy:v1.30.1
          restartPolicy: Always
          resources:
            requests:
              cpu: 100m # the proxy is light
              memory: 128Mi
      containers:
        - name: api
          image: shop/api:1.4.2
          resources:
            requests:
              cpu: "1" # guesswork
              memory: 1Gi
            limits:
              cpu: "2"
              memory: 2Gi # "to be safe"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {team: storefront}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: shop/web:2.0.0
          resources:
            requests: {cpu: 500m, memory: 512Mi}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: db
          image: postgres:16.3
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 256Mi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: fresh
  namespace: shop
spec:
  selector:
    matchLabels:
      app: fresh
  template:
    metadata:
      labels:
        app: fresh
    spec:
      containers:
        - name: fresh
          image: shop/fresh:0.1.0
          resources:
            requests:
              cpu: 200m
              memory: 256Mi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy
  namespace: shop
spec:
  selector:
    matchLabels:
      app: legacy
  template:
    metadata:
      labels:
        app: legacy
    spec:
      containers:
        - name: legacy
          image: shop/legacy:3.2.1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ghost
  namespace: shop
spec:
  selector:
    matchLabels:
      app: ghost
  template:
    metadata:
      labels:
        app: ghost
    spec:
      containers:
        - name: ghost
          image: shop/ghost:1.0.0
          resources:
            requests:
              cpu: 100m
              memory: 100Mi
"#;

/// A deterministic generator (xorshift), so that snapshots are stable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One container of one pod: its CPU rate and working set in each 5-minute block.
struct Container {
    pod: &'static str,
    container: &'static str,
    start: i64,
    cpu: Vec<f64>,
    memory: Vec<f64>,
}

fn container(
    pod: &'static str,
    name: &'static str,
    start: i64,
    blocks: usize,
    cpu: (f64, f64),
    mem: (f64, f64),
    rng: &mut Rng,
) -> Container {
    Container {
        pod,
        container: name,
        start,
        cpu: (0..blocks).map(|_| cpu.0 + cpu.1 * rng.next()).collect(),
        memory: (0..blocks)
            .map(|_| ((mem.0 + mem.1 * rng.next()) * MIB).round())
            .collect(),
    }
}

/// OpenMetrics families, each written whole.
#[derive(Default)]
struct Families(BTreeMap<&'static str, String>);

impl Families {
    fn sample(&mut self, name: &'static str, labels: &str, value: f64, t: i64) {
        let s = self.0.entry(name).or_default();
        let _ = writeln!(s, "{name}{{{labels}}} {value} {t}");
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for s in self.0.values() {
            out.push_str(s);
        }
        out.push_str("# EOF\n");
        out
    }
}

/// The usage series of a container: samples every minute, 30 s off the 5-minute steps,
/// so that each step's rate window holds exactly one block and each step sees the
/// working set of the block before it.
fn usage(f: &mut Families, c: &Container) {
    let labels = format!(
        r#"namespace="shop",pod="{}",container="{}",job="kubelet""#,
        c.pod, c.container
    );
    let blocks = c.cpu.len() as i64;
    let mut counter = 1000.0;
    let mut last_t = c.start;
    let mut t = c.start + 30;
    while t < c.start + blocks * STEP {
        // the counter is linear within a block
        let mut x = last_t;
        while x < t {
            let b = ((x - c.start) / STEP) as usize;
            let block_end = c.start + (b as i64 + 1) * STEP;
            let until = block_end.min(t);
            counter += c.cpu[b] * (until - x) as f64;
            x = until;
        }
        last_t = t;
        let b = ((t - c.start) / STEP) as usize;
        f.sample("container_cpu_usage_seconds_total", &labels, counter, t);
        f.sample(
            "container_memory_working_set_bytes",
            &labels,
            c.memory[b],
            t,
        );
        t += 60;
    }
}

/// kube-state-metrics series, every step over the pod's life.
fn ksm(
    f: &mut Families,
    name: &'static str,
    labels: &str,
    from: i64,
    to: i64,
    value: impl Fn(i64) -> f64,
) {
    let mut t = from + 30;
    while t < to {
        f.sample(name, labels, value(t), t);
        t += STEP;
    }
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = q * (s.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    let w = rank - lo as f64;
    s[lo] * (1.0 - w) + s[hi] * w
}

/// The working set as scraped: each block's value five times (a sample a minute).
fn raw(blocks: &[f64]) -> Vec<f64> {
    blocks.iter().flat_map(|&m| [m; 5]).collect()
}

fn round_cpu(c: f64) -> f64 {
    (c * 200.0 - 1e-6).ceil() / 200.0
}

fn round_mem(m: f64) -> f64 {
    (m / MIB - 1e-6).ceil() * MIB
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

struct World {
    containers: Vec<Container>,
    openmetrics: String,
}

fn world() -> World {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = now / STEP * STEP - 2 * STEP;
    let start = end - 2 * DAY;
    let blocks = (2 * DAY / STEP) as usize;
    let mut rng = Rng(0x5eed_1234_abcd);
    let cs = vec![
        container(
            "api-7d9f8b6c4-abcde",
            "api",
            start,
            blocks,
            (0.08, 0.25),
            (300.0, 200.0),
            &mut rng,
        ),
        container(
            "api-7d9f8b6c4-fghij",
            "api",
            start,
            blocks,
            (0.10, 0.30),
            (280.0, 180.0),
            &mut rng,
        ),
        container(
            "api-7d9f8b6c4-abcde",
            "proxy",
            start,
            blocks,
            (0.01, 0.02),
            (40.0, 10.0),
            &mut rng,
        ),
        container(
            "api-7d9f8b6c4-fghij",
            "proxy",
            start,
            blocks,
            (0.01, 0.02),
            (40.0, 10.0),
            &mut rng,
        ),
        container(
            "web-5c6d7e8f9-klmno",
            "web",
            start,
            blocks,
            (0.05, 0.10),
            (100.0, 50.0),
            &mut rng,
        ),
        container(
            "db-0",
            "db",
            start,
            blocks,
            (0.05, 0.05),
            (180.0, 60.0),
            &mut rng,
        ),
        // two hours only
        container(
            "fresh-6b7c8d9f5-pqrst",
            "fresh",
            end - 2 * 3600,
            24,
            (0.1, 0.1),
            (100.0, 20.0),
            &mut rng,
        ),
        // no kube-state-metrics series: matched by its name
        container(
            "legacy-5f7b9c8d4-q2w3e",
            "legacy",
            start,
            blocks,
            (0.02, 0.04),
            (60.0, 20.0),
            &mut rng,
        ),
        // a second legacy pod, started 7 hours later (its memory windows start at
        // another time of day), with less CPU and more memory than the first
        container(
            "legacy-5f7b9c8d4-z8x7c",
            "legacy",
            start + 7 * 3600,
            blocks - 7 * 12,
            (0.005, 0.01),
            (300.0, 300.0),
            &mut rng,
        ),
    ];
    let mut f = Families::default();
    for c in &cs {
        usage(&mut f, c);
    }
    // a second job scraping one container's CPU counter, at half its rate (the
    // de-duplication per pod and container keeps the highest)
    let mut counter = 1000.0;
    let mut t = start + 30;
    while t < start + blocks as i64 * STEP {
        f.sample(
            "container_cpu_usage_seconds_total",
            r#"namespace="shop",pod="api-7d9f8b6c4-abcde",container="api",job="cadvisor""#,
            counter,
            t,
        );
        counter += cs[0].cpu[((t - start) / STEP) as usize] * 30.0;
        t += 60;
    }
    for (pod, rs) in [
        ("api-7d9f8b6c4-abcde", "api-7d9f8b6c4"),
        ("api-7d9f8b6c4-fghij", "api-7d9f8b6c4"),
        ("web-5c6d7e8f9-klmno", "web-5c6d7e8f9"),
        ("fresh-6b7c8d9f5-pqrst", "fresh-6b7c8d9f5"),
    ] {
        let from = if pod.starts_with("fresh") {
            end - 2 * 3600
        } else {
            start
        };
        ksm(
            &mut f,
            "kube_pod_owner",
            &format!(
                r#"namespace="shop",pod="{pod}",owner_kind="ReplicaSet",owner_name="{rs}",owner_is_controller="true""#
            ),
            from,
            end,
            |_| 1.0,
        );
    }
    for (rs, d) in [
        ("api-7d9f8b6c4", "api"),
        ("web-5c6d7e8f9", "web"),
        ("fresh-6b7c8d9f5", "fresh"),
    ] {
        ksm(
            &mut f,
            "kube_replicaset_owner",
            &format!(
                r#"namespace="shop",replicaset="{rs}",owner_kind="Deployment",owner_name="{d}",owner_is_controller="true""#
            ),
            start,
            end,
            |_| 1.0,
        );
    }
    ksm(
        &mut f,
        "kube_pod_owner",
        r#"namespace="shop",pod="db-0",owner_kind="StatefulSet",owner_name="db",owner_is_controller="true""#,
        start,
        end,
        |_| 1.0,
    );
    // db was OOM-killed during the second day, three restarts
    let oom_at = start + DAY + 3600;
    ksm(
        &mut f,
        "kube_pod_container_status_last_terminated_reason",
        r#"namespace="shop",pod="db-0",container="db",reason="OOMKilled""#,
        oom_at,
        end,
        |_| 1.0,
    );
    ksm(
        &mut f,
        "kube_pod_container_resource_requests",
        r#"namespace="shop",pod="db-0",container="db",resource="memory",unit="byte""#,
        start,
        end,
        |_| 256.0 * MIB,
    );
    ksm(
        &mut f,
        "kube_pod_container_status_restarts_total",
        r#"namespace="shop",pod="db-0",container="db""#,
        start,
        end,
        |t| if t < oom_at { 0.0 } else { 3.0 },
    );
    ksm(
        &mut f,
        "kube_horizontalpodautoscaler_status_current_replicas",
        r#"namespace="shop",horizontalpodautoscaler="web""#,
        start,
        end,
        |t| if t < start + DAY { 3.0 } else { 5.0 },
    );
    World {
        containers: cs,
        openmetrics: f.text(),
    }
}

fn run_json(dir: &Path, args: &[&str]) -> Value {
    let out = common::run_in(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn rec<'a>(v: &'a Value, name: &str, container: &str) -> &'a Value {
    v["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name && r["container"] == container)
        .unwrap_or_else(|| panic!("no recommendation for {name}/{container}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The containers of the generated data for one workload container.
fn of<'a>(w: &'a World, prefix: &str, container: &str) -> Vec<&'a Container> {
    w.containers
        .iter()
        .filter(|c| c.pod.starts_with(prefix) && c.container == container)
        .collect()
}

fn schema_check(v: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo_root().join("schemas/rightsize.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
}

#[test]
fn against_a_real_prometheus() {
    let w = world();
    let Some(prom) = prometheus::start(&w.openmetrics) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.yaml"), MANIFESTS).unwrap();
    let url = prom.url.as_str();

    // p95-2x
    let v = run_json(
        dir.path(),
        &[
            "rightsize",
            "--prometheus",
            url,
            "shop.yaml",
            "--format",
            "json",
        ],
    );
    schema_check(&v);
    assert_eq!(v["strategy"], "p95-2x");
    assert_eq!(v["history"], "14d");
    let queries = v["queries"].as_array().unwrap();
    assert!(
        !queries.is_empty() && queries.len() <= 16,
        "batched per namespace: {queries:#?}"
    );
    let api = of(&w, "api-", "api");
    let cpu = round_cpu(max(&api
        .iter()
        .map(|c| quantile(&c.cpu, 0.95))
        .collect::<Vec<_>>()));
    let mem_p95 = max(&api
        .iter()
        .map(|c| quantile(&raw(&c.memory), 0.95))
        .collect::<Vec<_>>());
    let r = rec(&v, "api", "api");
    assert_eq!(r["status"], "ok", "{r:#}");
    assert_eq!(r["kind"], "Deployment");
    assert_eq!(r["namespace"], "shop");
    assert!(
        (num(&r["recommended"]["cpu"]["request"]) - cpu).abs() < 1e-9,
        "{r:#} vs {cpu}"
    );
    assert_eq!(r["recommended"]["cpu"]["limit"], Value::Null);
    assert_eq!(
        num(&r["recommended"]["memory"]["request"]),
        round_mem(mem_p95)
    );
    assert_eq!(
        num(&r["recommended"]["memory"]["limit"]),
        2.0 * round_mem(mem_p95)
    );
    assert_eq!(num(&r["current"]["cpu"]["request"]), 1.0);
    assert_eq!(num(&r["current"]["memory"]["limit"]), 2.0 * 1024.0 * MIB);
    assert_eq!(r["dataPoints"], 2 * 2880);
    // the savings: 2 replicas, OpenCost's default prices
    let delta = 2.0
        * 730.0
        * ((cpu - 1.0) * 0.031611 + (round_mem(mem_p95) / (1024.0 * MIB) - 1.0) * 0.004237);
    assert!(
        (num(&r["monthlyCostDelta"]) - delta).abs() < 0.011,
        "{} vs {delta}",
        r["monthlyCostDelta"]
    );
    // the sidecar is sized too
    let proxy = rec(&v, "api", "proxy");
    assert_eq!(proxy["status"], "ok");
    let pcs = of(&w, "api-", "proxy");
    let pcpu = round_cpu(max(&pcs
        .iter()
        .map(|c| quantile(&c.cpu, 0.95))
        .collect::<Vec<_>>()));
    assert!((num(&proxy["recommended"]["cpu"]["request"]) - pcpu).abs() < 1e-9);

    // two hours of data: no number
    let fresh = rec(&v, "fresh", "fresh");
    assert_eq!(fresh["status"], "insufficient-data", "{fresh:#}");
    assert_eq!(fresh["recommended"]["cpu"]["request"], Value::Null);
    assert_eq!(fresh["monthlyCostDelta"], Value::Null);
    // no series at all: listed, not dropped
    let ghost = rec(&v, "ghost", "ghost");
    assert_eq!(ghost["status"], "no-data");

    // OOM-killed: never below the current request, and the bump
    let db = rec(&v, "db", "db");
    assert_eq!(db["status"], "ok");
    let peak = max(&of(&w, "db-", "db")[0].memory);
    let base = (256.0 * MIB).max(peak);
    let bumped = round_mem((base + 100.0 * MIB).max(base * 1.2));
    assert_eq!(
        num(&db["recommended"]["memory"]["request"]),
        bumped,
        "{db:#}"
    );
    assert!(db["reasons"].to_string().contains("OOM-killed"), "{db:#}");

    // an HPA on CPU utilisation: the CPU request is kept
    let web = rec(&v, "web", "web");
    assert_eq!(num(&web["recommended"]["cpu"]["request"]), 0.5, "{web:#}");
    assert!(
        web["reasons"]
            .to_string()
            .contains("HorizontalPodAutoscaler web"),
        "{web:#}"
    );
    assert!(
        num(&web["replicas"]) > 3.0 && num(&web["replicas"]) < 5.0,
        "the HPA's average replicas: {web:#}"
    );

    // no kube-state-metrics series: matched by the pod's name
    let legacy = rec(&v, "legacy", "legacy");
    assert_eq!(legacy["status"], "ok", "{legacy:#}");
    assert!(
        legacy["reasons"]
            .to_string()
            .contains("names their controller gives"),
        "{legacy:#}"
    );
    let lc = of(&w, "legacy-", "legacy");
    assert!(
        (num(&legacy["recommended"]["cpu"]["request"]) - round_cpu(quantile(&lc[0].cpu, 0.95)))
            .abs()
            < 1e-9
    );

    // totals by namespace and by the cost-allocation label
    let totals = &v["totals"];
    assert_eq!(totals["noData"], 1, "ghost: {totals:#}");
    assert!(
        totals["byCostLabel"].to_string().contains("payments"),
        "{totals:#}"
    );
    assert!(num(&totals["monthlyCostDelta"]) < 0.0);
    assert!(
        totals["prices"]["source"]
            .as_str()
            .unwrap()
            .contains("OpenCost")
    );

    // krr-simple: CPU p95, memory request = limit = peak × 1.15
    let v = run_json(
        dir.path(),
        &[
            "rightsize",
            "--prometheus",
            url,
            "shop.yaml",
            "--format",
            "json",
            "--strategy",
            "krr-simple",
        ],
    );
    schema_check(&v);
    let r = rec(&v, "api", "api");
    let peak = max(&api.iter().map(|c| max(&c.memory)).collect::<Vec<_>>());
    assert!((num(&r["recommended"]["cpu"]["request"]) - cpu).abs() < 1e-9);
    assert_eq!(
        num(&r["recommended"]["memory"]["request"]),
        round_mem(peak * 1.15)
    );
    assert_eq!(
        num(&r["recommended"]["memory"]["limit"]),
        round_mem(peak * 1.15)
    );

    // vpa: decayed p90 × 1.15, within the histogram's 5% buckets and the rounding
    let v = run_json(
        dir.path(),
        &[
            "rightsize",
            "--prometheus",
            url,
            "shop.yaml",
            "--format",
            "json",
            "--strategy",
            "vpa",
        ],
    );
    schema_check(&v);
    // every step's CPU rate weighs 2^(t / 24h); the memory peak of each 24 h window from
    // the pod's first block 2^(window end / 24h)
    let weighted = |samples: &[(f64, f64)], q: f64| {
        let mut s = samples.to_vec();
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = s.iter().map(|x| x.1).sum();
        let mut acc = 0.0;
        for (v, w) in &s {
            acc += w;
            if acc >= q * total {
                return *v;
            }
        }
        s.last().unwrap().0
    };
    let vpa_expect = |cs: &[&Container]| {
        let origin = cs.iter().map(|c| c.start).min().unwrap();
        let day = |t: i64| (t - origin) as f64 / 86_400.0;
        let cpu: Vec<(f64, f64)> = cs
            .iter()
            .flat_map(|c| {
                c.cpu
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (x, 2f64.powf(day(c.start + i as i64 * STEP))))
            })
            .collect();
        let mem: Vec<(f64, f64)> = cs
            .iter()
            .flat_map(|c| {
                c.memory
                    .chunks(288)
                    .enumerate()
                    .map(|(d, w)| (max(w), 2f64.powf(day(c.start) + d as f64 + 1.0)))
            })
            .collect();
        // the minimums: 25m and 250Mi (one container)
        (
            (weighted(&cpu, 0.9) * 1.15).max(0.025),
            (weighted(&mem, 0.9) * 1.15).max(250.0 * MIB),
        )
    };
    for (name, cs) in [
        ("api", api.clone()),
        ("legacy", of(&w, "legacy-", "legacy")),
    ] {
        let r = rec(&v, name, name);
        let (cpu, mem) = vpa_expect(&cs);
        // the percentile is the end of its bucket: buckets grow by 5% from a first one
        // of 0.01 core and 10^7 bytes, so the end is within 5% + the first bucket's
        // width of the value (times the margin), and then rounded up to 5m and 1Mi
        let got = num(&r["recommended"]["cpu"]["request"]);
        assert!(
            got >= cpu - 1e-9 && got <= cpu * 1.05 + 1.15 * 0.01 + 0.005,
            "vpa {name} cpu {got} vs {cpu}"
        );
        // memory: a peak per pod and day
        let got = num(&r["recommended"]["memory"]["request"]);
        assert!(
            got >= mem - 1.0 && got <= mem * 1.05 + 1.15 * 1e7 + MIB,
            "vpa {name} memory {got} vs {mem}"
        );
        // one sample per step and pod (the rate at each step but the first block's):
        // a second job's copy of a series is not counted twice
        let steps: usize = cs.iter().map(|c| c.cpu.len()).sum();
        assert_eq!(r["dataPoints"], steps, "vpa {name}: {r:#}");
    }

    // text and markdown
    let out = common::run_in(dir.path(), &["rightsize", "--prometheus", url, "shop.yaml"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("WORKLOAD") && text.contains("shop/Deployment/api"),
        "{text}"
    );
    let out = common::run_in(
        dir.path(),
        &[
            "rightsize",
            "--prometheus",
            url,
            "shop.yaml",
            "--format",
            "markdown",
        ],
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("| WORKLOAD |")
    );

    // --diff shows, --fix writes: comments and layout kept
    let out = common::run_in(
        dir.path(),
        &["rightsize", "--prometheus", url, "shop.yaml", "--diff"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.contains("+              cpu: ") && diff.contains("# guesswork"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shop.yaml")).unwrap(),
        MANIFESTS
    );
    let out = common::run_in(
        dir.path(),
        &["rightsize", "--prometheus", url, "shop.yaml", "--fix"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = std::fs::read_to_string(dir.path().join("shop.yaml")).unwrap();
    insta::assert_snapshot!("rightsize_fix", fixed);
    // a second run changes nothing
    let out = common::run_in(
        dir.path(),
        &["rightsize", "--prometheus", url, "shop.yaml", "--diff"],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");

    chart_write_back(url, &w);

    // an HTTP error: the URL and the query in the message, exit 2
    let bad = format!("{url}/not-prometheus");
    let out: Output = common::run_in(
        dir.path(),
        &["rightsize", "--prometheus", &bad, "shop.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&bad) && err.contains("404") && err.contains("query:"),
        "{err}"
    );
}

#[test]
fn unreachable_prometheus_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.yaml"), MANIFESTS).unwrap();
    // a port nothing listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = common::run_in(
        dir.path(),
        &["rightsize", "--prometheus", &url, "shop.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&url) && err.contains("unreachable") && err.contains("query: "),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn conflicting_flags_are_refused_before_any_query() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &[
            "rightsize",
            "--prometheus",
            "http://127.0.0.1:1",
            "--fix",
            "--diff",
            "x.yaml",
        ][..],
        &[
            "rightsize",
            "--prometheus",
            "http://127.0.0.1:1",
            "--fix",
            "--context",
            "prod",
        ][..],
        &[
            "rightsize",
            "--prometheus",
            "http://127.0.0.1:1",
            "--history",
            "5m",
            "--step",
            "5m",
        ][..],
        &[
            "rightsize",
            "--prometheus",
            "http://127.0.0.1:1",
            "--cpu-limit",
            "lots",
        ][..],
        &["rightsize", "--prometheus", "not a url"][..],
    ] {
        let out = common::run_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("unreachable"),
            "{args:?}: a query was sent: {err}"
        );
    }
}

/// A Helm chart whose template takes the resources from `.Values`: the values key is
/// named, and `--write-values` writes it into the values file, comments kept.
fn chart_write_back(url: &str, w: &World) {
    let Some(tools) = common::tools::tools() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("api");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: api\nversion: 1.0.0\n",
    )
    .unwrap();
    let values = "# sizes of the api\napi:\n  resources:\n    requests:\n      cpu: \"1\" # guesswork\n      memory: 1Gi\n    limits:\n      memory: 2Gi\n";
    std::fs::write(chart.join("values.yaml"), values).unwrap();
    std::fs::write(
        chart.join("templates/api.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n        - name: api\n          image: shop/api:1.4.2\n          resources:\n            {{- toYaml .Values.api.resources | nindent 12 }}\n",
    )
    .unwrap();
    let helm = tools.helm.to_str().unwrap();
    let base = [
        "rightsize",
        "--prometheus",
        url,
        "api",
        "-n",
        "shop",
        "--helm",
        helm,
    ];
    // named, not written
    let out = common::run_in(dir.path(), &[&base[..], &["--fix"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("api.resources.requests.cpu=") && err.contains("--write-values"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(chart.join("values.yaml")).unwrap(),
        values
    );
    // written when asked
    let out = common::run_in(
        dir.path(),
        &[
            &base[..],
            &["--fix", "--write-values", "--values", "api/values.yaml"],
        ]
        .concat(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let api = of(w, "api-", "api");
    let cpu = round_cpu(max(&api
        .iter()
        .map(|c| quantile(&c.cpu, 0.95))
        .collect::<Vec<_>>()));
    let mem = round_mem(max(&api
        .iter()
        .map(|c| quantile(&raw(&c.memory), 0.95))
        .collect::<Vec<_>>()));
    let want = format!(
        "# sizes of the api\napi:\n  resources:\n    requests:\n      cpu: {}m # guesswork\n      memory: {}Mi\n    limits:\n      memory: {}Mi\n",
        (cpu * 1000.0).round(),
        mem / MIB,
        2.0 * mem / MIB
    );
    assert_eq!(
        std::fs::read_to_string(chart.join("values.yaml")).unwrap(),
        want
    );
}
