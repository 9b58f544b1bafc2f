//! RBAC as the API server evaluates it: PolicyRule parsing and exact matching
//! (`RuleAllows`), subject resolution, ClusterRole aggregation as the aggregation
//! controller computes it, bindings to roles, and "who can VERB RESOURCE". I/O free;
//! `plimsoll rbac who-can` and the RBAC rules share it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use plimsoll_model::{Index, LabelSelector, Node, Object};

pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Built-in ClusterRoles the API server creates and reconciles; a binding to one
/// that is not in the input is not dangling.
pub fn is_builtin_cluster_role(name: &str) -> bool {
    matches!(name, "cluster-admin" | "admin" | "edit" | "view") || name.starts_with("system:")
}

/// Roles and bindings the API server itself creates (`kubernetes.io/bootstrapping:
/// rbac-defaults`): they are how Kubernetes works, not a team's choice.
pub fn is_bootstrap(obj: &Object) -> bool {
    obj.label("kubernetes.io/bootstrapping") == Some("rbac-defaults")
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_text().map(str::to_string))
        .collect()
}

/// One `rules[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

/// The name a request carries, for `resourceNames`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameReq<'a> {
    /// No name (create, list, watch, deletecollection): a `resourceNames` rule never
    /// matches.
    None,
    /// Some name we do not know: a `resourceNames` rule matches for the names it lists.
    Any,
    Exact(&'a str),
}

fn has(list: &[String], v: &str) -> bool {
    list.iter().any(|x| x == "*" || x == v)
}

impl PolicyRule {
    pub fn parse(node: &Node) -> PolicyRule {
        PolicyRule {
            verbs: strings(node.get("verbs")),
            api_groups: strings(node.get("apiGroups")),
            resources: strings(node.get("resources")),
            resource_names: strings(node.get("resourceNames")),
            non_resource_urls: strings(node.get("nonResourceURLs")),
        }
    }

    pub fn verb_matches(&self, verb: &str) -> bool {
        has(&self.verbs, verb)
    }

    pub fn group_matches(&self, group: &str) -> bool {
        has(&self.api_groups, group)
    }

    /// `resource` is `pods` or `pods/exec`. `*` matches everything, `*/exec` any
    /// resource's `exec` subresource; `pods` does not match `pods/log`.
    pub fn resource_matches(&self, resource: &str) -> bool {
        let sub = resource.split_once('/').map(|(_, s)| s);
        self.resources.iter().any(|r| {
            r == "*" || r == resource || sub.is_some_and(|s| r.strip_prefix("*/") == Some(s))
        })
    }

    pub fn name_matches(&self, name: NameReq) -> bool {
        if self.resource_names.is_empty() {
            return true;
        }
        match name {
            NameReq::None => false,
            NameReq::Any => true,
            NameReq::Exact(n) => self.resource_names.iter().any(|x| x == n),
        }
    }

    /// `RuleAllows` for a resource request.
    pub fn allows(&self, verb: &str, group: &str, resource: &str, name: NameReq) -> bool {
        self.verb_matches(verb)
            && self.group_matches(group)
            && self.resource_matches(resource)
            && self.name_matches(name)
    }

    /// `RuleAllows` for a non-resource request (`/metrics`, `/healthz`).
    pub fn allows_url(&self, verb: &str, url: &str) -> bool {
        self.verb_matches(verb)
            && self.non_resource_urls.iter().any(|u| {
                u == "*" || u == url || u.strip_suffix('*').is_some_and(|p| url.starts_with(p))
            })
    }

    /// `*` verbs on `*` resources in `*` groups, for every name.
    pub fn is_full_wildcard(&self) -> bool {
        self.verbs.iter().any(|v| v == "*")
            && self.api_groups.iter().any(|g| g == "*")
            && self.resources.iter().any(|r| r == "*")
            && self.resource_names.is_empty()
    }

