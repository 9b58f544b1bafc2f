use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates with `spec.shareProcessNamespace: true`.
    ///
    /// ## Why it matters in production
    /// With one process namespace for the pod, every container sees the processes of
    /// the others, can signal them, and can read their environment and files through
    /// `/proc/<pid>/environ` and `/proc/<pid>/root` (subject to the usual user and
    /// capability checks). A compromised sidecar then reaches the application's
    /// secrets, and the application no longer runs as PID 1, which changes how
    /// signals and zombie processes are handled.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   shareProcessNamespace: true
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    ///     - name: log-agent
    ///       image: registry.example.com/log-agent:3.0.1
    /// ```
    ///
    /// ## Use instead
    /// Share data through a volume, and debug with an ephemeral container
    /// (`kubectl debug --target=api`), which joins one container's namespace only for
    /// the session:
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    ///     - name: log-agent
    ///       image: registry.example.com/log-agent:3.0.1
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes `shareProcessNamespace: true`. A sidecar that signals the
    /// application (a config reloader sending SIGHUP) stops working without the shared
    /// namespace, and the application runs as PID 1 again, so it must reap its children
    /// and handle signals itself.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/>
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container>
    pub struct ShareProcessNamespace {
        code: "SEC005",
        name: "share-process-namespace",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "The containers of a pod share one process namespace",
    }
}

impl Rule for ShareProcessNamespace {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if t.spec_field("shareProcessNamespace")
            .and_then(Node::as_bool)
            == Some(true)
        {
            let path = t.spec_pointer(&["shareProcessNamespace"]);
            out.report(
                id,
                path.clone(),
                "`shareProcessNamespace: true` lets every container of the pod see, signal and read the processes of the others",
            )
            .fix(Fix::new(Applicability::Unsafe, "remove shareProcessNamespace: true").remove(&path));
        }
    }
}
