//! Helpers shared by the STO rules.

use plimsoll_model::{Index, Object};

/// Whether `obj` is a StatefulSet (apps/v1, or OpenKruise's Advanced StatefulSet,
/// which has the same `volumeClaimTemplates` and `serviceName` semantics).
pub fn is_statefulset(obj: &Object) -> bool {
    obj.kind == "StatefulSet" && matches!(obj.group(), "apps" | "apps.kruise.io")
}

/// Whether the input says enough about `ns` to judge a reference from object `id`
/// into it: a Namespace object, or any object of the namespace besides `id` itself.
/// (The referring object alone does not make a namespace known: a single file linted on
/// its own says nothing about what else the namespace holds.)
pub fn namespace_known_besides(index: &Index, ns: &str, id: usize) -> bool {
    index.namespace_object(ns).is_some() || index.in_namespace(ns).iter().any(|&o| o != id)
}
