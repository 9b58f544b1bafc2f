//! The runtime cost of evaluating an expression, as cel-go charges it: an approximation.
//!
//! The API server evaluates every expression with cel-go's cost tracking on: each
//! expression may cost at most 1,000,000 (`PerCallLimit`), and the validations of one
//! policy, binding and param share a budget of 10,000,000 (reference 1.7). The `cel` crate
//! tracks no cost, so [`runtime_cost`] recomputes it from the AST, following cel-go's
//! `interpreter/runtimecost.go` and Kubernetes' `cel/library/cost.go`:
//!
//! * an identifier or a field selection costs 1, a presence test (`has()`) 0, a literal 0;
//! * a list literal costs 10, a map literal 30 (0 when every element is a literal, as
//!   cel-go folds them into constants);
//! * a call costs 1, but string functions cost in proportion to the length of their
//!   arguments (`startsWith`: 0.1 per character, `matches`: the string's length times the
//!   regex's, `==` on strings: 0.1 per character of the shorter, ...), list functions in
//!   proportion to the list (`in`, `isSorted`, `sum`, ...), and an authorization check
//!   350,000;
//! * `&&`, `||` and `?:` cost only the branches evaluated;
//! * a comprehension costs its range, its initial value, its condition and step for every
//!   iteration it runs (cel-go stops `all` at the first `false`), and its result.
//!
//! It is an approximation: cel-go's planner folds and rewrites some expressions in ways
//! this walk doesn't see, and the two-variable comprehensions and `sortBy` are expanded
//! differently here. Figures stay within a few percent of cel-go's for ordinary policy
//! expressions, and every expression that goes past the per-call limit in cel-go goes past
//! it here.

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators};
use cel::{Context, ExecutionError, Value};

/// cel-go's per-expression limit (`PerCallLimit`).
pub const PER_CALL_LIMIT: u64 = 1_000_000;

/// Counting stops past this: any expression costing more fails on its own.
const CAP: u64 = PER_CALL_LIMIT + 1;

const STRING_TRAVERSAL: f64 = 0.1;
const REGEX_LENGTH: f64 = 0.25;
const LIST_CREATE: u64 = 10;
const MAP_CREATE: u64 = 30;
const STRUCT_CREATE: u64 = 40;
const AUTHZ_CHECK: u64 = 350_000;

/// An approximation of cel-go's actual cost of evaluating `program` in `context`.
///
/// Without a comprehension, the figure is static: every node of the expression counted
/// once (both sides of `&&`, the dearer branch of `?:`), string lengths those of the
/// literals, nothing evaluated. With one, the expression is walked as the interpreter
/// runs it: ranges, conditions and the arguments of string and list functions are
/// evaluated in `context` to know how many iterations run and how long the strings are.
/// Counting stops a little past [`PER_CALL_LIMIT`]: a figure above it means "over".
///
/// # Errors
///
/// The error evaluating a comprehension's range, or a condition every later step depends
/// on: the expression fails when it runs, whatever its cost.
pub fn runtime_cost(program: &cel::Program, context: &Context) -> Result<u64, ExecutionError> {
    let root = program.expression();
    if !has_comprehension(root) {
        return Ok(static_cost(root).min(CAP));
    }
    let mut walker = Walker { total: 0 };
    match walker.cost(root, context) {
        Ok(_) | Err(Stop::Cap) => Ok(walker.total.min(CAP)),
        Err(Stop::Error(e)) => Err(e),
    }
}

/// What can be said of an expression's cost without evaluating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The static figure: every node once, the literals' string lengths.
    pub static_cost: u64,
    /// How deep comprehensions nest (0: none).
    pub depth: u32,
    /// Whether the expression builds collections of a size no input bounds
    /// (`lists.range(n)`, `split`, `findAll`): ranges over them are not bounded by the
    /// inputs' sizes.
    pub generates: bool,
}

