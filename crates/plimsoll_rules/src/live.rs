//! Facts only a live front-end knows, which are not in any object: the current time and
//! the deprecated APIs clients requested (the kube-apiserver metric
//! `apiserver_requested_deprecated_apis`). The files front-end has none; rules that need
//! them fall back as each documents.

use plimsoll_model::Timestamp;

/// What the live front-end tells the rules besides the objects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveFacts {
    /// The current time. Rules that judge "recently" measure from it; without it they
    /// measure from the newest timestamp found in the input (see
    /// [`Context::now`](crate::rule::Context::now)).
    pub now: Option<Timestamp>,
    /// Deprecated API versions requested since the API server started, from
    /// [`LiveFacts::parse_deprecated_metric`], sorted and without duplicates.
    pub deprecated_requests: Vec<DeprecatedRequest>,
}

/// A deprecated API version that clients requested: one series of the gauge
/// `apiserver_requested_deprecated_apis`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeprecatedRequest {
    /// API group (`""` for the core group).
    pub group: String,
    pub version: String,
    /// Plural resource (`flowschemas`).
    pub resource: String,
    /// `""` for the resource itself (`status`, `scale`, ...).
    pub subresource: String,
    /// The release that stops serving the version (`1.32`), when one is scheduled.
    pub removed_release: Option<String>,
}

impl DeprecatedRequest {
    /// `resource` or `resource/subresource`.
    pub fn resource_path(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }

    /// The name of the APIService that serves this group and version:
    /// `v1beta3.flowcontrol.apiserver.k8s.io`, and `v1.` for the core group.
    pub fn api_service_name(&self) -> String {
        format!("{}.{}", self.version, self.group)
    }
}

/// Whether a rule judges only the state objects report in `status` (the `LIV` rules,
/// and the Velero rules about backups that ran and restores that completed): an object
/// under admission review has no status yet, so the webhook does not run them.
pub fn judges_status_only(code: &str) -> bool {
    code.starts_with("LIV") || matches!(code, "BAK004" | "BAK005")
}

/// The metric's name.
pub const DEPRECATED_APIS_METRIC: &str = "apiserver_requested_deprecated_apis";

impl LiveFacts {
    /// Reads the requested deprecated APIs from the API server's `/metrics` text (the
    /// Prometheus text exposition format). Other metrics, comments and series whose
    /// value is 0 are skipped; lines that cannot be read are ignored, as a scraper
    /// would. The series carry the labels `group`, `version`, `resource`,
    /// `subresource` and `removed_release` (empty when no removal is scheduled); a
    /// value of 1 means the version was requested since the API server started.
    pub fn parse_deprecated_metric(text: &str) -> Vec<DeprecatedRequest> {
        let mut out: Vec<DeprecatedRequest> = text
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                let rest = line.strip_prefix(DEPRECATED_APIS_METRIC)?;
                let (labels, rest) = if let Some(r) = rest.strip_prefix('{') {
                    parse_labels(r)?
                } else if rest.starts_with([' ', '\t']) {
                    (Vec::new(), rest)
                } else {
                    // another metric whose name starts the same way
                    return None;
                };
                let value: f64 = rest.split_whitespace().next()?.parse().ok()?;
                if value == 0.0 || value.is_nan() {
                    return None;
                }
                let label = |k: &str| {
                    labels
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let version = label("version");
                let resource = label("resource");
                if version.is_empty() || resource.is_empty() {
                    return None;
                }
                Some(DeprecatedRequest {
                    group: label("group"),
                    version,
                    resource,
                    subresource: label("subresource"),
                    removed_release: Some(label("removed_release")).filter(|r| !r.is_empty()),
                })
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Parses `name="value",...}` (after the opening brace) and returns the labels and the
/// rest of the line. Values are unescaped (`\\`, `\"`, `\n`).
fn parse_labels(mut s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix('}') {
            return Some((labels, rest));
        }
        let eq = s.find('=')?;
        let name = s[..eq].trim().to_string();
        s = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                c => value.push(c),
            }
        };
        labels.push((name, value));
        s = s[end + 1..].trim_start();
        if let Some(rest) = s.strip_prefix(',') {
            s = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = r#"# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="status",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",resource="podsecuritypolicies",subresource="",version="v1beta1"} 0
apiserver_requested_deprecated_apis{group="example.dev",removed_release="",resource="widgets",subresource="",version="v1alpha1"} 1
# HELP apiserver_requested_deprecated_apis_total a different metric
apiserver_requested_deprecated_apis_total{group="x",version="v1",resource="y"} 3
apiserver_request_total{code="200",group="",resource="pods",verb="LIST",version="v1"} 12
"#;

    #[test]
    fn reads_the_requested_series_and_skips_the_rest() {
        let got = LiveFacts::parse_deprecated_metric(METRICS);
        let flow = |sub: &str| DeprecatedRequest {
            group: "flowcontrol.apiserver.k8s.io".into(),
            version: "v1beta3".into(),
            resource: "flowschemas".into(),
            subresource: sub.into(),
            removed_release: Some("1.32".into()),
        };
        assert_eq!(
            got,
            [
                DeprecatedRequest {
                    group: "example.dev".into(),
                    version: "v1alpha1".into(),
                    resource: "widgets".into(),
                    subresource: String::new(),
                    removed_release: None,
                },
                flow(""),
                flow("status"),
            ]
        );
        assert_eq!(got[2].resource_path(), "flowschemas/status");
        assert_eq!(
            got[1].api_service_name(),
            "v1beta3.flowcontrol.apiserver.k8s.io"
        );
    }

    #[test]
    fn labels_in_any_order_with_escapes_timestamps_and_duplicates() {
        let text = concat!(
            "apiserver_requested_deprecated_apis{version=\"v1beta1\", resource=\"cronjobs\",group=\"batch\",subresource=\"\",removed_release=\"1.25\"} 1 1700000000000\n",
            "apiserver_requested_deprecated_apis{resource=\"cronjobs\",version=\"v1beta1\",group=\"batch\",removed_release=\"1.25\",subresource=\"\"} 1.0\n",
            "apiserver_requested_deprecated_apis{group=\"odd\\\"quote\",version=\"v1\",resource=\"a\\\\b\",subresource=\"\",removed_release=\"\",} 1\n",
            "apiserver_requested_deprecated_apis{group=\"broken\",version=\"v1\n",
            "apiserver_requested_deprecated_apis{group=\"core\"} 1\n",
            "apiserver_requested_deprecated_apis{group=\"batch\",version=\"v1beta1\",resource=\"jobs\"} NaN\n",
        );
        let got = LiveFacts::parse_deprecated_metric(text);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(got[0].group, "batch");
        assert_eq!(got[0].removed_release.as_deref(), Some("1.25"));
        assert_eq!(got[1].group, "odd\"quote");
        assert_eq!(got[1].resource, "a\\b");
        assert_eq!(got[1].api_service_name(), "v1.odd\"quote");
    }

    #[test]
    fn the_core_group_is_named_with_a_trailing_dot() {
        let got = LiveFacts::parse_deprecated_metric(
            "apiserver_requested_deprecated_apis{group=\"\",removed_release=\"\",resource=\"componentstatuses\",subresource=\"\",version=\"v1\"} 1\n",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].api_service_name(), "v1.");
        assert!(LiveFacts::parse_deprecated_metric("").is_empty());
    }
}
