//! Everything loaded at once, so that cross-object rules are look-ups, not scans.

use std::collections::{BTreeSet, HashMap};

use plimsoll_yaml::Node;

use crate::object::Object;
use crate::pod::PodTemplate;
use crate::selector::LabelSelector;

/// A namespace (`None` for cluster scope).
pub type NsKey = Option<String>;

/// The cross-object index. Objects are addressed by their position in the run.
#[derive(Debug, Default)]
pub struct Index {
    objects: Vec<Object>,
    by_name: HashMap<(String, NsKey, String), Vec<usize>>,
    by_kind: HashMap<String, Vec<usize>>,
    by_ns: HashMap<String, Vec<usize>>,
    namespaces: BTreeSet<String>,
    /// workloads with a pod template and no controlling owner, per namespace
    workloads_by_ns: HashMap<String, Vec<usize>>,
    /// (namespace, label key, label value) -> workloads whose template carries it
    workloads_by_label: HashMap<(String, String, String), Vec<usize>>,
    /// HPA scale targets: (namespace, kind, name) -> HPAs
    hpas_by_target: HashMap<(String, String, String), Vec<usize>>,
    /// PDB -> workloads it selects, and back
    pdb_workloads: HashMap<usize, Vec<usize>>,
    workload_pdbs: HashMap<usize, Vec<usize>>,
    /// workload -> Services whose selector selects its pods
    workload_services: HashMap<usize, Vec<usize>>,
    /// object -> its controlling owner, when that owner is in the input
    owner: Vec<Option<usize>>,
    /// owner -> the objects it controls, in input order
    controlled: HashMap<usize, Vec<usize>>,
    /// objects judged through their controlling owner (see `judged_through_owner`)
    through_owner: Vec<bool>,
    /// namespaces the front-end declared whole (see `holds_namespace`)
    whole: BTreeSet<String>,
}

