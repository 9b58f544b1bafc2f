use std::collections::BTreeMap;

use plimsoll_model::Pointer;
use plimsoll_policy::vap::{Cause, Failure};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Severity, Sink};

declare_rule! {
    /// ## What it does
    /// Reports, at the ValidatingAdmissionPolicy or binding itself, what keeps a policy
    /// from working as written:
    /// - a policy or binding the API server refuses to create: an expression that does
    ///   not compile for the judged Kubernetes version (an undeclared field or
    ///   function, a library newer than the version, a result that is not exactly
    ///   `bool`), a missing `matchConstraints`, `Deny` and `Warn` together;
    /// - an expression that fails at run time on objects of the run (`no such key`,
    ///   no matching overload, the cost limit): with `failurePolicy: Fail` every such
    ///   object is denied (an error, with the objects as related); with `Ignore` they
    ///   are admitted unchecked (info).
    ///
    /// One finding per expression, whatever the number of objects it fails on.
    ///
    /// ## Why it matters in production
    /// A policy that cannot be created is not enforced at all, and one whose expression
    /// fails either blocks every matching request (`Fail`: an outage of deploys) or
    /// silently checks nothing (`Ignore`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingAdmissionPolicy
    /// metadata: {name: no-paused}
    /// spec:
    ///   matchConstraints:
    ///     resourceRules:
    ///     - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
    ///   validations:
    ///   - expression: object.spec.paused == false   # no such key when `paused` is not set
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingAdmissionPolicy
    /// metadata: {name: no-paused}
    /// spec:
    ///   matchConstraints:
    ///     resourceRules:
    ///     - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
    ///   validations:
    ///   - expression: "!has(object.spec.paused) || !object.spec.paused"
    /// ```
    ///
    /// ## Fix safety
    /// Display-only: a validation whose result is `dyn` (a field read as is) is shown
    /// compared with `true`, which compiles and is what such an expression usually
    /// means; the author decides. Nothing else has a fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/#failure-policy>
    /// - <https://kubernetes.io/docs/reference/using-api/cel/#runtime-cost-budget>
    pub struct AdmissionPolicyError {
        code: "POL002",
        name: "admission-policy-error",
        severity: Error,
        default: true,
        fix: DisplayOnly,
        summary: "A ValidatingAdmissionPolicy does not compile, or fails on objects of the run",
    }
}

impl Rule for AdmissionPolicyError {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        let model = cx.pol();
        let set = &model.set;
        for r in set.refused() {
            let at = Pointer::parse(&r.problem.pointer);
            let f = out.report(
                r.id,
                at.clone(),
                format!(
                    "the API server refuses to create {} {}: {}: {}",
                    r.kind,
                    r.name,
                    dotted(&r.problem.pointer),
                    r.problem.message
                ),
            );
            // a validation of type dyn (`object.spec.paused`): compared with true it is
            // a bool, and what was most likely meant
            if r.problem
                .message
                .ends_with("must evaluate to bool but got dyn")
                && let Some(source) = cx
                    .index
                    .object(r.id)
                    .root
                    .pointer(&at)
                    .and_then(|n| n.as_text())
            {
                f.fix(
                    Fix::new(
                        Applicability::DisplayOnly,
                        "compare the value with true, so that the result is a bool",
                    )
                    .replace(&at, format!("({}) == true", source.trim()).into()),
                );
            }
        }
        // run-time errors: one finding per (policy, expression), with the objects
        struct Failing {
            message: String,
            objects: Vec<usize>,
            ignored: bool,
        }
        // keyed by (policy, the object to report at, where in it): a binding's own
        // error (its params) is reported at the binding
        let mut failing: BTreeMap<(usize, usize, String), Failing> = BTreeMap::new();
        // POL001 evaluated every object it judges already; alone, evaluate them here
        let evaluations = model.evaluations(cx.index, !cx.is_selected("POL001"));
        for (id, ev) in evaluations {
            let id = &id;
            let denied = ev.decisions.iter().filter_map(|d| match &d.cause {
                Cause::Error(at) | Cause::AnnotationError(at) => Some((
                    d.policy,
                    set.policies[d.policy].id,
                    at.clone(),
                    d.message.clone(),
                    false,
                )),
                Cause::Configuration => Some(match d.binding {
                    Some(b) => (
                        d.policy,
                        set.bindings[b].id,
                        "/spec/paramRef".to_string(),
                        d.message.clone(),
                        false,
                    ),
                    None => (
                        d.policy,
                        set.policies[d.policy].id,
                        "/spec/paramKind".to_string(),
                        d.message.clone(),
                        false,
                    ),
                }),
                Cause::Violation(_) => None,
            });
            let ignored = ev
                .ignored
                .iter()
                .map(|(p, at, m)| (*p, set.policies[*p].id, at.clone(), m.clone(), true));
            for (p, on, at, message, ignored) in denied.chain(ignored) {
                let e = failing.entry((p, on, at)).or_insert(Failing {
                    message,
                    objects: Vec::new(),
                    ignored,
                });
                if e.objects.last() != Some(id) {
                    e.objects.push(*id);
                }
            }
        }
        for ((p, on, at), f) in failing {
            let policy = &set.policies[p];
            let n = f.objects.len();
            let what = if f.ignored || policy.failure == Failure::Ignore {
                "so the API server admits them unchecked (failurePolicy: Ignore)"
            } else {
                "so the API server denies them (failurePolicy: Fail)"
            };
            let finding = out.report(
                on,
                Pointer::parse(&at),
                format!(
                    "ValidatingAdmissionPolicy {} fails on {n} object{} of the run, {what}: {}",
                    policy.name,
                    if n == 1 { "" } else { "s" },
                    f.message
                ),
            );
            if f.ignored {
                finding.severity = Severity::Info;
            }
            finding.related_all(&f.objects, |_| Pointer::root());
        }
    }
}

/// `/spec/validations/0/expression` as the API server names the field:
/// `spec.validations[0].expression`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}
