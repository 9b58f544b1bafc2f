use plimsoll_model::{Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a node pool whose pods request more than 85% of its allocatable CPU or
    /// memory. A node's pool is the first of these labels it carries:
    /// `karpenter.sh/nodepool`, `eks.amazonaws.com/nodegroup`,
    /// `cloud.google.com/gke-nodepool`, `kubernetes.azure.com/agentpool`, `agentpool`;
    /// the nodes without any form one more pool. The requests are those of the Pods
    /// bound to the pool's nodes that have not finished (as the scheduler counts them),
    /// the allocatable is the sum of the nodes' `status.allocatable`, cordoned nodes
    /// included. Judged only when the input holds Nodes and Pods bound to them (a
    /// snapshot, or a live audit). The finding is on the pool's first node by name.
    /// `plimsoll capacity` prints the whole table.
    ///
    /// ## Why it matters in production
    /// Requests, not usage, decide where pods fit. A pool requested above 85% has
    /// little room left: a rolling update's surge pods, a node drained for an upgrade
    /// or lost to a failure, a scaled-up Deployment, all need room that is not there,
    /// and their pods stay Pending until a node is added (minutes with an autoscaler,
    /// never without). Autoscaled pools run full by design; then this says how little
    /// a node failure can be absorbed before new nodes boot, and `--ignore CAP004` or
    /// an exemption on the pool's nodes is the answer if that is accepted.
    ///
    /// ## Example
    /// ```yaml
    /// # kubectl describe nodes -l eks.amazonaws.com/nodegroup=general
    /// # Allocated resources:  cpu  3650m (91%)   memory  11Gi (78%)
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # a pool with headroom for a node's pods: more nodes (a higher minimum size),
    /// # larger nodes, or right-sized requests (plimsoll rightsize)
    /// # Allocated resources:  cpu  2900m (72%)   memory  10Gi (70%)
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: capacity is added to the pool, not to a manifest.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-requests-are-scheduled>
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources/#node-allocatable>
    /// - <https://kubernetes.io/docs/concepts/cluster-administration/node-autoscaling/>
    pub struct PoolOverRequested {
        code: "CAP004",
        name: "node-pool-over-requested",
        severity: Warning,
        default: true,
        summary: "A node pool's pods request more than 85% of its CPU or memory",
    }
}

/// The requested share above which a pool is reported.
pub const THRESHOLD: f64 = 0.85;

impl Rule for PoolOverRequested {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Node" || !obj.group().is_empty() {
            return;
        }
        let model = cx.capacity();
        if !model.has_bound_pods {
            return;
        }
        let c = &model.cluster;
        let Some(n) = c.node_named(&obj.name) else {
            return;
        };
        let pool = &model.capacity.pools[model.capacity.node_pool[n as usize]];
        // the pool's first node by name carries the finding (a duplicate Node object
        // is not the one the model read)
        if pool.nodes.first() != Some(&n)
            || cx.index.all_named("Node", None, &obj.name).first() != Some(&id)
        {
            return;
        }
        let mut over: Vec<String> = Vec::new();
        for r in ["cpu", "memory"] {
            if let Some(share) = pool.share(r)
                && share > THRESHOLD
            {
                let what = if r == "cpu" { "CPU" } else { "memory" };
                over.push(format!("{:.0}% of their {what}", share * 100.0));
            }
        }
        if over.is_empty() {
            return;
        }
        let (name, path) = match (&pool.name, &pool.label) {
            (Some(name), Some(label)) => (
                format!("node pool `{name}` ({label})"),
                Pointer::root().keys(&["metadata", "labels", label]),
            ),
            _ => (
                "the nodes without a pool label".to_string(),
                Pointer::root().keys(&["status", "allocatable"]),
            ),
        };
        out.report(
            id,
            path,
            format!(
                "{name}: the {} pod(s) bound to its {} node(s) request {} (above {:.0}%): a drained or lost node's pods, or a rollout's surge, may find no room",
                pool.pods,
                pool.nodes.len(),
                over.join(" and "),
                THRESHOLD * 100.0
            ),
        );
    }
}
