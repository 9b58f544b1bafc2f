use plimsoll_model::{Index, Node, Object, Pointer};

use super::svc_util::is_ingress;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Ingress annotations with which cert-manager's ingress-shim creates a Certificate
/// (and so the Secret) for every `spec.tls` entry.
const CERT_MANAGER_SHIM: &[&str] = &["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

/// Kinds (with their API group) that create Secrets.
const PRODUCERS: &[(&str, &str)] = &[
    ("Secret", ""),
    ("ExternalSecret", "external-secrets.io"),
    ("SealedSecret", "bitnami.com"),
    ("Certificate", "cert-manager.io"),
];

declare_rule! {
    /// ## What it does
    /// Reports an Ingress `spec.tls[].secretName` that names a Secret nothing in the
    /// input provides. A Secret counts as provided when the namespace holds a Secret of
    /// that name, an ExternalSecret (`external-secrets.io`) whose `spec.target.name`
    /// (default: its own name) is that name, a SealedSecret (`bitnami.com`) of that
    /// name, or a cert-manager Certificate (`cert-manager.io`) with that
    /// `spec.secretName`. An Ingress annotated `cert-manager.io/cluster-issuer`,
    /// `cert-manager.io/issuer` or `kubernetes.io/tls-acme: "true"` is not judged:
    /// cert-manager's ingress-shim creates its Secrets. A provided Secret whose data
    /// lacks `tls.crt` or `tls.key` is reported too.
    ///
    /// TLS Secrets are often created outside the manifests (by hand or by a secret
    /// store). The rule therefore judges a namespace only when the input holds at least
    /// one Secret, ExternalSecret, SealedSecret or Certificate in it, that is, when the
    /// input manages the namespace's secrets; otherwise the Ingress is reported as not
    /// evaluated.
    ///
    /// ## Why it matters in production
    /// Without the Secret, ingress controllers serve their built-in self-signed
    /// certificate (ingress-nginx's "Kubernetes Ingress Controller Fake Certificate"):
    /// every client fails certificate validation, and the site is effectively down over
    /// HTTPS.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Ingress
    /// spec:
    ///   tls:
    ///     - hosts: [shop.example.com]
    ///       secretName: shop-tls   # no Secret, Certificate or ExternalSecret creates it
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: shop}
    /// spec:
    ///   secretName: shop-tls
    ///   dnsNames: [shop.example.com]
    ///   issuerRef: {kind: ClusterIssuer, name: letsencrypt}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the certificate has to come from an issuer or a secret store.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#tls>
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets>
    /// - <https://cert-manager.io/docs/usage/ingress/>
    pub struct IngressTlsSecretMissing {
        code: "NET106",
        name: "ingress-tls-secret-missing",
        severity: Error,
        default: true,
        summary: "An Ingress TLS entry names a Secret that nothing in the input provides",
    }
}

fn of_kind_group<'a>(
    index: &'a Index,
    kind: &'a str,
    group: &'a str,
    ns: &'a str,
) -> impl Iterator<Item = (usize, &'a Object)> + 'a {
    index
        .of_kind_in(kind, ns)
        .filter(move |(_, o)| o.group() == group)
}

/// How the input provides the Secret `name` in `ns`: the providing object and, for a
/// Secret itself, the keys its data lacks.
fn provider(index: &Index, ns: &str, name: &str) -> Option<(usize, Vec<&'static str>)> {
    if let Some((id, s)) = index
        .get("Secret", Some(ns), name)
        .filter(|(_, s)| s.group().is_empty())
    {
        let keys: Vec<&str> = ["data", "stringData"]
            .iter()
            .filter_map(|f| s.root.get(f))
            .flat_map(|d| d.entries().iter().map(|e| e.key.as_str()))
            .collect();
        let has_data = ["data", "stringData"]
            .iter()
            .any(|f| s.root.get(f).is_some());
        let missing = if has_data {
            ["tls.crt", "tls.key"]
                .into_iter()
                .filter(|k| !keys.contains(k))
                .collect()
        } else {
            Vec::new()
        };
        return Some((id, missing));
    }
    if let Some((id, _)) =
        of_kind_group(index, "SealedSecret", "bitnami.com", ns).find(|(_, o)| o.name == name)
    {
        return Some((id, Vec::new()));
    }
    if let Some((id, _)) =
        of_kind_group(index, "ExternalSecret", "external-secrets.io", ns).find(|(_, o)| {
            o.root
                .at(&["spec", "target", "name"])
                .and_then(Node::as_text)
                .unwrap_or(&o.name)
                == name
        })
    {
        return Some((id, Vec::new()));
    }
    of_kind_group(index, "Certificate", "cert-manager.io", ns)
        .find(|(_, o)| o.root.at(&["spec", "secretName"]).and_then(Node::as_text) == Some(name))
        .map(|(id, _)| (id, Vec::new()))
}

impl Rule for IngressTlsSecretMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_ingress(obj) {
            return;
        }
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let tls = obj
            .root
            .at(&["spec", "tls"])
            .map(Node::items)
            .unwrap_or_default();
        if !tls
            .iter()
            .any(|t| t.get("secretName").and_then(Node::as_text).is_some())
        {
            return;
        }
        if CERT_MANAGER_SHIM
            .iter()
            .any(|a| obj.annotation(a).is_some())
            || obj.annotation("kubernetes.io/tls-acme") == Some("true")
        {
            return;
        }
        let managed = PRODUCERS
            .iter()
            .any(|&(kind, group)| of_kind_group(cx.index, kind, group, ns).next().is_some());
        if !managed {
            out.not_evaluated(
                id,
                format!(
                    "the input holds no Secret, ExternalSecret, SealedSecret or Certificate of \
                     namespace `{ns}`, so whether its TLS Secrets exist is unknown"
                ),
            );
            return;
        }
        for (i, t) in tls.iter().enumerate() {
            let Some(name) = t.get("secretName").and_then(Node::as_text) else {
                continue;
            };
            let path = Pointer::root()
                .keys(&["spec", "tls"])
                .index(i)
                .key("secretName");
            match provider(cx.index, ns, name) {
                None => {
                    out.report(
                        id,
                        path,
                        format!(
                            "TLS Secret `{name}` is provided by nothing in namespace `{ns}` (no \
                             Secret, ExternalSecret, SealedSecret or cert-manager Certificate): \
                             the controller serves its default certificate"
                        ),
                    );
                }
                Some((secret, missing)) if !missing.is_empty() => {
                    out.report(
                        id,
                        path,
                        format!(
                            "TLS Secret `{name}` has no `{}` key: the controller cannot load the \
                             certificate",
                            missing.join("` or `")
                        ),
                    )
                    .related(secret, Pointer::root().key("data"));
                }
                Some(_) => {}
            }
        }
    }
}