    /// `*` verbs on every non-resource URL.
    pub fn is_url_wildcard(&self) -> bool {
        self.verbs.iter().any(|v| v == "*") && self.non_resource_urls.iter().any(|u| u == "*")
    }
}

/// A rule as it takes effect: where it is written (`role` = object id, `None` for a
/// built-in role that is not in the input) and its index in that role's `rules`.
#[derive(Debug, Clone)]
pub struct EffectiveRule {
    pub role: Option<usize>,
    pub index: usize,
    pub rule: PolicyRule,
}

/// A subject of a binding, with its ServiceAccount namespace resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    pub kind: String,
    pub name: String,
    /// ServiceAccounts only: `subject.namespace`, or the RoleBinding's namespace when
    /// empty. `None` for a ServiceAccount in a ClusterRoleBinding without one: it never
    /// matches anyone.
    pub namespace: Option<String>,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub struct Binding<'a> {
    pub id: usize,
    pub obj: &'a Object,
    /// `None` for a ClusterRoleBinding.
    pub namespace: Option<&'a str>,
    pub role_kind: &'a str,
    pub role_name: &'a str,
    /// (index in `subjects`, subject)
    pub subjects: Vec<(usize, Subject)>,
}

impl Binding<'_> {
    pub fn is_cluster(&self) -> bool {
        self.namespace.is_none()
    }
}

/// What a binding's `roleRef` resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleTarget {
    /// A Role or ClusterRole in the input.
    Found(usize),
    /// A built-in ClusterRole that is not in the input.
    BuiltIn,
    /// Not in the input and not built in.
    Missing,
    /// A reference the API server rejects (a ClusterRoleBinding to a Role, an
    /// unknown kind or apiGroup).
    Invalid,
}

/// The RBAC objects of a run, resolved once.
pub struct Rbac<'a> {
    pub index: &'a Index,
    pub bindings: Vec<Binding<'a>>,
    /// role id -> effective rules (aggregation resolved)
    /// (shared: aggregating roles that select the same roles grant the same rules, and
    /// copies of a chart's aggregating role select every copy's roles)
    effective: HashMap<usize, Arc<[EffectiveRule]>>,
    /// role id -> ClusterRoles that aggregate it (transitively)
    aggregated_into: HashMap<usize, Vec<usize>>,
    /// role id -> bindings (positions in `bindings`) that grant it, directly
    bound_by: HashMap<usize, Vec<usize>>,
}

fn is_rbac(obj: &Object, kind: &str) -> bool {
    obj.kind == kind && obj.group() == RBAC_GROUP
}

/// The rules of cluster-admin, for when it is not in the input.
pub fn cluster_admin_rules() -> Vec<EffectiveRule> {
    let star = vec!["*".to_string()];
    vec![
        EffectiveRule {
            role: None,
            index: 0,
            rule: PolicyRule {
                verbs: star.clone(),
                api_groups: star.clone(),
                resources: star.clone(),
                resource_names: Vec::new(),
                non_resource_urls: Vec::new(),
            },
        },
        EffectiveRule {
            role: None,
            index: 1,
            rule: PolicyRule {
                verbs: star.clone(),
                api_groups: Vec::new(),
                resources: Vec::new(),
                resource_names: Vec::new(),
                non_resource_urls: star,
            },
        },
    ]
}

/// The literal rules of a role.
pub fn literal_rules(obj: &Object, id: usize) -> Vec<EffectiveRule> {
    obj.root
        .get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, n)| EffectiveRule {
            role: Some(id),
            index,
            rule: PolicyRule::parse(n),
        })
        .collect()
}

/// The selectors of a ClusterRole's `aggregationRule`, when it has one.
pub fn aggregation_selectors(obj: &Object) -> Option<Vec<LabelSelector>> {
    let rule = obj.root.get("aggregationRule")?;
    Some(
        rule.get("clusterRoleSelectors")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(LabelSelector::from_label_selector)
            .collect(),
    )
}

