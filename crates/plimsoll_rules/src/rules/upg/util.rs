//! Shared by the upgrade rules: whether an apiVersion and kind are gone at the judged
//! version, worded as the API rules word it.

use plimsoll_model::{ApiResources, KubeVersion};

use crate::rule::Context;
use crate::rules::api::table::{self, Api};
use crate::rules::api::util::use_instead;

/// The API entry of `api_version` `kind` when the judged version no longer serves it.
pub fn removed_at(api_version: &str, kind: &str, target: KubeVersion) -> Option<&'static Api> {
    let api = table::lookup(api_version, kind)?;
    let removed = api.removed?;
    (target >= KubeVersion::new(1, removed)).then_some(api)
}

/// The version the cluster runs before the upgrade (the setting `upgrade-from`).
pub fn upgrade_from(cx: &Context) -> Option<KubeVersion> {
    cx.settings
        .upgrade_from
        .as_deref()
        .and_then(|v| KubeVersion::parse(v).ok())
}

/// When what depends on `api` fails: "after the upgrade", or "already (1.33 does not
/// serve it either)" when the version the cluster runs (the setting `upgrade-from`) no
/// longer serves it.
pub fn when(cx: &Context, api: &Api) -> String {
    match (upgrade_from(cx), api.removed) {
        (Some(from), Some(removed)) if from >= KubeVersion::new(1, removed) => {
            format!("already ({from} does not serve it either)")
        }
        _ => "after the upgrade".to_string(),
    }
}

/// "removed in Kubernetes 1.25; use `policy/v1` PodDisruptionBudget".
pub fn removed_words(api: &Api) -> String {
    format!(
        "removed in Kubernetes 1.{}{}",
        api.removed.unwrap_or_default(),
        use_instead(api)
    )
}

/// The plural resource name of a kind, as discovery serves it (`Ingress` →
/// `ingresses`, `NetworkPolicy` → `networkpolicies`, `Endpoints` → `endpoints`).
pub fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with("endpoints") {
        lower
    } else if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

/// The kind a resource of a group names (`extensions`, `ingresses` → `Ingress`):
/// among the kinds the group ever served (served now, deprecated or removed), then
/// among the built-in resources of any group.
pub fn kind_of_resource(group: &str, resource: &str) -> Option<String> {
    let served = table::GA
        .iter()
        .filter(|(g, _, _)| *g == group)
        .flat_map(|(_, _, kinds)| kinds.iter().copied());
    let listed = table::APIS
        .iter()
        .filter(|a| a.group == group)
        .map(|a| a.kind);
    if let Some(kind) = served.chain(listed).find(|k| plural(k) == resource) {
        return Some(kind.to_string());
    }
    ApiResources::builtin()
        .resources()
        .iter()
        .find(|r| r.plural == resource)
        .map(|r| r.kind.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_as_discovery_serves_them() {
        for (kind, p) in [
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
            ("PodSecurityPolicy", "podsecuritypolicies"),
            ("Endpoints", "endpoints"),
            ("CronJob", "cronjobs"),
            ("FlowSchema", "flowschemas"),
            ("CSIStorageCapacity", "csistoragecapacities"),
            ("RuntimeClass", "runtimeclasses"),
            ("Deployment", "deployments"),
        ] {
            assert_eq!(plural(kind), p);
        }
    }

    #[test]
    fn resources_name_their_kinds() {
        assert_eq!(
            kind_of_resource("extensions", "ingresses").as_deref(),
            Some("Ingress")
        );
        assert_eq!(
            kind_of_resource("policy", "podsecuritypolicies").as_deref(),
            Some("PodSecurityPolicy")
        );
        assert_eq!(
            kind_of_resource("batch", "cronjobs").as_deref(),
            Some("CronJob")
        );
        assert_eq!(kind_of_resource("example.com", "widgets"), None);
    }
}
