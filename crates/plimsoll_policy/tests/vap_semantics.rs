//! The API server's verdicts on cases that are easy to get wrong: a policy it refuses to
//! create, the cost limit reached through a variable, the shared budget running out, and
//! exclusion under `matchPolicy: Equivalent`.

use plimsoll_policy::vap::{Action, Doc, PolicySet, Request, UserInfo};
use plimsoll_yaml::{Limits, Node, parse_stream};

fn docs(text: &str) -> Vec<Node> {
    parse_stream(text, Limits::default())
        .documents
        .into_iter()
        .filter_map(|d| d.root)
        .collect()
}

fn text<'a>(n: &'a Node, path: &[&str]) -> &'a str {
    n.at(path).and_then(Node::as_text).unwrap_or("")
}

/// The set of `policies` and the decisions on each object of `objects` (the API
/// server's texts).
fn decide(policies: &str, objects: &str) -> (PolicySet, Vec<Vec<String>>) {
    let p = docs(policies);
    let o = docs(objects);
    let all: Vec<&Node> = p.iter().chain(&o).collect();
    let set = PolicySet::build(
        all.iter().enumerate().map(|(id, n)| Doc {
            id,
            api_version: text(n, &["apiVersion"]),
            kind: text(n, &["kind"]),
            name: text(n, &["metadata", "name"]),
            namespace: Some("default")
                .filter(|_| text(n, &["kind"]) != "ValidatingAdmissionPolicy"),
            root: n,
        }),
        37,
        &|_: &str, _: &str| Some(true),
    );
    let user = UserInfo::default();
    let decisions = o
        .iter()
        .map(|n| {
            let (group, version) = text(n, &["apiVersion"])
                .rsplit_once('/')
                .unwrap_or(("", text(n, &["apiVersion"])));
            let resource = match text(n, &["kind"]) {
                "HorizontalPodAutoscaler" => "horizontalpodautoscalers",
                _ => "configmaps",
            };
            let ev = set.evaluate(&Request {
                group,
                version,
                kind: text(n, &["kind"]),
                resource,
                name: text(n, &["metadata", "name"]),
                namespace: Some("default"),
                object: n,
                user: &user,
            });
            ev.decisions
                .iter()
                .filter(|d| d.action == Action::Deny)
                .map(|d| set.server_text(d))
                .collect()
        })
        .collect();
    (set, decisions)
}

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";

fn policy(spec: &str) -> String {
    format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
metadata: {{name: p}}\nspec:\n  matchConstraints:\n    resourceRules:\n    \
- {{apiGroups: ['*'], apiVersions: ['*'], operations: [CREATE], resources: [configmaps, horizontalpodautoscalers]}}\n{spec}\
---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
metadata: {{name: b}}\nspec: {{policyName: p, validationActions: [Deny]}}\n"
    )
}

#[test]
fn policies_the_api_server_refuses_are_never_in_force() {
    for (spec, why) in [
        (
            "  validations:\n  - {expression: 'false', reason: Unauthorized}\n",
            "Unsupported value: \"Unauthorized\"",
        ),
        (
            "  validations:\n  - {expression: 'false', message: \"two\\nlines\"}\n",
            "line breaks",
        ),
        (
            "  variables:\n  - {name: v, expression: 'true'}\n  matchConditions:\n  - {name: m, expression: variables.v}\n  validations:\n  - {expression: 'false'}\n",
            "undeclared reference to 'variables'",
        ),
    ] {
        let (set, decisions) = decide(&policy(spec), CONFIGMAP);
        let problems: Vec<&str> = set.policies[0]
            .invalid
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert!(
            problems.iter().any(|p| p.contains(why)),
            "{spec}: {problems:?}"
        );
        assert!(decisions[0].is_empty(), "{spec}: {decisions:?}");
    }
    // a paramRef without parameterNotFoundAction: the binding is refused
    let text = policy("  paramKind: {apiVersion: v1, kind: ConfigMap}\n  validations:\n  - {expression: 'false'}\n")
        .replace("validationActions: [Deny]}", "validationActions: [Deny], paramRef: {name: x}}");
    let (set, decisions) = decide(&text, CONFIGMAP);
    assert!(!set.bindings[0].invalid.is_empty());
    assert!(decisions[0].is_empty(), "{decisions:?}");
}

#[test]
fn the_cost_limit_holds_through_a_variable() {
    let spec = "  variables:\n  - {name: r, expression: 'lists.range(1500)'}\n  validations:\n  \
- {expression: 'variables.r.all(x, variables.r.all(y, x >= 0))'}\n";
    let started = std::time::Instant::now();
    let (_, decisions) = decide(&policy(spec), CONFIGMAP);
    assert_eq!(
        decisions[0],
        [
            "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: expression 'variables.r.all(x, variables.r.all(y, x >= 0))' resulted in error: operation cancelled: actual cost limit exceeded"
        ]
    );
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn running_out_of_budget_is_the_one_decision() {
    let mut spec = String::from("  validations:\n  - {expression: 'false', message: first}\n");
    for _ in 0..13 {
        spec.push_str("  - {expression: 'lists.range(200000).all(x, x >= 0)'}\n");
    }
    let (_, decisions) = decide(&policy(&spec), CONFIGMAP);
    assert_eq!(
        decisions[0],
        [
            "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: validation failed due to running out of cost budget, no further validation rules will be run"
        ]
    );
}

#[test]
fn exclusion_follows_the_equivalence_too() {
    let text = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
metadata: {name: p}\nspec:\n  matchConstraints:\n    resourceRules:\n    \
- {apiGroups: [autoscaling], apiVersions: ['*'], operations: [CREATE], resources: [horizontalpodautoscalers]}\n    \
excludeResourceRules:\n    \
- {apiGroups: [autoscaling], apiVersions: [v1], operations: [CREATE], resources: [horizontalpodautoscalers]}\n  \
validations:\n  - {expression: 'false'}\n---\napiVersion: admissionregistration.k8s.io/v1\n\
kind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: p, validationActions: [Deny]}\n";
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n\
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 3}\n";
    let (_, decisions) = decide(text, hpa);
    assert!(decisions[0].is_empty(), "{decisions:?}");
}
