//! The recommendation strategies, as pure functions of plain numbers: no I/O here, so
//! each is unit-tested without Prometheus.
//!
//! Every strategy turns the usage of one container of one workload (over all its pods)
//! into requests and limits; the guardrails ([`recommend`]) then apply to all of them
//! alike: too little data gives no number, an OOM-killed container never gets a lower
//! memory request than its current one and gets the bump, a CPU-utilisation HPA keeps
//! the CPU request, and values are rounded up to 5m CPU and 1Mi memory.

use std::fmt;

pub const MIB: f64 = 1024.0 * 1024.0;
pub const GIB: f64 = 1024.0 * MIB;

/// The named strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// CPU request = p95 of the per-step CPU rate; memory request = p95 of the working
    /// set; memory limit = 2 × the memory request; no CPU limit.
    #[value(name = "p95-2x")]
    P95x2,
    /// KRR's `simple` strategy: CPU request = p95 of the per-step CPU rate, no CPU
    /// limit; memory request = limit = the highest working set × 1.15.
    #[value(name = "krr-simple")]
    KrrSimple,
    /// The VPA recommender: decaying histograms (24 h half-life), target = p90 (lower
    /// p50, upper p95) × 1.15, confidence bounds, minimums 25m and 250Mi shared by the
    /// containers, the OOM bump; limits scaled with the requests.
    Vpa,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::P95x2 => "p95-2x",
            Strategy::KrrSimple => "krr-simple",
            Strategy::Vpa => "vpa",
        })
    }
}

/// The CPU limit to recommend (`--cpu-limit`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CpuLimit {
    /// None: an existing CPU limit is removed.
    None,
    /// The current limit, unchanged.
    Keep,
    /// This many times the recommended request.
    Factor(f64),
    /// The current limit scaled as the request is (VPA's `RequestsAndLimits`).
    Proportional,
}

/// Requests and limits, CPU in cores and memory in bytes; `None` = not set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Values {
    pub cpu_request: Option<f64>,
    pub cpu_limit: Option<f64>,
    pub memory_request: Option<f64>,
    pub memory_limit: Option<f64>,
}

/// What the history says about one container of one workload, over all its pods.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Pods with series.
    pub pods: usize,
    /// The highest per-pod p95 of the per-step CPU rate (cores).
    pub cpu_p95: Option<f64>,
    /// The highest per-pod p95 of the working set (bytes).
    pub memory_p95: Option<f64>,
    /// The highest working set of any pod (bytes).
    pub memory_max: Option<f64>,
    /// Working-set samples, summed over the pods.
    pub points: f64,
    /// Running time of the pods, summed (seconds).
    pub pod_seconds: f64,
    /// First and last sample times (seconds since the epoch).
    pub first: Option<f64>,
    pub last: Option<f64>,
    /// Seen OOM-killed in the window (kube-state-metrics' last terminated reason).
    pub oom_killed: bool,
    /// The memory request of the OOM-killed pods (kube-state-metrics), the base of the
    /// bump as VPA takes it: the request of the pod that was killed, not today's.
    pub oom_request: Option<f64>,
    /// Container restarts in the window.
    pub restarts: f64,
    /// The VPA model of the container, for the `vpa` strategy.
    pub vpa: Option<VpaState>,
}

impl Usage {
    pub fn span(&self) -> f64 {
        match (self.first, self.last) {
            (Some(a), Some(b)) => (b - a).max(0.0),
            _ => 0.0,
        }
    }

    /// Folds the statistics of one more pod in.
    pub fn add_pod(
        &mut self,
        cpu_p95: Option<f64>,
        memory_p95: Option<f64>,
        memory_max: Option<f64>,
    ) {
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.cpu_p95 = max(self.cpu_p95, cpu_p95);
        self.memory_p95 = max(self.memory_p95, memory_p95);
        self.memory_max = max(self.memory_max, memory_max);
    }

