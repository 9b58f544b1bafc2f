//! cel-go's two-variable comprehensions (`ext.TwoVarComprehensions`, Kubernetes 1.32):
//! `all`, `exists` and `existsOne` with an index (or key) and a value, `transformList`,
//! `transformMap` and `transformMapEntry`.
//!
//! The `cel` crate's interpreter binds one iteration variable only (it ignores
//! `ComprehensionExpr::iter_var2`), so each macro expands to a one-variable comprehension
//! over `@twoVarEntries(range)`, the `[key, value]` pairs of the range (`[index, element]`
//! for a list), whose loop step binds the two variables with `cel.bind`-style
//! comprehensions (an empty range, the variable as the accumulator, `false` as the loop
//! condition) around the expression as written:
//!
//! ```text
//! l.all(i, v, p)  =>  __comprehension__(@it, @twoVarEntries(l), @result, true,
//!                        @not_strictly_false(@result),
//!                        @result && bind(i, @it[0], bind(v, @it[1], p)), @result)
//! ```
//!
//! `transformMap` and `transformMapEntry` accumulate with `@mapInsert(map, key, value)` and
//! `@mapInsert(map, map)`, as cel-go's `cel.@mapInsert` does.

use cel::common::ast::{
    CallExpr, ComprehensionExpr, Expr, IdedExpr, ListExpr, LiteralValue, MapExpr, operators,
};
use cel::common::types::{DYN_TYPE, MAP_TYPE};
use cel::common::value::CowVal;
use cel::parser::{Macro, MacroExprHelper, ParseError};
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::{fail, ret, values};

/// The hidden function the two-variable macros iterate over: `[key, value]` pairs.
pub const ENTRIES_FUNCTION: &str = "@twoVarEntries";
/// The hidden function `transformMap` and `transformMapEntry` accumulate with.
pub const MAP_INSERT_FUNCTION: &str = "@mapInsert";

const ITEM: &str = "@it";
const RESULT: &str = "@result";

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(ENTRIES_FUNCTION, "two_var_entries", vec![DYN_TYPE], entries)?;
    env.add_overload(
        MAP_INSERT_FUNCTION,
        "map_insert_key_value",
        vec![MAP_TYPE, DYN_TYPE, DYN_TYPE],
        map_insert,
    )?;
    env.add_overload(
        MAP_INSERT_FUNCTION,
        "map_insert_map",
        vec![MAP_TYPE, MAP_TYPE],
        map_insert,
    )?;
    env.add_macro(Macro::receiver("all", 3, |h, t, a| {
        expand(h, t, a, Kind::All)
    }))?;
    env.add_macro(Macro::receiver("exists", 3, |h, t, a| {
        expand(h, t, a, Kind::Exists)
    }))?;
    env.add_macro(Macro::receiver("existsOne", 3, |h, t, a| {
        expand(h, t, a, Kind::ExistsOne)
    }))?;
    env.add_macro(Macro::receiver("exists_one", 3, |h, t, a| {
        expand(h, t, a, Kind::ExistsOne)
    }))?;
    for (name, kind) in [
        ("transformList", Kind::TransformList),
        ("transformMap", Kind::TransformMap),
        ("transformMapEntry", Kind::TransformMapEntry),
    ] {
        env.add_macro(Macro::receiver(name, 3, move |h, t, a| {
            expand(h, t, a, kind)
        }))?;
        env.add_macro(Macro::receiver(name, 4, move |h, t, a| {
            expand(h, t, a, kind)
        }))?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    All,
    Exists,
    ExistsOne,
    TransformList,
    TransformMap,
    TransformMapEntry,
}

fn ident(helper: &mut MacroExprHelper<'_>, name: &str) -> IdedExpr {
    helper.next_expr(Expr::Ident(name.to_owned()))
}

fn call(helper: &mut MacroExprHelper<'_>, function: &str, args: Vec<IdedExpr>) -> IdedExpr {
    helper.next_expr(Expr::Call(CallExpr {
        func_name: function.to_owned(),
        target: None,
        args,
    }))
}

fn literal(helper: &mut MacroExprHelper<'_>, value: LiteralValue) -> IdedExpr {
    helper.next_expr(Expr::Literal(value))
}

