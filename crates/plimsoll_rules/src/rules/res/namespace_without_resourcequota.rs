use super::namespace_without_limitrange::namespaces_without;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports namespaces that have workloads in the input but no `ResourceQuota` object
    /// in the input. Only namespaces the input holds whole are judged: its `Namespace`
    /// object is in the input, or its manifests were read from a directory, a rendered
    /// chart or overlay, standard input or a root (`--root`, `root:` in
    /// `.plimsoll.yaml`); a live audit holds every namespace it reads. A file named on
    /// its own (what a pre-commit hook passes) is only part of its namespace, and the
    /// namespace's ResourceQuota usually lives in a file of its own, so such a namespace is
    /// reported as not evaluated instead of as lacking one. The finding is on the
    /// `Namespace` object when it is in the input, otherwise on the first workload of
    /// that namespace (the message names the namespace). A ResourceQuota that exists in the
    /// cluster but in none of the files read (one a platform team or a controller
    /// creates) is invisible to this rule: exempt the namespace in `.plimsoll.yaml`.
    ///
    /// ## Why it matters in production
    /// A ResourceQuota caps what one namespace (one team, one tenant) can request in
    /// total. Without it, a runaway HPA, a mistaken `replicas: 300` or a leak of Jobs
    /// can take the capacity of the whole cluster and starve every other namespace.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// # ... Deployments in `shop`, and no ResourceQuota
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ResourceQuota
    /// metadata:
    ///   name: compute
    ///   namespace: shop
    /// spec:
    ///   hard:
    ///     requests.cpu: "20"
    ///     requests.memory: 64Gi
    ///     limits.memory: 96Gi
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a quota must fit the namespace's real needs, or it blocks
    /// deployments.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/policy/resource-quotas/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/manage-resources/quota-memory-cpu-namespace/>
    pub struct NamespaceWithoutResourcequota {
        code: "RES010",
        name: "namespace-without-resourcequota",
        severity: Info,
        default: true,
        summary: "A namespace with workloads has no ResourceQuota",
    }
}

impl Rule for NamespaceWithoutResourcequota {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        namespaces_without(cx, out, "ResourceQuota");
    }
}
