use plimsoll_model::{Node, Object, Pointer, Span};
use plimsoll_yaml::Data;

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a key written twice in the same mapping, pointing at the second one.
    ///
    /// ## Why it matters in production
    /// Kubernetes' YAML decoding keeps the later value and drops the earlier one
    /// without a word. A duplicated `image`, `env` or `resources` key, often the result
    /// of a merge or a copy-paste, makes the cluster run something else than the part
    /// of the file a reviewer read, and YAML 1.2 tools reject the file outright.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     image: registry.example.com/api:1.4.2
    ///     resources:
    ///       limits: {memory: 256Mi}
    ///     image: registry.example.com/api:1.3.0
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
    /// No automatic fix: only the author knows which of the two values is meant.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/>
    /// - <https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation>
    /// - <https://yaml.org/spec/1.2.2/#mapping>
    pub struct DuplicateKey {
        code: "YML004",
        name: "duplicate-key",
        severity: Error,
        default: true,
        summary: "A mapping gives the same key twice",
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.start < outer.end
}

/// The pointer of the entry whose key was read at `key_span`.
fn find_key(root: &Node, key_span: Span) -> Option<Pointer> {
    let mut stack = vec![(root, Pointer::root())];
    while let Some((node, path)) = stack.pop() {
        match &node.data {
            Data::Scalar(_) => {}
            Data::Seq(items) => {
                for (i, n) in items.iter().enumerate() {
                    stack.push((n, path.index(i)));
                }
            }
            Data::Map(entries) => {
                for e in entries {
                    let p = path.key(&e.key);
                    if e.key_span == key_span {
                        return Some(p);
                    }
                    stack.push((&e.value, p));
                }
            }
        }
    }
    None
}

impl Rule for DuplicateKey {
    fn judges_owned_objects(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(file) = obj.source.file else { return };
        let Some(dups) = cx.yaml.duplicates.get(&(file, obj.source.doc)) else {
            return;
        };
        for d in dups.iter().filter(|d| contains(obj.root.span, d.second)) {
            let path = find_key(&obj.root, d.second).unwrap_or_default();
            out.report(
                id,
                path,
                format!(
                    "key `{}` is given twice in this mapping (first at line {}); Kubernetes keeps this later value and silently drops the first",
                    d.key, d.first.start.line
                ),
            )
            .span(d.second);
        }
    }
}
