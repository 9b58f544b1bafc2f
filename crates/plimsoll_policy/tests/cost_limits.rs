//! The runtime cost of expressions, against cel-go's per-call limit.

use plimsoll_policy::cost::{PER_CALL_LIMIT, runtime_cost};
use serde_json::json;

fn cost(source: &str, object: serde_json::Value) -> u64 {
    let env = plimsoll_policy::k8s::env();
    let program = env.compile(source).unwrap();
    let mut context = cel::Context::with_env(env);
    context.add_variable_from_value("object", plimsoll_policy::convert::to_cel(&object));
    runtime_cost(&program, &context).unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn items(n: usize) -> serde_json::Value {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| json!({"name": format!("item-{i}"), "value": i}))
        .collect();
    json!({"spec": {"items": items}})
}

#[test]
fn a_nested_loop_over_two_thousand_elements_goes_past_the_limit() {
    let source = "object.spec.items.all(a, object.spec.items.all(b, a.value >= 0 && b.value >= 0))";
    assert!(cost(source, items(2_000)) > PER_CALL_LIMIT);
}

#[test]
fn nested_loops_cost_the_product_of_their_ranges() {
    let source =
        "object.spec.items.map(a, object.spec.items.filter(b, b.value == a.value)).size() > 0";
    let c = cost(source, items(100));
    // cel-go: 100 x 100 inner steps of 6 or so, and the outer list building.
    assert!((50_000..100_000).contains(&c), "{c}");
}

#[test]
fn a_single_loop_over_two_thousand_elements_stays_below() {
    let c = cost("object.spec.items.all(a, a.value >= 0)", items(2_000));
    // cel-go: per element 2 for the condition, 1 for the accumulator, 3 for `a.value`
    // and 1 for `>=`, plus the range.
    assert!((10_000..20_000).contains(&c), "{c}");
}

#[test]
fn all_stops_at_the_first_false() {
    let all = cost("object.spec.items.all(a, a.value < 0)", items(2_000));
    assert!(all < 20, "{all}");
    let exists = cost("object.spec.items.exists(a, a.value == 0)", items(2_000));
    assert!(exists < 20, "{exists}");
}

#[test]
fn ordinary_policy_expressions_are_cheap() {
    let object =
        json!({"metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {"replicas": 3}});
    for source in [
        "object.spec.replicas <= 5",
        "has(object.metadata.labels) && 'app' in object.metadata.labels",
        "object.metadata.name.startsWith('web') ? true : object.spec.replicas > 1",
        "object.metadata.name.matches('^[a-z]+$')",
        "object.metadata.labels.all(k, k.size() < 64)",
    ] {
        let c = cost(source, object.clone());
        assert!(c < 100, "{source}: {c}");
    }
}

#[test]
fn an_expression_without_comprehension_has_a_static_figure() {
    // `object` (1), `.spec` (1), `.replicas` (1), `<=` (1).
    assert_eq!(cost("object.spec.replicas <= 5", json!({})), 4);
    // Literal lists are constants; a list with a variable costs 10.
    assert_eq!(cost("[1, 2, 3].size()", json!({})), 1);
    assert_eq!(cost("[object].size()", json!({})), 12);
    // The authorizer check is dear: `==` 1, `authorizer` 1, `path` 1, `allowed` 1.
    assert_eq!(
        cost(
            "1 == 1 || authorizer.path('/').check('get').allowed()",
            json!({})
        ),
        350_004
    );
}

#[test]
fn string_functions_cost_by_length() {
    let long = "x".repeat(100_000);
    let object = json!({"data": long});
    let c = cost(
        "[1].all(i, object.data.contains('y' + object.data))",
        object,
    );
    // 10,000 for each side of `contains`, multiplied.
    assert!(c > PER_CALL_LIMIT, "{c}");
}

#[test]
fn two_variable_comprehensions_cost_as_one_variable_ones() {
    let one = cost("object.spec.items.all(a, a.value >= 0)", items(500));
    let two = cost("object.spec.items.all(i, a, a.value >= i)", items(500));
    assert!(two.abs_diff(one) <= one / 5, "{one} {two}");
    let map = cost(
        "{'a': 1, 'b': 2}.transformMap(k, v, v + 1).size() == 2",
        json!({}),
    );
    assert!((10..30).contains(&map), "{map}");
}
