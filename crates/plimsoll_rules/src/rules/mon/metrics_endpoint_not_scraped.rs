use super::util::{
    monitors, operator_known, selects_pods, selects_service, service_metrics, template_metrics,
};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Where prometheus-operator is installed (a ServiceMonitor or PodMonitor, or
    /// their CustomResourceDefinition, among the inputs or in the cluster), reports
    /// what exposes metrics that no monitor scrapes:
    /// - a Service with a port named `metrics` or `http-metrics`, or the annotation
    ///   `prometheus.io/scrape: "true"`, that no ServiceMonitor selects (its
    ///   `namespaceSelector`, by default its own namespace, covers the Service's
    ///   namespace and its `selector` matches the Service's labels), and whose pods no
    ///   PodMonitor selects;
    /// - a workload whose pod template has a container port named `metrics` or
    ///   `http-metrics`, or `prometheus.io/scrape: "true"`, that no PodMonitor selects
    ///   and that no Service scraped by a ServiceMonitor (or reported here) selects.
    ///
    /// prometheus-operator ignores the `prometheus.io/scrape` annotation: it scrapes
    /// only what monitors select. In files, only inputs holding at least one monitor
    /// are judged (monitors often live with the monitoring stack); otherwise the
    /// objects are reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// An endpoint that nobody scrapes is a dashboard that stays empty and an alert
    /// that never fires: the error rate, saturation and queue depths the application
    /// publishes are invisible exactly when they are needed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: shop, labels: {app: api}}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{name: metrics, port: 9090}]
    /// # ... and no ServiceMonitor selects app=api in shop
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: monitoring.coreos.com/v1
    /// kind: ServiceMonitor
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   endpoints: [{port: metrics, interval: 30s}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the monitor must also carry the labels your Prometheus
    /// selects monitors by (`release: ...` with kube-prometheus-stack).
    ///
    /// ## References
    /// - <https://prometheus-operator.dev/docs/developer/getting-started/>
    /// - <https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor>
    /// - <https://kubernetes.io/docs/concepts/cluster-administration/system-metrics/>
    pub struct MetricsEndpointNotScraped {
        code: "MON001",
        name: "metrics-endpoint-not-scraped",
        severity: Warning,
        default: true,
        summary: "A Service or workload exposes metrics that no ServiceMonitor or PodMonitor scrapes",
    }
}

impl Rule for MetricsEndpointNotScraped {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        if !operator_known(cx.index) {
            return;
        }
        let (sms, pms) = monitors(cx.index);
        let judged = !(sms.is_empty() && pms.is_empty()) || cx.live().is_some();
        let not_judged = "the input holds no ServiceMonitor or PodMonitor (they often live \
                          with the monitoring stack), so whether one scrapes this is unknown";
        let pod_scraped = |w: usize| {
            let o = cx.index.object(w);
            let (Some(ns), Some(t)) = (o.namespace.as_deref(), cx.index.pod_template(w)) else {
                return false;
            };
            pms.iter().any(|m| selects_pods(m, ns, &t))
        };
        let service_scraped = |s: usize| sms.iter().any(|m| selects_service(m, cx.index.object(s)));
        for (sid, svc) in cx.index.of_kind("Service") {
            if !svc.group().is_empty() {
                continue;
            }
            let Some(path) = service_metrics(svc) else {
                continue;
            };
            if service_scraped(sid)
                || cx
                    .index
                    .service_targets(sid)
                    .iter()
                    .any(|&w| pod_scraped(w))
            {
                continue;
            }
            if !judged {
                out.not_evaluated(sid, not_judged);
                continue;
            }
            out.report(
                sid,
                path,
                format!(
                    "Service `{}` exposes metrics but no ServiceMonitor selects it and no \
                     PodMonitor its pods: nobody scrapes them",
                    svc.name
                ),
            );
        }
        for ns in cx.index.namespaces() {
            for &w in cx.index.workloads_in(ns) {
                let Some(t) = cx.index.pod_template(w) else {
                    continue;
                };
                // a workloadRef Rollout's template is the Deployment's, judged there
                if cx.index.workload_ref(w).is_some() {
                    continue;
                }
                let Some((path, container)) = template_metrics(&t) else {
                    continue;
                };
                if pod_scraped(w)
                    || cx.index.services_for(w).iter().any(|s| {
                        service_scraped(s) || service_metrics(cx.index.object(s)).is_some()
                    })
                {
                    continue;
                }
                if !judged {
                    out.not_evaluated(w, not_judged);
                    continue;
                }
                let o = cx.index.object(w);
                let f = out.report(
                    w,
                    path,
                    format!(
                        "{} `{}` exposes metrics but no PodMonitor selects its pods and no \
                         scraped Service selects them: nobody scrapes them",
                        o.kind, o.name
                    ),
                );
                f.container = container;
            }
        }
    }
}
