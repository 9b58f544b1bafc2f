//! Helpers shared by the SEC rules. `service_account` and `is_windows` belong in the
//! model's `PodTemplate`.

use plimsoll_model::{Node, PodTemplate, Pointer};

/// The ServiceAccount the pods of a template run as, and the pointer of the field
/// that names it (or of `serviceAccountName` when none does). Kubernetes reads
/// `serviceAccountName`, then the deprecated `serviceAccount`, then uses `default`.
pub fn service_account<'a>(t: &PodTemplate<'a>) -> (&'a str, Pointer, bool) {
    for field in ["serviceAccountName", "serviceAccount"] {
        if let Some(name) = t.spec.get(field).and_then(Node::as_text)
            && !name.is_empty()
        {
            return (name, t.spec_pointer(&[field]), true);
        }
    }
    ("default", t.spec_pointer(&["serviceAccountName"]), false)
}

/// Whether the pods run on Windows (`spec.os.name: windows`), where the API server
/// forbids the Linux-only security fields.
pub fn is_windows(t: &PodTemplate) -> bool {
    t.spec.at(&["os", "name"]).and_then(Node::as_text) == Some("windows")
}
