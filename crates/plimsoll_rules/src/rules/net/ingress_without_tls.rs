use plimsoll_model::{Object, Pointer};

use super::svc_util::is_ingress;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Annotations with which cloud ingress controllers terminate TLS without `spec.tls`
/// (certificates from the cloud's certificate manager).
const CLOUD_TLS: &[&str] = &[
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
    "appgw.ingress.kubernetes.io/appgw-ssl-certificate",
];

declare_rule! {
    /// ## What it does
    /// Reports an Ingress with no `spec.tls` entries. Ingresses whose controller
    /// terminates TLS with certificates from the cloud are not reported: AWS Load
    /// Balancer Controller (`alb.ingress.kubernetes.io/certificate-arn`, or
    /// `alb.ingress.kubernetes.io/listen-ports` with an HTTPS listener, which discovers
    /// certificates by host), GKE (`ingress.gcp.kubernetes.io/pre-shared-cert`,
    /// `networking.gke.io/managed-certificates`) and Azure Application Gateway
    /// (`appgw.ingress.kubernetes.io/appgw-ssl-certificate`).
    ///
    /// ## Why it matters in production
    /// Without TLS the traffic between clients and the ingress, including cookies,
    /// tokens and passwords, travels in clear text and can be read or altered on the
    /// way. Browsers mark such sites as not secure, and HSTS-preloaded domains do not
    /// load at all.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web}
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   ingressClassName: nginx
    ///   tls:
    ///     - hosts: [shop.example.com]
    ///       secretName: shop-example-com-tls
    ///   rules: ...
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: TLS needs a certificate (a Secret, or cert-manager annotations
    /// and an issuer).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#tls>
    /// - <https://kubernetes.io/docs/concepts/security/secrets-good-practices/>
    pub struct IngressWithoutTls {
        code: "NET107",
        name: "ingress-without-tls",
        severity: Warning,
        default: true,
        summary: "An Ingress has no TLS section",
    }
}

impl Rule for IngressWithoutTls {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_ingress(obj) {
            return;
        }
        let tls = obj.root.at(&["spec", "tls"]);
        if tls.is_some_and(|t| !t.items().is_empty()) {
            return;
        }
        if CLOUD_TLS.iter().any(|a| obj.annotation(a).is_some())
            || obj
                .annotation("alb.ingress.kubernetes.io/listen-ports")
                .is_some_and(|p| p.contains("HTTPS"))
        {
            return;
        }
        let what = if tls.is_some_and(|t| !t.is_null()) {
            "an empty spec.tls"
        } else {
            "no spec.tls"
        };
        out.report(
            id,
            Pointer::root().keys(&["spec", "tls"]),
            format!("the Ingress has {what}: its hosts are served over plain HTTP"),
        );
    }
}
