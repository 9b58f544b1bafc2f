use plimsoll_model::{KubeVersion, Object, Pointer};

use super::migrate::migration;
use super::table;
use super::util::{migration_note, use_instead};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports objects whose `apiVersion` and `kind` are deprecated at the Kubernetes
    /// version being judged (`kube-version`, default the newest release) but still
    /// served, with the release that stops serving them. Beta APIs introduced after
    /// 1.24 are off by default; the message says so. Alpha versions are left to API003;
    /// custom resources are never reported.
    ///
    /// ## Why it matters in production
    /// A deprecated API works today and fails after the upgrade that removes it. Moving
    /// while both versions are served lets you migrate one object at a time instead of
    /// during an emergency after the upgrade.
    ///
    /// ## Example
    /// ```yaml
    /// # judged against kube-version 1.21
    /// apiVersion: batch/v1beta1
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
    /// No fix either when the target version does not serve the replacement yet.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-policy/>
    pub struct ApiDeprecated {
        code: "API002",
        name: "api-deprecated",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "The object's apiVersion is deprecated in the target Kubernetes version",
    }
}

impl Rule for ApiDeprecated {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(api) = table::lookup(&obj.api_version, &obj.kind) else {
            return;
        };
        let Some(deprecated) = api.deprecated else {
            return;
        };
        let kv = cx.kube_version;
        if kv < KubeVersion::new(1, deprecated)
            || api.removed.is_some_and(|r| kv >= KubeVersion::new(1, r))
        {
            return;
        }
        let off = if api.off_by_default {
            " (a beta API, off by default)"
        } else {
            ""
        };
        let removal = match api.removed {
            Some(r) => format!(" and is no longer served from 1.{r}"),
            None => " but is still accepted".to_string(),
        };
        let fix = migration(obj, api, cx.kube_version);
        let f = out.report(
            id,
            Pointer::root().key("apiVersion"),
            format!(
                "`{}` {}{off} is deprecated since Kubernetes 1.{deprecated}{removal}{}{}",
                obj.api_version,
                obj.kind,
                use_instead(api),
                migration_note(api)
            ),
        );
        f.fix = fix;
    }
}
