use plimsoll_model::{KubeVersion, Object, Pointer};

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
    /// No automatic fix: a new version may rename fields or change defaults (policy/v1
    /// PodDisruptionBudget reads an empty selector as every pod of the namespace).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-policy/>
    pub struct ApiDeprecated {
        code: "API002",
        name: "api-deprecated",
        severity: Warning,
        default: true,
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
        out.report(
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
    }
}
