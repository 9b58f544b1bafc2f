use plimsoll_model::Object;
use plimsoll_schema::Problem;

use super::util::report;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a value whose JSON type is not the one the schema gives its field, at
    /// the value: a string where an integer is expected (`replicas: "3"`), a number or
    /// boolean where a string is expected (`image: 1.0`, `value: yes`), a single value
    /// where a list is expected, an int-or-string field given a list. YAML is read as
    /// the API server reads it (YAML 1.1 booleans, numbers, quoted strings).
    ///
    /// ## Why it matters in production
    /// The API server cannot decode the object and rejects it whole (`cannot unmarshal
    /// string into Go struct field DeploymentSpec.spec.replicas of type int32`), so the
    /// deploy fails. Templating is the usual cause: a value quoted by a Helm `quote`,
    /// or an unquoted version number that YAML reads as a float.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   replicas: "3"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   replicas: 3
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: converting the value may not be what the author meant.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/>
    pub struct WrongType {
        code: "SPEC002",
        name: "wrong-type",
        severity: Error,
        default: true,
        summary: "A value of the wrong type for its field (the API server cannot decode the object)",
    }
}

impl Rule for WrongType {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report(cx, id, obj, Problem::WrongType, out);
    }
}
