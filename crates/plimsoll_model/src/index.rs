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
    by_kind_ns: HashMap<(String, String), Vec<usize>>,
    by_ns: HashMap<String, Vec<usize>>,
    namespaces: BTreeSet<String>,
    /// workloads with a pod template and no controlling owner, per namespace
    workloads_by_ns: HashMap<String, Vec<usize>>,
    /// (namespace, label key, label value) -> workloads whose template carries it
    workloads_by_label: HashMap<(String, String, String), Vec<usize>>,
    /// HPA scale targets: (namespace, kind, name) -> HPAs
    hpas_by_target: HashMap<(String, String, String), Vec<usize>>,
    /// PDBs that select the same workloads, grouped: the classes, each PDB's class, and
    /// each workload's classes (ascending)
    pdb_classes: Vec<SelectorClass>,
    pdb_class_of: HashMap<usize, usize>,
    workload_pdb_classes: HashMap<usize, Vec<usize>>,
    /// per PDB class: the pods its workloads run (see `pdb_class_pods`), and whether an
    /// HPA scales one of them
    pdb_class_pods: Vec<Option<i64>>,
    pdb_class_autoscaled: Vec<bool>,
    /// Services (not ExternalName, with a selector) grouped the same way
    service_classes: Vec<SelectorClass>,
    service_class_of: HashMap<usize, usize>,
    workload_service_classes: HashMap<usize, Vec<usize>>,
    /// candidate workloads whose labels were matched against a selector while building
    selector_checks: usize,
    /// object -> its controlling owner, when that owner is in the input
    owner: Vec<Option<usize>>,
    /// owner -> the objects it controls, in input order
    controlled: HashMap<usize, Vec<usize>>,
    /// objects judged through their controlling owner (see `judged_through_owner`)
    through_owner: Vec<bool>,
    /// namespaces the front-end declared whole (see `holds_namespace`)
    whole: BTreeSet<String>,
    /// a Namespace object does not make its namespace held (see
    /// `hold_declared_namespaces_only`)
    declared_only: bool,
    /// Argo Rollouts with a `workloadRef` -> the Deployment that provides their template
    workload_refs: HashMap<usize, usize>,
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
                ix.by_kind_ns
                    .entry((o.kind.clone(), ns.clone()))
                    .or_default()
                    .push(id);
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
        ix.resolve_workload_refs();
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
        // Services and PDBs with the same selector in a namespace select the same
        // workloads: each distinct selector is matched once, and a workload keeps the
        // classes that select it, not every object of them (n Services sharing a
        // selector over n workloads cost n, not n x n).
        let mut classes: HashMap<(String, LabelSelector), usize> = HashMap::new();
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
            let key = (ns, sel.canonical());
            let c = match classes.get(&key) {
                Some(&c) => c,
                None => {
                    let (workloads, checks) = ix.matching_counted(&key.0, &key.1);
                    ix.selector_checks += checks;
                    ix.service_classes.push(SelectorClass {
                        members: Vec::new(),
                        workloads,
                    });
                    classes.insert(key, ix.service_classes.len() - 1);
                    ix.service_classes.len() - 1
                }
            };
            ix.service_classes[c].members.push(svc);
            ix.service_class_of.insert(svc, c);
        }
        for (c, class) in ix.service_classes.iter().enumerate() {
            for &w in &class.workloads {
                ix.workload_service_classes.entry(w).or_default().push(c);
            }
        }
        classes.clear();
        let pdbs: Vec<usize> = ix
            .of_kind("PodDisruptionBudget")
            .map(|(id, _)| id)
            .collect();
        for pdb in pdbs {
            let Some(key) = ix.pdb_selector(pdb) else {
                continue;
            };
            let c = match classes.get(&key) {
                Some(&c) => c,
                None => {
                    let (workloads, checks) = ix.matching_counted(&key.0, &key.1);
                    ix.selector_checks += checks;
                    ix.pdb_classes.push(SelectorClass {
                        members: Vec::new(),
                        workloads,
                    });
                    classes.insert(key, ix.pdb_classes.len() - 1);
                    ix.pdb_classes.len() - 1
                }
            };
            ix.pdb_classes[c].members.push(pdb);
            ix.pdb_class_of.insert(pdb, c);
        }
        for (c, class) in ix.pdb_classes.iter().enumerate() {
            for &w in &class.workloads {
                ix.workload_pdb_classes.entry(w).or_default().push(c);
            }
        }
        ix.pdb_class_pods = ix
            .pdb_classes
            .iter()
            .map(|class| class.workloads.iter().map(|&w| ix.fixed_pods(w)).sum())
            .collect();
        ix.pdb_class_autoscaled = ix
            .pdb_classes
            .iter()
            .map(|class| class.workloads.iter().any(|&w| !ix.hpas_for(w).is_empty()))
            .collect();
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

    /// Objects of a kind in a namespace (a look-up: it costs what it returns).
    pub fn of_kind_in<'a>(
        &'a self,
        kind: &'a str,
        ns: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Object)> + 'a {
        self.by_kind_ns
            .get(&(kind.to_string(), ns.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&id| (id, &self.objects[id]))
    }

    /// The identities (kind, namespace, name) that more than one object of the input
    /// carries: each list of objects, in input order.
    pub fn repeated_names(&self) -> impl Iterator<Item = &[usize]> {
        self.by_name
            .values()
            .filter(|ids| ids.len() > 1)
            .map(Vec::as_slice)
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

    /// Whether the input or, for a live audit, the cluster knows the kind `kind` of API
    /// group `group`: an object of it is among the inputs, or a CustomResourceDefinition
    /// that defines it. Rules about the objects of an add-on (Velero, Argo Rollouts,
    /// prometheus-operator) judge only where the add-on is evidently installed.
    pub fn kind_known(&self, group: &str, kind: &str) -> bool {
        self.of_kind(kind).any(|(_, o)| o.group() == group)
            || self.of_kind("CustomResourceDefinition").any(|(_, o)| {
                o.group() == "apiextensions.k8s.io"
                    && o.root.at(&["spec", "group"]).and_then(Node::as_text) == Some(group)
                    && o.root
                        .at(&["spec", "names", "kind"])
                        .and_then(Node::as_text)
                        == Some(kind)
            })
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
        self.whole.contains(ns) || (!self.declared_only && self.namespace_object(ns).is_some())
    }

    /// Makes only the namespaces declared with [`Index::hold_namespaces_of`] held: a
    /// Namespace object then says that its namespace exists, and with what labels, but
    /// not that the input holds what is in it. For a front-end that hands the rules
    /// every Namespace but the contents of only some (the admission webhook: the
    /// namespace of the object under review).
    pub fn hold_declared_namespaces_only(&mut self) {
        self.declared_only = true;
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

    /// The Deployment that provides the pod template of an Argo Rollout with a
    /// `spec.workloadRef` (and no template of its own), when it is in the input.
    pub fn workload_ref(&self, id: usize) -> Option<usize> {
        self.workload_refs.get(&id).copied()
    }

    /// The pod template an object runs: its own ([`PodTemplate::of`]), or for an Argo
    /// Rollout with a `workloadRef` the template of the referenced Deployment (whose
    /// pointers and spans are then the Deployment's).
    pub fn pod_template(&self, id: usize) -> Option<PodTemplate<'_>> {
        let o = &self.objects[id];
        PodTemplate::of(o).or_else(|| {
            self.workload_ref(id)
                .and_then(|d| PodTemplate::of(&self.objects[d]))
        })
    }

    /// Resolves the `workloadRef` of every Argo Rollout without a template of its own
    /// to the Deployment of its namespace, and indexes the Rollout as a workload with
    /// that template's labels (PodDisruptionBudgets and Services that select the pods
    /// select the Rollout's pods: the Rollout runs that template).
    fn resolve_workload_refs(&mut self) {
        let mut added: BTreeSet<String> = BTreeSet::new();
        for id in 0..self.objects.len() {
            let o = &self.objects[id];
            if o.kind != "Rollout" || o.group() != "argoproj.io" || o.has_controller() {
                continue;
            }
            if PodTemplate::of(o).is_some() {
                continue;
            }
            let (Some(ns), Some(r)) = (o.namespace.as_deref(), o.root.at(&["spec", "workloadRef"]))
            else {
                continue;
            };
            let kind = r.get("kind").and_then(Node::as_text).unwrap_or("");
            let Some(name) = r.get("name").and_then(Node::as_text) else {
                continue;
            };
            if kind != "Deployment" {
                continue;
            }
            let Some(&d) = self
                .all_named("Deployment", Some(ns), name)
                .iter()
                .find(|&&d| self.objects[d].group() == "apps")
            else {
                continue;
            };
            let Some(t) = PodTemplate::of(&self.objects[d]) else {
                continue;
            };
            let labels: Vec<(String, String)> = t
                .labels()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let ns = ns.to_string();
            self.workload_refs.insert(id, d);
            self.workloads_by_ns.entry(ns.clone()).or_default().push(id);
            for (k, v) in labels {
                self.workloads_by_label
                    .entry((ns.clone(), k, v))
                    .or_default()
                    .push(id);
            }
            added.insert(ns);
        }
        // the lists stay in input order
        if !added.is_empty() {
            for (ns, ids) in self.workloads_by_ns.iter_mut() {
                if added.contains(ns) {
                    ids.sort_unstable();
                }
            }
            for ((ns, _, _), ids) in self.workloads_by_label.iter_mut() {
                if added.contains(ns) {
                    ids.sort_unstable();
                }
            }
        }
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
        self.matching_counted(ns, selector).0
    }

    /// The workloads matching, and how many candidates were checked to find them: those
    /// carrying the selector's rarest required `key=value` pair, or every workload of
    /// the namespace when it requires none.
    fn matching_counted(&self, ns: &str, selector: &LabelSelector) -> (Vec<usize>, usize) {
        let candidates: &[usize] = selector
            .required_pairs()
            .map(|(k, v)| {
                self.workloads_by_label
                    .get(&(ns.to_string(), k.to_string(), v.to_string()))
                    .map(Vec::as_slice)
                    .unwrap_or_default()
            })
            .min_by_key(|c| c.len())
            .unwrap_or_else(|| self.workloads_in(ns));
        let matching = candidates
            .iter()
            .copied()
            .filter(|&id| {
                self.pod_template(id).is_some_and(|t| {
                    let labels: Vec<(&str, &str)> = t.labels().collect();
                    selector.matches_pairs(&labels)
                })
            })
            .collect();
        (matching, candidates.len())
    }

    /// How many workloads had their labels matched against a selector while the index
    /// was built: a measure of the work, for tests that it grows with the input.
    #[doc(hidden)]
    pub fn selector_checks(&self) -> usize {
        self.selector_checks
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
    pub fn services_for(&self, workload: usize) -> Ids<'_> {
        Ids {
            classes: self
                .workload_service_classes
                .get(&workload)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            table: &self.service_classes,
        }
    }

    /// The workloads a Service (not ExternalName, with a selector) selects, ascending;
    /// shared by every Service with the same selector.
    pub fn service_targets(&self, svc: usize) -> &[usize] {
        self.service_class_of
            .get(&svc)
            .map(|&c| self.service_classes[c].workloads.as_slice())
            .unwrap_or_default()
    }

    /// A long-running workload that receives traffic: a regular container declares a
    /// containerPort, or a Service of the input selects its pods.
    pub fn is_serving(&self, workload: usize) -> bool {
        self.pod_template(workload).is_some_and(|t| {
            t.is_long_running()
                && (t
                    .app_containers()
                    .any(|c| c.ports().any(|(_, n)| n.is_some()))
                    || !self.services_for(workload).is_empty())
        })
    }

    /// HPAs whose scaleTargetRef names this object.
    pub fn hpas_for(&self, id: usize) -> &[usize] {
        let o = &self.objects[id];
        let Some(ns) = &o.namespace else {
            return &[];
        };
        self.hpas_by_target
            .get(&(ns.clone(), o.kind.clone(), o.name.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// PDBs that select the pods of a workload.
    pub fn pdbs_for(&self, workload: usize) -> Ids<'_> {
        Ids {
            classes: self
                .workload_pdb_classes
                .get(&workload)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            table: &self.pdb_classes,
        }
    }

    /// Workloads a PDB selects.
    pub fn pdb_targets(&self, pdb: usize) -> &[usize] {
        self.pdb_class_of(pdb)
            .map(|c| self.pdb_classes[c].workloads.as_slice())
            .unwrap_or_default()
    }

    /// The class of PDBs that select what this one selects (by the same selector in
    /// the same namespace), when it selects anything at all.
    pub fn pdb_class_of(&self, pdb: usize) -> Option<usize> {
        self.pdb_class_of.get(&pdb).copied()
    }

    /// A class of PDBs: its members and the workloads they all select.
    pub fn pdb_class(&self, class: usize) -> &SelectorClass {
        &self.pdb_classes[class]
    }

    /// The pods the workloads of a PDB class run, counted once for the class: a Pod
    /// is one, a scalable workload its [`Index::expected_min_replicas`]; `None` when
    /// some workload has no fixed count (a DaemonSet, a Job).
    pub fn pdb_class_pods(&self, class: usize) -> Option<i64> {
        self.pdb_class_pods.get(class).copied().flatten()
    }

    /// Whether an HPA scales some workload of a PDB class.
    pub fn pdb_class_autoscaled(&self, class: usize) -> bool {
        self.pdb_class_autoscaled
            .get(class)
            .copied()
            .unwrap_or(false)
    }

    /// The pods a top-level workload runs, when it has a fixed count.
    fn fixed_pods(&self, w: usize) -> Option<i64> {
        let o = &self.objects[w];
        if o.kind == "Pod" && o.group().is_empty() {
            return Some(1);
        }
        self.expected_min_replicas(w)
    }

    /// What a PDB selects, by its API version's rules: in policy/v1 an empty selector
    /// selects every pod of the namespace and a missing one none; in policy/v1beta1
    /// both select none. `None` when it selects nothing: no namespace, no selector or
    /// one that cannot be parsed, an empty one in policy/v1beta1. Otherwise its
    /// namespace and selector, in canonical form.
    fn pdb_selector(&self, pdb: usize) -> Option<(String, LabelSelector)> {
        let o = &self.objects[pdb];
        let ns = o.namespace.as_deref()?;
        let sel_node = o.root.at(&["spec", "selector"])?;
        if sel_node.is_null() {
            return None;
        }
        let sel = LabelSelector::from_label_selector(sel_node)?;
        if sel.is_empty() && o.api_version != "policy/v1" {
            return None;
        }
        Some((ns.to_string(), sel.canonical()))
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
        if let Some(&h) = self.hpas_for(id).first() {
            return replica_count(self.objects[h].root.at(&["spec", "minReplicas"]), 1).ok();
        }
        replica_count(o.root.at(&["spec", "replicas"]), default).ok()
    }
}

/// Objects (Services, PDBs) whose selectors select the same workloads: one entry for
/// them all, so that the relation between them and the workloads is held once.
#[derive(Debug, Default)]
pub struct SelectorClass {
    /// ascending
    pub members: Vec<usize>,
    /// the workloads every member selects, ascending
    pub workloads: Vec<usize>,
}

/// Object ids in ascending order, held as the members of the selector classes that
/// apply (disjoint ascending runs), never copied out: a workload selected by n Services
/// that share one selector costs one entry, however many workloads they select.
#[derive(Debug, Clone, Copy)]
pub struct Ids<'a> {
    classes: &'a [usize],
    table: &'a [SelectorClass],
}

impl<'a> Ids<'a> {
    pub fn is_empty(&self) -> bool {
        self.runs().all(<[usize]>::is_empty)
    }

    pub fn len(&self) -> usize {
        self.runs().map(<[usize]>::len).sum()
    }

    /// The lowest id (the first object of the input).
    pub fn first(&self) -> Option<usize> {
        self.runs().filter_map(|r| r.first().copied()).min()
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> IdsIter<'a> {
        IdsIter {
            runs: self.runs().filter(|r| !r.is_empty()).collect(),
        }
    }

    /// The classes (indices into the index's table of that kind), ascending.
    pub fn classes(&self) -> &'a [usize] {
        self.classes
    }

    /// The members of each class: disjoint ascending runs.
    pub fn runs(&self) -> impl Iterator<Item = &'a [usize]> + 'a {
        let table = self.table;
        self.classes
            .iter()
            .map(move |&c| table[c].members.as_slice())
    }
}

/// Merges the runs of an [`Ids`] in ascending order.
pub struct IdsIter<'a> {
    runs: Vec<&'a [usize]>,
}

impl Iterator for IdsIter<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let (i, _) = self.runs.iter().enumerate().min_by_key(|(_, r)| r[0])?;
        let id = self.runs[i][0];
        self.runs[i] = &self.runs[i][1..];
        if self.runs[i].is_empty() {
            self.runs.swap_remove(i);
        }
        Some(id)
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
