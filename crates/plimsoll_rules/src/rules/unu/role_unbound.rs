use std::collections::{HashMap, HashSet};

use plimsoll_model::{Node, Object};

use super::util::{name_path, owned, system_namespace};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

const RBAC: &str = "rbac.authorization.k8s.io";

declare_rule! {
    /// ## What it does
    /// Reports a Role that no RoleBinding of its namespace grants, and a ClusterRole
    /// that no RoleBinding or ClusterRoleBinding grants (`roleRef`).
    ///
    /// A Role is judged only in a namespace the input holds whole, a ClusterRole
    /// only when the input holds every namespace it names (a live cluster, a
    /// directory); elsewhere they are reported as not evaluated. Not judged: the
    /// roles Kubernetes bootstraps (labelled `kubernetes.io/bootstrapping:
    /// rbac-defaults`, or named `system:*`), roles with an owner, Roles of the
    /// namespaces `kube-*`, and aggregated ClusterRoles: those with an
    /// `aggregationRule`, those labelled to aggregate into the built-in roles
    /// (`rbac.authorization.k8s.io/aggregate-to-*`), and those another ClusterRole of
    /// the input aggregates. Opt-in (not in `default`).
    ///
    /// ## Why it matters in production
    /// An unbound role grants nothing today; it is a loaded permission set waiting
    /// for a binding. Reviews of RBAC read roles, not bindings, so unused roles cost
    /// review time, and the one that gets bound again by a copy-pasted binding is
    /// the broad one nobody maintained.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: legacy-admin, namespace: shop}
    /// rules:
    ///   - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
    /// ```
    ///
    /// ## Use instead
    /// Delete it, or bind it to the subject that needs it:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: legacy-admin, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: legacy-admin}
    /// subjects:
    ///   - {kind: ServiceAccount, name: operator, namespace: shop}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: deleting an object is never mechanical.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles>
    pub struct RoleUnbound {
        code: "UNU005",
        name: "role-unbound",
        severity: Info,
        default: false,
        summary: "A Role or ClusterRole that no binding grants",
    }
}

/// The `matchLabels` of the input's aggregating ClusterRoles, found by one of their
/// labels: a role is looked up by its own labels, not compared with every selector.
type Aggregators<'a> = HashMap<(&'a str, &'a str), Vec<Vec<(&'a str, &'a str)>>>;

/// Whether the role is one Kubernetes or an aggregation manages.
fn managed(o: &Object, aggregators: &Aggregators) -> bool {
    if owned(o)
        || o.name.starts_with("system:")
        || o.label("kubernetes.io/bootstrapping") == Some("rbac-defaults")
    {
        return true;
    }
    if o.kind != "ClusterRole" {
        return false;
    }
    o.root.get("aggregationRule").is_some()
        || o.labels()
            .any(|(k, _)| k.starts_with("rbac.authorization.k8s.io/aggregate-to-"))
        || o.labels().any(|label| {
            aggregators.get(&label).is_some_and(|sels| {
                sels.iter()
                    .any(|sel| sel.iter().all(|(k, v)| o.label(k) == Some(*v)))
            })
        })
}

impl Rule for RoleUnbound {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let roles: Vec<(usize, &Object)> = cx
            .index
            .of_kind("Role")
            .chain(cx.index.of_kind("ClusterRole"))
            .filter(|(_, o)| o.group() == RBAC)
            .collect();
        if roles.is_empty() {
            return;
        }
        // the Roles granted, by namespace, and the ClusterRoles any binding grants
        let mut bound_roles: HashSet<(&str, &str)> = HashSet::new();
        let mut bound_cluster_roles: HashSet<&str> = HashSet::new();
        for (_, b) in cx
            .index
            .of_kind("RoleBinding")
            .chain(cx.index.of_kind("ClusterRoleBinding"))
            .filter(|(_, o)| o.group() == RBAC)
        {
            let r = b.root.get("roleRef");
            let text = |k: &str| r.and_then(|r| r.get(k)).and_then(Node::as_text);
            if let (Some(kind), Some(name)) = (text("kind"), text("name")) {
                match (kind, b.namespace.as_deref()) {
                    ("ClusterRole", _) => {
                        bound_cluster_roles.insert(name);
                    }
                    ("Role", Some(ns)) => {
                        bound_roles.insert((ns, name));
                    }
                    _ => {}
                }
            }
        }
        let mut aggregators: Aggregators = HashMap::new();
        for sel in cx
            .index
            .of_kind("ClusterRole")
            .filter_map(|(_, o)| o.root.at(&["aggregationRule", "clusterRoleSelectors"]))
            .flat_map(|s| s.items().iter())
            .map(|sel| {
                sel.get("matchLabels")
                    .map(|m| {
                        m.entries()
                            .iter()
                            .map(|e| (e.key.as_str(), e.value.as_text().unwrap_or("")))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        {
            if let Some(first) = sel.first().copied() {
                aggregators.entry(first).or_default().push(sel);
            }
        }
        let all_held = {
            let mut n = cx.index.namespaces().peekable();
            n.peek().is_some() && cx.index.namespaces().all(|ns| cx.index.holds_namespace(ns))
        };
        for (id, o) in roles {
            if managed(o, &aggregators) {
                continue;
            }
            let (used, whole, scope) = match o.namespace.as_deref() {
                Some(ns) => {
                    if system_namespace(ns) {
                        continue;
                    }
                    (
                        bound_roles.contains(&(ns, o.name.as_str())),
                        cx.index.holds_namespace(ns),
                        format!("namespace `{ns}`"),
                    )
                }
                None => (
                    bound_cluster_roles.contains(o.name.as_str()),
                    all_held,
                    "the input".to_string(),
                ),
            };
            if used {
                continue;
            }
            if !whole {
                out.not_evaluated(
                    id,
                    match o.namespace.as_deref() {
                        Some(ns) => format!(
                            "the input does not hold namespace {ns} whole, so a binding may be elsewhere"
                        ),
                        None => "the input does not hold every namespace whole, so a RoleBinding may be elsewhere".to_string(),
                    },
                );
                continue;
            }
            out.report(
                id,
                name_path(),
                format!(
                    "{} `{}` is granted by no binding of {scope}",
                    o.kind, o.name
                ),
            );
        }
    }
}
