//! One view of the pod a workload creates, whatever the workload kind.

use plimsoll_yaml::{Data, Node, Pointer, Pos, Span};

use crate::object::{Object, is_builtin_group, map_pairs};
use crate::quantity::Quantity;
use crate::selector::LabelSelector;
use crate::version::KubeVersion;

/// The pod template of an object: where its metadata and spec are, and the path to it.
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    pub object: &'a Object,
    /// The template node (for a Pod, the Pod itself).
    pub node: &'a Node,
    pub spec: &'a Node,
    /// Pointer to the template inside the object (`/spec/template`; empty for a Pod).
    base: &'static [&'static str],
}

/// How Kubernetes runs a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerKind {
    /// `initContainers` without `restartPolicy: Always`: runs to completion before the others.
    Init,
    /// `initContainers` with `restartPolicy: Always`: a sidecar that runs beside the app.
    Sidecar,
    /// `containers`.
    Regular,
    /// `ephemeralContainers`: debugging containers, without resources or probes.
    Ephemeral,
}

impl ContainerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Sidecar => "sidecar container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }

    /// Whether the container runs for the life of the pod (regular and sidecar).
    pub fn is_long_running(self) -> bool {
        matches!(self, ContainerKind::Regular | ContainerKind::Sidecar)
    }

    /// Whether its resources count for scheduling and QoS (all but ephemeral).
    pub fn counts_for_resources(self) -> bool {
        !matches!(self, ContainerKind::Ephemeral)
    }
}

/// A container of a pod template.
#[derive(Debug, Clone, Copy)]
pub struct Container<'a> {
    pub kind: ContainerKind,
    pub index: usize,
    pub node: &'a Node,
    pub name: &'a str,
    field: &'static str,
    template: PodTemplate<'a>,
}

/// A field of a container's effective security context and where it is written.
#[derive(Debug, Clone)]
pub struct SecurityField<'a> {
    pub node: &'a Node,
    pub pointer: Pointer,
    /// Inherited from the pod's `spec.securityContext`.
    pub pod_level: bool,
}

/// Requests or limits of cpu and memory (others kept by name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceList {
    pub cpu: Option<Quantity>,
    pub memory: Option<Quantity>,
    /// Resources other than cpu and memory, by name.
    pub other: Vec<(String, Option<Quantity>)>,
    /// Values that are not valid quantities: (resource name, text).
    pub invalid: Vec<(String, String)>,
}

impl ResourceList {
    pub fn from_node(node: Option<&Node>) -> ResourceList {
        let mut out = ResourceList::default();
        for e in node.map(Node::entries).unwrap_or_default() {
            let text = e.value.as_text().unwrap_or("");
            let q = Quantity::parse(text).ok();
            if q.is_none() {
                out.invalid.push((e.key.to_string(), text.to_string()));
            }
            match e.key.as_str() {
                "cpu" => out.cpu = q,
                "memory" => out.memory = q,
                _ => out.other.push((e.key.to_string(), q)),
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none() && self.other.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<Quantity> {
        match name {
            "cpu" => self.cpu,
            "memory" => self.memory,
            _ => self
                .other
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, q)| *q),
        }
    }
}

/// Requests and limits of a container (or of the pod, for pod-level resources).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    /// As written.
    pub requests: ResourceList,
    pub limits: ResourceList,
}

impl Resources {
    pub fn from_node(node: Option<&Node>) -> Resources {
        Resources {
            requests: ResourceList::from_node(node.and_then(|n| n.get("requests"))),
            limits: ResourceList::from_node(node.and_then(|n| n.get("limits"))),
        }
    }

    /// The request Kubernetes stores for `name`: the written request, or the limit when
    /// only a limit is written (pod defaulting, applied to templates to predict pods).
    pub fn effective_request(&self, name: &str) -> Option<Quantity> {
        self.requests.get(name).or_else(|| self.limits.get(name))
    }
}

/// The kubelet's QoS classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QosClass {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl QosClass {
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

/// PodLevelResources is on by default from this release (beta).
const POD_LEVEL_RESOURCES: KubeVersion = KubeVersion::new(1, 34);

/// The spec of a built-in controller's template that has none: an empty mapping, so
/// that the workload is still a workload (its labels select, PDBs cover it) while it has
/// no containers to judge.
static NO_SPEC: Node = Node {
    span: Span {
        start: Pos { line: 0, col: 0 },
        end: Pos { line: 0, col: 0 },
    },
    data: Data::Map(Vec::new()),
};

const POD: &[&str] = &[];
const TEMPLATE: &[&str] = &["spec", "template"];
const CRONJOB: &[&str] = &["spec", "jobTemplate", "spec", "template"];
const POD_TEMPLATE: &[&str] = &["template"];

