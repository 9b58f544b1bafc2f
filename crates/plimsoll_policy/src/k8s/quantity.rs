//! The Kubernetes quantity library: `quantity`, `isQuantity`, `sign(q)`, `isInteger`,
//! `asInteger`, `asApproximateFloat`, `add`, `sub`, `isGreaterThan`, `isLessThan`,
//! `compareTo`, and equality.
//!
//! A [`Quantity`] keeps the two representations of `resource.Quantity`: the fast
//! `int64Amount` (an int64 and a decimal scale) that `ParseQuantity` produces for most
//! strings, and the arbitrary-precision `inf.Dec` it falls back to. The difference shows:
//! `isInteger()` is false for any quantity in the second form, and for a negative scale
//! (`quantity('1000m').isInteger()` is false), as upstream. The second form is held in an
//! `i128` here; a value beyond it is an error where Kubernetes would compute exactly.

use std::cmp::Ordering;

use cel::common::types::{INT_TYPE, STRING_TYPE, Type};
use cel::objects::Opaque;
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::{as_str, downcast, fail, opaque, value_fn};

const TYPE_NAME: &str = "kubernetes.Quantity";

const ERR_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const ERR_NUMERIC: &str = "unable to parse numeric part of quantity";
const ERR_SUFFIX: &str = "unable to parse quantity's suffix";
const ERR_RANGE: &str = "quantity out of the range this implementation computes exactly";

/// A `resource.Quantity`, as the CEL quantity library handles it.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    repr: Repr,
}

#[derive(Debug, Clone, Copy)]
enum Repr {
    /// `int64Amount`: `value * 10^scale`.
    Int { value: i64, scale: i32 },
    /// `inf.Dec`: `unscaled * 10^scale`.
    Dec { unscaled: i128, scale: i32 },
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_value(other) == Ordering::Equal
    }
}

impl Eq for Quantity {}

impl Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        TYPE_NAME
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

impl Quantity {
    /// Parses `s` as `resource.ParseQuantity` does; the error is upstream's text.
    pub fn parse(s: &str) -> Result<Quantity, String> {
        parse(s).map_err(str::to_owned)
    }

    /// A whole number, as `resource.NewQuantity(i, DecimalExponent)`.
    pub fn from_int(value: i64) -> Quantity {
        Quantity {
            repr: Repr::Int { value, scale: 0 },
        }
    }

    fn parts(&self) -> (i128, i32) {
        match self.repr {
            Repr::Int { value, scale } => (i128::from(value), scale),
            Repr::Dec { unscaled, scale } => (unscaled, scale),
        }
    }

    /// `Quantity.Sign()`.
    pub fn sign(&self) -> i64 {
        self.parts().0.signum() as i64
    }

    /// `Quantity.Cmp`.
    pub fn cmp_value(&self, other: &Quantity) -> Ordering {
        cmp_dec(self.parts(), other.parts())
    }

    /// `Quantity.AsInt64()`: only the fast form converts.
    pub fn as_int64(&self) -> Option<i64> {
        match self.repr {
            Repr::Int { value, scale: 0 } => Some(value),
            Repr::Int { value, scale } if scale > 0 => {
                let p = pow10(scale as u32)?;
                i64::try_from(i128::from(value).checked_mul(p)?).ok()
            }
            _ => None,
        }
    }

    /// `Quantity.AsApproximateFloat64()`.
    pub fn as_f64(&self) -> f64 {
        let (unscaled, scale) = self.parts();
        unscaled as f64 * 10f64.powi(scale)
    }