impl<'a> Rbac<'a> {
    pub fn build(index: &'a Index) -> Rbac<'a> {
        let mut rbac = Rbac {
            index,
            bindings: Vec::new(),
            effective: HashMap::new(),
            aggregated_into: HashMap::new(),
            bound_by: HashMap::new(),
        };
        // ClusterRoles by name, in sorted name order as the controller visits them
        let mut cluster_roles: BTreeMap<&str, usize> = BTreeMap::new();
        for (id, o) in index.of_kind("ClusterRole") {
            if o.group() == RBAC_GROUP {
                cluster_roles.entry(o.name.as_str()).or_insert(id);
            }
        }
        let selectors: HashMap<usize, Vec<LabelSelector>> = cluster_roles
            .values()
            .filter_map(|&id| aggregation_selectors(index.object(id)).map(|s| (id, s)))
            .collect();
        // direct aggregation edges: aggregating role -> sources (sorted by name). The
        // labels of each ClusterRole are read once, and a selector with an `In`
        // requirement (every `matchLabels` entry is one) looks at the roles that carry
        // one of its values only: thousands of aggregating roles over tens of thousands
        // of roles stay far from quadratic.
        let roles: Vec<usize> = cluster_roles.values().copied().collect();
        let labels: Vec<Vec<(&str, &str)>> = roles
            .iter()
            .map(|&id| index.object(id).labels().collect())
            .collect();
        let mut by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (rank, pairs) in labels.iter().enumerate() {
            for &pair in pairs {
                by_label.entry(pair).or_default().push(rank);
            }
        }
        let mut sources: HashMap<usize, Vec<usize>> = HashMap::new();
        for (&agg, sels) in &selectors {
            let mut ranks: Vec<usize> = Vec::new();
            for sel in sels {
                let narrow = sel
                    .requirements
                    .iter()
                    .find(|r| r.op == plimsoll_model::SelectorOp::In);
                let candidates: Box<dyn Iterator<Item = usize>> = match narrow {
                    Some(r) => Box::new(r.values.iter().flat_map(|v| {
                        by_label
                            .get(&(r.key.as_str(), v.as_str()))
                            .map(Vec::as_slice)
                            .unwrap_or_default()
                            .iter()
                            .copied()
                    })),
                    None => Box::new(0..roles.len()),
                };
                ranks.extend(candidates.filter(|&rank| sel.matches_pairs(&labels[rank])));
            }
            ranks.sort_unstable();
            ranks.dedup();
            let list: Vec<usize> = ranks
                .into_iter()
                .map(|rank| roles[rank])
                .filter(|&id| id != agg)
                .collect();
            sources.insert(agg, list);
        }
        // literal rules first, parsed once each: an aggregating role reads them from here
        let mut aggregating = Vec::new();
        for (id, _) in index.of_kind("Role").chain(index.of_kind("ClusterRole")) {
            let o = index.object(id);
            if o.group() != RBAC_GROUP {
                continue;
            }
            if sources.contains_key(&id) {
                aggregating.push(id);
            } else {
                rbac.effective.insert(id, literal_rules(o, id).into());
            }
        }
        // aggregating roles with the same sources, none of which aggregates in turn,
        // grant the same rules: resolved once
        let mut memo: HashMap<&[usize], Arc<[EffectiveRule]>> = HashMap::new();
        let mut aggregated: Vec<(usize, Arc<[EffectiveRule]>)> = Vec::new();
        for id in aggregating {
            let direct = sources.get(&id).map(Vec::as_slice).unwrap_or_default();
            let plain = direct.iter().all(|s| !sources.contains_key(s));
            if plain && let Some(rules) = memo.get(direct) {
                aggregated.push((id, rules.clone()));
                continue;
            }
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            let mut visiting = HashSet::from([id]);
            Self::collect(
                &rbac.effective,
                &sources,
                id,
                &mut visiting,
                &mut seen,
                &mut out,
            );
            let rules: Arc<[EffectiveRule]> = out.into();
            if plain {
                memo.insert(direct, rules.clone());
            }
            aggregated.push((id, rules));
        }
        rbac.effective.extend(aggregated);
        for &agg in sources.keys() {
            let mut stack = vec![agg];
            let mut seen = HashSet::from([agg]);
            while let Some(r) = stack.pop() {
                for &src in sources.get(&r).map(Vec::as_slice).unwrap_or_default() {
                    if seen.insert(src) {
                        rbac.aggregated_into.entry(src).or_default().push(agg);
                        stack.push(src);
                    }
                }
            }
        }
        for kind in ["RoleBinding", "ClusterRoleBinding"] {
            for (id, o) in index.of_kind(kind) {
                if o.group() != RBAC_GROUP {
                    continue;
                }
                let b = Self::binding(id, o);
                let pos = rbac.bindings.len();
                if let RoleTarget::Found(role) = rbac.role_of_binding(&b) {
                    rbac.bound_by.entry(role).or_default().push(pos);
                }
                rbac.bindings.push(b);
            }
        }
        rbac
    }

    /// Rules of an aggregated role: the rules of every matched ClusterRole in name
    /// order (their own aggregated rules when they aggregate too), exact duplicates
    /// dropped.
    fn collect<'l>(
        literal: &'l HashMap<usize, Arc<[EffectiveRule]>>,
        sources: &HashMap<usize, Vec<usize>>,
        role: usize,
        visiting: &mut HashSet<usize>,
        seen: &mut HashSet<&'l PolicyRule>,
        out: &mut Vec<EffectiveRule>,
    ) {
        for &src in sources.get(&role).map(Vec::as_slice).unwrap_or_default() {
            if sources.contains_key(&src) {
                if visiting.insert(src) {
                    Self::collect(literal, sources, src, visiting, seen, out);
                }
                continue;
            }
            // every RBAC role that aggregates nothing has its literal rules there
            let Some(rules) = literal.get(&src) else {
                continue;
            };
            for r in rules.iter() {
                if seen.insert(&r.rule) {
                    out.push(r.clone());
                }
            }
        }
    }

