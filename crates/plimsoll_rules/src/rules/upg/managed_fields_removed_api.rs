use plimsoll_model::{Object, Pointer};

use super::util::{removed_at, removed_words, when};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink, list_capped};

/// At most this many managers are named in one finding.
const MAX_NAMED: usize = 5;

declare_rule! {
    /// ## What it does
    /// Reads `metadata.managedFields` (as `kubectl get -o yaml --show-managed-fields`,
    /// a snapshot or a live audit shows it) and reports the objects that a field
    /// manager last wrote through an apiVersion the judged Kubernetes version no longer
    /// serves. Each entry's `apiVersion` is "the version of this resource that this
    /// field set applies to" and is never converted, so it shows which version a
    /// controller, Helm, an operator or a server-side apply used, where the
    /// last-applied annotation (UPG001) only covers `kubectl apply`. One finding per
    /// object names each manager with its operation and time.
    ///
    /// ## Why it matters in production
    /// A client that still sends the removed version fails once the control plane is
    /// upgraded: an operator's reconcile loop errors, a CI job's server-side apply is
    /// rejected. The entry shows the version the manager last wrote with, not that it
    /// still does (check the time), hence a warning.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   managedFields:
    ///     - manager: legacy-operator
    ///       operation: Update
    ///       apiVersion: extensions/v1beta1
    ///       time: "2021-03-01T10:00:00Z"
    /// ```
    ///
    /// ## Use instead
    /// Upgrade the client (or its chart, or its manifests) to a release that writes the
    /// replacement version before upgrading the cluster.
    ///
    /// ## Fix safety
    /// No automatic fix: the client must change, not the object.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management>
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    pub struct ManagedFieldsRemovedApi {
        code: "UPG002",
        name: "managed-fields-removed-api",
        severity: Warning,
        default: false,
        summary: "A field manager last wrote the object through an apiVersion the target Kubernetes version no longer serves",
    }
}

impl Rule for ManagedFieldsRemovedApi {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(entries) = obj.root.at(&["metadata", "managedFields"]) else {
            return;
        };
        // (index, apiVersion, the entry, its API) of the entries in a removed version
        let hits: Vec<_> = entries
            .items()
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let api_version = e.get("apiVersion").and_then(|v| v.as_text())?;
                if api_version == obj.api_version {
                    return None;
                }
                let api = removed_at(api_version, &obj.kind, cx.kube_version)?;
                Some((i, api_version, e, api))
            })
            .collect();
        let Some(&(i, _, _, api)) = hits.first() else {
            return;
        };
        let named = list_capped(
            hits.iter().map(|(_, api_version, e, _)| {
                let text = |k: &str| e.get(k).and_then(|v| v.as_text()).unwrap_or("?");
                format!(
                    "`{}` ({} as `{api_version}`, {})",
                    text("manager"),
                    text("operation"),
                    text("time")
                )
            }),
            hits.len(),
            MAX_NAMED,
        );
        out.report(
            id,
            Pointer::root()
                .keys(&["metadata", "managedFields"])
                .index(i)
                .key("apiVersion"),
            format!(
                "last written by {named}, through an apiVersion {}: a client that still sends it fails {}",
                removed_words(api),
                when(cx, api)
            ),
        );
    }
}
