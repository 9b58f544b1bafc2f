//! Helpers shared by the STO rules.

use plimsoll_model::Object;

/// Whether `obj` is a StatefulSet (apps/v1, or OpenKruise's Advanced StatefulSet,
/// which has the same `volumeClaimTemplates` and `serviceName` semantics).
pub fn is_statefulset(obj: &Object) -> bool {
    obj.kind == "StatefulSet" && matches!(obj.group(), "apps" | "apps.kruise.io")
}
