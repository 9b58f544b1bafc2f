use plimsoll_model::{Object, PodTemplate};

use super::util::ImageRef;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers (init, sidecar, regular and ephemeral) whose image has no
    /// tag or the tag `latest`, and no digest. The reference is parsed as the
    /// container runtime reads it: in `registry:5000/app` the `5000` is a port, not a
    /// tag (the image is `latest`), and `app@sha256:…` or `app:latest@sha256:…` is
    /// pinned by its digest and not reported.
    ///
    /// ## Why it matters in production
    /// `latest` names whatever was pushed last. Two replicas of the same Deployment
    /// can run different code, a node restart silently upgrades a pod, and a rollback
    /// to the previous ReplicaSet brings back the same tag and therefore the new,
    /// broken image. Nobody can tell from the manifest what is running.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: only the author knows which version is meant.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/containers/images/#image-names>
    /// - <https://kubernetes.io/docs/concepts/configuration/overview/#container-images>
    pub struct ImageTagLatest {
        code: "IMG001",
        name: "image-tag-latest",
        severity: Warning,
        default: true,
        summary: "An image has no tag or the tag latest",
    }
}

impl Rule for ImageTagLatest {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers() {
            let Some(image) = c.image() else { continue };
            let Some(r) = ImageRef::parse(image) else {
                continue;
            };
            if !r.is_mutable_latest() {
                continue;
            }
            let what = if r.tag.is_some() {
                "the tag `latest`"
            } else {
                "no tag, which means `latest`"
            };
            out.report_container(
                id,
                &c,
                c.field_pointer(&["image"]),
                format!(
                    "{} `{}` uses image `{image}` with {what}",
                    c.kind.as_str(),
                    c.name
                ),
            );
        }
    }
}
