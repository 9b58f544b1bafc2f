//! The Kubernetes semver library (1.33): `semver(s)`, `semver(s, normalize)`,
//! `isSemver(s[, normalize])`, `major`, `minor`, `patch`, `isGreaterThan`, `isLessThan`,
//! `compareTo`, and equality (precedence, so build metadata is ignored).
//!
//! Parsing is `github.com/blang/semver/v4`'s `Parse`, with its error texts, and the
//! library's `normalizeAndParse`.

use std::cmp::Ordering;

use cel::common::types::{BOOL_TYPE, STRING_TYPE, Type};
use cel::objects::Opaque;
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::{as_str, downcast, fail, opaque, value_fn};

const TYPE_NAME: &str = "kubernetes.Semver";

/// A semantic version.
#[derive(Debug, Clone)]
pub struct Semver {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pre: Vec<Pre>,
    build: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pre {
    Num(u64),
    Alpha(String),
}

impl PartialEq for Semver {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Ordering::Equal
    }
}

impl Eq for Semver {}

impl Opaque for Semver {
    fn runtime_type_name(&self) -> &str {
        TYPE_NAME
    }
}

fn numeric(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_digit())
}

fn alphanumeric(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

fn leading_zero(s: &str) -> bool {
    s.len() > 1 && s.starts_with('0')
}

fn parse_uint(s: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| format!("strconv.ParseUint: parsing {s:?}: invalid syntax"))
}

fn number(s: &str, lower: &str, upper: &str) -> Result<u64, String> {
    if !numeric(s) {
        return Err(format!(
            "Invalid character(s) found in {lower} number {s:?}"
        ));
    }
    if leading_zero(s) {
        return Err(format!(
            "{upper} number must not contain leading zeroes {s:?}"
        ));
    }
    parse_uint(s)
}

