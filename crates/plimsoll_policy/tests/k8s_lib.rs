//! The Kubernetes CEL environment, expression by expression: examples from the Kubernetes
//! CEL documentation and the upstream library tests (`pkg/cel/library/*_test.go`).

use std::collections::HashMap;

use cel::{Context, Value};
use plimsoll_policy::k8s;

fn eval_with(expr: &str, vars: &[(&str, serde_json::Value)]) -> Result<Value, String> {
    let env = k8s::env();
    let program = env
        .compile(expr)
        .map_err(|e| format!("compile error: {e}"))?;
    let mut context = Context::with_env(env);
    for (name, value) in vars {
        context.add_variable_from_value(*name, json(value));
    }
    program
        .execute(&context)
        .map_err(|e| k8s::error_message(&e))
}

fn eval(expr: &str) -> Result<Value, String> {
    eval_with(expr, &[])
}

/// JSON as the API server hands it to CEL: integers are int64.
fn json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap()),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(json).collect::<Vec<_>>().into())
        }
        serde_json::Value::Object(map) => {
            let map: HashMap<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), json(v))).collect();
            map.into()
        }
    }
}

#[track_caller]
fn is_true(expr: &str) {
    assert_eq!(eval(expr), Ok(Value::Bool(true)), "{expr}");
}

#[track_caller]
fn all_true(exprs: &[&str]) {
    for expr in exprs {
        is_true(expr);
    }
}

#[track_caller]
fn equals(expr: &str, expected: impl Into<Value>) {
    assert_eq!(eval(expr), Ok(expected.into()), "{expr}");
}

#[track_caller]
fn fails(expr: &str, message: &str) {
    match eval(expr) {
        Ok(v) => panic!("{expr}: expected an error containing {message:?}, got {v:?}"),
        Err(e) => assert!(e.contains(message), "{expr}: {e:?} lacks {message:?}"),
    }
}

#[track_caller]
fn fails_exactly(expr: &str, message: &str) {
    assert_eq!(eval(expr), Err(message.to_owned()), "{expr}");
}

fn string_list(items: &[&str]) -> Value {
    Value::List(
        items
            .iter()
            .map(|s| Value::from(*s))
            .collect::<Vec<_>>()
            .into(),
    )
}

// --- the environment --------------------------------------------------------------------

#[test]
fn the_environment_is_built_once() {
    assert!(std::sync::Arc::ptr_eq(&k8s::env(), &k8s::env()));
}

#[test]
fn what_the_api_server_never_has_is_out() {
    for expr in [
        "math.greatest(1, 2) == 2",
        "base64.encode(b'a') == 'YQ=='",
        "cel.bind(x, 1, x) == 1",
        "'abc'.reverse() == 'cba'",
    ] {
        assert!(eval(expr).is_err(), "{expr}");
    }
}

#[test]
fn optional_types() {
    let object = serde_json::json!({"spec": {"replicas": 3, "template": {}}});
    let vars = [("object", object)];
    let run = |e: &str| eval_with(e, &vars);
    assert_eq!(run("object.?spec.?replicas.orValue(1)"), Ok(Value::Int(3)));
    assert_eq!(
        run("object.?spec.?paused.orValue(false)"),
        Ok(Value::Bool(false))
    );
    assert_eq!(
        run("object.?status.?phase.hasValue()"),
        Ok(Value::Bool(false))
    );
    assert_eq!(run("object.spec.replicas + 1"), Ok(Value::Int(4)));
    assert_eq!(
        run("object.spec.missing > 1"),
        Err("no such key: missing".to_owned())
    );
    all_true(&[
        "[?optional.none(), 1] == [1]",
        "[?optional.of(2), 1] == [2, 1]",
        "{?'k': optional.none(), 'j': 1} == {'j': 1}",
        "{?'k': optional.of(2)} == {'k': 2}",
        "optional.ofNonZeroValue(0).hasValue() == false",
        "optional.ofNonZeroValue(1).value() == 1",
        "optional.none().or(optional.of(2)).value() == 2",
        "optional.of(1).optMap(x, x + 1).value() == 2",
        "optional.of(1).optFlatMap(x, optional.of(x * 3)).value() == 3",
        "optional.none().optMap(x, x + 1).orValue(7) == 7",
        "{'a': {'b': 1}}.?a.?b.orValue(0) == 1",
        "[1, 2][?5].orValue(9) == 9",
    ]);
}

#[test]
fn int_arithmetic_is_int64_with_overflow_errors() {
    equals("9223372036854775807 - 1", Value::Int(i64::MAX - 1));
    fails_exactly("9223372036854775807 + 1", "integer overflow");
    fails_exactly("1 / 0", "division by zero");
    fails_exactly("1 % 0", "modulus by zero");
}

#[test]
fn repeated_map_keys_keep_the_last_value() {
    equals("{'a': 1, 'a': 2}['a']", Value::Int(2));
}

// --- two-variable comprehensions (1.32) -------------------------------------------------

