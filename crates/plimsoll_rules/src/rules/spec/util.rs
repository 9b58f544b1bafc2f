//! What the SPEC rules share: the schemas of the run (the built-in kinds of the
//! Kubernetes release judged against, the CustomResourceDefinitions among the inputs)
//! and each object's verdict, computed once whichever SPEC rule asks first.

use std::sync::OnceLock;

use plimsoll_model::{Index, KubeVersion, Object};
use plimsoll_schema::{Builtin, Crds, Problem, Verdict, builtin};

use crate::rule::{Context, Sink};

/// The schemas of a run and the verdict of every object, filled on first use.
pub struct SchemaRun {
    builtin: Option<&'static Builtin>,
    version: KubeVersion,
    crds: Crds,
    verdicts: Vec<OnceLock<Verdict>>,
}

impl SchemaRun {
    pub fn build(index: &Index, version: KubeVersion) -> SchemaRun {
        let builtin = builtin(version);
        let meta = builtin.and_then(Builtin::object_meta);
        let crds = Crds::build(
            index
                .objects()
                .iter()
                .filter(|o| {
                    o.kind == "CustomResourceDefinition"
                        && o.api_version == "apiextensions.k8s.io/v1"
                })
                .map(|o| o.root.as_ref()),
            meta,
        );
        SchemaRun {
            builtin,
            version,
            crds,
            verdicts: (0..index.objects().len())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    /// The verdict on object `id`; `None` where schema validation does not apply (live
    /// and admitted objects: the API server has decoded them already).
    fn verdict(&self, id: usize, obj: &Object) -> Option<Result<&Verdict, String>> {
        obj.source.file?;
        let Some(b) = self.builtin else {
            return Some(Err(format!(
                "no schemas for Kubernetes {} (plimsoll embeds {} to {})",
                self.version,
                plimsoll_schema::builtin::OLDEST,
                plimsoll_schema::builtin::NEWEST
            )));
        };
        let slot = self.verdicts.get(id)?;
        Some(Ok(slot.get_or_init(|| {
            plimsoll_schema::judge(b, &self.crds, &obj.api_version, &obj.kind, &obj.root)
        })))
    }
}

/// Reports the violations of one kind of problem on `obj` (or says why it was not
/// judged).
pub fn report(cx: &Context, id: usize, obj: &Object, problem: Problem, out: &mut Sink) {
    match cx.schema().verdict(id, obj) {
        None => {}
        Some(Err(reason)) => out.not_evaluated(id, reason),
        Some(Ok(Verdict::Validated(violations))) => {
            for v in violations.iter().filter(|v| v.problem == problem) {
                let f = out.report(id, v.path.clone(), v.message.clone());
                if problem != Problem::MissingRequired {
                    f.span(v.span);
                }
            }
        }
        // with strict-schemas, SPEC005 reports it (see `no_schema`)
        Some(Ok(Verdict::UnknownCustom(reason))) if !cx.settings.strict_schemas => {
            out.not_evaluated(id, reason.clone())
        }
        Some(Ok(Verdict::UnknownCustom(_) | Verdict::NoSchema(_))) => {}
    }
}

/// The reason `obj` has no schema, if that is the verdict.
pub fn no_schema(cx: &Context, id: usize, obj: &Object) -> Option<String> {
    match cx.schema().verdict(id, obj)? {
        Ok(Verdict::NoSchema(reason)) => Some(reason.clone()),
        Ok(Verdict::UnknownCustom(reason)) if cx.settings.strict_schemas => Some(reason.clone()),
        _ => None,
    }
}
