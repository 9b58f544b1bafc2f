//! A client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), which
//! Thanos, Mimir, VictoriaMetrics and the managed Prometheus services speak too.
//!
//! Queries are sent as POST forms (a selector of many pods does not fit in a URL), each
//! with a deadline. Every failure names the URL and the query: unreachable, timed out,
//! an HTTP error status, or a PromQL error in the answer.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// How to reach Prometheus.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The base URL (`http://prometheus:9090`, or a path prefix for a proxy).
    pub url: String,
    /// Extra headers sent with every request (`X-Scope-OrgID=tenant`).
    pub headers: Vec<(String, String)>,
    /// A bearer token sent as `Authorization: Bearer ...`.
    pub token: Option<String>,
    /// PEM file of the certificate authorities to trust instead of the system's.
    pub ca: Option<std::path::PathBuf>,
    pub timeout: Duration,
    /// Print each query on stderr as it is sent.
    pub verbose: bool,
}

/// A series' labels.
pub type Labels = BTreeMap<String, String>;

/// One series of a range query: its labels and its (time, value) samples.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub labels: Labels,
    pub values: Vec<(f64, f64)>,
}

/// One element of an instant vector.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

pub struct Prom {
    base: String,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    timeout: Duration,
    verbose: bool,
    /// At most this many queries in flight.
    slots: tokio::sync::Semaphore,
    /// Every query sent, in the order sent.
    pub queries: Mutex<Vec<String>>,
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn tls_config(ca: &std::path::Path) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .map_err(|e| format!("--prometheus-ca {}: {e}", ca.display()))?;
    for c in certs {
        let c = c.map_err(|e| format!("--prometheus-ca {}: {e}", ca.display()))?;
        roots
            .add(c)
            .map_err(|e| format!("--prometheus-ca {}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "--prometheus-ca {}: no certificate in the file",
            ca.display()
        ));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Prom {
    /// A client; must be called inside a Tokio runtime.
    pub fn new(opts: &Options, concurrency: usize) -> Result<Prom, String> {
        let base = opts.url.trim_end_matches('/').to_string();
        let uri: http::Uri = base
            .parse()
            .map_err(|e| format!("--prometheus `{}`: not a URL: {e}", opts.url))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(format!(
                "--prometheus `{}`: give an http:// or https:// URL with a host",
                opts.url
            ));
        }
        let builder = match &opts.ca {
            Some(ca) => hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls_config(ca)?),
            None => hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(std::sync::Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .map_err(|e| format!("cannot load the system's certificate authorities: {e}"))?,
        };
        let connector = builder.https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let mut headers = Vec::new();
        for (k, v) in &opts.headers {
            let name = http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|e| format!("--prometheus-header `{k}`: {e}"))?;
            let value = http::HeaderValue::from_str(v)
                .map_err(|e| format!("--prometheus-header `{k}`: {e}"))?;
            headers.push((name, value));
        }
        if let Some(t) = &opts.token {
            let value = http::HeaderValue::from_str(&format!("Bearer {}", t.trim()))
                .map_err(|_| "--prometheus-token-file: the token is not a valid header value")?;
            headers.push((http::header::AUTHORIZATION, value));
        }
        Ok(Prom {
            base,
            client,
            headers,
            timeout: opts.timeout,
            verbose: opts.verbose,
            slots: tokio::sync::Semaphore::new(concurrency.max(1)),
            queries: Mutex::new(Vec::new()),
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// POSTs a form to an API path and returns the `data` of a successful answer.
    async fn call(
        &self,
        path: &str,
        query: &str,
        params: &[(&str, String)],
    ) -> Result<Value, String> {
        let (bytes, fail) = self.fetch(path, query, params).await?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut v) if v.get("data").is_some() => Ok(v["data"].take()),
            _ => Err(fail(
                "the answer is not a Prometheus API answer (is the URL the server's root?)".into(),
            )),
        }
    }

    /// POSTs a form to an API path and returns the body of a successful answer, with the
    /// function that words a failure of this query. HTTP errors and PromQL errors are
    /// failures; an answer whose status is not `error` is given back as it came.
    async fn fetch(
        &self,
        path: &str,
        query: &str,
        params: &[(&str, String)],
    ) -> Result<(Bytes, impl Fn(String) -> String + use<>), String> {
        let _slot = self.slots.acquire().await.map_err(|e| e.to_string())?;
        if self.verbose {
            eprintln!("plimsoll: query: {query}");
        }
        self.queries
            .lock()
            .expect("not poisoned")
            .push(query.to_string());
        let url = format!("{}{path}", self.base);
        let fail = {
            let (url, query) = (url.clone(), query.to_string());
            move |what: String| format!("Prometheus at {url}: {what}\n  query: {query}")
        };
        let mut body = format!("query={}", form_encode(query));
        for (k, v) in params {
            body.push_str(&format!("&{k}={}", form_encode(v)));
        }
        let mut req = hyper::Request::post(&url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json");
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| fail(e.to_string()))?;
        let work = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| fail(format!("unreachable: {}", error_chain(&e))))?;
            let status = resp.status();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| fail(format!("the answer could not be read: {e}")))?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(fail(format!(
                    "no answer within {:?} (--query-timeout)",
                    self.timeout
                )));
            }
        };
        // The status field comes first in Prometheus' answers: a successful one is not
        // parsed twice.
        let succeeded = bytes.starts_with(br#"{"status":"success""#);
        let api_error = (!succeeded)
            .then(|| serde_json::from_slice::<Value>(&bytes).ok())
            .flatten()
            .and_then(|v| {
                (v.get("status")?.as_str()? == "error").then(|| {
                    format!(
                        "{}: {}",
                        v.get("errorType")
                            .and_then(Value::as_str)
                            .unwrap_or("error"),
                        v.get("error").and_then(Value::as_str).unwrap_or("")
                    )
                })
            });
        if !status.is_success() {
            let detail = api_error.unwrap_or_else(|| {
                let t = String::from_utf8_lossy(&bytes);
                let t = t.trim();
                t.chars().take(300).collect()
            });
            return Err(fail(format!("HTTP {status}: {detail}")));
        }
        if let Some(e) = api_error {
            return Err(fail(format!("query error: {e}")));
        }
        Ok((bytes, fail))
    }

    /// An instant query at `time` (seconds since the epoch).
    pub async fn instant(&self, query: &str, time: f64) -> Result<Vec<Sample>, String> {
        let data = self
            .call("/api/v1/query", query, &[("time", format!("{time:.3}"))])
            .await?;
        let mut out = Vec::new();
        for r in data["result"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(value) = r.get("value").and_then(point) else {
                continue;
            };
            out.push(Sample {
                labels: labels(r),
                value: value.1,
            });
        }
        Ok(out)
    }

    /// A range query over `[start, end]` every `step` seconds. The answer is read into
    /// typed series directly (a range answer of a namespace holds millions of samples:
    /// a generic JSON tree of them costs several times the parse).
    pub async fn range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Vec<Series>, String> {
        let (bytes, fail) = self
            .fetch(
                "/api/v1/query_range",
                query,
                &[
                    ("start", format!("{start:.3}")),
                    ("end", format!("{end:.3}")),
                    ("step", format!("{step}")),
                ],
            )
            .await?;
        let answer: RangeAnswer = serde_json::from_slice(&bytes).map_err(|e| {
            fail(format!(
                "the answer is not a Prometheus API answer (is the URL the server's root?): {e}"
            ))
        })?;
        Ok(answer
            .data
            .result
            .into_iter()
            .map(|r| Series {
                labels: r.metric,
                values: r
                    .values
                    .into_iter()
                    .filter_map(|(t, x)| {
                        let x: f64 = x.parse().ok()?;
                        x.is_finite().then_some((t, x))
                    })
                    .collect(),
            })
            .collect())
    }
}

