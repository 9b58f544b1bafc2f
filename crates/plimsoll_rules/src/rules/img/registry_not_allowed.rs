use plimsoll_model::{Object, PodTemplate};

use super::util::{ImageRef, registry_allows};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers (init, sidecar, regular and ephemeral) whose image does not
    /// come from a registry listed in the setting `allowed-registries`. With an empty
    /// list (the default) there is no restriction and the rule reports nothing.
    ///
    /// Images are normalised first: `nginx` is `docker.io/library/nginx`,
    /// `bitnami/redis` is `docker.io/bitnami/redis`, `index.docker.io` is
    /// `docker.io`. An entry is either a registry host (`registry.example.com`,
    /// `registry:5000`, `docker.io`, or `*.example.com` for any subdomain) or a
    /// registry and path prefix matched on whole components (`ghcr.io/acme` allows
    /// `ghcr.io/acme/api` but not `ghcr.io/acme-evil/api`; `docker.io/library` allows
    /// the official Docker Hub images only).
    ///
    /// ## Why it matters in production
    /// Images from arbitrary registries bypass the scanning, signing and mirroring a
    /// platform has set up, and public registries rate-limit and go down: a node that
    /// cannot pull cannot start the pod. An allowlist keeps every image on the supply
    /// chain you operate.
    ///
    /// ## Example
    /// ```yaml
    /// # .plimsoll.yaml: settings: {allowed-registries: [registry.example.com]}
    /// containers:
    ///   - name: cache
    ///     image: redis:7.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: cache
    ///     image: registry.example.com/mirror/redis:7.2
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the image has to be mirrored to an allowed registry first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/containers/images/#image-names>
    /// - <https://kubernetes.io/docs/concepts/security/security-checklist/#images>
    pub struct RegistryNotAllowed {
        code: "IMG003",
        name: "registry-not-allowed",
        severity: Error,
        default: true,
        summary: "An image comes from a registry that is not allowed",
    }
}

impl Rule for RegistryNotAllowed {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let allowed = &cx.settings.allowed_registries;
        if allowed.is_empty() {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers() {
            let Some(image) = c.image() else { continue };
            let Some(r) = ImageRef::parse(image) else {
                continue;
            };
            if allowed.iter().any(|e| registry_allows(e, &r)) {
                continue;
            }
            out.report_container(
                id,
                &c,
                c.field_pointer(&["image"]),
                format!(
                    "{} `{}` uses image `{image}` (`{}`), which no entry of allowed-registries ({}) allows",
                    c.kind.as_str(),
                    c.name,
                    r.repository(),
                    allowed.join(", ")
                ),
            );
        }
    }
}