#[test]
fn two_variable_all_exists_exists_one() {
    all_true(&[
        "[1, 2, 3].all(i, v, v > i)",
        "![1, 1, 3].all(i, v, v > i)",
        "[0, 5, 6].exists(i, v, i == 2 && v == 6)",
        "![0, 5, 6].exists(i, v, i == 2 && v == 5)",
        "[1, 2, 3].existsOne(i, v, i == 1 && v == 2)",
        "![1, 2, 3].existsOne(i, v, v > 1)",
        "[1, 2, 3].exists_one(i, v, i == 0)",
        "{'a': 1, 'b': 2}.all(k, v, k.size() == 1 && v > 0)",
        "{'a': 1, 'b': 2}.exists(k, v, k == 'b' && v == 2)",
        "{'a': 1, 'b': 2}.existsOne(k, v, v == 2)",
        "[[1, 2], [3]].all(i, l, l.all(j, v, v > i + j))",
        // one-variable existsOne, an alias of exists_one
        "[1, 2, 3].existsOne(x, x > 2)",
    ]);
}

#[test]
fn two_variable_all_absorbs_errors_like_cel_go() {
    is_true("![1, 0].all(i, v, 1 / v == 1 && false)");
    is_true("[0, 1].exists(i, v, v == 1 || 1 / v == 1)");
    fails_exactly("[0, 1].all(i, v, 1 / v > 0)", "division by zero");
}

#[test]
fn transform_list() {
    equals(
        "[1, 2, 3].transformList(i, v, i * v)",
        Value::List(vec![Value::Int(0), Value::Int(2), Value::Int(6)].into()),
    );
    equals(
        "[1, 2, 3].transformList(i, v, i > 0, v * 10)",
        Value::List(vec![Value::Int(20), Value::Int(30)].into()),
    );
    is_true("{'a': 1}.transformList(k, v, k + string(v)) == ['a1']");
    is_true("{'a': 1, 'b': 2}.transformList(k, v, v > 1, k) == ['b']");
}

#[test]
fn transform_map_and_entry() {
    all_true(&[
        "[1, 2].transformMap(i, v, v * 2) == {0: 2, 1: 4}",
        "{'a': 1, 'b': 2}.transformMap(k, v, v + 1) == {'a': 2, 'b': 3}",
        "{'a': 1, 'b': 2}.transformMap(k, v, v > 1, k + 'x') == {'b': 'bx'}",
        "{'greeting': 'hello'}.transformMapEntry(k, v, {v: k}) == {'hello': 'greeting'}",
        "[1, 2].transformMapEntry(i, v, {string(v): i}) == {'1': 0, '2': 1}",
        "{'a': 1, 'b': 2}.transformMapEntry(k, v, v == 2, {k + k: v}) == {'bb': 2}",
    ]);
    fails(
        "{'a': 1, 'b': 1}.transformMapEntry(k, v, {'same': v})",
        "insert failed: key same already exists",
    );
}

#[test]
fn two_variable_macros_reject_bad_variables() {
    for expr in [
        "[1].all(1, v, true)",
        "[1].all(i, i, true)",
        "[1].transformList(i, x.y, 1)",
    ] {
        let result = eval(expr);
        assert!(
            matches!(&result, Err(e) if e.starts_with("compile error")),
            "{expr}: {result:?}"
        );
    }
}

// --- ext.Sets (1.29) -------------------------------------------------------------------

#[test]
fn sets() {
    all_true(&[
        "sets.contains([], [])",
        "sets.contains([1, 2, 3], [])",
        "sets.contains([1, 2, 3], [3, 1])",
        "!sets.contains([1, 2], [3])",
        "sets.contains([1, 2, 3], [2, 2])",
        "sets.contains([[1], [2]], [[2]])",
        "sets.equivalent([], [])",
        "sets.equivalent([1, 2, 2], [2, 1])",
        "!sets.equivalent([1, 2], [1, 2, 3])",
        "sets.intersects([1, 2], [2, 3])",
        "!sets.intersects([1, 2], [])",
        "!sets.intersects([], [])",
        "!sets.intersects(['a'], ['b'])",
    ]);
}

// --- ext.Strings v2 (1.29) -------------------------------------------------------------

#[test]
fn strings() {
    all_true(&[
        "'hello'.charAt(1) == 'e'",
        "'hello'.charAt(5) == ''",
        "'hello mellow'.indexOf('') == 0",
        "'hello mellow'.indexOf('ello') == 1",
        "'hello mellow'.indexOf('jello') == -1",
        "'hello mellow'.indexOf('', 2) == 2",
        "'hello mellow'.indexOf('ello', 2) == 7",
        "'hello mellow'.lastIndexOf('') == 12",
        "'hello mellow'.lastIndexOf('ello') == 7",
        "'hello mellow'.lastIndexOf('ello', 6) == 1",
        "'TacoCat'.lowerAscii() == 'tacocat'",
        "'TacoCÆt Xii'.upperAscii() == 'TACOCÆT XII'",
        "'hello hello'.replace('he', 'we') == 'wello wello'",
        "'hello hello'.replace('he', 'we', 1) == 'wello hello'",
        "'hello hello'.split(' ') == ['hello', 'hello']",
        "'hello hello hello'.split(' ', 2) == ['hello', 'hello hello']",
        "'tacocat'.substring(4) == 'cat'",
        "'tacocat'.substring(0, 4) == 'taco'",
        "'  \\ttrim\\n    '.trim() == 'trim'",
        "['hello', 'mellow'].join() == 'hellomellow'",
        "['hello', 'mellow'].join(' ') == 'hello mellow'",
        "[].join('/') == ''",
        "strings.quote('first\\nsecond') == '\"first\\\\nsecond\"'",
        "strings.quote('bell\\a') == '\"bell\\\\a\"'",
        "strings.quote('esc\\x1b') == '\"esc\\x1b\"'",
        "strings.quote('say \"hi\"') == '\"say \\\\\"hi\\\\\"\"'",
        "'%%'.format([]) == '%'",
    ]);
    fails("'tacocat'.substring(40)", "index out of range: 40");
    fails(
        "'tacocat'.substring(3, 1)",
        "invalid substring range. start: 3, end: 1",
    );
    fails("'hello'.charAt(6)", "index out of range: 6");
    // `list.reverse()` (lists v3) stays; `string.reverse()` (strings v3) is out.
    is_true("[1, 2].reverse() == [2, 1]");
}

