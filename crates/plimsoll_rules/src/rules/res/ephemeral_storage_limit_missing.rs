use plimsoll_model::{Object, PodTemplate};

use super::util::{copied_fix, is_invalid};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers without an `ephemeral-storage` limit: regular containers,
    /// init containers and sidecars. Ephemeral containers cannot have resources and
    /// are not checked. Pod-level resources (`spec.resources`) do not cover it: they
    /// accept only cpu and memory.
    ///
    /// This rule is **off by default**, like the cpu limit rule (RES004): a limit too
    /// close to real usage gets the pod evicted, and many clusters run without any
    /// local-storage policy. Enable it where nodes have small root disks or a
    /// ResourceQuota on `limits.ephemeral-storage` requires one. kube-score checks the
    /// request and the limit together in one default check
    /// (`container-ephemeral-storage-request-and-limit`) and kube-linter's
    /// `unset-ephemeral-storage-requirements` checks the limit; plimsoll reports the
    /// request (RES012) and the limit as two rules.
    ///
    /// ## Why it matters in production
    /// Without a limit, one container that writes without bound (verbose logs, a
    /// runaway cache or temp directory in its writable layer) fills the node's disk.
    /// The node then comes under disk pressure: the kubelet stops admitting pods and
    /// evicts pods of other workloads, those using most over their requests first, and
    /// the image garbage collector deletes images other pods need to restart. With a
    /// limit the kubelet evicts only the pod that exceeded it.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi, ephemeral-storage: 1Gi}
    ///       limits: {memory: 256Mi}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi, ephemeral-storage: 1Gi}
    ///       limits: {memory: 256Mi, ephemeral-storage: 2Gi}
    /// ```
    ///
    /// ## Fix safety
    /// When the container has an ephemeral-storage request, the fix writes a limit
    /// equal to it (`resources.limits.ephemeral-storage`, the request's text as
    /// written). It is display-only: a limit below what the application writes gets
    /// its pod evicted, and a request is often sized for the usual, not the peak.
    /// Without a request no value follows from the manifest and there is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/>
    pub struct EphemeralStorageLimitMissing {
        code: "RES013",
        name: "ephemeral-storage-limit-missing",
        severity: Warning,
        default: false,
        fix: DisplayOnly,
        summary: "A container has no ephemeral-storage limit",
    }
}

const RES: &str = "ephemeral-storage";

impl Rule for EphemeralStorageLimitMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            let r = c.resources();
            if r.limits.get(RES).is_some() || is_invalid(&r, RES) {
                continue;
            }
            let path = c.field_pointer(&["resources", "limits", RES]);
            let fix = copied_fix(c.get("resources"), &path, "requests", "limits", RES, |q| {
                format!("set the ephemeral-storage limit to the request ({q})")
            });
            let f = out.report_container(
                id,
                &c,
                path,
                format!(
                    "{} `{}` has no ephemeral-storage limit: if it fills the node's disk, the node comes under disk pressure and the kubelet evicts pods of other workloads too, not this pod alone",
                    c.kind.as_str(),
                    c.name
                ),
            );
            if let Some(fix) = fix {
                f.fix(fix);
            }
        }
    }
}
