use plimsoll_model::{Node, Object, Pointer};

use super::svc_util::is_service;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Annotations with which cloud controllers provision an internal (VPC-only) load
/// balancer, and the values that mean it.
const INTERNAL_LB: &[(&str, &[&str])] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        &["true", "0.0.0.0/0"],
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        &["internal"],
    ),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        &["true"],
    ),
    ("networking.gke.io/load-balancer-type", &["Internal"]),
    (
        "cloud.google.com/load-balancer-type",
        &["Internal", "internal"],
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        &["true"],
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        &["private"],
    ),
];

declare_rule! {
    /// ## What it does
    /// Reports Services of type `LoadBalancer` or `NodePort`, saying how they are
    /// exposed: the ports, whether a load balancer is internal (by the cloud
    /// annotations of AWS, Azure, GKE, OCI and IBM) or open to any source (no
    /// `loadBalancerSourceRanges`), and whether client source IPs are lost
    /// (`externalTrafficPolicy: Cluster`, the default). A `LoadBalancer` Service also
    /// opens its node ports on every node unless `allocateLoadBalancerNodePorts: false`.
    ///
    /// ## Why it matters in production
    /// A `NodePort` opens the port on every node of the cluster, and a `LoadBalancer`
    /// usually puts the workload on the internet. Exposure is sometimes intended, but
    /// it should be a decision: behind an Ingress or Gateway the workload gets TLS,
    /// authentication and rate limits in one place, and an exposed database or admin
    /// port is a common cause of breaches.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: admin}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: admin}
    ///   ports: [{port: 443, targetPort: https}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges: [203.0.113.0/24]
    ///   externalTrafficPolicy: Local
    ///   selector: {app: admin}
    ///   ports: [{port: 443, targetPort: https}]
    /// ```
    /// or a `ClusterIP` Service behind an Ingress or Gateway.
    ///
    /// ## Fix safety
    /// No automatic fix: exposure is a design decision. Exempt the Service when it is
    /// meant to be reachable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types>
    /// - <https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip>
    /// - <https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/>
    pub struct ServiceExposed {
        code: "NET103",
        name: "service-exposed",
        severity: Info,
        default: true,
        summary: "A Service of type LoadBalancer or NodePort exposes pods outside the cluster",
    }
}

impl Rule for ServiceExposed {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_service(obj) {
            return;
        }
        let Some(spec) = obj.spec() else {
            return;
        };
        let ty = spec
            .get("type")
            .and_then(Node::as_text)
            .unwrap_or("ClusterIP");
        if !matches!(ty, "LoadBalancer" | "NodePort") {
            return;
        }
        let ports: Vec<String> = spec
            .get("ports")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| {
                let port = p.get("port").and_then(Node::as_text)?;
                let proto = p.get("protocol").and_then(Node::as_text).unwrap_or("TCP");
                Some(match p.get("nodePort").and_then(Node::as_text) {
                    Some(np) if ty == "NodePort" => format!("{port}/{proto} (node port {np})"),
                    _ => format!("{port}/{proto}"),
                })
            })
            .collect();
        let ports = if ports.is_empty() {
            "no ports".to_string()
        } else {
            format!(
                "port{} {}",
                if ports.len() == 1 { "" } else { "s" },
                ports.join(", ")
            )
        };
        let mut notes = Vec::new();
        let message = if ty == "NodePort" {
            format!("the NodePort Service opens {ports} on every node of the cluster")
        } else {
            let internal = INTERNAL_LB
                .iter()
                .find(|(k, vals)| obj.annotation(k).is_some_and(|v| vals.contains(&v)));
            let ranges = spec
                .get("loadBalancerSourceRanges")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_text)
                .collect::<Vec<_>>();
            let reach = match (internal, ranges.is_empty()) {
                (Some((k, _)), _) => format!("an internal load balancer (`{k}`)"),
                (None, true) => {
                    "a load balancer open to any source (no loadBalancerSourceRanges)".to_string()
                }
                (None, false) => {
                    format!("a load balancer restricted to {}", ranges.join(", "))
                }
            };
            if spec
                .get("allocateLoadBalancerNodePorts")
                .and_then(Node::as_bool)
                != Some(false)
            {
                notes.push("its node ports are open on every node too");
            }
            format!("the LoadBalancer Service exposes {ports} through {reach}")
        };
        let policy = spec
            .get("externalTrafficPolicy")
            .and_then(Node::as_text)
            .unwrap_or("Cluster");
        if policy == "Cluster" {
            notes.push("externalTrafficPolicy Cluster hides client source IPs");
        }
        let message = if notes.is_empty() {
            message
        } else {
            format!("{message}; {}", notes.join("; "))
        };
        out.report(id, Pointer::root().keys(&["spec", "type"]), message);
    }
}