/// The [`Shape`] of `program`.
pub fn shape(program: &cel::Program) -> Shape {
    /// `in_range`: inside what a comprehension ranges over.
    fn walk(e: &IdedExpr, depth: u32, in_range: bool, max: &mut u32, generates: &mut bool) {
        if let Expr::Call(call) = &e.expr
            && matches!(call.func_name.as_str(), "range" | "split" | "findAll")
        {
            *generates = true;
        }
        // a policy's variable may hold anything (`lists.range(n)`): a loop over one is
        // not bounded by the inputs' sizes
        if in_range && matches!(&e.expr, Expr::Ident(name) if name == "variables") {
            *generates = true;
        }
        *max = (*max).max(depth);
        let mut go = |e: &IdedExpr, d: u32, r: bool| walk(e, d, r, max, generates);
        match &e.expr {
            Expr::Comprehension(c) => {
                go(&c.iter_range, depth, true);
                go(&c.accu_init, depth, in_range);
                go(&c.loop_cond, depth + 1, in_range);
                go(&c.loop_step, depth + 1, in_range);
                go(&c.result, depth, in_range);
            }
            Expr::Call(call) => {
                if let Some(t) = call.target.as_deref() {
                    go(t, depth, in_range);
                }
                for a in &call.args {
                    go(a, depth, in_range);
                }
            }
            Expr::Select(select) => go(&select.operand, depth, in_range),
            Expr::List(list) => list.elements.iter().for_each(|x| go(x, depth, in_range)),
            Expr::Map(map) => {
                for entry in &map.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(entry) => {
                            go(&entry.key, depth, in_range);
                            go(&entry.value, depth, in_range);
                        }
                        EntryExpr::StructField(field) => go(&field.value, depth, in_range),
                    }
                }
            }
            Expr::Struct(st) => {
                for entry in &st.entries {
                    match &entry.expr {
                        EntryExpr::StructField(field) => go(&field.value, depth, in_range),
                        EntryExpr::MapEntry(entry) => go(&entry.value, depth, in_range),
                    }
                }
            }
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
    let root = program.expression();
    let (mut depth, mut generates) = (0, false);
    walk(root, 0, false, &mut depth, &mut generates);
    Shape {
        static_cost: static_cost(root).min(CAP),
        depth,
        generates,
    }
}

/// A bound of what `shape`'s expression costs when no list, map or string it ranges
/// over holds more than `items` entries: its static figure for each iteration of each
/// level of nesting, with room for the strings the body reads. `None` when no such
/// bound holds (the expression builds what it ranges over) or when the bound is too
/// close to [`PER_CALL_LIMIT`] to stand for the cost: then [`runtime_cost`] must count.
pub fn bound(shape: &Shape, items: u64) -> Option<u64> {
    if shape.depth == 0 {
        return Some(shape.static_cost);
    }
    if shape.generates {
        return None;
    }
    let mut b = shape.static_cost;
    for _ in 0..shape.depth {
        b = b.checked_mul(items + 1)?;
    }
    // strings read in the body cost 0.1 per character: room for ~100 per read
    (b.checked_mul(10)? <= PER_CALL_LIMIT / 10).then_some(b)
}

fn has_comprehension(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::Comprehension(_) => true,
        Expr::Call(call) => {
            call.target.as_deref().is_some_and(has_comprehension)
                || call.args.iter().any(has_comprehension)
        }
        Expr::Select(select) => has_comprehension(&select.operand),
        Expr::List(list) => list.elements.iter().any(has_comprehension),
        Expr::Map(map) => map.entries.iter().any(|entry| match &entry.expr {
            EntryExpr::MapEntry(entry) => {
                has_comprehension(&entry.key) || has_comprehension(&entry.value)
            }
            EntryExpr::StructField(field) => has_comprehension(&field.value),
        }),
        Expr::Struct(s) => s.entries.iter().any(|entry| match &entry.expr {
            EntryExpr::StructField(field) => has_comprehension(&field.value),
            EntryExpr::MapEntry(entry) => has_comprehension(&entry.value),
        }),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => false,
    }
}

/// Whether a literal list or map: cel-go plans it as a constant, at no cost.
fn is_constant(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::Literal(_) => true,
        Expr::List(list) => {
            list.optional_indices.is_empty() && list.elements.iter().all(is_constant)
        }
        Expr::Map(map) => map.entries.iter().all(|entry| match &entry.expr {
            EntryExpr::MapEntry(entry) => {
                !entry.optional && is_constant(&entry.key) && is_constant(&entry.value)
            }
            EntryExpr::StructField(_) => false,
        }),
        _ => false,
    }
}

