//! The checker's verdicts: what cel-go accepts, with which type, and what it rejects, with
//! the API server's exact text.

use plimsoll_policy::checker::{Decls, Mode, Phase, Type, check, expect};

fn decls(minor: u32, mode: Mode) -> Decls {
    Decls {
        minor,
        mode,
        params: true,
        authorizer: true,
        variables: vec![
            ("names".into(), Type::List(Box::new(Type::String))),
            ("q".into(), Type::Opaque("kubernetes.Quantity")),
        ],
        without_variables: false,
    }
}

fn check_at(source: &str, d: &Decls) -> Result<Type, String> {
    let program = plimsoll_policy::k8s::env()
        .compile(source)
        .unwrap_or_else(|e| panic!("{source} doesn't parse: {e}"));
    check(&program, source, d).map_err(|e| e.detail())
}

/// Accepted in a new policy on 1.35, where every library but lists v1 is.
fn accepted(source: &str) -> Type {
    check_at(source, &decls(35, Mode::New)).unwrap_or_else(|e| panic!("{source}: {e}"))
}

/// Rejected in a new policy on 1.33.
fn rejected(source: &str) -> String {
    match check_at(source, &decls(33, Mode::New)) {
        Ok(t) => panic!("{source} was accepted as {t}"),
        Err(e) => e,
    }
}

#[test]
fn an_undeclared_variable_is_reported_as_cel_go_prints_it() {
    assert_eq!(
        rejected("foo == 1"),
        "compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo == 1\n | ^"
    );
    assert_eq!(
        rejected("object.a == 1 || bar"),
        "compilation failed: ERROR: <input>:1:18: undeclared reference to 'bar' (in container '')\n | object.a == 1 || bar\n | .................^"
    );
}

#[test]
fn an_undeclared_function_is_reported_even_in_a_branch_never_taken() {
    assert_eq!(
        rejected("true || foo(1)"),
        "compilation failed: ERROR: <input>:1:12: undeclared reference to 'foo' (in container '')\n | true || foo(1)\n | ...........^"
    );
    assert!(
        rejected("false ? object.x.bogus() : true").contains("undeclared reference to 'bogus'")
    );
}

#[test]
fn functions_never_in_the_environment_are_undeclared() {
    assert_eq!(
        rejected("math.greatest(1, 2) > 0"),
        "compilation failed: ERROR: <input>:1:1: undeclared reference to 'math' (in container '')\n | math.greatest(1, 2) > 0\n | ^\nERROR: <input>:1:14: undeclared reference to 'greatest' (in container '')\n | math.greatest(1, 2) > 0\n | .............^"
    );
    assert!(rejected("cel.bind(x, 1, x > 0)").contains("undeclared reference to 'bind'"));
    assert!(rejected("base64.encode(b'a') == 'YQ=='").contains("undeclared reference to 'base64'"));
    assert!(rejected("'abc'.reverse() == 'cba'").contains("undeclared reference to 'reverse'"));
}

#[test]
fn errors_are_sorted_by_position_and_columns_count_characters() {
    let message = rejected("'é' + foo + bar");
    assert_eq!(
        message,
        "compilation failed: ERROR: <input>:1:7: undeclared reference to 'foo' (in container '')\n | 'é' + foo + bar\n | .\u{ff0e}....^\nERROR: <input>:1:13: undeclared reference to 'bar' (in container '')\n | 'é' + foo + bar\n | .\u{ff0e}..........^"
    );
    let message = rejected("object.a == 1 &&\n  nope");
    assert!(
        message.contains("ERROR: <input>:2:3: undeclared reference to 'nope'"),
        "{message}"
    );
    assert!(message.ends_with("\n |   nope\n | ..^"), "{message}");
}

#[test]
fn no_matching_overload_for_known_argument_types() {
    assert_eq!(
        rejected("'a' + 1 == 'a1'"),
        "compilation failed: ERROR: <input>:1:5: found no matching overload for '_+_' applied to '(string, int)'\n | 'a' + 1 == 'a1'\n | ....^"
    );
    assert!(
        rejected("size(1) == 1")
            .contains("found no matching overload for 'size' applied to '(int)'")
    );
    assert!(
        rejected("'abc'.startsWith(1)")
            .contains("found no matching overload for 'startsWith' applied to 'string.(int)'")
    );
    assert!(
        rejected("1 == 1.0")
            .contains("found no matching overload for '_==_' applied to '(int, double)'")
    );
    assert!(
        rejected("null == 'a'")
            .contains("found no matching overload for '_==_' applied to '(null, string)'")
    );
    assert!(rejected("true ? 1 : 'a'").contains("'_?_:_' applied to '(bool, int, string)'"));
    assert!(rejected("!1").contains("found no matching overload for '!_' applied to '(int)'"));
    assert!(rejected("request.name.size() > 'a'").contains("'_>_' applied to '(int, string)'"));
}

