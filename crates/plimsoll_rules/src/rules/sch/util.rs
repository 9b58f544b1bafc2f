//! Helpers shared by the SCH rules: how a pod template constrains its nodes.

use plimsoll_model::{Node, PodTemplate};

/// Whether the template restricts its nodes at all: a non-empty `nodeSelector`, or
/// required node affinity with at least one term. (`nodeName` counts too.)
pub fn has_node_constraint(t: &PodTemplate) -> bool {
    let selector = t
        .spec_field("nodeSelector")
        .is_some_and(|s| !s.entries().is_empty());
    let node_name = t
        .spec_field("nodeName")
        .and_then(Node::as_text)
        .is_some_and(|n| !n.is_empty());
    selector || node_name || !required_terms(t).is_empty()
}

/// The `nodeSelectorTerms` of required node affinity (ORed by the scheduler).
pub fn required_terms<'a>(t: &PodTemplate<'a>) -> &'a [Node] {
    t.spec
        .at(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .map(Node::items)
        .unwrap_or_default()
}
