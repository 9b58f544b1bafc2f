use plimsoll_model::{KubeVersion, Object, Pointer};

use super::migrate::migration;
use super::table;
use super::util::{migration_note, use_instead};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports objects whose `apiVersion` and `kind` are no longer served by the
    /// Kubernetes version being judged (`kube-version`, default the newest release),
    /// e.g. `extensions/v1beta1` Ingress (removed in 1.22) or `batch/v1beta1` CronJob
    /// (removed in 1.25). Removal versions come from the Deprecated API Migration Guide
    /// and the prerelease-lifecycle tags of k8s.io/api. Beta APIs introduced after 1.24
    /// are off by default; the message says so. Alpha versions are left to API003 and
    /// custom resources are never reported. `admission.k8s.io/v1beta1` AdmissionReview
    /// is still accepted by the API server and is only reported as deprecated (API002).
    ///
    /// ## Why it matters in production
    /// The API server rejects the object (`no matches for kind "Ingress" in version
    /// "extensions/v1beta1"`), so the deploy fails, often in the middle of a release
    /// or right after a cluster upgrade, when nobody has the manifests in mind.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: extensions/v1beta1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   backend:
    ///     serviceName: web
    ///     servicePort: 80
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   defaultBackend:
    ///     service:
    ///       name: web
    ///       port: {number: 80}
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix rewrites `apiVersion` to the replacement where the migration is
    /// mechanical: the same fields read the same way (batch/v1 CronJob, autoscaling/v2 from
    /// v2beta2, policy/v1 PodDisruptionBudget unless its selector is empty, RBAC,
    /// PriorityClass, RuntimeClass, IngressClass, NetworkPolicy, StorageClass, ...), and
    /// for Ingress it also moves `spec.backend` to `spec.defaultBackend`, rewrites
    /// `serviceName`/`servicePort` as `service.name` and `service.port.number` (or
    /// `.name`) and adds `pathType: ImplementationSpecific` where it is missing (how
    /// v1beta1 read such a path). Every cluster the manifest is applied to must serve the
    /// new version, and tools that read the old fields must move too. Migrations that
    /// change defaults or need decisions get no fix: apps/v1 (selector, update strategy
    /// and history defaults), webhooks, CRDs, autoscaling/v2beta1 metrics, EndpointSlice
    /// topology, flow control, and a PodDisruptionBudget with an empty selector (no pods
    /// in v1beta1, every pod in v1).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-policy/>
    pub struct ApiRemoved {
        code: "API001",
        name: "api-removed",
        severity: Error,
        default: true,
        fix: Unsafe,
        summary: "The object's apiVersion is no longer served by the target Kubernetes version",
    }
}

impl Rule for ApiRemoved {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(api) = table::lookup(&obj.api_version, &obj.kind) else {
            return;
        };
        let Some(removed) = api.removed else {
            return;
        };
        if cx.kube_version < KubeVersion::new(1, removed) {
            return;
        }
        let off = if api.off_by_default {
            " (a beta API that was off by default)"
        } else {
            ""
        };
        let fix = migration(obj, api, cx.kube_version);
        let f = out.report(
            id,
            Pointer::root().key("apiVersion"),
            format!(
                "`{}` {}{off} was removed in Kubernetes 1.{removed}{}{}",
                obj.api_version,
                obj.kind,
                use_instead(api),
                migration_note(api)
            ),
        );
        f.fix = fix;
    }
}
