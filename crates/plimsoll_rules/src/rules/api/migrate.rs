//! The mechanical migrations of removed and deprecated API versions to their
//! replacement, as the Deprecated API Migration Guide describes them: only where the
//! new version reads the same object the same way once rewritten (`apiVersion`
//! alone, or Ingress's renamed backend fields), never where it changes a default or
//! the meaning of a field.

use plimsoll_model::{KubeVersion, Node, Object, Pointer};
use serde_json::{Value, json};

use super::table::Api;
use crate::rule::{Applicability, Fix};

/// The Kubernetes minor from which the replacement of a migratable API is served,
/// `None` when the migration is not mechanical: apps/v1 and the webhook, CRD and
/// flow-control versions change defaults or required fields, autoscaling/v2beta1's
/// metrics are restructured, EndpointSlice v1 drops `topology`, and so on.
fn replacement_since(api: &Api) -> Option<u32> {
    Some(match (api.group, api.version, api.kind) {
        ("batch", "v1beta1", "CronJob") => 21,
        ("autoscaling", "v2beta2", "HorizontalPodAutoscaler") => 23,
        ("policy", "v1beta1", "PodDisruptionBudget") => 21,
        ("node.k8s.io", "v1beta1", "RuntimeClass") => 20,
        ("scheduling.k8s.io", "v1beta1", "PriorityClass") => 14,
        ("coordination.k8s.io", "v1beta1", "Lease") => 14,
        ("rbac.authorization.k8s.io", "v1beta1", _) => 8,
        ("networking.k8s.io", "v1beta1", "IngressClass") => 19,
        ("extensions" | "networking.k8s.io", "v1beta1", "Ingress") => 19,
        ("extensions", "v1beta1", "NetworkPolicy") => 8,
        ("storage.k8s.io", "v1beta1", "StorageClass") => 6,
        ("storage.k8s.io", "v1beta1", "CSIStorageCapacity") => 24,
        ("apiregistration.k8s.io", "v1beta1", "APIService") => 10,
        _ => return None,
    })
}

/// The fix that moves `obj` from `api` to its replacement, when the migration is
/// mechanical and the replacement is served at `kube`.
pub fn migration(obj: &Object, api: &Api, kube: KubeVersion) -> Option<Fix> {
    let since = replacement_since(api)?;
    if kube < KubeVersion::new(1, since) {
        return None;
    }
    let (gv, kind) = api.replacement.split_once(' ')?;
    if kind != api.kind {
        return None;
    }
    let fix = Fix::new(Applicability::Unsafe, format!("migrate to `{gv}` {kind}"))
        .replace(&Pointer::root().key("apiVersion"), json!(gv));
    match (api.group, api.kind) {
        ("policy", "PodDisruptionBudget") => {
            // an empty selector selects no pods in v1beta1 but every pod in v1
            let selector = obj.spec().and_then(|s| s.get("selector"));
            match selector.filter(|s| !s.is_null()) {
                None => Some(fix),
                Some(s) if selector_is_empty(s) => None,
                Some(_) => Some(fix),
            }
        }
        ("extensions" | "networking.k8s.io", "Ingress") => ingress(obj, fix),
        _ => Some(fix),
    }
}

fn selector_is_empty(s: &Node) -> bool {
    let n = |k: &str| {
        s.get(k)
            .map(|v| v.entries().len() + v.items().len())
            .unwrap_or(0)
    };
    n("matchLabels") == 0 && n("matchExpressions") == 0
}

/// A v1beta1 backend in v1: `serviceName`/`servicePort` become `service.name` and
/// `service.port.number` (an integer) or `service.port.name`; `None` when it is not
/// a service backend written completely.
fn service_backend(b: &Node) -> Option<Value> {
    let name = b.get("serviceName")?.as_text()?;
    let port = b.get("servicePort")?;
    let port = match port.as_i64() {
        Some(n) => json!({"number": n}),
        None => json!({"name": port.as_text()?}),
    };
    Some(json!({"name": name, "port": port}))
}

/// Whether a mapping is written in flow style (`{...}`): its span starts before its
/// first key.
fn is_flow_map(n: &Node) -> bool {
    n.entries()
        .first()
        .is_some_and(|e| e.key_span.start != n.span.start)
}

/// Ingress v1beta1 to v1: `spec.backend` becomes `spec.defaultBackend`, every
/// service backend is restructured, and a path without `pathType` gets
/// `ImplementationSpecific` (how v1beta1 read it). `None` when a backend is neither
/// a complete service backend nor a resource backend.
fn ingress(obj: &Object, mut fix: Fix) -> Option<Fix> {
    let Some(spec) = obj.spec().filter(|s| s.is_map()) else {
        return Some(fix);
    };
    let spec_ptr = Pointer::root().key("spec");
    if let Some(b) = spec.get("backend").filter(|b| !b.is_null()) {
        let from = spec_ptr.key("backend");
        if b.get("resource").is_none() {
            let service = service_backend(b)?;
            if b.entries().len() != 2 {
                return None;
            }
            if is_flow_map(b) {
                fix = fix.replace(&from, json!({"service": service}));
            } else {
                fix = fix
                    .remove(&from.key("serviceName"))
                    .remove(&from.key("servicePort"))
                    .add(&from.key("service"), service);
            }
        }
        fix.edits.push(json!({
            "op": "move",
            "from": from.to_string(),
            "path": spec_ptr.key("defaultBackend").to_string(),
        }));
    }
    let rules = spec.get("rules").map(Node::items).unwrap_or_default();
    for (i, rule) in rules.iter().enumerate() {
        let paths = rule
            .at(&["http", "paths"])
            .map(Node::items)
            .unwrap_or_default();
        for (j, p) in paths.iter().enumerate() {
            let at = spec_ptr
                .key("rules")
                .index(i)
                .keys(&["http", "paths"])
                .index(j);
            let b = p.get("backend").filter(|b| !b.is_null())?;
            if b.get("resource").is_none() {
                let service = service_backend(b)?;
                if b.entries().len() != 2 {
                    return None;
                }
                fix = fix.replace(&at.key("backend"), json!({"service": service}));
            }
            if p.get("pathType").filter(|t| !t.is_null()).is_none() {
                fix = fix.set(
                    &obj.root,
                    &at.key("pathType"),
                    json!("ImplementationSpecific"),
                );
            }
        }
    }
    Some(fix)
}
