use super::namespace_without_default_deny_ingress::namespaces_without_default_deny;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports namespaces that have workloads in the input but no NetworkPolicy that
    /// isolates every pod for egress: a policy with `podSelector: {}` whose effective
    /// `policyTypes` include `Egress`. Egress is in the effective types only when
    /// `policyTypes` lists it, or when `policyTypes` is unset and the `egress` list is
    /// not empty: a deny-all-egress policy (no egress rules) must say
    /// `policyTypes: [Egress]`. Namespaces are judged as by NET001: only those the
    /// input holds whole (their `Namespace` object, or manifests read from a
    /// directory, chart, overlay, standard input or root); a namespace known only
    /// from files named one by one is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// Without egress control a compromised pod can exfiltrate data, reach the cloud
    /// metadata endpoint or scan the cluster. Egress control is also what stops a
    /// test deployment from writing to a production database by mistake.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   egress: []        # ignored: policyTypes defaults to [Ingress]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    ///   egress:
    ///     - to:
    ///         - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
    ///           podSelector: {matchLabels: {k8s-app: kube-dns}}
    ///       ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: an egress default deny cuts every outgoing flow (DNS
    /// included) not allowed elsewhere.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>
    pub struct NamespaceWithoutEgressControl {
        code: "NET002",
        name: "namespace-without-egress-control",
        severity: Info,
        default: true,
        summary: "A namespace has no default-deny egress NetworkPolicy",
    }
}

impl Rule for NamespaceWithoutEgressControl {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        namespaces_without_default_deny(cx, out, true);
    }
}
