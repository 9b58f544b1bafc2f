use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates (every workload kind) that set the deprecated
    /// `spec.serviceAccount`, the alias of `serviceAccountName`:
    /// - alone: the pods run as that ServiceAccount, through a field that tools and
    ///   policies reading `serviceAccountName` do not see;
    /// - beside a different `serviceAccountName`: the API server ignores the deprecated
    ///   field (`serviceAccountName` wins when it is not empty) and the pods run as
    ///   the other ServiceAccount.
    ///
    /// Both fields set to the same name are not reported: the API server writes
    /// `serviceAccount` back from `serviceAccountName` on every read, so every object
    /// exported from a cluster carries both. kube-linter's
    /// `deprecated-service-account-field` fires whenever the field is set, which
    /// reports every such export; plimsoll does not.
    ///
    /// ## Why it matters in production
    /// The identity a pod runs as decides what it may do through the API. Admission
    /// policies, RBAC reviews and linters that read `serviceAccountName` see the
    /// `default` ServiceAccount when only the alias is set. When both are set and
    /// differ, the name a reviewer reads first may be the one the cluster ignores:
    /// the pods get another ServiceAccount's permissions and token, and what the
    /// author meant them to have is nowhere in effect.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccount: api
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: api
    /// ```
    ///
    /// ## Fix safety
    /// Safe: renaming the lone alias to `serviceAccountName`, or removing an alias
    /// that `serviceAccountName` overrides, keeps the ServiceAccount the pods run as.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/>
    pub struct ServiceAccountFieldDeprecated {
        code: "API005",
        name: "service-account-field-deprecated",
        severity: Warning,
        default: true,
        fix: Safe,
        summary: "A pod template sets the deprecated spec.serviceAccount",
    }
}

impl Rule for ServiceAccountFieldDeprecated {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let text = |k: &str| {
            t.spec_field(k)
                .and_then(Node::as_text)
                .filter(|s| !s.is_empty())
        };
        let Some(alias) = text("serviceAccount") else {
            return;
        };
        let path = t.spec_pointer(&["serviceAccount"]);
        match text("serviceAccountName") {
            Some(name) if name == alias => {}
            Some(name) => {
                out.report(
                    id,
                    path.clone(),
                    format!(
                        "the deprecated `serviceAccount: {alias}` is ignored: `serviceAccountName: {name}` wins, so the pods run as ServiceAccount `{name}` with its permissions, not `{alias}`"
                    ),
                )
                .fix(Fix {
                    applicability: Applicability::Safe,
                    title: "remove the ignored spec.serviceAccount".into(),
                    edits: vec![serde_json::json!({"op": "remove", "path": path.to_string()})],
                });
            }
            None => {
                let to = t.spec_pointer(&["serviceAccountName"]);
                out.report(
                    id,
                    path.clone(),
                    format!(
                        "the pods run as ServiceAccount `{alias}` through the deprecated `serviceAccount` alias: policies and reviews that read `serviceAccountName` see `default` instead"
                    ),
                )
                .fix(Fix {
                    applicability: Applicability::Safe,
                    title: "rename spec.serviceAccount to serviceAccountName".into(),
                    edits: vec![serde_json::json!({"op": "move", "from": path.to_string(), "path": to.to_string()})],
                });
            }
        }
    }
}