fn comprehension(
    helper: &mut MacroExprHelper<'_>,
    iter_range: IdedExpr,
    iter_var: &str,
    accu_init: IdedExpr,
    loop_cond: IdedExpr,
    loop_step: IdedExpr,
    result: IdedExpr,
) -> IdedExpr {
    helper.next_expr(Expr::Comprehension(Box::new(ComprehensionExpr {
        iter_range,
        iter_var: iter_var.to_owned(),
        iter_var2: None,
        accu_var: RESULT.to_owned(),
        accu_init,
        loop_cond,
        loop_step,
        result,
    })))
}

/// `cel.bind(name, value, body)`, as cel-go's `ext.Bindings` expands it.
fn bind(helper: &mut MacroExprHelper<'_>, name: &str, value: IdedExpr, body: IdedExpr) -> IdedExpr {
    let range = helper.next_expr(Expr::List(ListExpr::new(Vec::new())));
    let cond = literal(helper, LiteralValue::Boolean(false.into()));
    let step = ident(helper, name);
    helper.next_expr(Expr::Comprehension(Box::new(ComprehensionExpr {
        iter_range: range,
        iter_var: "#unused".to_owned(),
        iter_var2: None,
        accu_var: name.to_owned(),
        accu_init: value,
        loop_cond: cond,
        loop_step: step,
        result: body,
    })))
}

/// `body` with the two iteration variables bound to `@it[0]` and `@it[1]`.
fn bind_both(
    helper: &mut MacroExprHelper<'_>,
    first: &str,
    second: &str,
    body: IdedExpr,
) -> IdedExpr {
    let item = |helper: &mut MacroExprHelper<'_>, index: i64| {
        let it = ident(helper, ITEM);
        let index = literal(helper, LiteralValue::Int(index.into()));
        call(helper, operators::INDEX, vec![it, index])
    };
    let second_value = item(helper, 1);
    let inner = bind(helper, second, second_value, body);
    let first_value = item(helper, 0);
    bind(helper, first, first_value, inner)
}

fn var_name(helper: &mut MacroExprHelper<'_>, expr: &IdedExpr) -> Result<String, ParseError> {
    match &expr.expr {
        Expr::Ident(name) => Ok(name.clone()),
        _ => Err(helper.new_error(expr.id, "argument must be a simple name")),
    }
}

fn expand(
    helper: &mut MacroExprHelper<'_>,
    target: &mut Option<IdedExpr>,
    args: &mut Vec<IdedExpr>,
    kind: Kind,
) -> Result<Option<IdedExpr>, ParseError> {
    let first = var_name(helper, &args[0])?;
    let second = var_name(helper, &args[1])?;
    for name in [&first, &second] {
        if name == RESULT || name == "__result__" {
            return Err(helper.new_error(
                args[0].id,
                format!("iteration variable overwrites accumulator variable: {name}"),
            ));
        }
    }
    if first == second {
        return Err(helper.new_error(args[1].id, format!("duplicate variable name: {first}")));
    }
    let mut rest: Vec<IdedExpr> = args.drain(..).skip(2).collect();
    let range = target.take().expect("a receiver macro has a target");
    let range = call(helper, ENTRIES_FUNCTION, vec![range]);
    let result = ident(helper, RESULT);
    let expansion = match kind {
        Kind::All | Kind::Exists => {
            let predicate = rest.pop().expect("three arguments");
            let predicate = bind_both(helper, &first, &second, predicate);
            let all = kind == Kind::All;
            let init = literal(helper, LiteralValue::Boolean(all.into()));
            let accu = ident(helper, RESULT);
            let cond_arg = if all {
                accu
            } else {
                call(helper, operators::LOGICAL_NOT, vec![accu])
            };
            let cond = call(helper, operators::NOT_STRICTLY_FALSE, vec![cond_arg]);
            let accu = ident(helper, RESULT);
            let op = if all {
                operators::LOGICAL_AND
            } else {
                operators::LOGICAL_OR
            };
            let step = call(helper, op, vec![accu, predicate]);
            comprehension(helper, range, ITEM, init, cond, step, result)
        }
        Kind::ExistsOne => {
            let predicate = rest.pop().expect("three arguments");
            let predicate = bind_both(helper, &first, &second, predicate);
            let init = literal(helper, LiteralValue::Int(0.into()));
            let cond = literal(helper, LiteralValue::Boolean(true.into()));
            let accu = ident(helper, RESULT);
            let one = literal(helper, LiteralValue::Int(1.into()));
            let plus_one = call(helper, operators::ADD, vec![accu, one]);
            let accu = ident(helper, RESULT);
            let step = call(
                helper,
                operators::CONDITIONAL,
                vec![predicate, plus_one, accu],
            );
            let one = literal(helper, LiteralValue::Int(1.into()));
            let result = call(helper, operators::EQUALS, vec![result, one]);
            comprehension(helper, range, ITEM, init, cond, step, result)
        }
        Kind::TransformList | Kind::TransformMap | Kind::TransformMapEntry => {
            let transform = rest.pop().expect("three or four arguments");
            let filter = rest.pop();
            let accu = ident(helper, RESULT);
            let (init, step) = match kind {
                Kind::TransformList => {
                    let init = helper.next_expr(Expr::List(ListExpr::new(Vec::new())));
                    let element = helper.next_expr(Expr::List(ListExpr::new(vec![transform])));
                    (init, call(helper, operators::ADD, vec![accu, element]))
                }
                Kind::TransformMap => {
                    let init = helper.next_expr(Expr::Map(MapExpr {
                        entries: Vec::new(),
                    }));
                    let key = ident(helper, &first);
                    (
                        init,
                        call(helper, MAP_INSERT_FUNCTION, vec![accu, key, transform]),
                    )
                }
                _ => {
                    let init = helper.next_expr(Expr::Map(MapExpr {
                        entries: Vec::new(),
                    }));
                    (
                        init,
                        call(helper, MAP_INSERT_FUNCTION, vec![accu, transform]),
                    )
                }
            };
            let step = match filter {
                Some(filter) => {
                    let accu = ident(helper, RESULT);
                    call(helper, operators::CONDITIONAL, vec![filter, step, accu])
                }
                None => step,
            };
            let step = bind_both(helper, &first, &second, step);
            let cond = literal(helper, LiteralValue::Boolean(true.into()));
            comprehension(helper, range, ITEM, init, cond, step, result)
        }
    };
    Ok(Some(expansion))
}

