use plimsoll_model::{Node, Object, Pointer};

use super::util::{cron_max_gap, go_duration, hours, is_schedule};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a Velero `Schedule` whose backups keep an implicit retention, or one
    /// too short for the schedule:
    /// - `spec.template.ttl` absent, or zero: Velero treats both alike and applies its
    ///   server's `--default-backup-ttl` (720h, 30 days, unless whoever installed
    ///   Velero changed it), so the retention is not in the manifest. An explicit `0s`
    ///   does not mean "keep forever".
    /// - a `ttl` shorter than the longest time between two runs of `spec.schedule`
    ///   (`0 2 * * 1-5` runs three days apart over a weekend): each backup expires
    ///   before the next one exists, and for part of every interval there is none.
    ///
    /// ## Why it matters in production
    /// How long backups are kept is a recovery-point and compliance decision. Left to
    /// a server flag, it changes silently when Velero is reinstalled or upgraded with
    /// other values, and a `0s` written to mean "forever" expires backups after 30
    /// days. A TTL shorter than the schedule leaves windows with no backup at all.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: velero.io/v1
    /// kind: Schedule
    /// metadata: {name: nightly, namespace: velero}
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template:
    ///     includedNamespaces: ["*"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   schedule: "0 2 * * *"
    ///   template:
    ///     includedNamespaces: ["*"]
    ///     ttl: 720h0m0s
    /// ```
    ///
    /// ## Fix safety
    /// For a missing or zero `ttl` the fix writes `720h0m0s`, Velero's default. It is
    /// display-only: it states what Velero does with a default installation, and the
    /// retention you need is a decision.
    ///
    /// ## References
    /// - <https://velero.io/docs/main/api-types/schedule/>
    /// - <https://velero.io/docs/main/how-velero-works/#set-a-backup-to-expire>
    /// - <https://kubernetes.io/docs/concepts/storage/persistent-volumes/>
    pub struct ScheduleTtlUnsetOrShort {
        code: "BAK003",
        name: "schedule-ttl-unset-or-short",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "A Velero Schedule leaves backup retention to the server default, or keeps backups shorter than its interval",
    }
}

impl Rule for ScheduleTtlUnsetOrShort {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_schedule(obj) {
            return;
        }
        let template = Pointer::root().keys(&["spec", "template"]);
        let node = obj.root.at(&["spec", "template", "ttl"]);
        let ttl = match node.filter(|n| !n.is_null()) {
            None => None,
            Some(n) => match n.as_text().and_then(go_duration) {
                Some(s) => Some(s),
                // not a duration: the API server rejects it
                None => return,
            },
        };
        match ttl {
            None | Some(0) => {
                let what = if ttl.is_none() {
                    "sets no ttl"
                } else {
                    "sets ttl 0, which Velero reads as unset"
                };
                out.report(
                    id,
                    if node.is_some() {
                        template.key("ttl")
                    } else {
                        template.clone()
                    },
                    format!(
                        "Schedule `{}` {what}: its backups expire after the Velero server's \
                         --default-backup-ttl (720h unless changed), a retention the manifest \
                         does not show",
                        obj.name
                    ),
                )
                .fix(
                    Fix::new(
                        Applicability::DisplayOnly,
                        "write the retention: ttl: 720h0m0s is Velero's default",
                    )
                    .set(
                        &obj.root,
                        &template.key("ttl"),
                        serde_json::json!("720h0m0s"),
                    ),
                );
            }
            Some(ttl) => {
                let Some(gap) = obj
                    .root
                    .at(&["spec", "schedule"])
                    .and_then(Node::as_text)
                    .and_then(cron_max_gap)
                else {
                    return;
                };
                if ttl < gap {
                    out.report(
                        id,
                        template.key("ttl"),
                        format!(
                            "Schedule `{}` keeps backups {} but runs up to {} apart: each \
                             backup expires before the next exists, leaving no backup for {} \
                             of that interval",
                            obj.name,
                            hours(ttl),
                            hours(gap),
                            hours(gap - ttl)
                        ),
                    );
                }
            }
        }
    }
}
