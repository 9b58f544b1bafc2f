use plimsoll_model::Object;
use plimsoll_schema::Problem;

use super::util::report;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a field that the schema of the object's kind does not have, at its key,
    /// with the API server's own words (`unknown field
    /// "spec.template.spec.containers[0].resource"`) and the nearest known name as a
    /// suggestion. Built-in kinds are judged with the OpenAPI schema of the Kubernetes
    /// release given by `--kube-version`; custom resources with the `openAPIV3Schema`
    /// of their CustomResourceDefinition when it is among the inputs (honouring
    /// `x-kubernetes-preserve-unknown-fields` and `x-kubernetes-embedded-resource`). A
    /// custom resource whose CRD is not in the input is reported as not evaluated.
    ///
    /// ## Why it matters in production
    /// `kubectl apply` validates strictly by default and rejects the object, so the
    /// deploy fails late, in the pipeline's last step. Clients that do not (most
    /// controllers, GitOps tools and older kubectl) get a warning at best, and the API
    /// server drops the field: a misspelt `resources`, a `livenessProbe` one level too
    /// deep or a `nodeSelector` under the wrong parent is silently not applied, and the
    /// workload runs without the limit, probe or placement its author wrote.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resource:
    ///       limits: {memory: 256Mi}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       limits: {memory: 256Mi}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the suggestion is the nearest name, not necessarily the meant
    /// one, and a field at the wrong level needs moving, not renaming.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation>
    /// - <https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning>
    pub struct UnknownField {
        code: "SPEC001",
        name: "unknown-field",
        severity: Error,
        default: true,
        summary: "A field that the kind's schema does not have (the API server rejects or drops it)",
    }
}

impl Rule for UnknownField {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report(cx, id, obj, Problem::UnknownField, out);
    }
}
