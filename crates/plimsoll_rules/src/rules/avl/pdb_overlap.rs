use std::collections::{BTreeSet, HashMap};

use plimsoll_model::Pointer;

use crate::declare_rule;
use crate::rule::{Context, MAX_RELATED, Rule, Sink, list_capped};

declare_rule! {
    /// ## What it does
    /// Reports pods selected by more than one PodDisruptionBudget. A PDB that selects
    /// pods an earlier PDB of the input also selects is reported once, naming those
    /// earlier PDBs and the shared workloads (20 of each at most, with a count of the
    /// rest); the first of them are its related objects.
    ///
    /// ## Why it matters in production
    /// The Eviction API refuses to evict a pod covered by several budgets: it answers
    /// `500 Internal Server Error` ("This pod has more than one PodDisruptionBudget, which
    /// the eviction subresource does not support"). `kubectl drain` and
    /// cluster-autoscaler then cannot move the pod, and node maintenance stalls.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: api}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: team-default}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {team: payments}}   # also matches the api pods
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: team-default}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector:
    ///     matchLabels: {team: payments}
    ///     matchExpressions:
    ///       - {key: app, operator: NotIn, values: [api]}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which budget should own the pods is a decision.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/scheduling-eviction/api-eviction/>
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    pub struct PdbOverlap {
        code: "AVL005",
        name: "pdb-overlap",
        severity: Error,
        default: true,
        summary: "Pods are selected by more than one PodDisruptionBudget",
    }
}

/// What the PDBs of one class (those with the same selector) share with earlier PDBs:
/// for its first member, the workloads some earlier PDB also selects and the classes
/// of those earlier PDBs; for the later members every workload of the class is shared
/// (the first member selects it), with the classes of all the PDBs over them.
struct Shared {
    first_workloads: Vec<usize>,
    first_classes: Vec<usize>,
    all_classes: Vec<usize>,
}

impl Rule for PdbOverlap {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        judge(cx, out);
    }
}

