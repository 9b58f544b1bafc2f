//! Helpers shared by the LIV rules: the pods behind a workload and how messages name
//! them.

use plimsoll_model::{
    Container, ContainerState, ContainerStatus, Node, Object, PodStatus, PodTemplate, Timestamp,
    format_duration,
};

use crate::rule::{Context, Finding};

/// At most this many pods (or nodes) go into a finding's `related` list.
pub const MAX_RELATED: usize = 3;

/// The Pods whose status judges a workload: the Pods it controls (directly or through
/// its ReplicaSets or Jobs), or the Pod itself when the object is a Pod. Only Pods
/// that report a status count.
pub fn pods<'a>(cx: &Context<'a>, id: usize, obj: &Object) -> Vec<(usize, PodStatus<'a>)> {
    let ids = if obj.kind == "Pod" && obj.group().is_empty() {
        vec![id]
    } else {
        cx.index.pods_of(id)
    };
    ids.into_iter()
        .filter_map(|p| PodStatus::of(cx.index.object(p)).map(|s| (p, s)))
        .collect()
}

/// `Deployment `api`` or `Pod `api-x7k2p``.
pub fn named(obj: &Object) -> String {
    format!("{} `{}`", obj.kind, obj.name)
}

/// How long ago `t` was: `3h ago`; `just now` when it is not before `now`.
pub fn ago(now: Option<Timestamp>, t: Timestamp) -> String {
    match now {
        Some(now) if now > t => format!("{} ago", format_duration(now.unix() - t.unix())),
        Some(_) => "just now".to_string(),
        None => format!("at {t}"),
    }
}

/// The container of a pod's spec with that name (the pod's own resources, which a
/// VerticalPodAutoscaler or an older template may have set differently).
pub fn pod_container<'a>(pod: &'a Object, name: &str) -> Option<Container<'a>> {
    let t = PodTemplate::of(pod)?;
    t.containers().find(|c| c.name == name)
}

/// How the container last ended, from `lastState.terminated` (or `state.terminated`):
/// `OOMKilled (exit code 137)`.
pub fn last_exit(cs: &ContainerStatus) -> Option<(String, Option<Timestamp>)> {
    [cs.last_state, cs.state]
        .into_iter()
        .flatten()
        .find_map(|s| match s {
            ContainerState::Terminated {
                reason,
                exit_code,
                finished_at,
            } => {
                let what = match (reason, exit_code) {
                    (Some(r), Some(c)) => format!("{r} (exit code {c})"),
                    (Some(r), None) => r.to_string(),
                    (None, Some(c)) => format!("exit code {c}"),
                    (None, None) => return None,
                };
                Some((what, finished_at))
            }
            _ => None,
        })
}

/// Adds the first [`MAX_RELATED`] pods to a finding, unless a pod is the finding's own
/// object.
pub fn relate_pods(
    f: &mut Finding,
    pods: impl IntoIterator<Item = (usize, plimsoll_model::Pointer)>,
) {
    for (p, path) in pods.into_iter().take(MAX_RELATED) {
        if p != f.object {
            f.related(p, path);
        }
    }
}

/// `spec.replicas` as Kubernetes defaults it (1).
pub fn spec_replicas(obj: &Object) -> i64 {
    obj.root
        .at(&["spec", "replicas"])
        .and_then(Node::as_i64)
        .unwrap_or(1)
}

/// Whether a Node is cordoned (`spec.unschedulable: true`).
pub fn is_cordoned(node: &Object) -> bool {
    node.root
        .at(&["spec", "unschedulable"])
        .and_then(Node::as_bool)
        .unwrap_or(false)
}

/// Core Node objects of the input.
pub fn nodes<'a>(cx: &Context<'a>) -> impl Iterator<Item = (usize, &'a Object)> + 'a {
    cx.index
        .of_kind("Node")
        .filter(|(_, o)| o.group().is_empty())
}

/// The Node of that name, when it is in the input.
pub fn node_named<'a>(cx: &Context<'a>, name: &str) -> Option<(usize, &'a Object)> {
    cx.index
        .get("Node", None, name)
        .filter(|(_, o)| o.group().is_empty())
}

/// The zone a Node is in (`topology.kubernetes.io/zone`, or the deprecated
/// `failure-domain.beta.kubernetes.io/zone` of older clusters).
pub fn zone_of(node: &Object) -> Option<&str> {
    node.label("topology.kubernetes.io/zone")
        .or_else(|| node.label("failure-domain.beta.kubernetes.io/zone"))
        .filter(|z| !z.is_empty())
}

/// The cluster DNS Deployment: in `kube-system`, labelled `k8s-app: kube-dns` (every
/// distribution labels it so, whatever its name) or named `coredns` or `kube-dns`.
pub fn is_cluster_dns(obj: &Object) -> bool {
    obj.kind == "Deployment"
        && matches!(obj.group(), "apps" | "extensions")
        && obj.namespace.as_deref() == Some("kube-system")
        && (obj.label("k8s-app") == Some("kube-dns")
            || matches!(obj.name.as_str(), "coredns" | "kube-dns"))
}
