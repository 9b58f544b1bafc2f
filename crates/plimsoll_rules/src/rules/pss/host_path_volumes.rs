use plimsoll_model::Object;

use super::util::report_check;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports `spec.volumes[*].hostPath` (Pod Security check `hostPathVolumes`, baseline,
    /// all policy versions). When `pss-restricted-volumes` (PSS101) runs too, it replaces
    /// this check, as upstream's restricted level does.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. In the `default`,
    /// `pss-baseline` and `pss-restricted` profiles.
    ///
    /// ## Why it matters in production
    /// A hostPath volume exposes the node's filesystem to the pod: the container runtime
    /// socket, kubelet credentials, other pods' data. The baseline level forbids it.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   volumes:
    ///     - name: docker
    ///       hostPath:
    ///         path: /var/run/docker.sock
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   volumes:
    ///     - name: scratch
    ///       emptyDir: {}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: changing the security context can break an application that relies
    /// on the privilege, so the change needs a test.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/concepts/storage/volumes/#hostpath>
    pub struct HostPathVolumes {
        code: "PSS005",
        name: "pss-host-path-volumes",
        severity: Error,
        default: true,
        profiles: ["pss-baseline", "pss-restricted"],
        summary: "A pod mounts a hostPath volume",
    }
}

impl Rule for HostPathVolumes {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check(
            cx,
            id,
            obj,
            out,
            "hostPathVolumes",
            Some(("PSS101", "restrictedVolumes")),
        );
    }
}
