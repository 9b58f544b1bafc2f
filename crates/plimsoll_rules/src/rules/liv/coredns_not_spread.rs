use plimsoll_model::{Node, Object, PodTemplate};

use super::util::is_cluster_dns;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// Topology keys that put replicas on different nodes or zones.
const SPREAD_KEYS: &[&str] = &[
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];

declare_rule! {
    /// ## What it does
    /// Reports the cluster DNS Deployment (in `kube-system`, labelled `k8s-app:
    /// kube-dns` or named `coredns` or `kube-dns`) that runs two replicas or more
    /// (counting an HPA's `minReplicas`) with nothing that keeps them apart: no pod
    /// anti-affinity term (required or preferred) and no `topologySpreadConstraints`
    /// over `kubernetes.io/hostname` or `topology.kubernetes.io/zone`. The replica
    /// count and the disruption budget of the same Deployment are LIV011's and
    /// LIV012's findings; this rule judges only where the replicas may land. Where
    /// they landed in a live cluster is LIV006's finding.
    ///
    /// ## Why it matters in production
    /// Two replicas on one node are one replica with extra steps: the node's failure,
    /// its drain, or its eviction under memory pressure takes every DNS server of
    /// the cluster at once, and every lookup in every pod fails until the scheduler
    /// places them again. The scheduler spreads replicas of a Deployment only as a
    /// scoring preference that resource fit outweighs; kubeadm's CoreDNS manifest
    /// carries a preferred anti-affinity for this reason.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
    /// spec:
    ///   replicas: 2
    ///   template:
    ///     metadata: {labels: {k8s-app: kube-dns}}
    ///     spec:
    ///       containers:
    ///         - {name: coredns, image: registry.k8s.io/coredns/coredns:v1.11.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     spec:
    ///       affinity:
    ///         podAntiAffinity:
    ///           preferredDuringSchedulingIgnoredDuringExecution:
    ///             - weight: 100
    ///               podAffinityTerm:
    ///                 labelSelector: {matchLabels: {k8s-app: kube-dns}}
    ///                 topologyKey: kubernetes.io/hostname
    /// ```
    ///
    /// ## Fix safety
    /// Where the template has no `podAntiAffinity`, the fix adds the preferred
    /// anti-affinity above, on the template's labels. It is unsafe: the next rollout
    /// may place the pods differently, and a managed cluster's add-on manager may
    /// revert the change.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/>
    /// - <https://github.com/coredns/deployment/blob/master/kubernetes/coredns.yaml.sed>
    pub struct CorednsNotSpread {
        code: "LIV014",
        name: "coredns-not-spread",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "The cluster DNS replicas may all land on one node",
    }
}

/// Whether the pod template keeps its replicas apart.
fn spread(t: &PodTemplate) -> bool {
    let key_ok = |n: &Node| {
        n.get("topologyKey")
            .and_then(Node::as_text)
            .is_some_and(|k| SPREAD_KEYS.contains(&k))
    };
    let anti = t
        .spec_field("affinity")
        .and_then(|a| a.get("podAntiAffinity"));
    let required = anti
        .and_then(|a| a.get("requiredDuringSchedulingIgnoredDuringExecution"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(key_ok);
    let preferred = anti
        .and_then(|a| a.get("preferredDuringSchedulingIgnoredDuringExecution"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get("podAffinityTerm"))
        .any(key_ok);
    let constraints = t
        .spec_field("topologySpreadConstraints")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(key_ok);
    required || preferred || constraints
}

impl Rule for CorednsNotSpread {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_cluster_dns(obj) || obj.has_controller() {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let replicas = cx.index.expected_min_replicas(id).unwrap_or(1);
        if replicas < 2 || spread(&t) {
            return;
        }
        let path = t.spec_pointer(&["affinity", "podAntiAffinity"]);
        let f = out.report(
            id,
            path.clone(),
            format!(
                "cluster DNS Deployment `{}` runs {replicas} replicas with no pod anti-affinity or topology spread: they may share one node, and its loss stops name resolution in the whole cluster",
                obj.name
            ),
        );
        let labels: serde_json::Map<String, serde_json::Value> =
            match t.labels().find(|(k, _)| *k == "k8s-app") {
                Some((k, v)) => [(k.to_string(), serde_json::json!(v))]
                    .into_iter()
                    .collect(),
                None => t
                    .labels()
                    .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                    .collect(),
            };
        let anti = t
            .spec_field("affinity")
            .and_then(|a| a.get("podAntiAffinity"));
        if anti.is_none() && !labels.is_empty() {
            f.fix(
                Fix::new(
                    Applicability::Unsafe,
                    "prefer to place the DNS replicas on different nodes",
                )
                .add(
                    &path,
                    serde_json::json!({
                        "preferredDuringSchedulingIgnoredDuringExecution": [{
                            "weight": 100,
                            "podAffinityTerm": {
                                "labelSelector": {"matchLabels": labels},
                                "topologyKey": "kubernetes.io/hostname"
                            }
                        }]
                    }),
                ),
            );
        }
    }
}
