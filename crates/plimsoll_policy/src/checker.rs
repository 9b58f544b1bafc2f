//! cel-go's compile-time verdicts on an expression, for a Kubernetes version.
//!
//! The API server compiles every expression of a ValidatingAdmissionPolicy with cel-go's
//! type checker before it runs anything: an undeclared variable or function, even in a
//! branch never taken, a call no overload accepts, a mixed list literal or an invalid
//! regex literal is a compile error, and the result type must be exactly the one the field
//! wants. The `cel` crate only parses and interprets; [`check`] is the checker it lacks,
//! a port of cel-go's `checker` package and of the AST validators Kubernetes enables,
//! over the declarations of the admission environment (`admission/plugin/cel/compile.go`)
//! and the libraries of the Kubernetes minor version asked for
//! (`cel/environment/base.go`).
//!
//! Known differences from cel-go:
//!
//! * regexes are compiled with Rust's `regex`, close to RE2 but not the same, and the text
//!   of a bad constant regex in `find` and `findAll` only approximates Go's;
//! * a two-variable macro or `sortBy` missing from the environment is reported from the
//!   source text, the expanded AST having lost the call: the function and the variables
//!   written as its first arguments are undeclared, as in cel-go;
//! * `optMap` and `optFlatMap` before 1.28 report the optional functions they expand to
//!   as undeclared, not the macro;
//! * parse errors are the `cel` crate's, not cel-go's.
//!
//! ```
//! use plimsoll_policy::checker::{check, expect, Decls, Mode, Type};
//!
//! let decls = Decls { minor: 31, mode: Mode::New, params: false, authorizer: false, variables: vec![], without_variables: false };
//! let source = "object.spec.paused";
//! let program = cel::Program::compile(source).unwrap();
//! let found = check(&program, source, &decls).unwrap();
//! assert_eq!(found, Type::Dyn);
//! assert_eq!(expect(&found, &[Type::Bool]).unwrap_err(), "must evaluate to bool but got dyn");
//! ```

mod literals;
mod table;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;
use table::{Lib, Overload};

/// The type of a CEL expression, as cel-go's checker infers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Dyn,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Duration,
    Timestamp,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Optional(Box<Type>),
    TypeType,
    /// A type of a Kubernetes library, by its cel-go name: `kubernetes.Quantity`, `net.IP`,
    /// `net.CIDR`, `kubernetes.URL`, `kubernetes.Semver`, `kubernetes.NamedFormat`,
    /// `kubernetes.authorization.Authorizer`, `kubernetes.authorization.ResourceCheck`, ...
    Opaque(&'static str),
    /// A typed object: `kubernetes.AdmissionRequest` (`request`), `kubernetes.Namespace`
    /// (`namespaceObject`) and their nested types, `kubernetes.variables`.
    Object(&'static str),
}

/// Prints the type as cel-go's `Type.String()` does, which is what the API server's
/// `must evaluate to` messages show.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Dyn => f.write_str("dyn"),
            Type::Null => f.write_str("null_type"),
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Uint => f.write_str("uint"),
            Type::Double => f.write_str("double"),
            Type::String => f.write_str("string"),
            Type::Bytes => f.write_str("bytes"),
            Type::Duration => f.write_str("google.protobuf.Duration"),
            Type::Timestamp => f.write_str("google.protobuf.Timestamp"),
            Type::List(e) => write!(f, "list({e})"),
            Type::Map(k, v) => write!(f, "map({k}, {v})"),
            Type::Optional(t) => write!(f, "optional_type({t})"),
            Type::TypeType => f.write_str("type"),
            Type::Opaque(name) | Type::Object(name) => f.write_str(name),
        }
    }
}

/// Which of the API server's two environments compiles the expression (reference 1.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `NewExpressions`: a policy created or updated with this expression. Only the
    /// libraries the previous minor version already had are there, so that a rollback
    /// can still run the policy.
    New,
    /// `StoredExpressions`: an expression already stored, and every expression at
    /// runtime. Every library of the version is there.
    Stored,
}

/// What an expression is compiled against.
#[derive(Clone, Debug, PartialEq)]
pub struct Decls {
    /// The Kubernetes minor version: 31 for 1.31.
    pub minor: u32,
    pub mode: Mode,
    /// Whether `params` is declared: the policy has a `paramKind`.
    pub params: bool,
    /// Whether `authorizer` and `authorizer.requestResource` are declared: everywhere but
    /// in a `messageExpression`.
    pub authorizer: bool,
    /// The policy's variables declared before this expression, with the types their
    /// expressions were found to have. A variable that failed to compile is `Dyn`.
    ///
    /// The API server records them through `convertCelTypeToDeclType`, which keeps the
    /// primitive types, lists and maps and turns every other type (a Kubernetes library
    /// type, an optional, a typed object) into `dyn`: [`check`] does the same.
    pub variables: Vec<(String, Type)>,
    /// Whether `variables` is not declared at all: a policy's match conditions, which
    /// the API server compiles without them.
    pub without_variables: bool,
}

/// Where a [`CompileError`] comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `env.Compile`: parsing, type checking, AST validators. The API server reports
    /// `compilation failed: <message>`.
    Compile,
    /// `env.Program`: a constant regex that doesn't compile (cel-go compiles them up front).
    /// The API server reports `program instantiation failed: <message>`, and only after the
    /// result type was found right: `output` is that type, for [`expect`].
    Program { output: Type },
}

/// A compile error as the API server reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The text after `compilation failed: ` (or `program instantiation failed: `), as
    /// cel-go prints it: every error, `ERROR: <input>:L:C: <what>`, the source line and a
    /// caret, in source order, one after the other.
    pub message: String,
    pub phase: Phase,
}

impl CompileError {
    /// The full text of the API server's error: `compilation failed: ERROR: ...`.
    pub fn detail(&self) -> String {
        match self.phase {
            Phase::Compile => format!("compilation failed: {}", self.message),
            Phase::Program { .. } => format!("program instantiation failed: {}", self.message),
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail())
    }
}

impl std::error::Error for CompileError {}

/// The API server's verdict on the result type `found`: `Ok` when it is exactly one of
/// `expected` (an empty `expected` accepts anything, as for variables), else the message
/// of `CompileCELExpression`: `must evaluate to bool but got dyn`, or
/// `must evaluate to one of [string null_type] but got int`.
pub fn expect(found: &Type, expected: &[Type]) -> Result<(), String> {
    if expected.is_empty() || expected.contains(found) {
        return Ok(());
    }
    if let [only] = expected {
        return Err(format!("must evaluate to {only} but got {found}"));
    }
    let names: Vec<String> = expected.iter().map(Type::to_string).collect();
    Err(format!(
        "must evaluate to one of [{}] but got {found}",
        names.join(" ")
    ))
}