/// `@twoVarEntries(range)`: `[[index, element], ...]` for a list, `[[key, value], ...]` for
/// a map.
fn entries<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let args = values(&args)?;
    let pairs: Vec<Value> = match &args[0] {
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| Value::List(vec![Value::Int(i as i64), v.clone()].into()))
            .collect(),
        Value::Map(map) => map
            .map
            .iter()
            .map(|(k, v)| Value::List(vec![Value::from(k.clone()), v.clone()].into()))
            .collect(),
        other => {
            return Err(ExecutionError::UnexpectedType {
                got: other.type_of().to_string(),
                want: "list or map".to_owned(),
            });
        }
    };
    ret(Value::List(pairs.into()))
}

/// `@mapInsert(map, key, value)` and `@mapInsert(map, other)`: the map with the entries
/// added, an error if one of the keys is already there.
fn map_insert<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let args = values(&args)?;
    let Value::Map(map) = &args[0] else {
        return Err(fail("@mapInsert", "no such overload"));
    };
    let mut entries = (*map.map).clone();
    let added: Vec<(cel::objects::Key, Value)> = match &args[1..] {
        [key, value] => vec![(key_of(key)?, value.clone())],
        [Value::Map(other)] => other
            .map
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => return Err(fail("@mapInsert", "no such overload")),
    };
    for (key, value) in added {
        if entries.contains_key(&key) {
            return Err(fail(
                "@mapInsert",
                format!("insert failed: key {} already exists", key_text(&key)),
            ));
        }
        entries.insert(key, value);
    }
    ret(Value::Map(cel::objects::Map {
        map: std::sync::Arc::new(entries),
    }))
}

fn key_of(value: &Value) -> Result<cel::objects::Key, ExecutionError> {
    use cel::objects::Key;
    match value {
        Value::Int(i) => Ok(Key::Int(*i)),
        Value::UInt(u) => Ok(Key::Uint(*u)),
        Value::Bool(b) => Ok(Key::Bool(*b)),
        Value::String(s) => Ok(Key::String(s.clone())),
        other => Err(fail(
            "@mapInsert",
            format!("unsupported map key type: {}", other.type_of()),
        )),
    }
}

fn key_text(key: &cel::objects::Key) -> String {
    use cel::objects::Key;
    match key {
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => u.to_string(),
        Key::Bool(b) => b.to_string(),
        Key::String(s) => s.to_string(),
    }
}
