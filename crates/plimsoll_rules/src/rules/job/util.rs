//! Helpers shared by the JOB rules.

use plimsoll_model::{Node, Object, Pointer};

/// The Job spec of a top-level Job (`/spec`) or of a CronJob's job template
/// (`/spec/jobTemplate/spec`), with its pointer. Jobs with a controlling owner (created
/// by a CronJob or another controller) are judged through their owner: `None`.
pub fn job_spec(obj: &Object) -> Option<(&Node, Pointer)> {
    if obj.group() != "batch" || obj.has_controller() {
        return None;
    }
    match obj.kind.as_str() {
        "Job" => Some((obj.spec()?, Pointer::root().key("spec"))),
        "CronJob" => Some((
            obj.root.at(&["spec", "jobTemplate", "spec"])?,
            Pointer::root().keys(&["spec", "jobTemplate", "spec"]),
        )),
        _ => None,
    }
}

/// The CronJob spec of a CronJob.
pub fn cronjob_spec(obj: &Object) -> Option<&Node> {
    if obj.group() != "batch" || obj.kind != "CronJob" {
        return None;
    }
    obj.spec()
}
