use plimsoll_model::{KubeVersion, LabelSelector, Object, PodTemplate, Pointer};
use serde_json::{Value, json};

use super::util::{hpa_of, multi_replica};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};
use crate::rules::coverage::{covers, not_covered};

declare_rule! {
    /// ## What it does
    /// Reports workloads that run, or may run, two or more pods (`spec.replicas` of 2 or
    /// more, or an HPA with `maxReplicas` of 2 or more) when no PodDisruptionBudget in
    /// the input selects their pods. Deployments, StatefulSets, ReplicaSets,
    /// ReplicationControllers and Argo Rollouts without a controlling owner are checked.
    ///
    /// A PodDisruptionBudget may sit in any file of the namespace, so "no budget"
    /// is judged as the REF rules judge a missing object: only when the input holds
    /// the whole namespace (its `Namespace` object, or manifests read from a
    /// directory, a rendered chart or overlay, standard input or a root: `--root`,
    /// `root:` in `.plimsoll.yaml`) or at least one PodDisruptionBudget of the
    /// namespace (budgets are then kept with the workloads, and one that is not in the
    /// input is missing). Otherwise, as for a file named on its own by a pre-commit
    /// hook, the workload is reported as not evaluated. A budget in the input that
    /// selects the pods is enough to pass, wherever it comes from.
    ///
    /// ## Why it matters in production
    /// Without a budget, `kubectl drain`, cluster-autoscaler scale-down and node
    /// upgrades evict every pod of a node at once. When several replicas share a node,
    /// or several nodes drain in parallel, all replicas can be gone at the same time.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec: ...
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    ///   unhealthyPodEvictionPolicy: AlwaysAllow
    /// ```
    ///
    /// ## Fix safety
    /// The fix appends a `policy/v1` PodDisruptionBudget named after the workload to
    /// the file that holds it: same namespace, the workload's own `spec.selector` (or
    /// its pod template labels when it has none), `maxUnavailable: 1` and, from
    /// Kubernetes 1.27, `unhealthyPodEvictionPolicy: AlwaysAllow`. It is unsafe: the
    /// budget slows node drains and upgrades to one pod at a time, and the right budget
    /// depends on how much capacity the application can lose. No fix is offered when a
    /// PodDisruptionBudget of that name exists, another workload of the namespace has
    /// the same name, or the selector would also select another workload's pods.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/disruptions/>
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    pub struct PdbMissing {
        code: "AVL002",
        name: "pdb-missing",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A multi-replica workload has no PodDisruptionBudget",
    }
}

/// The kinds whose presence in a namespace shows that the input manages its budgets.
const PDBS: &[(&str, &str)] = &[("policy", "PodDisruptionBudget")];

impl Rule for PdbMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        if !multi_replica(cx, id) || !cx.index.pdbs_for(id).is_empty() {
            return;
        }
        if !covers(cx.index, PDBS, ns) {
            out.not_evaluated(
                id,
                not_covered(
                    "PodDisruptionBudget",
                    ns,
                    "a PodDisruptionBudget selects its pods",
                ),
            );
            return;
        }
        let replicas = cx.index.expected_min_replicas(id).unwrap_or(1);
        let how = match hpa_of(cx, id) {
            Some((_, Some(max))) => format!("scales from {replicas} to {max} replicas"),
            _ => format!("runs {replicas} replicas"),
        };
        let f = out.report(
            id,
            Pointer::root().keys(&["metadata", "name"]),
            format!(
                "{} `{}` {how} but no PodDisruptionBudget selects its pods",
                obj.kind, obj.name
            ),
        );
        if let Some(fix) = budget_fix(cx, id, obj, ns) {
            f.fix(fix);
        }
    }
}

/// A PodDisruptionBudget for the workload, appended to its file, when its name and
/// selector are its own.
fn budget_fix(cx: &Context, id: usize, obj: &Object, ns: &str) -> Option<Fix> {
    let name = obj.name.as_str();
    if name.is_empty()
        || cx
            .index
            .all_named("PodDisruptionBudget", Some(ns), name)
            .iter()
            .any(|&p| cx.index.object(p).group() == "policy")
        || cx
            .index
            .workloads_in(ns)
            .iter()
            .any(|&w| w != id && cx.index.object(w).name == name)
    {
        return None;
    }
    let spec_selector = obj.spec().and_then(|s| s.get("selector"));
    let (selector, json_selector) = match spec_selector {
        // a LabelSelector (Deployment, StatefulSet, ReplicaSet, Rollout)
        Some(sel) if sel.get("matchLabels").is_some() || sel.get("matchExpressions").is_some() => {
            (LabelSelector::from_label_selector(sel)?, sel.to_json())
        }
        // a plain map (ReplicationController, DeploymentConfig)
        Some(sel) if sel.is_map() && !sel.entries().is_empty() => (
            LabelSelector::from_map(sel),
            json!({"matchLabels": sel.to_json()}),
        ),
        Some(_) => return None,
        None => {
            let t = PodTemplate::of(obj)?;
            let labels: serde_json::Map<String, Value> = t
                .labels()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect();
            let m = obj
                .root
                .at(&["spec", "template", "metadata", "labels"])
                .filter(|n| n.is_map())?;
            (LabelSelector::from_map(m), json!({"matchLabels": labels}))
        }
    };
    if selector.is_empty() || cx.index.workloads_matching(ns, &selector) != [id] {
        return None;
    }
    let mut spec = json!({"maxUnavailable": 1, "selector": json_selector});
    if cx.kube_version >= KubeVersion::new(1, 27) {
        spec["unhealthyPodEvictionPolicy"] = json!("AlwaysAllow");
    }
    Some(
        Fix::new(
            Applicability::Unsafe,
            format!("add PodDisruptionBudget `{name}` with maxUnavailable: 1"),
        )
        .add_document(json!({
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": ns},
            "spec": spec,
        })),
    )
}
