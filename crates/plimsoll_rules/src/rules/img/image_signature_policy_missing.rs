use plimsoll_model::{LabelSelector, Node, Object, Pointer};

use crate::config::wildcard_match;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Opt-in: runs when selected and the setting `require-image-signature-policy` is
    /// `true`. Reports each namespace with workloads that no image-signature
    /// verification policy covers. It judges only inputs that show the cluster's
    /// admission set-up, that is, inputs holding Namespace objects or admission
    /// webhook configurations; otherwise the namespaces are reported as not
    /// evaluated.
    ///
    /// A namespace is covered by:
    /// - a Kyverno `ClusterPolicy` with a rule that has `verifyImages`, unless every
    ///   `match` resource block of that rule lists `namespaces` and none of them
    ///   (with `*` wildcards) names the namespace; a Kyverno `Policy` with
    ///   `verifyImages` in the namespace itself; a Kyverno `ImageValidatingPolicy`;
    /// - a Sigstore policy-controller `ClusterImagePolicy`, in namespaces labelled
    ///   `policy.sigstore.dev/include: "true"` (the controller ignores the others);
    /// - Connaisseur: its `ValidatingWebhookConfiguration` or
    ///   `MutatingWebhookConfiguration` (a configuration or webhook whose name, or
    ///   whose service, contains `connaisseur`), in the namespaces its
    ///   `namespaceSelector` matches, or a CustomResourceDefinition of a
    ///   `connaisseur` API group.
    ///
    /// Label selectors are matched against the Namespace object's labels and the
    /// automatic `kubernetes.io/metadata.name` label; when a selector needs labels of
    /// a Namespace that is not in the input, the namespace is not evaluated. Audit-only
    /// policies count as policies.
    ///
    /// ## Why it matters in production
    /// Without signature verification, any image that can be pushed to an allowed
    /// registry (or pulled by a compromised pipeline) runs in the cluster. Verifying
    /// signatures at admission ensures that only images your build system signed are
    /// started.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments}
    /// # ... Deployments in payments, and no verification policy
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: verify-images}
    /// spec:
    ///   rules:
    ///     - name: verify-signature
    ///       match:
    ///         any:
    ///           - resources: {kinds: [Pod]}
    ///       verifyImages:
    ///         - imageReferences: ["registry.example.com/*"]
    ///           failureAction: Enforce
    ///           attestors:
    ///             - entries:
    ///                 - keys:
    ///                     publicKeys: |-
    ///                       -----BEGIN PUBLIC KEY-----
    ///                       ...
    ///                       -----END PUBLIC KEY-----
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: a verification policy needs your signing keys or identities,
    /// and enforcing it before every image is signed blocks deployments.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/verify-signed-artifacts/>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/>
    /// - <https://kyverno.io/docs/writing-policies/verify-images/>
    /// - <https://docs.sigstore.dev/policy-controller/overview/>
    pub struct ImageSignaturePolicyMissing {
        code: "IMG005",
        name: "image-signature-policy-missing",
        severity: Warning,
        default: false,
        summary: "No image-signature verification policy covers a namespace",
    }
}

/// Which namespaces a policy covers.
enum Cover<'a> {
    All,
    Namespace(&'a str),
    /// namespace-name patterns (`*` wildcards)
    Patterns(Vec<&'a str>),
    /// namespaces whose labels match
    Selector(LabelSelector),
    /// Sigstore: namespaces labelled `policy.sigstore.dev/include: "true"`
    SigstoreInclude,
}

const SIGSTORE_LABEL: &str = "policy.sigstore.dev/include";

/// Namespaces a Kyverno rule with `verifyImages` covers.
fn kyverno_rule_cover(rule: &Node) -> Cover<'_> {
    let m = rule.get("match");
    let blocks: Vec<&Node> = m
        .and_then(|m| m.get("resources"))
        .into_iter()
        .chain(["any", "all"].into_iter().flat_map(|k| {
            m.and_then(|m| m.get(k))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|b| b.get("resources"))
        }))
        .collect();
    let mut patterns = Vec::new();
    for b in &blocks {
        let names = b.get("namespaces").map(Node::items).unwrap_or_default();
        if names.is_empty() {
            return Cover::All;
        }
        patterns.extend(names.iter().filter_map(Node::as_text));
    }
    if blocks.is_empty() {
        Cover::All
    } else {
        Cover::Patterns(patterns)
    }
}

fn has_verify_images(rule: &Node) -> bool {
    rule.get("verifyImages")
        .is_some_and(|v| !v.items().is_empty())
}

fn is_connaisseur_webhook(obj: &Object) -> bool {
    obj.name.contains("connaisseur")
}