/// `format` as strings version 2 has it: cel-go's `ext/formatting.go`.
#[test]
fn string_format_v1() {
    let cases = [
        ("'%s %d'.format(['a', 1])", "a 1"),
        ("'%s'.format([true])", "true"),
        ("'%s'.format([null])", "null"),
        ("'%s'.format([1.0])", "1"),
        ("'%s'.format([1.5])", "1.5"),
        ("'%s'.format([1234567.0])", "1.234567e+06"),
        ("'%s'.format([0.00001])", "1e-05"),
        ("'%s'.format([b'abc'])", "abc"),
        (
            "'%s'.format([[1, 'a', 1.5, true, null]])",
            "[1, \"a\", 1.500000, true, null]",
        ),
        (
            "'%s'.format([{'b': 2, 'a': 'x'}])",
            "{\"a\":\"x\", \"b\":2}",
        ),
        ("'%s'.format([duration('1h')])", "3600s"),
        ("'%s'.format([[duration('1.5s')]])", "[duration(\"1.5s\")]"),
        (
            "'%s'.format([timestamp('2023-01-02T03:04:05.5Z')])",
            "2023-01-02T03:04:05.5Z",
        ),
        (
            "'%s'.format([[timestamp('2023-01-02T03:04:05Z')]])",
            "[timestamp(\"2023-01-02T03:04:05Z\")]",
        ),
        ("'%d'.format([-12])", "-12"),
        ("'%.2f'.format([1.2345])", "1.23"),
        ("'%f'.format([1234567.5])", "1,234,567.500000"),
        ("'%.1f'.format([-1234.56])", "-1,234.6"),
        ("'%.0f'.format([999.9])", "1,000"),
        ("'%f'.format(['NaN'])", "NaN"),
        ("'%f'.format(['Infinity'])", "∞"),
        ("'%e'.format([1234.5])", "1.234500e+03"),
        ("'%.2e'.format([1234.5])", "1.234500e+03"),
        ("'%.14e'.format([1234.5])", "  1.234500e+03"),
        ("'%b'.format([5])", "101"),
        ("'%b'.format([true])", "1"),
        ("'%b'.format([-5])", "-101"),
        ("'%o'.format([8])", "10"),
        ("'%x'.format([255])", "ff"),
        ("'%X'.format([255])", "FF"),
        ("'%x'.format([-255])", "-ff"),
        ("'%x'.format(['hi'])", "6869"),
        ("'%X'.format([b'hi'])", "6869"),
        ("'%%'.format([])", "%"),
        ("'%% %s'.format(['x'])", "% x"),
        ("'héllo %s'.format(['wörld'])", "héllo wörld"),
    ];
    for (expr, expected) in cases {
        equals(expr, Value::from(expected));
    }
    let errors = [
        (
            "'%d'.format([1.5])",
            "error during formatting: decimal clause can only be used on integers, was given double",
        ),
        (
            "'%d'.format(['a'])",
            "error during formatting: decimal clause can only be used on integers, was given string",
        ),
        (
            "'%.2f'.format([1])",
            "error during formatting: fixed-point clause can only be used on doubles, was given int",
        ),
        (
            "'%e'.format([1])",
            "error during formatting: scientific clause can only be used on doubles, was given int",
        ),
        (
            "'%b'.format(['abc'])",
            "error during formatting: only integers and bools can be formatted as binary, was given string",
        ),
        (
            "'%x'.format([0.5])",
            "error during formatting: only integers, byte buffers, and strings can be formatted as hex, was given double",
        ),
        (
            "'%o'.format(['a string'])",
            "error during formatting: octal clause can only be used on integers, was given string",
        ),
        (
            "'%d'.format([duration('30m2s')])",
            "error during formatting: decimal clause can only be used on integers, was given google.protobuf.Duration",
        ),
        (
            "'%a'.format([1])",
            "could not parse formatting clause: unrecognized formatting clause \"a\"",
        ),
        ("'%d %d %d'.format([0, 1])", "index 2 out of range"),
        ("'%'.format([1])", "unexpected end of string"),
        (
            "'%.2'.format([1.0])",
            "could not parse formatting clause: error while parsing precision: could not find end of precision specifier",
        ),
        (
            "'%s'.format([ip('1.2.3.4')])",
            "error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given net.IP",
        ),
    ];
    for (expr, message) in errors {
        fails_exactly(expr, message);
    }
}

// --- ext.Lists v3 (1.34) ---------------------------------------------------------------

