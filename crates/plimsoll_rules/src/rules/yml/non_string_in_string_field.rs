use plimsoll_model::Object;
use plimsoll_yaml::{Resolved, Scalar, Style};

use super::util::{describe, string_fields};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports unquoted values that YAML reads as a boolean, a number or null in fields
    /// Kubernetes types as strings: `metadata.labels` and `metadata.annotations` (of
    /// the object, its pod template and a CronJob's job template), ConfigMap `data` and
    /// `binaryData`, Secret `data` and `stringData`, container `env[].value`, `command`
    /// and `args` items (init, sidecar, regular and ephemeral containers).
    ///
    /// ## Why it matters in production
    /// The API server rejects the object (`cannot unmarshal bool into Go struct field
    /// ObjectMeta.metadata.labels of type string`), so the deploy fails. Tools that
    /// coerce instead (Helm templates, some generators) change the value: `1.10`
    /// becomes `1.1`, `0755` becomes `493`, `yes` becomes `true`. An explicit `null` is
    /// stored as an empty string.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     version: 1.10
    ///   annotations:
    ///     sidecar.istio.io/inject: yes
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     version: "1.10"
    ///   annotations:
    ///     sidecar.istio.io/inject: "yes"
    /// ```
    ///
    /// ## Fix safety
    /// For an unquoted boolean or number the fix quotes the written text (`yes` becomes
    /// `"yes"`, `1.10` becomes `"1.10"`), and for an unquoted null (`null`, `~`) it
    /// writes the empty string Kubernetes stores for it. It is safe: every field this
    /// rule judges is a string, the API server rejects the value as written, so no
    /// object that runs can depend on it, and the quoted text is the one the author
    /// wrote; the null keeps what Kubernetes stores today. A value with an explicit tag
    /// (`!!int 3`) gets no fix: the tag says the author wanted something else.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set>
    /// - <https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/>
    /// - <https://kubernetes.io/docs/concepts/configuration/configmap/>
    pub struct NonStringInStringField {
        code: "YML003",
        name: "non-string-in-string-field",
        severity: Error,
        default: true,
        fix: Safe,
        summary: "A string field holds an unquoted value that YAML reads as a boolean, number or null",
    }
}

impl Rule for NonStringInStringField {
    fn judges_owned_objects(&self) -> bool {
        true
    }

    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        for f in string_fields(obj, &|n| n.scalar().is_some_and(misread)) {
            let Some(s) = f.node.scalar() else { continue };
            let r = s.resolve();
            let fix = match r {
                _ if s.tag.is_some() => None,
                Resolved::Null => Some(
                    Fix::new(
                        Applicability::Safe,
                        "write the empty string Kubernetes stores for null",
                    )
                    .replace(&f.path, serde_json::json!("")),
                ),
                _ => Some(
                    Fix::new(Applicability::Safe, format!("quote it: \"{}\"", s.text))
                        .replace(&f.path, serde_json::json!(s.text.as_str())),
                ),
            };
            let msg = match r {
                Resolved::Null => format!(
                    "{} is `{}`, which Kubernetes reads as null and Kubernetes stores as an empty string; quote it if the text is meant",
                    f.what, s.text
                ),
                _ => format!(
                    "{} is `{}`, which Kubernetes reads as {}, not a string; the API server rejects it, quote it",
                    f.what,
                    s.text,
                    describe(r)
                ),
            };
            let found = out.report(id, f.path, msg);
            if let Some(fix) = fix {
                found.fix(fix);
            }
        }
    }
}

/// A plain or tagged scalar in a string field that Kubernetes does not read as a
/// string: the values this rule reports. An empty value is not one: its author meant
/// the empty string.
fn misread(s: &Scalar) -> bool {
    (s.style == Style::Plain || s.tag.is_some())
        && match s.resolve() {
            Resolved::Str => false,
            Resolved::Null => !s.text.is_empty(),
            _ => true,
        }
}