    fn binding(id: usize, o: &'a Object) -> Binding<'a> {
        let namespace = if o.kind == "RoleBinding" {
            o.namespace.as_deref()
        } else {
            None
        };
        let role_ref = o.root.get("roleRef");
        let text = |k: &str| {
            role_ref
                .and_then(|r| r.get(k))
                .and_then(Node::as_text)
                .unwrap_or("")
        };
        let subjects = o
            .root
            .get("subjects")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let kind = s
                    .get("kind")
                    .and_then(Node::as_text)
                    .unwrap_or("")
                    .to_string();
                let name = s
                    .get("name")
                    .and_then(Node::as_text)
                    .unwrap_or("")
                    .to_string();
                let written = s
                    .get("namespace")
                    .and_then(Node::as_text)
                    .filter(|n| !n.is_empty());
                let ns = if kind == "ServiceAccount" {
                    written.or(namespace).map(str::to_string)
                } else {
                    None
                };
                (
                    i,
                    Subject {
                        kind,
                        name,
                        namespace: ns,
                    },
                )
            })
            .collect();
        Binding {
            id,
            obj: o,
            namespace,
            role_kind: text("kind"),
            role_name: text("name"),
            subjects,
        }
    }

    /// What a binding's `roleRef` points at.
    pub fn role_of_binding(&self, b: &Binding) -> RoleTarget {
        let api_group = b
            .obj
            .root
            .at(&["roleRef", "apiGroup"])
            .and_then(Node::as_text)
            .unwrap_or("");
        if api_group != RBAC_GROUP {
            return RoleTarget::Invalid;
        }
        match (b.role_kind, b.namespace) {
            ("Role", Some(ns)) => match self.index.get("Role", Some(ns), b.role_name) {
                Some((id, o)) if is_rbac(o, "Role") => RoleTarget::Found(id),
                _ => RoleTarget::Missing,
            },
            ("ClusterRole", _) => match self.index.get("ClusterRole", None, b.role_name) {
                Some((id, o)) if is_rbac(o, "ClusterRole") => RoleTarget::Found(id),
                _ if is_builtin_cluster_role(b.role_name) => RoleTarget::BuiltIn,
                _ => RoleTarget::Missing,
            },
            _ => RoleTarget::Invalid,
        }
    }

    /// The rules a role grants (aggregation resolved).
    pub fn rules_of(&self, role: usize) -> &[EffectiveRule] {
        self.effective
            .get(&role)
            .map(|r| &r[..])
            .unwrap_or_default()
    }

    /// The rules a binding grants, when they are known.
    pub fn rules_of_binding(&self, b: &Binding) -> Option<Vec<EffectiveRule>> {
        match self.role_of_binding(b) {
            RoleTarget::Found(id) => Some(self.rules_of(id).to_vec()),
            RoleTarget::BuiltIn if b.role_name == "cluster-admin" => Some(cluster_admin_rules()),
            _ => None,
        }
    }

    /// Bindings (positions in `bindings`) through which the rules of `role` take
    /// effect: bindings to it, and bindings to the ClusterRoles that aggregate it.
    pub fn bindings_granting(&self, role: usize) -> Vec<&Binding<'a>> {
        let mut roles = vec![role];
        roles.extend(
            self.aggregated_into
                .get(&role)
                .into_iter()
                .flatten()
                .copied(),
        );
        let mut out: Vec<usize> = roles
            .iter()
            .flat_map(|r| self.bound_by.get(r).into_iter().flatten().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out.into_iter().map(|p| &self.bindings[p]).collect()
    }

    /// Whether a role's literal rules are overwritten by aggregation.
    pub fn is_aggregated(&self, role: usize) -> bool {
        let o = self.index.object(role);
        is_rbac(o, "ClusterRole") && o.root.get("aggregationRule").is_some()
    }
}

