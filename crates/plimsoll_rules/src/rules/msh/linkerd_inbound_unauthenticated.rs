use plimsoll_model::{Object, PodTemplate, Pointer};

use super::util::production_label;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// The annotation that sets Linkerd's default inbound policy for a namespace or pod.
const POLICY: &str = "config.linkerd.io/default-inbound-policy";

declare_rule! {
    /// ## What it does
    /// Reports `config.linkerd.io/default-inbound-policy: all-unauthenticated` written
    /// on a Namespace labelled production (`environment`, `env` or `tier` set to
    /// `production` or `prod`), or on a pod template in such a namespace (the
    /// Namespace must be in the input). A pod template's annotation overrides its
    /// namespace's; a template that sets a stricter policy is not reported for its
    /// namespace's.
    ///
    /// Namespaces without the annotation get the control plane's
    /// `proxy.defaultInboundPolicy`, which the manifests do not show (its default is
    /// `all-unauthenticated` too); they are not judged.
    ///
    /// ## Why it matters in production
    /// `all-unauthenticated` lets any client, meshed or not and from anywhere the
    /// network allows, reach every port of the pods that no `Server` covers. Linkerd's
    /// mTLS identities then authenticate nothing: a compromised pod elsewhere in the
    /// cluster talks to production services as freely as their real clients.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels: {environment: production}
    ///   annotations:
    ///     linkerd.io/inject: enabled
    ///     config.linkerd.io/default-inbound-policy: all-unauthenticated
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///   annotations:
    ///     linkerd.io/inject: enabled
    ///     config.linkerd.io/default-inbound-policy: all-authenticated
    /// ```
    ///
    /// ## Fix safety
    /// The fix writes `all-authenticated`. It is unsafe: clients outside the mesh
    /// (ingress controllers without a proxy, probes from elsewhere, Prometheus) are
    /// refused until they are meshed or a `Server` and `AuthorizationPolicy` admit
    /// them. Pods read the annotation when they are created: restart them.
    ///
    /// ## References
    /// - <https://linkerd.io/2/reference/authorization-policy/>
    /// - <https://linkerd.io/2/features/server-policy/>
    /// - <https://kubernetes.io/docs/concepts/security/>
    pub struct LinkerdInboundUnauthenticated {
        code: "MSH003",
        name: "linkerd-inbound-unauthenticated",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A production namespace or workload sets Linkerd's inbound policy to all-unauthenticated",
    }
}

impl Rule for LinkerdInboundUnauthenticated {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let (ns_obj, value, path) = if obj.kind == "Namespace" && obj.group().is_empty() {
            let path = Pointer::root().keys(&["metadata", "annotations", POLICY]);
            (Some(obj), obj.annotation(POLICY), path)
        } else {
            let Some(t) = PodTemplate::of(obj) else {
                return;
            };
            let ns_obj = obj
                .namespace
                .as_deref()
                .and_then(|ns| cx.index.namespace_object(ns))
                .map(|(_, o)| o);
            (
                ns_obj,
                t.annotation(POLICY),
                t.meta_pointer(&["annotations", POLICY]),
            )
        };
        let Some(ns_obj) = ns_obj else {
            return;
        };
        let Some(label) = production_label(ns_obj) else {
            return;
        };
        if value != Some("all-unauthenticated") {
            return;
        }
        let whose = if std::ptr::eq(ns_obj, obj) {
            format!("Namespace `{}`, labelled {label} production,", obj.name)
        } else {
            format!(
                "{} `{}` in namespace `{}`, labelled {label} production,",
                obj.kind, obj.name, ns_obj.name
            )
        };
        out.report(
            id,
            path.clone(),
            format!(
                "{whose} sets Linkerd's default inbound policy to all-unauthenticated: any \
                 client may call its pods"
            ),
        )
        .fix(
            Fix::new(Applicability::Unsafe, "write all-authenticated")
                .replace(&path, serde_json::json!("all-authenticated")),
        );
    }
}
