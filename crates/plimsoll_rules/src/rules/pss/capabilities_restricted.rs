use plimsoll_model::Object;

use super::fix;
use super::util::report_check_fixed;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports init, regular and ephemeral containers whose
    /// `securityContext.capabilities.drop` does not contain `ALL`, and entries of
    /// `capabilities.add` other than `NET_BIND_SERVICE` (Pod Security check
    /// `capabilities_restricted`, restricted, policy version 1.22+, replacing
    /// `capabilities_baseline`; from 1.25 Windows pods are exempt).
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. Not in the `default`
    /// profile: restricted is a hardening target, not a risk every workload must fix;
    /// select the `pss-restricted` profile (or the rule) to apply it.
    ///
    /// ## Why it matters in production
    /// The runtime's default capability set still includes CHOWN, DAC_OVERRIDE, SETUID and
    /// others that help an attacker after a compromise; dropping ALL leaves only what the
    /// container adds.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       capabilities:
    ///         add: [CHOWN]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     securityContext:
    ///       capabilities:
    ///         drop: [ALL]
    ///         add: [NET_BIND_SERVICE]
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix adds `ALL` to `capabilities.drop` (creating the list when it is
    /// missing) and removes every capability but `NET_BIND_SERVICE` from
    /// `capabilities.add`, as `pss-capabilities-baseline` does for the ones it forbids.
    /// The container then runs without the default capabilities (`CHOWN`, `SETUID`,
    /// `KILL`, ...); an image whose entrypoint changes file ownership or switches user
    /// fails with `EPERM`, so test it first.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container>
    pub struct CapabilitiesRestricted {
        code: "PSS106",
        name: "pss-capabilities-restricted",
        severity: Error,
        default: false,
        profiles: ["pss-restricted"],
        fix: Unsafe,
        summary: "A container does not drop ALL capabilities or adds more than NET_BIND_SERVICE",
    }
}

impl Rule for CapabilitiesRestricted {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check_fixed(
            cx,
            id,
            obj,
            out,
            "capabilities_restricted",
            None,
            Some(fix::capabilities),
        );
    }
}