fn ceil(x: f64) -> u64 {
    x.ceil() as u64
}

/// The size cel-go's cost functions take of a value: characters of a string, bytes,
/// elements of a list or map, 1 for anything else.
fn size(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.chars().count() as u64,
        Value::Bytes(b) => b.len() as u64,
        Value::List(l) => l.len() as u64,
        Value::Map(m) => m.map.len() as u64,
        _ => 1,
    }
}

/// A value of a literal, for the static figure; `None` when not a literal.
fn literal_value(e: &IdedExpr) -> Option<Value> {
    match &e.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(Value::String(s.to_string().into())),
        Expr::Literal(LiteralValue::Bytes(b)) => Some(Value::Bytes(b.as_ref().to_vec().into())),
        _ => None,
    }
}

/// Whether the cost of calling `function` depends on its arguments' values.
fn sized(function: &str) -> bool {
    matches!(
        function,
        "startsWith"
            | "endsWith"
            | "@in"
            | "_==_"
            | "_!=_"
            | "_<_"
            | "_<=_"
            | "_>_"
            | "_>=_"
            | "_+_"
            | "matches"
            | "contains"
            | "format"
            | "url"
            | "lowerAscii"
            | "upperAscii"
            | "substring"
            | "trim"
            | "replace"
            | "split"
            | "join"
            | "find"
            | "findAll"
            | "cidr"
            | "isIP"
            | "isCIDR"
            | "ip"
            | "ip.isCanonical"
            | "containsIP"
            | "containsCIDR"
            | "quantity"
            | "isQuantity"
            | "semver"
            | "isSemver"
            | "fieldSelector"
            | "labelSelector"
            | "isSorted"
            | "sum"
            | "max"
            | "min"
            | "indexOf"
            | "lastIndexOf"
            | "sets.contains"
            | "sets.equivalent"
            | "sets.intersects"
            | "validate"
    )
}

/// The cost of one call of `function`, given its arguments (the target first) where known
/// (`None` for an argument whose value isn't known: size 1).
fn call_cost(function: &str, args: &[Option<Value>], result: Option<&Value>) -> u64 {
    let arg = |i: usize| args.get(i).and_then(Option::as_ref);
    let size_of = |i: usize| arg(i).map_or(1, size);
    let is_text = |i: usize| matches!(arg(i), Some(Value::String(_) | Value::Bytes(_)));
    let traversal = |n: u64| ceil(n as f64 * STRING_TRAVERSAL);
    let regex = |text: u64, pattern: u64| {
        ceil((1.0 + text as f64) * STRING_TRAVERSAL) * ceil(pattern as f64 * REGEX_LENGTH)
    };
    match function {
        "check" => AUTHZ_CHECK,
        "startsWith" | "endsWith" => traversal(size_of(1)),
        "@in" => match arg(1) {
            Some(Value::List(l)) => l.len() as u64,
            _ => 1,
        },
        "_==_" | "_!=_" => match (arg(0), arg(1)) {
            (Some(Value::Opaque(_)), _) => 1,
            _ => traversal(size_of(0).min(size_of(1))),
        },
        "_<_" | "_<=_" | "_>_" | "_>=_" if is_text(0) => traversal(size_of(0).min(size_of(1))),
        "_+_" if is_text(0) => traversal(size_of(0) + size_of(1)),
        "matches" | "find" | "findAll" => regex(size_of(0), size_of(1)),
        "contains" if is_text(0) => traversal(size_of(0)) * traversal(size_of(1)),
        "format" | "url" | "lowerAscii" | "upperAscii" | "substring" | "trim" | "cidr" | "isIP"
        | "isCIDR" | "quantity" | "isQuantity" | "semver" | "isSemver" => traversal(size_of(0)),
        "ip" if is_text(0) => traversal(size_of(0)),
        "ip.isCanonical" | "replace" | "split" => ceil(size_of(0) as f64 * 2.0 * STRING_TRAVERSAL),
        "join" => ceil(result.map_or(1, size) as f64 * 2.0 * STRING_TRAVERSAL),
        "fieldSelector" | "labelSelector" => traversal(size_of(1)),
        "containsIP" | "containsCIDR" => {
            let base = traversal(2 * size_of(0));
            if is_text(1) {
                base + traversal(size_of(1))
            } else {
                base
            }
        }
        "isSorted" | "sum" | "max" | "min" | "indexOf" | "lastIndexOf" => {
            if is_text(0) {
                traversal(size_of(0))
            } else {
                size_of(0)
            }
        }
        "sets.contains" | "sets.equivalent" | "sets.intersects" => size_of(0) * size_of(1),
        // A format's regex is at most a few hundred characters: the largest is assumed.
        "validate" => regex(size_of(1), 256),
        _ => 1,
    }
}

