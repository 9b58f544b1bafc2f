use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports critical workloads without `priorityClassName` in their pod template.
    /// A workload is critical when a PodDisruptionBudget in the input selects it, or
    /// when it matches an entry of the `critical-namespaces` setting: a namespace name,
    /// or a label `key=value` carried by the workload or its pod template.
    /// Pods and templates owned by a controller are judged through their owner.
    ///
    /// ## Why it matters in production
    /// Without a class, pods get the cluster's `globalDefault` PriorityClass, or
    /// priority 0. When the cluster is full, the scheduler preempts lower-priority pods
    /// to place higher-priority ones, and under node pressure the kubelet evicts
    /// by priority among pods exceeding their requests. A critical API with priority
    /// 0 can therefore be preempted by a batch job or stay `Pending` during a
    /// scale-up while less important pods keep their nodes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: payments, namespace: prod}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: payments
    ///           image: registry.example.com/payments:3.2.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       priorityClassName: business-critical
    ///       containers:
    ///         - name: payments
    ///           image: registry.example.com/payments:3.2.0
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: PriorityClasses are defined per cluster, and which class fits
    /// is a platform decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/>
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/#pod-selection-for-kubelet-eviction>
    pub struct PriorityClassMissing {
        code: "SCH002",
        name: "priority-class-missing",
        severity: Info,
        default: true,
        summary: "A critical workload sets no priorityClassName",
    }
}

impl Rule for PriorityClassMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind == "PodTemplate" || obj.has_controller() {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        if t.spec_field("priorityClassName")
            .and_then(Node::as_text)
            .is_some_and(|p| !p.is_empty())
        {
            return;
        }
        let pdbs = cx.index.pdbs_for(id);
        let reason = if let Some(pdb) = pdbs.first() {
            Some(format!(
                "PodDisruptionBudget `{}` protects it",
                cx.index.object(pdb).name
            ))
        } else {
            cx.settings
                .critical_namespaces
                .iter()
                .find_map(|entry| match entry.split_once('=') {
                    Some((k, v)) => {
                        let labelled = obj.label(k) == Some(v)
                            || t.labels().any(|(lk, lv)| lk == k && lv == v);
                        labelled.then(|| format!("it carries the critical label `{entry}`"))
                    }
                    None => (obj.namespace.as_deref() == Some(entry.as_str()))
                        .then(|| format!("namespace `{entry}` is critical")),
                })
        };
        let Some(reason) = reason else {
            return;
        };
        let f = out.report(
            id,
            t.spec_pointer(&["priorityClassName"]),
            format!("{} sets no priorityClassName although {reason}", obj.kind),
        );
        if let Some(pdb) = pdbs.first() {
            f.related(
                pdb,
                plimsoll_model::Pointer::root().keys(&["spec", "selector"]),
            );
        }
    }
}
