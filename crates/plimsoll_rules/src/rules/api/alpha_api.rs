use plimsoll_model::{KubeVersion, Object, Pointer};

use super::table::is_builtin_group;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports objects whose `apiVersion` is an alpha version (`v1alpha1`, `v2alpha1`,
    /// ...) of an API group that Kubernetes itself serves: the core group, `apps`,
    /// `batch`, `policy`, `autoscaling`, `extensions` and the built-in `*.k8s.io` groups
    /// (`networking.k8s.io`, `resource.k8s.io`, ...). Custom resources are not reported,
    /// even under `k8s.io` (Gateway API, volume snapshots): their alpha versions are
    /// served whenever their CRD is installed (`argoproj.io/v1alpha1` Rollout,
    /// `cert-manager.io/v1alpha2`). When the alpha version no longer exists at the
    /// Kubernetes version judged, the message says since when.
    ///
    /// ## Why it matters in production
    /// Alpha APIs are off by default: the API server rejects the object unless the
    /// cluster enables the version with `--runtime-config` (and usually a feature gate),
    /// which managed clusters rarely allow. They may change incompatibly or disappear in
    /// any release without a deprecation period.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v2alpha1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the stable version of an alpha API often has different fields,
    /// and some alpha APIs have no stable version at all.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/#api-versioning>
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-policy/>
    pub struct AlphaApi {
        code: "API003",
        name: "alpha-api",
        severity: Warning,
        default: true,
        summary: "The object uses an alpha version of a built-in Kubernetes API",
    }
}

/// The release whose k8s.io/api no longer has the alpha version's types
/// (kubernetes-facts.md 3.3).
fn alpha_gone(group: &str, version: &str, kind: &str) -> Option<u32> {
    Some(match (group, version) {
        ("auditregistration.k8s.io", "v1alpha1") => 19,
        ("settings.k8s.io", "v1alpha1") => 20,
        ("batch", "v2alpha1") | ("discovery.k8s.io", "v1alpha1") => 21,
        ("resource.k8s.io", "v1alpha1") => 27,
        ("flowcontrol.apiserver.k8s.io", "v1alpha1") => 29,
        ("networking.k8s.io", "v1alpha1") if kind == "ClusterCIDR" => 29,
        ("networking.k8s.io", "v1alpha1") if matches!(kind, "IPAddress" | "ServiceCIDR") => 34,
        ("resource.k8s.io", "v1alpha2") => 31,
        ("coordination.k8s.io", "v1alpha1") => 32,
        ("resource.k8s.io", "v1alpha3")
            if matches!(
                kind,
                "DeviceClass" | "ResourceClaim" | "ResourceClaimTemplate" | "ResourceSlice"
            ) =>
        {
            34
        }
        ("storagemigration.k8s.io", "v1alpha1") => 35,
        ("scheduling.k8s.io", "v1alpha1") => 36,
        _ => return None,
    })
}

impl Rule for AlphaApi {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let (group, version) = (obj.group(), obj.version());
        if !version.contains("alpha") || !is_builtin_group(group) {
            return;
        }
        let gone = match alpha_gone(group, version, &obj.kind) {
            Some(m) if cx.kube_version >= KubeVersion::new(1, m) => {
                format!("; it was removed in Kubernetes 1.{m}")
            }
            _ => String::new(),
        };
        out.report(
            id,
            Pointer::root().key("apiVersion"),
            format!(
                "`{}` {} is an alpha API: off by default and free to change or vanish in any release{gone}",
                obj.api_version, obj.kind
            ),
        );
    }
}