/// The static figure: every node once.
fn static_cost(e: &IdedExpr) -> u64 {
    match &e.expr {
        Expr::Literal(_) | Expr::Unspecified => 0,
        Expr::Ident(_) => 1,
        Expr::Select(select) => static_cost(&select.operand) + u64::from(!select.test),
        Expr::List(list) => {
            let inner: u64 = list.elements.iter().map(static_cost).sum();
            inner + if is_constant(e) { 0 } else { LIST_CREATE }
        }
        Expr::Map(map) => {
            let inner: u64 = map
                .entries
                .iter()
                .map(|entry| match &entry.expr {
                    EntryExpr::MapEntry(entry) => {
                        static_cost(&entry.key) + static_cost(&entry.value)
                    }
                    EntryExpr::StructField(field) => static_cost(&field.value),
                })
                .sum();
            inner + if is_constant(e) { 0 } else { MAP_CREATE }
        }
        Expr::Struct(s) => {
            let inner: u64 = s
                .entries
                .iter()
                .map(|entry| match &entry.expr {
                    EntryExpr::StructField(field) => static_cost(&field.value),
                    EntryExpr::MapEntry(entry) => static_cost(&entry.value),
                })
                .sum();
            inner + STRUCT_CREATE
        }
        Expr::Comprehension(comp) => {
            static_cost(&comp.iter_range)
                + static_cost(&comp.accu_init)
                + static_cost(&comp.loop_cond)
                + static_cost(&comp.loop_step)
                + static_cost(&comp.result)
        }
        Expr::Call(call) => {
            let name = call.func_name.as_str();
            let parts: u64 = call.target.iter().map(|t| static_cost(t)).sum::<u64>()
                + call.args.iter().map(static_cost).sum::<u64>();
            match name {
                operators::LOGICAL_AND | operators::LOGICAL_OR => parts,
                operators::CONDITIONAL => match call.args.as_slice() {
                    [cond, yes, no] => static_cost(cond) + static_cost(yes).max(static_cost(no)),
                    _ => parts,
                },
                operators::INDEX | operators::OPT_INDEX | operators::OPT_SELECT => parts + 1,
                _ => {
                    let values: Vec<Option<Value>> = call
                        .target
                        .iter()
                        .map(|t| literal_value(t))
                        .chain(call.args.iter().map(literal_value))
                        .collect();
                    parts + call_cost(name, &values, None)
                }
            }
        }
    }
}

enum Stop {
    /// Past the cap: the rest is not counted.
    Cap,
    Error(ExecutionError),
}

impl From<ExecutionError> for Stop {
    fn from(e: ExecutionError) -> Self {
        Stop::Error(e)
    }
}

struct Walker {
    total: u64,
}

/// The value of a node when the walk found it on the way, `None` when it didn't.
type Found = Result<Option<Value>, Stop>;

impl Walker {
    fn add(&mut self, cost: u64) -> Result<(), Stop> {
        self.total = self.total.saturating_add(cost);
        if self.total > CAP {
            Err(Stop::Cap)
        } else {
            Ok(())
        }
    }

    /// The value of `e`: found on the way, or evaluated.
    fn value(found: Option<Value>, e: &IdedExpr, ctx: &Context) -> Result<Value, ExecutionError> {
        match found {
            Some(v) => Ok(v),
            None => Value::resolve(e, ctx),
        }
    }