impl<'a> PodTemplate<'a> {
    /// The pod template of an object, for every kind that creates pods: Pod,
    /// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
    /// ReplicationController, PodTemplate, Argo Rollout, OpenShift DeploymentConfig,
    /// and any custom resource that embeds a template at `spec.template` with
    /// containers (OpenKruise and the like).
    pub fn of(object: &'a Object) -> Option<PodTemplate<'a>> {
        let base: &'static [&'static str] = match (object.group(), object.kind.as_str()) {
            ("", "Pod") => POD,
            ("", "PodTemplate") => POD_TEMPLATE,
            ("", "ReplicationController")
            | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet")
            | ("apps", "StatefulSet")
            | ("batch", "Job")
            | ("argoproj.io", "Rollout")
            | ("apps.openshift.io", "DeploymentConfig") => TEMPLATE,
            ("batch", "CronJob") => CRONJOB,
            ("", _) => return None,
            (g, _) if is_builtin_group(g) => return None,
            _ => TEMPLATE,
        };
        let node = object.root.at(base)?;
        let spec = match node.get("spec") {
            Some(spec) => spec,
            // a built-in controller's template without a spec (the API server rejects
            // it): still this workload's template, with nothing in it
            None if base != POD && is_builtin_group(object.group()) && node.is_map() => &NO_SPEC,
            None => return None,
        };
        if base == TEMPLATE
            && !matches!(
                object.group(),
                "" | "apps" | "extensions" | "batch" | "argoproj.io"
            )
        {
            // a custom resource: only with a recognisable pod spec
            spec.get("containers").filter(|c| c.is_seq())?;
        }
        Some(PodTemplate {
            object,
            node,
            spec,
            base,
        })
    }

    /// Pointer to the template inside its object.
    pub fn pointer(&self) -> Pointer {
        Pointer::root().keys(self.base)
    }

    /// Pointer to a field of the pod spec (`/spec/template/spec/<keys>`).
    pub fn spec_pointer(&self, keys: &[&str]) -> Pointer {
        self.pointer().key("spec").keys(keys)
    }

    /// Pointer to a field of the template metadata.
    pub fn meta_pointer(&self, keys: &[&str]) -> Pointer {
        self.pointer().key("metadata").keys(keys)
    }

    pub fn is_pod(&self) -> bool {
        self.base.is_empty()
    }

