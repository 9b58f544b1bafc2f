use plimsoll_model::{Node, Object, Pointer};

use super::util::{kind_of_resource, removed_at, when};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports the rules of admission webhooks (`ValidatingWebhookConfiguration`,
    /// `MutatingWebhookConfiguration`) and of admission policies and their bindings
    /// (`ValidatingAdmissionPolicy`, `MutatingAdmissionPolicy`, `matchConstraints` and
    /// `matchResources`) that name only apiVersions the judged Kubernetes version no
    /// longer serves for a built-in resource, e.g. `apiGroups: [extensions]`,
    /// `apiVersions: [v1beta1]`, `resources: [ingresses]` at 1.22. A rule with a `*`
    /// version, group or resource, one that also names a served version, and custom
    /// resources are not judged.
    ///
    /// ## Why it matters in production
    /// With `matchPolicy: Equivalent` (v1's default) such a rule still intercepts
    /// requests for the served versions of the same resource, through the old version;
    /// once the old version is gone there is nothing to be equivalent to, and the rule
    /// matches nothing. Nothing fails: the webhook or policy silently stops seeing the
    /// objects it was meant to validate or mutate, and a security control disappears
    /// with the upgrade.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata:
    ///   name: ingress-policy
    /// webhooks:
    ///   - name: ingress.policy.example.com
    ///     rules:
    ///       - apiGroups: [extensions]
    ///         apiVersions: [v1beta1]
    ///         operations: [CREATE, UPDATE]
    ///         resources: [ingresses]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       - apiGroups: [networking.k8s.io]
    ///         apiVersions: [v1]
    ///         operations: [CREATE, UPDATE]
    ///         resources: [ingresses]
    /// ```
    ///
    /// ## Fix safety
    /// Display-only: the fix shows the rule naming the replacement group and version (where
    /// every version it names has one), and is never applied: the webhook server, or the
    /// policy's expressions, must first accept objects of the new version.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#matching-requests-matchpolicy>
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    pub struct AdmissionMatchesRemovedVersion {
        code: "UPG004",
        name: "admission-matches-removed-version",
        severity: Warning,
        default: false,
        fix: DisplayOnly,
        summary: "An admission webhook or policy rule names only apiVersions the target Kubernetes version no longer serves",
    }
}

fn texts(n: Option<&Node>) -> Vec<&str> {
    n.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_text)
        .collect()
}

/// What a dead rule names, when it fails, and the replacement groups and versions (empty
/// when one of its versions has none).
struct Dead {
    gone: Vec<String>,
    at: String,
    groups: Vec<String>,
    versions: Vec<String>,
}

/// What a rule names that is gone at the target (`extensions/v1beta1 ingresses`, with the
/// replacement); `None` when the rule still matches something (or is not judged).
fn dead_rule(rule: &Node, cx: &Context) -> Option<Dead> {
    let groups = texts(rule.get("apiGroups"));
    let versions = texts(rule.get("apiVersions"));
    let resources = texts(rule.get("resources"));
    if groups.is_empty() || versions.is_empty() || resources.is_empty() {
        return None;
    }
    if groups.contains(&"*") || versions.contains(&"*") {
        return None;
    }
    let mut gone = Vec::new();
    let mut at = String::new();
    let (mut groups_new, mut versions_new) = (Vec::new(), Vec::new());
    let mut replaceable = true;
    for g in &groups {
        for r in &resources {
            let resource = r.split('/').next().unwrap_or(r);
            if resource == "*" {
                return None;
            }
            let kind = kind_of_resource(g, resource)?;
            for v in &versions {
                let api_version = if g.is_empty() {
                    v.to_string()
                } else {
                    format!("{g}/{v}")
                };
                let api = removed_at(&api_version, &kind, cx.kube_version)?;
                if at.is_empty() {
                    at = when(cx, api);
                }
                let instead = match api.replacement.split_once(' ') {
                    Some((gv, _)) => {
                        let (g, v) = gv.rsplit_once('/').unwrap_or(("", gv));
                        if !groups_new.iter().any(|x: &String| x == g) {
                            groups_new.push(g.to_string());
                        }
                        if !versions_new.iter().any(|x: &String| x == v) {
                            versions_new.push(v.to_string());
                        }
                        format!(" (use `{gv}`)")
                    }
                    None => {
                        replaceable = false;
                        String::new()
                    }
                };
                let words = format!(
                    "`{api_version}` {resource}, removed in 1.{}{instead}",
                    api.removed.unwrap_or_default()
                );
                if !gone.contains(&words) {
                    gone.push(words);
                }
            }
        }
    }
    if !replaceable {
        groups_new.clear();
        versions_new.clear();
    }
    (!gone.is_empty()).then_some(Dead {
        gone,
        at,
        groups: groups_new,
        versions: versions_new,
    })
}

impl Rule for AdmissionMatchesRemovedVersion {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.group() != "admissionregistration.k8s.io" {
            return;
        }
        // (path to a list of rules, what owns them)
        let mut lists: Vec<(Pointer, String)> = Vec::new();
        match obj.kind.as_str() {
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
                if let Some(hooks) = obj.root.get("webhooks") {
                    for (i, h) in hooks.items().iter().enumerate() {
                        let name = h.get("name").and_then(Node::as_text).unwrap_or("?");
                        lists.push((
                            Pointer::root().key("webhooks").index(i).key("rules"),
                            format!("webhook `{name}`"),
                        ));
                    }
                }
            }
            "ValidatingAdmissionPolicy" | "MutatingAdmissionPolicy" => lists.push((
                Pointer::root().keys(&["spec", "matchConstraints", "resourceRules"]),
                format!("{} `{}`", obj.kind, obj.name),
            )),
            "ValidatingAdmissionPolicyBinding" | "MutatingAdmissionPolicyBinding" => lists.push((
                Pointer::root().keys(&["spec", "matchResources", "resourceRules"]),
                format!("{} `{}`", obj.kind, obj.name),
            )),
            _ => return,
        }
        for (path, owner) in lists {
            let Some(rules) = obj.root.pointer(&path) else {
                continue;
            };
            for (j, rule) in rules.items().iter().enumerate() {
                let Some(Dead {
                    gone,
                    at,
                    groups,
                    versions,
                }) = dead_rule(rule, cx)
                else {
                    continue;
                };
                let fix = (!groups.is_empty()).then(|| {
                    Fix::new(
                        Applicability::DisplayOnly,
                        format!(
                            "name the replacement: apiGroups [{}], apiVersions [{}] (once the server accepts them)",
                            groups.join(", "),
                            versions.join(", ")
                        ),
                    )
                    .replace(&path.index(j).key("apiGroups"), serde_json::json!(groups))
                    .replace(&path.index(j).key("apiVersions"), serde_json::json!(versions))
                });
                let f = out.report(
                    id,
                    path.index(j).key("apiVersions"),
                    format!(
                        "this rule of {owner} names only {}: it matches nothing {at}, and the objects it was meant to see are admitted unseen",
                        gone.join(", ")
                    ),
                );
                f.fix = fix;
            }
        }
    }
}
