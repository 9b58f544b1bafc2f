use plimsoll_model::{Node, Object, Pointer};

use super::util::{go_duration_secs, show_duration};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// cert-manager's default certificate duration: 90 days.
const DEFAULT_DURATION: f64 = 2160.0 * 3600.0;

declare_rule! {
    /// ## What it does
    /// Reports a cert-manager `Certificate` (`cert-manager.io`) whose `renewBefore` is
    /// not shorter than its `duration` (2160h, 90 days, when unset). cert-manager's
    /// webhook rejects such a Certificate (`certificate duration ... must be greater
    /// than renewBefore ...`); where the webhook is not in the way (the manifest was
    /// never applied yet, a GitOps tool that syncs it later) the rule says so before
    /// the apply fails. Without `renewBefore`, cert-manager renews at two thirds of
    /// the lifetime, which is never reported.
    ///
    /// ## Why it matters in production
    /// A renewal window as long as the certificate means "renew as soon as issued":
    /// when it is accepted (an issuer that grants a shorter lifetime than `duration`
    /// asked for, as ACME issuers do) cert-manager falls back to a third of the
    /// lifetime without saying so, and the intended window is silently ignored; when
    /// it is rejected, the Certificate is never created, and neither is its Secret,
    /// and the Ingress serves the controller's default certificate.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: shop}
    /// spec:
    ///   secretName: shop-tls
    ///   duration: 720h
    ///   renewBefore: 720h
    ///   dnsNames: [shop.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///   duration: 2160h
    ///   renewBefore: 720h
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes `renewBefore`, so cert-manager renews at two thirds of the
    /// lifetime. It is unsafe: the renewal moves to another time than the one written.
    ///
    /// ## References
    /// - <https://cert-manager.io/docs/usage/certificate/#reissuance-triggered-by-expiry-renewal>
    /// - <https://cert-manager.io/docs/reference/api-docs/#cert-manager.io/v1.CertificateSpec>
    pub struct CertificateRenewBefore {
        code: "SCR008",
        name: "certificate-renew-before-duration",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "A cert-manager Certificate's renewBefore is not shorter than its duration",
    }
}

impl Rule for CertificateRenewBefore {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Certificate" || obj.group() != "cert-manager.io" {
            return;
        }
        let text = |k: &str| obj.root.at(&["spec", k]).and_then(Node::as_text);
        let Some(rb_text) = text("renewBefore") else {
            return;
        };
        let Some(renew) = go_duration_secs(rb_text) else {
            return;
        };
        let (duration, written) = match text("duration") {
            Some(d) => match go_duration_secs(d) {
                Some(s) => (s, true),
                None => return,
            },
            None => (DEFAULT_DURATION, false),
        };
        if renew < duration {
            return;
        }
        let path = Pointer::root().keys(&["spec", "renewBefore"]);
        let fix = Fix::new(
            Applicability::Unsafe,
            "remove renewBefore (renew at two thirds of the lifetime)",
        )
        .remove(&path);
        out.report(
            id,
            path,
            format!(
                "Certificate `{}` renews {} before expiry, not less than its {}duration of {}: cert-manager rejects it, or renews at a third of the lifetime instead",
                obj.name,
                show_duration(renew),
                if written { "" } else { "default " },
                show_duration(duration)
            ),
        )
        .fix(fix);
    }
}
