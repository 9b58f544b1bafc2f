use plimsoll_model::Object;

use super::util::report_check;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports volumes whose source is not configMap, csi, downwardAPI, emptyDir,
    /// ephemeral, image, persistentVolumeClaim, projected or secret (Pod Security check
    /// `restrictedVolumes`, restricted, all policy versions; it replaces
    /// `hostPathVolumes`). A volume without a source counts as emptyDir, as the API server
    /// defaults it.
    ///
    /// The policy version is `--pss-version` (latest when unset). Every pod template is
    /// judged: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
    /// ReplicationControllers, PodTemplates and Argo Rollouts. Not in the `default`
    /// profile: restricted is a hardening target, not a risk every workload must fix;
    /// select the `pss-restricted` profile (or the rule) to apply it.
    ///
    /// ## Why it matters in production
    /// Direct volume sources (hostPath, nfs, iscsi, rbd, ...) bypass the PersistentVolume
    /// layer and its access control: a pod can mount any export or disk it names.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: shared
    ///     nfs:
    ///       server: nfs.example.com
    ///       path: /exports/shared
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// volumes:
    ///   - name: shared
    ///     persistentVolumeClaim:
    ///       claimName: shared
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: changing the security context can break an application that relies
    /// on the privilege, so the change needs a test.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/>
    /// - <https://kubernetes.io/docs/concepts/storage/volumes/>
    pub struct RestrictedVolumes {
        code: "PSS101",
        name: "pss-restricted-volumes",
        severity: Error,
        default: false,
        profiles: ["pss-restricted"],
        summary: "A pod uses a volume type other than the restricted set",
    }
}

impl Rule for RestrictedVolumes {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report_check(cx, id, obj, out, "restrictedVolumes", None);
    }
}
