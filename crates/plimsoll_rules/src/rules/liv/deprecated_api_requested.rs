use std::collections::BTreeMap;

use plimsoll_model::Pointer;

use crate::declare_rule;
use crate::live::DeprecatedRequest;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports deprecated APIs that clients requested since the API server started, as
    /// the API server counts them in its metric `apiserver_requested_deprecated_apis`
    /// (which the live audit reads from `/metrics`). One finding per group and
    /// version, naming the resources requested and the release that removes them
    /// (`removed_release`). The finding is on the APIService that serves the group
    /// and version (`v1beta3.flowcontrol.apiserver.k8s.io`; `v1.` for the core
    /// group), which the API server registers for every version it serves.
    ///
    /// Objects written with a deprecated `apiVersion` are API001/API002's findings;
    /// this rule finds the clients no file shows: controllers, operators, CI jobs and
    /// scripts that still call the old version. Only a live audit knows the metric:
    /// reading files, the rule finds nothing. When the APIService is not in the
    /// audit's input, the request is not reported (there is no object to attach it
    /// to).
    ///
    /// ## Why it matters in production
    /// The API server keeps answering the old version until the release that removes
    /// it, and from then on every such request fails: the operator stops reconciling,
    /// the deploy job fails, the autoscaler stops scaling, on the day of the upgrade.
    /// The metric shows the calls ahead of time; the audit log names the callers
    /// (events annotated `k8s.io/deprecated: "true"`, with their user agent).
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get --raw /metrics | grep apiserver_requested_deprecated_apis
    /// # apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
    /// apiVersion: apiregistration.k8s.io/v1
    /// kind: APIService
    /// metadata:
    ///   name: v1beta3.flowcontrol.apiserver.k8s.io
    /// spec:
    ///   group: flowcontrol.apiserver.k8s.io
    ///   version: v1beta3
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # the clients request the served, stable version
    /// apiVersion: flowcontrol.apiserver.k8s.io/v1
    /// kind: FlowSchema
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the callers must be found and updated.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    /// - <https://kubernetes.io/blog/2020/09/03/warnings/#metrics>
    /// - <https://kubernetes.io/docs/reference/instrumentation/metrics/>
    pub struct DeprecatedApiRequested {
        code: "LIV013",
        name: "deprecated-api-requested",
        severity: Warning,
        default: true,
        summary: "Clients still request a deprecated API",
    }
}

impl Rule for DeprecatedApiRequested {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let Some(live) = cx.live() else {
            return;
        };
        let mut by_service: BTreeMap<String, Vec<&DeprecatedRequest>> = BTreeMap::new();
        for r in &live.deprecated_requests {
            by_service.entry(r.api_service_name()).or_default().push(r);
        }
        for (name, requests) in by_service {
            let Some((id, _)) = cx
                .index
                .get("APIService", None, &name)
                .filter(|(_, o)| o.group() == "apiregistration.k8s.io")
            else {
                continue;
            };
            let first = requests[0];
            let gv = if first.group.is_empty() {
                format!("the core group's `{}`", first.version)
            } else {
                format!("`{}/{}`", first.group, first.version)
            };
            let resources: Vec<String> = requests.iter().map(|r| r.resource_path()).collect();
            let mut removed: Vec<&str> = requests
                .iter()
                .filter_map(|r| r.removed_release.as_deref())
                .collect();
            removed.sort_unstable();
            removed.dedup();
            let when = match removed.first() {
                Some(rel) => {
                    format!("they are removed in {rel}, and from then on these requests fail")
                }
                None => "no removal is scheduled yet".to_string(),
            };
            out.report(
                id,
                Pointer::root().keys(&["metadata", "name"]),
                format!(
                    "clients requested deprecated resources of {gv} since the API server started ({}); {when}: find the clients in the audit log (events annotated `k8s.io/deprecated`) and move them to a served version",
                    resources.join(", ")
                ),
            );
        }
    }
}
