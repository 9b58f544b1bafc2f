use plimsoll_model::{Node, Object, PodTemplate};

use super::util::{covers, not_covered};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates (every workload kind) whose `serviceAccountName` (or the
    /// deprecated `serviceAccount`, which Kubernetes reads when `serviceAccountName` is
    /// empty) names a ServiceAccount the input does not hold in the workload's
    /// namespace. `default` is never reported: the namespace controller creates it in
    /// every namespace.
    ///
    /// The namespace is judged only when the input holds the whole namespace (its
    /// Namespace object, or its manifests read from a directory, a rendered chart or
    /// overlay, standard input or a root) or at least one ServiceAccount of that
    /// namespace; otherwise the workload is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// The ServiceAccount admission plugin rejects pods whose ServiceAccount does not
    /// exist: the ReplicaSet, Job or StatefulSet keeps failing to create pods
    /// (`FailedCreate: serviceaccount "api" not found`) and nothing runs.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ServiceAccount
    /// metadata: {name: checkout, namespace: shop}
    /// ---
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: checkout-sa
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: checkout
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which ServiceAccount is right is not knowable, and another one
    /// carries other permissions.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/>
    /// - <https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts>
    pub struct ServiceAccountNotFound {
        code: "REF006",
        name: "service-account-not-found",
        severity: Error,
        default: true,
        summary: "A pod template runs as a ServiceAccount that does not exist",
    }
}

const SERVICE_ACCOUNTS: &[(&str, &str)] = &[("", "ServiceAccount")];

impl Rule for ServiceAccountNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let Some((field, name)) = ["serviceAccountName", "serviceAccount"]
            .into_iter()
            .find_map(|f| {
                t.spec_field(f)
                    .and_then(Node::as_text)
                    .filter(|n| !n.is_empty())
                    .map(|n| (f, n))
            })
        else {
            return;
        };
        if name == "default"
            || cx
                .index
                .get("ServiceAccount", Some(ns), name)
                .is_some_and(|(_, o)| o.group().is_empty())
        {
            return;
        }
        if !covers(cx.index, SERVICE_ACCOUNTS, ns) {
            out.not_evaluated(id, not_covered("ServiceAccount", ns, &[name]));
            return;
        }
        out.report(
            id,
            t.spec_pointer(&[field]),
            format!(
                "{field} names ServiceAccount `{name}`, which is not in namespace `{ns}`: \
                 the API server rejects the pods"
            ),
        );
    }
}