/// What is asked: a verb on a resource (with optional name) or a non-resource URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub verb: String,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Resource {
        group: String,
        /// `pods` or `pods/exec`
        resource: String,
        name: Option<String>,
    },
    Url(String),
}

/// Groups of well-known resources, for a RESOURCE given without its group.
fn default_group(resource: &str) -> &'static str {
    match resource {
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" | "controllerrevisions" => {
            "apps"
        }
        "jobs" | "cronjobs" => "batch",
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => RBAC_GROUP,
        "ingresses" | "networkpolicies" | "ingressclasses" => "networking.k8s.io",
        "horizontalpodautoscalers" => "autoscaling",
        "poddisruptionbudgets" => "policy",
        "certificatesigningrequests" => "certificates.k8s.io",
        "validatingwebhookconfigurations" | "mutatingwebhookconfigurations" => {
            "admissionregistration.k8s.io"
        }
        "storageclasses" | "csidrivers" | "csinodes" | "volumeattachments" => "storage.k8s.io",
        "customresourcedefinitions" => "apiextensions.k8s.io",
        "leases" => "coordination.k8s.io",
        "priorityclasses" => "scheduling.k8s.io",
        "endpointslices" => "discovery.k8s.io",
        "tokenreviews" => "authentication.k8s.io",
        "subjectaccessreviews" | "selfsubjectaccessreviews" | "localsubjectaccessreviews" => {
            "authorization.k8s.io"
        }
        _ => "",
    }
}

