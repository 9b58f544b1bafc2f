use plimsoll_model::{Object, condition};

use super::util::{elapsed, named, relate_pods, some_pods_of, template_and_pods};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pods the scheduler cannot place: phase `Pending` with the condition
    /// `PodScheduled` `False` for the reason `Unschedulable`. The finding is on the
    /// workload a user edits (a bare Pod otherwise), counts its pods that wait, says
    /// for how long, and quotes the scheduler's message (`0/3 nodes are available: 3
    /// Insufficient memory. ...`), which names what no node offers: resources, a
    /// toleration for a taint, a matching node selector or affinity, a free volume
    /// zone, room under a topology spread constraint. When pods wait for different
    /// reasons, the newest message is quoted and the others are counted. Pods held by
    /// `schedulingGates` (reason `SchedulingGated`) are waiting on purpose and are not
    /// reported.
    ///
    /// ## Why it matters in production
    /// A pending pod is capacity the workload asked for and does not have: a rollout
    /// stalls when its new pods cannot start, an HPA's scale-up serves no traffic, a
    /// Job does not run. cluster-autoscaler adds nodes for pods it can help, so a pod
    /// that stays unschedulable for more than a few minutes is one it cannot help
    /// (a request larger than any node type, a selector no node group matches).
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl get pod api-6f7c9d8b4d-q9z8x -o yaml
    /// status:
    ///   phase: Pending
    ///   conditions:
    ///     - type: PodScheduled
    ///       status: "False"
    ///       reason: Unschedulable
    ///       message: "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # requests that fit the nodes (or a node group that fits the requests)
    /// containers:
    ///   - name: api
    ///     resources:
    ///       requests: {cpu: 500m, memory: 1Gi}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the remedy depends on the scheduler's reason.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/#my-pod-stays-pending>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions>
    pub struct PodUnschedulable {
        code: "LIV004",
        name: "pod-unschedulable",
        severity: Warning,
        default: true,
        summary: "Pods are Pending because no node can take them",
    }
}

impl Rule for PodUnschedulable {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some((t, pods)) = template_and_pods(cx, id, obj) else {
            return;
        };
        let mut waiting = Vec::new();
        for (p, ps) in &pods {
            if ps.phase() != Some("Pending") || ps.is_terminating() {
                continue;
            }
            let Some(c) = condition(ps.object, "PodScheduled") else {
                continue;
            };
            if c.status == "False" && c.reason == Some("Unschedulable") {
                waiting.push((*p, c));
            }
        }
        if waiting.is_empty() {
            return;
        }
        // newest transition first: its message is the scheduler's latest word
        waiting.sort_by(|a, b| {
            b.1.last_transition
                .cmp(&a.1.last_transition)
                .then(a.0.cmp(&b.0))
        });
        let now = cx.now();
        let oldest = waiting.iter().filter_map(|(_, c)| c.last_transition).min();
        let since = elapsed(now, oldest)
            .map(|d| format!(" for {d}"))
            .unwrap_or_default();
        let who = if waiting.len() == 1 && waiting[0].0 == id {
            format!("{} cannot be scheduled{since}", named(obj))
        } else {
            format!(
                "{} cannot be scheduled{since}",
                some_pods_of(waiting.len(), pods.len(), obj)
            )
        };
        let quoted = waiting[0].1.message;
        let others = waiting.iter().filter(|(_, c)| c.message != quoted).count();
        let mut msg = match quoted {
            Some(m) => format!("{who}: {}", m.trim()),
            None => format!("{who} (the scheduler gave no message)"),
        };
        if others > 0 {
            msg.push_str(&format!(
                " ({others} other {} another reason)",
                if others == 1 {
                    "pod gives"
                } else {
                    "pods give"
                }
            ));
        }
        let f = out.report(id, t.spec_pointer(&[]), msg);
        relate_pods(f, waiting.iter().map(|(p, c)| (*p, c.pointer())));
    }
}
