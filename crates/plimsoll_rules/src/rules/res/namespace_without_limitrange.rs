use plimsoll_model::Pointer;

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};
use crate::rules::coverage::not_held;

declare_rule! {
    /// ## What it does
    /// Reports namespaces that have workloads in the input but no `LimitRange` object
    /// in the input. Only namespaces the input holds whole are judged: its `Namespace`
    /// object is in the input, or its manifests were read from a directory, a rendered
    /// chart or overlay, standard input or a root (`--root`, `root:` in
    /// `.plimsoll.yaml`); a live audit holds every namespace it reads. A file named on
    /// its own (what a pre-commit hook passes) is only part of its namespace, and the
    /// namespace's LimitRange usually lives in a file of its own, so such a namespace is
    /// reported as not evaluated instead of as lacking one. The finding is on the
    /// `Namespace` object when it is in the input, otherwise on the first workload of
    /// that namespace (the message names the namespace). A LimitRange that exists in the
    /// cluster but in none of the files read (one a platform team or a controller
    /// creates) is invisible to this rule: exempt the namespace in `.plimsoll.yaml`.
    ///
    /// ## Why it matters in production
    /// A LimitRange gives containers that forget their requests and limits sensible
    /// defaults (`defaultRequest`, `default`) and rejects absurd values (`min`, `max`).
    /// Without one, a single manifest without resources runs BestEffort, with no
    /// memory ceiling, and is the first pod evicted or the one that starves its node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// # ... Deployments in `shop`, and no LimitRange
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: LimitRange
    /// metadata:
    ///   name: defaults
    ///   namespace: shop
    /// spec:
    ///   limits:
    ///     - type: Container
    ///       defaultRequest: {cpu: 100m, memory: 128Mi}
    ///       default: {memory: 256Mi}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: defaults must fit the namespace's workloads.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/policy/limit-range/>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/manage-resources/memory-default-namespace/>
    pub struct NamespaceWithoutLimitrange {
        code: "RES009",
        name: "namespace-without-limitrange",
        severity: Warning,
        default: true,
        summary: "A namespace with workloads has no LimitRange",
    }
}

impl Rule for NamespaceWithoutLimitrange {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        namespaces_without(cx, out, "LimitRange");
    }
}

/// Shared by RES009 (LimitRange) and RES010 (ResourceQuota).
pub(super) fn namespaces_without(cx: &Context, out: &mut Sink, kind: &str) {
    for ns in cx.index.namespaces() {
        let workloads = cx.index.workloads_in(ns);
        let Some(&first) = workloads.iter().min() else {
            continue;
        };
        if cx.index.of_kind_in(kind, ns).next().is_some() {
            continue;
        }
        if !cx.index.holds_namespace(ns) {
            out.not_evaluated(first, not_held(ns, &format!("it has a {kind}")));
            continue;
        }
        let n = workloads.len();
        let plural = if n == 1 { "" } else { "s" };
        match cx.index.namespace_object(ns) {
            Some((id, _)) => {
                out.report(
                    id,
                    Pointer::root().keys(&["metadata", "name"]),
                    format!("namespace `{ns}` has {n} workload{plural} but no {kind}"),
                )
                .related(first, Pointer::root());
            }
            None => {
                out.report(
                    first,
                    Pointer::root().keys(&["metadata", "namespace"]),
                    format!("namespace `{ns}` has {n} workload{plural} but no {kind}"),
                );
            }
        }
    }
}