#[test]
fn dyn_arguments_match_any_overload() {
    assert_eq!(accepted("object.spec.replicas > 1"), Type::Bool);
    assert_eq!(accepted("object.spec.replicas + 1"), Type::Int);
    assert_eq!(accepted("object.a + object.b"), Type::Dyn);
    assert_eq!(accepted("size(object.spec.containers)"), Type::Int);
    assert_eq!(accepted("'x' in object.metadata.labels"), Type::Bool);
    assert_eq!(accepted("string(object.spec.replicas)"), Type::String);
    assert_eq!(accepted("object.metadata.name.startsWith('a')"), Type::Bool);
    assert_eq!(accepted("params.x == object.y"), Type::Bool);
}

#[test]
fn logical_operators_want_bools() {
    assert_eq!(
        rejected("1 && true"),
        "compilation failed: ERROR: <input>:1:1: expected type 'bool' but found 'int'\n | 1 && true\n | ^"
    );
    assert!(
        rejected("[1, 2].all(x, x)")
            .contains("ERROR: <input>:1:15: expected type 'bool' but found 'int'")
    );
    assert!(rejected("[1].exists(x, 'a')").contains("expected type 'bool' but found 'string'"));
}

#[test]
fn mixed_list_and_map_literals_are_rejected() {
    assert_eq!(
        rejected("[1, 'a'].size() == 2"),
        "compilation failed: ERROR: <input>:1:5: expected type 'int' but found 'string'\n | [1, 'a'].size() == 2\n | ....^"
    );
    assert!(
        rejected("{'a': 1, 'b': 'x'}.size() == 2")
            .contains("ERROR: <input>:1:15: expected type 'int' but found 'string'")
    );
    assert!(
        rejected("{'a': 1, 2: 1}.size() == 2").contains("expected type 'string' but found 'int'")
    );
    assert!(rejected("[object.a, 1].size() == 2").contains("expected type 'dyn' but found 'int'"));
    assert!(rejected("[1, null].size() == 2").contains("expected type 'int' but found 'null'"));
    // Nested empty literals take the type of their siblings; `format` arguments are exempt.
    assert_eq!(
        accepted("[[], [1]]"),
        Type::List(Box::new(Type::List(Box::new(Type::Int))))
    );
    assert_eq!(accepted("'%s %d'.format(['a', 1])"), Type::String);
}

#[test]
fn invalid_literals_are_compile_errors_from_1_29() {
    assert_eq!(
        rejected("duration('1x') > duration('1s')"),
        "compilation failed: ERROR: <input>:1:10: invalid duration argument\n | duration('1x') > duration('1s')\n | .........^"
    );
    assert!(
        rejected("timestamp('yesterday') < timestamp('2024-01-01T00:00:00Z')")
            .contains("invalid timestamp argument")
    );
    assert!(rejected("'a'.matches('[')").contains("ERROR: <input>:1:13: invalid matches argument"));
    assert_eq!(accepted("duration('1h30m') > duration('90s')"), Type::Bool);
    // Before 1.29 only the program fails to build, for the regex.
    let d = decls(28, Mode::Stored);
    assert_eq!(
        check_at("duration('1x') > duration('1s')", &d),
        Ok(Type::Bool)
    );
    assert_eq!(
        check_at("'a'.matches('[')", &d),
        Err("program instantiation failed: error parsing regexp: missing closing ]: `[`".into())
    );
}

#[test]
fn constant_regexes_of_find_fail_the_program() {
    let program = plimsoll_policy::k8s::env()
        .compile("'a'.find('(') == ''")
        .unwrap();
    let error = check(&program, "'a'.find('(') == ''", &decls(33, Mode::New)).unwrap_err();
    assert_eq!(error.phase, Phase::Program { output: Type::Bool });
    assert_eq!(
        error.message,
        "error parsing regexp: missing closing ): `(`"
    );
}