    /// `Quantity.Add`.
    pub fn add(&self, other: &Quantity) -> Result<Quantity, String> {
        if let (
            Repr::Int {
                value: a,
                scale: sa,
            },
            Repr::Int {
                value: b,
                scale: sb,
            },
        ) = (self.repr, other.repr)
            && let Some(repr) = int_add(a, sa, b, sb)
        {
            return Ok(Quantity { repr });
        }
        let (a, sa) = self.parts();
        let (b, sb) = other.parts();
        let scale = sa.min(sb);
        let a = rescale(a, sa - scale).ok_or(ERR_RANGE)?;
        let b = rescale(b, sb - scale).ok_or(ERR_RANGE)?;
        Ok(Quantity {
            repr: Repr::Dec {
                unscaled: a.checked_add(b).ok_or(ERR_RANGE)?,
                scale,
            },
        })
    }

    /// `Quantity.Sub`.
    pub fn sub(&self, other: &Quantity) -> Result<Quantity, String> {
        let negated = match other.repr {
            Repr::Int { value, scale } => match value.checked_neg() {
                Some(value) => Repr::Int { value, scale },
                None => Repr::Dec {
                    unscaled: -i128::from(value),
                    scale,
                },
            },
            Repr::Dec { unscaled, scale } => Repr::Dec {
                unscaled: -unscaled,
                scale,
            },
        };
        self.add(&Quantity { repr: negated })
    }
}

/// `int64Amount.Add`: `None` when the result leaves int64.
fn int_add(a: i64, sa: i32, b: i64, sb: i32) -> Option<Repr> {
    if b == 0 {
        return Some(Repr::Int {
            value: a,
            scale: sa,
        });
    }
    if a == 0 {
        return Some(Repr::Int {
            value: b,
            scale: sb,
        });
    }
    let scale = sa.min(sb);
    let a = i64::try_from(rescale(i128::from(a), sa - scale)?).ok()?;
    let b = i64::try_from(rescale(i128::from(b), sb - scale)?).ok()?;
    Some(Repr::Int {
        value: a.checked_add(b)?,
        scale,
    })
}

/// `v * 10^by`, `by >= 0`.
fn rescale(v: i128, by: i32) -> Option<i128> {
    v.checked_mul(pow10(u32::try_from(by).ok()?)?)
}

fn cmp_dec((a, sa): (i128, i32), (b, sb): (i128, i32)) -> Ordering {
    let (sign_a, sign_b) = (a.signum(), b.signum());
    if sign_a != sign_b || sign_a == 0 {
        return sign_a.cmp(&sign_b);
    }
    let scale = sa.min(sb);
    match (rescale(a, sa - scale), rescale(b, sb - scale)) {
        (Some(a), Some(b)) => a.cmp(&b),
        // The one that overflowed is the larger in magnitude.
        (None, _) if sign_a > 0 => Ordering::Greater,
        (None, _) => Ordering::Less,
        (_, None) if sign_a > 0 => Ordering::Less,
        (_, None) => Ordering::Greater,
    }
}

/// `parseQuantityString`: (positive, value, num, denom, suffix).
fn split(s: &str) -> Result<(bool, &str, &str, &str, &str), &'static str> {
    let b = s.as_bytes();
    let end = b.len();
    let mut positive = true;
    let mut pos = 0;
    if pos < end {
        match b[0] {
            b'-' => {
                positive = false;
                pos += 1;
            }
            b'+' => pos += 1,
            _ => {}
        }
    }
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, "0", "0", "", ""));
    }
    let num_start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let mut num = &s[num_start..pos];
    if pos >= end {
        return Ok((positive, s, num, "", ""));
    }
    if num.is_empty() {
        num = "0";
    }
    let mut denom = "";
    if b[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[denom_start..pos];
        if pos >= end {
            return Ok((positive, s, num, denom, ""));
        }
    }
    let value = &s[..pos];
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, value, num, denom, &s[suffix_start..]));
    }
    if b[pos] == b'-' || b[pos] == b'+' {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, value, num, denom, &s[suffix_start..]));
    }
    Err(ERR_FORMAT)
}

