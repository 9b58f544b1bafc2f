//! Disruption budgets: the status the disruption controller computes
//! (`pkg/controller/disruption`), and the Eviction API's answer
//! (`pkg/registry/core/pod/storage/eviction.go`).

use plimsoll_yaml::Node;

use super::{Cluster, PdbInfo, PdbSelector, Phase, PodInfo};

/// A PDB's `status`, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub current_healthy: i64,
    pub desired_healthy: i64,
    pub expected_pods: i64,
    pub disruptions_allowed: i64,
    pub observed_generation: Option<i64>,
}

impl Status {
    /// `None` when the status holds none of the counts (an empty `status: {}`).
    pub fn of(node: &Node) -> Option<Status> {
        let get = |k: &str| node.get(k).and_then(Node::as_i64);
        if get("disruptionsAllowed").is_none()
            && get("currentHealthy").is_none()
            && get("desiredHealthy").is_none()
            && get("observedGeneration").is_none()
        {
            return None;
        }
        Some(Status {
            current_healthy: get("currentHealthy").unwrap_or(0),
            desired_healthy: get("desiredHealthy").unwrap_or(0),
            expected_pods: get("expectedPods").unwrap_or(0),
            disruptions_allowed: get("disruptionsAllowed").unwrap_or(0),
            observed_generation: get("observedGeneration"),
        })
    }
}

/// Where a budget's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetSource {
    /// The PDB's `status`, written by the disruption controller.
    Status,
    /// Computed here as the disruption controller would (a hand-written PDB without
    /// status or generation).
    Computed,
    /// The controller has not processed the current spec (`observedGeneration` below
    /// `generation`, or no status at all on an object the API server stored): the
    /// Eviction API answers 429 until it does.
    Unprocessed,
}

/// A PDB's budget at a moment of the simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub current_healthy: i64,
    pub desired_healthy: i64,
    pub expected_pods: i64,
    pub disruptions_allowed: i64,
    pub source: BudgetSource,
    /// Why the computation fell back (`failSafe`), when it did.
    pub note: Option<String>,
}

impl Budget {
    /// The budget at the start: the status when the controller has processed the
    /// current spec, else computed.
    pub fn initial(c: &Cluster, pdb: &PdbInfo) -> Budget {
        match (&pdb.status, pdb.generation) {
            (Some(s), generation)
                if generation.is_none_or(|g| s.observed_generation.unwrap_or(0) >= g) =>
            {
                Budget {
                    current_healthy: s.current_healthy,
                    desired_healthy: s.desired_healthy,
                    expected_pods: s.expected_pods,
                    disruptions_allowed: s.disruptions_allowed,
                    source: BudgetSource::Status,
                    note: None,
                }
            }
            (Some(s), _) => Budget {
                current_healthy: s.current_healthy,
                desired_healthy: s.desired_healthy,
                expected_pods: s.expected_pods,
                disruptions_allowed: s.disruptions_allowed,
                source: BudgetSource::Unprocessed,
                note: None,
            },
            (None, Some(_)) => Budget {
                source: BudgetSource::Unprocessed,
                ..Budget::compute(c, pdb)
            },
            (None, None) => Budget::compute(c, pdb),
        }
    }

    /// The disruption controller's computation (`trySync`): the pods the selector
    /// matches, the expected count (`getExpectedPodCount`), the healthy ones (Ready, not
    /// being deleted), and `disruptionsAllowed = currentHealthy - desiredHealthy`,
    /// 0 when that is negative or nothing is expected. A pod whose controller cannot be
    /// found makes the controller give up (`failSafe`: 0 disruptions allowed).
    pub fn compute(c: &Cluster, pdb: &PdbInfo) -> Budget {
        let pods: Vec<&PodInfo> = pdb.pods.iter().map(|&p| &c.pods[p as usize]).collect();
        let current_healthy = pods
            .iter()
            .filter(|p| p.ready && !p.terminating && !p.phase.is_terminal())
            .count() as i64;
        let mut note = None;
        let scale = |note: &mut Option<String>| -> Option<i64> {
            match expected_scale(c, pdb, &pods) {
                Ok(n) => Some(n),
                Err(e) => {
                    *note = Some(e);
                    None
                }
            }
        };
        let (expected, desired) = if let Some(mu) = pdb.max_unavailable {
            match scale(&mut note) {
                Some(n) => (n, (n - mu.scaled(n, true)).max(0)),
                None => (0, 0),
            }
        } else if let Some(ma) = pdb.min_available {
            match ma {
                crate::IntOrPct::Int(n) => (pods.len() as i64, n),
                crate::IntOrPct::Pct(_) => match scale(&mut note) {
                    Some(n) => (n, ma.scaled(n, true)),
                    None => (0, 0),
                },
            }
        } else {
            (0, 0)
        };
        let allowed = if expected <= 0 || note.is_some() {
            0
        } else {
            (current_healthy - desired).max(0)
        };
        Budget {
            current_healthy,
            desired_healthy: desired,
            expected_pods: expected,
            disruptions_allowed: allowed,
            source: BudgetSource::Computed,
            note,
        }
    }

    /// Whether it allows no disruption even with every selected pod Ready: the budget
    /// can never let a drain through (maxUnavailable 0, minAvailable at or above the
    /// expected count).
    pub fn never_allows(&self) -> bool {
        self.desired_healthy >= self.expected_pods || self.expected_pods <= 0
    }
}

