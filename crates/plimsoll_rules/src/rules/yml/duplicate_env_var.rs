use std::collections::HashMap;

use plimsoll_model::{Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an `env` entry of a container (init, sidecar, regular or ephemeral) that
    /// repeats the `name` of an earlier entry, pointing at the later one and naming
    /// where the first is. As the API server's own warning does, a later entry that
    /// extends the earlier value (`value: "$(PATH):/opt/bin"` after `PATH`) is not
    /// reported: the kubelet expands `$(PATH)` to the earlier value, on purpose. A
    /// variable from `envFrom` that `env` sets again is not a duplicate either: `env`
    /// wins over `envFrom` by design. kube-linter's `duplicate-env-var` reports every
    /// repeated name, the extending ones included.
    ///
    /// ## Why it matters in production
    /// The kubelet sets the variables in order, so the container sees only the last
    /// value; the API server accepts the pod with a warning that CI pipelines and
    /// Helm rarely show. The earlier entry, often the one a reviewer reads, or the
    /// one a values file meant to override, has no effect. Strategic merge and
    /// server-side apply key `env` by name, so `kubectl apply` may also drop one of the
    /// two on the next change, switching the value the container gets.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     env:
    ///       - name: LOG_LEVEL
    ///         value: debug
    ///       - name: LOG_LEVEL
    ///         value: info
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     env:
    ///       - name: LOG_LEVEL
    ///         value: info
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes the earlier entry and is safe: the container already gets only the
    /// later value, so what it sees does not change. It is not offered when an entry in
    /// between reads the variable (`$(NAME)`), or when the earlier entry is a `valueFrom`
    /// (a missing non-optional source keeps the pod from starting, which removing it
    /// would change). Which of the two values was meant is still worth a look.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/>
    /// - <https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/>
    /// - <https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation>
    pub struct DuplicateEnvVar {
        code: "YML005",
        name: "duplicate-env-var",
        severity: Warning,
        default: true,
        fix: Safe,
        summary: "A container's env sets the same variable twice",
    }
}

impl Rule for DuplicateEnvVar {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        for c in t.containers() {
            let env = c.env();
            let mut first: HashMap<&str, (usize, &Node)> = HashMap::new();
            for (i, e) in c.env().iter().enumerate() {
                let Some(name_node) = e.get("name") else {
                    continue;
                };
                let Some(name) = name_node.as_text().filter(|n| !n.is_empty()) else {
                    continue;
                };
                let Some(&(j, earlier)) = first.get(name) else {
                    first.insert(name, (i, name_node));
                    continue;
                };
                // the API server's rule: a later value that uses the earlier one
                // (`X: $(X):more`) is deliberate
                let reference = format!("$({name})");
                let value = e.get("value").and_then(Node::as_text).unwrap_or("");
                if e.get("valueFrom").is_none() && value != reference && value.contains(&reference)
                {
                    continue;
                }
                let at = match earlier.span.start.line {
                    0 => format!("`env[{j}]`"),
                    line => format!("`env[{j}]`, line {line}"),
                };
                // the earlier entry can go when nothing between the two reads it and it
                // has no valueFrom (whose missing source would keep the pod from
                // starting)
                let reads = |n: &Node| {
                    n.get("value")
                        .and_then(Node::as_text)
                        .is_some_and(|v| v.contains(&reference))
                };
                let removable =
                    env[j].get("valueFrom").is_none() && !env[j + 1..=i].iter().any(reads);
                let f = out.report_container(
                    id,
                    &c,
                    c.field_pointer(&["env"]).index(i).key("name"),
                    format!(
                        "{} `{}` sets `{name}` again (first at {at}): the container gets only this later value, and `kubectl apply` may drop one of the two",
                        c.kind.as_str(),
                        c.name
                    ),
                );
                if removable {
                    f.fix(
                        Fix::new(
                            Applicability::Safe,
                            format!(
                                "remove the earlier `{name}` (env[{j}]), whose value is overridden"
                            ),
                        )
                        .remove(&c.field_pointer(&["env"]).index(j)),
                    );
                }
            }
        }
    }
}