    pub fn add_times(&mut self, first: f64, last: f64) {
        self.first = Some(self.first.map_or(first, |f| f.min(first)));
        self.last = Some(self.last.map_or(last, |l| l.max(last)));
    }
}

/// The guardrails' settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub strategy: Strategy,
    pub cpu_limit: CpuLimit,
    /// Fewer samples than this: insufficient data.
    pub min_points: f64,
    /// A shorter span of samples than this (seconds): insufficient data.
    pub min_span: f64,
    /// The history asked for (seconds), for the confidence.
    pub history: f64,
    /// The query step (seconds).
    pub step: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    InsufficientData,
    NoData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::InsufficientData => "insufficient-data",
            Status::NoData => "no-data",
        }
    }
}

/// The autoscalers on the workload that a request change would disturb.
#[derive(Debug, Clone, Default)]
pub struct Hpa {
    /// The HPA scaling on CPU utilisation (its name), if any.
    pub cpu: Option<String>,
    /// The HPA scaling on memory utilisation, if any.
    pub memory: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    /// 0 to 1: the share of the history asked for that the samples span.
    pub confidence: Option<f64>,
    pub recommended: Values,
    pub reasons: Vec<String>,
}

/// VPA's OOM bump: `max(base + 100 MiB, base × 1.2)`.
pub fn oom_bump(base: f64) -> f64 {
    (base + 100.0 * MIB).max(base * 1.2)
}

/// CPU rounded up to 5 millicores (a hair above a multiple stays on it: float noise).
pub fn round_cpu(cores: f64) -> f64 {
    let units = cores * 200.0;
    let up = (units - 1e-6).ceil().max(0.0);
    up / 200.0
}

/// Memory rounded up to a whole MiB.
pub fn round_memory(bytes: f64) -> f64 {
    let units = bytes / MIB;
    (units - 1e-6).ceil().max(0.0) * MIB
}

