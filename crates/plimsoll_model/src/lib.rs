//! Kubernetes semantics, modelled once: objects and their scope, the pod-template view
//! over every workload kind, container kinds, resource quantities, QoS classes, label
//! selectors, Kubernetes versions, the runtime state objects report in `status`, and the
//! cross-object [`Index`].
//!
//! Nothing here does I/O: front-ends (files, a live cluster, admission) build
//! [`Object`]s and hand them over.

mod api_resources;
pub mod drain;
pub mod helm;
mod index;
mod intstr;
mod object;
mod pod;
mod ports;
mod quantity;
mod selector;
mod status;
mod version;

pub use api_resources::{
    ApiResource, ApiResources, RESOURCE_VERBS, Resolved, URL_VERBS, check_verb, closest,
};
pub use index::{Ids, IdsIter, Index, NsKey, SelectorClass, replica_count};
pub use intstr::IntOrPct;
pub use object::{Object, ObjectRef, SourceRef, is_builtin_group, is_cluster_scoped};
pub use pod::{
    Container, ContainerKind, ControllerSelector, PodTemplate, QosClass, ResourceList, Resources,
    SecurityField,
};
pub use ports::{ContainerPort, PORT_PROTOCOLS, is_valid_port_num, port_name_problems};
pub use quantity::{Quantity, QuantityError};
pub use selector::{LabelSelector, Requirement, SelectorOp};
pub use status::{
    Condition, ContainerState, ContainerStatus, PodStatus, Timestamp, condition, conditions,
    format_duration, newest_timestamp, status_i64,
};
pub use version::KubeVersion;

pub use plimsoll_yaml::{Node, Pointer, Span};

#[cfg(test)]
mod tests;
