//! The ValidatingAdmissionPolicies of a run, compiled once, and what they decide on each
//! object, evaluated at most once per object (by whichever POL rule asks first) and
//! shared by the POL rules.

use std::collections::HashMap;
use std::sync::OnceLock;

use plimsoll_model::{ApiResources, Index, KubeVersion, Object};
use plimsoll_policy::vap::{Doc, Evaluation, PolicySet, Request, UserInfo};
use rayon::prelude::*;

/// The policies of the run and their decisions.
pub struct PolModel {
    pub set: PolicySet,
    served: Served,
    user: UserInfo,
    /// Per object, what the policies decided (`None`: not evaluated, or nothing).
    evaluations: Vec<OnceLock<Option<Evaluation>>>,
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// What the cluster of a run serves: the built-in resources and those of the
/// CustomResourceDefinitions of its inputs, by (group, kind): the plural and whether
/// namespaced.
pub struct Served(HashMap<(String, String), (String, bool)>);

impl Served {
    pub fn of(indexes: &[&Index]) -> Served {
        Served(
            indexes
                .iter()
                .flat_map(|index| ApiResources::of(index).resources().to_vec())
                .map(|r| ((r.group, r.kind), (r.plural, r.namespaced)))
                .collect(),
        )
    }

    /// Whether the cluster serves the kind, and namespaced (`None`: it does not).
    pub fn namespaced(&self, api_version: &str, kind: &str) -> Option<bool> {
        let (group, _) = group_version(api_version);
        self.0
            .get(&(group.to_string(), kind.to_string()))
            .map(|&(_, namespaced)| namespaced)
    }

    /// The CREATE of `o` by `user` (`None`: a kind the cluster does not serve).
    pub fn request<'a>(&'a self, o: &'a Object, user: &'a UserInfo) -> Option<Request<'a>> {
        let (group, version) = group_version(&o.api_version);
        let (resource, _) = self.0.get(&(group.to_string(), o.kind.clone()))?;
        Some(Request {
            group,
            version,
            kind: &o.kind,
            resource,
            name: o
                .root
                .at(&["metadata", "name"])
                .and_then(|n| n.as_text())
                .unwrap_or(""),
            namespace: o.namespace.as_deref(),
            object: &o.root,
            user,
        })
    }
}

/// Object `id` as the policy set reads it.
pub fn doc(id: usize, o: &Object) -> Doc<'_> {
    Doc {
        id,
        api_version: &o.api_version,
        kind: &o.kind,
        name: &o.name,
        namespace: o.namespace.as_deref(),
        root: &o.root,
    }
}

impl PolModel {
    pub fn build(index: &Index, kube_version: KubeVersion) -> PolModel {
        let served = Served::of(&[index]);
        let objects = index.objects();
        let docs = objects.iter().enumerate().map(|(id, o)| doc(id, o));
        let set = PolicySet::build(docs, kube_version.minor, &|v: &str, k: &str| {
            served.namespaced(v, k)
        });
        let set_is_empty = set.is_empty();
        PolModel {
            set,
            served,
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
                let request = self.served.request(index.object(id), &self.user)?;
                let ev = self.set.evaluate(&request);
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