#[test]
fn lists_extension() {
    all_true(&[
        "[1, 2, 3, 4].slice(1, 3) == [2, 3]",
        "[1, [2, [3, 4]]].flatten() == [1, 2, [3, 4]]",
        "[1, [2, [3, 4]]].flatten(2) == [1, 2, 3, 4]",
        "[1, 2, 2, 1].distinct() == [1, 2]",
        "lists.range(4) == [0, 1, 2, 3]",
        "lists.range(0) == []",
        "[1, 2, 3].reverse() == [3, 2, 1]",
        "[3, 1, 2].sort() == [1, 2, 3]",
        "['b', 'a'].sort() == ['a', 'b']",
        "[{'n': 2}, {'n': 1}].sortBy(e, e.n) == [{'n': 1}, {'n': 2}]",
    ]);
    fails(
        "[1, 2].slice(2, 1)",
        "cannot slice(2, 1), start index must be less than or equal to end index",
    );
    fails("[1, 2].slice(0, 3)", "cannot slice(0, 3), list is length 2");
    fails("[1].flatten(-1)", "level must be non-negative");
}

// --- Kubernetes lists ------------------------------------------------------------------

#[test]
fn kubernetes_lists() {
    all_true(&[
        "[1, 2, 3].isSorted()",
        "![1, 3, 2].isSorted()",
        "['a', 'b', 'b'].isSorted()",
        "[].isSorted()",
        "[1, 2, 3].sum() == 6",
        "[1.5, 2.5].sum() == 4.0",
        "[duration('1s'), duration('2s')].sum() == duration('3s')",
        "[].sum() == 0",
        "[1, 3, 2].min() == 1",
        "[1, 3, 2].max() == 3",
        "['b', 'a', 'c'].min() == 'a'",
        "[1, 2, 3, 2].indexOf(2) == 1",
        "[1, 2, 3, 2].lastIndexOf(2) == 3",
        "[1, 2].indexOf(5) == -1",
        "[[1], [2]].indexOf([2]) == 1",
        "[1, 2, 3].includes(2)",
        "![1, 2, 3].includes(4)",
    ]);
    fails_exactly("[].min()", "min called on empty list");
    fails_exactly("[].max()", "max called on empty list");
    fails_exactly("[9223372036854775807, 1].sum()", "integer overflow");
}

// --- regex -----------------------------------------------------------------------------

#[test]
fn regex() {
    equals("'abc 123'.find('[0-9]+')", Value::from("123"));
    equals("'abc 123'.find('xyz')", Value::from(""));
    equals(
        "'123 abc 456'.findAll('[0-9]+')",
        string_list(&["123", "456"]),
    );
    equals("'123 abc 456'.findAll('[0-9]+', 1)", string_list(&["123"]));
    equals("'123 abc 456'.findAll('[0-9]+', 0)", string_list(&[]));
    equals("'123 abc 456'.findAll('xyz')", string_list(&[]));
    is_true("'hostname.example.com'.matches('^[a-z.]+$')");
    fails("'abc'.find('[')", "Illegal regex: ");
}

// --- URLs ------------------------------------------------------------------------------

#[test]
fn urls() {
    all_true(&[
        "isURL('https://user:pass@example.com:80/path?query=val#fragment')",
        "isURL('/absolute-path')",
        "!isURL('https://a:b:c/')",
        "!isURL('../relative-path')",
        "url('/path').getScheme() == ''",
        "url('https://example.com/').getScheme() == 'https'",
        "url('https://example.com:80/').getHost() == 'example.com:80'",
        "url('https://example.com/').getHost() == 'example.com'",
        "url('https://[::1]:80/').getHost() == '[::1]:80'",
        "url('https://[::1]/').getHost() == '[::1]'",
        "url('/path').getHost() == ''",
        "url('https://example.com:80/').getHostname() == 'example.com'",
        "url('https://127.0.0.1:80/').getHostname() == '127.0.0.1'",
        "url('https://[::1]:80/').getHostname() == '::1'",
        "url('/path').getHostname() == ''",
        "url('https://example.com:80/').getPort() == '80'",
        "url('https://example.com/').getPort() == ''",
        "url('/path').getPort() == ''",
        "url('https://example.com/path').getEscapedPath() == '/path'",
        "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'",
        "url('https://example.com').getEscapedPath() == ''",
        "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}",
        "url('https://example.com/path?key with spaces=value with spaces').getQuery() == {'key with spaces': ['value with spaces']}",
        "url('https://example.com/path?').getQuery() == {}",
        "url('https://example.com/path').getQuery() == {}",
        "url('https://example.com/a#frag').getEscapedPath() == '/a'",
        "url('https://example.com/') == url('https://example.com/')",
        "url('https://example.com/') != url('https://example.org/')",
    ]);
    all_true(&[
        "url('https://example.com/a%2Fb').getEscapedPath() == '/a%2Fb'",
        "url('https://example.com/a(b)').getEscapedPath() == '/a(b)'",
        "url('mailto:someone@example.com').getScheme() == 'mailto'",
        "url('HTTPS://example.com/').getScheme() == 'https'",
        "!isURL('')",
        "!isURL('https://%41.com/')",
        "isURL('https://%C3%A9.com/')",
    ]);
    fails_exactly(
        "url('https://exa mple.com/')",
        "URL parse error during conversion from string: parse \"https://exa mple.com/\": invalid character \" \" in host name",
    );
    fails_exactly(
        "url('../relative-path')",
        "URL parse error during conversion from string: parse \"../relative-path\": invalid URI for request",
    );
    fails_exactly(
        "url('https://a:b:c/')",
        "URL parse error during conversion from string: parse \"https://a:b:c/\": invalid port \":c\" after host",
    );
}

