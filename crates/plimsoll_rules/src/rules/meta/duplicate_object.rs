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
    /// Every set of objects with one identity is judged once: each later copy names
    /// the first and at most [`MAX_RELATED`] others, so n copies cost n, not n x n.
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        judge(cx, out);
    }
}

/// Reports the later copies; returns the work done: objects visited and listed.
fn judge(cx: &Context, out: &mut Sink) -> usize {
    let mut work = 0;
    {
        let name_ptr = Pointer::root().keys(&["metadata", "name"]);
        for ids in cx.index.repeated_names() {
            // copies are objects with a name of the same API (built-in groups are one)
            let mut by_api: Vec<(&str, Vec<usize>)> = Vec::new();
            for &id in ids {
                work += 1;
                let o = cx.index.object(id);
                if !has_name(o) {
                    continue;
                }
                match by_api.iter_mut().find(|(g, _)| same_api(g, o.group())) {
                    Some((_, copies)) => copies.push(id),
                    None => by_api.push((o.group(), vec![id])),
                }
            }
            for (_, copies) in by_api {
                if copies.len() < 2 {
                    continue;
                }
                // the first definition is the one the later ones override: report those
                let first = copies[0];
                for &id in &copies[1..] {
                    if cx.index.judged_through_owner(id) {
                        continue;
                    }
                    let obj = cx.index.object(id);
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
                        work += 1;
                        f.related(other, name_ptr.clone());
                    }
                }
            }
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use plimsoll_model::{Index, KubeVersion};

    use super::judge;
    use crate::input::{YamlFacts, load_text};
    use crate::rule::{Context, Described, Sink};
    use crate::settings::Settings;

    /// n copies of one object: n - 1 findings naming 20 copies at most, and work
    /// linear in n (every copy used to gather all the others: n^2).
    #[test]
    fn many_copies_cost_linear_work() {
        for n in [25, 100] {
            let text: String = (0..n)
                .map(|i| {
                    format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: shop}}\ndata: {{copy: \"{i}\"}}\n---\n"
                    )
                })
                .collect();
            let loaded = load_text(0, &text, "default");
            let index = Index::new(loaded.objects);
            let settings = Settings::default();
            let yaml = YamlFacts::default();
            let cx = Context {
                index: &index,
                settings: &settings,
                kube_version: KubeVersion::NEWEST,
                pss_version: None,
                yaml: &yaml,
                selected: &[],
                cache: Default::default(),
                live: None,
            };
            let mut out = Sink::new(super::DuplicateObject.meta());
            let work = judge(&cx, &mut out);
            assert_eq!(out.findings.len(), n - 1);
            assert!(out.findings.iter().all(|f| f.related.len() <= 20));
            assert!(work <= 22 * n, "n = {n}: work {work}");
        }
    }
}
