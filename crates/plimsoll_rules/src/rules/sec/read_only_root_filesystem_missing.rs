use plimsoll_model::{Object, PodTemplate};

use super::util::is_windows;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers that do not set `securityContext.readOnlyRootFilesystem:
    /// true`: regular containers, init containers, sidecars and ephemeral containers
    /// (the field exists only per container; there is no pod-level default). Windows
    /// pods (`spec.os.name: windows`) are skipped: the API server forbids the field
    /// there.
    ///
    /// ## Why it matters in production
    /// A writable root filesystem lets an attacker who gets code execution drop tools
    /// and persist changes in the container, and lets a buggy application fill the
    /// node's disk through the container's writable layer (which also counts against
    /// ephemeral-storage and leads to evictions). With a read-only root, writes go only
    /// to the volumes you mounted on purpose, such as an `emptyDir` for `/tmp`.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       readOnlyRootFilesystem: true
    ///     volumeMounts:
    ///       - {name: tmp, mountPath: /tmp}
    /// volumes:
    ///   - name: tmp
    ///     emptyDir: {}
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix sets `readOnlyRootFilesystem: true` in the container's own
    /// security context. An application that writes to its root filesystem (caches,
    /// `/tmp`, pid files) crashes once it is read-only; mount an `emptyDir` at the paths
    /// it writes before applying it.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    /// - <https://kubernetes.io/docs/concepts/security/security-checklist/>
    pub struct ReadOnlyRootFilesystemMissing {
        code: "SEC001",
        name: "read-only-root-filesystem-missing",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A container's root filesystem is writable",
    }
}

impl Rule for ReadOnlyRootFilesystemMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if is_windows(&t) {
            return;
        }
        for c in t.containers() {
            let field = c
                .get("securityContext")
                .and_then(|s| s.get("readOnlyRootFilesystem"));
            let what = match field.map(|f| (f.as_bool(), f)) {
                Some((Some(true), _)) => continue,
                Some((Some(false), _)) => "sets `securityContext.readOnlyRootFilesystem: false`",
                Some((None, f)) if !f.is_null() => {
                    "has a `securityContext.readOnlyRootFilesystem` that is not a boolean"
                }
                _ => "does not set `securityContext.readOnlyRootFilesystem: true`",
            };
            let path = c.field_pointer(&["securityContext", "readOnlyRootFilesystem"]);
            let fix = Fix::new(
                Applicability::Unsafe,
                format!(
                    "set securityContext.readOnlyRootFilesystem: true on {} `{}`",
                    c.kind.as_str(),
                    c.name
                ),
            )
            .set(&obj.root, &path, serde_json::json!(true));
            out.report_container(
                id,
                &c,
                path,
                format!(
                    "{} `{}` {what}, so its root filesystem is writable",
                    c.kind.as_str(),
                    c.name
                ),
            )
            .fix(fix);
        }
    }
}