/// `quantitySuffixer.interpret`: (base, exponent, format).
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
    let decimal = |e| Some((10, e, Format::DecimalSi));
    let binary = |e| Some((2, e, Format::BinarySi));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ if suffix.len() > 1 && (suffix.starts_with('e') || suffix.starts_with('E')) => {
            let exp: i64 = suffix[1..].parse().ok()?;
            Some((10, exp as i32, Format::DecimalExponent))
        }
        _ => None,
    }
}

fn parse(s: &str) -> Result<Quantity, &'static str> {
    if s.is_empty() {
        return Err(ERR_FORMAT);
    }
    if s == "0" {
        return Ok(Quantity::from_int(0));
    }
    let (positive, value, num, denom, suffix) = split(s)?;
    let (base, exponent, format) = interpret(suffix).ok_or(ERR_SUFFIX)?;

    // The fast path: an int64Amount.
    let (mut scale, precision, mantissa) = match format {
        Format::DecimalSi | Format::DecimalExponent => {
            (exponent, 18 - (num.len() + denom.len()) as i32, 1i64)
        }
        Format::BinarySi if exponent >= 0 && denom.is_empty() => {
            let precision = 15 - num.len() as i32 - (exponent as f32 * 3.0 / 10.0) as i32 - 1;
            (0, precision, 1i64 << exponent)
        }
        Format::BinarySi => (0, -1, 1),
    };
    if precision >= 0 {
        scale -= denom.len() as i32;
        if scale >= -9 {
            let shifted = format!("{num}{denom}");
            let v: i64 = shifted.parse().map_err(|_| ERR_NUMERIC)?;
            if let Some(result) = v.checked_mul(mantissa) {
                let value = if positive { result } else { -result };
                return Ok(Quantity {
                    repr: Repr::Int { value, scale },
                });
            }
        }
    }

    // The slow path: an inf.Dec, rounded up to nano, BinarySI capped at int64.
    let digits = value.trim_start_matches(['+', '-']);
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(ERR_NUMERIC);
    }
    let all = format!("{int_part}{frac_part}");
    let all = all.trim_start_matches('0');
    let mut unscaled: i128 = if all.is_empty() {
        0
    } else {
        all.parse().map_err(|_| ERR_RANGE)?
    };
    let mut scale = -(frac_part.len() as i32);
    if base == 10 {
        scale += exponent;
    } else {
        let factor = 1i128.checked_shl(exponent as u32).ok_or(ERR_RANGE)?;
        unscaled = unscaled.checked_mul(factor).ok_or(ERR_RANGE)?;
    }
    if unscaled != 0 && scale < -9 {
        let p = pow10((-9 - scale) as u32);
        unscaled = match p {
            Some(p) => (unscaled + p - 1) / p,
            None => 1,
        };
        scale = -9;
    }
    if format == Format::BinarySi
        && cmp_dec((unscaled, scale), (i128::from(i64::MAX), 0)) == Ordering::Greater
    {
        unscaled = i128::from(i64::MAX);
        scale = 0;
    }
    if !positive {
        unscaled = -unscaled;
    }
    Ok(Quantity {
        repr: Repr::Dec { unscaled, scale },
    })
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let q = Type::new_opaque_type(TYPE_NAME);
    env.add_type(q.to_owned())?;
    env.add_overload(
        "quantity",
        "string_to_quantity",
        vec![STRING_TYPE],
        to_quantity,
    )?;
    env.add_overload(
        "isQuantity",
        "is_quantity_string",
        vec![STRING_TYPE],
        is_quantity,
    )?;
    env.add_overload("sign", "quantity_sign", vec![q.to_owned()], sign)?;
    // Upstream declares `sign` as a global overload only: `sign(q)`, not `q.sign()`.
    env.add_member_overload(
        "isGreaterThan",
        "quantity_is_greater_than",
        q.to_owned(),
        vec![q.to_owned()],
        is_greater_than,
    )?;
    env.add_member_overload(
        "isLessThan",
        "quantity_is_less_than",
        q.to_owned(),
        vec![q.to_owned()],
        is_less_than,
    )?;
    env.add_member_overload(
        "compareTo",
        "quantity_compare_to",
        q.to_owned(),
        vec![q.to_owned()],
        compare_to,
    )?;
    env.add_member_overload(
        "asApproximateFloat",
        "quantity_get_float",
        q.to_owned(),
        vec![],
        as_approximate_float,
    )?;
    env.add_member_overload(
        "asInteger",
        "quantity_get_int",
        q.to_owned(),
        vec![],
        as_integer,
    )?;
    env.add_member_overload(
        "isInteger",
        "quantity_is_integer",
        q.to_owned(),
        vec![],
        is_integer,
    )?;
    env.add_member_overload("add", "quantity_add", q.to_owned(), vec![q.to_owned()], add)?;
    env.add_member_overload("add", "quantity_add_int", q.to_owned(), vec![INT_TYPE], add)?;
    env.add_member_overload("sub", "quantity_sub", q.to_owned(), vec![q.to_owned()], sub)?;
    env.add_member_overload("sub", "quantity_sub_int", q.to_owned(), vec![INT_TYPE], sub)?;
    Ok(())
}

