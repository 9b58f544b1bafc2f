use plimsoll_model::{Object, Pointer};
use plimsoll_yaml::Resolved;

use super::util::{any_plain, field_name, plain, string_field_paths, walk_scalars};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports unquoted `yes`, `no`, `on`, `off`, `y`, `n` (in any of the spellings
    /// YAML 1.1 accepts: `Yes`, `YES`, `Off`, ...) anywhere in an object. Values in
    /// fields that Kubernetes types as strings (labels, annotations, ConfigMap data,
    /// env values, args) are left to YML003, which reports them as errors.
    ///
    /// ## Why it matters in production
    /// Kubernetes decodes YAML with YAML 1.1 rules (go-yaml v2), where these words are
    /// booleans. YAML 1.2 tools (kustomize's kyaml, yq v4, many editors and schema
    /// validators) read them as strings. The same file then means different things to
    /// different tools in the pipeline: a patch or a policy check may see `"off"` where
    /// the cluster sees `false`.
    ///
    /// ## Example
    /// ```yaml
    /// volumeMounts:
    ///   - name: config
    ///     mountPath: /etc/app
    ///     readOnly: yes
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// volumeMounts:
    ///   - name: config
    ///     mountPath: /etc/app
    ///     readOnly: true
    /// ```
    ///
    /// ## Fix safety
    /// The fix writes `true`/`false`, which is what Kubernetes reads today; it is
    /// display-only because an author who meant the string should quote it instead.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/>
    /// - <https://kubernetes.io/docs/reference/using-api/api-concepts/>
    /// - <https://yaml.org/type/bool.html>
    pub struct Yaml11Boolean {
        code: "YML001",
        name: "yaml11-boolean",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "An unquoted yes/no/on/off is a boolean to Kubernetes but a string to YAML 1.2 tools",
    }
}

impl Rule for Yaml11Boolean {
    fn judges_owned_objects(&self) -> bool {
        true
    }

    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        // YAML 1.1 booleans other than true and false: y, n, yes, no, on, off
        if !any_plain(&obj.root, |s| {
            s.text.len() <= 5
                && !s.text.eq_ignore_ascii_case("true")
                && !s.text.eq_ignore_ascii_case("false")
                && matches!(s.resolve(), Resolved::Bool(_))
        }) {
            return;
        }
        let skip = string_field_paths(obj);
        let mut found = Vec::new();
        walk_scalars(&obj.root, &Pointer::root(), &skip, &mut |path, node, _| {
            let Some(s) = plain(node) else { return };
            let Resolved::Bool(b) = s.resolve() else {
                return;
            };
            if s.text.eq_ignore_ascii_case("true") || s.text.eq_ignore_ascii_case("false") {
                return;
            }
            found.push((path.clone(), s.text.clone(), b));
        });
        for (path, text, b) in found {
            let name = field_name(&path);
            out.report(
                id,
                path.clone(),
                format!(
                    "`{name}: {text}` is the boolean {b} to Kubernetes but the string \"{text}\" to YAML 1.2 tools; write `{b}` (or quote it if text is meant)"
                ),
            )
            .fix(Fix {
                applicability: Applicability::DisplayOnly,
                title: format!("write `{b}`"),
                edits: vec![serde_json::json!({
                    "op": "replace",
                    "path": path.to_string(),
                    "value": b,
                })],
            });
        }
    }
}
