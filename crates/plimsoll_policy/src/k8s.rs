//! The CEL environment of the API server: the `cel` crate's standard library with optional
//! types, the extension libraries the API server registers (strings v2, sets, lists v3,
//! two-variable comprehensions), and the Kubernetes libraries (URLs, regex, lists, quantity,
//! IP and CIDR, format, semver).
//!
//! The environment holds everything the API server's *StoredExpressions* environment holds;
//! which of it a new expression may use at a given Kubernetes version is the checker's
//! business. Functions the API server never has stay out: `math.*`, `base64.*`, `cel.bind`
//! and the strings v3 `reverse` are not registered.
//!
//! Kubernetes values (`quantity`, `ip`, `cidr`, `url`, `semver`, formats) are
//! [`cel::Value::Opaque`] values of the types in this module, so a caller can recognise
//! them in a result. Errors raised by these libraries are
//! [`cel::ExecutionError::FunctionError`]s whose message is cel-go's; [`error_message`]
//! renders any evaluation error the way cel-go prints it.

mod comprehensions;
pub(crate) mod format;
mod lists;
mod net;
mod quantity;
mod semver;
mod strings;
mod url;

use std::sync::{Arc, OnceLock};

use cel::common::value::CowVal;
use cel::objects::Opaque;
use cel::{Env, ExecutionError, Value};

pub use comprehensions::{ENTRIES_FUNCTION, MAP_INSERT_FUNCTION};
pub use format::NamedFormat;
pub use net::{Cidr, Ip};
pub use quantity::Quantity;
pub use semver::Semver;
pub use url::Url;

/// The CEL environment every policy expression is evaluated in: cel's standard library
/// with optional types, plus every library the API server's StoredExpressions environment
/// has (version gating of what a new expression may use is the checker's job).
///
/// Built once and shared. Compile expressions with [`Env::compile`] (or [`Env::parser`]):
/// the two-variable comprehensions and `sortBy` are macros of this environment that
/// [`cel::Program::compile`] does not expand.
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(build().expect("the Kubernetes CEL libraries register cleanly")))
        .clone()
}

fn build() -> Result<Env, cel::DeclarationError> {
    let mut env = Env::stdlib();
    // cel-go keeps the last entry of a map literal that repeats a key.
    env.set_error_on_duplicate_map_keys(false);
    // The strings extension at version 2: see `strings` for why `format` comes first and
    // the `cel` crate's extension is expected to stop there.
    env.add_extension(strings::register_format)?;
    match env.add_extension(cel::extensions::strings) {
        Err(err) if strings::is_format_duplicate(&err) => {}
        Err(err) => return Err(err),
        Ok(()) => unreachable!("the strings extension declares `format`"),
    }
    env.add_extension(strings::register_quote)?;
    env.add_extension(cel::extensions::lists)?;
    env.add_extension(comprehensions::register)?;
    env.add_extension(lists::register_sets)?;
    env.add_extension(lists::register_k8s_lists)?;
    env.add_extension(lists::register_regex)?;
    env.add_extension(url::register)?;
    env.add_extension(quantity::register)?;
    env.add_extension(net::register)?;
    env.add_extension(format::register)?;
    env.add_extension(semver::register)?;
    Ok(env)
}

/// An evaluation error as cel-go prints it: the text after
/// `expression '<e>' resulted in error: ` in the API server's messages.
///
/// The Kubernetes libraries' errors are already cel-go's text; the `cel` crate's own errors
/// are mapped to cel-go's wording where one is known, and printed as they are otherwise.
pub fn error_message(err: &ExecutionError) -> String {
    match err {
        // cel's own conversions say why the text is not a number; cel-go says only that
        ExecutionError::FunctionError { function, message }
            if matches!(function.as_str(), "int" | "uint" | "double")
                && message.starts_with("string parse error") =>
        {
            format!("type conversion error from 'string' to '{function}'")
        }
        ExecutionError::FunctionError { message, .. } => message.clone(),
        ExecutionError::NoSuchKey(key) => format!("no such key: {key}"),
        ExecutionError::UndeclaredReference(name) => format!("no such attribute: {name}"),
        ExecutionError::NoSuchOverload(_)
        | ExecutionError::UnsupportedBinaryOperator(..)
        | ExecutionError::ValuesNotComparable(..) => "no such overload".to_owned(),
        ExecutionError::DivisionByZero(_) => "division by zero".to_owned(),
        ExecutionError::RemainderByZero(_) => "modulus by zero".to_owned(),
        ExecutionError::Overflow(..) => "integer overflow".to_owned(),
        ExecutionError::IndexOutOfBounds(index) => match index {
            Value::Int(i) => format!("index out of range: {i}"),
            Value::UInt(i) => format!("index out of range: {i}"),
            other => format!("index out of range: {other:?}"),
        },
        other => other.to_string(),
    }
}

/// An error of function `function` whose message is `message`, verbatim.
pub(crate) fn fail(function: &str, message: impl ToString) -> ExecutionError {
    ExecutionError::function_error(function, message)
}

/// The arguments of an overload as owned [`Value`]s.
pub(crate) fn values(args: &[CowVal<'_, '_>]) -> Result<Vec<Value>, ExecutionError> {
    args.iter().map(|a| Value::try_from(a.as_ref())).collect()
}

/// A [`Value`] as the result of an overload.
pub(crate) fn ret<'b, 'v>(value: Value) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let boxed: Box<dyn cel::common::value::Val> = value.try_into()?;
    Ok(CowVal::Owned(boxed))
}

/// An opaque value of this module's types.
pub(crate) fn opaque<T: Opaque>(value: T) -> Value {
    Value::Opaque(Arc::new(value))
}

/// `value` as a `T`, for an overload declared with `T`'s type.
pub(crate) fn downcast<'a, T: Opaque>(
    function: &str,
    value: &'a Value,
) -> Result<&'a T, ExecutionError> {
    match value {
        Value::Opaque(o) => o.downcast_ref::<T>(),
        _ => None,
    }
    .ok_or_else(|| fail(function, "no such overload"))
}

pub(crate) fn as_str<'a>(function: &str, value: &'a Value) -> Result<&'a str, ExecutionError> {
    match value {
        Value::String(s) => Ok(s.as_str()),
        _ => Err(fail(function, "no such overload")),
    }
}

pub(crate) fn as_int(function: &str, value: &Value) -> Result<i64, ExecutionError> {
    match value {
        Value::Int(i) => Ok(*i),
        _ => Err(fail(function, "no such overload")),
    }
}

/// `optional.of(value)`, or `optional.none()`.
pub(crate) fn optional(value: Option<Value>) -> Value {
    use cel::objects::OptionalValue;
    Value::Opaque(Arc::new(match value {
        Some(v) => OptionalValue::of(v),
        None => OptionalValue::none(),
    }))
}

/// Declares an overload implemented over owned [`Value`]s: `$imp(&[Value]) -> Result<Value>`.
macro_rules! value_fn {
    ($name:ident, $imp:expr) => {
        fn $name<'b, 'v>(
            args: Vec<cel::common::value::CowVal<'b, 'v>>,
        ) -> Result<cel::common::value::CowVal<'b, 'v>, cel::ExecutionError> {
            let args = $crate::k8s::values(&args)?;
            let imp: fn(&[cel::Value]) -> Result<cel::Value, cel::ExecutionError> = $imp;
            $crate::k8s::ret(imp(&args)?)
        }
    };
}
pub(crate) use value_fn;
