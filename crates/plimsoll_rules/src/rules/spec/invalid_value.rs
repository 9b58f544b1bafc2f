use plimsoll_model::Object;
use plimsoll_schema::Problem;

use super::util::report;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a value of the right type that its field still cannot hold: a value
    /// outside the field's enum (`imagePullPolicy: always`, `protocol: tcp`), a
    /// quantity that does not parse (`memory: 1GB`, `cpu: 0.5 cores`), Secret `data`
    /// that is not base64, a time that is not RFC 3339, an integer out of the int32
    /// range, and in custom resources a repeated entry of an `x-kubernetes-list-type:
    /// set` or `map` list. Enums of built-in kinds come from the OpenAPI v3 documents
    /// of the newest release (the older releases' schemas do not carry them).
    ///
    /// ## Why it matters in production
    /// The API server rejects the object (`Unsupported value: "always": supported
    /// values: "Always", "IfNotPresent", "Never"`, `quantities must match the regular
    /// expression ...`), so the deploy fails at apply time.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     imagePullPolicy: always
    ///     resources:
    ///       limits: {memory: 1GB}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     imagePullPolicy: Always
    ///     resources:
    ///       limits: {memory: 1Gi}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: `1GB` may mean `1G` or `1Gi`, and an enum value's case is
    /// only the most likely reading.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/>
    /// - <https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation>
    pub struct InvalidValue {
        code: "SPEC004",
        name: "invalid-value",
        severity: Error,
        default: true,
        summary: "A value outside its field's enum or format (quantity, base64, time, int32)",
    }
}

impl Rule for InvalidValue {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        report(cx, id, obj, Problem::InvalidValue, out);
    }
}
