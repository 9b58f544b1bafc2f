//! The ValidatingAdmissionPolicies of a run, compiled once, and what they decide on each
//! object, evaluated at most once per object (by whichever POL rule asks first) and
//! shared by the POL rules.

use std::collections::HashMap;
use std::sync::OnceLock;

use plimsoll_model::{ApiResources, Index, KubeVersion};
use plimsoll_policy::vap::{Doc, Evaluation, PolicySet, Request, UserInfo};
use rayon::prelude::*;

/// The policies of the run and their decisions.
pub struct PolModel {
    pub set: PolicySet,
    /// (group, kind) -> (resource, namespaced), built-in and the run's CRDs.
    resources: HashMap<(String, String), (String, bool)>,
    user: UserInfo,
    /// Per object, what the policies decided (`None`: not evaluated, or nothing).
    evaluations: Vec<OnceLock<Option<Evaluation>>>,
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

impl PolModel {
    pub fn build(index: &Index, kube_version: KubeVersion) -> PolModel {
        let resources: HashMap<(String, String), (String, bool)> = ApiResources::of(index)
            .resources()
            .iter()
            .map(|r| {
                (
                    (r.group.clone(), r.kind.clone()),
                    (r.plural.clone(), r.namespaced),
                )
            })
            .collect();
        let scope = |api_version: &str, kind: &str| {
            let (group, _) = group_version(api_version);
            resources
                .get(&(group.to_string(), kind.to_string()))
                .map(|&(_, namespaced)| namespaced)
        };
        let objects = index.objects();
        let docs = objects.iter().enumerate().map(|(id, o)| Doc {
            id,
            api_version: &o.api_version,
            kind: &o.kind,
            name: &o.name,
            namespace: o.namespace.as_deref(),
            root: &o.root,
        });
        let set = PolicySet::build(docs, kube_version.minor, &scope);
        let set_is_empty = set.is_empty();
        PolModel {
            set,
            resources,
            user: UserInfo::default(),
            // nothing to remember in a run without policies
            evaluations: if set_is_empty {
                Vec::new()
            } else {
                (0..objects.len()).map(|_| OnceLock::new()).collect()
            },
        }
    }

    /// What the policies decide on a CREATE of object `id` (`None` when nothing: no
    /// policy matched, or all admitted with no error).
    pub fn evaluation(&self, index: &Index, id: usize) -> Option<&Evaluation> {
        if self.set.is_empty() {
            return None;
        }
        self.evaluations[id]
            .get_or_init(|| {
                let o = index.object(id);
                let (group, version) = group_version(&o.api_version);
                let (resource, _) = self.resources.get(&(group.to_string(), o.kind.clone()))?;
                let name = o
                    .root
                    .at(&["metadata", "name"])
                    .and_then(|n| n.as_text())
                    .unwrap_or("");
                let ev = self.set.evaluate(&Request {
                    group,
                    version,
                    kind: &o.kind,
                    resource,
                    name,
                    namespace: o.namespace.as_deref(),
                    object: &o.root,
                    user: &self.user,
                });
                (!ev.decisions.is_empty() || !ev.ignored.is_empty()).then_some(ev)
            })
            .as_ref()
    }

    /// Evaluates every object not judged through its owner (in parallel), when `all`;
    /// else only reads what is evaluated already. Returns (object, evaluation) pairs.
    pub fn evaluations<'s>(&'s self, index: &Index, all: bool) -> Vec<(usize, &'s Evaluation)> {
        if self.set.is_empty() {
            return Vec::new();
        }
        if all {
            (0..self.evaluations.len())
                .into_par_iter()
                .filter(|&id| !index.judged_through_owner(id))
                .for_each(|id| {
                    self.evaluation(index, id);
                });
        }
        self.evaluations
            .iter()
            .enumerate()
            .filter_map(|(id, e)| e.get().and_then(Option::as_ref).map(|e| (id, e)))
            .collect()
    }
}