#[test]
fn typed_objects_have_their_fields_only() {
    assert_eq!(
        rejected("request.foo == 'a'"),
        "compilation failed: ERROR: <input>:1:8: undefined field 'foo'\n | request.foo == 'a'\n | .......^"
    );
    assert!(rejected("namespaceObject.metadata.uid == ''").contains("undefined field 'uid'"));
    assert_eq!(
        accepted("request.userInfo.groups"),
        Type::List(Box::new(Type::String))
    );
    assert_eq!(accepted("request.kind.kind == 'Pod'"), Type::Bool);
    assert_eq!(
        accepted("request.userInfo.extra['x']"),
        Type::List(Box::new(Type::String))
    );
    assert_eq!(accepted("request.dryRun"), Type::Bool);
    assert_eq!(accepted("request.options"), Type::Dyn);
    assert_eq!(
        accepted("namespaceObject.metadata.labels['env']"),
        Type::String
    );
    assert_eq!(
        accepted("namespaceObject.status.conditions[0].lastTransitionTime"),
        Type::Timestamp
    );
    assert_eq!(accepted("has(request.name)"), Type::Bool);
    assert_eq!(
        accepted("request.userInfo"),
        Type::Object("kubernetes.UserInfo")
    );
    assert!(
        rejected("request.name.foo").contains("type 'string' does not support field selection")
    );
}

#[test]
fn declarations_depend_on_params_authorizer_and_variables() {
    let mut d = decls(33, Mode::New);
    d.params = false;
    d.authorizer = false;
    assert!(
        check_at("params.x == 1", &d)
            .unwrap_err()
            .contains("undeclared reference to 'params'")
    );
    assert!(
        check_at("authorizer.path('/x').check('get').allowed()", &d)
            .unwrap_err()
            .contains("undeclared reference to 'authorizer'")
    );
    assert_eq!(
        accepted(
            "authorizer.group('apps').resource('deployments').namespace('a').check('get').allowed()"
        ),
        Type::Bool
    );
    assert_eq!(
        accepted("authorizer.requestResource.check('update').reason()"),
        Type::String
    );
    assert_eq!(
        accepted("authorizer.serviceAccount('ns', 'sa').path('/x').check('get').errored()"),
        Type::Bool
    );
    assert_eq!(
        accepted("variables.names"),
        Type::List(Box::new(Type::String))
    );
    // The API server records a library type of a variable as dyn.
    assert_eq!(accepted("variables.q"), Type::Dyn);
    assert!(rejected("variables.nope").contains("undefined field 'nope'"));
}

