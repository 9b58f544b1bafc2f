use plimsoll_model::Object;
use plimsoll_schema::Problem;

use super::util::report;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a field that the schema of the object's kind marks as required and the
    /// object lacks (a custom resource also when it sets it to null, which the API server
    /// prunes): a container without `name`, a Deployment without
    /// `selector`, a custom resource without a field its CRD requires. The finding
    /// points at the mapping that should hold the field; its path names the field.
    ///
    /// ## Why it matters in production
    /// The API server rejects the object (`spec.selector: Required value`), so the
    /// deploy fails at apply time; catching it in review or CI is minutes instead of a
    /// failed rollout.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   template: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template: {}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: only the author knows the value.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/>
    /// - <https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation>
    pub struct RequiredFieldMissing {
        code: "SPEC003",
        name: "required-field-missing",
        severity: Error,
        default: true,
        summary: "A field the kind's schema requires is missing",
    }
}

impl Rule for RequiredFieldMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report(cx, id, obj, Problem::MissingRequired, out);
    }
}