/// Type-checks `program`, compiled from `source`, as the API server of `decls.minor` does
/// in the environment `decls.mode`, and returns the expression's type.
///
/// `program` must have been compiled with the macros of the environment it runs in (the
/// standard ones, the optional and lists extensions', two-variable comprehensions): they
/// are expanded before checking, as in cel-go.
pub fn check(program: &cel::Program, source: &str, decls: &Decls) -> Result<Type, CompileError> {
    let mut checker = Checker::new(program, source, decls);
    let root = program.expression();
    // The optional syntax is a parse error without optional types: nothing is checked.
    if !checker.has(Lib::Optional) {
        checker.unsupported_syntax(root);
        if !checker.errors.is_empty() {
            return Err(CompileError {
                message: checker.render_errors(),
                phase: Phase::Compile,
            });
        }
    }
    let t = checker.check(root);
    let output = checker.substitute(&t, true);
    if checker.errors.is_empty() {
        checker.validate(root, false);
    }
    if !checker.errors.is_empty() {
        return Err(CompileError {
            message: checker.render_errors(),
            phase: Phase::Compile,
        });
    }
    let output = to_public(&output);
    if let Some(message) = checker.program_error(root) {
        return Err(CompileError {
            message,
            phase: Phase::Program { output },
        });
    }
    Ok(output)
}

/// cel-go's types, with its type parameters and its error type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum T {
    Dyn,
    Error,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Duration,
    Timestamp,
    List(Box<T>),
    Map(Box<T>, Box<T>),
    Opt(Box<T>),
    Type(Box<T>),
    /// A Kubernetes library type (cel-go declares them as object types without fields).
    Opaque(&'static str),
    /// A typed object with fields.
    Object(&'static str),
    /// A type parameter: table letters are below 128, fresh variables above.
    Param(u32),
}

const FRESH: u32 = 1 << 16;

impl T {
    fn is_dyn_or_error(&self) -> bool {
        matches!(self, T::Dyn | T::Error)
    }
}

/// Formats a type as cel-go's checker errors do (`FormatCELType`).
fn format_type(t: &T) -> String {
    match t {
        T::Dyn => "dyn".into(),
        T::Error => "!error!".into(),
        T::Null => "null".into(),
        T::Bool => "bool".into(),
        T::Int => "int".into(),
        T::Uint => "uint".into(),
        T::Double => "double".into(),
        T::String => "string".into(),
        T::Bytes => "bytes".into(),
        T::Duration => "duration".into(),
        T::Timestamp => "timestamp".into(),
        T::List(e) => format!("list({})", format_type(e)),
        T::Map(k, v) => format!("map({}, {})", format_type(k), format_type(v)),
        T::Opt(e) => format!("optional_type({})", format_type(e)),
        T::Type(e) => format!("type({})", format_type(e)),
        T::Opaque(name) | T::Object(name) => (*name).into(),
        T::Param(n) if *n >= FRESH => format!("_var{}", n - FRESH),
        T::Param(n) => char::from_u32(*n).unwrap_or('T').to_string(),
    }
}

fn to_public(t: &T) -> Type {
    match t {
        T::Dyn | T::Error | T::Param(_) => Type::Dyn,
        T::Null => Type::Null,
        T::Bool => Type::Bool,
        T::Int => Type::Int,
        T::Uint => Type::Uint,
        T::Double => Type::Double,
        T::String => Type::String,
        T::Bytes => Type::Bytes,
        T::Duration => Type::Duration,
        T::Timestamp => Type::Timestamp,
        T::List(e) => Type::List(Box::new(to_public(e))),
        T::Map(k, v) => Type::Map(Box::new(to_public(k)), Box::new(to_public(v))),
        T::Opt(e) => Type::Optional(Box::new(to_public(e))),
        T::Type(_) => Type::TypeType,
        T::Opaque(name) => Type::Opaque(name),
        T::Object(name) => Type::Object(name),
    }
}

/// A declared variable's type as the API server records it in `variables`
/// (`convertCelTypeToDeclType`): primitives, lists and maps are kept, anything else is dyn.
fn variable_type(t: &Type) -> T {
    match t {
        Type::Null => T::Null,
        Type::Bool => T::Bool,
        Type::Int => T::Int,
        Type::Uint => T::Uint,
        Type::Double => T::Double,
        Type::String => T::String,
        Type::Bytes => T::Bytes,
        Type::Duration => T::Duration,
        Type::Timestamp => T::Timestamp,
        Type::List(e) => T::List(Box::new(variable_type(e))),
        Type::Map(k, v) => T::Map(Box::new(variable_type(k)), Box::new(variable_type(v))),
        Type::Dyn | Type::Optional(_) | Type::TypeType | Type::Opaque(_) | Type::Object(_) => {
            T::Dyn
        }
    }
}

/// The fields of the typed objects of the admission environment (`BuildRequestType`,
/// `BuildNamespaceType`): `None` when `object` has no such field.
fn object_field(object: &str, field: &str) -> Option<T> {
    let string = || T::String;
    let strings = || T::List(Box::new(T::String));
    Some(match (object, field) {
        ("kubernetes.AdmissionRequest", "kind" | "requestKind") => {
            T::Object("kubernetes.GroupVersionKind")
        }
        ("kubernetes.AdmissionRequest", "resource" | "requestResource") => {
            T::Object("kubernetes.GroupVersionResource")
        }
        (
            "kubernetes.AdmissionRequest",
            "subResource" | "requestSubResource" | "name" | "namespace" | "operation",
        ) => string(),
        ("kubernetes.AdmissionRequest", "userInfo") => T::Object("kubernetes.UserInfo"),
        ("kubernetes.AdmissionRequest", "dryRun") => T::Bool,
        ("kubernetes.AdmissionRequest", "options") => T::Dyn,
        ("kubernetes.GroupVersionKind", "group" | "version" | "kind") => string(),
        ("kubernetes.GroupVersionResource", "group" | "version" | "resource") => string(),
        ("kubernetes.UserInfo", "username" | "uid") => string(),
        ("kubernetes.UserInfo", "groups") => strings(),
        ("kubernetes.UserInfo", "extra") => T::Map(Box::new(T::String), Box::new(strings())),
        ("kubernetes.Namespace", "metadata") => T::Object("kubernetes.NamespaceMetadata"),
        ("kubernetes.Namespace", "spec") => T::Object("kubernetes.NamespaceSpec"),
        ("kubernetes.Namespace", "status") => T::Object("kubernetes.NamespaceStatus"),
        ("kubernetes.NamespaceSpec", "finalizers") => strings(),
        ("kubernetes.NamespaceStatus", "conditions") => {
            T::List(Box::new(T::Object("kubernetes.NamespaceCondition")))
        }
        ("kubernetes.NamespaceStatus", "phase") => string(),
        ("kubernetes.NamespaceCondition", "status" | "type" | "message" | "reason") => string(),
        ("kubernetes.NamespaceCondition", "lastTransitionTime") => T::Timestamp,
        (
            "kubernetes.NamespaceMetadata",
            "name" | "generateName" | "namespace" | "UID" | "resourceVersion",
        ) => string(),
        ("kubernetes.NamespaceMetadata", "labels" | "annotations") => {
            T::Map(Box::new(T::String), Box::new(T::String))
        }
        ("kubernetes.NamespaceMetadata", "creationTimestamp" | "deletionTimestamp") => T::Timestamp,
        ("kubernetes.NamespaceMetadata", "deletionGracePeriodSeconds" | "generation") => T::Int,
        ("kubernetes.NamespaceMetadata", "finalizers") => strings(),
        _ => return None,
    })
}

fn table() -> &'static [Overload] {
    static TABLE: OnceLock<Vec<Overload>> = OnceLock::new();
    TABLE.get_or_init(table::overloads)
}