/// Resources granted only by ClusterRoleBindings.
pub fn is_cluster_scoped_resource(group: &str, resource: &str) -> bool {
    let base = resource.split('/').next().unwrap_or(resource);
    match group {
        "" => matches!(
            base,
            "nodes" | "namespaces" | "persistentvolumes" | "componentstatuses"
        ),
        RBAC_GROUP => matches!(base, "clusterroles" | "clusterrolebindings"),
        "storage.k8s.io" => matches!(
            base,
            "storageclasses" | "csidrivers" | "csinodes" | "volumeattachments"
        ),
        "admissionregistration.k8s.io" => {
            matches!(
                base,
                "validatingwebhookconfigurations" | "mutatingwebhookconfigurations"
            )
        }
        "apiextensions.k8s.io" => base == "customresourcedefinitions",
        "certificates.k8s.io" => base == "certificatesigningrequests",
        "scheduling.k8s.io" => base == "priorityclasses",
        "networking.k8s.io" => base == "ingressclasses",
        _ => false,
    }
}

impl Question {
    /// Parses `VERB RESOURCE` as `kubectl auth can-i` takes them: `pods`,
    /// `pods/exec`, `deployments.apps`, `deployments.apps/scale`, or a URL `/metrics`.
    pub fn parse(verb: &str, resource: &str, name: Option<&str>) -> Result<Question, String> {
        if verb.is_empty() || verb.contains(char::is_whitespace) {
            return Err(format!("invalid verb `{verb}`"));
        }
        if resource.starts_with('/') {
            if name.is_some() {
                return Err("--name does not apply to a non-resource URL".into());
            }
            return Ok(Question {
                verb: verb.to_string(),
                target: Target::Url(resource.to_string()),
            });
        }
        let (res, sub) = match resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (resource, None),
        };
        let (res, group) = match res.split_once('.') {
            Some((r, g)) => (r, g.to_string()),
            None => (res, default_group(res).to_string()),
        };
        let bad = |s: &str| {
            s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*'))
        };
        if bad(res) || sub.is_some_and(bad) {
            return Err(format!("invalid resource `{resource}`"));
        }
        let resource = match sub {
            Some(s) => format!("{}/{s}", res.to_ascii_lowercase()),
            None => res.to_ascii_lowercase(),
        };
        Ok(Question {
            verb: verb.to_string(),
            target: Target::Resource {
                group,
                resource,
                name: name.map(str::to_string),
            },
        })
    }

    pub fn allowed_by(&self, rule: &PolicyRule) -> bool {
        match &self.target {
            Target::Url(u) => rule.allows_url(&self.verb, u),
            Target::Resource {
                group,
                resource,
                name,
            } => {
                let n = match name {
                    Some(n) => NameReq::Exact(n),
                    None => NameReq::None,
                };
                rule.allows(&self.verb, group, resource, n)
            }
        }
    }

    /// Whether only ClusterRoleBindings can grant it.
    pub fn cluster_only(&self) -> bool {
        match &self.target {
            Target::Url(_) => true,
            Target::Resource {
                group, resource, ..
            } => is_cluster_scoped_resource(group, resource),
        }
    }
}

/// One way a subject is granted: through which binding, which role, which rule.
#[derive(Debug, Clone)]
pub struct Grant {
    pub binding: usize,
    /// The bound role (`None` for built-in cluster-admin not in the input).
    pub role: Option<usize>,
    pub role_kind: String,
    pub role_name: String,
    /// Where the matching rule is written (another ClusterRole when aggregated).
    pub rule_role: Option<usize>,
    pub rule_index: usize,
}

/// The answer to "who can".
#[derive(Debug, Default)]
pub struct WhoCan {
    /// Subjects in sorted order, each with every grant.
    pub subjects: Vec<(Subject, Vec<Grant>)>,
    /// Bindings that might grant it but whose role is not in the input (built-in
    /// roles other than cluster-admin, roles defined elsewhere): (binding id, reason).
    pub unresolved: Vec<(usize, String)>,
}