#[test]
fn result_types() {
    assert_eq!(
        accepted("[1, 2].map(x, x * 2)"),
        Type::List(Box::new(Type::Int))
    );
    assert_eq!(
        accepted("[1, 2].filter(x, x > 1)"),
        Type::List(Box::new(Type::Int))
    );
    assert_eq!(accepted("[1, 2].exists_one(x, x > 1)"), Type::Bool);
    assert_eq!(
        accepted("{'a': 1}"),
        Type::Map(Box::new(Type::String), Box::new(Type::Int))
    );
    assert_eq!(accepted("[]"), Type::List(Box::new(Type::Dyn)));
    assert_eq!(accepted("null"), Type::Null);
    assert_eq!(accepted("1u"), Type::Uint);
    assert_eq!(accepted("b'a'"), Type::Bytes);
    assert_eq!(accepted("2.0 * 3.0"), Type::Double);
    assert_eq!(accepted("duration('1s')"), Type::Duration);
    assert_eq!(
        accepted("timestamp('2024-01-01T00:00:00Z').getFullYear()"),
        Type::Int
    );
    assert_eq!(
        accepted("timestamp('2024-01-01T00:00:00Z') - duration('1h')"),
        Type::Timestamp
    );
    assert_eq!(accepted("type(1) == int"), Type::Bool);
    assert_eq!(accepted("dyn(1)"), Type::Dyn);
    assert_eq!(
        accepted("optional.of(1)"),
        Type::Optional(Box::new(Type::Int))
    );
    assert_eq!(accepted("object.?spec.?replicas.orValue(1)"), Type::Dyn);
    assert_eq!(accepted("request.?name.orValue('')"), Type::String);
    assert_eq!(
        accepted("[?optional.of(1), 2]"),
        Type::List(Box::new(Type::Int))
    );
    assert_eq!(
        accepted("{?'a': optional.none()}"),
        Type::Map(Box::new(Type::String), Box::new(Type::Dyn))
    );
    assert_eq!(
        accepted("quantity('1Gi')"),
        Type::Opaque("kubernetes.Quantity")
    );
    assert_eq!(
        accepted("quantity('1').add(1).isLessThan(quantity('2'))"),
        Type::Bool
    );
    assert_eq!(
        accepted("url('https://a/b').getQuery()"),
        Type::Map(
            Box::new(Type::String),
            Box::new(Type::List(Box::new(Type::String)))
        )
    );
    assert_eq!(
        accepted("'a,b'.split(',')"),
        Type::List(Box::new(Type::String))
    );
    assert_eq!(accepted("['a'].join(',')"), Type::String);
    assert_eq!(accepted("[3, 1].isSorted()"), Type::Bool);
    assert_eq!(accepted("[3, 1].sum()"), Type::Int);
    assert_eq!(accepted("[3.0, 1.0].max()"), Type::Double);
    assert_eq!(
        accepted("'abc'.findAll('[a-z]', 2)"),
        Type::List(Box::new(Type::String))
    );
    assert_eq!(
        accepted("cidr('10.0.0.0/8').containsIP(ip('10.0.0.1'))"),
        Type::Bool
    );
    assert_eq!(accepted("string(ip('::1'))"), Type::String);
    assert_eq!(
        accepted("format.dns1123Label().validate('a')"),
        Type::Optional(Box::new(Type::List(Box::new(Type::String))))
    );
    assert_eq!(
        accepted("format.named('uuid')"),
        Type::Optional(Box::new(Type::Opaque("kubernetes.NamedFormat")))
    );
    assert_eq!(accepted("semver('1.2.3').major()"), Type::Int);
    assert_eq!(accepted("[1, 2].all(i, v, v > i)"), Type::Bool);
    assert_eq!(
        accepted("{'a': 1}.transformMap(k, v, v + 1)"),
        Type::Map(Box::new(Type::String), Box::new(Type::Int))
    );
    assert_eq!(
        accepted("[1].transformList(i, v, i > 0, string(v))"),
        Type::List(Box::new(Type::String))
    );
    assert_eq!(
        accepted("{'a': 1}.transformMapEntry(k, v, {v: k})"),
        Type::Map(Box::new(Type::Int), Box::new(Type::String))
    );
    assert_eq!(
        accepted("object.items.filter(x, x.a > 1).size() > 0"),
        Type::Bool
    );
}

#[test]
fn the_result_type_must_be_exactly_the_expected_one() {
    let found = accepted("object.spec.paused");
    assert_eq!(
        expect(&found, &[Type::Bool]),
        Err("must evaluate to bool but got dyn".into())
    );
    assert_eq!(
        expect(&accepted("object.spec.paused == true"), &[Type::Bool]),
        Ok(())
    );
    assert_eq!(
        expect(&accepted("1"), &[Type::String]),
        Err("must evaluate to string but got int".into())
    );
    assert_eq!(
        expect(&accepted("1"), &[Type::String, Type::Null]),
        Err("must evaluate to one of [string null_type] but got int".into())
    );
    assert_eq!(
        expect(&accepted("null"), &[Type::String, Type::Null]),
        Ok(())
    );
    assert_eq!(
        expect(&accepted("[1]"), &[Type::Bool]),
        Err("must evaluate to bool but got list(int)".into())
    );
    assert_eq!(
        expect(&accepted("duration('1s')"), &[Type::String]),
        Err("must evaluate to string but got google.protobuf.Duration".into())
    );
    assert_eq!(expect(&accepted("{'a': [1]}"), &[]), Ok(()));
}

/// `(source, first accepting minor in New, first accepting minor in Stored)`.
const GATED: &[(&str, u32, u32)] = &[
    ("authorizer.path('/healthz').check('get').allowed()", 28, 27),
    ("quantity('1').isInteger()", 29, 28),
    ("object.?spec.hasValue()", 29, 28),
    ("1 < 2.0", 29, 28),
    ("sets.contains([1], [1])", 30, 29),
    ("['a'].join() == 'a'", 30, 29),
    ("strings.quote('a') == 'a'", 30, 29),
    ("isIP('1.2.3.4')", 31, 30),
    ("cidr('10.0.0.0/8').prefixLength() == 8", 31, 30),
    ("format.dns1123Label().validate('a').hasValue()", 32, 31),
    (
        "authorizer.group('').resource('pods').fieldSelector('a=b').check('list').allowed()",
        32,
        31,
    ),
    ("[1].all(i, v, v > i)", 33, 32),
    ("{'a': 1}.transformMap(k, v, v).size() == 1", 33, 32),
    ("isSemver('1.0.0')", 34, 33),
    ("[3, 1].sort() == [1, 3]", 35, 34),
    ("lists.range(3).size() == 3", 35, 34),
    ("[1].sortBy(x, -x) == [1]", 35, 34),
    ("[[1]].flatten() == [1]", 35, 34),
    ("[1].includes(1)", 38, 37),
];