/// An error and the node it is reported at.
struct Issue {
    id: u64,
    message: String,
}

struct Checker<'a> {
    program: &'a cel::Program,
    source: &'a str,
    decls: &'a Decls,
    /// The minor version whose libraries are in the environment.
    compat: u32,
    mappings: HashMap<u32, T>,
    next_var: u32,
    types: HashMap<u64, T>,
    scopes: Vec<(String, T)>,
    errors: Vec<Issue>,
    /// The types of the two variables of the two-variable comprehensions being checked,
    /// innermost last (see [`crate::k8s`]'s expansion over `@twoVarEntries`).
    two_var: Vec<(T, T)>,
    /// Whether the two-variable macro being checked is missing from the environment, so
    /// that its variables are undeclared.
    two_var_missing: bool,
    /// The byte offset of the call of that missing macro.
    missing_macro_at: Option<u32>,
}

impl<'a> Checker<'a> {
    fn new(program: &'a cel::Program, source: &'a str, decls: &'a Decls) -> Self {
        let compat = match decls.mode {
            Mode::New => decls.minor.saturating_sub(1),
            Mode::Stored => decls.minor,
        };
        Checker {
            program,
            source,
            decls,
            compat,
            mappings: HashMap::new(),
            next_var: 0,
            types: HashMap::new(),
            scopes: Vec::new(),
            errors: Vec::new(),
            two_var: Vec::new(),
            two_var_missing: false,
            missing_macro_at: None,
        }
    }

    fn has(&self, lib: Lib) -> bool {
        if lib == Lib::Strings0 {
            // Version 0 up to 1.28, version 2 from 1.29: these functions are in both.
            return true;
        }
        lib.in_env(self.compat)
    }

    fn error(&mut self, id: u64, message: String) {
        self.errors.push(Issue { id, message });
    }

    fn set(&mut self, id: u64, t: T) -> T {
        self.types.insert(id, t.clone());
        t
    }

    fn fresh(&mut self) -> T {
        let t = T::Param(FRESH + self.next_var);
        self.next_var += 1;
        t
    }

    // ---- declarations -------------------------------------------------------------

    /// The type of the identifier `name`, a comprehension variable or a declaration.
    fn lookup_ident(&self, name: &str) -> Option<T> {
        if let Some((_, t)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
            return Some(t.clone());
        }
        let d = self.decls;
        Some(match name {
            "object" | "oldObject" => T::Dyn,
            "params" if d.params => T::Dyn,
            "request" => T::Object("kubernetes.AdmissionRequest"),
            "namespaceObject" => T::Object("kubernetes.Namespace"),
            "variables" if !d.without_variables => T::Object("kubernetes.variables"),
            "authorizer" if d.authorizer => T::Opaque("kubernetes.authorization.Authorizer"),
            "authorizer.requestResource" if d.authorizer => {
                T::Opaque("kubernetes.authorization.ResourceCheck")
            }
            "int" => T::Type(Box::new(T::Int)),
            "uint" => T::Type(Box::new(T::Uint)),
            "double" => T::Type(Box::new(T::Double)),
            "bool" => T::Type(Box::new(T::Bool)),
            "string" => T::Type(Box::new(T::String)),
            "bytes" => T::Type(Box::new(T::Bytes)),
            "list" => T::Type(Box::new(T::List(Box::new(T::Dyn)))),
            "map" => T::Type(Box::new(T::Map(Box::new(T::Dyn), Box::new(T::Dyn)))),
            "null_type" => T::Type(Box::new(T::Null)),
            "type" => T::Type(Box::new(T::Type(Box::new(T::Dyn)))),
            "dyn" => T::Type(Box::new(T::Dyn)),
            "google.protobuf.Duration" => T::Type(Box::new(T::Duration)),
            "google.protobuf.Timestamp" => T::Type(Box::new(T::Timestamp)),
            "optional_type" if self.has(Lib::Optional) => {
                T::Type(Box::new(T::Opt(Box::new(T::Dyn))))
            }
            _ => return None,
        })
    }

    /// The type of field `field` of a typed object, `None` if it has no such field.
    fn field_type(&self, object: &str, field: &str) -> Option<T> {
        if object == "kubernetes.variables" {
            return self
                .decls
                .variables
                .iter()
                .rev()
                .find(|(name, _)| name == field)
                .map(|(_, t)| variable_type(t));
        }
        object_field(object, field)
    }