    /// Adds the cost of evaluating `e` in `ctx`.
    fn cost(&mut self, e: &IdedExpr, ctx: &Context) -> Found {
        match &e.expr {
            Expr::Literal(_) | Expr::Unspecified => Ok(None),
            Expr::Ident(_) => self.add(1).map(|()| None),
            Expr::Select(select) => {
                self.cost(&select.operand, ctx)?;
                self.add(u64::from(!select.test)).map(|()| None)
            }
            Expr::List(list) => {
                for element in &list.elements {
                    self.cost(element, ctx)?;
                }
                let create = if is_constant(e) { 0 } else { LIST_CREATE };
                self.add(create).map(|()| None)
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(entry) => {
                            self.cost(&entry.key, ctx)?;
                            self.cost(&entry.value, ctx)?;
                        }
                        EntryExpr::StructField(field) => {
                            self.cost(&field.value, ctx)?;
                        }
                    }
                }
                let create = if is_constant(e) { 0 } else { MAP_CREATE };
                self.add(create).map(|()| None)
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    match &entry.expr {
                        EntryExpr::StructField(field) => self.cost(&field.value, ctx)?,
                        EntryExpr::MapEntry(entry) => self.cost(&entry.value, ctx)?,
                    };
                }
                self.add(STRUCT_CREATE).map(|()| None)
            }
            Expr::Call(call) => self.call(e, call, ctx),
            Expr::Comprehension(comp) => self.comprehension(comp, ctx).map(Some),
        }
    }

    fn call(&mut self, e: &IdedExpr, call: &cel::common::ast::CallExpr, ctx: &Context) -> Found {
        let name = call.func_name.as_str();
        match name {
            operators::LOGICAL_AND | operators::LOGICAL_OR => {
                let stop_at = name == operators::LOGICAL_OR;
                let mut all_known = true;
                for (i, arg) in call.args.iter().enumerate() {
                    let found = self.cost(arg, ctx)?;
                    if i + 1 == call.args.len() {
                        return Ok(found.filter(|_| all_known));
                    }
                    match Self::value(found, arg, ctx) {
                        Ok(Value::Bool(b)) if b == stop_at => return Ok(Some(Value::Bool(b))),
                        Ok(Value::Bool(_)) => {}
                        _ => all_known = false,
                    }
                }
                Ok(None)
            }
            operators::CONDITIONAL => {
                let [cond, yes, no] = call.args.as_slice() else {
                    return Ok(None);
                };
                let found = self.cost(cond, ctx)?;
                match Self::value(found, cond, ctx)? {
                    Value::Bool(true) => self.cost(yes, ctx),
                    Value::Bool(false) => self.cost(no, ctx),
                    _ => Ok(None),
                }
            }
            // The Kubernetes expansion of two-variable comprehensions: `@it[0]` and
            // `@it[1]` are the variables themselves, `@twoVarEntries` the range.
            operators::INDEX if is_two_var_item(call) => Ok(None),
            "@twoVarEntries" => {
                for arg in &call.args {
                    self.cost(arg, ctx)?;
                }
                Ok(None)
            }
            _ => {
                for part in call.target.iter().map(|t| &**t).chain(&call.args) {
                    self.cost(part, ctx)?;
                }
                let scalar_operand = matches!(
                    name,
                    "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" | "_+_"
                ) && call.args.iter().any(is_literal_scalar)
                    || name == operators::ADD
                        && call
                            .args
                            .iter()
                            .any(|arg| matches!(arg.expr, Expr::List(_) | Expr::Map(_)));
                if !sized(name) && name != "check" || scalar_operand {
                    self.add(1)?;
                    return Ok(None);
                }
                let values: Vec<Option<Value>> = call
                    .target
                    .iter()
                    .map(|t| &**t)
                    .chain(&call.args)
                    .map(|part| Value::resolve(part, ctx).ok())
                    .collect();
                let result = if name == "join" {
                    Value::resolve(e, ctx).ok()
                } else {
                    None
                };
                self.add(call_cost(name, &values, result.as_ref()))?;
                Ok(result)
            }
        }
    }

    /// Adds the cost of a comprehension, and returns its value.
    fn comprehension(
        &mut self,
        comp: &cel::common::ast::ComprehensionExpr,
        ctx: &Context,
    ) -> Result<Value, Stop> {
        let found = self.cost(&comp.accu_init, ctx)?;
        let mut accu = Self::value(found, &comp.accu_init, ctx)?;
        // A `cel.bind`: an empty range, nothing iterated.
        if let Expr::List(list) = &comp.iter_range.expr
            && list.elements.is_empty()
        {
            let mut scope = ctx.new_inner_scope();
            scope.add_variable_from_value(comp.accu_var.clone(), accu);
            let found = self.cost(&comp.result, &scope)?;
            return Ok(Self::value(found, &comp.result, &scope)?);
        }
        let found = self.cost(&comp.iter_range, ctx)?;
        let items: Vec<Value> = match Self::value(found, &comp.iter_range, ctx)? {
            Value::List(list) => list.iter().cloned().collect(),
            Value::Map(map) => map.map.keys().map(Value::from).collect(),
            _ => Vec::new(),
        };
        let cond = LoopCondition::of(&comp.loop_cond, &comp.accu_var);
        for item in items {
            let mut scope = ctx.new_inner_scope();
            scope.add_variable_from_value(comp.accu_var.clone(), accu.clone());
            let proceed = match cond {
                LoopCondition::Always => true,
                LoopCondition::UntilFalse => {
                    self.add(static_cost(&comp.loop_cond))?;
                    !matches!(accu, Value::Bool(false))
                }
                LoopCondition::UntilTrue => {
                    self.add(static_cost(&comp.loop_cond))?;
                    !matches!(accu, Value::Bool(true))
                }
                LoopCondition::Other => {
                    let found = self.cost(&comp.loop_cond, &scope)?;
                    !matches!(
                        Self::value(found, &comp.loop_cond, &scope),
                        Ok(Value::Bool(false))
                    )
                }
            };
            if !proceed {
                break;
            }
            scope.add_variable_from_value(comp.iter_var.clone(), item);
            let found = self.cost(&comp.loop_step, &scope)?;
            if let Ok(next) = Self::value(found, &comp.loop_step, &scope) {
                accu = next;
            }
        }
        let mut scope = ctx.new_inner_scope();
        scope.add_variable_from_value(comp.accu_var.clone(), accu);
        let found = self.cost(&comp.result, &scope)?;
        Ok(Self::value(found, &comp.result, &scope)?)
    }
}

