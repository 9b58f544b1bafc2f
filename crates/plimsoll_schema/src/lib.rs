//! Kubernetes schemas for plimsoll: the OpenAPI schemas of the built-in kinds of every
//! supported release (embedded, see [`builtin`]), the schemas of the custom resources
//! that CustomResourceDefinitions define ([`Crds`]), and validation of parsed
//! documents against them with the place of every problem ([`validate`]).
//! Nothing here does I/O.

pub mod builtin;
pub mod crd;
pub mod schema;
pub mod validate;

pub use builtin::{Builtin, builtin};
pub use crd::{CrdVersion, Crds};
pub use validate::{Dialect, Problem, Violation, dotted, nearest};

use plimsoll_model::is_builtin_group;
use plimsoll_yaml::Node;

/// What schema validation says about one object.
#[derive(Debug)]
pub enum Verdict {
    /// Validated; no violations means valid.
    Validated(Vec<Violation>),
    /// A built-in group's kind with no schema at this release (a removed or unknown
    /// version, a kind that does not exist), or a CRD that does not serve the version:
    /// the API server would reject it.
    NoSchema(String),
    /// A custom resource whose CRD is not in the input: not judged.
    UnknownCustom(String),
}

/// Validates the object `root` (`apiVersion`, `kind` as written) with the built-in
/// schemas of `builtin` and the CRDs of the run.
pub fn judge(
    builtin: &Builtin,
    crds: &Crds,
    api_version: &str,
    kind: &str,
    root: &Node,
) -> Verdict {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if let Some((name, v)) = crds.get(api_version, kind) {
        return match v {
            CrdVersion::Served(s) => {
                Verdict::Validated(validate::validate(&builtin.arena, s, Dialect::Custom, root))
            }
            CrdVersion::NoSchema => Verdict::NoSchema(format!(
                "CustomResourceDefinition {name} gives no openAPIV3Schema for {api_version}"
            )),
            CrdVersion::NotServed => Verdict::NoSchema(format!(
                "CustomResourceDefinition {name} does not serve {api_version}"
            )),
        };
    }
    if let Some(name) = crds.defines(group, kind) {
        return Verdict::NoSchema(format!(
            "CustomResourceDefinition {name} defines no version {api_version}"
        ));
    }
    if let Some(s) = builtin.kind(api_version, kind) {
        return Verdict::Validated(validate::validate(
            &builtin.arena,
            s,
            Dialect::Builtin,
            root,
        ));
    }
    if is_builtin_group(group) {
        Verdict::NoSchema(format!(
            "Kubernetes {} has no schema for {api_version} {kind}",
            builtin.version
        ))
    } else {
        Verdict::UnknownCustom(format!(
            "no CustomResourceDefinition for {api_version} {kind} in the input (--crd-dir reads more)"
        ))
    }
}