/// The recommendation for one container, with the guardrails.
pub fn recommend(
    s: &Settings,
    current: &Values,
    usage: Option<&Usage>,
    hpa: &Hpa,
    containers: usize,
) -> Outcome {
    let Some(u) = usage.filter(|u| u.pods > 0 && u.points > 0.0) else {
        return Outcome {
            status: Status::NoData,
            confidence: None,
            recommended: Values::default(),
            reasons: vec!["no usage series in Prometheus for this container".into()],
        };
    };
    let span = u.span();
    let confidence = Some(((span / s.history).min(1.0) * 100.0).round() / 100.0);
    if u.points < s.min_points || span < s.min_span {
        return Outcome {
            status: Status::InsufficientData,
            confidence,
            recommended: Values::default(),
            reasons: vec![format!(
                "insufficient data: {} samples over {} (at least {} samples over {} are needed)",
                u.points.round(),
                human_span(span),
                s.min_points,
                human_span(s.min_span)
            )],
        };
    }
    let mut reasons = Vec::new();
    let mut r = match s.strategy {
        Strategy::P95x2 => {
            // the limit is twice the request as written
            let mem = u.memory_p95.map(round_memory);
            Values {
                cpu_request: u.cpu_p95,
                cpu_limit: None,
                memory_request: mem,
                memory_limit: mem.map(|m| 2.0 * m),
            }
        }
        Strategy::KrrSimple => {
            let mem = u.memory_max.map(|m| m * 1.15);
            Values {
                cpu_request: u.cpu_p95,
                cpu_limit: None,
                memory_request: mem,
                memory_limit: mem,
            }
        }
        Strategy::Vpa => {
            let est = u.vpa.as_ref().map(|v| v.estimate(containers.max(1)));
            if let Some(e) = &est {
                reasons.push(format!(
                    "VPA bounds: CPU {} to {}, memory {} to {}",
                    cpu_text(e.cpu_lower),
                    cpu_text(e.cpu_upper),
                    memory_text(e.memory_lower),
                    memory_text(e.memory_upper)
                ));
            }
            let est = est.unwrap_or_default();
            Values {
                cpu_request: Some(est.cpu_target),
                cpu_limit: None,
                memory_request: Some(est.memory_target),
                memory_limit: None,
            }
        }
    };
    // limits that follow the requests
    let proportional = |cur_req: Option<f64>, cur_lim: Option<f64>, new_req: Option<f64>| match (
        cur_req, cur_lim, new_req,
    ) {
        (Some(q), Some(l), Some(n)) if q > 0.0 => Some(l * n / q),
        (None, Some(_), Some(n)) => Some(n),
        _ => None,
    };
    if s.strategy == Strategy::Vpa {
        r.memory_limit = proportional(
            current.memory_request,
            current.memory_limit,
            r.memory_request,
        );
    }
    // OOM: never lower than now, and the bump
    if u.oom_killed {
        let current_req = current.memory_request.or(current.memory_limit);
        let base = match (u.oom_request.or(current_req), u.memory_max) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(0.0),
        };
        let bumped = oom_bump(base);
        let floor = bumped.max(current_req.unwrap_or(0.0));
        if floor > r.memory_request.unwrap_or(0.0) {
            r.memory_request = Some(round_memory(floor));
        }
        reasons.push(format!(
            "OOM-killed in the window{}: memory request at least max({} + 100Mi, {} × 1.2) = {}",
            if u.restarts > 0.0 {
                format!(" ({} restarts)", u.restarts.round())
            } else {
                String::new()
            },
            memory_text(base),
            memory_text(base),
            memory_text(bumped)
        ));
        r.memory_limit = match s.strategy {
            Strategy::P95x2 => r.memory_request.map(|m| 2.0 * m),
            Strategy::KrrSimple => r.memory_request,
            Strategy::Vpa => proportional(
                current.memory_request,
                current.memory_limit,
                r.memory_request,
            ),
        };
    }
    // the CPU limit
    let cpu_limit = match s.strategy {
        Strategy::Vpa if s.cpu_limit == CpuLimit::None => CpuLimit::Proportional,
        _ => s.cpu_limit,
    };
    r.cpu_limit = match cpu_limit {
        CpuLimit::None => {
            if current.cpu_limit.is_some() {
                reasons.push(format!(
                    "no CPU limit: the {} strategy sets none, so the current one is removed (`--cpu-limit keep` keeps it)",
                    s.strategy
                ));
            }
            None
        }
        CpuLimit::Keep => current.cpu_limit,
        CpuLimit::Factor(f) => r.cpu_request.map(|c| c * f),
        CpuLimit::Proportional => {
            proportional(current.cpu_request, current.cpu_limit, r.cpu_request)
        }
    };
    // HPAs: a utilisation target is a share of the request
    if let Some(h) = &hpa.cpu {
        r.cpu_request = current.cpu_request;
        r.cpu_limit = current.cpu_limit;
        reasons.push(format!(
            "CPU kept: HorizontalPodAutoscaler {h} scales on CPU utilisation, a share of the request; changing the request moves its target"
        ));
    }
    if let Some(h) = &hpa.memory {
        r.memory_request = current.memory_request;
        r.memory_limit = current.memory_limit;
        reasons.push(format!(
            "memory kept: HorizontalPodAutoscaler {h} scales on memory utilisation, a share of the request; changing the request moves its target"
        ));
    }
    // rounding, and a limit never below its request
    let round = |v: Option<f64>, f: fn(f64) -> f64| v.map(f);
    r.cpu_request = round(r.cpu_request, round_cpu);
    r.cpu_limit = round(r.cpu_limit, round_cpu);
    r.memory_request = round(r.memory_request, round_memory);
    r.memory_limit = round(r.memory_limit, round_memory);
    if let (Some(q), Some(l)) = (r.cpu_request, r.cpu_limit)
        && l < q
    {
        r.cpu_limit = Some(q);
    }
    if let (Some(q), Some(l)) = (r.memory_request, r.memory_limit)
        && l < q
    {
        r.memory_limit = Some(q);
    }
    if r.cpu_request == Some(0.0) {
        r.cpu_request = Some(0.005);
    }
    if r.memory_request == Some(0.0) {
        r.memory_request = Some(MIB);
    }
    Outcome {
        status: Status::Ok,
        confidence,
        recommended: r,
        reasons,
    }
}

