//! The simulation: `kubectl drain NODE...` and a one-node-at-a-time replacement plan.

use std::collections::HashMap;

use super::budget::{self, Budget, BudgetSource, Decision};
use super::sched::Sched;
use super::{Cluster, Phase, PodInfo};

/// The flags of `kubectl drain` that change what happens to a pod. `--ignore-daemonsets`
/// is always on: without it kubectl refuses every node that runs a DaemonSet pod, which
/// is nearly every node.
#[derive(Debug, Clone, Copy, Default)]
pub struct DrainOptions {
    /// `--force`: pods without a controller (and those of a DaemonSet that no longer
    /// exists) are deleted for good.
    pub force: bool,
    /// `--delete-emptydir-data`: pods with emptyDir volumes are evicted, their data lost.
    pub delete_emptydir_data: bool,
}

/// What happens to one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    Evict,
    Blocked,
    SkipDaemonset,
    SkipMirror,
    NeedsForce,
    NeedsDeleteEmptydir,
    AlreadyTerminal,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Evict => "evict",
            Verdict::Blocked => "blocked",
            Verdict::SkipDaemonset => "skip-daemonset",
            Verdict::SkipMirror => "skip-mirror",
            Verdict::NeedsForce => "needs-force",
            Verdict::NeedsDeleteEmptydir => "needs-delete-emptydir",
            Verdict::AlreadyTerminal => "already-terminal",
        }
    }

    /// Whether the verdict fails the drain (exit 1).
    pub fn fails(self) -> bool {
        matches!(
            self,
            Verdict::Blocked | Verdict::NeedsForce | Verdict::NeedsDeleteEmptydir
        )
    }
}