    /// The overloads of `name` in the environment, if it declares that function.
    fn function(&self, name: &str) -> Option<Vec<&'static Overload>> {
        let found: Vec<&'static Overload> = table()
            .iter()
            .filter(|o| o.name == name && self.has(o.lib))
            .collect();
        (!found.is_empty()).then_some(found)
    }

    // ---- type relations (cel-go checker/types.go) -----------------------------------

    fn substitute(&self, t: &T, to_dyn: bool) -> T {
        match t {
            T::Param(n) => match self.mappings.get(n) {
                Some(bound) => self.substitute(bound, to_dyn),
                None if to_dyn => T::Dyn,
                None => t.clone(),
            },
            T::List(e) => T::List(Box::new(self.substitute(e, to_dyn))),
            T::Map(k, v) => T::Map(
                Box::new(self.substitute(k, to_dyn)),
                Box::new(self.substitute(v, to_dyn)),
            ),
            T::Opt(e) => T::Opt(Box::new(self.substitute(e, to_dyn))),
            T::Type(e) => T::Type(Box::new(self.substitute(e, to_dyn))),
            other => other.clone(),
        }
    }

    fn is_assignable(&mut self, t1: &T, t2: &T) -> bool {
        let saved = self.mappings.clone();
        if assignable(&mut self.mappings, t1, t2) {
            true
        } else {
            self.mappings = saved;
            false
        }
    }

    fn is_assignable_list(&mut self, l1: &[T], l2: &[T]) -> bool {
        if l1.len() != l2.len() {
            return false;
        }
        let saved = self.mappings.clone();
        if l1
            .iter()
            .zip(l2)
            .all(|(a, b)| assignable(&mut self.mappings, a, b))
        {
            true
        } else {
            self.mappings = saved;
            false
        }
    }

    // ---- the walk (cel-go checker/checker.go) ---------------------------------------

    fn check(&mut self, e: &IdedExpr) -> T {
        let t = match &e.expr {
            Expr::Literal(literal) => match literal {
                LiteralValue::Boolean(_) => T::Bool,
                LiteralValue::Bytes(_) => T::Bytes,
                LiteralValue::Double(_) => T::Double,
                LiteralValue::Int(_) => T::Int,
                LiteralValue::Null => T::Null,
                LiteralValue::String(_) => T::String,
                LiteralValue::UInt(_) => T::Uint,
            },
            Expr::Ident(name) => match self.lookup_ident(name) {
                Some(t) => t,
                None => {
                    // A two-variable macro the environment lacks: its expansion's own
                    // references to its variables sit at the call, which cel-go never sees.
                    let at = self.program.source_info().offset_for(e.id);
                    if self.missing_macro_at.is_none() || at.map(|a| a.0) != self.missing_macro_at {
                        self.error(e.id, undeclared(name));
                    }
                    T::Error
                }
            },
            Expr::Select(select) => {
                if !select.test
                    && let Some(name) = qualified_name(e)
                    && let Some(t) = self.lookup_ident(&name)
                {
                    return self.set(e.id, t);
                }
                let t = self.check_select_field(e.id, &select.operand, &select.field, false);
                if select.test {
                    T::Bool
                } else {
                    self.substitute(&t, false)
                }
            }
            Expr::Call(call) => self.check_call(e, call),
            Expr::List(list) => self.check_list(list),
            Expr::Map(map) => self.check_map(map),
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(field) = &entry.expr {
                        self.check(&field.value);
                    }
                }
                self.error(e.id, undeclared(&s.type_name));
                T::Error
            }
            Expr::Comprehension(comp) => self.check_comprehension(e.id, comp),
            Expr::Unspecified => T::Error,
        };
        self.set(e.id, t)
    }

    fn check_select_field(
        &mut self,
        id: u64,
        operand: &IdedExpr,
        field: &str,
        optional: bool,
    ) -> T {
        let operand_type = self.check(operand);
        let operand_type = self.substitute(&operand_type, false);
        let (target, was_optional) = match operand_type {
            T::Opt(inner) => (*inner, true),
            other => (other, false),
        };
        let result = match &target {
            T::Map(_, v) => (**v).clone(),
            T::Object(name) => match self.field_type(name, field) {
                Some(t) => t,
                None => {
                    self.error(id, format!("undefined field '{field}'"));
                    T::Error
                }
            },
            T::Opaque(_) => {
                self.error(id, format!("undefined field '{field}'"));
                T::Error
            }
            T::Param(_) => {
                self.is_assignable(&T::Dyn, &target);
                T::Dyn
            }
            t if t.is_dyn_or_error() => T::Dyn,
            t => {
                let message = format!("type '{}' does not support field selection", format_type(t));
                self.error(id, message);
                T::Dyn
            }
        };
        if was_optional || optional {
            T::Opt(Box::new(result))
        } else {
            result
        }
    }

    fn check_call(&mut self, e: &IdedExpr, call: &cel::common::ast::CallExpr) -> T {
        let name = call.func_name.as_str();
        if name == operators::OPT_SELECT {
            if let [operand, field] = call.args.as_slice()
                && let Expr::Literal(LiteralValue::String(field)) = &field.expr
            {
                let field = field.to_string();
                let t = self.check_select_field(e.id, operand, &field, true);
                return self.substitute(&t, false);
            }
            return T::Error;
        }
        let arg_types: Vec<T> = call.args.iter().map(|a| self.check(a)).collect();
        if let Some(k) = two_var_item(call)
            && let Some((first, second)) = self.two_var.last()
        {
            return if k == 0 {
                first.clone()
            } else {
                second.clone()
            };
        }
        let Some(target) = &call.target else {
            return match self.function(name) {
                Some(overloads) => {
                    self.resolve(e.id, name, &overloads, None, &call.args, arg_types)
                }
                None if is_internal(name) => T::Dyn,
                None => {
                    self.error(e.id, undeclared(name));
                    T::Error
                }
            };
        };
        if let Some(prefix) = qualified_name(target) {
            let qualified = format!("{prefix}.{name}");
            if let Some(overloads) = self.function(&qualified) {
                return self.resolve(e.id, &qualified, &overloads, None, &call.args, arg_types);
            }
        }
        let target_type = self.check(target);
        if name == "@sortByAssociatedKeys" && !self.has(Lib::Lists) {
            // `sortBy` is a macro of the lists extension: without it, the call stays a call.
            self.error(e.id, undeclared("sortBy"));
            return T::Error;
        }
        match self.function(name) {
            Some(overloads) => {
                let mut types = vec![target_type];
                types.extend(arg_types);
                self.resolve(e.id, name, &overloads, Some(target), &call.args, types)
            }
            None if is_internal(name) => T::Dyn,
            None => {
                self.error(e.id, undeclared(name));
                T::Error
            }
        }
    }

    /// cel-go's `resolveOverload`: `arg_types` has the target's type first for a member call.
    fn resolve(
        &mut self,
        id: u64,
        name: &str,
        overloads: &[&'static Overload],
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
        arg_types: Vec<T>,
    ) -> T {
        if name == operators::LOGICAL_AND || name == operators::LOGICAL_OR {
            let mut failed = false;
            for (arg, t) in args.iter().zip(&arg_types) {
                if !self.is_assignable(t, &T::Bool) {
                    let t = self.substitute(t, false);
                    self.error(
                        arg.id,
                        format!("expected type 'bool' but found '{}'", format_type(&t)),
                    );
                    failed = true;
                }
            }
            return if failed { T::Error } else { T::Bool };
        }
        let mut result: Option<T> = None;
        for overload in overloads {
            if overload.member != target.is_some() {
                continue;
            }
            let mut instance: HashMap<u32, T> = HashMap::new();
            let candidate: Vec<T> = overload
                .args
                .iter()
                .map(|t| self.instantiate(t, &mut instance))
                .collect();
            if self.is_assignable_list(&arg_types, &candidate) {
                let r = self.instantiate(&overload.result, &mut instance);
                let r = self.substitute(&r, false);
                result = Some(match result {
                    None => r,
                    Some(previous) if previous == T::Dyn || previous == r => previous,
                    Some(_) => T::Dyn,
                });
            }
        }
        match result {
            Some(t) => t,
            None => {
                let shown: Vec<String> = arg_types
                    .iter()
                    .map(|t| format_type(&self.substitute(t, true)))
                    .collect();
                let signature = if target.is_some() {
                    format!("{}.({})", shown[0], shown[1..].join(", "))
                } else {
                    format!("({})", shown.join(", "))
                };
                self.error(
                    id,
                    format!("found no matching overload for '{name}' applied to '{signature}'"),
                );
                T::Error
            }
        }
    }

    /// `t` with the table's type parameters replaced by fresh variables.
    fn instantiate(&mut self, t: &T, instance: &mut HashMap<u32, T>) -> T {
        match t {
            T::Param(n) => {
                if let Some(v) = instance.get(n) {
                    return v.clone();
                }
                let v = self.fresh();
                instance.insert(*n, v.clone());
                v
            }
            T::List(e) => T::List(Box::new(self.instantiate(e, instance))),
            T::Map(k, v) => T::Map(
                Box::new(self.instantiate(k, instance)),
                Box::new(self.instantiate(v, instance)),
            ),
            T::Opt(e) => T::Opt(Box::new(self.instantiate(e, instance))),
            T::Type(e) => T::Type(Box::new(self.instantiate(e, instance))),
            other => other.clone(),
        }
    }

    fn check_list(&mut self, list: &cel::common::ast::ListExpr) -> T {
        let mut elems: Option<T> = None;
        for (i, element) in list.elements.iter().enumerate() {
            let mut t = self.check(element);
            if list.optional_indices.contains(&i) {
                t = self.unwrap_optional(element.id, t);
            }
            elems = Some(self.join(elems, t));
        }
        let elems = match elems {
            Some(t) => t,
            None => self.fresh(),
        };
        T::List(Box::new(elems))
    }

    fn check_map(&mut self, map: &cel::common::ast::MapExpr) -> T {
        let (mut keys, mut values): (Option<T>, Option<T>) = (None, None);
        for entry in &map.entries {
            let EntryExpr::MapEntry(entry) = &entry.expr else {
                continue;
            };
            let k = self.check(&entry.key);
            keys = Some(self.join(keys, k));
            let mut v = self.check(&entry.value);
            if entry.optional {
                v = self.unwrap_optional(entry.value.id, v);
            }
            values = Some(self.join(values, v));
        }
        match (keys, values) {
            (Some(k), Some(v)) => T::Map(Box::new(k), Box::new(v)),
            _ => T::Map(Box::new(self.fresh()), Box::new(self.fresh())),
        }
    }

    fn unwrap_optional(&mut self, id: u64, t: T) -> T {
        match self.substitute(&t, false) {
            T::Opt(inner) => *inner,
            T::Dyn => T::Dyn,
            other => {
                let message = format!(
                    "expected type '{}' but found '{}'",
                    format_type(&T::Opt(Box::new(other.clone()))),
                    format_type(&other)
                );
                self.error(id, message);
                other
            }
        }
    }

    /// cel-go's `joinTypes` with dynamic aggregate element types: mixed elements join to
    /// dyn here, and the homogeneous-literal validator reports them afterwards.
    fn join(&mut self, previous: Option<T>, current: T) -> T {
        match previous {
            None => current,
            Some(previous) => {
                if self.is_assignable(&previous, &current) {
                    most_general(&previous, &current)
                } else {
                    T::Dyn
                }
            }
        }
    }

    fn check_comprehension(&mut self, id: u64, comp: &cel::common::ast::ComprehensionExpr) -> T {
        if let Expr::Call(call) = &comp.iter_range.expr
            && call.func_name == TWO_VAR_ENTRIES
            && call.target.is_none()
            && let [range] = call.args.as_slice()
        {
            return self.check_two_var(id, comp, range);
        }
        if self.two_var_missing
            && let Expr::Call(call) = &comp.accu_init.expr
            && two_var_item(call).is_some()
        {
            // The binding of a variable of a two-variable macro the environment lacks.
            self.check(&comp.iter_range);
            self.check(&comp.accu_init);
            return self.check(&comp.result);
        }
        let range = self.check(&comp.iter_range);
        let range = self.substitute(&range, false);
        let accu = self.check(&comp.accu_init);
        let two = comp.iter_var2.is_some();
        let declared = !two || self.has(Lib::TwoVar);
        if !declared {
            self.two_var_unavailable(id, comp);
        }
        let (var, var2) = match &range {
            T::List(e) if two => (T::Int, (**e).clone()),
            T::List(e) => ((**e).clone(), T::Dyn),
            T::Map(k, v) => ((**k).clone(), (**v).clone()),
            T::Param(_) => {
                self.is_assignable(&T::Dyn, &range);
                (T::Dyn, T::Dyn)
            }
            t if t.is_dyn_or_error() => (T::Dyn, T::Dyn),
            t => {
                let message = format!(
                    "expression of type '{}' cannot be range of a comprehension (must be list, map, or dynamic)",
                    format_type(t)
                );
                self.error(comp.iter_range.id, message);
                (T::Error, T::Error)
            }
        };
        let depth = self.scopes.len();
        self.scopes.push((comp.accu_var.clone(), accu.clone()));
        if declared {
            self.scopes.push((comp.iter_var.clone(), var));
            if let Some(var2_name) = &comp.iter_var2 {
                self.scopes.push((var2_name.clone(), var2));
            }
        }
        let cond = self.check(&comp.loop_cond);
        self.assert_type(comp.loop_cond.id, &T::Bool, &cond);
        let step = self.check(&comp.loop_step);
        self.assert_type(comp.loop_step.id, &accu, &step);
        self.scopes.truncate(depth + 1);
        let result = self.check(&comp.result);
        self.scopes.truncate(depth);
        if declared {
            self.substitute(&result, false)
        } else {
            T::Error
        }
    }

    /// A two-variable comprehension as the Kubernetes environment expands it: one variable
    /// over the `[key, value]` pairs of `range`, the two variables bound to `@it[0]` and
    /// `@it[1]` inside the step.
    fn check_two_var(
        &mut self,
        id: u64,
        comp: &cel::common::ast::ComprehensionExpr,
        range: &IdedExpr,
    ) -> T {
        let range_type = self.check(range);
        let range_type = self.substitute(&range_type, false);
        self.set(comp.iter_range.id, T::List(Box::new(T::Dyn)));
        let missing = !self.has(Lib::TwoVar);
        if missing {
            let names = two_var_names(&comp.loop_step);
            self.undeclared_macro(id, &names);
        }
        let vars = match &range_type {
            T::List(e) => (T::Int, (**e).clone()),
            T::Map(k, v) => ((**k).clone(), (**v).clone()),
            T::Param(_) => {
                self.is_assignable(&T::Dyn, &range_type);
                (T::Dyn, T::Dyn)
            }
            t if t.is_dyn_or_error() => (T::Dyn, T::Dyn),
            t => {
                let message = format!(
                    "expression of type '{}' cannot be range of a comprehension (must be list, map, or dynamic)",
                    format_type(t)
                );
                self.error(range.id, message);
                (T::Error, T::Error)
            }
        };
        let accu = self.check(&comp.accu_init);
        let depth = self.scopes.len();
        let was_missing = (self.two_var_missing, self.missing_macro_at);
        self.two_var_missing = missing;
        if missing {
            self.missing_macro_at = self.program.source_info().offset_for(id).map(|a| a.0);
        }
        self.two_var.push(vars);
        self.scopes.push((comp.accu_var.clone(), accu.clone()));
        self.scopes.push((comp.iter_var.clone(), T::Dyn));
        let cond = self.check(&comp.loop_cond);
        self.assert_type(comp.loop_cond.id, &T::Bool, &cond);
        let step = self.check(&comp.loop_step);
        self.assert_type(comp.loop_step.id, &accu, &step);
        self.two_var.pop();
        (self.two_var_missing, self.missing_macro_at) = was_missing;
        self.scopes.truncate(depth + 1);
        let result = self.check(&comp.result);
        self.scopes.truncate(depth);
        if missing {
            T::Error
        } else {
            self.substitute(&result, false)
        }
    }

    /// What cel-go reports for a two-variable macro where the environment has none: the
    /// call stays a call, so its variables and the function are undeclared.
    fn two_var_unavailable(&mut self, id: u64, comp: &cel::common::ast::ComprehensionExpr) {
        let names: Vec<String> = [Some(&comp.iter_var), comp.iter_var2.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        self.undeclared_macro(id, &names);
    }

    /// Reports the function of the macro call at `id`, and its variable arguments `names`,
    /// as undeclared: the positions are read from the source, the AST having lost them.
    fn undeclared_macro(&mut self, id: u64, names: &[String]) {
        let Some((open, _)) = self.program.source_info().offset_for(id) else {
            return;
        };
        let open = self.char_offset(open as usize);
        let before = self.char_prefix(open);
        let function: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        // The variables are the first two arguments: find them after the parenthesis.
        let after: Vec<char> = self.source.chars().skip(open + 1).collect();
        let mut at = 0;
        for name in names {
            while at < after.len() && (after[at].is_whitespace() || after[at] == ',') {
                at += 1;
            }
            let word: String = after[at..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            if &word == name {
                self.errors.push(Issue {
                    id: u64::MAX - (open + 1 + at) as u64,
                    message: undeclared(name),
                });
            }
            at += word.chars().count();
        }
        if !function.is_empty() {
            self.error(id, undeclared(&function));
        }
    }

    /// The source before the character offset `offset`.
    fn char_prefix(&self, offset: usize) -> String {
        self.source.chars().take(offset).collect()
    }

    fn assert_type(&mut self, id: u64, expected: &T, found: &T) {
        if !self.is_assignable(expected, found) {
            let message = format!(
                "expected type '{}' but found '{}'",
                format_type(&self.substitute(expected, false)),
                format_type(&self.substitute(found, false))
            );
            self.error(id, message);
        }
    }

    /// The parser's errors for the optional syntax (`a.?b`, `a[?b]`, `[?a]`, `{?k: v}`).
    fn unsupported_syntax(&mut self, root: &IdedExpr) {
        let mut found = Vec::new();
        visit(root, &mut |e| match &e.expr {
            Expr::Call(call) if call.func_name == operators::OPT_SELECT => {
                found.push((e.id, "unsupported syntax '.?'"));
            }
            Expr::Call(call) if call.func_name == operators::OPT_INDEX => {
                found.push((e.id, "unsupported syntax '[?'"));
            }
            Expr::List(list) => {
                for &i in &list.optional_indices {
                    if let Some(element) = list.elements.get(i) {
                        found.push((element.id, "unsupported syntax '?'"));
                    }
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(entry) = &entry.expr
                        && entry.optional
                    {
                        found.push((entry.key.id, "unsupported syntax '?'"));
                    }
                }
            }
            _ => {}
        });
        for (id, message) in found {
            self.error(id, message.into());
        }
    }

    // ---- AST validators -------------------------------------------------------------

    fn final_type(&self, id: u64) -> T {
        self.types
            .get(&id)
            .map(|t| self.substitute(t, true))
            .unwrap_or(T::Dyn)
    }

    /// The validators of cel-go that Kubernetes enables: homogeneous aggregate literals
    /// (always), and from 1.29 duration, timestamp and regex literals.
    fn validate(&mut self, e: &IdedExpr, in_format: bool) {
        match &e.expr {
            Expr::List(list) => {
                if !in_format {
                    let mut first: Option<T> = None;
                    for (i, element) in list.elements.iter().enumerate() {
                        let mut t = self.final_type(element.id);
                        if list.optional_indices.contains(&i)
                            && let T::Opt(inner) = t
                        {
                            t = *inner;
                        }
                        match &first {
                            None => first = Some(t),
                            Some(f) if *f != t => {
                                let message = mismatch(f, &t);
                                self.error(element.id, message);
                                break;
                            }
                            _ => {}
                        }
                    }
                }
                for element in &list.elements {
                    self.validate(element, in_format);
                }
            }
            Expr::Map(map) => {
                let mut first: Option<(T, T)> = None;
                for entry in &map.entries {
                    let EntryExpr::MapEntry(entry) = &entry.expr else {
                        continue;
                    };
                    if !in_format {
                        let k = self.final_type(entry.key.id);
                        let mut v = self.final_type(entry.value.id);
                        if entry.optional
                            && let T::Opt(inner) = v
                        {
                            v = *inner;
                        }
                        match &first {
                            None => first = Some((k, v)),
                            Some((fk, fv)) => {
                                let (fk, fv) = (fk.clone(), fv.clone());
                                if fk != k {
                                    self.error(entry.key.id, mismatch(&fk, &k));
                                }
                                if fv != v {
                                    self.error(entry.value.id, mismatch(&fv, &v));
                                }
                            }
                        }
                    }
                    self.validate(&entry.key, in_format);
                    self.validate(&entry.value, in_format);
                }
            }
            Expr::Call(call) => {
                if self.has(Lib::LiteralValidators) {
                    self.validate_literal_call(&call.func_name, call.args.first());
                }
                if self.has(Lib::Strings2) {
                    self.validate_format(e.id, call);
                }
                let format = call.func_name == "format";
                if let Some(target) = &call.target {
                    self.validate(target, false);
                }
                for arg in &call.args {
                    self.validate(arg, format);
                }
            }
            Expr::Select(select) => self.validate(&select.operand, false),
            Expr::Comprehension(comp) => {
                for part in [
                    &comp.iter_range,
                    &comp.accu_init,
                    &comp.loop_cond,
                    &comp.loop_step,
                    &comp.result,
                ] {
                    self.validate(part, false);
                }
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(field) = &entry.expr {
                        self.validate(&field.value, false);
                    }
                }
            }
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }

    fn validate_literal_call(&mut self, function: &str, first: Option<&IdedExpr>) {
        let Some(arg) = first else {
            return;
        };
        let Expr::Literal(literal) = &arg.expr else {
            return;
        };
        let valid = match (function, literal) {
            ("duration", LiteralValue::String(s)) => literals::parse_go_duration(s).is_some(),
            ("timestamp", LiteralValue::String(s)) => literals::valid_timestamp(s),
            ("timestamp", LiteralValue::Int(i)) => literals::valid_unix_seconds(*i.inner()),
            ("matches", LiteralValue::String(s)) => literals::regex_error(s).is_none(),
            ("duration" | "timestamp" | "matches", _) => true,
            _ => return,
        };
        if !valid {
            self.error(arg.id, format!("invalid {function} argument"));
        }
    }

    /// cel-go's `stringFormatValidator`: a literal format string against a list literal.
    fn validate_format(&mut self, id: u64, call: &cel::common::ast::CallExpr) {
        if call.func_name != "format" {
            return;
        }
        let (Some(target), [list]) = (&call.target, call.args.as_slice()) else {
            return;
        };
        let (Expr::Literal(LiteralValue::String(format)), Expr::List(list)) =
            (&target.expr, &list.expr)
        else {
            return;
        };
        let args = &list.elements;
        let clauses = match literals::format_clauses(format, args.len()) {
            Ok(clauses) => clauses,
            Err(message) => return self.error(id, message),
        };
        for &(index, clause) in &clauses {
            let arg = &args[index];
            if let Err(bad) = self.format_arg_ok(arg, clause) {
                let given = type_name(&self.final_type(bad));
                self.error(bad, clause.error(&given));
                return;
            }
        }
        if args.len() > clauses.len() {
            let message = format!(
                "too many arguments supplied to string.format (expected {}, got {})",
                clauses.len(),
                args.len()
            );
            self.error(id, message);
        }
    }

    /// Whether `arg` suits `clause`; else the node at fault.
    fn format_arg_ok(&self, arg: &IdedExpr, clause: literals::Clause) -> Result<(), u64> {
        use literals::Clause;
        let t = self.final_type(arg.id);
        if t == T::Dyn {
            return Ok(());
        }
        let ok = match clause {
            Clause::String => matches!(
                t,
                T::List(_)
                    | T::Map(..)
                    | T::Int
                    | T::Uint
                    | T::Double
                    | T::Bool
                    | T::String
                    | T::Timestamp
                    | T::Bytes
                    | T::Duration
                    | T::Type(_)
                    | T::Null
            ),
            Clause::Decimal | Clause::Fixed | Clause::Scientific => {
                matches!(t, T::Int | T::Uint | T::Double)
            }
            Clause::Binary => matches!(t, T::Bool | T::Int | T::Uint),
            Clause::Hex => matches!(t, T::Int | T::Uint | T::String | T::Bytes),
            Clause::Octal => matches!(t, T::Int | T::Uint),
        };
        if !ok {
            return Err(arg.id);
        }
        if let Clause::String = clause {
            match &arg.expr {
                Expr::List(list) => {
                    for element in &list.elements {
                        self.format_arg_ok(element, clause)?;
                    }
                }
                Expr::Map(map) => {
                    for entry in &map.entries {
                        if let EntryExpr::MapEntry(entry) = &entry.expr {
                            self.format_arg_ok(&entry.key, clause)?;
                            self.format_arg_ok(&entry.value, clause)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The error `env.Program` gives: a constant regex of `matches`, `find` or `findAll`
    /// that doesn't compile.
    fn program_error(&self, e: &IdedExpr) -> Option<String> {
        let mut found = None;
        visit(e, &mut |e| {
            if found.is_some() {
                return;
            }
            if let Expr::Call(call) = &e.expr
                && matches!(call.func_name.as_str(), "matches" | "find" | "findAll")
            {
                // The pattern is the second argument, the target counted.
                let pattern = match &call.target {
                    Some(_) => call.args.first(),
                    None => call.args.get(1),
                };
                if let Some(IdedExpr {
                    expr: Expr::Literal(LiteralValue::String(s)),
                    ..
                }) = pattern
                {
                    found = literals::regex_error(s);
                }
            }
        });
        found
    }

    // ---- errors -----------------------------------------------------------------------

    /// The character offset of the node `id` in the source.
    fn offset(&self, id: u64) -> usize {
        if id > u64::MAX / 2 {
            return (u64::MAX - id) as usize;
        }
        self.program
            .source_info()
            .offset_for(id)
            .map(|(start, _)| self.char_offset(start as usize))
            .unwrap_or(0)
    }

    /// The character offset of a byte offset of the source.
    fn char_offset(&self, byte: usize) -> usize {
        let mut byte = byte.min(self.source.len());
        while !self.source.is_char_boundary(byte) {
            byte -= 1;
        }
        self.source[..byte].chars().count()
    }

    /// cel-go's `Errors.ToDisplayString`: the errors sorted by position, each with its line
    /// and a caret under the column.
    fn render_errors(&self) -> String {
        let mut located: Vec<(usize, usize, &str)> = self
            .errors
            .iter()
            .map(|issue| {
                let (line, column) = self.line_column(self.offset(issue.id));
                (line, column, issue.message.as_str())
            })
            .collect();
        located.sort_by_key(|(line, column, _)| (*line, *column));
        let lines: Vec<&str> = self.source.split('\n').collect();
        let mut out: Vec<String> = Vec::new();
        for (line, column, message) in located.iter().take(100) {
            let mut text = format!("ERROR: <input>:{line}:{}: {message}", column + 1);
            if let Some(snippet) = lines.get(line - 1) {
                let snippet = snippet.replace('\t', " ");
                text.push_str("\n | ");
                text.push_str(&snippet);
                text.push_str("\n | ");
                let mut chars = snippet.chars();
                for _ in 0..*column {
                    match chars.next() {
                        Some(c) if c.len_utf8() > 1 => text.push('\u{ff0e}'),
                        Some(_) => text.push('.'),
                        None => break,
                    }
                }
                match chars.next() {
                    Some(c) if c.len_utf8() > 1 => text.push('\u{ff3e}'),
                    _ => text.push('^'),
                }
            }
            out.push(text);
        }
        if located.len() > 100 {
            out.push(format!(
                "{} more errors were truncated",
                located.len() - 100
            ));
        }
        out.join("\n")
    }

    /// The 1-based line and 0-based column, in characters, of a character offset.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let (mut line, mut column) = (1, 0);
        for c in self.source.chars().take(offset) {
            if c == '\n' {
                line += 1;
                column = 0;
            } else {
                column += 1;
            }
        }
        (line, column)
    }
}

/// The function the Kubernetes environment's two-variable macros iterate over.
const TWO_VAR_ENTRIES: &str = "@twoVarEntries";

/// `0` or `1` for `@it[0]` and `@it[1]`, the two variables of a two-variable macro.
fn two_var_item(call: &cel::common::ast::CallExpr) -> Option<i64> {
    if call.func_name != operators::INDEX || call.target.is_some() {
        return None;
    }
    let [it, index] = call.args.as_slice() else {
        return None;
    };
    match (&it.expr, &index.expr) {
        (Expr::Ident(name), Expr::Literal(LiteralValue::Int(i)))
            if name == "@it" && (*i.inner() == 0 || *i.inner() == 1) =>
        {
            Some(*i.inner())
        }
        _ => None,
    }
}

/// The names a two-variable macro's step binds to `@it[0]` and `@it[1]`, in order.
fn two_var_names(step: &IdedExpr) -> Vec<String> {
    let mut names = Vec::new();
    visit(step, &mut |e| {
        if let Expr::Comprehension(comp) = &e.expr
            && let Expr::Call(call) = &comp.accu_init.expr
            && two_var_item(call).is_some()
            && names.len() < 2
        {
            names.push(comp.accu_var.clone());
        }
    });
    names
}

/// cel-go's `Type.TypeName()`.
fn type_name(t: &T) -> String {
    match t {
        T::List(_) => "list".into(),
        T::Map(..) => "map".into(),
        T::Opt(_) => "optional_type".into(),
        T::Type(_) => "type".into(),
        T::Null => "null_type".into(),
        T::Duration => "google.protobuf.Duration".into(),
        T::Timestamp => "google.protobuf.Timestamp".into(),
        other => format_type(other),
    }
}

fn undeclared(name: &str) -> String {
    format!("undeclared reference to '{name}' (in container '')")
}

fn mismatch(expected: &T, found: &T) -> String {
    format!(
        "expected type '{}' but found '{}'",
        format_type(expected),
        format_type(found)
    )
}

/// The functions macros expand to that cel-go doesn't let expressions call.
fn is_internal(name: &str) -> bool {
    name.starts_with('@') || name.contains(".@")
}

/// `a.b.c` for an identifier or selections on one, not a presence test.
fn qualified_name(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(select) if !select.test => {
            qualified_name(&select.operand).map(|prefix| format!("{prefix}.{}", select.field))
        }
        _ => None,
    }
}

fn visit(e: &IdedExpr, f: &mut impl FnMut(&IdedExpr)) {
    f(e);
    match &e.expr {
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                visit(target, f);
            }
            for arg in &call.args {
                visit(arg, f);
            }
        }
        Expr::Select(select) => visit(&select.operand, f),
        Expr::List(list) => list.elements.iter().for_each(|e| visit(e, f)),
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(entry) = &entry.expr {
                    visit(&entry.key, f);
                    visit(&entry.value, f);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(field) = &entry.expr {
                    visit(&field.value, f);
                }
            }
        }
        Expr::Comprehension(comp) => {
            for part in [
                &comp.iter_range,
                &comp.accu_init,
                &comp.loop_cond,
                &comp.loop_step,
                &comp.result,
            ] {
                visit(part, f);
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// cel-go's `internalIsAssignable`: whether a value of `t2` can be used where `t1` is
/// wanted, binding type parameters in `m` on the way.
fn assignable(m: &mut HashMap<u32, T>, t1: &T, t2: &T) -> bool {
    if let Some(result) = substitution(m, t1, t2) {
        return result;
    }
    if let Some(result) = substitution(m, t2, t1) {
        return result;
    }
    if t1.is_dyn_or_error() || t2.is_dyn_or_error() {
        return true;
    }
    if *t1 == T::Null {
        return nullable(t2);
    }
    if *t2 == T::Null {
        return nullable(t1);
    }
    match (t1, t2) {
        (T::List(a), T::List(b)) | (T::Opt(a), T::Opt(b)) => assignable(m, a, b),
        (T::Map(k1, v1), T::Map(k2, v2)) => assignable(m, k1, k2) && assignable(m, v1, v2),
        (T::Type(_), T::Type(_)) => true,
        _ => t1 == t2,
    }
}

fn nullable(t: &T) -> bool {
    matches!(
        t,
        T::Null | T::Object(_) | T::Opaque(_) | T::Duration | T::Timestamp
    )
}

/// cel-go's `isValidTypeSubstitution`: `None` when `t1` is not a type parameter.
fn substitution(m: &mut HashMap<u32, T>, t1: &T, t2: &T) -> Option<bool> {
    let T::Param(n) = t1 else {
        return None;
    };
    if t1 == t2 {
        return Some(true);
    }
    if let Some(bound) = m.get(n).cloned() {
        if assignable(m, &bound, t2) {
            let general = most_general(&bound, t2);
            if !occurs(m, *n, &general) {
                m.insert(*n, general);
            }
            return Some(true);
        }
        return Some(false);
    }
    if !occurs(m, *n, t2) {
        m.insert(*n, t2.clone());
        return Some(true);
    }
    None
}

/// Whether the parameter `n` occurs in `t`, following the bindings.
fn occurs(m: &HashMap<u32, T>, n: u32, t: &T) -> bool {
    match t {
        T::Param(p) if *p == n => true,
        T::Param(p) => m.get(p).is_some_and(|bound| occurs(m, n, bound)),
        T::List(e) | T::Opt(e) | T::Type(e) => occurs(m, n, e),
        T::Map(k, v) => occurs(m, n, k) || occurs(m, n, v),
        _ => false,
    }
}

fn most_general(t1: &T, t2: &T) -> T {
    if less_specific(t1, t2) {
        t1.clone()
    } else {
        t2.clone()
    }
}

/// cel-go's `isEqualOrLessSpecific`.
fn less_specific(t1: &T, t2: &T) -> bool {
    if matches!(t1, T::Dyn | T::Param(_)) {
        return true;
    }
    if matches!(t2, T::Dyn | T::Param(_)) {
        return false;
    }
    match (t1, t2) {
        (T::List(a), T::List(b)) | (T::Opt(a), T::Opt(b)) => less_specific(a, b),
        (T::Map(k1, v1), T::Map(k2, v2)) => less_specific(k1, k2) && less_specific(v1, v2),
        (T::Type(_), T::Type(_)) => true,
        _ => t1 == t2,
    }
}
