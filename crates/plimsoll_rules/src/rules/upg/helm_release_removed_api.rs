use plimsoll_model::helm::release_of;
use plimsoll_model::{Object, Pointer};

use super::util::{removed_at, removed_words, when};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink, list_capped};

/// At most this many objects of a release are named in one finding.
const MAX_NAMED: usize = 5;

declare_rule! {
    /// ## What it does
    /// Decodes Helm 3 release records, Secrets of type `helm.sh/release.v1` (Helm's
    /// default storage) and ConfigMaps labelled `owner: helm` (its ConfigMap driver), as
    /// `kubectl get secrets -l owner=helm -o yaml` or `plimsoll upgrade --context CTX
    /// --helm-releases` reads them, and reports each `deployed` release whose recorded
    /// manifest holds objects in an apiVersion the judged Kubernetes version no longer
    /// serves. Superseded and failed revisions are not judged: Helm compares the next
    /// release with the deployed one.
    ///
    /// ## Why it matters in production
    /// The objects in the cluster were converted long ago, but Helm builds the objects
    /// of the current release from its record before every upgrade or rollback: once
    /// the version is gone, `helm upgrade` fails with `unable to build kubernetes
    /// objects from current release manifest: resource mapping not found ... ensure
    /// CRDs are installed first`, even when the new chart version is fixed. The release
    /// is stuck until its record is rewritten.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: sh.helm.release.v1.shop.v3
    ///   namespace: web
    ///   labels: {owner: helm, name: shop, status: deployed, version: "3"}
    /// type: helm.sh/release.v1
    /// data:
    ///   # base64 of Helm's base64 of gzip of the release JSON, whose manifest still says
    ///   # `apiVersion: policy/v1beta1` for the release's PodDisruptionBudget (judged at 1.25)
    ///   release: SDRzSUFBQUFBQUFDLzMyUU1VL0RNQkNGLzRwMXJFbEtZU...
    /// ```
    ///
    /// ## Use instead
    /// Before the upgrade, deploy a chart version that uses the replacement APIs (a
    /// `helm upgrade` while the old version is still served rewrites the record). If
    /// the cluster is already upgraded, rewrite the record with the `helm-mapkubeapis`
    /// plugin, then upgrade.
    ///
    /// ## Fix safety
    /// No automatic fix: the record is Helm's, and the chart must change.
    ///
    /// ## References
    /// - <https://helm.sh/docs/topics/kubernetes_apis/>
    /// - <https://github.com/helm/helm-mapkubeapis>
    pub struct HelmReleaseRemovedApi {
        code: "UPG003",
        name: "helm-release-removed-api",
        severity: Error,
        default: false,
        summary: "A deployed Helm release recorded objects in an apiVersion the target Kubernetes version no longer serves",
    }
}

impl Rule for HelmReleaseRemovedApi {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !matches!(obj.kind.as_str(), "Secret" | "ConfigMap") {
            return;
        }
        let Some(release) = release_of(obj) else {
            return;
        };
        if release.status != "deployed" {
            return;
        }
        let hits: Vec<_> = release
            .objects
            .iter()
            .filter_map(|o| Some((o, removed_at(&o.api_version, &o.kind, cx.kube_version)?)))
            .collect();
        let Some(&(_, first)) = hits.first() else {
            return;
        };
        let named = list_capped(
            hits.iter().map(|(o, api)| {
                format!(
                    "`{}` {} `{}` ({})",
                    o.api_version,
                    o.kind,
                    o.name,
                    removed_words(api)
                )
            }),
            hits.len(),
            MAX_NAMED,
        );
        out.report(
            id,
            Pointer::root().keys(&["data", "release"]),
            format!(
                "Helm release `{}` revision {} (chart {}) recorded {named}: `helm upgrade` and `helm rollback` of it fail {} until the chart moves to the replacement (while the old version is served) or helm-mapkubeapis rewrites the record",
                release.name,
                release.revision,
                release.chart,
                when(cx, first)
            ),
        );
    }
}
