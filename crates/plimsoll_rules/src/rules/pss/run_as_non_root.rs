use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `runAsNonRoot: false` anywhere, and containers that neither set
    /// `runAsNonRoot: true` nor inherit it from the pod's `securityContext` (Pod Security
    /// check `runAsNonRoot`, restricted, all policy versions). From policy version 1.35
    /// pods with `spec.hostUsers: false` are exempt (root in a user namespace is not root
    /// on the node).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. Not in the `default`
    /// profile: restricted is a hardening target, not a risk every workload must fix;
    /// select the `pss-restricted` profile (or the rule) to apply it.
    ///
    /// ## Why it matters in production
    /// A container running as UID 0 is root on the node if it escapes; `runAsNonRoot: true`
    /// makes the kubelet refuse to start an image whose user is root.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    ///   containers:
    ///     - name: api
    ///       image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix sets `runAsNonRoot: true` where the finding points (the
    /// container's own security context when neither it nor the pod sets the field, or
    /// the `false` in place). The kubelet then refuses to start a container whose image
    /// runs as root and that sets no non-zero `runAsUser`, so check the image's `USER`
    /// first. A container that runs as `runAsUser: 0` gets no fix: it would never start
    /// (`pss-run-as-user` reports the UID).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    pub struct RunAsNonRoot {
        code: "PSS103",
        name: "pss-run-as-non-root",
        severity: Error,
        default: false,
        profiles: ["pss-restricted"],
        fix: Unsafe,
        summary: "A pod may run as root",
    }
}

impl Rule for RunAsNonRoot {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "runAsNonRoot",
            None,
            Some(fix::run_as_non_root),
        );
    }
}
