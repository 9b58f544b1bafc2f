//! Helpers shared by the MSH rules: which namespaces are production, and which are in
//! an Istio or Linkerd mesh.

use plimsoll_model::{Index, Node, Object};

/// Istio's root namespace (meshConfig `rootNamespace`, `istio-system` by default).
pub const ISTIO_ROOT: &str = "istio-system";

/// The labels that say a namespace is production, and the values that do.
const ENV_LABELS: &[&str] = &["environment", "env", "tier"];
const PRODUCTION: &[&str] = &["production", "prod"];

/// Whether a Namespace is labelled production (`environment`, `env` or `tier` set
/// to `production` or `prod`); the label that says so.
pub fn production_label(ns: &Object) -> Option<&'static str> {
    ENV_LABELS.iter().copied().find(|k| {
        ns.label(k)
            .is_some_and(|v| PRODUCTION.iter().any(|p| p.eq_ignore_ascii_case(v)))
    })
}

/// Whether Istio injects sidecars into a Namespace's pods: `istio-injection=enabled`,
/// or an `istio.io/rev` label (revision-based injection) without
/// `istio-injection=disabled`.
pub fn istio_injected(ns: &Object) -> bool {
    match ns.label("istio-injection") {
        Some("enabled") => true,
        Some("disabled") => false,
        _ => ns.label("istio.io/rev").is_some_and(|r| !r.is_empty()),
    }
}

/// Whether a Namespace is in the Istio mesh: sidecar-injected, or ambient
/// (`istio.io/dataplane-mode=ambient`).
pub fn istio_meshed(ns: &Object) -> bool {
    istio_injected(ns) || ns.label("istio.io/dataplane-mode") == Some("ambient")
}

/// A PeerAuthentication (`security.istio.io`, v1 or v1beta1).
pub fn is_peer_authentication(o: &Object) -> bool {
    o.kind == "PeerAuthentication" && o.group() == "security.istio.io"
}

/// Whether a PeerAuthentication applies to its whole namespace (no selector, or one
/// without labels).
pub fn namespace_wide(o: &Object) -> bool {
    match o.root.at(&["spec", "selector"]) {
        None => true,
        Some(s) if s.is_null() => true,
        Some(s) => s.get("matchLabels").is_none_or(|m| m.entries().is_empty()),
    }
}

/// `spec.mtls.mode`, `UNSET` when absent.
pub fn mtls_mode(o: &Object) -> &str {
    o.root
        .at(&["spec", "mtls", "mode"])
        .and_then(Node::as_text)
        .unwrap_or("UNSET")
}

/// The namespace-wide PeerAuthentication of a namespace (the first of the input).
pub fn namespace_policy<'a>(index: &'a Index, ns: &'a str) -> Option<(usize, &'a Object)> {
    index
        .of_kind_in("PeerAuthentication", ns)
        .find(|(_, o)| is_peer_authentication(o) && namespace_wide(o))
}