impl Rbac<'_> {
    /// Who may do `q` in `namespace` (`None`: cluster-wide, ClusterRoleBindings only).
    /// Mirrors `DefaultRuleResolver.VisitRulesFor`; `system:masters` is always added
    /// (it bypasses RBAC).
    pub fn who_can(&self, q: &Question, namespace: Option<&str>) -> WhoCan {
        let mut by_subject: BTreeMap<Subject, Vec<Grant>> = BTreeMap::new();
        let mut unresolved = Vec::new();
        let ns = if q.cluster_only() { None } else { namespace };
        for b in &self.bindings {
            match b.namespace {
                None => {}
                Some(bns) if Some(bns) == ns => {}
                Some(_) => continue,
            }
            let Some(rules) = self.rules_of_binding(b) else {
                let reason = match self.role_of_binding(b) {
                    RoleTarget::BuiltIn => {
                        format!("built-in ClusterRole `{}` is not in the input", b.role_name)
                    }
                    // rejected by the API server: grants nothing
                    RoleTarget::Invalid => continue,
                    _ => format!("{} `{}` is not in the input", b.role_kind, b.role_name),
                };
                unresolved.push((b.id, reason));
                continue;
            };
            let role = match self.role_of_binding(b) {
                RoleTarget::Found(id) => Some(id),
                _ => None,
            };
            let Some(r) = rules.iter().find(|r| q.allowed_by(&r.rule)) else {
                continue;
            };
            for (_, s) in &b.subjects {
                if s.kind == "ServiceAccount" && s.namespace.is_none() {
                    continue;
                }
                let grants = by_subject.entry(s.clone()).or_default();
                if grants.iter().any(|g| g.binding == b.id) {
                    continue;
                }
                grants.push(Grant {
                    binding: b.id,
                    role,
                    role_kind: b.role_kind.to_string(),
                    role_name: b.role_name.to_string(),
                    rule_role: r.role,
                    rule_index: r.index,
                });
            }
        }
        by_subject
            .entry(Subject {
                kind: "Group".into(),
                name: "system:masters".into(),
                namespace: None,
            })
            .or_default();
        WhoCan {
            subjects: by_subject.into_iter().collect(),
            unresolved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: Vec::new(),
        }
    }

    #[test]
    fn matching() {
        let r = rule(&["get"], &[""], &["pods"], &[]);
        assert!(r.allows("get", "", "pods", NameReq::None));
        assert!(!r.allows("get", "", "pods/log", NameReq::None));
        assert!(!r.allows("get", "apps", "pods", NameReq::None));
        let r = rule(&["*"], &["*"], &["*/scale"], &[]);
        assert!(r.allows("update", "apps", "deployments/scale", NameReq::None));
        assert!(!r.allows("update", "apps", "deployments", NameReq::None));
        let r = rule(&["get"], &[""], &["pods/*"], &[]);
        assert!(!r.allows("get", "", "pods/log", NameReq::None));
        let r = rule(&["get"], &[""], &["secrets"], &["a"]);
        assert!(r.allows("get", "", "secrets", NameReq::Exact("a")));
        assert!(!r.allows("get", "", "secrets", NameReq::Exact("b")));
        assert!(!r.allows("list", "", "secrets", NameReq::None));
        let mut u = rule(&["get"], &[], &[], &[]);
        u.non_resource_urls = vec!["/healthz/*".into()];
        assert!(u.allows_url("get", "/healthz/ready"));
        assert!(!u.allows_url("get", "/metrics"));
    }

    #[test]
    fn questions() {
        let q = Question::parse("get", "deployments.apps/scale", None).unwrap();
        assert_eq!(
            q.target,
            Target::Resource {
                group: "apps".into(),
                resource: "deployments/scale".into(),
                name: None
            }
        );
        let q = Question::parse("create", "pods/exec", None).unwrap();
        assert!(!q.cluster_only());
        assert!(
            Question::parse("get", "nodes/proxy", None)
                .unwrap()
                .cluster_only()
        );
        assert!(
            Question::parse("get", "/metrics", None)
                .unwrap()
                .cluster_only()
        );
        assert!(Question::parse("get", "", None).is_err());
    }
}