/// The PDB that judged an eviction, with its budget at that moment (before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodPdb {
    pub name: String,
    pub disruptions_allowed: i64,
    pub current_healthy: i64,
    pub desired_healthy: i64,
    pub expected_pods: i64,
    /// The other PDBs that select the pod (the API server refuses with 500).
    pub others: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PodOutcome {
    pub namespace: String,
    pub name: String,
    pub node: String,
    pub verdict: Verdict,
    pub pdb: Option<PodPdb>,
    pub reason: String,
    /// The node its replacement is scheduled on.
    pub rescheduled_to: Option<String>,
    /// The HTTP status the Eviction API answers (when kubectl sends the eviction).
    pub http_status: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct PendingPod {
    pub namespace: String,
    pub name: String,
    /// The node it was evicted from.
    pub from: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeStatus {
    /// Every pod kubectl deletes was evicted.
    Drained,
    /// Some eviction is refused (429 or 500): kubectl retries, or fails the node.
    Blocked,
    /// kubectl evicts nothing on the node: a pod needs --force or --delete-emptydir-data.
    Refused,
}

impl NodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Drained => "drained",
            NodeStatus::Blocked => "blocked",
            NodeStatus::Refused => "refused",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NodeOutcome {
    pub name: String,
    pub status: NodeStatus,
    pub pods: usize,
    pub evicted: usize,
    pub blocked: usize,
    pub pending: usize,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub nodes: Vec<NodeOutcome>,
    pub pods: Vec<PodOutcome>,
    pub pending: Vec<PendingPod>,
    pub ok: bool,
}

impl Outcome {
    fn finish(&mut self) {
        self.ok = self.pending.is_empty() && !self.pods.iter().any(|p| p.verdict.fails());
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlanOutcome {
    pub outcome: Outcome,
    /// The nodes in the order the plan drains them.
    pub order: Vec<String>,
    /// Whether an order without a blocked step was found.
    pub possible: bool,
    /// When not: per node left, what blocks it (node, namespace, PDB or pod, reason).
    pub blocked_by: Vec<(String, String, String, String)>,
}

/// kubectl's filters for one pod, in their order; the first that does not delete
/// decides.
enum Filtered {
    /// kubectl deletes it (through the Eviction API); a warning when a flag let it.
    Delete(Option<String>),
    /// Left in place.
    Skip(Verdict, String),
    /// An error: kubectl refuses the whole node.
    Error(Verdict, String),
}

fn filter(c: &Cluster, pod: &PodInfo, opts: DrainOptions) -> Filtered {
    let terminal = pod.phase.is_terminal();
    let mut warning = None;
    // daemonSet
    if let Some(r) = &pod.controller
        && r.kind == "DaemonSet"
        && !terminal
    {
        let gone = c.has_controller_kind("DaemonSet") && c.controller(pod.ns, r).is_none();
        if !gone {
            return Filtered::Skip(
                Verdict::SkipDaemonset,
                format!(
                    "managed by DaemonSet {}: left in place (as `kubectl drain --ignore-daemonsets`)",
                    r.name
                ),
            );
        }
        if !opts.force {
            return Filtered::Error(
                Verdict::NeedsForce,
                format!(
                    "its DaemonSet {} does not exist: kubectl drain refuses the node without --force",
                    r.name
                ),
            );
        }
        warning = Some(format!(
            "its DaemonSet {} does not exist: deleted (--force)",
            r.name
        ));
    }
    // mirror
    if pod.mirror {
        return Filtered::Skip(
            Verdict::SkipMirror,
            "mirror pod of a static pod: the kubelet runs it from its manifest; kubectl drain leaves it".into(),
        );
    }
    // localStorage
    if pod.emptydir && !terminal {
        if !opts.delete_emptydir_data {
            return Filtered::Error(
                Verdict::NeedsDeleteEmptydir,
                "uses emptyDir volumes: kubectl drain refuses the node without --delete-emptydir-data (their data is lost on eviction)".into(),
            );
        }
        warning = Some("its emptyDir data is lost (--delete-emptydir-data)".into());
    }
    // unreplicated
    if pod.controller.is_none() && !terminal {
        if !opts.force {
            return Filtered::Error(
                Verdict::NeedsForce,
                "declares no controller: kubectl drain refuses the node without --force (with it the pod is deleted for good)".into(),
            );
        }
        warning = Some("declares no controller: deleted for good (--force)".into());
    }
    Filtered::Delete(warning)
}

/// Whether a controller recreates the pod elsewhere once it is evicted.
fn recreated(pod: &PodInfo) -> bool {
    pod.controller
        .as_ref()
        .is_some_and(|r| r.kind != "DaemonSet")
        && !pod.phase.is_terminal()
}

/// The simulation's state.
struct Sim {
    c: Cluster,
    sched: Sched,
    budgets: Vec<Budget>,
    /// budgets at the start, to tell an exhausted budget from one that never allowed
    initial: Vec<Budget>,
    /// per node, every pod bound to it (terminal ones too)
    on_node: Vec<Vec<u32>>,
    /// per PDB, the evictions it allowed so far
    used: Vec<usize>,
    opts: DrainOptions,
    out: Outcome,
}

/// One evicted pod waiting for its replacement to be scheduled.
struct Evicted {
    pod: u32,
    outcome: usize,
}

impl Sim {
    fn new(c: Cluster, opts: DrainOptions) -> Sim {
        let sched = Sched::new(&c);
        let budgets: Vec<Budget> = c.pdbs.iter().map(|p| Budget::initial(&c, p)).collect();
        let mut on_node = vec![Vec::new(); c.nodes.len()];
        for (i, p) in c.pods.iter().enumerate() {
            if let Some(n) = p.node {
                on_node[n as usize].push(i as u32);
            }
        }
        for list in &mut on_node {
            list.sort_by(|&a, &b| {
                let (pa, pb) = (&c.pods[a as usize], &c.pods[b as usize]);
                c.namespace(pa.ns)
                    .cmp(c.namespace(pb.ns))
                    .then(pa.name.cmp(&pb.name))
            });
        }
        Sim {
            used: vec![0; budgets.len()],
            initial: budgets.clone(),
            budgets,
            sched,
            on_node,
            opts,
            out: Outcome::default(),
            c,
        }
    }

    fn pdb_info(&self, b: u32, budget: &Budget, others: &[u32]) -> PodPdb {
        PodPdb {
            name: self.c.pdbs[b as usize].name.clone(),
            disruptions_allowed: budget.disruptions_allowed,
            current_healthy: budget.current_healthy,
            desired_healthy: budget.desired_healthy,
            expected_pods: budget.expected_pods,
            others: others
                .iter()
                .filter(|&&o| o != b)
                .map(|&o| self.c.pdbs[o as usize].name.clone())
                .collect(),
        }
    }

    /// The verdict, PDB and reason of an eviction the API server judges.
    fn judge(
        &self,
        pod: u32,
        d: &Decision,
        budget_of: &dyn Fn(u32) -> Budget,
    ) -> (Verdict, Option<PodPdb>, String) {
        let p = &self.c.pods[pod as usize];
        match d {
            Decision::NoCheck => (
                Verdict::Evict,
                None,
                if p.terminating {
                    "already terminating: the Eviction API deletes it without checking PDBs".into()
                } else {
                    format!(
                        "{}: the Eviction API deletes it without checking PDBs",
                        p.phase.as_str()
                    )
                },
            ),
            Decision::NoPdb => (
                Verdict::Evict,
                None,
                "no PodDisruptionBudget selects it".into(),
            ),
            Decision::Allowed { pdb, decrement } => {
                let b = budget_of(*pdb);
                let name = &self.c.pdbs[*pdb as usize].name;
                let reason = if *decrement {
                    format!(
                        "PDB {name} allows {} disruption(s) at that moment; {} after this eviction",
                        b.disruptions_allowed,
                        b.disruptions_allowed - 1
                    )
                } else if self.c.pdbs[*pdb as usize].always_allow {
                    format!(
                        "not Ready: PDB {name} has unhealthyPodEvictionPolicy AlwaysAllow, so it is evicted without using the budget"
                    )
                } else {
                    format!(
                        "not Ready: PDB {name} is healthy (currentHealthy {} >= desiredHealthy {}), so it is evicted without using the budget",
                        b.current_healthy, b.desired_healthy
                    )
                };
                (Verdict::Evict, Some(self.pdb_info(*pdb, &b, &[])), reason)
            }
            Decision::TooMany { pdb } => {
                let b = budget_of(*pdb);
                let info = self.pdb_info(*pdb, &b, &[]);
                let name = &self.c.pdbs[*pdb as usize].name;
                let initial = &self.initial[*pdb as usize];
                let reason = if b.source == BudgetSource::Unprocessed {
                    format!(
                        "PDB {name} has not been processed by the disruption controller (status.observedGeneration below metadata.generation): the API server answers 429 until it is"
                    )
                } else if !p.ready && b.current_healthy < b.desired_healthy {
                    format!(
                        "not Ready, and PDB {name} needs {} healthy pods and has {}: under unhealthyPodEvictionPolicy IfHealthyBudget (the default) an unready pod is evicted only while the budget is healthy (AlwaysAllow would let it go); 429",
                        b.desired_healthy, b.current_healthy
                    )
                } else if let Some(why) = &b.note {
                    format!(
                        "PDB {name} allows 0 disruptions: the disruption controller cannot compute it ({why}) and sets 0; 429"
                    )
                } else if initial.disruptions_allowed > 0 {
                    format!(
                        "PDB {name} allows 0 disruptions at that moment: the {} eviction(s) before it in this simulation used its {} (needs {} healthy pods, has {}); 429: kubectl retries every 5 s and goes on once their replacements are Ready",
                        self.used[*pdb as usize],
                        initial.disruptions_allowed,
                        b.desired_healthy,
                        b.current_healthy
                    )
                } else if b.expected_pods > 0 && b.desired_healthy >= b.expected_pods {
                    format!(
                        "PDB {name} allows 0 disruptions even with every pod Ready (needs {} healthy of {} expected): 429, and kubectl retries every 5 s forever",
                        b.desired_healthy, b.expected_pods
                    )
                } else {
                    format!(
                        "PDB {name} allows 0 disruptions: needs {} healthy pods and has {}; 429 until more of its pods are Ready",
                        b.desired_healthy, b.current_healthy
                    )
                };
                (Verdict::Blocked, Some(info), reason)
            }
            Decision::Conflict { pdbs } => {
                let first = pdbs[0];
                let b = budget_of(first);
                let names: Vec<&str> = pdbs
                    .iter()
                    .map(|&x| self.c.pdbs[x as usize].name.as_str())
                    .collect();
                (
                    Verdict::Blocked,
                    Some(self.pdb_info(first, &b, pdbs)),
                    format!(
                        "selected by more than one PodDisruptionBudget ({}): the API server refuses the eviction with 500, and kubectl does not retry it",
                        names.join(", ")
                    ),
                )
            }
        }
    }

    /// Drains one node (already cordoned). `step` names the plan step in messages.
    fn drain_node(&mut self, n: u32) -> Vec<Evicted> {
        let node_name = self.c.nodes[n as usize].name.clone();
        let pods = self.on_node[n as usize].clone();
        let filtered: Vec<(u32, Filtered)> = pods
            .iter()
            .map(|&p| (p, filter(&self.c, &self.c.pods[p as usize], self.opts)))
            .collect();
        let errors: Vec<&str> = filtered
            .iter()
            .filter_map(|(_, f)| match f {
                Filtered::Error(v, _) => Some(match v {
                    Verdict::NeedsDeleteEmptydir => "--delete-emptydir-data",
                    _ => "--force",
                }),
                _ => None,
            })
            .collect();
        let refused = !errors.is_empty();
        let refusal = refused.then(|| {
            let mut flags = errors.clone();
            flags.sort_unstable();
            flags.dedup();
            format!(
                "kubectl drain evicts nothing on node {node_name}: {} pod(s) need {}",
                errors.len(),
                flags.join(" and ")
            )
        });
        let mut node_out = NodeOutcome {
            name: node_name.clone(),
            status: if refused {
                NodeStatus::Refused
            } else {
                NodeStatus::Drained
            },
            pods: pods.len(),
            evicted: 0,
            blocked: 0,
            pending: 0,
            reason: refusal.clone(),
        };
        let mut evicted = Vec::new();
        for (p, f) in filtered {
            let pod = &self.c.pods[p as usize];
            let mut outcome = PodOutcome {
                namespace: self.c.namespace(pod.ns).to_string(),
                name: pod.name.to_string(),
                node: node_name.clone(),
                verdict: Verdict::Evict,
                pdb: None,
                reason: String::new(),
                rescheduled_to: None,
                http_status: None,
            };
            match f {
                Filtered::Skip(v, why) | Filtered::Error(v, why) => {
                    outcome.verdict = v;
                    outcome.reason = why;
                }
                Filtered::Delete(warning) => {
                    let budgets = &self.budgets;
                    let budget_of = |b: u32| budgets[b as usize].clone();
                    let d = budget::decide(&self.c, &budget_of, p);
                    let (mut v, pdb, mut why) = self.judge(p, &d, &budget_of);
                    if pod.phase.is_terminal() {
                        v = Verdict::AlreadyTerminal;
                        why = format!(
                            "{}: deleted without a PDB check; nothing to reschedule",
                            pod.phase.as_str()
                        );
                    }
                    if let Some(w) = warning {
                        why = format!("{why}; {w}");
                    }
                    outcome.verdict = v;
                    outcome.pdb = pdb;
                    if let Some(r) = &refusal {
                        outcome.reason = format!(
                            "not evicted: {r} (the API server would answer {}: {why})",
                            d.http_status()
                        );
                    } else {
                        outcome.reason = why;
                        outcome.http_status = Some(d.http_status());
                        if d.http_status() == 201 {
                            if let Decision::Allowed { pdb, .. } = &d {
                                budget::apply(&self.c, &mut self.budgets[*pdb as usize], p, &d);
                                self.used[*pdb as usize] += 1;
                            }
                            self.remove(p, n);
                            if v == Verdict::Evict {
                                node_out.evicted += 1;
                                if recreated(&self.c.pods[p as usize]) {
                                    evicted.push(Evicted {
                                        pod: p,
                                        outcome: self.out.pods.len(),
                                    });
                                }
                            }
                        } else {
                            node_out.blocked += 1;
                            node_out.status = NodeStatus::Blocked;
                        }
                    }
                }
            }
            self.out.pods.push(outcome);
        }
        self.out.nodes.push(node_out);
        evicted
    }

    /// Takes an evicted pod off its node.
    fn remove(&mut self, p: u32, n: u32) {
        self.on_node[n as usize].retain(|&q| q != p);
        let pod = &self.c.pods[p as usize];
        if !pod.phase.is_terminal() {
            self.sched.unbind(&self.c, p, n);
            self.c.node_pods[n as usize].retain(|&q| q != p);
        }
        self.c.pods[p as usize].node = None;
    }

    /// Schedules the replacements of evicted pods, in eviction order; the ones that fit
    /// nowhere are returned with the scheduler's message.
    fn reschedule(&mut self, evicted: Vec<Evicted>) -> Vec<(Evicted, String)> {
        let mut pending = Vec::new();
        for e in evicted {
            if let Err(why) = self.try_place(&e) {
                pending.push((e, why));
            }
        }
        pending
    }

    fn try_place(&mut self, e: &Evicted) -> Result<u32, String> {
        let mut rep = self.c.pods[e.pod as usize].clone();
        rep.replacement = true;
        rep.ready = false;
        rep.phase = Phase::Pending;
        rep.terminating = false;
        rep.node = None;
        let n = self.sched.place(&self.c, &rep)?;
        let id = self.c.pods.len() as u32;
        rep.node = Some(n);
        rep.node_name = Some(self.c.nodes[n as usize].name.as_str().into());
        let ns = rep.ns;
        let pdbs = self.c.pod_pdbs[e.pod as usize].clone();
        self.c.pods.push(rep);
        self.c.pod_pdbs.push(pdbs);
        self.c.ns_pods[ns as usize].push(id);
        self.c.node_pods[n as usize].push(id);
        self.on_node[n as usize].push(id);
        self.sched.bind(&self.c, id, n);
        self.out.pods[e.outcome].rescheduled_to = Some(self.c.nodes[n as usize].name.clone());
        Ok(n)
    }

    fn pending(&mut self, list: Vec<(Evicted, String)>) {
        for (e, why) in list {
            let o = &self.out.pods[e.outcome];
            self.out.pending.push(PendingPod {
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                from: o.node.clone(),
                reason: why,
            });
            if let Some(n) = self.out.nodes.iter_mut().find(|n| n.name == o.node) {
                n.pending += 1;
            }
        }
    }

    /// Whether draining node `n` now would be blocked or refused, without changing
    /// anything; the first obstacle (namespace, PDB or pod, reason) when it would.
    fn obstacle(&self, n: u32) -> Option<(String, String, String)> {
        let mut overlay: HashMap<u32, Budget> = HashMap::new();
        for &p in &self.on_node[n as usize] {
            let pod = &self.c.pods[p as usize];
            match filter(&self.c, pod, self.opts) {
                Filtered::Skip(..) => continue,
                Filtered::Error(_, why) => {
                    return Some((
                        self.c.namespace(pod.ns).to_string(),
                        format!("pod {}", pod.name),
                        why,
                    ));
                }
                Filtered::Delete(_) => {}
            }
            let budgets = &self.budgets;
            let d = {
                let budget_of = |b: u32| {
                    overlay
                        .get(&b)
                        .cloned()
                        .unwrap_or_else(|| budgets[b as usize].clone())
                };
                budget::decide(&self.c, &budget_of, p)
            };
            let blocked = match &d {
                Decision::TooMany { pdb } => Some(*pdb),
                Decision::Conflict { pdbs } => Some(pdbs[0]),
                _ => None,
            };
            if let Some(b) = blocked {
                let budget_of = |b: u32| {
                    overlay
                        .get(&b)
                        .cloned()
                        .unwrap_or_else(|| budgets[b as usize].clone())
                };
                let (_, _, why) = self.judge(p, &d, &budget_of);
                return Some((
                    self.c.namespace(pod.ns).to_string(),
                    format!("PDB {}", self.c.pdbs[b as usize].name),
                    format!("pod {}: {why}", pod.name),
                ));
            }
            if let Decision::Allowed { pdb, .. } = &d {
                let mut b = overlay
                    .get(pdb)
                    .cloned()
                    .unwrap_or_else(|| budgets[*pdb as usize].clone());
                budget::apply(&self.c, &mut b, p, &d);
                overlay.insert(*pdb, b);
            }
        }
        None
    }
}

/// `kubectl drain NODE...`: every named node is cordoned first, then each is drained in
/// the given order, and the replacements of its evicted pods are scheduled before the
/// next node is drained.
pub fn drain(c: Cluster, nodes: &[u32], opts: DrainOptions) -> Outcome {
    let mut sim = Sim::new(c, opts);
    for &n in nodes {
        sim.sched.unschedulable[n as usize] = true;
    }
    for &n in nodes {
        let evicted = sim.drain_node(n);
        let pending = sim.reschedule(evicted);
        sim.pending(pending);
    }
    sim.out.finish();
    sim.out
}

/// A one-node-at-a-time replacement of `pool` (a node pool): each step cordons and
/// drains one node; its replacement (a node of the same shape, empty but for its
/// DaemonSet and static pods) joins at the end of the step, and the pods evicted in the
/// step that found no room are scheduled again; then the replacements of Ready pods
/// are Ready too, and the PDB budgets recover before the next step. Pods are placed
/// preferably off the nodes the plan still has to drain. The next node is the first
/// (by name) whose drain is not blocked at that moment; when every node left is
/// blocked, no order exists and the obstacles are named.
pub fn plan(c: Cluster, pool: &[u32], opts: DrainOptions) -> PlanOutcome {
    let mut sim = Sim::new(c, opts);
    let mut remaining: Vec<u32> = pool.to_vec();
    remaining.sort_by(|&a, &b| {
        sim.c.nodes[a as usize]
            .name
            .cmp(&sim.c.nodes[b as usize].name)
    });
    for &n in &remaining {
        sim.sched.avoid[n as usize] = true;
    }
    let mut out = PlanOutcome {
        possible: true,
        ..PlanOutcome::default()
    };
    while !remaining.is_empty() {
        let next = if out.possible {
            remaining.iter().position(|&n| sim.obstacle(n).is_none())
        } else {
            Some(0)
        };
        let i = match next {
            Some(i) => i,
            None => {
                out.possible = false;
                for &n in &remaining {
                    if let Some((ns, what, why)) = sim.obstacle(n) {
                        out.blocked_by
                            .push((sim.c.nodes[n as usize].name.clone(), ns, what, why));
                    }
                }
                // the rest as they would go, in name order: their verdicts show why
                0
            }
        };
        let n = remaining.remove(i);
        out.order.push(sim.c.nodes[n as usize].name.clone());
        step(&mut sim, n);
    }
    sim.out.finish();
    out.outcome = sim.out;
    out
}

/// One step of a plan: cordon, drain, replace the node, recover.
fn step(sim: &mut Sim, n: u32) {
    sim.sched.unschedulable[n as usize] = true;
    let first_pod = sim.c.pods.len();
    let evicted = sim.drain_node(n);
    let evicted_pods: Vec<u32> = evicted.iter().map(|e| e.pod).collect();
    let pending = sim.reschedule(evicted);
    // the replacement node joins: schedulable, not to be avoided
    sim.sched.unschedulable[n as usize] = false;
    sim.sched.avoid[n as usize] = false;
    let mut still = Vec::new();
    for (e, _) in pending {
        if let Err(why) = sim.try_place(&e) {
            still.push((e, why));
        }
    }
    let stuck: Vec<u32> = still.iter().map(|(e, _)| e.pod).collect();
    sim.pending(still);
    // recovery: the replacement of each pod that was Ready is Ready (replacements were
    // appended in eviction order, under their original's name)
    let mut touched: Vec<u32> = Vec::new();
    for rep in first_pod..sim.c.pods.len() {
        let (ns, name) = {
            let r = &sim.c.pods[rep];
            (r.ns, r.name.clone())
        };
        let Some(&orig) = evicted_pods.iter().find(|&&o| {
            let op = &sim.c.pods[o as usize];
            op.ns == ns && op.name == name
        }) else {
            continue;
        };
        touched.extend(sim.c.pod_pdbs[orig as usize].iter().copied());
        if stuck.contains(&orig) || !sim.c.pods[orig as usize].ready {
            continue;
        }
        sim.c.pods[rep].ready = true;
        sim.c.pods[rep].phase = Phase::Running;
        for &b in &sim.c.pod_pdbs[orig as usize] {
            sim.budgets[b as usize].current_healthy += 1;
        }
    }
    // the disruption controller recomputes what the step's evictions touched
    touched.sort_unstable();
    touched.dedup();
    for b in touched {
        let budget = &mut sim.budgets[b as usize];
        if budget.source == BudgetSource::Unprocessed {
            continue;
        }
        budget.disruptions_allowed = if budget.expected_pods <= 0 || budget.note.is_some() {
            0
        } else {
            (budget.current_healthy - budget.desired_healthy).max(0)
        };
    }
}
