use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates (every workload kind) whose `priorityClassName` names a
    /// PriorityClass the input does not hold. The built-in `system-cluster-critical`
    /// and `system-node-critical` are never reported.
    ///
    /// PriorityClasses are cluster-scoped and usually installed once per cluster, apart
    /// from the applications: when the input holds no PriorityClass at all, the
    /// workload is reported as not evaluated; when it holds some but not this one, the
    /// name is reported.
    ///
    /// ## Why it matters in production
    /// The Priority admission plugin rejects pods whose PriorityClass does not exist
    /// (`no PriorityClass with name ... was found`): the controller keeps failing to
    /// create pods and nothing runs.
    ///
    /// ## Example
    /// ```yaml
    /// kind: PriorityClass
    /// apiVersion: scheduling.k8s.io/v1
    /// metadata: {name: business-critical}
    /// value: 100000
    /// ---
    /// spec:
    ///   template:
    ///     spec:
    ///       priorityClassName: critical
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       priorityClassName: business-critical
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which priority is right is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#priority>
    pub struct PriorityClassNotFound {
        code: "REF007",
        name: "priority-class-not-found",
        severity: Error,
        default: true,
        summary: "A pod template names a PriorityClass that does not exist",
    }
}

const BUILT_IN: &[&str] = &["system-cluster-critical", "system-node-critical"];

impl Rule for PriorityClassNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(name) = t
            .spec_field("priorityClassName")
            .and_then(Node::as_text)
            .filter(|n| !n.is_empty())
        else {
            return;
        };
        let is_pc = |o: &Object| o.group() == "scheduling.k8s.io";
        if BUILT_IN.contains(&name)
            || cx
                .index
                .get("PriorityClass", None, name)
                .is_some_and(|(_, o)| is_pc(o))
        {
            return;
        }
        if !cx.index.of_kind("PriorityClass").any(|(_, o)| is_pc(o)) {
            out.not_evaluated(
                id,
                format!(
                    "the input holds no PriorityClass, so whether PriorityClass `{name}` \
                     exists in the cluster is unknown"
                ),
            );
            return;
        }
        out.report(
            id,
            t.spec_pointer(&["priorityClassName"]),
            format!(
                "priorityClassName names PriorityClass `{name}`, which is not in the input: \
                 the API server rejects the pods"
            ),
        );
    }
}
