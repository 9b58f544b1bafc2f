use plimsoll_model::{Node, Object, PodTemplate};

use super::util::ImageRef;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers (init, sidecar, regular and ephemeral) whose
    /// `imagePullPolicy` does not fit their image:
    /// - `Never`: the pod starts only on nodes where the image was loaded by hand;
    /// - `IfNotPresent` written explicitly with a mutable image (no tag or `latest`,
    ///   and no digest): each node keeps whatever `latest` was when it first pulled.
    ///
    /// Defaults are applied as the API server applies them: without a policy, an
    /// image whose tag is `latest` (or that has neither tag nor digest) gets
    /// `Always`, every other image `IfNotPresent`; both are fine. `Always` is fine
    /// with any image, digests included (the pull only checks the registry).
    ///
    /// ## Why it matters in production
    /// With `IfNotPresent` and `latest`, nodes that pulled at different times run
    /// different code under the same name, and a new push never reaches nodes that
    /// already have an old copy. With `Never`, every new or replaced node fails the
    /// pod with `ErrImageNeverPull`, so a node upgrade or autoscaling event becomes an
    /// outage.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:latest
    ///     imagePullPolicy: IfNotPresent
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     imagePullPolicy: IfNotPresent
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes the written `imagePullPolicy`, so the API server defaults
    /// it from the image (`Always` for `latest` or no tag, `IfNotPresent` otherwise). Nodes
    /// then pull from the registry: an image that was only preloaded (an air-gapped node)
    /// no longer starts, and a mutable tag is pulled on every start. The mutable tag
    /// itself stays reported by `image-tag-latest`; the lasting cure is a fixed tag or a
    /// digest, which only the author can choose.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy>
    /// - <https://kubernetes.io/docs/concepts/containers/images/#imagepullpolicy-defaulting>
    pub struct ImagePullPolicyInconsistent {
        code: "IMG004",
        name: "image-pull-policy-inconsistent",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "An imagePullPolicy does not fit the image",
    }
}

impl Rule for ImagePullPolicyInconsistent {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers() {
            let image = c.image().unwrap_or("");
            let r = ImageRef::parse(image);
            // the policy the API server stores: as written, else defaulted from the image
            let written = c.get("imagePullPolicy").and_then(Node::as_text);
            let Some(policy) = written.or_else(|| r.as_ref().map(ImageRef::default_pull_policy))
            else {
                continue;
            };
            let path = c.field_pointer(&["imagePullPolicy"]);
            let who = format!("{} `{}`", c.kind.as_str(), c.name);
            // only a written policy can be removed (a defaulted one never fits badly)
            let fix = written.map(|p| {
                Fix::new(
                    Applicability::Unsafe,
                    format!(
                        "remove `imagePullPolicy: {p}` of {who} and let the API server default it"
                    ),
                )
                .remove(&path)
            });
            match policy {
                "Never" => {
                    let f = out.report_container(
                        id,
                        &c,
                        path,
                        format!(
                            "{who} has `imagePullPolicy: Never`, so it starts only on nodes where `{image}` was preloaded"
                        ),
                    );
                    f.fix = fix;
                }
                "IfNotPresent" if r.as_ref().is_some_and(|r| r.valid && r.is_mutable_latest()) => {
                    let f = out.report_container(
                        id,
                        &c,
                        path,
                        format!(
                            "{who} has `imagePullPolicy: IfNotPresent` with the mutable image `{image}`, so nodes keep whatever version they pulled first"
                        ),
                    );
                    f.fix = fix;
                }
                _ => {}
            }
        }
    }
}
