use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use super::util::{covers_secrets, find_secret, not_covered};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `imagePullSecrets` that name a Secret the input does not hold in the
    /// object's namespace: those of pod templates (every workload kind) and those of
    /// ServiceAccounts (which the API server adds to the pods that run as them). A
    /// Secret counts as present as in REF003 (ExternalSecret, SealedSecret, cert-manager
    /// Certificate and Vault Secrets Operator targets included), and the namespace is
    /// judged by the same rule: only when the input holds at least one Secret or
    /// Secret-producing object there; otherwise the object is reported as not
    /// evaluated.
    ///
    /// ## Why it matters in production
    /// The kubelet pulls without the missing credentials: from a private registry the
    /// pull fails and the pods stay in `ImagePullBackOff`. It often surfaces only on a
    /// new node, where the image is not cached yet, long after the change.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Secret
    /// metadata: {name: registry-credentials, namespace: shop}
    /// type: kubernetes.io/dockerconfigjson
    /// ---
    /// spec:
    ///   imagePullSecrets:
    ///     - name: regcred
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/shop/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   imagePullSecrets:
    ///     - name: registry-credentials
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which Secret holds the registry credentials is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/pull-image-private-registry/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#add-imagepullsecrets-to-a-service-account>
    pub struct ImagePullSecretNotFound {
        code: "REF004",
        name: "image-pull-secret-not-found",
        severity: Error,
        default: true,
        summary: "imagePullSecrets names a Secret that does not exist",
    }
}

impl Rule for ImagePullSecretNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let (list, base) = if obj.kind == "ServiceAccount" && obj.group().is_empty() {
            (
                obj.root.get("imagePullSecrets"),
                Pointer::root().key("imagePullSecrets"),
            )
        } else if let Some(t) = PodTemplate::of(obj) {
            (
                t.spec_field("imagePullSecrets"),
                t.spec_pointer(&["imagePullSecrets"]),
            )
        } else {
            return;
        };
        let covered = covers_secrets(cx.index, ns);
        let mut unknown: Vec<&str> = Vec::new();
        for (i, s) in list.map(Node::items).unwrap_or_default().iter().enumerate() {
            let Some(name) = s
                .get("name")
                .and_then(Node::as_text)
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            if find_secret(cx.index, ns, name).is_some() {
                continue;
            }
            if !covered {
                if !unknown.contains(&name) {
                    unknown.push(name);
                }
                continue;
            }
            out.report(
                id,
                base.index(i).key("name"),
                format!(
                    "imagePullSecrets names Secret `{name}`, which is not in namespace \
                     `{ns}`: pulls from a private registry fail (ImagePullBackOff)"
                ),
            );
        }
        if !unknown.is_empty() {
            out.not_evaluated(id, not_covered("Secret", ns, &unknown));
        }
    }
}
