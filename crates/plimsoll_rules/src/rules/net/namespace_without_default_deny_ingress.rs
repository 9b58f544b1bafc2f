use plimsoll_model::Pointer;
use serde_json::json;

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};
use crate::rules::coverage::not_held;

declare_rule! {
    /// ## What it does
    /// Reports namespaces that have workloads in the input but no NetworkPolicy that
    /// isolates every pod for ingress: a policy with `podSelector: {}` whose effective
    /// `policyTypes` include `Ingress`. When `policyTypes` is not set, Kubernetes
    /// defaults it to `[Ingress]` (plus `Egress` when the `egress` list is not empty),
    /// so `spec: {podSelector: {}}` alone is a default deny for ingress. Policies that
    /// select only some pods do not count: a pod added tomorrow would not be covered.
    /// Only `networking.k8s.io` NetworkPolicies are read (not Calico or Cilium
    /// resources).
    ///
    /// Only namespaces the input holds whole are judged: its `Namespace` object is in
    /// the input, or its manifests were read from a directory, a rendered chart or
    /// overlay, standard input or a root (`--root`, `root:` in `.plimsoll.yaml`); a
    /// live audit holds every namespace it reads. A file named on its own (what a
    /// pre-commit hook passes) is only part of its namespace, and the namespace-wide
    /// policies usually live in a file of their own, so such a namespace is reported
    /// as not evaluated instead of as lacking a policy. A policy in the input that
    /// isolates every pod is enough to pass, wherever it comes from. The finding is on
    /// the `Namespace` object when it is in the input, otherwise on the first workload
    /// of the namespace (the message names the namespace).
    ///
    /// ## Why it matters in production
    /// Without a default deny, every pod accepts connections from every other pod of
    /// the cluster. One compromised or misconfigured workload can reach databases,
    /// admin endpoints and internal APIs of the whole namespace.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: allow-web, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    ///   ingress: [{from: [{podSelector: {}}]}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-ingress, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress]
    /// ```
    /// and one allow policy per legitimate flow.
    ///
    /// ## Fix safety
    /// The fix appends a NetworkPolicy `default-deny-ingress` of the namespace, with
    /// `podSelector: {}` and `policyTypes: [Ingress]`, to the file that holds the
    /// finding's object (the Namespace, or the namespace's first workload). It is
    /// unsafe: the default deny blocks every flow not allowed elsewhere, so the allow
    /// policies must exist first (`plimsoll netpol matrix` shows the result). No fix is
    /// offered when a NetworkPolicy of that name exists or the namespace has an Ingress,
    /// whose controller the policy would cut off.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic>
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/>
    pub struct NamespaceWithoutDefaultDenyIngress {
        code: "NET001",
        name: "namespace-without-default-deny-ingress",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A namespace has no default-deny ingress NetworkPolicy",
    }
}

impl Rule for NamespaceWithoutDefaultDenyIngress {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        namespaces_without_default_deny(cx, out, false);
    }
}

/// Shared by NET001 (ingress) and NET002 (egress).
pub(super) fn namespaces_without_default_deny(cx: &Context, out: &mut Sink, egress: bool) {
    let model = cx.net();
    let ty = if egress { "Egress" } else { "Ingress" };
    for ns in cx.index.namespaces() {
        let workloads = cx.index.workloads_in(ns);
        let Some(&first) = workloads.iter().min() else {
            continue;
        };
        let covered = model
            .policies_in
            .get(ns)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .any(|&pi| {
                let p = &model.policies[pi];
                p.selects_all()
                    && if egress {
                        p.isolates_egress
                    } else {
                        p.isolates_ingress
                    }
            });
        if covered {
            continue;
        }
        if !cx.index.holds_namespace(ns) {
            out.not_evaluated(
                first,
                not_held(
                    ns,
                    &format!(
                        "it has a NetworkPolicy with `podSelector: {{}}` and {ty} in its policyTypes"
                    ),
                ),
            );
            continue;
        }
        let n = workloads.len();
        let plural = if n == 1 { "" } else { "s" };
        let effect = if egress {
            "may connect anywhere"
        } else {
            "accept connections from anywhere"
        };
        let msg = format!(
            "namespace `{ns}` has {n} workload{plural} but no NetworkPolicy with `podSelector: {{}}` and {ty} in its policyTypes, so its pods {effect}"
        );
        let f = match cx.index.namespace_object(ns) {
            Some((id, _)) => out
                .report(id, Pointer::root().keys(&["metadata", "name"]), msg)
                .related(first, Pointer::root()),
            None => out.report(first, Pointer::root().keys(&["metadata", "namespace"]), msg),
        };
        if !egress && let Some(fix) = default_deny_ingress_fix(cx, ns) {
            f.fix(fix);
        }
    }
}

/// The name of the policy the NET001 fix adds.
const DEFAULT_DENY_INGRESS: &str = "default-deny-ingress";

/// A default-deny ingress NetworkPolicy for `ns`, when its name is free and no Ingress
/// of the namespace would be cut off from its controller.
fn default_deny_ingress_fix(cx: &Context, ns: &str) -> Option<Fix> {
    let taken = cx
        .index
        .all_named("NetworkPolicy", Some(ns), DEFAULT_DENY_INGRESS)
        .iter()
        .any(|&p| cx.index.object(p).group() == "networking.k8s.io");
    let ingress = cx.index.in_namespace(ns).iter().any(|&i| {
        let o = cx.index.object(i);
        o.kind == "Ingress" && matches!(o.group(), "networking.k8s.io" | "extensions")
    });
    if taken || ingress {
        return None;
    }
    Some(
        Fix::new(
            Applicability::Unsafe,
            format!("add NetworkPolicy `{DEFAULT_DENY_INGRESS}` denying all ingress in `{ns}`"),
        )
        .add_document(json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": DEFAULT_DENY_INGRESS, "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        })),
    )
}