/// `getExpectedScale`: the sum of the scales of the pods' controllers (a ReplicaSet of a
/// Deployment counts as the Deployment; StatefulSets, ReplicationControllers and
/// ReplicaSets count their replicas). Pods without a controller are left out (the
/// controller reports them as unmanaged).
fn expected_scale(c: &Cluster, pdb: &PdbInfo, pods: &[&PodInfo]) -> Result<i64, String> {
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut total = 0;
    for p in pods {
        let Some(r) = &p.controller else {
            continue;
        };
        let (kind, name, replicas) = match c.controller(p.ns, r) {
            Some(ctl) => match (&ctl.owner, ctl.kind.as_str()) {
                (Some(o), "ReplicaSet") if o.kind == "Deployment" => {
                    match c.controller(p.ns, o).and_then(|d| d.replicas) {
                        Some(n) => (o.kind.to_string(), o.name.to_string(), n),
                        None => {
                            return Err(format!(
                                "the Deployment {} of pod {} is not in the input",
                                o.name, p.name
                            ));
                        }
                    }
                }
                (_, _) => match ctl.replicas {
                    Some(n) => (r.kind.to_string(), r.name.to_string(), n),
                    None => {
                        return Err(format!(
                            "found no controller with a scale for pod {} ({} {} has none)",
                            p.name, r.kind, r.name
                        ));
                    }
                },
            },
            None => {
                return Err(format!(
                    "the {} {} of pod {} is not in the input",
                    r.kind, r.name, p.name
                ));
            }
        };
        if !seen.contains(&(kind.clone(), name.clone())) {
            seen.push((kind, name));
            total += replicas;
        }
    }
    let _ = pdb;
    Ok(total)
}

/// Whether the Eviction API counts a PDB with an empty selector (`{}`, policy/v1) as
/// selecting the pod. The API server of 1.37 does: scenario `emptysel` of
/// `tests/drain.rs` (`drain_matches_the_eviction_api`) gets a 429 from it for a pod
/// under `selector: {}` with `maxUnavailable: 0`. (Older `eviction.go` versions skipped
/// empty selectors.)
pub const EVICTION_EMPTY_SELECTOR_MATCHES: bool = true;

/// The Eviction API's answer for a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Deleted without looking at the PDBs (terminal, Pending or already terminating).
    NoCheck,
    /// No PDB selects the pod.
    NoPdb,
    /// Allowed under the PDB; `decrement` when it uses up one of its disruptions.
    Allowed { pdb: u32, decrement: bool },
    /// 429 Too Many Requests.
    TooMany { pdb: u32 },
    /// 500: more than one PDB selects the pod.
    Conflict { pdbs: Vec<u32> },
}

impl Decision {
    /// The HTTP status the API server answers (201 for a created Eviction).
    pub fn http_status(&self) -> u16 {
        match self {
            Decision::NoCheck | Decision::NoPdb | Decision::Allowed { .. } => 201,
            Decision::TooMany { .. } => 429,
            Decision::Conflict { .. } => 500,
        }
    }
}

/// The PDBs the Eviction API matches against a pod.
pub fn eviction_pdbs(c: &Cluster, pod: u32) -> Vec<u32> {
    c.pod_pdbs[pod as usize]
        .iter()
        .copied()
        .filter(|&b| {
            EVICTION_EMPTY_SELECTOR_MATCHES
                || !matches!(c.pdbs[b as usize].selector, PdbSelector::Everything)
        })
        .collect()
}

/// Decides an eviction (`EvictionREST.Create`) with the budgets as they stand.
pub fn decide(c: &Cluster, budget_of: &dyn Fn(u32) -> Budget, pod: u32) -> Decision {
    let p = &c.pods[pod as usize];
    if matches!(p.phase, Phase::Succeeded | Phase::Failed | Phase::Pending) || p.terminating {
        return Decision::NoCheck;
    }
    let pdbs = eviction_pdbs(c, pod);
    match pdbs.len() {
        0 => return Decision::NoPdb,
        1 => {}
        _ => return Decision::Conflict { pdbs },
    }
    let b = pdbs[0];
    let pdb = &c.pdbs[b as usize];
    let budget = budget_of(b);
    if !p.ready {
        if pdb.always_allow {
            return Decision::Allowed {
                pdb: b,
                decrement: false,
            };
        }
        if budget.current_healthy >= budget.desired_healthy && budget.desired_healthy > 0 {
            return Decision::Allowed {
                pdb: b,
                decrement: false,
            };
        }
    }
    // checkAndDecrement
    if budget.source == BudgetSource::Unprocessed || budget.disruptions_allowed <= 0 {
        return Decision::TooMany { pdb: b };
    }
    Decision::Allowed {
        pdb: b,
        decrement: true,
    }
}

/// Applies an allowed eviction to a budget: one disruption fewer, and one healthy pod
/// fewer when the pod was Ready (as the controller sees it once the pod is in
/// `disruptedPods`).
pub fn apply(c: &Cluster, b: &mut Budget, pod: u32, d: &Decision) {
    let p = &c.pods[pod as usize];
    if let Decision::Allowed { decrement, .. } = d {
        if *decrement {
            b.disruptions_allowed -= 1;
        }
        if p.ready && !p.terminating {
            b.current_healthy -= 1;
        }
    }
}
