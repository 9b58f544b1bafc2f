//! cel-go's `ext.Sets`, and the Kubernetes list (`isSorted`, `sum`, `min`, `max`,
//! `indexOf`, `lastIndexOf`, `includes`) and regex (`find`, `findAll`) libraries.

use std::cmp::Ordering;

use cel::common::types::{DYN_TYPE, INT_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::{as_int, as_str, fail, ret, value_fn};

/// The elements of a list argument.
fn elements<'b, 'v>(
    function: &str,
    list: &'b (dyn Val + 'v),
) -> Result<Vec<&'b (dyn Val + 'v)>, ExecutionError> {
    let mut items = list
        .as_iterable()
        .ok_or_else(|| fail(function, "no such overload"))?
        .iter();
    let mut out = Vec::new();
    while let Some(item) = items.next() {
        out.push(item);
    }
    Ok(out)
}

fn contains(haystack: &[&dyn Val], needle: &dyn Val) -> bool {
    haystack.iter().any(|item| item.equals(needle))
}

pub(super) fn register_sets(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(
        "sets.contains",
        "list_sets_contains_list",
        vec![LIST_TYPE, LIST_TYPE],
        sets_contains,
    )?;
    env.add_overload(
        "sets.equivalent",
        "list_sets_equivalent_list",
        vec![LIST_TYPE, LIST_TYPE],
        sets_equivalent,
    )?;
    env.add_overload(
        "sets.intersects",
        "list_sets_intersects_list",
        vec![LIST_TYPE, LIST_TYPE],
        sets_intersects,
    )?;
    Ok(())
}

fn bool_result<'b, 'v>(value: bool) -> Result<CowVal<'b, 'v>, ExecutionError> {
    ret(Value::Bool(value))
}

fn sets_contains<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = elements("sets.contains", args[0].as_ref())?;
    let b = elements("sets.contains", args[1].as_ref())?;
    bool_result(b.iter().all(|x| contains(&a, *x)))
}

fn sets_equivalent<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = elements("sets.equivalent", args[0].as_ref())?;
    let b = elements("sets.equivalent", args[1].as_ref())?;
    bool_result(b.iter().all(|x| contains(&a, *x)) && a.iter().all(|x| contains(&b, *x)))
}

fn sets_intersects<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = elements("sets.intersects", args[0].as_ref())?;
    let b = elements("sets.intersects", args[1].as_ref())?;
    bool_result(b.iter().any(|x| contains(&a, *x)))
}

pub(super) fn register_k8s_lists(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload(
        "isSorted",
        "list_is_sorted_bool",
        LIST_TYPE,
        vec![],
        is_sorted,
    )?;
    env.add_member_overload("sum", "list_sum", LIST_TYPE, vec![], sum)?;
    env.add_member_overload("min", "list_min", LIST_TYPE, vec![], min)?;
    env.add_member_overload("max", "list_max", LIST_TYPE, vec![], max)?;
    env.add_member_overload(
        "indexOf",
        "list_a_index_of_int",
        LIST_TYPE,
        vec![DYN_TYPE],
        index_of,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "list_a_last_index_of_int",
        LIST_TYPE,
        vec![DYN_TYPE],
        last_index_of,
    )?;
    env.add_member_overload(
        "includes",
        "list_includes_dyn_dyn",
        DYN_TYPE,
        vec![DYN_TYPE],
        includes,
    )?;
    Ok(())
}

fn compare(function: &str, a: &dyn Val, b: &dyn Val) -> Result<Ordering, ExecutionError> {
    a.as_comparer()
        .ok_or_else(|| fail(function, "no such overload"))?
        .compare(b)
}

fn is_sorted<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let items = elements("isSorted", args[0].as_ref())?;
    for pair in items.windows(2) {
        if compare("isSorted", pair[0], pair[1])? == Ordering::Greater {
            return bool_result(false);
        }
    }
    bool_result(true)
}

fn sum<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let items = elements("sum", args[0].as_ref())?;
    let Some((first, rest)) = items.split_first() else {
        // The zero of the list's static type; an empty list has none at runtime.
        return ret(Value::Int(0));
    };
    let mut acc: Box<dyn Val + 'v> = first.clone_as_boxed();
    for item in rest {
        let next = acc
            .as_adder()
            .ok_or_else(|| fail("sum", "no such overload"))?
            .add(*item)?
            .into_owned();
        acc = next;
    }
    Ok(CowVal::Owned(acc))
}

fn extreme<'b, 'v>(
    name: &str,
    args: Vec<CowVal<'b, 'v>>,
    prefer: Ordering,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let items = elements(name, args[0].as_ref())?;
    let Some((first, rest)) = items.split_first() else {
        return Err(fail(name, format!("{name} called on empty list")));
    };
    let mut best = *first;
    for item in rest {
        if compare(name, best, *item)? == prefer {
            best = *item;
        }
    }
    Ok(CowVal::Owned(best.clone_as_boxed()))
}

fn min<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme("min", args, Ordering::Greater)
}

fn max<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme("max", args, Ordering::Less)
}

fn index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let items = elements("indexOf", args[0].as_ref())?;
    let index = items.iter().position(|x| x.equals(args[1].as_ref()));
    ret(Value::Int(index.map_or(-1, |i| i as i64)))
}

fn last_index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let items = elements("lastIndexOf", args[0].as_ref())?;
    let index = items.iter().rposition(|x| x.equals(args[1].as_ref()));
    ret(Value::Int(index.map_or(-1, |i| i as i64)))
}

fn includes<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let target = args[0].as_ref();
    if target.get_type().kind() == cel::common::types::Kind::List {
        let items = elements("includes", target)?;
        return bool_result(contains(&items, args[1].as_ref()));
    }
    bool_result(target.equals(args[1].as_ref()))
}

pub(super) fn register_regex(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload(
        "find",
        "string_find_string",
        STRING_TYPE,
        vec![STRING_TYPE],
        find,
    )?;
    env.add_member_overload(
        "findAll",
        "string_find_all_string",
        STRING_TYPE,
        vec![STRING_TYPE],
        find_all,
    )?;
    env.add_member_overload(
        "findAll",
        "string_find_all_string_int",
        STRING_TYPE,
        vec![STRING_TYPE, INT_TYPE],
        find_all,
    )?;
    Ok(())
}

/// Compiles an RE2 pattern with Rust's `regex`, whose syntax is RE2's; the error text is
/// the `regex` crate's, not Go's.
fn compile(function: &str, pattern: &str) -> Result<regex::Regex, ExecutionError> {
    regex::Regex::new(pattern).map_err(|e| fail(function, format!("Illegal regex: {e}")))
}

value_fn!(find, |args| {
    let s = as_str("find", &args[0])?;
    let re = compile("find", as_str("find", &args[1])?)?;
    Ok(Value::from(re.find(s).map_or("", |m| m.as_str())))
});

value_fn!(find_all, |args| {
    let s = as_str("findAll", &args[0])?;
    let re = compile("findAll", as_str("findAll", &args[1])?)?;
    let limit = match args.get(2) {
        Some(n) => as_int("findAll", n)?,
        None => -1,
    };
    let found: Vec<Value> = if limit < 0 {
        re.find_iter(s).map(|m| Value::from(m.as_str())).collect()
    } else {
        re.find_iter(s)
            .take(limit as usize)
            .map(|m| Value::from(m.as_str()))
            .collect()
    };
    Ok(Value::List(found.into()))
});
