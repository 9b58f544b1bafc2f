use plimsoll_model::{Object, Pointer};
use plimsoll_yaml::Resolved;

use super::util::{any_plain, field_name, plain, string_field_paths, walk_scalars};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports unquoted integers written with a leading zero (`0755`, `012`) anywhere
    /// in an object, except in fields Kubernetes types as strings (YML003 reports
    /// those). For file modes (`defaultMode`, `mode`) the message gives the value
    /// Kubernetes reads; elsewhere (an id, a zip code) it suggests quoting.
    ///
    /// ## Why it matters in production
    /// Kubernetes decodes YAML with YAML 1.1 rules, where a leading zero means octal:
    /// `0755` is 493 (`rwxr-xr-x`), which is what authors of `defaultMode: 0755` want.
    /// YAML 1.2 tools (kustomize's kyaml, yq v4, JSON converters, policy engines) read
    /// the decimal 755, an invalid mode. The same file means different things to
    /// different tools, and an id such as `01234` silently becomes 668.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: scripts
    ///     configMap:
    ///       name: scripts
    ///       defaultMode: 0755
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// volumes:
    ///   - name: scripts
    ///     configMap:
    ///       name: scripts
    ///       defaultMode: 493   # 0755; the same to every YAML and JSON reader
    /// ```
    ///
    /// ## Fix safety
    /// For a file mode (`defaultMode`, `mode`) the fix writes the decimal number
    /// Kubernetes already reads (`0644` becomes `420`), which is safe: the value Kubernetes
    /// sees does not change, and YAML 1.2 tools now read the same. Other fields get no fix:
    /// whether a quoted string (an id) or a number is meant depends on the field.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/storage/volumes/#configmap>
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#restriction-on-secret-file-permissions>
    /// - <https://yaml.org/type/int.html>
    pub struct OctalNumber {
        code: "YML002",
        name: "octal-number",
        severity: Warning,
        default: true,
        fix: Safe,
        summary: "An unquoted number with a leading zero is octal to Kubernetes and decimal to YAML 1.2 tools",
    }
}

/// `0755`, `-012`: a leading zero followed by digits only.
fn is_leading_zero_int(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit())
}

impl Rule for OctalNumber {
    fn judges_owned_objects(&self) -> bool {
        true
    }

    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !any_plain(&obj.root, |s| {
            is_leading_zero_int(&s.text) && matches!(s.resolve(), Resolved::Int(_))
        }) {
            return;
        }
        let skip = string_field_paths(obj);
        let mut found = Vec::new();
        walk_scalars(&obj.root, &Pointer::root(), &skip, &mut |path, node, _| {
            let Some(s) = plain(node) else { return };
            let Resolved::Int(v) = s.resolve() else {
                return;
            };
            if is_leading_zero_int(&s.text) {
                found.push((path.clone(), s.text.clone(), v));
            }
        });
        for (path, text, v) in found {
            let name = field_name(&path);
            let decimal = text.trim_start_matches(['+', '-']).trim_start_matches('0');
            let msg = if matches!(name.as_str(), "defaultMode" | "mode") {
                format!(
                    "`{name}: {text}` is read as octal by Kubernetes ({v}, as intended for a file mode) but as decimal {decimal} by YAML 1.2 tools; write `{v}`"
                )
            } else {
                format!(
                    "`{name}: {text}` is read by Kubernetes as the octal number {v}, not {decimal}; it was probably meant as a string: quote it"
                )
            };
            let f = out.report(id, path.clone(), msg);
            if matches!(name.as_str(), "defaultMode" | "mode") {
                f.fix(
                    Fix::new(
                        Applicability::Safe,
                        format!("write the mode as decimal {v}"),
                    )
                    .replace(&path, serde_json::json!(v)),
                );
            }
        }
    }
}
