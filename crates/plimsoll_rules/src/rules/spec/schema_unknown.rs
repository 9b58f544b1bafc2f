use plimsoll_model::{Object, Pointer};

use super::util::no_schema;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an object whose kind has no schema to validate it with: a built-in API
    /// group's kind at a version the judged Kubernetes release does not have
    /// (`extensions/v1beta1 Ingress` on 1.37, a misspelt kind), or a custom resource at
    /// a version its CustomResourceDefinition (in the input or under `--crd-dir`) does
    /// not serve. A custom resource whose CRD is not known is not reported here: the
    /// SPEC rules report it as not evaluated, unless `--strict-schemas` (or the setting
    /// `strict-schemas: true`) is given, which reports it here too. `--strict-schemas`
    /// also raises this rule to `error`, so that an unknown schema fails the run.
    ///
    /// ## Why it matters in production
    /// No field of such an object was checked, and the API server will answer `no
    /// matches for kind` for it: either the version is wrong (API002 and API004 say
    /// which one is right for built-in kinds) or the object is meant for another
    /// release than the one judged (`--kube-version`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1beta1
    /// kind: Ingress
    /// metadata: {name: web}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: API002 has the migrations between versions.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    /// - <https://kubernetes.io/docs/reference/using-api/#api-versioning>
    pub struct SchemaUnknown {
        code: "SPEC005",
        name: "schema-unknown",
        severity: Info,
        default: true,
        summary: "No schema for the object's kind and version, so its fields were not validated",
    }
}

impl Rule for SchemaUnknown {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if let Some(reason) = no_schema(cx, id, obj) {
            out.report(id, Pointer::root().key("apiVersion"), reason);
        }
    }
}