/// `{"status": "success", "data": {"resultType": "matrix", "result": [...]}}`
#[derive(serde::Deserialize)]
struct RangeAnswer<'a> {
    #[serde(borrow)]
    data: RangeData<'a>,
}

#[derive(serde::Deserialize)]
struct RangeData<'a> {
    #[serde(borrow, default)]
    result: Vec<RangeSeries<'a>>,
}

/// One series: its labels and `[[1712345678.123, "0.25"], ...]` (values are decimal
/// strings, `NaN` and `+Inf` among them, never escaped: they are borrowed, not copied).
#[derive(serde::Deserialize)]
struct RangeSeries<'a> {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(borrow, default)]
    values: Vec<(f64, &'a str)>,
}

fn labels(r: &Value) -> BTreeMap<String, String> {
    r.get("metric")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `[1712345678.123, "0.25"]` as (time, value); NaN and infinities are dropped.
fn point(v: &Value) -> Option<(f64, f64)> {
    let a = v.as_array()?;
    let t = a.first()?.as_f64()?;
    let x: f64 = a.get(1)?.as_str()?.parse().ok()?;
    x.is_finite().then_some((t, x))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// A PromQL string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A duration as PromQL writes it (`14d`, `5m`, `90s`).
pub fn duration(seconds: u64) -> String {
    for (unit, n) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds >= n && (seconds / n) * n == seconds {
            return format!("{}{unit}", seconds / n);
        }
    }
    format!("{seconds}s")
}

/// Parses a Prometheus duration: `14d`, `5m`, `1h30m`, `90s`, `2w`.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut any = false;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = if c == 'm' && chars.peek() == Some(&'s') {
            chars.next();
            "ms"
        } else {
            match c {
                's' => "s",
                'm' => "m",
                'h' => "h",
                'd' => "d",
                'w' => "w",
                'y' => "y",
                _ => return Err(format!("`{text}` is not a duration (14d, 5m, 1h30m)")),
            }
        };
        let n: u64 = num
            .parse()
            .map_err(|_| format!("`{text}` is not a duration (14d, 5m, 1h30m)"))?;
        num.clear();
        any = true;
        total += match unit {
            "ms" => n / 1000,
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86_400,
            "w" => n * 604_800,
            _ => n * 365 * 86_400,
        };
    }
    if !num.is_empty() || !any || total == 0 {
        return Err(format!("`{text}` is not a duration (14d, 5m, 1h30m)"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d"), Ok(14 * 86_400));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("5m"), Ok(300));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("abc").is_err());
        assert_eq!(duration(14 * 86_400), "2w");
        assert_eq!(duration(3 * 86_400), "3d");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(75), "75s");
    }

    #[test]
    fn encoding() {
        assert_eq!(form_encode("a b=\"c\"|{}"), "a+b%3D%22c%22%7C%7B%7D");
        assert_eq!(quote("a\"b\\"), "\"a\\\"b\\\\\"");
    }
}
