use plimsoll_model::{Node, Object, Pointer};

use super::util::{is_vpa, target_ref, vpa_update_mode};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Checks a VerticalPodAutoscaler's `spec.updatePolicy.updateMode`:
    /// - `Auto` (warning): deprecated since VPA 1.5.0, where it is "equivalent to
    ///   Recreate"; use an explicit mode.
    /// - `Recreate`, `Auto`, or no `updateMode` (the default is `Recreate` from VPA
    ///   1.6.0, `Auto` before; both evict) on a workload in the input that
    ///   - has at least 2 replicas but no PodDisruptionBudget (warning): the updater
    ///     evicts pods to resize them, guarded only by its own eviction tolerance;
    ///   - has fewer than 2 replicas and `updatePolicy.minReplicas: 1` (warning):
    ///     every resize evicts the only pod;
    ///   - has fewer than 2 replicas otherwise (info): the updater never evicts it
    ///     (its `--min-replicas` default is 2), so the mode acts like `Initial`.
    /// - `InPlace` (info): added in VPA 1.7.0 as alpha, behind the updater's `InPlace`
    ///   feature gate.
    ///
    /// `Off`, `Initial` and `InPlaceOrRecreate` (GA since VPA 1.6.0) are not reported.
    /// Replica counts follow `spec.replicas` (default 1) or an HPA's `minReplicas`.
    ///
    /// ## Why it matters in production
    /// In `Recreate` mode, applying a new recommendation means evicting a running pod
    /// and letting its controller create a new one. Without a PodDisruptionBudget
    /// nothing stops the updater from evicting several replicas at once during peak
    /// traffic; with a single replica each resize is an outage. The deprecated `Auto`
    /// hides which behaviour was chosen and will change meaning.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: autoscaling.k8s.io/v1
    /// kind: VerticalPodAutoscaler
    /// metadata: {name: api}
    /// spec:
    ///   targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   updatePolicy: {updateMode: Auto}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   updatePolicy: {updateMode: InPlaceOrRecreate}
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Fix safety
    /// For the deprecated `updateMode: Auto` the fix writes `Recreate`. It is safe:
    /// `Auto` has always evicted pods to resize them, and VPA 1.5.0 made it an alias
    /// of `Recreate`, so the updater does what it did. The other findings get no fix:
    /// the mode to use (and whether a budget is needed) depends on the workload and
    /// the VPA version installed in the cluster.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/autoscaling/#scaling-workloads-vertically>
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    /// - <https://github.com/kubernetes/autoscaler/blob/master/vertical-pod-autoscaler/docs/features.md>
    pub struct VpaUpdateMode {
        code: "SCL005",
        name: "vpa-update-mode",
        severity: Warning,
        default: true,
        fix: Safe,
        summary: "A VPA's update mode evicts pods unsafely, is deprecated or is alpha",
    }
}

impl Rule for VpaUpdateMode {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_vpa(obj) {
            return;
        }
        let mode = vpa_update_mode(obj);
        let path = Pointer::root().keys(&["spec", "updatePolicy", "updateMode"]);
        match mode {
            Some("Auto") => {
                out.report(
                    id,
                    path.clone(),
                    "updateMode `Auto` is deprecated since VPA 1.5.0 and means `Recreate`: \
                     use an explicit update mode",
                )
                .fix(
                    Fix::new(Applicability::Safe, "write `Recreate`, what `Auto` means")
                        .replace(&path, serde_json::json!("Recreate")),
                );
            }
            Some("InPlace") => {
                let f = out.report(
                    id,
                    path,
                    "updateMode `InPlace` is alpha (VPA 1.7.0, behind the `InPlace` feature \
                     gate): consider `InPlaceOrRecreate`",
                );
                f.severity = Severity::Info;
                return;
            }
            None | Some("Recreate") => {}
            _ => return,
        }
        let mode_text = match mode {
            Some(m) => format!("updateMode `{m}`"),
            None => "the default updateMode (`Recreate`, `Auto` before VPA 1.6.0)".to_string(),
        };
        let (Some(ns), Some((kind, name))) =
            (obj.namespace.as_deref(), target_ref(obj, "targetRef"))
        else {
            return;
        };
        let Some((wid, _)) = cx.index.get(kind, Some(ns), name) else {
            if cx.index.knows_namespace_besides(ns, id) {
                // the target is missing: nothing to say about its evictions
                return;
            }
            out.not_evaluated(
                id,
                format!(
                    "{kind} `{name}` is not in the input, so its replicas and disruption \
                     budget are unknown"
                ),
            );
            return;
        };
        let Some(replicas) = cx.index.expected_min_replicas(wid) else {
            return;
        };
        let vpa_min = obj
            .root
            .at(&["spec", "updatePolicy", "minReplicas"])
            .and_then(Node::as_i64);
        if replicas < 2 {
            if vpa_min.is_some_and(|m| m <= 1) {
                out.report(
                    id,
                    path,
                    format!(
                        "{mode_text} with updatePolicy.minReplicas {} evicts the only pod of \
                         {kind} `{name}` ({replicas} replica) on every resize: downtime",
                        vpa_min.unwrap_or(1)
                    ),
                )
                .related(wid, Pointer::root().keys(&["spec", "replicas"]));
            } else {
                let f = out.report(
                    id,
                    path,
                    format!(
                        "{mode_text} never evicts {kind} `{name}` ({replicas} replica, below \
                         the updater's default --min-replicas of 2): recommendations apply \
                         only when its pod restarts"
                    ),
                );
                f.severity = Severity::Info;
                f.related(wid, Pointer::root().keys(&["spec", "replicas"]));
            }
            return;
        }
        if cx.index.pdbs_for(wid).is_empty() {
            out.report(
                id,
                path,
                format!(
                    "{mode_text} evicts pods of {kind} `{name}`, which no \
                     PodDisruptionBudget protects: several replicas may be evicted at once"
                ),
            )
            .related(wid, Pointer::root());
        }
    }
}
