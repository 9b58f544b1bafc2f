//! `LIV`: the live cluster's runtime state: crashing and OOM-killed containers,
//! unschedulable pods, unready replicas, replicas packed onto one node or zone, node
//! conditions, disruption budgets that block drains now, the cluster DNS, and
//! deprecated APIs clients still call.
//!
//! They read what objects report in `status` (and the facts of
//! [`LiveFacts`](crate::live::LiveFacts)): a live audit, or a dump made with `kubectl
//! get -o yaml`. Plain manifests carry no status, and these rules find nothing in them.

mod container_crash_looping;
mod container_oom_killed;
mod container_restarts_high;
mod coredns_autoscaler_missing;
mod coredns_not_spread;
mod coredns_pdb_missing;
mod coredns_replicas_too_few;
mod deprecated_api_requested;
mod node_not_ready;
mod node_pressure;
mod pdb_allows_no_disruptions;
mod pod_unschedulable;
mod replicas_in_one_zone;
mod replicas_not_ready;
mod replicas_on_one_node;
mod util;

pub use container_crash_looping::ContainerCrashLooping;
pub use container_oom_killed::ContainerOomKilled;
pub use container_restarts_high::ContainerRestartsHigh;
pub use coredns_autoscaler_missing::CorednsAutoscalerMissing;
pub use coredns_not_spread::CorednsNotSpread;
pub use coredns_pdb_missing::CorednsPdbMissing;
pub use coredns_replicas_too_few::CorednsReplicasTooFew;
pub use deprecated_api_requested::DeprecatedApiRequested;
pub use node_not_ready::NodeNotReady;
pub use node_pressure::NodePressure;
pub use pdb_allows_no_disruptions::PdbAllowsNoDisruptions;
pub use pod_unschedulable::PodUnschedulable;
pub use replicas_in_one_zone::ReplicasInOneZone;
pub use replicas_not_ready::ReplicasNotReady;
pub use replicas_on_one_node::ReplicasOnOneNode;

use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &ContainerOomKilled,
    &ContainerCrashLooping,
    &ContainerRestartsHigh,
    &PodUnschedulable,
    &ReplicasNotReady,
    &ReplicasOnOneNode,
    &ReplicasInOneZone,
    &NodePressure,
    &NodeNotReady,
    &PdbAllowsNoDisruptions,
    &CorednsReplicasTooFew,
    &CorednsPdbMissing,
    &DeprecatedApiRequested,
    &CorednsNotSpread,
    &CorednsAutoscalerMissing,
];
