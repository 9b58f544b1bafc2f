//! Shared wording for the API rules.

use super::table::Api;

/// Migration notes from the Deprecated API Migration Guide for the move to `api`'s
/// replacement (empty when there is nothing to say).
pub fn migration_note(api: &Api) -> &'static str {
    match (api.group, api.kind) {
        ("extensions" | "networking.k8s.io", "Ingress") => {
            "; in v1 `spec.backend` is `spec.defaultBackend`, `serviceName`/`servicePort` are `service.name` and `service.port.number`/`service.port.name`, and `pathType` is required"
        }
        ("autoscaling", "HorizontalPodAutoscaler") => {
            "; in v2 `targetAverageUtilization` is `target.type: Utilization` with `target.averageUtilization`"
        }
        ("extensions" | "apps", "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet") => {
            "; apps/v1 requires `spec.selector` (immutable) matching the template labels"
        }
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration",
        ) => {
            "; v1 requires `sideEffects` and `admissionReviewVersions` and defaults `failurePolicy` to Fail, `matchPolicy` to Equivalent and `timeoutSeconds` to 10"
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            "; v1 requires `spec.scope` and a structural `schema.openAPIV3Schema` per version, and forbids `preserveUnknownFields: true`"
        }
        ("policy", "PodDisruptionBudget") => {
            "; note that an empty selector `{}` selects no pods in v1beta1 but every pod of the namespace in v1"
        }
        (_, "PodSecurityPolicy") => {
            "; there is no replacement API: use Pod Security Admission or a policy webhook"
        }
        _ => "",
    }
}

/// `; use `group/version` Kind` (or nothing when there is no replacement).
pub fn use_instead(api: &Api) -> String {
    match api.replacement.split_once(' ') {
        Some((gv, kind)) => format!("; use `{gv}` {kind}"),
        None => String::new(),
    }
}