impl Index {
    pub fn new(objects: Vec<Object>) -> Index {
        let mut ix = Index {
            objects,
            ..Index::default()
        };
        for (id, o) in ix.objects.iter().enumerate() {
            ix.by_name
                .entry((o.kind.clone(), o.namespace.clone(), o.name.clone()))
                .or_default()
                .push(id);
            ix.by_kind.entry(o.kind.clone()).or_default().push(id);
            if let Some(ns) = &o.namespace {
                ix.by_ns.entry(ns.clone()).or_default().push(id);
                ix.namespaces.insert(ns.clone());
            }
            if o.kind == "Namespace" && o.group().is_empty() {
                ix.namespaces.insert(o.name.clone());
            }
            if let (Some(t), Some(ns)) = (PodTemplate::of(o), &o.namespace)
                && !o.has_controller()
            {
                ix.workloads_by_ns.entry(ns.clone()).or_default().push(id);
                for (k, v) in t.labels() {
                    ix.workloads_by_label
                        .entry((ns.clone(), k.to_string(), v.to_string()))
                        .or_default()
                        .push(id);
                }
            }
            if o.kind == "HorizontalPodAutoscaler"
                && let (Some(ns), Some(target)) =
                    (&o.namespace, o.root.at(&["spec", "scaleTargetRef"]))
                && let (Some(kind), Some(name)) = (
                    target.get("kind").and_then(Node::as_text),
                    target.get("name").and_then(Node::as_text),
                )
            {
                ix.hpas_by_target
                    .entry((ns.clone(), kind.to_string(), name.to_string()))
                    .or_default()
                    .push(id);
            }
        }
        ix.owner = (0..ix.objects.len())
            .map(|id| ix.resolve_owner(id))
            .collect();
        for (id, owner) in ix.owner.iter().enumerate() {
            if let Some(o) = owner {
                ix.controlled.entry(*o).or_default().push(id);
            }
        }
        ix.through_owner = (0..ix.objects.len())
            .map(|id| ix.compute_through_owner(id))
            .collect();
        let services: Vec<(usize, String, LabelSelector)> = ix
            .of_kind("Service")
            .filter(|(_, s)| s.group().is_empty())
            .filter_map(|(id, s)| {
                let spec = s.spec()?;
                if spec.get("type").and_then(Node::as_text) == Some("ExternalName") {
                    return None;
                }
                let sel = LabelSelector::from_map(spec.get("selector")?);
                (!sel.is_empty()).then(|| (id, s.namespace.clone().unwrap_or_default(), sel))
            })
            .collect();
        for (svc, ns, sel) in services {
            for w in ix.workloads_matching(&ns, &sel) {
                ix.workload_services.entry(w).or_default().push(svc);
            }
        }
        let pdbs: Vec<usize> = ix
            .of_kind("PodDisruptionBudget")
            .map(|(id, _)| id)
            .collect();
        for pdb in pdbs {
            let selected = ix.pdb_selection(pdb).unwrap_or_default();
            for &w in &selected {
                ix.workload_pdbs.entry(w).or_default().push(pdb);
            }
            ix.pdb_workloads.insert(pdb, selected);
        }
        ix
    }

    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    pub fn object(&self, id: usize) -> &Object {
        &self.objects[id]
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Objects of a kind (any group), with their ids.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = (usize, &'a Object)> + 'a {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&id| (id, &self.objects[id]))
    }

    /// Objects of a kind in a namespace.
    pub fn of_kind_in<'a>(
        &'a self,
        kind: &'a str,
        ns: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Object)> + 'a {
        // whichever list is shorter, the objects of the kind or those of the
        // namespace: both are in input order
        let of_kind = self
            .by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let in_ns = self.in_namespace(ns);
        let (ids, by_ns) = if in_ns.len() < of_kind.len() {
            (in_ns, true)
        } else {
            (of_kind, false)
        };
        ids.iter()
            .map(|&id| (id, &self.objects[id]))
            .filter(move |(_, o)| {
                if by_ns {
                    o.kind == kind
                } else {
                    o.namespace.as_deref() == Some(ns)
                }
            })
    }

    /// The object of a kind and name (namespaced when `ns` is given).
    pub fn get(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<(usize, &Object)> {
        self.by_name
            .get(&(kind.to_string(), ns.map(str::to_string), name.to_string()))
            .and_then(|ids| ids.first())
            .map(|&id| (id, &self.objects[id]))
    }

    /// All objects with that identity (more than one means duplicates in the input).
    pub fn all_named(&self, kind: &str, ns: Option<&str>, name: &str) -> &[usize] {
        self.by_name
            .get(&(kind.to_string(), ns.map(str::to_string), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Objects in a namespace.
    pub fn in_namespace(&self, ns: &str) -> &[usize] {
        self.by_ns.get(ns).map(Vec::as_slice).unwrap_or_default()
    }

    /// Namespaces that have objects in the input (or a Namespace object).
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces.iter().map(String::as_str)
    }

    /// Whether the input says anything about a namespace: some object of it, or its
    /// Namespace object. Rules that look into a namespace need at least this; rules
    /// that conclude that something is missing from it need [`Index::holds_namespace`].
    pub fn knows_namespace(&self, ns: &str) -> bool {
        self.namespaces.contains(ns)
    }

    /// Whether the input says enough about `ns` to judge a reference from object `id`
    /// into it: the input holds the namespace ([`Index::holds_namespace`]), or any
    /// object of the namespace besides `id` itself. (The referring object alone does
    /// not make a namespace known: a single file linted on its own says nothing about
    /// what else the namespace holds.)
    pub fn knows_namespace_besides(&self, ns: &str, id: usize) -> bool {
        self.holds_namespace(ns) || self.in_namespace(ns).iter().any(|&o| o != id)
    }

    /// Whether the input evidently holds the whole of namespace `ns`, so that what it
    /// lacks there is missing, not merely elsewhere: its Namespace object is in the
    /// input (whoever ships the namespace ships what it needs), or the front-end
    /// declared the namespace whole ([`Index::hold_namespaces_of`]): a directory or
    /// a root read for its objects, a rendered chart or overlay, a live cluster.
    ///
    /// This is the one notion of completeness: rules that conclude that a namespace
    /// lacks something (a default-deny NetworkPolicy, a LimitRange) judge only held
    /// namespaces and report the others as not evaluated; reference rules accept it
    /// besides their own evidence.
    pub fn holds_namespace(&self, ns: &str) -> bool {
        self.whole.contains(ns) || self.namespace_object(ns).is_some()
    }

    /// Declares the namespaces of the objects for which `whole` is true as held
    /// whole by the input (see [`Index::holds_namespace`]). Front-ends call it with
    /// what they know of where each object came from; rules never do.
    pub fn hold_namespaces_of(&mut self, whole: impl Fn(&Object) -> bool) {
        for o in &self.objects {
            if let Some(ns) = &o.namespace
                && whole(o)
                && !self.whole.contains(ns)
            {
                self.whole.insert(ns.clone());
            }
        }
    }

    /// The Namespace object, when it is in the input.
    pub fn namespace_object(&self, ns: &str) -> Option<(usize, &Object)> {
        self.get("Namespace", None, ns)
    }

    /// Workloads (objects with a pod template and no controlling owner) in a namespace.
    pub fn workloads_in(&self, ns: &str) -> &[usize] {
        self.workloads_by_ns
            .get(ns)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Workloads in `ns` whose pod template labels match `selector`. An empty selector
    /// matches every workload of the namespace; callers decide whether the API in
    /// question treats it so.
    pub fn workloads_matching(&self, ns: &str, selector: &LabelSelector) -> Vec<usize> {
        let candidates: &[usize] = match selector.required_pair() {
            Some((k, v)) => self
                .workloads_by_label
                .get(&(ns.to_string(), k.to_string(), v.to_string()))
                .map(Vec::as_slice)
                .unwrap_or_default(),
            None => self.workloads_in(ns),
        };
        candidates
            .iter()
            .copied()
            .filter(|&id| {
                PodTemplate::of(&self.objects[id]).is_some_and(|t| {
                    let labels: Vec<(&str, &str)> = t.labels().collect();
                    selector.matches_pairs(&labels)
                })
            })
            .collect()
    }

    /// The controlling owner of an object (its ownerReference with `controller: true`),
    /// when that owner is in the input.
    pub fn owner_of(&self, id: usize) -> Option<(usize, &Object)> {
        self.owner
            .get(id)
            .copied()
            .flatten()
            .map(|o| (o, &self.objects[o]))
    }

    /// The objects an object controls (whose controlling ownerReference names it), in
    /// input order.
    pub fn controlled_by(&self, id: usize) -> &[usize] {
        self.controlled
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The Pods a workload controls, directly (StatefulSet, DaemonSet, Job, ReplicaSet,
    /// ReplicationController) or through one level of controllers (Deployment and Argo
    /// Rollout through ReplicaSets, OpenShift DeploymentConfig through
    /// ReplicationControllers, CronJob through Jobs), in input order. Empty when
    /// none are in the input (files without a cluster dump).
    pub fn pods_of(&self, id: usize) -> Vec<usize> {
        let is_pod = |c: usize| {
            let o = &self.objects[c];
            o.kind == "Pod" && o.group().is_empty()
        };
        let mut out = Vec::new();
        for &c in self.controlled_by(id) {
            if is_pod(c) {
                out.push(c);
            } else {
                out.extend(self.controlled_by(c).iter().copied().filter(|&g| is_pod(g)));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether the object is judged through its controlling owner instead of on its own:
    /// both run pods and the owner is in the input (a ReplicaSet of a Deployment, the Pods
    /// of a ReplicaSet, a Job of a CronJob). The owner's template is what a user edits;
    /// judging the copies as well would report every finding again for each of them.
    /// Objects that run no pods, and those whose owner runs none of its own (a
    /// StatefulSet an operator's custom resource creates), are judged on their own.
    /// "Runs pods" means a pod template, or a built-in controller kind: a live front-end
    /// may hand over slimmed copies of owned ReplicaSets without their template.
    pub fn judged_through_owner(&self, id: usize) -> bool {
        self.through_owner.get(id).copied().unwrap_or(false)
    }

    /// The controlling owner in the input, matched by kind and name in the object's
    /// namespace (or cluster scope), and by uid when both the reference and the
    /// candidate carry one (a recreated owner of the same name is another object).
    fn resolve_owner(&self, id: usize) -> Option<usize> {
        let o = &self.objects[id];
        let r = o.controller_ref()?;
        let kind = r.get("kind")?.as_text()?;
        let name = r.get("name")?.as_text()?;
        let uid = r
            .get("uid")
            .and_then(Node::as_text)
            .filter(|u| !u.is_empty());
        let namespaced = o
            .namespace
            .as_deref()
            .map(|ns| self.all_named(kind, Some(ns), name))
            .unwrap_or_default();
        namespaced
            .iter()
            .chain(self.all_named(kind, None, name))
            .copied()
            .find(|&c| {
                c != id
                    && match (uid, self.objects[c].uid()) {
                        (Some(want), Some(have)) => want == have,
                        _ => true,
                    }
            })
    }

    fn compute_through_owner(&self, id: usize) -> bool {
        let Some(owner) = self.owner[id] else {
            return false;
        };
        if !runs_pods(&self.objects[id]) || !runs_pods(&self.objects[owner]) {
            return false;
        }
        // malformed inputs may own each other in a cycle: then nothing would judge them
        let mut at = owner;
        for _ in 0..16 {
            match self.owner[at] {
                Some(up) if up == id => return false,
                Some(up) => at = up,
                None => return true,
            }
        }
        false
    }

    /// Services (not ExternalName, with a selector) that select a workload's pods.
    pub fn services_for(&self, workload: usize) -> &[usize] {
        self.workload_services
            .get(&workload)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// A long-running workload that receives traffic: a regular container declares a
    /// containerPort, or a Service of the input selects its pods.
    pub fn is_serving(&self, workload: usize) -> bool {
        let o = &self.objects[workload];
        PodTemplate::of(o).is_some_and(|t| {
            t.is_long_running()
                && (t
                    .app_containers()
                    .any(|c| c.ports().any(|(_, n)| n.is_some()))
                    || !self.services_for(workload).is_empty())
        })
    }

    /// HPAs whose scaleTargetRef names this object.
    pub fn hpas_for(&self, id: usize) -> Vec<usize> {
        let o = &self.objects[id];
        let Some(ns) = &o.namespace else {
            return Vec::new();
        };
        self.hpas_by_target
            .get(&(ns.clone(), o.kind.clone(), o.name.clone()))
            .cloned()
            .unwrap_or_default()
    }

    /// PDBs that select the pods of a workload.
    pub fn pdbs_for(&self, workload: usize) -> &[usize] {
        self.workload_pdbs
            .get(&workload)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Workloads a PDB selects.
    pub fn pdb_targets(&self, pdb: usize) -> &[usize] {
        self.pdb_workloads
            .get(&pdb)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// What a PDB selects, by its API version's rules: in policy/v1 an empty selector
    /// selects every pod of the namespace and a missing one none; in policy/v1beta1
    /// both select none. `None` for a selector that cannot be parsed.
    fn pdb_selection(&self, pdb: usize) -> Option<Vec<usize>> {
        let o = &self.objects[pdb];
        let ns = o.namespace.as_deref()?;
        let sel_node = o.root.at(&["spec", "selector"])?;
        if sel_node.is_null() {
            return Some(Vec::new());
        }
        let sel = LabelSelector::from_label_selector(sel_node)?;
        if sel.is_empty() && o.api_version != "policy/v1" {
            return Some(Vec::new());
        }
        Some(self.workloads_matching(ns, &sel))
    }

    /// The replica count Kubernetes runs for a workload: `spec.replicas` for scalable
    /// kinds, the HPA's minReplicas when an HPA manages it, `None` for kinds without a
    /// replica count (DaemonSet, Job, Pod). An absent `spec.replicas` is 1, except on an
    /// OpenShift DeploymentConfig: its `replicas` is a plain integer that OpenShift
    /// does not default, so absent means 0.
    pub fn expected_min_replicas(&self, id: usize) -> Option<i64> {
        let o = &self.objects[id];
        let default = match o.kind.as_str() {
            "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" | "Rollout" => 1,
            "DeploymentConfig" if o.group() == "apps.openshift.io" => 0,
            _ => return None,
        };
        let hpas = self.hpas_for(id);
        if let Some(&h) = hpas.first() {
            return replica_count(self.objects[h].root.at(&["spec", "minReplicas"]), 1).ok();
        }
        replica_count(o.root.at(&["spec", "replicas"]), default).ok()
    }
}

/// A replica count as the API server reads it: absent or `null` is the default; an
/// integer of 0 or more is itself; anything else (a string, a mapping, a fraction,
/// `.nan`, a negative number, a number beyond int32) is rejected, and is returned as
/// the text written (or its YAML kind) for messages.
pub fn replica_count(node: Option<&Node>, default: i64) -> Result<i64, String> {
    let Some(n) = node.filter(|n| !n.is_null()) else {
        return Ok(default);
    };
    match n.as_i64() {
        // `3.0` and `1e3` are whole numbers: YAML-to-JSON conversion writes them as 3
        // and 1000, which the API server accepts
        Some(v) if (0..=i64::from(i32::MAX)).contains(&v) => Ok(v),
        _ => Err(match n.as_text() {
            Some(t) => format!("`{t}`"),
            None if n.is_map() => "a mapping".to_string(),
            None => "a list".to_string(),
        }),
    }
}

/// Whether an object runs pods: it has a pod template, or it is of a built-in controller
/// kind (whose template a slimmed copy may lack).
fn runs_pods(o: &Object) -> bool {
    PodTemplate::of(o).is_some()
        || matches!(
            (o.group(), o.kind.as_str()),
            (
                "apps" | "extensions",
                "Deployment" | "ReplicaSet" | "DaemonSet"
            ) | ("apps", "StatefulSet")
                | ("batch", "Job" | "CronJob")
                | ("", "Pod" | "ReplicationController")
                | ("argoproj.io", "Rollout")
                | ("apps.openshift.io", "DeploymentConfig")
        )
}
