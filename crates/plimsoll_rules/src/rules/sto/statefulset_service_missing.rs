use plimsoll_model::{LabelSelector, Node, Object, PodTemplate, Pointer};

use super::util::is_statefulset;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports StatefulSets whose `spec.serviceName` names a Service that is not in the
    /// input, one that is not headless (`clusterIP: None`), or one whose `selector`
    /// does not select the StatefulSet's pods (the per-pod DNS records come from the
    /// Service's endpoints, and a Service only has endpoints for the pods it selects).
    /// A governing Service without a selector is not reported: its endpoints are
    /// managed by hand, which is rare but deliberate. `serviceName` is
    /// optional (the API marks it `+optional` and validation never required it):
    /// a StatefulSet without one is not reported.
    ///
    /// The Service is looked up only when the input holds something else of the
    /// StatefulSet's namespace, or the whole namespace (its Namespace object, or its
    /// manifests read from a directory, a rendered chart or overlay, standard input or
    /// a root); otherwise the rule reports "not evaluated".
    ///
    /// ## Why it matters in production
    /// The governing Service gives each pod its stable DNS name
    /// (`db-0.db.prod.svc.cluster.local`), which is how the members of a database or
    /// quorum find each other. Cluster DNS publishes those per-pod records only for a
    /// headless Service that exists. With the Service missing or given a cluster IP,
    /// the pods start but cannot resolve their peers: replication and leader election
    /// fail, often only once a pod restarts and its IP changes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: db}
    /// spec:
    ///   serviceName: db
    ///   # ...
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: db}
    /// spec:
    ///   selector: {app: db}
    ///   ports: [{port: 5432}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: db}
    /// spec:
    ///   clusterIP: None
    ///   selector: {app: db}
    ///   ports: [{port: 5432}]
    /// ```
    /// Keep a separate, non-headless Service for clients if they need a virtual IP.
    ///
    /// ## Fix safety
    /// When the named Service does not exist, the fix appends to the file a headless
    /// Service of that name (in the StatefulSet's namespace when it writes one) with
    /// `clusterIP: None` and the StatefulSet's `spec.selector.matchLabels` as its
    /// selector, when the StatefulSet selects by `matchLabels` alone. It is unsafe: it
    /// adds an object to the cluster, and DNS names start to resolve to the pods.
    /// A Service that exists gets no fix: `clusterIP` is immutable, so making it
    /// headless means deleting and recreating it (and clients of its virtual IP must
    /// move to another Service), and which selector is right is the author's call.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#headless-services>
    /// - <https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/>
    pub struct StatefulsetServiceMissing {
        code: "STO004",
        name: "statefulset-service-missing",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A StatefulSet's serviceName names a Service that is missing or not headless",
    }
}

impl Rule for StatefulsetServiceMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_statefulset(obj) {
            return;
        }
        let Some(name) = obj
            .root
            .at(&["spec", "serviceName"])
            .and_then(Node::as_text)
            .filter(|n| !n.is_empty())
        else {
            return;
        };
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let path = Pointer::root().keys(&["spec", "serviceName"]);
        match cx.index.get("Service", Some(ns), name) {
            Some((svc_id, svc)) if svc.group().is_empty() => {
                let cluster_ip = svc.root.at(&["spec", "clusterIP"]).and_then(Node::as_text);
                if cluster_ip != Some("None") {
                    let what = match cluster_ip {
                        Some(ip) if !ip.is_empty() => format!("has clusterIP `{ip}`"),
                        _ => "gets a cluster IP".to_string(),
                    };
                    out.report(
                        id,
                        path,
                        format!(
                            "serviceName `{name}` names a Service that is not headless (it \
                             {what}, not `None`): the pods get no stable DNS names"
                        ),
                    )
                    .related(svc_id, Pointer::root().keys(&["spec", "clusterIP"]));
                    return;
                }
                let Some(selector) = svc.root.at(&["spec", "selector"]).filter(|n| n.is_map())
                else {
                    return;
                };
                let sel = LabelSelector::from_map(selector);
                if sel.is_empty() {
                    return;
                }
                let Some(t) = PodTemplate::of(obj) else {
                    return;
                };
                let labels: Vec<(&str, &str)> = t.labels().collect();
                if !sel.matches_pairs(&labels) {
                    out.report(
                        id,
                        path,
                        format!(
                            "serviceName `{name}` names a headless Service whose selector `{sel}` does \
                             not select this StatefulSet's pods: it has no endpoints for \
                             them, so the pods get no stable DNS names"
                        ),
                    )
                    .related(svc_id, Pointer::root().keys(&["spec", "selector"]));
                }
            }
            _ if cx.index.knows_namespace_besides(ns, id) => {
                let fix = headless_service(obj, name);
                let found = out.report(
                    id,
                    path,
                    format!(
                        "serviceName `{name}` names a Service that is not in namespace \
                         `{ns}`: the pods get no stable DNS names"
                    ),
                );
                if let Some(fix) = fix {
                    found.fix(fix);
                }
            }
            _ => out.not_evaluated(
                id,
                format!(
                    "the input holds nothing else of namespace `{ns}`, so whether Service \
                     `{name}` exists is unknown"
                ),
            ),
        }
    }
}

/// A headless Service `name` selecting what the StatefulSet selects, when it selects
/// by `matchLabels` alone.
fn headless_service(obj: &Object, name: &str) -> Option<Fix> {
    let selector = obj.root.at(&["spec", "selector"])?;
    if selector.entries().iter().any(|e| e.key != "matchLabels") {
        return None;
    }
    let labels = selector.get("matchLabels").filter(|l| {
        l.is_map()
            && !l.entries().is_empty()
            && l.entries().iter().all(|e| e.value.as_text().is_some())
    })?;
    let mut metadata = serde_json::json!({"name": name});
    if let Some(ns) = obj
        .root
        .at(&["metadata", "namespace"])
        .and_then(Node::as_text)
    {
        metadata["namespace"] = serde_json::json!(ns);
    }
    Some(
        Fix::new(
            Applicability::Unsafe,
            format!("add a headless Service `{name}` selecting the StatefulSet's pods"),
        )
        .add_document(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata,
            "spec": {"clusterIP": "None", "selector": labels.to_json()},
        })),
    )
}