#[test]
fn libraries_are_gated_by_version_and_environment() {
    for (source, new, stored) in GATED {
        for (mode, first) in [(Mode::New, *new), (Mode::Stored, *stored)] {
            let before = check_at(source, &decls(first - 1, mode));
            assert!(
                before.is_err(),
                "{source} accepted at 1.{} {mode:?}",
                first - 1
            );
            let at = check_at(source, &decls(first, mode));
            assert!(
                at.is_ok(),
                "{source} rejected at 1.{first} {mode:?}: {at:?}"
            );
        }
    }
}

#[test]
fn gated_functions_fail_as_cel_go_says() {
    assert_eq!(
        check_at("isIP('1.2.3.4')", &decls(30, Mode::New)),
        Err("compilation failed: ERROR: <input>:1:5: undeclared reference to 'isIP' (in container '')\n | isIP('1.2.3.4')\n | ....^".into())
    );
    assert_eq!(
        check_at("isIP('1.2.3.4')", &decls(31, Mode::New)),
        Ok(Type::Bool)
    );
    // `sets` is then an undeclared variable and `contains` a string function.
    let message = check_at("sets.contains([1], [2])", &decls(29, Mode::New)).unwrap_err();
    assert!(
        message.contains("undeclared reference to 'sets'"),
        "{message}"
    );
    assert!(
        message.contains(
            "found no matching overload for 'contains' applied to '!error!.(list(int), list(int))'"
        ),
        "{message}"
    );
    // A two-variable macro the environment lacks stays a call: everything is undeclared.
    assert_eq!(
        check_at("[1].all(i, v, v > 0)", &decls(32, Mode::New)),
        Err("compilation failed: ERROR: <input>:1:8: undeclared reference to 'all' (in container '')\n | [1].all(i, v, v > 0)\n | .......^\nERROR: <input>:1:9: undeclared reference to 'i' (in container '')\n | [1].all(i, v, v > 0)\n | ........^\nERROR: <input>:1:12: undeclared reference to 'v' (in container '')\n | [1].all(i, v, v > 0)\n | ...........^\nERROR: <input>:1:15: undeclared reference to 'v' (in container '')\n | [1].all(i, v, v > 0)\n | ..............^".into())
    );
    // The lists extension's `reverse` is a list function: on a string, it has no overload.
    assert!(
        check_at("'abc'.reverse()", &decls(35, Mode::New))
            .unwrap_err()
            .contains("found no matching overload for 'reverse' applied to 'string.()'")
    );
}

#[test]
fn two_variable_comprehensions_type_their_variables() {
    assert!(rejected("[1].exists(i, v, v == 'a')").contains("'_==_' applied to '(int, string)'"));
    assert!(rejected("{'a': 1}.all(k, v, k == 1)").contains("'_==_' applied to '(string, int)'"));
    assert!(rejected("['a'].all(i, v, i == 'a')").contains("'_==_' applied to '(int, string)'"));
    assert_eq!(
        accepted("object.items.exists(i, v, v.name == 'a' && i > 0)"),
        Type::Bool
    );
}