impl Semver {
    /// blang/semver's strict `Parse`.
    pub fn parse(s: &str) -> Result<Semver, String> {
        if s.is_empty() {
            return Err("Version string empty".to_owned());
        }
        let parts: Vec<&str> = s.splitn(3, '.').collect();
        if parts.len() != 3 {
            return Err("No Major.Minor.Patch elements found".to_owned());
        }
        let major = number(parts[0], "major", "Major")?;
        let minor = number(parts[1], "minor", "Minor")?;
        let mut patch = parts[2];
        let mut build = Vec::new();
        let mut pre = Vec::new();
        if let Some(i) = patch.find('+') {
            build = patch[i + 1..].split('.').map(str::to_owned).collect();
            patch = &patch[..i];
        }
        let mut pre_strs: Vec<&str> = Vec::new();
        if let Some(i) = patch.find('-') {
            pre_strs = patch[i + 1..].split('.').collect();
            patch = &patch[..i];
        }
        let patch = number(patch, "patch", "Patch")?;
        for p in pre_strs {
            if p.is_empty() {
                return Err("Prerelease is empty".to_owned());
            }
            if numeric(p) {
                if leading_zero(p) {
                    return Err(format!(
                        "Numeric PreRelease version must not contain leading zeroes {p:?}"
                    ));
                }
                pre.push(Pre::Num(parse_uint(p)?));
            } else if alphanumeric(p) {
                pre.push(Pre::Alpha(p.to_owned()));
            } else {
                return Err(format!("Invalid character(s) found in prerelease {p:?}"));
            }
        }
        for b in &build {
            if b.is_empty() {
                return Err("Build meta data is empty".to_owned());
            }
            if !alphanumeric(b) {
                return Err(format!(
                    "Invalid character(s) found in build meta data {b:?}"
                ));
            }
        }
        Ok(Semver {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    /// The library's `normalizeAndParse`: no `v` prefix, missing minor and patch filled
    /// with 0, leading zeros removed.
    pub fn parse_normalized(s: &str) -> Result<Semver, String> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut parts: Vec<String> = s.splitn(3, '.').map(str::to_owned).collect();
        for p in &mut parts {
            if p.len() > 1 {
                let mut trimmed = p.trim_start_matches('0').to_owned();
                if !trimmed.starts_with(|c: char| c.is_ascii_digit()) {
                    trimmed.insert(0, '0');
                }
                *p = trimmed;
            }
        }
        if parts.len() < 3 {
            if parts
                .last()
                .is_some_and(|p| p.contains('+') || p.contains('-'))
            {
                return Err("short version cannot contain PreRelease/Build meta data".to_owned());
            }
            while parts.len() < 3 {
                parts.push("0".to_owned());
            }
        }
        Semver::parse(&parts.join("."))
    }

    /// Precedence (`Version.Compare`).
    pub fn compare(&self, other: &Semver) -> Ordering {
        let core =
            (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if core != Ordering::Equal {
            return core;
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let ord = match (a, b) {
                (Pre::Num(a), Pre::Num(b)) => a.cmp(b),
                (Pre::Num(_), Pre::Alpha(_)) => Ordering::Less,
                (Pre::Alpha(_), Pre::Num(_)) => Ordering::Greater,
                (Pre::Alpha(a), Pre::Alpha(b)) => a.cmp(b),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }

    /// The build metadata identifiers.
    pub fn build(&self) -> &[String] {
        &self.build
    }
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let v = Type::new_opaque_type(TYPE_NAME);
    env.add_type(v.to_owned())?;
    env.add_overload("semver", "string_to_semver", vec![STRING_TYPE], to_semver)?;
    env.add_overload(
        "semver",
        "string_bool_to_semver",
        vec![STRING_TYPE, BOOL_TYPE],
        to_semver,
    )?;
    env.add_overload("isSemver", "is_semver_string", vec![STRING_TYPE], is_semver)?;
    env.add_overload(
        "isSemver",
        "is_semver_string_bool",
        vec![STRING_TYPE, BOOL_TYPE],
        is_semver,
    )?;
    env.add_member_overload(
        "isGreaterThan",
        "semver_is_greater_than",
        v.to_owned(),
        vec![v.to_owned()],
        is_greater_than,
    )?;
    env.add_member_overload(
        "isLessThan",
        "semver_is_less_than",
        v.to_owned(),
        vec![v.to_owned()],
        is_less_than,
    )?;
    env.add_member_overload(
        "compareTo",
        "semver_compare_to",
        v.to_owned(),
        vec![v.to_owned()],
        compare_to,
    )?;
    env.add_member_overload("major", "semver_major", v.to_owned(), vec![], major)?;
    env.add_member_overload("minor", "semver_minor", v.to_owned(), vec![], minor)?;
    env.add_member_overload("patch", "semver_patch", v, vec![], patch)?;
    Ok(())
}

fn parse_args(function: &str, args: &[Value]) -> Result<Result<Semver, String>, ExecutionError> {
    let s = as_str(function, &args[0])?;
    let normalize = match args.get(1) {
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(fail(function, "no such overload")),
        None => false,
    };
    Ok(if normalize {
        Semver::parse_normalized(s)
    } else {
        Semver::parse(s)
    })
}

fn semver_arg<'a>(function: &str, value: &'a Value) -> Result<&'a Semver, ExecutionError> {
    downcast::<Semver>(function, value)
}

fn int(v: u64) -> Value {
    Value::Int(v as i64)
}

value_fn!(to_semver, |args| {
    parse_args("semver", args)?
        .map(opaque)
        .map_err(|e| fail("semver", e))
});

value_fn!(is_semver, |args| {
    Ok(Value::Bool(parse_args("isSemver", args)?.is_ok()))
});

value_fn!(is_greater_than, |args| {
    let (a, b) = (
        semver_arg("isGreaterThan", &args[0])?,
        semver_arg("isGreaterThan", &args[1])?,
    );
    Ok(Value::Bool(a.compare(b) == Ordering::Greater))
});

value_fn!(is_less_than, |args| {
    let (a, b) = (
        semver_arg("isLessThan", &args[0])?,
        semver_arg("isLessThan", &args[1])?,
    );
    Ok(Value::Bool(a.compare(b) == Ordering::Less))
});

value_fn!(compare_to, |args| {
    let (a, b) = (
        semver_arg("compareTo", &args[0])?,
        semver_arg("compareTo", &args[1])?,
    );
    Ok(Value::Int(a.compare(b) as i64))
});

value_fn!(major, |args| Ok(int(semver_arg("major", &args[0])?.major)));
value_fn!(minor, |args| Ok(int(semver_arg("minor", &args[0])?.minor)));
value_fn!(patch, |args| Ok(int(semver_arg("patch", &args[0])?.patch)));
