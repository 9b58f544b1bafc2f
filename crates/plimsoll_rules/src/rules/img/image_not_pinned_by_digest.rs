use plimsoll_model::{Object, PodTemplate};

use super::util::ImageRef;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers (init, sidecar, regular and ephemeral) whose image is not
    /// pinned by a digest (`@sha256:<64 hex digits>`, or sha384/sha512). A tag next
    /// to the digest (`app:1.4.2@sha256:…`) is fine: the runtime pulls by digest. A
    /// malformed digest is reported too, since no registry client accepts it.
    ///
    /// ## Why it matters in production
    /// Tags are mutable: `1.4.2` can be re-pushed, by mistake or by an attacker with
    /// registry access, and nodes that pull later run different bytes than nodes that
    /// pulled earlier. A digest names exactly one image, so what was tested and
    /// scanned is what runs.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the digest must be resolved from the registry (for example
    /// with `crane digest` or your CI's build output), which a linter does not do.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/containers/images/#image-names>
    /// - <https://kubernetes.io/docs/concepts/configuration/overview/#container-images>
    pub struct ImageNotPinnedByDigest {
        code: "IMG002",
        name: "image-not-pinned-by-digest",
        severity: Info,
        default: true,
        summary: "An image is not pinned by digest",
    }
}

impl Rule for ImageNotPinnedByDigest {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers() {
            let Some(image) = c.image() else { continue };
            let Some(r) = ImageRef::parse(image) else {
                continue;
            };
            if r.is_pinned() {
                continue;
            }
            let why = match r.digest {
                Some(d) => format!("has a malformed digest `{d}`"),
                None => "is not pinned by digest".to_string(),
            };
            out.report_container(
                id,
                &c,
                c.field_pointer(&["image"]),
                format!("{} `{}` image `{image}` {why}", c.kind.as_str(), c.name),
            );
        }
    }
}