#[test]
fn policies_of_the_kubernetes_documentation_compile_to_bool() {
    for source in [
        "object.spec.replicas <= params.maxReplicas",
        "object.metadata.name.matches('^[a-z]+$')",
        "has(object.spec.template.spec.containers) && object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.limits))",
        "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))",
        "!('privileged' in object.spec.securityContext) || object.spec.securityContext.privileged == false",
        "request.operation != 'DELETE' ? object.metadata.labels['env'] in ['prod', 'staging'] : true",
        "object.metadata.?labels['env'].orValue('') == 'prod'",
        "object.metadata.?labels.?env.orValue('') == 'prod'",
        "quantity(object.spec.containers[0].resources.limits.memory).isLessThan(quantity('1Gi'))",
        "authorizer.group('').resource('pods').namespace(request.namespace).check('create').allowed()",
        "[object.a, object.b].all(x, x > 0)",
        "object.spec.x == null",
        "int(object.spec.replicas) < 10",
        "size(object.metadata.name) < 64 && object.metadata.name.size() < 64",
        "duration(object.spec.timeout) < duration('1h')",
        "timestamp(object.metadata.creationTimestamp) > timestamp('2024-01-01T00:00:00Z')",
        "object.spec.ports.exists_one(p, p.port == 80)",
        "'a'.indexOf('b') >= 0 && ['a', 'b'].indexOf('b') == 1",
        "object.spec.containers.filter(c, c.name.startsWith('x')).size() == 0",
        "type(object.spec.replicas) == int",
        "object.data.?key.hasValue()",
        "[1, 2, 3].exists(x, x in [2])",
        "object.metadata.labels.exists(k, k.startsWith('x'))",
        "'%s'.format([object.metadata.name]) != ''",
        "object.x.all(i, v, v > 0)",
        "variables.names.all(n, n != '')",
        "namespaceObject.metadata.name != 'kube-system'",
        "request.userInfo.groups.exists(g, g == 'system:masters')",
        "object.spec.template.spec.containers.map(c, c.image).all(i, !i.endsWith(':latest'))",
        "isURL(object.spec.url) && url(object.spec.url).getScheme() == 'https'",
        "cidr('10.0.0.0/8').containsIP(object.spec.ip)",
        "object.spec.x.all(k, v, k.size() < 10) || object.spec.y.transformList(i, v, v).size() > 0",
    ] {
        let found =
            check_at(source, &decls(34, Mode::New)).unwrap_or_else(|e| panic!("{source}: {e}"));
        assert_eq!(expect(&found, &[Type::Bool]), Ok(()), "{source}");
    }
    for source in [
        "'replicas: ' + string(object.spec.replicas)",
        "'name ' + object.metadata.name + ' is too long'",
        "object.metadata.name",
    ] {
        let found = check_at(source, &decls(34, Mode::New)).unwrap();
        let verdict = expect(&found, &[Type::String]);
        assert_eq!(
            verdict.is_ok(),
            source != "object.metadata.name",
            "{source}: {verdict:?}"
        );
    }
}

#[test]
fn literal_format_strings_are_checked_against_their_arguments() {
    assert_eq!(
        accepted("'%s is %d years, %.2f%%'.format(['a', 1, 2.5])"),
        Type::String
    );
    assert_eq!(
        accepted("'%x %o %b'.format([object.a, 8, true])"),
        Type::String
    );
    assert_eq!(
        check_at("'%d'.format(['a'])", &decls(34, Mode::New)),
        Err("compilation failed: ERROR: <input>:1:14: error during formatting: decimal clause can only be used on ints, uints, and doubles, was given string\n | '%d'.format(['a'])\n | .............^".into())
    );
    assert!(
        check_at("'%s'.format(['a', 'b'])", &decls(34, Mode::New))
            .unwrap_err()
            .contains("ERROR: <input>:1:12: too many arguments supplied to string.format (expected 1, got 2)")
    );
    assert!(
        check_at("'%s %s'.format(['a'])", &decls(34, Mode::New))
            .unwrap_err()
            .contains("index 1 out of range")
    );
    assert!(
        check_at("'%q'.format(['a'])", &decls(34, Mode::New))
            .unwrap_err()
            .contains("could not parse formatting clause: unrecognized formatting clause \"q\"")
    );
    assert!(
        check_at("'%s'.format([[optional.none()]])", &decls(34, Mode::New))
            .unwrap_err()
            .contains("string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given optional_type")
    );
}

#[test]
fn optional_syntax_needs_optional_types() {
    let d = decls(27, Mode::Stored);
    assert_eq!(
        check_at("object.?spec.hasValue()", &d),
        Err("compilation failed: ERROR: <input>:1:7: unsupported syntax '.?'\n | object.?spec.hasValue()\n | ......^".into())
    );
    assert!(
        check_at("object.items[?0].hasValue()", &d)
            .unwrap_err()
            .contains("unsupported syntax '[?'")
    );
    assert!(
        check_at("[?object.a]", &d)
            .unwrap_err()
            .contains("unsupported syntax '?'")
    );
    assert_eq!(
        accepted("[1, 2].first().orValue(0) + [1].last().orValue(0)"),
        Type::Int
    );
}
