use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `securityContext.appArmorProfile.type` other than `RuntimeDefault` or
    /// `Localhost` (pod level and every container), and template annotations
    /// `container.apparmor.security.beta.kubernetes.io/*` other than empty,
    /// `runtime/default` or `localhost/*` (Pod Security check `appArmorProfile`, baseline,
    /// all policy versions).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// `Unconfined` removes the AppArmor confinement the runtime applies by default, which
    /// blocks many container escapes. The baseline level forbids it.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         container.apparmor.security.beta.kubernetes.io/api: unconfined
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    ///           securityContext:
    ///             appArmorProfile:
    ///               type: RuntimeDefault
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix sets the forbidden `appArmorProfile.type` to `RuntimeDefault`, and
    /// an AppArmor annotation to `runtime/default`. The runtime's default profile denies
    /// mounts and writes to parts of `/proc` and `/sys` that a node agent may need; test
    /// the workload first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tutorials/security/apparmor/>
    pub struct AppArmorProfile {
        code: "PSS007",
        name: "pss-apparmor-profile",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        fix: Unsafe,
        summary: "A pod disables or overrides the default AppArmor profile",
    }
}

impl Rule for AppArmorProfile {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "appArmorProfile",
            None,
            Some(fix::app_armor),
        );
    }
}
