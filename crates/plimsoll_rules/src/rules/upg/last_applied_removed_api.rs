use plimsoll_model::{Object, Pointer};

use super::util::{removed_at, removed_words, when};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

/// kubectl's record of what `kubectl apply` last sent.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

declare_rule! {
    /// ## What it does
    /// Reads the `kubectl.kubernetes.io/last-applied-configuration` annotation of each
    /// object (as `kubectl get -o yaml` or a live audit shows it) and reports the objects
    /// whose last `kubectl apply` sent an apiVersion that the judged Kubernetes version
    /// no longer serves, e.g. a PodDisruptionBudget stored as `policy/v1` but last
    /// applied as `policy/v1beta1`. The object's own apiVersion cannot tell: the API
    /// server converts what it stores to whatever version a client asks for. An
    /// annotation of another kind than the object's is ignored (as Pluto does), and so
    /// is one in the object's own version (API001 judges that).
    ///
    /// ## Why it matters in production
    /// The manifest that was applied still says the old version, wherever it lives (a
    /// repository, a CI job, someone's laptop): after the upgrade, the next
    /// `kubectl apply` of it fails with `no matches for kind "PodDisruptionBudget" in
    /// version "policy/v1beta1"`, typically in the middle of an incident fix. The
    /// annotation is a weak signal (it says what was last applied, not what the
    /// manifest says today, and a `kubectl patch` can leave it stale), hence a warning.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    ///   annotations:
    ///     kubectl.kubernetes.io/last-applied-configuration: |
    ///       {"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget","metadata":{"name":"api"},"spec":{"minAvailable":1}}
    /// ```
    ///
    /// ## Use instead
    /// Migrate the manifest to the replacement version (`plimsoll check --kube-version
    /// 1.25 --select API001 --fix --unsafe-fixes` does where the migration is
    /// mechanical) and apply it again, which rewrites the annotation.
    ///
    /// ## Fix safety
    /// No automatic fix: the manifest to migrate is not the live object.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    /// - <https://github.com/FairwindsOps/pluto/blob/master/docs/faq.md>
    pub struct LastAppliedRemovedApi {
        code: "UPG001",
        name: "last-applied-removed-api",
        severity: Warning,
        default: false,
        summary: "The object was last applied with an apiVersion the target Kubernetes version no longer serves",
    }
}

impl Rule for LastAppliedRemovedApi {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(text) = obj.annotation(LAST_APPLIED) else {
            return;
        };
        let Ok(applied) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let (Some(api_version), Some(kind)) = (
            applied.get("apiVersion").and_then(|v| v.as_str()),
            applied.get("kind").and_then(|v| v.as_str()),
        ) else {
            return;
        };
        if kind != obj.kind || api_version == obj.api_version {
            return;
        }
        let Some(api) = removed_at(api_version, kind, cx.kube_version) else {
            return;
        };
        out.report(
            id,
            Pointer::root().keys(&["metadata", "annotations", LAST_APPLIED]),
            format!(
                "last applied with `kubectl apply` as `{api_version}` {kind}, {}: applying that manifest again fails {}",
                removed_words(api),
                when(cx, api)
            ),
        );
    }
}
