//! Helpers shared by the LIV rules: the pods behind a workload and how messages name
//! them.

use plimsoll_model::{
    Container, ContainerState, ContainerStatus, Node, Object, PodStatus, PodTemplate, Timestamp,
    format_duration,
};

use crate::rule::{Context, Finding, Sink};

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

/// The pod template of a workload (or Pod) and its [`pods`], or `None` when it has no
/// template or no pod reports a status: then a rule that reads the pods has nothing to
/// judge.
pub fn template_and_pods<'a, 'o>(
    cx: &Context<'a>,
    id: usize,
    obj: &'o Object,
) -> Option<(PodTemplate<'o>, Vec<(usize, PodStatus<'a>)>)> {
    let t = PodTemplate::of(obj)?;
    let pods = pods(cx, id, obj);
    (!pods.is_empty()).then_some((t, pods))
}

/// A pod in which a rule kept the status of one container, and what it read there.
#[derive(Debug, Clone, Copy)]
pub struct PodHit<'a, T> {
    /// The Pod.
    pub pod: usize,
    /// The Pod's status.
    pub status: PodStatus<'a>,
    /// The container's status in that Pod.
    pub container: ContainerStatus<'a>,
    /// What the rule's `pick` returned for it.
    pub found: T,
}

/// One container of a workload's template, and the pods in which a rule kept its
/// status.
#[derive(Debug, Clone)]
pub struct ContainerHits<'a, T> {
    /// The container of the template.
    pub container: Container<'a>,
    /// How many of the pods report a status for it.
    pub seen: usize,
    /// The pods whose status of the container `pick` kept, never empty: the most
    /// restarted first, then in pod order.
    pub hits: Vec<PodHit<'a, T>>,
}

impl<T> ContainerHits<'_, T> {
    /// Whether the only pod is the object judged itself (a bare Pod, not the pods of a
    /// workload), so that the message need not say which pods.
    pub fn is_own_pod(&self, id: usize) -> bool {
        self.hits.len() == 1 && self.hits[0].pod == id
    }
}

/// For each container of the template that counts for resources (all but ephemeral
/// ones), the pods whose status of that container `pick` keeps (it returns `Some`),
/// the pod that restarted it most first. Containers no pod keeps are left out; pods
/// without a status of the container are not counted in
/// [`seen`](ContainerHits::seen).
pub fn container_hits<'a, T>(
    t: &PodTemplate<'a>,
    pods: &[(usize, PodStatus<'a>)],
    mut pick: impl FnMut(PodStatus<'a>, ContainerStatus<'a>) -> Option<T>,
) -> Vec<ContainerHits<'a, T>> {
    let mut out = Vec::new();
    for c in t.containers().filter(|c| c.kind.counts_for_resources()) {
        let mut seen = 0;
        let mut hits = Vec::new();
        for &(pod, status) in pods {
            let Some(container) = status.container(c.name) else {
                continue;
            };
            seen += 1;
            if let Some(found) = pick(status, container) {
                hits.push(PodHit {
                    pod,
                    status,
                    container,
                    found,
                });
            }
        }
        if hits.is_empty() {
            continue;
        }
        // the pod that restarted it most tells the story
        hits.sort_by(|a, b| {
            b.container
                .restart_count
                .cmp(&a.container.restart_count)
                .then(a.pod.cmp(&b.pod))
        });
        out.push(ContainerHits {
            container: c,
            seen,
            hits,
        });
    }
    out
}

/// `2 of 3 pods of Deployment `api``: how many of a workload's pods something holds
/// for.
pub fn some_pods_of(n: usize, of: usize, obj: &Object) -> String {
    format!("{n} of {of} pods of {}", named(obj))
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

/// How long it has been from `since` to `now` (`3h`), when both are known and `since`
/// is before `now`.
pub fn elapsed(now: Option<Timestamp>, since: Option<Timestamp>) -> Option<String> {
    match (now, since) {
        (Some(now), Some(since)) if now > since => Some(format_duration(now.unix() - since.unix())),
        _ => None,
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

/// Reports that all running pods of a workload are packed together (`all 3 running pods
/// of Deployment `api` are ` and `place`), on the template's
/// `topologySpreadConstraints`, which would spread them. `None` when the object has
/// no pod template.
pub fn report_packed<'s>(
    out: &'s mut Sink,
    id: usize,
    obj: &Object,
    running: usize,
    place: &str,
) -> Option<&'s mut Finding> {
    let t = PodTemplate::of(obj)?;
    Some(out.report(
        id,
        t.spec_pointer(&["topologySpreadConstraints"]),
        format!("all {running} running pods of {} are {place}", named(obj)),
    ))
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

/// A DNS autoscaler Deployment in kube-system (`dns-autoscaler`,
/// `kube-dns-autoscaler`, `coredns-autoscaler`: cluster-proportional-autoscaler as
/// kubespray, GKE and AKS install it).
pub fn dns_autoscaler(cx: &Context) -> Option<usize> {
    cx.index
        .of_kind_in("Deployment", "kube-system")
        .find(|(_, o)| o.name.contains("dns") && o.name.ends_with("autoscaler"))
        .map(|(id, _)| id)
}