// --- quantity (1.28) -------------------------------------------------------------------

#[test]
fn quantity_parsing() {
    all_true(&[
        "isQuantity('1.3G')",
        "isQuantity('1.3Gi')",
        "!isQuantity('1,3G')",
        "isQuantity('10000k')",
        "!isQuantity('200K')",
        "!isQuantity('Three')",
        // upstream's doc comment says false, but `resource.ParseQuantity` reads a bare
        // suffix as zero
        "isQuantity('Mi') && quantity('Mi') == quantity('0')",
        "!isQuantity('20Mo')",
        "!isQuantity('10Mm')",
        "isQuantity('1e3')",
        "isQuantity('500m')",
        "!isQuantity('')",
    ]);
    fails_exactly("quantity('200K')", "unable to parse quantity's suffix");
    fails_exactly("quantity('10Mm')", "unable to parse quantity's suffix");
    fails(
        "quantity('10Mo')",
        "quantities must match the regular expression",
    );
    fails_exactly(
        "quantity('Three')",
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
}

#[test]
fn quantity_conversions() {
    all_true(&[
        "quantity('50000000G').isInteger()",
        "quantity('50k').isInteger()",
        "!quantity('9999999999999999999999999999999999999G').isInteger()",
        "quantity('50k').asInteger() == 50000",
        "quantity('1Gi').asInteger() == 1073741824",
        "quantity('1Ki').asInteger() == 1024",
        "quantity('50k').sub(20000).asApproximateFloat() == 30000.0",
        "quantity('500m').asApproximateFloat() == 0.5",
        // upstream's int64Amount only converts at a non-negative scale
        "!quantity('1000m').isInteger()",
        "!quantity('1.5').isInteger()",
        "quantity('1.5k').asInteger() == 1500",
        // a binary suffix with a fraction takes upstream's inf.Dec path, which never converts
        "!quantity('1.5Gi').isInteger()",
        "quantity('1.5Gi') == quantity('1536Mi')",
        "quantity('1E').asInteger() == 1000000000000000000",
        "!quantity('10E').isInteger()",
    ]);
    fails_exactly(
        "quantity('9999999999999999999999999999999999999G').asInteger()",
        "cannot convert value to integer",
    );
    fails_exactly(
        "quantity('500m').asInteger()",
        "cannot convert value to integer",
    );
    // `sign` is a global function upstream, not a method.
    assert!(eval("quantity('1').sign()").is_err());
}

#[test]
fn quantity_arithmetic_and_comparison() {
    all_true(&[
        "quantity('50k').add(quantity('20k')) == quantity('70k')",
        "quantity('50k').add(20) == quantity('50020')",
        "quantity('50k').sub(quantity('20k')) == quantity('30k')",
        "quantity('50k').sub(20000) == quantity('30k')",
        "quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')",
        "quantity('200M').compareTo(quantity('0.2G')) == 0",
        "quantity('50M').compareTo(quantity('50Mi')) == -1",
        "quantity('50Mi').compareTo(quantity('50M')) == 1",
        "quantity('150Mi').isGreaterThan(quantity('100Mi'))",
        "!quantity('50Mi').isGreaterThan(quantity('100Mi'))",
        "quantity('50M').isLessThan(quantity('100M'))",
        "!quantity('100M').isLessThan(quantity('50M'))",
        "quantity('1Gi') == quantity('1024Mi')",
        "quantity('1') == quantity('1000m')",
        "quantity('1') != quantity('2')",
        "sign(quantity('-50k')) == -1",
        "sign(quantity('0')) == 0",
        "sign(quantity('50k')) == 1",
        "quantity('0.1n') == quantity('1n')",
        "quantity('50k').add(quantity('20')) == quantity('50.02k')",
        "!quantity('50k').add(20).isLessThan(quantity('50020'))",
        "quantity('50k').sub(quantity('20')) == quantity('49.98k')",
        "quantity('50k').sub(20) == quantity('49980')",
        "quantity('50k').add(20).sub(quantity('100k')).asInteger() == -49980",
        "quantity('50k').add(20).sub(quantity('100k')).sub(-50000).asInteger() == 20",
        "quantity('50.703k').asApproximateFloat() == 50703.0",
        "quantity('50').isInteger()",
        "quantity('2M') == quantity('0.002G') && quantity('2000k') == quantity('2M')",
        "quantity('200M') != quantity('0.3G')",
        "quantity('8Ei') == quantity('9223372036854775807')",
    ]);
}

// --- IP and CIDR (1.30) ----------------------------------------------------------------

#[test]
fn ip_addresses() {
    all_true(&[
        "isIP('192.168.0.1')",
        "isIP('::1')",
        "!isIP('1.2.3')",
        "!isIP('192.168.0.01')",
        "!isIP('::ffff:1.2.3.4')",
        "!isIP('fe80::1%eth0')",
        "!isIP('')",
        "!isIP('2001:db8:::68')",
        "!isIP('1:2:3:4:5:6:7:8:9')",
        "!isIP('1::2::3')",
        "isIP('::1.2.3.4')",
        "!isIP('::1.2.3.04')",
        "isIP('1:2:3:4:5:6:1.2.3.4')",
        "!isIP('fd80::1%')",
        "ip('2001:db8::68').family() == 6",
        "!ip('fd00::1').isLinkLocalMulticast()",
        "!ip('fd80::1').isLinkLocalUnicast()",
        "ip.isCanonical('127.0.0.1')",
        "ip.isCanonical('2001:db8::abcd')",
        "!ip.isCanonical('2001:DB8::ABCD')",
        "!ip.isCanonical('2001:db8:0:0:0:0:0:abcd')",
        "ip('127.0.0.1').family() == 4",
        "ip('::1').family() == 6",
        "ip('0.0.0.0').isUnspecified()",
        "ip('::').isUnspecified()",
        "!ip('127.0.0.1').isUnspecified()",
        "ip('127.0.0.1').isLoopback()",
        "ip('::1').isLoopback()",
        "!ip('1.2.3.4').isLoopback()",
        "ip('224.0.0.1').isLinkLocalMulticast()",
        "ip('ff02::1').isLinkLocalMulticast()",
        "!ip('224.0.1.1').isLinkLocalMulticast()",
        "ip('169.254.169.254').isLinkLocalUnicast()",
        "ip('fe80::1').isLinkLocalUnicast()",
        "!ip('192.168.0.1').isLinkLocalUnicast()",
        "ip('192.168.0.1').isGlobalUnicast()",
        "ip('2001:db8::abcd').isGlobalUnicast()",
        "!ip('255.255.255.255').isGlobalUnicast()",
        "!ip('ff00::1').isGlobalUnicast()",
        "string(ip('192.168.0.1')) == '192.168.0.1'",
        "string(ip('2001:DB8::ABCD')) == '2001:db8::abcd'",
        "ip('127.0.0.1') == ip('127.0.0.1')",
        "ip('127.0.0.1') != ip('127.0.0.2')",
        "type(ip('127.0.0.1')) == net.IP",
    ]);
    fails_exactly(
        "ip('192.168.0.01')",
        "IP Address \"192.168.0.01\" parse error during conversion from string: ParseAddr(\"192.168.0.01\"): IPv4 field has octet with leading zero",
    );
    fails_exactly(
        "ip('192.168.0.1.0')",
        "IP Address \"192.168.0.1.0\" parse error during conversion from string: ParseAddr(\"192.168.0.1.0\"): IPv4 address too long",
    );
    fails_exactly(
        "ip.isCanonical('2001:db8:::68')",
        "IP Address \"2001:db8:::68\" parse error during conversion from string: ParseAddr(\"2001:db8:::68\"): each colon-separated field must have at least one digit (at \":68\")",
    );
    fails_exactly(
        "ip('::ffff:1.2.3.4')",
        "IPv4-mapped IPv6 address \"::ffff:1.2.3.4\" is not allowed",
    );
    fails_exactly(
        "ip('fe80::1%eth0')",
        "IP address \"fe80::1%eth0\" with zone value is not allowed",
    );
}

#[test]
fn cidrs() {
    all_true(&[
        "isCIDR('192.168.0.0/16')",
        "isCIDR('::1/128')",
        "!isCIDR('192.168.0.0/33')",
        "!isCIDR('::1/129')",
        "!isCIDR('192.168.0.0')",
        "!isCIDR('192.168.0.0/016')",
        "!isCIDR('::ffff:1.2.3.4/24')",
        "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))",
        "!cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))",
        "cidr('192.168.0.0/24').containsIP('192.168.0.1')",
        "!cidr('192.168.0.0/24').containsIP('192.168.1.1')",
        "!cidr('192.168.0.0/24').containsIP('::1')",
        "cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))",
        "!cidr('192.168.1.0/24').containsCIDR(cidr('192.168.2.0/24'))",
        "cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')",
        "!cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')",
        "!cidr('192.168.0.0/24').containsCIDR('192.168.0.0/16')",
        "cidr('192.168.0.1/24').ip() == ip('192.168.0.1')",
        "cidr('192.168.0.1/24').ip().family() == 4",
        "cidr('::1/128').ip() == ip('::1')",
        "cidr('::1/128').ip().family() == 6",
        "cidr('192.168.0.0/24').masked() == cidr('192.168.0.0/24')",
        "cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')",
        "cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()",
        "cidr('192.168.0.1/24') != cidr('192.168.0.1/24').masked()",
        "cidr('192.168.0.0/16').prefixLength() == 16",
        "cidr('::1/128').prefixLength() == 128",
        "string(cidr('192.168.0.1/24')) == '192.168.0.1/24'",
        "string(cidr('2001:DB8::/32')) == '2001:db8::/32'",
        "cidr(dyn('192.168.0.0/24')) == cidr('192.168.0.0/24')",
        "cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/25'))",
        "!cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/23'))",
        "cidr('192.168.0.0/24').ip() == ip('192.168.0.0')",
        "cidr('2001:db8::/32').containsIP(ip('2001:db8::1'))",
        "!cidr('2001:db8::/32').containsIP(ip('2001:dc8::1'))",
        "cidr('2001:db8::/32').containsIP('2001:db8::1')",
        "cidr('2001:db8::/32').containsCIDR('2001:db8::/33')",
        "!cidr('2001:db8::/32').containsCIDR('2001:db8::/31')",
        "cidr('2001:db8:1::/32').masked() == cidr('2001:db8::/32')",
        "cidr('2001:db8::/32').prefixLength() == 32",
        "string(cidr('192.168.0.0/24')) == '192.168.0.0/24'",
        "type(cidr('192.168.0.0/24')) == net.CIDR",
    ]);
    fails_exactly(
        "cidr('192.168.0.0/')",
        "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"192.168.0.0/\"): bad bits after slash: \"\"",
    );
    fails_exactly(
        "cidr('2001:db8::/')",
        "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"2001:db8::/\"): bad bits after slash: \"\"",
    );
    fails_exactly(
        "cidr('192.168.0.0/33')",
        "network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(\"192.168.0.0/33\"): prefix length out of range",
    );
}

// --- format (1.31) ---------------------------------------------------------------------

const FORMAT_NAMES: [&str; 13] = [
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

#[test]
fn formats() {
    all_true(&[
        "format.named('dns1123Label').hasValue()",
        "!format.named('nope').hasValue()",
        "format.named('dns1123Label').value() == format.dns1123Label()",
        "!format.dns1123Label().validate('my-label-name').hasValue()",
        "format.dns1123Label().validate('MY-LABEL').hasValue()",
        "!format.dns1123Subdomain().validate('apiextensions.k8s.io').hasValue()",
        "!format.dns1035Label().validate('my-label-name').hasValue()",
        "format.dns1035Label().validate('1abc').hasValue()",
        "!format.qualifiedName().validate('apiextensions.k8s.io/v1beta1').hasValue()",
        "!format.dns1123LabelPrefix().validate('my-label-prefix-').hasValue()",
        "!format.dns1123SubdomainPrefix().validate('mysubdomain.prefix.-').hasValue()",
        "!format.dns1035LabelPrefix().validate('my-label-prefix-').hasValue()",
        "!format.labelValue().validate('').hasValue()",
        "format.labelValue().validate('-bad').hasValue()",
        "!format.uri().validate('http://example.com').hasValue()",
        "format.uri().validate('example').hasValue()",
        "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()",
        "format.uuid().validate('123e4567').hasValue()",
        "!format.byte().validate('aGVsbG8=').hasValue()",
        "format.byte().validate('aGVsbG8').hasValue()",
        "!format.date().validate('2021-01-01').hasValue()",
        "format.date().validate('2021-13-01').hasValue()",
        "!format.datetime().validate('2021-01-01T00:00:00Z').hasValue()",
        "format.datetime().validate('2021-01-01').hasValue()",
    ]);
    equals(
        "format.dns1123Label().validate('my.name').value()",
        string_list(&["must not contain dots"]),
    );
    equals(
        "format.dns1123Label().validate('MY-LABEL').value()",
        string_list(&[
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ]),
    );
    let cases = [
        (
            "format.dns1123Label().validate('contains a space')",
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
        (
            "format.dns1123Subdomain().validate('contains a space')",
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
        (
            "format.dns1035Label().validate('contains a space')",
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ),
        (
            "format.qualifiedName().validate('contains a space')",
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
        (
            "format.dns1123LabelPrefix().validate('contains a space-')",
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
        (
            "format.dns1035LabelPrefix().validate('contains a space-')",
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ),
        ("format.byte().validate('aGVsbG8')", "invalid base64"),
        ("format.date().validate('2020-01-32')", "invalid date"),
        (
            "format.datetime().validate('2020-01-32T00:00:00Z')",
            "invalid datetime",
        ),
        (
            "format.labelValue().validate('my-cool-label-Value!!\\n\\n!!!')",
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
    ];
    for (expr, message) in cases {
        equals(&format!("{expr}.value()"), string_list(&[message]));
    }
    for lhs in FORMAT_NAMES {
        is_true(&format!("format.named('{lhs}').hasValue()"));
        is_true(&format!("format.named('{lhs}').value() == format.{lhs}()"));
        for rhs in FORMAT_NAMES {
            if lhs != rhs {
                is_true(&format!("format.{lhs}() != format.{rhs}()"));
            }
        }
    }
    equals(
        "format.uuid().validate('x').value()",
        string_list(&["does not match the UUID format"]),
    );
    equals(
        "format.qualifiedName().validate('/a').value()",
        string_list(&["prefix part must be non-empty"]),
    );
    equals(
        "format.uri().validate('example').value()",
        string_list(&["parse \"example\": invalid URI for request"]),
    );
}

// --- semver (1.33) ---------------------------------------------------------------------

#[test]
fn semver() {
    all_true(&[
        "isSemver('1.0.0')",
        "isSemver('1.2.3-beta.1+build.1')",
        "!isSemver('')",
        "!isSemver(' 1.0.0')",
        "!isSemver('1. 0.0')",
        "!isSemver('1.0.0 ')",
        "!isSemver('01.01.01')",
        "!isSemver('1')",
        "!isSemver('1.1')",
        "!isSemver('', true)",
        "!isSemver(' 1.0.0', true)",
        "!isSemver('1.0.0 ', true)",
        "isSemver('v1.0.0', true)",
        "isSemver('01.01.01', true)",
        "isSemver('1', true)",
        "isSemver('1.1', true)",
        "semver('v01.01', true) == semver('1.1.0')",
        "semver('1.2.3') != semver('1.0.0')",
        "!semver('1.0.0').isLessThan(semver('1.0.0'))",
        "!semver('1.0.0').isGreaterThan(semver('1.0.0'))",
        "isSemver('1.0.0-alpha.1+build.5')",
        "!isSemver('1.0')",
        "!isSemver('v1.0.0')",
        "!isSemver('01.0.0')",
        "isSemver('v1.0', true)",
        "isSemver('1.02.3', true)",
        "!isSemver('1.0-rc1', true)",
        "semver('1.2.3').major() == 1",
        "semver('1.2.3').minor() == 2",
        "semver('1.2.3').patch() == 3",
        "semver('v01.02', true) == semver('1.2.0')",
        "semver('1.2.3').isGreaterThan(semver('1.2.2'))",
        "semver('1.2.3').isLessThan(semver('1.10.0'))",
        "semver('1.0.0-alpha').isLessThan(semver('1.0.0'))",
        "semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))",
        "semver('1.0.0-2').isLessThan(semver('1.0.0-10'))",
        "semver('1.0.0').compareTo(semver('1.0.0')) == 0",
        "semver('1.0.0').compareTo(semver('1.0.1')) == -1",
        "semver('1.0.1').compareTo(semver('1.0.0')) == 1",
        "semver('1.0.0+build') == semver('1.0.0')",
    ]);
    fails_exactly("semver('1.0')", "No Major.Minor.Patch elements found");
    fails_exactly(
        "semver('01.0.0')",
        "Major number must not contain leading zeroes \"01\"",
    );
    fails_exactly(
        "semver('1.0-rc1', true)",
        "short version cannot contain PreRelease/Build meta data",
    );
}

// --- from the Kubernetes CEL documentation ---------------------------------------------

#[test]
fn documentation_examples() {
    let object = serde_json::json!({
        "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web", "env": "prod"}},
        "spec": {
            "replicas": 3,
            "minReplicas": 1,
            "maxReplicas": 5,
            "containers": [
                {"name": "a", "image": "registry.example.com/a:1.0", "resources": {"limits": {"memory": "512Mi", "cpu": "500m"}}},
                {"name": "b", "image": "registry.example.com/b:latest", "resources": {"limits": {"memory": "2Gi"}}}
            ]
        }
    });
    let vars = [("object", object)];
    let check = |expr: &str, expected: bool| {
        assert_eq!(eval_with(expr, &vars), Ok(Value::Bool(expected)), "{expr}");
    };
    check(
        "self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas"
            .replace("self", "object.spec")
            .as_str(),
        true,
    );
    check("'app.kubernetes.io/name' in object.metadata.labels", true);
    check(
        "object.metadata.labels.all(k, k.startsWith('app') || k == 'env')",
        true,
    );
    check(
        "object.spec.containers.all(c, c.image.startsWith('registry.example.com/'))",
        true,
    );
    check(
        "object.spec.containers.exists(c, c.image.endsWith(':latest'))",
        true,
    );
    check("object.spec.containers.map(c, c.name).isSorted()", true);
    check(
        "object.spec.containers.all(c, quantity(c.resources.limits.memory).compareTo(quantity('1Gi')) <= 0)",
        false,
    );
    check(
        "object.spec.containers.exists(c, has(c.resources.limits.cpu) && quantity(c.resources.limits.cpu).isLessThan(quantity('1')))",
        true,
    );
    check(
        "object.spec.containers.all(i, c, c.name.size() > 0 && i < 2)",
        true,
    );
    check("object.metadata.name.matches('^[a-z]+$')", true);
    check(
        "object.spec.containers.map(c, c.name).filter(n, n == 'a').size() == 1",
        true,
    );
}

// --- the Rust side of the Kubernetes values --------------------------------------------

#[test]
fn kubernetes_values_are_opaque_values_of_this_crate() {
    let Ok(Value::Opaque(ip)) = eval("ip('10.0.0.1')") else {
        panic!("an ip is an opaque value");
    };
    assert_eq!(
        ip.downcast_ref::<k8s::Ip>(),
        Some(&k8s::Ip("10.0.0.1".parse().unwrap()))
    );
    let Ok(Value::Opaque(q)) = eval("quantity('1Gi').add(quantity('512Mi'))") else {
        panic!("a quantity is an opaque value");
    };
    let q = q.downcast_ref::<k8s::Quantity>().unwrap();
    assert_eq!(q.as_int64(), Some(1_610_612_736));
    assert_eq!(q, &k8s::Quantity::parse("1.5Gi").unwrap());
    let Ok(Value::Opaque(v)) = eval("semver('1.2.3-rc.1+b')") else {
        panic!("a semver is an opaque value");
    };
    let v = v.downcast_ref::<k8s::Semver>().unwrap();
    assert_eq!((v.major, v.minor, v.patch), (1, 2, 3));
    assert_eq!(v.build(), ["b".to_owned()]);
}

#[test]
fn error_messages_are_cel_go_text() {
    let env = k8s::env();
    let program = env.compile("{'a': 1}.b").unwrap();
    let err = program.execute(&Context::with_env(env)).unwrap_err();
    assert_eq!(k8s::error_message(&err), "no such key: b");
    assert_eq!(eval("'x' + 1"), Err("no such overload".to_owned()));
}
