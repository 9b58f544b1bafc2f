use std::collections::HashMap;
use std::collections::hash_map::Entry;

use plimsoll_model::{Object, Pointer};
use plimsoll_policy::vap::{Action, Cause, Decision};

use crate::declare_rule;
use crate::rule::{Context, Related, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Evaluates the ValidatingAdmissionPolicies and ValidatingAdmissionPolicyBindings
    /// of the run (among the inputs, under `--policy`, or in the configuration's
    /// `policies:`; for `audit`, also those of the cluster; for `serve`, those of
    /// `--policy`) against every object, as the API
    /// server would on its creation, and reports each object a policy does not admit.
    /// The object is seen as the API server sees it: with the defaults the API server
    /// applies first (`replicas`, `strategy`, `imagePullPolicy`, ports' `protocol`,
    /// ...), quantities in the API server's canonical form (`0.5` is `500m`),
    /// int-or-string values as written. Matching, `paramRef`, `matchConditions`,
    /// `variables`, `messageExpression`, `failurePolicy` and
    /// `validationActions` follow the API server: the message is the one the API
    /// server gives, and the severity follows the binding's actions (`Deny`: error,
    /// `Warn`: warning, `Audit`: info). An expression that fails on the object under
    /// `failurePolicy: Fail` denies it, with the error as the API server words it.
    /// Related entries name the policy and the binding.
    ///
    /// Offline, a namespace that is not among the inputs is taken to carry only its
    /// `kubernetes.io/metadata.name` label, and `authorizer` cannot answer.
    ///
    /// ## Why it matters in production
    /// A policy is enforced by the API server: a manifest that breaks it fails at
    /// deploy time, mid-rollout, after the review that should have caught it. Checking
    /// the same policy in CI, with the API server's verdict, moves the failure to the
    /// pull request.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingAdmissionPolicy
    /// metadata: {name: replica-limit}
    /// spec:
    ///   matchConstraints:
    ///     resourceRules:
    ///     - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
    ///   validations:
    ///   - expression: object.spec.replicas <= 5
    ///     message: at most 5 replicas
    /// ---
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingAdmissionPolicyBinding
    /// metadata: {name: replica-limit}
    /// spec: {policyName: replica-limit, validationActions: [Deny]}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 10
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec: {containers: [{name: web, image: nginx:1.27}]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 5
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec: {containers: [{name: web, image: nginx:1.27}]}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: what satisfies a policy is the policy author's to say.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/>
    /// - <https://kubernetes.io/docs/reference/using-api/cel/>
    pub struct AdmissionPolicyViolation {
        code: "POL001",
        name: "admission-policy-violation",
        severity: Error,
        default: true,
        summary: "A ValidatingAdmissionPolicy of the run does not admit the object",
    }
}

impl Rule for AdmissionPolicyViolation {
    fn check(&self, cx: &Context, id: usize, _obj: &Object, out: &mut Sink) {
        let model = cx.pol();
        let Some(ev) = model.evaluation(cx.index, id) else {
            return;
        };
        let set = &model.set;
        // one finding per (policy, binding, action, validation) whatever the number of
        // params that fail it: a selector matching many params must not multiply them
        let mut groups: Vec<(&Decision, Vec<usize>, bool)> = Vec::new();
        let mut index: HashMap<(usize, Option<usize>, Action, &Cause), usize> = HashMap::new();
        for d in &ev.decisions {
            match index.entry((d.policy, d.binding, d.action, &d.cause)) {
                Entry::Occupied(e) => {
                    let (g, params, differ) = &mut groups[*e.get()];
                    params.extend(d.param);
                    *differ |= g.message != d.message;
                }
                Entry::Vacant(e) => {
                    e.insert(groups.len());
                    groups.push((d, d.param.into_iter().collect(), false));
                }
            }
        }
        for (d, params, differ) in groups {
            let policy = &set.policies[d.policy];
            let binding = d.binding.map(|b| &set.bindings[b]);
            let with = binding
                .map(|b| format!(" with binding '{}'", b.name))
                .unwrap_or_default();
            let severity = match d.action {
                Action::Deny => Severity::Error,
                Action::Warn => Severity::Warning,
                Action::Audit => Severity::Info,
            };
            let mut message = match d.action {
                Action::Audit => format!(
                    "ValidatingAdmissionPolicy '{}'{with} records for audit: {}",
                    policy.name, d.message
                ),
                _ => set.server_text(d),
            };
            if params.len() > 1 {
                message.push_str(&format!(
                    " (with each of {} params{})",
                    params.len(),
                    if differ {
                        "; the message is the first one's"
                    } else {
                        ""
                    }
                ));
            }
            let at = match &d.cause {
                Cause::Violation(i) => Pointer::root().keys(&["spec", "validations"]).index(*i),
                Cause::Error(p) | Cause::AnnotationError(p) => Pointer::parse(p),
                Cause::Configuration => Pointer::root().keys(&["spec", "paramKind"]),
            };
            // a binding's own error (its params) is shown at the binding's paramRef
            let binding_at = if matches!(d.cause, Cause::Configuration) {
                Pointer::root().keys(&["spec", "paramRef"])
            } else {
                Pointer::root()
            };
            // the field the failing validation reads, as far as the object has it
            let path = match &d.cause {
                Cause::Violation(i) => policy.validations[*i]
                    .reads
                    .first()
                    .map(|fields| written(cx, id, fields))
                    .unwrap_or_else(Pointer::root),
                _ => Pointer::root(),
            };
            let f = out.report(id, path, message);
            f.severity = severity;
            f.related.push(Related {
                object: policy.id,
                path: at,
                message: Some(format!("ValidatingAdmissionPolicy {}", policy.name)),
            });
            if let Some(binding) = binding {
                f.related.push(Related {
                    object: binding.id,
                    path: binding_at,
                    message: Some(format!("ValidatingAdmissionPolicyBinding {}", binding.name)),
                });
            }
            f.related_all(&params, |_| Pointer::root());
        }
    }
}

/// The longest prefix of `fields` that object `id` has.
fn written(cx: &Context, id: usize, fields: &[String]) -> Pointer {
    let mut node = &*cx.index.object(id).root;
    let mut at = Pointer::root();
    for f in fields {
        match node.get(f) {
            Some(n) => {
                node = n;
                at = at.key(f);
            }
            None => break,
        }
    }
    at
}