fn quantity_arg<'a>(function: &str, value: &'a Value) -> Result<&'a Quantity, ExecutionError> {
    downcast::<Quantity>(function, value)
}

/// The operand of `add`/`sub`: a quantity or an int.
fn operand(function: &str, value: &Value) -> Result<Quantity, ExecutionError> {
    match value {
        Value::Int(i) => Ok(Quantity::from_int(*i)),
        other => quantity_arg(function, other).copied(),
    }
}

value_fn!(to_quantity, |args| {
    let s = as_str("quantity", &args[0])?;
    parse(s).map(opaque).map_err(|e| fail("quantity", e))
});

value_fn!(is_quantity, |args| {
    Ok(Value::Bool(parse(as_str("isQuantity", &args[0])?).is_ok()))
});

value_fn!(sign, |args| {
    Ok(Value::Int(quantity_arg("sign", &args[0])?.sign()))
});

value_fn!(is_greater_than, |args| {
    let (a, b) = (
        quantity_arg("isGreaterThan", &args[0])?,
        quantity_arg("isGreaterThan", &args[1])?,
    );
    Ok(Value::Bool(a.cmp_value(b) == Ordering::Greater))
});

value_fn!(is_less_than, |args| {
    let (a, b) = (
        quantity_arg("isLessThan", &args[0])?,
        quantity_arg("isLessThan", &args[1])?,
    );
    Ok(Value::Bool(a.cmp_value(b) == Ordering::Less))
});

value_fn!(compare_to, |args| {
    let (a, b) = (
        quantity_arg("compareTo", &args[0])?,
        quantity_arg("compareTo", &args[1])?,
    );
    Ok(Value::Int(a.cmp_value(b) as i64))
});

value_fn!(as_approximate_float, |args| {
    Ok(Value::Float(
        quantity_arg("asApproximateFloat", &args[0])?.as_f64(),
    ))
});

value_fn!(as_integer, |args| {
    quantity_arg("asInteger", &args[0])?
        .as_int64()
        .map(Value::Int)
        .ok_or_else(|| fail("asInteger", "cannot convert value to integer"))
});

value_fn!(is_integer, |args| {
    Ok(Value::Bool(
        quantity_arg("isInteger", &args[0])?.as_int64().is_some(),
    ))
});

value_fn!(add, |args| {
    let a = quantity_arg("add", &args[0])?;
    let b = operand("add", &args[1])?;
    a.add(&b).map(opaque).map_err(|e| fail("add", e))
});

value_fn!(sub, |args| {
    let a = quantity_arg("sub", &args[0])?;
    let b = operand("sub", &args[1])?;
    a.sub(&b).map(opaque).map_err(|e| fail("sub", e))
});