/// Reports every PDB that overlaps an earlier one; returns the work done: workloads
/// visited, classes examined and PDBs listed.
fn judge(cx: &Context, out: &mut Sink) -> usize {
    let mut work = 0;
    {
        // PDBs with the same selector form one class of the index, and a workload
        // knows the classes over it. The overlaps of a class are computed once, from
        // its workloads and the distinct class lists among them; each PDB then costs
        // the classes it overlaps, never the pairs of PDBs times their workloads.
        let mut interned: HashMap<&[usize], usize> = HashMap::new();
        let mut lists: Vec<&[usize]> = Vec::new();
        let mut list_of: HashMap<usize, usize> = HashMap::new();
        let mut shared: HashMap<usize, Shared> = HashMap::new();
        let pdbs = cx
            .index
            .of_kind("PodDisruptionBudget")
            .filter(|(_, o)| o.group() == "policy")
            .map(|(id, _)| id);
        for id in pdbs {
            let Some(class) = cx.index.pdb_class_of(id) else {
                continue;
            };
            let members = &cx.index.pdb_class(class).members;
            let workloads = &cx.index.pdb_class(class).workloads;
            let sh = shared.entry(class).or_insert_with(|| {
                let first = members[0];
                let mut first_workloads = Vec::new();
                let mut first_lists = BTreeSet::new();
                let mut all_lists = BTreeSet::new();
                for &w in workloads {
                    work += 1;
                    let classes = cx.index.pdbs_for(w).classes();
                    let list = *list_of.entry(w).or_insert_with(|| {
                        *interned.entry(classes).or_insert_with(|| {
                            lists.push(classes);
                            lists.len() - 1
                        })
                    });
                    all_lists.insert(list);
                    let earliest = classes
                        .iter()
                        .map(|&c| cx.index.pdb_class(c).members[0])
                        .min()
                        .unwrap_or(first);
                    if earliest < first {
                        first_workloads.push(w);
                        first_lists.insert(list);
                    }
                }
                let union = |ls: &BTreeSet<usize>| -> Vec<usize> {
                    let set: BTreeSet<usize> =
                        ls.iter().flat_map(|&l| lists[l].iter().copied()).collect();
                    set.into_iter().collect()
                };
                Shared {
                    first_workloads,
                    first_classes: union(&first_lists),
                    all_classes: union(&all_lists),
                }
            });
            // workloads this PDB shares with an earlier one, and the classes of those
            // earlier PDBs
            let (workloads, classes): (&[usize], &[usize]) = if id == members[0] {
                (&sh.first_workloads, &sh.first_classes)
            } else {
                (workloads, &sh.all_classes)
            };
            if workloads.is_empty() {
                continue;
            }
            // the earlier PDBs of each class: disjoint ascending runs
            let mut runs: Vec<&[usize]> = classes
                .iter()
                .map(|&c| {
                    let m = &cx.index.pdb_class(c).members;
                    &m[..m.partition_point(|&p| p < id)]
                })
                .filter(|r| !r.is_empty())
                .collect();
            work += classes.len();
            let total: usize = runs.iter().map(|r| r.len()).sum();
            let mut others: Vec<usize> = Vec::new();
            while others.len() < MAX_RELATED {
                let Some((i, _)) = runs.iter().enumerate().min_by_key(|(_, r)| r[0]) else {
                    break;
                };
                work += 1;
                others.push(runs[i][0]);
                runs[i] = &runs[i][1..];
                if runs[i].is_empty() {
                    runs.swap_remove(i);
                }
            }
            let obj = cx.index.object(id);
            let pdb_names = list_capped(
                others
                    .iter()
                    .map(|&p| format!("`{}`", cx.index.object(p).name)),
                total,
                MAX_RELATED,
            );
            let workload_names = list_capped(
                workloads.iter().map(|&w| {
                    let wo = cx.index.object(w);
                    format!("{} `{}`", wo.kind, wo.name)
                }),
                workloads.len(),
                MAX_RELATED,
            );
            let f = out.report(
                id,
                Pointer::root().keys(&["spec", "selector"]),
                format!(
                    "PodDisruptionBudget `{}` and PodDisruptionBudget{} {} {} select the pods of {}, so the Eviction API refuses to evict them",
                    obj.name,
                    if total == 1 { "" } else { "s" },
                    pdb_names,
                    if total == 1 { "both" } else { "all" },
                    workload_names
                ),
            );
            // the other budgets first, the workloads in what room is left
            let pdb_room = total.min(
                MAX_RELATED
                    .saturating_sub(workloads.len())
                    .max(MAX_RELATED / 2),
            );
            for &other in others.iter().take(pdb_room) {
                f.related(other, Pointer::root().keys(&["spec", "selector"]));
            }
            for &w in workloads.iter().take(MAX_RELATED - pdb_room) {
                f.related(w, Pointer::root().keys(&["metadata", "name"]));
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

    fn run(text: &str) -> (Vec<String>, usize) {
        let loaded = load_text(0, text, "default");
        assert!(loaded.errors.is_empty());
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
        let mut out = Sink::new(super::PdbOverlap.meta());
        let work = judge(&cx, &mut out);
        let messages = out.findings.iter().map(|f| f.message.clone()).collect();
        (messages, work)
    }

    fn deploy(name: &str, labels: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec: {{template: {{metadata: {{labels: {{{labels}}}}}, spec: {{containers: [{{name: c}}]}}}}}}\n---\n"
        )
    }

    fn pdb(name: &str, labels: &str) -> String {
        format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}, namespace: shop}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{{labels}}}}}}}\n---\n"
        )
    }

    /// n PDBs sharing a selector over n workloads: n - 1 findings, and work linear in
    /// n (every PDB used to gather the earlier PDBs of all its workloads: n^2).
    #[test]
    fn pdbs_sharing_a_selector_cost_linear_work() {
        let mut seen = Vec::new();
        for n in [25, 100] {
            let mut text = String::new();
            for i in 0..n {
                text += &deploy(&format!("d{i}"), &format!("team: shop, app: d{i}"));
                text += &pdb(&format!("p{i}"), "team: shop");
            }
            let (messages, work) = run(&text);
            assert_eq!(messages.len(), n - 1);
            assert!(work <= 22 * n, "n = {n}: work {work}");
            assert!(
                messages[n - 2].contains(&format!("and {} more all select", n - 1 - 20)),
                "{}",
                messages[n - 2]
            );
            seen.push(messages.iter().map(String::len).max().unwrap_or(0));
        }
        // a message names 20 PDBs and 20 workloads at most, whatever n
        assert!(seen[1] <= seen[0] + 40, "longest message {seen:?}");
    }

    /// Overlaps across classes name every earlier PDB over the shared workloads.
    #[test]
    fn earlier_budgets_of_every_class_are_named() {
        let text = deploy("x", "team: t, app: x")
            + &deploy("y", "team: t, app: y")
            + &pdb("a", "app: x")
            + &pdb("b", "team: t")
            + &pdb("c", "team: t")
            + &pdb("d", "app: y");
        let (messages, _) = run(&text);
        assert_eq!(
            messages,
            [
                "PodDisruptionBudget `b` and PodDisruptionBudget `a` both select the pods of Deployment `x`, so the Eviction API refuses to evict them",
                "PodDisruptionBudget `c` and PodDisruptionBudgets `a`, `b` all select the pods of Deployment `x`, Deployment `y`, so the Eviction API refuses to evict them",
                "PodDisruptionBudget `d` and PodDisruptionBudgets `b`, `c` all select the pods of Deployment `y`, so the Eviction API refuses to evict them",
            ]
        );
    }
}
