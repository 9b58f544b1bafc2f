//! The server's metrics, in the Prometheus text format (`GET /metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `validate` or `mutate`.
    pub endpoint: String,
    /// `CREATE`, `UPDATE`, ...
    pub operation: String,
    pub kind: String,
    /// allowed, warned, denied, skipped, failed.
    pub decision: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// deadline, panic, error.
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

/// Latency buckets from 100 µs to 10 s.
pub const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

pub struct Metrics {
    pub registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RequestLabels, Histogram>,
    pub findings: Family<CodeLabels, Counter>,
    /// Requests allowed because they could not be judged (or refused with
    /// `--fail-closed`), by reason.
    pub unjudged: Family<ReasonLabels, Counter>,
    pub malformed: Counter,
    pub index_objects: Family<KindLabels, Gauge>,
    pub cert_expiry: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("plimsoll_admission");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "AdmissionReview requests answered, by endpoint, operation, kind and decision",
            requests.clone(),
        );
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(BUCKETS.iter().copied())
        });
        registry.register(
            "duration_seconds",
            "Time from the request's body read to the answer written, by endpoint, operation, kind and decision",
            latency.clone(),
        );
        let findings = Family::<CodeLabels, Counter>::default();
        registry.register(
            "findings",
            "Findings reported at admission, by rule code",
            findings.clone(),
        );
        let unjudged = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "fail_open",
            "Requests that could not be judged (deadline, panic, internal error) and were allowed (refused with --fail-closed), by reason",
            unjudged.clone(),
        );
        let malformed = Counter::default();
        registry.register(
            "malformed_requests",
            "Requests answered with 400 (not an AdmissionReview v1, no uid, too large)",
            malformed.clone(),
        );
        let index_objects = Family::<KindLabels, Gauge>::default();
        registry.register(
            "index_objects",
            "Objects in the cluster index, by kind",
            index_objects.clone(),
        );
        let cert_expiry = Gauge::default();
        registry.register(
            "certificate_expiry_timestamp_seconds",
            "When the serving certificate in use expires (notAfter), in seconds since the epoch",
            cert_expiry.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            findings,
            unjudged,
            malformed,
            index_objects,
            cert_expiry,
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