    pub fn metadata(&self) -> Option<&'a Node> {
        self.node.get("metadata")
    }

    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        map_pairs(self.metadata().and_then(|m| m.get("labels")))
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata()?.get("annotations")?.get(key)?.as_text()
    }

    pub fn spec_field(&self, key: &str) -> Option<&'a Node> {
        self.spec.get(key)
    }

    /// Every container in the order Kubernetes starts them: init and sidecar
    /// containers, regular containers, then ephemeral containers.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        let t = *self;
        [
            ("initContainers", true),
            ("containers", false),
            ("ephemeralContainers", false),
        ]
        .into_iter()
        .flat_map(move |(field, init)| {
            t.spec
                .get(field)
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(move |(index, node)| {
                    let kind = match field {
                        "initContainers" => {
                            if node.get("restartPolicy").and_then(Node::as_text) == Some("Always") {
                                ContainerKind::Sidecar
                            } else {
                                ContainerKind::Init
                            }
                        }
                        "containers" => ContainerKind::Regular,
                        _ => ContainerKind::Ephemeral,
                    };
                    let _ = init;
                    Container {
                        kind,
                        index,
                        node,
                        name: node.get("name").and_then(Node::as_text).unwrap_or(""),
                        field,
                        template: t,
                    }
                })
        })
    }

    /// Regular containers only.
    pub fn app_containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        self.containers()
            .filter(|c| c.kind == ContainerKind::Regular)
    }

    /// Pod-level resources when the Kubernetes version honours them (PodLevelResources
    /// on by default from 1.34; earlier the API server drops the field).
    pub fn pod_resources_at(&self, version: KubeVersion) -> Option<Resources> {
        if version >= POD_LEVEL_RESOURCES {
            self.pod_resources()
        } else {
            None
        }
    }

    /// Pod-level resources (`spec.resources`), when written.
    pub fn pod_resources(&self) -> Option<Resources> {
        self.spec
            .get("resources")
            .map(|r| Resources::from_node(Some(r)))
    }

    /// The QoS class the kubelet of the newest Kubernetes gives the pods of this
    /// template (with request defaulting from limits applied, as the API server does
    /// when it creates them).
    pub fn qos_class(&self) -> QosClass {
        self.qos_class_at(KubeVersion::NEWEST)
    }

    /// The QoS class at a Kubernetes version: pod-level resources (`spec.resources`)
    /// decide alone where the PodLevelResources feature is on by default (beta, 1.34);
    /// before that the API server drops the field and the containers decide.
    pub fn qos_class_at(&self, version: KubeVersion) -> QosClass {
        if let Some(r) = self.pod_resources_at(version)
            && (r.requests.cpu.is_some()
                || r.requests.memory.is_some()
                || r.limits.cpu.is_some()
                || r.limits.memory.is_some())
        {
            return resource_qos(&r);
        }
        let mut pod: Option<QosClass> = None;
        for c in self.containers().filter(|c| c.kind.counts_for_resources()) {
            let q = resource_qos(&c.resources());
            if q == QosClass::Burstable {
                return QosClass::Burstable;
            }
            match pod {
                None => pod = Some(q),
                Some(p) if p != q => return QosClass::Burstable,
                _ => {}
            }
        }
        pod.unwrap_or(QosClass::BestEffort)
    }

    /// Whether the pods run for as long as they can: the long-running controllers
    /// (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Argo
    /// Rollout, OpenShift DeploymentConfig, and custom resources embedding a
    /// template) and bare Pods with restartPolicy Always; not Jobs, CronJobs or
    /// PodTemplates.
    pub fn is_long_running(&self) -> bool {
        let o = self.object;
        match (o.group(), o.kind.as_str()) {
            ("" | "apps" | "extensions", "Deployment" | "DaemonSet" | "ReplicaSet")
            | ("apps", "StatefulSet")
            | ("", "ReplicationController")
            | ("argoproj.io", "Rollout")
            | ("apps.openshift.io", "DeploymentConfig") => true,
            ("", "Pod") => self.restart_policy() == "Always",
            ("", _) | ("batch", _) => false,
            (g, _) => !is_builtin_group(g),
        }
    }

    /// The selector the object's controller finds its pods with, by kind and API
    /// version: required in `apps/v1` and `apps/v1beta2` (Deployment, ReplicaSet,
    /// StatefulSet, DaemonSet) and in Argo Rollouts that embed a template; defaulted
    /// from the template labels in a ReplicationController and in `extensions/v1beta1`
    /// and `apps/v1beta1`; the user's only with `manualSelector: true` in a Job.
    pub fn controller_selector(&self) -> ControllerSelector<'a> {
        let o = self.object;
        let pointer = Pointer::root().keys(&["spec", "selector"]);
        let written = o.root.at(&["spec", "selector"]).filter(|n| !n.is_null());
        let has_labels = self.labels().next().is_some();
        let defaulted = match (o.group(), o.kind.as_str()) {
            ("", "ReplicationController") => {
                return match written.filter(|n| !n.entries().is_empty()) {
                    Some(node) => ControllerSelector::Written {
                        node,
                        pointer,
                        selector: Some(LabelSelector::from_map(node)),
                        map: true,
                    },
                    None if has_labels => ControllerSelector::Defaulted,
                    None => ControllerSelector::Missing { pointer },
                };
            }
            ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
                o.version() == "v1beta1"
            }
            ("extensions", "Deployment" | "ReplicaSet" | "DaemonSet") => true,
            ("argoproj.io", "Rollout") => false,
            ("batch", "Job") => {
                let manual = o
                    .root
                    .at(&["spec", "manualSelector"])
                    .and_then(Node::as_bool);
                if manual != Some(true) {
                    return ControllerSelector::NotApplicable;
                }
                false
            }
            _ => return ControllerSelector::NotApplicable,
        };
        match written {
            Some(node) => ControllerSelector::Written {
                node,
                pointer,
                selector: LabelSelector::from_label_selector(node),
                map: false,
            },
            None if defaulted && has_labels => ControllerSelector::Defaulted,
            None => ControllerSelector::Missing { pointer },
        }
    }

    /// `spec.restartPolicy` as Kubernetes defaults it (`Always`).
    pub fn restart_policy(&self) -> &'a str {
        self.spec
            .get("restartPolicy")
            .and_then(Node::as_text)
            .unwrap_or("Always")
    }
}

/// The selector a controller finds its pods with, as the API server sees it once it has
/// applied its defaults ([`PodTemplate::controller_selector`]).
#[derive(Debug, Clone)]
pub enum ControllerSelector<'a> {
    /// The object selects no pods through a selector of its own: a Pod, a PodTemplate,
    /// a CronJob, a Job whose selector Kubernetes generates (no `manualSelector: true`),
    /// a custom resource other than an Argo Rollout.
    NotApplicable,
    /// Not written, and filled from the template labels: a ReplicationController, and
    /// the `extensions/v1beta1` and `apps/v1beta1` kinds.
    Defaulted,
    /// Required but not written (or `null`), and no template labels to default it from.
    Missing { pointer: Pointer },
    /// Written: a `metav1.LabelSelector`, or the plain map of a ReplicationController.
    /// `selector` is `None` when it cannot be parsed (the API server rejects it).
    Written {
        node: &'a Node,
        pointer: Pointer,
        selector: Option<LabelSelector>,
        map: bool,
    },
}

