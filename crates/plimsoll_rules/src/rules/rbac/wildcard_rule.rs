use plimsoll_model::{Node, Pointer};

use super::model::{RBAC_GROUP, is_bootstrap};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports each rule of a Role or ClusterRole with `*` in `verbs`, `resources` or
    /// `apiGroups` (one finding per rule, naming the fields). Not reported: the
    /// literal `rules` of a ClusterRole with an `aggregationRule` (the aggregation
    /// controller overwrites them) and roles labelled
    /// `kubernetes.io/bootstrapping: rbac-defaults` (the API server's own; every role
    /// it creates carries that label, and a `system:` name alone proves nothing: any
    /// user with RBAC rights can create `system:everything`). `*/scale` and similar
    /// subresource wildcards are not `*`.
    ///
    /// ## Why it matters in production
    /// A wildcard grants more than anyone reviewed: every verb includes `escalate`,
    /// `bind` and `impersonate`, every resource includes Secrets, and every apiGroup
    /// includes the CRDs that will be installed next year. Least privilege means
    /// listing what is needed.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["apps"]
    ///     resources: ["*"]
    ///     verbs: ["*"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["apps"]
    ///     resources: ["deployments"]
    ///     verbs: ["get", "list", "watch", "patch"]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: what the subject really needs is known only to its owner
    /// (the audit log shows what it uses).
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#role-and-clusterrole>
    pub struct WildcardRule {
        code: "RBAC002",
        name: "wildcard-rule",
        severity: Warning,
        default: true,
        summary: "A Role or ClusterRole rule uses `*` in verbs, resources or apiGroups",
    }
}

impl Rule for WildcardRule {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        for kind in ["Role", "ClusterRole"] {
            for (id, o) in cx.index.of_kind(kind) {
                if o.group() != RBAC_GROUP
                    || is_bootstrap(o)
                    || kind == "ClusterRole" && o.root.get("aggregationRule").is_some()
                {
                    continue;
                }
                for (i, r) in o
                    .root
                    .get("rules")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let mut fields = Vec::new();
                    let mut first = None;
                    for field in ["verbs", "resources", "apiGroups"] {
                        let items = r.get(field).map(Node::items).unwrap_or_default();
                        if let Some(j) = items.iter().position(|n| n.as_text() == Some("*")) {
                            fields.push(format!("`{field}`"));
                            first.get_or_insert((field, j));
                        }
                    }
                    let Some((field, j)) = first else {
                        continue;
                    };
                    out.report(
                        id,
                        Pointer::root().key("rules").index(i).key(field).index(j),
                        format!(
                            "{kind} `{}` rule {i} has `*` in {}",
                            o.name,
                            and_list(&fields)
                        ),
                    );
                }
            }
        }
    }
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
