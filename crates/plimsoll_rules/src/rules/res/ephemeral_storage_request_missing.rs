use plimsoll_model::{Object, PodTemplate};

use super::util::{copied_fix, is_invalid};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports containers without an `ephemeral-storage` request: regular containers,
    /// init containers and sidecars (`initContainers` with `restartPolicy: Always`).
    /// Ephemeral containers cannot have resources and are not checked. A limit without
    /// a request counts as a request (the API server defaults the request to the
    /// limit). A request of `0` is reported too. Pod-level resources
    /// (`spec.resources`) do not cover it: they accept only cpu and memory.
    ///
    /// This rule is **off by default**, like the cpu limit rule (RES004): most
    /// workloads write little besides their logs, and many clusters run without any
    /// local-storage accounting policy. Enable it where nodes have small root disks or
    /// workloads write scratch data to their filesystem or to `emptyDir` volumes.
    /// kube-score checks the request and the limit together in one default check
    /// (`container-ephemeral-storage-request-and-limit`); plimsoll reports them as two
    /// rules (this one and RES013) so that a team can require one without the other.
    ///
    /// ## Why it matters in production
    /// The scheduler places pods by their requests. Without an ephemeral-storage
    /// request it counts the container as writing nothing to the node's disk (its
    /// writable layer, its logs, its disk-backed `emptyDir` volumes), so pods that do
    /// write are packed onto nodes whose disks they then fill. When a node comes under
    /// disk pressure the kubelet evicts first the pods whose usage exceeds their
    /// requests: with no request, that is every byte the pod wrote.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       requests: {cpu: 250m, memory: 256Mi}
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
    /// When the container writes a zero ephemeral-storage request beside a non-zero
    /// limit, the fix sets the request to the limit (the limit's text as written). It
    /// is display-only: the right request depends on how much the application writes
    /// to its filesystem and logs, and a request at the limit reserves the whole limit
    /// on the node's disk. Without a limit no value follows from the manifest and there
    /// is no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/>
    pub struct EphemeralStorageRequestMissing {
        code: "RES012",
        name: "ephemeral-storage-request-missing",
        severity: Warning,
        default: false,
        fix: DisplayOnly,
        summary: "A container has no ephemeral-storage request",
    }
}

const RES: &str = "ephemeral-storage";

impl Rule for EphemeralStorageRequestMissing {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
            let r = c.resources();
            if is_invalid(&r, RES) {
                continue;
            }
            let path = c.field_pointer(&["resources", "requests", RES]);
            // a zero request beside a non-zero limit: the request may be the limit
            let fix = copied_fix(c.get("resources"), &path, "limits", "requests", RES, |q| {
                format!("set the ephemeral-storage request to the limit ({q})")
            });
            let f = match r.effective_request(RES) {
                None => out.report_container(
                    id,
                    &c,
                    path,
                        format!(
                            "{} `{}` has no ephemeral-storage request: the scheduler places it as if it wrote nothing to the node's disk, and under disk pressure its pod is among the first evicted",
                            c.kind.as_str(),
                        c.name
                    ),
                ),
                Some(q) if q.is_zero() => {
                    let path = if r.requests.get(RES).is_some() {
                        path
                    } else {
                        c.field_pointer(&["resources", "limits", RES])
                    };
                    out.report_container(
                        id,
                        &c,
                        path,
                        format!(
                            "{} `{}` has a zero ephemeral-storage request: the scheduler places it as if it wrote nothing to the node's disk, and under disk pressure its pod is among the first evicted",
                            c.kind.as_str(),
                            c.name
                        ),
                    )
                }
                Some(_) => continue,
            };
            if let Some(fix) = fix {
                f.fix(fix);
            }
        }
    }
}