/// The loop conditions of the standard macros, known from the accumulator alone.
#[derive(Clone, Copy)]
enum LoopCondition {
    /// `true`: `map`, `filter`, `exists_one`.
    Always,
    /// `@not_strictly_false(@result)`: `all`.
    UntilFalse,
    /// `@not_strictly_false(!@result)`: `exists`.
    UntilTrue,
    Other,
}

impl LoopCondition {
    fn of(cond: &IdedExpr, accu: &str) -> Self {
        let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(name) if name == accu);
        match &cond.expr {
            Expr::Literal(LiteralValue::Boolean(b)) if *b.inner() => LoopCondition::Always,
            Expr::Call(call) if call.func_name == operators::NOT_STRICTLY_FALSE => {
                match call.args.as_slice() {
                    [arg] if is_accu(arg) => LoopCondition::UntilFalse,
                    [
                        IdedExpr {
                            expr: Expr::Call(not),
                            ..
                        },
                    ] if not.func_name == operators::LOGICAL_NOT
                        && matches!(not.args.as_slice(), [arg] if is_accu(arg)) =>
                    {
                        LoopCondition::UntilTrue
                    }
                    _ => LoopCondition::Other,
                }
            }
            _ => LoopCondition::Other,
        }
    }
}

/// A literal that isn't a string or bytes: size 1 for cel-go's cost functions.
fn is_literal_scalar(e: &IdedExpr) -> bool {
    matches!(
        &e.expr,
        Expr::Literal(
            LiteralValue::Boolean(_)
                | LiteralValue::Int(_)
                | LiteralValue::UInt(_)
                | LiteralValue::Double(_)
                | LiteralValue::Null
        )
    )
}

fn is_two_var_item(call: &cel::common::ast::CallExpr) -> bool {
    matches!(
        call.args.as_slice(),
        [IdedExpr { expr: Expr::Ident(name), .. }, IdedExpr { expr: Expr::Literal(LiteralValue::Int(_)), .. }]
            if name == "@it"
    )
}
