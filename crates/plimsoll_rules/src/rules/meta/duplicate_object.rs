use plimsoll_model::{Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, MAX_RELATED, Rule, Sink};
use crate::rules::api::table::is_builtin_group;

declare_rule! {
    /// ## What it does
    /// Reports objects whose kind, namespace and name are defined more than once in
    /// the input. Every copy after the first is reported, with the other copies as
    /// related (the first 20, and a count of the rest): the later definition is the one
    /// that silently wins. Different apiVersions
    /// of a built-in kind (`extensions/v1beta1` and `networking.k8s.io/v1` Ingress) are
    /// the same object; custom kinds of different API groups that share a name
    /// (`Certificate` of cert-manager and of another project) are not. Objects named
    /// only by `generateName` are never duplicates.
    ///
    /// ## Why it matters in production
    /// Applying the input writes the object twice and the last definition wins
    /// silently: a change made to the first copy never reaches the cluster, and which
    /// copy wins depends on file order, which differs between `kubectl apply -f dir/`,
    /// Helm, Kustomize and Argo CD (which refuses to sync with duplicates).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config}
    /// data: {LOG_LEVEL: info}
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config}
    /// data: {LOG_LEVEL: debug}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config}
    /// data: {LOG_LEVEL: info}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: only the author knows which definition is meant.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/names/>
    /// - <https://kubernetes.io/docs/tasks/manage-kubernetes-objects/declarative-config/>
    pub struct DuplicateObject {
        code: "META004",
        name: "duplicate-object",
        severity: Error,
        default: true,
        summary: "The same object is defined more than once",
    }
}

/// Whether two API groups can hold the same object of one kind.
fn same_api(a: &str, b: &str) -> bool {
    a == b || is_builtin_group(a) && is_builtin_group(b)
}

fn has_name(o: &Object) -> bool {
    o.metadata()
        .and_then(|m| m.get("name"))
        .and_then(|n| n.as_text())
        .is_some()
}

impl Rule for DuplicateObject {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !has_name(obj) {
            return;
        }
        let copies: Vec<usize> = cx
            .index
            .all_named(&obj.kind, obj.namespace.as_deref(), &obj.name)
            .iter()
            .copied()
            .filter(|&other| {
                let o = cx.index.object(other);
                has_name(o) && same_api(o.group(), obj.group())
            })
            .collect();
        if copies.len() < 2 {
            return;
        }
        let line_of = |other: usize| {
            let o = cx.index.object(other);
            if o.source.file.is_some() && o.source.file == obj.source.file {
                let line = o
                    .root
                    .at(&["metadata", "name"])
                    .map_or(o.root.span.start.line, |n| n.span.start.line);
                format!(" at line {line}")
            } else {
                String::new()
            }
        };
        let name_ptr = Pointer::root().keys(&["metadata", "name"]);
        let first = copies[0];
        if first == id {
            // the first definition is the one the later ones override: report those
            return;
        }
        let mut msg = format!(
            "{} is defined more than once (first{}); the later definition silently replaces the earlier one",
            obj.display_name(),
            line_of(first)
        );
        let others = copies.len() - 1;
        if others > MAX_RELATED {
            msg.push_str(&format!(
                " ({} copies in all; {} more not listed)",
                copies.len(),
                others - MAX_RELATED
            ));
        }
        let f = out.report(id, name_ptr.clone(), msg);
        for &other in copies.iter().filter(|&&o| o != id).take(MAX_RELATED) {
            f.related(other, name_ptr.clone());
        }
    }
}
