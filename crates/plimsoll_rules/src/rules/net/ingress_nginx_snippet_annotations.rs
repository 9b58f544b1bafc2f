use plimsoll_model::{Object, Pointer};

use super::svc_util::is_ingress;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// Annotations whose value the controller pastes verbatim into its NGINX
/// configuration, with the controller that reads them.
const SNIPPETS: &[(&str, &str)] = &[
    (
        "nginx.ingress.kubernetes.io/configuration-snippet",
        "ingress-nginx",
    ),
    (
        "nginx.ingress.kubernetes.io/server-snippet",
        "ingress-nginx",
    ),
    (
        "nginx.ingress.kubernetes.io/stream-snippet",
        "ingress-nginx",
    ),
    ("nginx.ingress.kubernetes.io/auth-snippet", "ingress-nginx"),
    (
        "nginx.ingress.kubernetes.io/modsecurity-snippet",
        "ingress-nginx",
    ),
    ("nginx.org/server-snippets", "F5 NGINX Ingress"),
    ("nginx.org/location-snippets", "F5 NGINX Ingress"),
];

declare_rule! {
    /// ## What it does
    /// Reports Ingress annotations that inject raw NGINX configuration: ingress-nginx's
    /// `nginx.ingress.kubernetes.io/configuration-snippet`, `server-snippet`,
    /// `stream-snippet`, `auth-snippet` and `modsecurity-snippet`, and F5 NGINX
    /// Ingress Controller's `nginx.org/server-snippets` and `nginx.org/location-snippets`.
    /// Only the default annotation prefixes are recognised (ingress-nginx's
    /// `--annotations-prefix` can change them).
    ///
    /// ## Why it matters in production
    /// A snippet runs inside the controller's NGINX with the controller's privileges. Who
    /// can create an Ingress can read every Secret the controller can read, including
    /// its service account token, which in a default install sees all Secrets of the
    /// cluster (CVE-2021-25742), or break routing for every other tenant with one bad
    /// directive. ingress-nginx therefore disables snippet annotations by default since
    /// v1.9 (`allow-snippet-annotations: false`, and `annotations-risk-level` rates
    /// them Critical); an Ingress that relies on them stops working when the controller
    /// is upgraded or hardened. The IngressNightmare vulnerabilities (CVE-2025-1974 and
    /// CVE-2025-1097, -1098, -24514) showed again how configuration injected through
    /// annotations leads to cluster takeover.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/configuration-snippet: |
    ///       more_set_headers "X-Frame-Options: DENY";
    /// ```
    ///
    /// ## Use instead
    /// Use the dedicated annotation or the controller's ConfigMap, which the cluster
    /// operator controls:
    /// ```yaml
    /// # ConfigMap of ingress-nginx, set by the platform team
    /// data:
    ///   add-headers: ingress-nginx/custom-headers
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the snippet's intent must be expressed another way.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress-controllers/>
    /// - <https://kubernetes.io/blog/2025/03/24/ingress-nginx-cve-2025-1974/>
    /// - <https://github.com/kubernetes/ingress-nginx/issues/7837>
    /// - <https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations-risk/>
    pub struct IngressNginxSnippetAnnotations {
        code: "NET108",
        name: "ingress-nginx-snippet-annotations",
        severity: Error,
        default: true,
        summary: "An Ingress injects raw NGINX configuration through a snippet annotation",
    }
}

impl Rule for IngressNginxSnippetAnnotations {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_ingress(obj) {
            return;
        }
        for (key, controller) in SNIPPETS {
            let Some(entry) = obj
                .metadata()
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.entry(key))
            else {
                continue;
            };
            {
                out.report(
                    id,
                    Pointer::root().keys(&["metadata", "annotations", key]),
                    format!(
                        "annotation `{key}` injects raw NGINX configuration into the shared \
                         {controller} controller (a path to its Secrets; disabled by default in \
                         hardened controllers)"
                    ),
                )
                .span(entry.key_span);
            }
        }
    }
}
