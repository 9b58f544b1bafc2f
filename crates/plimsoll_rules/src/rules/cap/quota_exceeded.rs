use plimsoll_model::drain::Amounts;
use plimsoll_model::{Node, Object, PodTemplate, Pointer, Quantity};

use super::util::replicated;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a ResourceQuota whose hard limits are below what the workloads of its
    /// namespace request: the pod template's requests (as the scheduler and the quota
    /// count them: sidecars and init containers, a limit standing for a missing
    /// request, the pod overhead) times the replicas (`spec.replicas`, or the
    /// HorizontalPodAutoscaler's `minReplicas`) of each Deployment, StatefulSet,
    /// ReplicaSet, ReplicationController and Argo Rollout without an owner, plus each
    /// bare Pod that has not finished. Judged: `requests.cpu` and `cpu`,
    /// `requests.memory` and `memory`, and `pods`.
    ///
    /// Left out, so the sum is a floor: DaemonSets (their count depends on the nodes),
    /// Jobs and CronJobs (they come and go), the extra pods of a rolling update
    /// (`maxSurge`), and requests that a LimitRange would add to containers that write
    /// none. A quota with `scopes` or a `scopeSelector` (it counts only some pods) is
    /// reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// The quota is enforced when a pod is created: once the namespace's pods reach
    /// it, the API server refuses the next one (`exceeded quota`). The Deployment
    /// looks applied, but its ReplicaSet cannot create the replicas it wants, a
    /// rollout stalls halfway with old and new pods side by side, and an autoscaler
    /// scales up to nothing. The failure shows only in the ReplicaSet's events.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ResourceQuota
    /// metadata: {name: compute, namespace: shop}
    /// spec:
    ///   hard: {requests.cpu: "2"}
    /// ---
    /// # three replicas requesting 1 CPU each
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   replicas: 3
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ResourceQuota
    /// metadata: {name: compute, namespace: shop}
    /// spec:
    ///   hard: {requests.cpu: "4"}   # the replicas, and room for a rolling update
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: raising the quota or lowering the requests or the replicas is
    /// a decision about capacity.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/policy/resource-quotas/>
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment>
    pub struct QuotaExceeded {
        code: "CAP003",
        name: "namespace-requests-exceed-quota",
        severity: Error,
        default: true,
        summary: "The workloads of a namespace request more than its ResourceQuota allows",
    }
}

/// `4`, `1500m`.
fn cpu(milli: i64) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}m")
    }
}

/// `8Gi`, `1536Mi`, or bytes.
fn memory(bytes: i64) -> String {
    const MI: i64 = 1 << 20;
    if bytes % (1 << 30) == 0 && bytes > 0 {
        format!("{}Gi", bytes >> 30)
    } else if bytes % MI == 0 {
        format!("{}Mi", bytes / MI)
    } else {
        format!("{bytes}")
    }
}

impl Rule for QuotaExceeded {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "ResourceQuota" || !obj.group().is_empty() {
            return;
        }
        let Some(hard) = obj.root.at(&["spec", "hard"]) else {
            return;
        };
        let spec = obj.spec();
        let scoped = spec
            .and_then(|s| s.get("scopes"))
            .is_some_and(|s| !s.items().is_empty())
            || spec
                .and_then(|s| s.get("scopeSelector"))
                .is_some_and(|s| !s.is_null());
        if scoped {
            out.not_evaluated(
                id,
                "a quota with scopes or a scopeSelector counts only some pods, which is not modelled",
            );
            return;
        }
        let ns = obj.namespace.as_deref().unwrap_or("default");
        let mut total = Amounts::default();
        // (workload, its share) for the message
        let mut parts: Vec<(usize, i64, Amounts)> = Vec::new();
        for &w in cx.index.workloads_in(ns) {
            let o = cx.index.object(w);
            let n = if replicated(o) {
                cx.index.expected_min_replicas(w).unwrap_or(0)
            } else if o.kind == "Pod" && o.group().is_empty() {
                let phase = o.root.at(&["status", "phase"]).and_then(Node::as_text);
                if matches!(phase, Some("Succeeded" | "Failed")) {
                    continue;
                }
                1
            } else {
                continue;
            };
            let Some(t) = PodTemplate::of(o) else {
                continue;
            };
            if n <= 0 {
                continue;
            }
            let req = Amounts::pod_requests(Some(t.spec));
            total.add(&req, n);
            parts.push((w, n, req));
        }
        for e in hard.entries() {
            let Some(q) = e.value.as_text().and_then(|t| Quantity::parse(t).ok()) else {
                continue;
            };
            let (want, have, show): (i64, i64, fn(i64) -> String) = match e.key.as_str() {
                "requests.cpu" | "cpu" => (total.cpu, q.milli_ceil() as i64, cpu),
                "requests.memory" | "memory" => (total.memory, q.units_ceil() as i64, memory),
                "pods" => (total.pods, q.units_ceil() as i64, |n| n.to_string()),
                _ => continue,
            };
            if want <= have {
                continue;
            }
            let resource = e.key.as_str();
            let of = |a: &Amounts| match resource {
                "requests.cpu" | "cpu" => a.cpu,
                "requests.memory" | "memory" => a.memory,
                _ => a.pods,
            };
            let mut top: Vec<&(usize, i64, Amounts)> =
                parts.iter().filter(|(_, _, a)| of(a) > 0).collect();
            top.sort_by_key(|(w, n, a)| (std::cmp::Reverse(of(a) * n), *w));
            let listed = crate::rule::list_capped(
                top.iter().map(|(w, n, a)| {
                    let o = cx.index.object(*w);
                    if resource == "pods" {
                        format!("{} `{}` {n}", o.kind, o.name)
                    } else {
                        format!("{} `{}` {n} × {}", o.kind, o.name, show(of(a)))
                    }
                }),
                top.len(),
                3,
            );
            let asked = match resource {
                "pods" => format!("run {want} pods"),
                "requests.cpu" | "cpu" => format!("request {} of CPU", show(want)),
                _ => format!("request {} of memory", show(want)),
            };
            let f = out.report(
                id,
                Pointer::root().keys(&["spec", "hard", resource]),
                format!(
                    "the workloads of namespace `{ns}` {asked} ({listed}), more than this quota's `{resource}: {}`: the API server refuses the pods beyond it",
                    show(have)
                ),
            );
            for (w, _, _) in top.iter().take(3) {
                let o = cx.index.object(*w);
                if let Some(t) = PodTemplate::of(o) {
                    f.related(*w, t.spec_pointer(&["containers"]));
                }
            }
        }
    }
}