impl ControllerSelector<'_> {
    /// Pointer to the `i`-th requirement of a written selector: its `matchLabels` key,
    /// its `matchExpressions` entry, or the key of a plain map.
    pub fn term_pointer(&self, i: usize) -> Option<Pointer> {
        let ControllerSelector::Written {
            node,
            pointer,
            selector: Some(sel),
            map,
        } = self
        else {
            return None;
        };
        let r = sel.requirements.get(i)?;
        if *map {
            return Some(pointer.key(&r.key));
        }
        let n = node.get("matchLabels").map_or(0, |m| m.entries().len());
        Some(if i < n {
            pointer.keys(&["matchLabels", &r.key])
        } else {
            pointer.key("matchExpressions").index(i - n)
        })
    }
}

/// `resourceQOS` from the kubelet: only cpu and memory count, requests defaulted from
/// limits.
fn resource_qos(r: &Resources) -> QosClass {
    let mut qos: Option<QosClass> = None;
    let any = r.requests.cpu.is_some()
        || r.requests.memory.is_some()
        || r.limits.cpu.is_some()
        || r.limits.memory.is_some();
    if !any {
        return QosClass::BestEffort;
    }
    for res in ["cpu", "memory"] {
        let req = r.effective_request(res).unwrap_or(Quantity::ZERO);
        let lim = r.limits.get(res).unwrap_or(Quantity::ZERO);
        if req != lim {
            return QosClass::Burstable;
        }
        let best_effort = req.is_zero() && lim.is_zero();
        match qos {
            None => {
                qos = Some(if best_effort {
                    QosClass::BestEffort
                } else {
                    QosClass::Guaranteed
                })
            }
            Some(q) if best_effort != (q == QosClass::BestEffort) => return QosClass::Burstable,
            _ => {}
        }
    }
    qos.unwrap_or(QosClass::BestEffort)
}

impl<'a> Container<'a> {
    /// Pointer to this container (`/spec/template/spec/containers/0`).
    pub fn pointer(&self) -> Pointer {
        self.template.spec_pointer(&[self.field]).index(self.index)
    }

    /// Pointer to a field of this container.
    pub fn field_pointer(&self, keys: &[&str]) -> Pointer {
        self.pointer().keys(keys)
    }

    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    pub fn image(&self) -> Option<&'a str> {
        self.node.get("image").and_then(Node::as_text)
    }

    pub fn resources(&self) -> Resources {
        Resources::from_node(self.node.get("resources"))
    }

    pub fn template(&self) -> PodTemplate<'a> {
        self.template
    }

    /// A field of the container's effective security context: its own
    /// `securityContext.<key>`, else the pod's `spec.securityContext.<key>`, as the
    /// kubelet resolves the fields both define (`runAsUser`, `runAsGroup`,
    /// `runAsNonRoot`, `seLinuxOptions`, `seccompProfile`, `appArmorProfile`,
    /// `windowsOptions`). A `null` value counts as unset. `None` when neither sets it.
    pub fn security_field(&self, key: &str) -> Option<SecurityField<'a>> {
        let set = |n: Option<&'a Node>| n.filter(|v| !v.is_null());
        if let Some(node) = set(self.node.get("securityContext").and_then(|s| s.get(key))) {
            return Some(SecurityField {
                node,
                pointer: self.field_pointer(&["securityContext", key]),
                pod_level: false,
            });
        }
        let t = self.template;
        set(t.spec.get("securityContext").and_then(|s| s.get(key))).map(|node| SecurityField {
            node,
            pointer: t.spec_pointer(&["securityContext", key]),
            pod_level: true,
        })
    }

    /// The container's `env` entries.
    pub fn env(&self) -> &'a [Node] {
        self.node.get("env").map(Node::items).unwrap_or_default()
    }

    /// The container's `ports` entries, with the API server's defaults applied.
    pub fn port_entries(&self) -> Vec<crate::ContainerPort<'a>> {
        self.node
            .get("ports")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, p)| crate::ContainerPort::from_node(i, p))
            .collect()
    }

    /// Names and numbers of the ports the container declares.
    pub fn ports(&self) -> impl Iterator<Item = (Option<&'a str>, Option<i64>)> {
        self.node
            .get("ports")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(|p| {
                (
                    p.get("name").and_then(Node::as_text),
                    p.get("containerPort").and_then(Node::as_i64),
                )
            })
    }
}
