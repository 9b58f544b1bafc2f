//! Shared walk of the permission rules (RBAC003-RBAC007): every literal rule of every
//! Role and ClusterRole the team wrote, reported where it is written, with the
//! bindings through which it takes effect as related objects.

use plimsoll_model::Pointer;

use super::model::{Binding, PolicyRule, RBAC_GROUP, is_bootstrap};
use crate::rule::{Context, Sink};

/// Where a role's grants apply, from the bindings that grant it.
pub fn scope(bindings: &[&Binding]) -> String {
    if bindings.is_empty() {
        return "not bound in the input".to_string();
    }
    let parts: Vec<String> = bindings
        .iter()
        .take(3)
        .map(|b| match b.namespace {
            None => format!("cluster-wide by ClusterRoleBinding `{}`", b.obj.name),
            Some(ns) => format!("in namespace `{ns}` by RoleBinding `{}`", b.obj.name),
        })
        .collect();
    let more = if bindings.len() > 3 {
        format!(" and {} more", bindings.len() - 3)
    } else {
        String::new()
    };
    format!("bound {}{more}", parts.join(", "))
}

/// Calls `grants` on every rule a team wrote (not the API server's own roles, labelled
/// `kubernetes.io/bootstrapping: rbac-defaults` whatever their name, not the literal
/// rules of an aggregated ClusterRole, which the controller overwrites, not
/// full-wildcard rules, which RBAC001/RBAC002 report) and reports each rule for which
/// it says what the rule grants.
pub fn each_rule(
    cx: &Context,
    out: &mut Sink,
    grants: impl Fn(&PolicyRule, &str) -> Option<String>,
) {
    let rbac = cx.rbac();
    for kind in ["Role", "ClusterRole"] {
        for (id, o) in cx.index.of_kind(kind) {
            if o.group() != RBAC_GROUP || is_bootstrap(o) || rbac.is_aggregated(id) {
                continue;
            }
            let bindings = rbac.bindings_granting(id);
            for r in rbac.rules_of(id) {
                if r.rule.is_full_wildcard() {
                    continue;
                }
                let Some(what) = grants(&r.rule, kind) else {
                    continue;
                };
                let f = out.report(
                    id,
                    Pointer::root().key("rules").index(r.index),
                    format!(
                        "{kind} `{}` rule {} grants {what} ({})",
                        o.name,
                        r.index,
                        scope(&bindings)
                    ),
                );
                for b in &bindings {
                    f.related(b.id, Pointer::root().key("roleRef"));
                }
            }
        }
    }
}

/// The verbs of `candidates` that a rule grants on a resource, by exact matching.
pub fn verbs_on<'v>(
    rule: &PolicyRule,
    candidates: &[&'v str],
    group: &str,
    resource: &str,
    names_matter: bool,
) -> Vec<&'v str> {
    candidates
        .iter()
        .copied()
        .filter(|v| {
            rule.verb_matches(v) && rule.group_matches(group) && rule.resource_matches(resource)
        })
        .filter(|_| !names_matter || rule.resource_names.is_empty())
        .collect()
}

/// Joins verbs as `get, list`.
pub fn join(verbs: &[&str]) -> String {
    verbs.join(", ")
}