/// Every policy of the input with what it covers.
fn covers<'a>(cx: &Context<'a>) -> Vec<(usize, Cover<'a>)> {
    let mut out = Vec::new();
    for kind in ["ClusterPolicy", "Policy"] {
        for (id, o) in cx.index.of_kind(kind) {
            if o.group() != "kyverno.io" {
                continue;
            }
            let rules = o
                .root
                .at(&["spec", "rules"])
                .map(Node::items)
                .unwrap_or_default();
            for r in rules.iter().filter(|r| has_verify_images(r)) {
                let cover = match (kind, o.namespace.as_deref()) {
                    ("Policy", Some(ns)) => Cover::Namespace(ns),
                    ("Policy", None) => continue,
                    _ => kyverno_rule_cover(r),
                };
                out.push((id, cover));
            }
        }
    }
    for (id, o) in cx.index.of_kind("ImageValidatingPolicy") {
        if o.group() == "policies.kyverno.io" {
            out.push((id, Cover::All));
        }
    }
    for (id, o) in cx.index.of_kind("ClusterImagePolicy") {
        if o.group() == "policy.sigstore.dev" {
            out.push((id, Cover::SigstoreInclude));
        }
    }
    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        for (id, o) in cx.index.of_kind(kind) {
            if o.group() != "admissionregistration.k8s.io" {
                continue;
            }
            let whole = is_connaisseur_webhook(o);
            for w in o.root.get("webhooks").map(Node::items).unwrap_or_default() {
                let text = |p: &[&str]| w.at(p).and_then(Node::as_text).unwrap_or("");
                if !(whole
                    || text(&["name"]).contains("connaisseur")
                    || text(&["clientConfig", "service", "name"]).contains("connaisseur"))
                {
                    continue;
                }
                let cover = match w.get("namespaceSelector") {
                    None => Cover::All,
                    Some(n) if n.is_null() => Cover::All,
                    Some(n) => match LabelSelector::from_label_selector(n) {
                        Some(s) if s.is_empty() => Cover::All,
                        Some(s) => Cover::Selector(s),
                        None => continue,
                    },
                };
                out.push((id, cover));
            }
        }
    }
    for (id, o) in cx.index.of_kind("CustomResourceDefinition") {
        if o.root
            .at(&["spec", "group"])
            .and_then(Node::as_text)
            .is_some_and(|g| g.contains("connaisseur"))
        {
            out.push((id, Cover::All));
        }
    }
    out
}

/// Whether a policy covers a namespace; `None` when the Namespace's labels are needed
/// and unknown.
fn covered(cover: &Cover, ns: &str, ns_obj: Option<&Object>) -> Option<bool> {
    let label = |k: &str| -> Option<&str> {
        if k == "kubernetes.io/metadata.name" {
            return Some(ns);
        }
        ns_obj.and_then(|o| o.label(k))
    };
    match cover {
        Cover::All => Some(true),
        Cover::Namespace(n) => Some(*n == ns),
        Cover::Patterns(p) => Some(p.iter().any(|p| wildcard_match(p, ns))),
        Cover::Selector(s) => {
            if s.matches(label) {
                Some(true)
            } else if ns_obj.is_some() {
                Some(false)
            } else {
                None
            }
        }
        Cover::SigstoreInclude => ns_obj.map(|o| o.label(SIGSTORE_LABEL) == Some("true")),
    }
}

impl Rule for ImageSignaturePolicyMissing {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        if !cx.settings.require_image_signature_policy {
            return;
        }
        let has = |kind: &str, group: &str| cx.index.of_kind(kind).any(|(_, o)| o.group() == group);
        let cluster_view = has("Namespace", "")
            || has(
                "ValidatingWebhookConfiguration",
                "admissionregistration.k8s.io",
            )
            || has(
                "MutatingWebhookConfiguration",
                "admissionregistration.k8s.io",
            );
        let policies = covers(cx);
        for ns in cx.index.namespaces() {
            let workloads = cx.index.workloads_in(ns);
            let Some(&first) = workloads.iter().min() else {
                continue;
            };
            if !cluster_view {
                out.not_evaluated(
                    first,
                    "the input holds no Namespace or admission webhook configuration, so the cluster's image-signature policies are unknown",
                );
                continue;
            }
            let ns_obj = cx.index.namespace_object(ns);
            let mut unknown = false;
            let mut sigstore = None;
            let mut is_covered = false;
            for (pid, cover) in &policies {
                match covered(cover, ns, ns_obj.map(|(_, o)| o)) {
                    Some(true) => {
                        is_covered = true;
                        break;
                    }
                    Some(false) => {
                        if matches!(cover, Cover::SigstoreInclude) {
                            sigstore = Some(*pid);
                        }
                    }
                    None => unknown = true,
                }
            }
            if is_covered {
                continue;
            }
            if unknown {
                out.not_evaluated(
                    first,
                    format!(
                        "Namespace `{ns}` is not in the input, so whether its labels select it for image-signature verification is unknown"
                    ),
                );
                continue;
            }
            let n = workloads.len();
            let plural = if n == 1 { "" } else { "s" };
            let hint = if sigstore.is_some() {
                format!(
                    " (a Sigstore ClusterImagePolicy exists, but the namespace lacks the label `{SIGSTORE_LABEL}: \"true\"`)"
                )
            } else {
                String::new()
            };
            let msg = format!(
                "namespace `{ns}` has {n} workload{plural} but no image-signature verification policy covers it{hint}"
            );
            let f = match ns_obj {
                Some((id, _)) => {
                    let f = out.report(id, Pointer::root().keys(&["metadata", "name"]), msg);
                    f.related(first, Pointer::root());
                    f
                }
                None => out.report(first, Pointer::root().keys(&["metadata", "namespace"]), msg),
            };
            if let Some(pid) = sigstore {
                f.related(pid, Pointer::root());
            }
        }
    }
}
