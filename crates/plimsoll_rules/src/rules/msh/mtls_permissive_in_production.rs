use plimsoll_model::Pointer;

use super::util::{
    ISTIO_ROOT, is_peer_authentication, istio_meshed, mtls_mode, namespace_policy, namespace_wide,
    production_label,
};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// For each Namespace of the input labelled production (`environment`, `env` or
    /// `tier` set to `production` or `prod`) that is in the Istio mesh
    /// (`istio-injection=enabled`, an `istio.io/rev` label, or
    /// `istio.io/dataplane-mode=ambient`), works out the mutual-TLS mode Istio applies
    /// to its workloads and reports it when it is not `STRICT`:
    /// - a namespace-wide `PeerAuthentication` (no selector) of the namespace with
    ///   `mtls.mode` `PERMISSIVE` or `DISABLE` (reported on that policy);
    /// - otherwise (none, or mode `UNSET`: inherit) the mesh-wide policy, the
    ///   PeerAuthentication without selector in the root namespace `istio-system`,
    ///   when it is not `STRICT`; and when there is none, Istio's default,
    ///   `PERMISSIVE` (reported on the Namespace). Without the mesh-wide policy in the
    ///   input, that is judged only when the input holds `istio-system` whole (or a
    ///   live cluster); otherwise the namespace is not evaluated.
    ///
    /// PeerAuthentications with a workload selector in such a namespace that set
    /// `PERMISSIVE` or `DISABLE` are reported too.
    ///
    /// ## Why it matters in production
    /// `PERMISSIVE` accepts plaintext as well as mutual TLS: any pod in the cluster,
    /// meshed or not, can call the workloads without a certificate, so
    /// AuthorizationPolicies that rely on peer identities can be bypassed and traffic
    /// is readable on the wire. It is the migration setting, and Istio's default when
    /// no policy says otherwise.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels: {istio-injection: enabled, environment: production}
    /// # ... and no PeerAuthentication here or in istio-system
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: istio-system}
    /// spec:
    ///   mtls: {mode: STRICT}
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `mtls.mode: STRICT` on the permissive policy, or adds a
    /// namespace-wide `STRICT` PeerAuthentication beside the Namespace. It is unsafe:
    /// clients outside the mesh (a Prometheus without mesh certificates, probes with
    /// rewriting off, jobs in namespaces without sidecars) are cut off.
    ///
    /// ## References
    /// - <https://istio.io/latest/docs/reference/config/security/peer_authentication/>
    /// - <https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/>
    /// - <https://kubernetes.io/docs/concepts/security/>
    pub struct MtlsPermissiveInProduction {
        code: "MSH001",
        name: "mtls-permissive-in-production",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A production namespace in the Istio mesh accepts plaintext (mTLS not STRICT)",
    }
}

impl Rule for MtlsPermissiveInProduction {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let mesh = namespace_policy(cx.index, ISTIO_ROOT);
        for (nid, ns_obj) in cx.index.of_kind("Namespace") {
            if !ns_obj.group().is_empty() || !istio_meshed(ns_obj) {
                continue;
            }
            let Some(label) = production_label(ns_obj) else {
                continue;
            };
            let ns = ns_obj.name.as_str();
            let mode_ptr = Pointer::root().keys(&["spec", "mtls", "mode"]);
            // workload policies that weaken it
            for (pid, p) in cx.index.of_kind_in("PeerAuthentication", ns) {
                if is_peer_authentication(p)
                    && !namespace_wide(p)
                    && matches!(mtls_mode(p), "PERMISSIVE" | "DISABLE")
                {
                    out.report(
                        pid,
                        mode_ptr.clone(),
                        format!(
                            "PeerAuthentication `{}` sets mTLS {} for workloads of namespace \
                             `{ns}`, labelled {label} production: they accept plaintext",
                            p.name,
                            mtls_mode(p)
                        ),
                    )
                    .fix(
                        Fix::new(Applicability::Unsafe, "set mtls.mode: STRICT").set(
                            &p.root,
                            &mode_ptr,
                            serde_json::json!("STRICT"),
                        ),
                    );
                }
            }
            if let Some((pid, p)) = namespace_policy(cx.index, ns)
                && mtls_mode(p) != "UNSET"
            {
                let mode = mtls_mode(p);
                if matches!(mode, "PERMISSIVE" | "DISABLE") {
                    out.report(
                        pid,
                        mode_ptr.clone(),
                        format!(
                            "PeerAuthentication `{}` sets mTLS {mode} for namespace `{ns}`, \
                             labelled {label} production: its workloads accept plaintext",
                            p.name
                        ),
                    )
                    .related(nid, Pointer::root().keys(&["metadata", "labels"]))
                    .fix(
                        Fix::new(Applicability::Unsafe, "set mtls.mode: STRICT").set(
                            &p.root,
                            &mode_ptr,
                            serde_json::json!("STRICT"),
                        ),
                    );
                }
                continue;
            }
            let (why, related) = match mesh {
                Some((mid, m)) => match mtls_mode(m) {
                    "STRICT" => continue,
                    "UNSET" => (
                        format!(
                            "the mesh-wide PeerAuthentication `{}` leaves the mode UNSET, which \
                             is PERMISSIVE",
                            m.name
                        ),
                        Some(mid),
                    ),
                    mode => (
                        format!("the mesh-wide PeerAuthentication `{}` sets {mode}", m.name),
                        Some(mid),
                    ),
                },
                None => {
                    if !cx.index.holds_namespace(ISTIO_ROOT) && cx.live().is_none() {
                        out.not_evaluated(
                            nid,
                            format!(
                                "the input holds neither a mesh-wide PeerAuthentication nor \
                                 the whole of namespace `{ISTIO_ROOT}`, so the mTLS mode \
                                 namespace `{ns}` inherits is unknown"
                            ),
                        );
                        continue;
                    }
                    (
                        format!(
                            "no PeerAuthentication sets a mode here or mesh-wide in \
                             `{ISTIO_ROOT}`, and Istio's default is PERMISSIVE"
                        ),
                        None,
                    )
                }
            };
            let f = out.report(
                nid,
                Pointer::root().keys(&["metadata", "labels"]),
                format!(
                    "namespace `{ns}` is labelled {label} production but its workloads accept \
                     plaintext: {why}"
                ),
            );
            if let Some(r) = related {
                f.related(r, mode_ptr.clone());
            }
            f.fix(
                Fix::new(
                    Applicability::Unsafe,
                    format!(
                        "add PeerAuthentication `default` with mTLS STRICT in namespace `{ns}`"
                    ),
                )
                .add_document(serde_json::json!({
                    "apiVersion": "security.istio.io/v1",
                    "kind": "PeerAuthentication",
                    "metadata": {"name": "default", "namespace": ns},
                    "spec": {"mtls": {"mode": "STRICT"}},
                })),
            );
        }
    }
}
