use std::collections::HashSet;

use plimsoll_model::{Index, Node, PodTemplate, Pointer};

use super::util::service_account;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pods that get their ServiceAccount's API token mounted although nothing
    /// in the input grants that ServiceAccount any permission. The token is mounted
    /// unless `spec.automountServiceAccountToken` or, when the pod does not set it, the
    /// ServiceAccount's `automountServiceAccountToken` is `false` (the pod's field wins).
    ///
    /// Whether a program calls the API cannot be seen in a manifest, so the rule uses
    /// a precise heuristic: it fires only when
    /// - neither the pod nor its ServiceAccount sets `automountServiceAccountToken`
    ///   (an explicit `true` is taken as a deliberate choice, e.g. for Vault's
    ///   Kubernetes auth method, which uses the token outside RBAC), and
    /// - the ServiceAccount object is in the input, and
    /// - no RoleBinding or ClusterRoleBinding in the input names it as a subject,
    ///   directly (`kind: ServiceAccount`, or the user
    ///   `system:serviceaccount:<ns>:<name>`) or through the groups
    ///   `system:serviceaccounts`, `system:serviceaccounts:<ns>` or
    ///   `system:authenticated`.
    ///
    /// When the ServiceAccount is not in the input (as the `default` one often is
    /// not), its setting and its bindings are unknown and the pod is reported as not
    /// evaluated. The rule assumes that a ServiceAccount's bindings travel with it.
    ///
    /// ## Why it matters in production
    /// A mounted token is a credential lying in the container's filesystem: anyone who
    /// gets code execution or reads files through a path-traversal bug can use it
    /// against the API server, and any permission granted to the ServiceAccount later
    /// (or to a group it is in) reaches every running pod at once. A pod that never
    /// talks to the API should not carry one.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: web}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: web
    ///       containers:
    ///         - name: web
    ///           image: registry.example.com/web:2.1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: web}
    /// automountServiceAccountToken: false
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix sets `automountServiceAccountToken: false` in the pod template. A
    /// program that does call the API (for discovery, leader election through a binding
    /// kept elsewhere, or an external identity check) stops working without its token.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting>
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects>
    pub struct ServiceAccountTokenAutomounted {
        code: "SEC002",
        name: "service-account-token-automounted",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "A pod mounts an API token that no binding grants anything",
    }
}

/// Which ServiceAccounts the bindings of the input name.
#[derive(Default)]
struct Grants {
    /// (namespace, name) of ServiceAccount subjects
    accounts: HashSet<(String, String)>,
    /// namespaces granted through `system:serviceaccounts:<ns>`
    namespaces: HashSet<String>,
    /// `system:serviceaccounts` or `system:authenticated`
    everyone: bool,
}

impl Grants {
    fn of(index: &Index) -> Grants {
        let mut g = Grants::default();
        for kind in ["RoleBinding", "ClusterRoleBinding"] {
            for (_, b) in index.of_kind(kind) {
                if b.group() != "rbac.authorization.k8s.io" {
                    continue;
                }
                let binding_ns = b.namespace.as_deref();
                for s in b.root.get("subjects").map(Node::items).unwrap_or_default() {
                    let text = |k: &str| s.get(k).and_then(Node::as_text).unwrap_or("");
                    let name = text("name");
                    match text("kind") {
                        "ServiceAccount" => {
                            // an empty namespace resolves to the RoleBinding's; in a
                            // ClusterRoleBinding it never matches
                            let ns = match text("namespace") {
                                "" => binding_ns,
                                ns => Some(ns),
                            };
                            if let Some(ns) = ns {
                                g.accounts.insert((ns.to_string(), name.to_string()));
                            }
                        }
                        "User" => {
                            if let Some((ns, sa)) = name
                                .strip_prefix("system:serviceaccount:")
                                .and_then(|r| r.split_once(':'))
                            {
                                g.accounts.insert((ns.to_string(), sa.to_string()));
                            }
                        }
                        "Group" => match name {
                            "system:serviceaccounts" | "system:authenticated" => g.everyone = true,
                            _ => {
                                if let Some(ns) = name.strip_prefix("system:serviceaccounts:") {
                                    g.namespaces.insert(ns.to_string());
                                }
                            }
                        },
                        _ => {}
                    }
                }
            }
        }
        g
    }

    fn grants(&self, ns: &str, name: &str) -> bool {
        self.everyone
            || self.namespaces.contains(ns)
            || self.accounts.contains(&(ns.to_string(), name.to_string()))
    }
}

impl Rule for ServiceAccountTokenAutomounted {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let mut grants: Option<Grants> = None;
        for (id, obj) in cx.index.objects().iter().enumerate() {
            // the copies a controller made are judged through it
            if cx.index.judged_through_owner(id) {
                continue;
            }
            let Some(t) = PodTemplate::of(obj) else {
                continue;
            };
            let Some(ns) = obj.namespace.as_deref() else {
                continue;
            };
            // the pod's field wins; any explicit value is a decision
            if t.spec_field("automountServiceAccountToken")
                .and_then(Node::as_bool)
                .is_some()
            {
                continue;
            }
            let (sa, _, _) = service_account(&t);
            let Some((sa_id, sa_obj)) = cx
                .index
                .get("ServiceAccount", Some(ns), sa)
                .filter(|(_, o)| o.group().is_empty())
            else {
                out.not_evaluated(
                    id,
                    format!(
                        "ServiceAccount `{ns}/{sa}` is not in the input, so whether its token is mounted and used is unknown"
                    ),
                );
                continue;
            };
            if sa_obj
                .root
                .get("automountServiceAccountToken")
                .and_then(Node::as_bool)
                .is_some()
            {
                continue;
            }
            let grants = grants.get_or_insert_with(|| Grants::of(cx.index));
            if grants.grants(ns, sa) {
                continue;
            }
            let path = t.spec_pointer(&["automountServiceAccountToken"]);
            let fix = Fix::new(
                Applicability::Unsafe,
                "set automountServiceAccountToken: false in the pod template",
            )
            .set(&obj.root, &path, serde_json::json!(false));
            out.report(
                id,
                path,
                format!(
                    "pods mount the API token of ServiceAccount `{sa}`, but no RoleBinding or ClusterRoleBinding in the input grants it anything; set `automountServiceAccountToken: false`"
                ),
            )
            .related(sa_id, Pointer::root().keys(&["metadata", "name"]))
            .fix(fix);
        }
    }
}
