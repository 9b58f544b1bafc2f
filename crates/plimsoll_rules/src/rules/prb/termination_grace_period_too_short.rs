use plimsoll_model::{Container, Node, Object, PodTemplate, Pointer};

use super::util::is_serving;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// Kubernetes' default `terminationGracePeriodSeconds`.
const DEFAULT_GRACE: i64 = 30;

declare_rule! {
    /// ## What it does
    /// Reports two mistakes with the time a pod gets to shut down:
    /// - a serving workload (see PRB001) with `terminationGracePeriodSeconds` set
    ///   below `min-termination-grace-period-seconds` (default 10);
    /// - any pod template whose grace period (default 30 s) is not longer than the
    ///   `preStop` hook of one of its containers must wait: a `sleep` action
    ///   (`lifecycle.preStop.sleep.seconds`) or an `exec` hook that runs `sleep N`.
    ///
    /// ## Why it matters in production
    /// The grace period counts from the deletion, and the preStop hook runs inside it;
    /// when it runs out the kubelet sends SIGKILL. A hook that sleeps as long as the
    /// grace period leaves the application no time at all for its own SIGTERM
    /// handling (draining requests, committing offsets, closing connections), and a
    /// very short grace period does the same for every in-flight request: each
    /// rollout or node drain cuts them off.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   terminationGracePeriodSeconds: 5
    ///   containers:
    ///     - name: api
    ///       lifecycle:
    ///         preStop:
    ///           sleep: {seconds: 10}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   terminationGracePeriodSeconds: 45
    ///   containers:
    ///     - name: api
    ///       lifecycle:
    ///         preStop:
    ///           sleep: {seconds: 10}
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `terminationGracePeriodSeconds` to the least value both checks
    /// accept with the minimum to spare: the minimum itself for a grace period below it,
    /// and for a `preStop` wait the longest such wait plus the minimum, so the container
    /// still has the minimum to shut down once the hook returns; every finding on one
    /// pod template carries the same value. It is unsafe: a pod that does not exit on
    /// SIGTERM now takes that long to terminate, which slows rollouts and node drains,
    /// and the application may need more.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination>
    /// - <https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/>
    pub struct TerminationGracePeriodTooShort {
        code: "PRB008",
        name: "termination-grace-period-too-short",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "The termination grace period is too short for a clean shutdown",
    }
}

/// The seconds `sleep N` in an exec command waits (the largest when there are
/// several), for `["sleep", "5"]` and `["sh", "-c", "sleep 5 && nginx -s quit"]`.
fn exec_sleep(exec: &Node) -> Option<i64> {
    let text: Vec<&str> = exec
        .get("command")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_text)
        .collect();
    let joined = text.join(" ");
    let tokens: Vec<&str> = joined
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '\'' | '"'))
        .filter(|t| !t.is_empty())
        .collect();
    tokens
        .windows(2)
        .filter(|w| w[0] == "sleep" || w[0].ends_with("/sleep"))
        .filter_map(|w| w[1].strip_suffix('s').unwrap_or(w[1]).parse::<i64>().ok())
        .max()
}

impl Rule for TerminationGracePeriodTooShort {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let written = t
            .spec_field("terminationGracePeriodSeconds")
            .and_then(Node::as_i64);
        let min = cx.settings.min_termination_grace_period_seconds;
        let grace = written.unwrap_or(DEFAULT_GRACE);
        // the preStop waits not shorter than the grace period
        let waits: Vec<(Container, i64, Pointer, &str)> = t
            .containers()
            .filter(|c| c.kind.is_long_running())
            .filter_map(|c| {
                let pre = c.node.at(&["lifecycle", "preStop"])?;
                let (wait, path, what) =
                    if let Some(s) = pre.at(&["sleep", "seconds"]).and_then(Node::as_i64) {
                        (
                            s,
                            c.field_pointer(&["lifecycle", "preStop", "sleep", "seconds"]),
                            "sleeps",
                        )
                    } else if let Some(s) = pre.get("exec").and_then(exec_sleep) {
                        (
                            s,
                            c.field_pointer(&["lifecycle", "preStop", "exec", "command"]),
                            "runs `sleep`",
                        )
                    } else {
                        return None;
                    };
                (wait >= grace).then_some((c, wait, path, what))
            })
            .collect();
        let below = written.is_some_and(|g| g < min) && is_serving(cx, id);
        // one value for every finding of the template: the minimum, and the minimum
        // after the longest preStop wait
        let to = waits
            .iter()
            .map(|w| w.1.saturating_add(min))
            .chain(below.then_some(min))
            .max();
        let fix = || {
            to.map(|v| {
                Fix::new(
                    Applicability::Unsafe,
                    format!("set terminationGracePeriodSeconds: {v}"),
                )
                .set(
                    &obj.root,
                    &t.spec_pointer(&["terminationGracePeriodSeconds"]),
                    serde_json::json!(v),
                )
            })
        };
        if let Some(g) = written
            && below
        {
            let f = out.report(
                id,
                t.spec_pointer(&["terminationGracePeriodSeconds"]),
                format!(
                    "terminationGracePeriodSeconds ({g}) of a serving workload is below the minimum of {min}s; in-flight requests are cut off on every rollout"
                ),
            );
            if let Some(fix) = fix() {
                f.fix(fix);
            }
        }
        let how = if written.is_some() {
            "terminationGracePeriodSeconds"
        } else {
            "the default terminationGracePeriodSeconds"
        };
        for (c, wait, path, what) in waits {
            let f = out.report_container(
                id,
                &c,
                path,
                format!(
                    "the preStop hook of {} `{}` {what} {wait}s, not less than {how} ({grace}s), so the container is killed before it can shut down",
                    c.kind.as_str(),
                    c.name
                ),
            );
            if let Some(fix) = fix() {
                f.fix(fix);
            }
        }
    }
}