pub fn human_span(seconds: f64) -> String {
    let h = seconds / 3600.0;
    if h >= 48.0 {
        format!("{:.1} days", h / 24.0)
    } else if h >= 1.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.0} min", seconds / 60.0)
    }
}

/// `250m`, `1.5` cores as Kubernetes writes them.
pub fn cpu_text(cores: f64) -> String {
    let m = (cores * 1000.0).round() as i64;
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else {
        format!("{m}m")
    }
}

/// `512Mi`, `1Gi`, or bytes.
pub fn memory_text(bytes: f64) -> String {
    let b = bytes.round() as i64;
    if b != 0 && b % (1 << 30) == 0 {
        format!("{}Gi", b >> 30)
    } else if b != 0 && b % (1 << 20) == 0 {
        format!("{}Mi", b >> 20)
    } else if b >= 1 << 20 {
        format!("{:.1}Mi", bytes / MIB)
    } else {
        b.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// The VPA recommender's model (kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender)

/// `util/histogram_options.go`: exponential buckets, each 5% wider than the last.
#[derive(Debug, Clone)]
pub struct Histogram {
    first_bucket: f64,
    weights: Vec<f64>,
    total: f64,
    min_bucket: usize,
    max_bucket: usize,
    /// The reference time of the exponential decay.
    reference: f64,
}

const BUCKET_GROWTH: f64 = 0.05;
const EPSILON: f64 = 1e-4;
pub const HALF_LIFE: f64 = 24.0 * 3600.0;
pub const CPU_FIRST_BUCKET: f64 = 0.01;
pub const CPU_MAX: f64 = 1000.0;
pub const MEMORY_FIRST_BUCKET: f64 = 1e7;
pub const MEMORY_MAX: f64 = 1e12;
/// `minSampleWeight` (VPA ≥ 1.4.0: every CPU sample weighs this much).
pub const MIN_SAMPLE_WEIGHT: f64 = 0.1;
/// The memory aggregation interval (one peak per container per interval).
pub const MEMORY_INTERVAL: f64 = 24.0 * 3600.0;

impl Histogram {
    pub fn new(first_bucket: f64, max: f64, reference: f64) -> Histogram {
        let n = ((max * BUCKET_GROWTH / first_bucket + 1.0).ln() / (1.0 + BUCKET_GROWTH).ln())
            .ceil() as usize
            + 1;
        Histogram {
            first_bucket,
            weights: vec![0.0; n],
            total: 0.0,
            min_bucket: n - 1,
            max_bucket: 0,
            reference,
        }
    }

    pub fn buckets(&self) -> usize {
        self.weights.len()
    }

    fn bucket(&self, v: f64) -> usize {
        if v < self.first_bucket {
            return 0;
        }
        let b = ((v * BUCKET_GROWTH / self.first_bucket + 1.0).ln() / (1.0 + BUCKET_GROWTH).ln())
            .floor() as usize;
        b.min(self.weights.len() - 1)
    }

    pub fn bucket_start(&self, b: usize) -> f64 {
        if b == 0 {
            return 0.0;
        }
        self.first_bucket * ((1.0 + BUCKET_GROWTH).powi(b as i32) - 1.0) / BUCKET_GROWTH
    }

    /// Adds a sample taken at `time` with a base weight, decayed by a 24 h half-life.
    pub fn add(&mut self, v: f64, weight: f64, time: f64) {
        let w = weight * 2f64.powf((time - self.reference) / HALF_LIFE);
        let b = self.bucket(v);
        self.weights[b] += w;
        self.total += w;
        self.min_bucket = self.min_bucket.min(b);
        self.max_bucket = self.max_bucket.max(b);
    }

    pub fn subtract(&mut self, v: f64, weight: f64, time: f64) {
        let w = weight * 2f64.powf((time - self.reference) / HALF_LIFE);
        let b = self.bucket(v);
        self.weights[b] = (self.weights[b] - w).max(0.0);
        self.total = (self.total - w).max(0.0);
    }

    pub fn is_empty(&self) -> bool {
        self.weights
            .iter()
            .skip(self.min_bucket)
            .take(self.max_bucket.saturating_sub(self.min_bucket) + 1)
            .all(|w| *w < EPSILON)
    }

    /// `histogram.go` `Percentile`: the end of the bucket where the cumulative weight
    /// reaches `p` of the total (the start of the last bucket for the last one).
    pub fn percentile(&self, p: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let threshold = p * self.total;
        let mut sum = 0.0;
        let mut b = self.min_bucket;
        while b < self.max_bucket {
            sum += self.weights[b];
            if sum >= threshold {
                break;
            }
            b += 1;
        }
        if b < self.weights.len() - 1 {
            self.bucket_start(b + 1)
        } else {
            self.bucket_start(b)
        }
    }
}

/// The memory peak of one container of one pod in the current aggregation window
/// (`model/container.go` `addMemorySample`).
#[derive(Debug, Clone, Default)]
pub struct MemoryWindow {
    window_end: Option<f64>,
    peak: f64,
    last: Option<f64>,
}

/// The aggregate of one container name over the pods of a workload.
#[derive(Debug, Clone)]
pub struct VpaState {
    pub cpu: Histogram,
    pub memory: Histogram,
    /// CPU samples, counted as 1-minute samples (VPA samples once a minute).
    pub samples: f64,
    pub first: Option<f64>,
    pub last: Option<f64>,
}

/// The VPA estimate of one container.
#[derive(Debug, Clone, Copy, Default)]
pub struct VpaEstimate {
    pub cpu_target: f64,
    pub cpu_lower: f64,
    pub cpu_upper: f64,
    pub memory_target: f64,
    pub memory_lower: f64,
    pub memory_upper: f64,
    /// Days: `min(span / 24 h, samples / 1440)`.
    pub confidence: f64,
}

/// VPA's defaults (`config/config.go` `DefaultRecommenderConfig`).
pub const VPA_TARGET: f64 = 0.9;
pub const VPA_LOWER: f64 = 0.5;
pub const VPA_UPPER: f64 = 0.95;
pub const VPA_MARGIN: f64 = 0.15;
pub const VPA_MIN_CPU: f64 = 0.025;
pub const VPA_MIN_MEMORY: f64 = 250.0 * MIB;
/// `MaxResourceAmount`: what an infinite bound is clamped to.
pub const VPA_MAX_AMOUNT: f64 = 1e14;

impl VpaState {
    pub fn new(reference: f64) -> VpaState {
        VpaState {
            cpu: Histogram::new(CPU_FIRST_BUCKET, CPU_MAX, reference),
            memory: Histogram::new(MEMORY_FIRST_BUCKET, MEMORY_MAX, reference),
            samples: 0.0,
            first: None,
            last: None,
        }
    }

    /// A CPU usage sample (cores) covering `step` seconds, at `time`.
    pub fn add_cpu(&mut self, cores: f64, time: f64, step: f64) {
        self.cpu.add(cores, MIN_SAMPLE_WEIGHT, time);
        self.samples += step / 60.0;
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
    }

    /// A working-set sample of one pod's container, through its window.
    pub fn add_memory(&mut self, w: &mut MemoryWindow, bytes: f64, time: f64, oom: bool) {
        if !oom && w.last.is_some_and(|l| time < l) {
            return;
        }
        w.last = Some(time);
        let end = *w.window_end.get_or_insert(time);
        let mut add_new = false;
        if time < end {
            if w.peak != 0.0 && bytes > w.peak {
                self.memory.subtract(w.peak, 1.0, end);
                add_new = true;
            }
        } else {
            let shift =
                ((time - end) / MEMORY_INTERVAL).floor() * MEMORY_INTERVAL + MEMORY_INTERVAL;
            w.window_end = Some(end + shift);
            w.peak = 0.0;
            add_new = true;
        }
        if add_new {
            let end = w.window_end.expect("set above");
            self.memory.add(bytes, 1.0, end);
            w.peak = bytes;
        }
    }

    /// An OOM kill at `time` of a container whose memory request was `request`: a
    /// synthetic peak of `max(base + 100 MiB, base × 1.2)`, base = max(request, the
    /// window's peak) (`ContainerState.RecordOOM`).
    pub fn record_oom(&mut self, w: &mut MemoryWindow, request: f64, time: f64) {
        let base = request.max(w.peak);
        self.add_memory(w, oom_bump(base), time, true);
    }

    pub fn estimate(&self, containers: usize) -> VpaEstimate {
        let span = match (self.first, self.last) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        };
        let conf = (span / (24.0 * 3600.0)).min(self.samples / 1440.0);
        let margin = 1.0 + VPA_MARGIN;
        let upper_mult = |v: f64| {
            if conf <= 0.0 {
                VPA_MAX_AMOUNT
            } else {
                (v * (1.0 + 1.0 / conf)).min(VPA_MAX_AMOUNT)
            }
        };
        let lower_mult = |v: f64| {
            if conf <= 0.0 {
                0.0
            } else {
                v * (1.0 + 0.001 / conf).powf(-2.0)
            }
        };
        let n = containers as f64;
        let min_cpu = VPA_MIN_CPU / n;
        let min_mem = VPA_MIN_MEMORY / n;
        // int64 millicores and bytes, truncated (`resourceAmountFromFloat`)
        let cpu = |v: f64| (v.max(min_cpu) * 1000.0).floor() / 1000.0;
        let mem = |v: f64| v.max(min_mem).floor();
        VpaEstimate {
            cpu_target: cpu(self.cpu.percentile(VPA_TARGET) * margin),
            cpu_lower: cpu(lower_mult(self.cpu.percentile(VPA_LOWER) * margin)),
            cpu_upper: cpu(upper_mult(self.cpu.percentile(VPA_UPPER) * margin)),
            memory_target: mem(self.memory.percentile(VPA_TARGET) * margin),
            memory_lower: mem(lower_mult(self.memory.percentile(VPA_LOWER) * margin)),
            memory_upper: mem(upper_mult(self.memory.percentile(VPA_UPPER) * margin)),
            confidence: conf,
        }
    }
}

/// numpy's default percentile (linear interpolation between closest ranks), which is
/// also PromQL's `quantile_over_time`.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = q * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let w = rank - lo as f64;
    Some(sorted[lo] * (1.0 - w) + sorted[hi] * w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(strategy: Strategy) -> Settings {
        Settings {
            strategy,
            cpu_limit: CpuLimit::None,
            min_points: 100.0,
            min_span: 86_400.0,
            history: 14.0 * 86_400.0,
            step: 300.0,
        }
    }

    fn usage() -> Usage {
        Usage {
            pods: 2,
            cpu_p95: Some(0.2312),
            memory_p95: Some(200.3 * MIB),
            memory_max: Some(300.0 * MIB),
            points: 1000.0,
            first: Some(0.0),
            last: Some(7.0 * 86_400.0),
            ..Usage::default()
        }
    }

    #[test]
    fn histogram_shape() {
        let h = Histogram::new(CPU_FIRST_BUCKET, CPU_MAX, 0.0);
        assert_eq!(h.buckets(), 176);
        let h = Histogram::new(MEMORY_FIRST_BUCKET, MEMORY_MAX, 0.0);
        assert_eq!(h.buckets(), 176);
    }

    #[test]
    fn vpa_worked_example() {
        // constant 100m for 8 days, one sample a minute: target 126m, upper 142m
        let mut s = VpaState::new(0.0);
        let mut w = MemoryWindow::default();
        for i in 0..(8 * 1440) {
            let t = i as f64 * 60.0;
            s.add_cpu(0.1, t, 60.0);
            s.add_memory(&mut w, 200.0 * MIB, t, false);
        }
        let e = s.estimate(1);
        assert_eq!((e.cpu_target * 1000.0).round(), 126.0);
        assert_eq!((e.cpu_upper * 1000.0).round(), 142.0);
        // 200 MiB memory: below the 250 MiB floor
        assert_eq!(e.memory_target, 262_144_000.0);
    }

    #[test]
    fn p95_2x() {
        let o = recommend(
            &settings(Strategy::P95x2),
            &Values::default(),
            Some(&usage()),
            &Hpa::default(),
            1,
        );
        assert_eq!(o.status, Status::Ok);
        assert_eq!(o.recommended.cpu_request, Some(0.235));
        assert_eq!(o.recommended.cpu_limit, None);
        assert_eq!(o.recommended.memory_request, Some(201.0 * MIB));
        assert_eq!(o.recommended.memory_limit, Some(402.0 * MIB));
        assert_eq!(o.confidence, Some(0.5));
    }

    #[test]
    fn krr_simple() {
        let o = recommend(
            &settings(Strategy::KrrSimple),
            &Values::default(),
            Some(&usage()),
            &Hpa::default(),
            1,
        );
        assert_eq!(o.recommended.cpu_request, Some(0.235));
        assert_eq!(o.recommended.memory_request, Some(345.0 * MIB));
        assert_eq!(o.recommended.memory_limit, Some(345.0 * MIB));
    }

    #[test]
    fn guardrails() {
        let mut u = usage();
        u.last = Some(7200.0);
        let o = recommend(
            &settings(Strategy::P95x2),
            &Values::default(),
            Some(&u),
            &Hpa::default(),
            1,
        );
        assert_eq!(o.status, Status::InsufficientData);
        assert_eq!(o.recommended, Values::default());

        let o = recommend(
            &settings(Strategy::P95x2),
            &Values::default(),
            None,
            &Hpa::default(),
            1,
        );
        assert_eq!(o.status, Status::NoData);

        let mut u = usage();
        u.oom_killed = true;
        let cur = Values {
            memory_request: Some(256.0 * MIB),
            ..Values::default()
        };
        let o = recommend(
            &settings(Strategy::P95x2),
            &cur,
            Some(&u),
            &Hpa::default(),
            1,
        );
        // base = max(256Mi, peak 300Mi) = 300Mi; bump = 400Mi
        assert_eq!(o.recommended.memory_request, Some(400.0 * MIB));

        let cur = Values {
            cpu_request: Some(1.0),
            ..Values::default()
        };
        let hpa = Hpa {
            cpu: Some("api".into()),
            memory: None,
        };
        let o = recommend(&settings(Strategy::P95x2), &cur, Some(&usage()), &hpa, 1);
        assert_eq!(o.recommended.cpu_request, Some(1.0));
    }

    #[test]
    fn rounding() {
        assert_eq!(round_cpu(0.2), 0.2);
        assert_eq!(round_cpu(0.2000000001), 0.2);
        assert_eq!(round_cpu(0.2001), 0.205);
        assert_eq!(round_memory(100.0 * MIB), 100.0 * MIB);
        assert_eq!(round_memory(100.5 * MIB), 101.0 * MIB);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95), Some(4.8));
    }
}
