//! The parts of cel-go's `ext.Strings` at version 2 (the version the API server registers)
//! where the `cel` crate's strings extension differs: `format` and `strings.quote`.
//!
//! The `cel` crate's `format` follows cel-go's `formatting_v2.go`, used from strings
//! version 4. Version 2 uses `formatting.go`: `%d` takes only ints and uints, `%f` and `%e`
//! only doubles (and the strings `NaN`, `Infinity`, `-Infinity`), `%f` groups thousands
//! as the `en-US` printer of `golang.org/x/text/message` does (`1,234.50`), the precision of
//! `%e` is a width, and strings inside lists and maps are quoted.
//!
//! [`register_format`] declares `format` before the `cel` crate's extension is added, which
//! then stops at its own `format`: everything it registers before that (`charAt` to
//! `substring`) is kept, and `strings.quote` and `reverse` (strings v3), which come after,
//! are not registered. [`register_quote`] adds `strings.quote` back.

use cel::common::types::{LIST_TYPE, STRING_TYPE};
use cel::{DeclarationError, Env, Value};

use super::{as_str, fail, value_fn};

/// The error the `cel` crate's strings extension stops at, `format` being declared.
pub(super) fn is_format_duplicate(err: &DeclarationError) -> bool {
    *err == DeclarationError::duplicate_overload("format", "string.format(list)")
}

pub(super) fn register_format(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload(
        "format",
        "string_format_list",
        STRING_TYPE,
        vec![LIST_TYPE],
        format,
    )
}

pub(super) fn register_quote(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload("strings.quote", "strings_quote", vec![STRING_TYPE], quote)
}

value_fn!(format, |args| {
    let template = as_str("format", &args[0])?;
    let Value::List(items) = &args[1] else {
        return Err(fail("format", "no such overload"));
    };
    format_v1(template, items)
        .map(Value::from)
        .map_err(|e| fail("format", e))
});

value_fn!(quote, |args| {
    Ok(Value::from(cel_quote(as_str("strings.quote", &args[0])?)))
});

/// cel-go's `strings.quote`: only the characters CEL string literals escape are escaped.
fn cel_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match short_escape(c) {
            Some(e) => out.push_str(e),
            None => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The escapes that CEL string literals and Go's `strconv.Quote` both write.
fn short_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\x07' => "\\a",
        '\x08' => "\\b",
        '\x0c' => "\\f",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\x0b' => "\\v",
        _ => return None,
    })
}

/// cel-go's type name of a value, as its formatting errors print it.
fn type_name(value: &Value) -> String {
    match value {
        Value::List(_) => "list".to_owned(),
        Value::Map(_) => "map".to_owned(),
        Value::Function(..) => "function".to_owned(),
        Value::Int(_) => "int".to_owned(),
        Value::UInt(_) => "uint".to_owned(),
        Value::Float(_) => "double".to_owned(),
        Value::String(_) => "string".to_owned(),
        Value::Bytes(_) => "bytes".to_owned(),
        Value::Bool(_) => "bool".to_owned(),
        Value::Duration(_) => "google.protobuf.Duration".to_owned(),
        Value::Timestamp(_) => "google.protobuf.Timestamp".to_owned(),
        Value::Opaque(o) => o.runtime_type_name().to_owned(),
        Value::Struct(s) => format!("{s:?}"),
        Value::Null => "null_type".to_owned(),
    }
}

/// `strconv.Quote`.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if let Some(e) = short_escape(c) {
            out.push_str(e);
            continue;
        }
        match c {
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`.
fn go_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Shortest round-trip digits and the decimal exponent.
    let sci = format!("{:e}", f);
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    // With the shortest digits, Go uses the exponent form outside [1e-4, 1e6).
    if !(-4..6).contains(&exp) {
        return go_exponent(mantissa, exp);
    }
    format!("{f}")
}

/// `mantissa` and `exp` as Go prints an exponent: `1.5e+06`.
fn go_exponent(mantissa: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// `time.Time.Format(time.RFC3339Nano)`.
fn rfc3339_nano(ts: &chrono::DateTime<chrono::FixedOffset>) -> String {
    let mut out = ts.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = ts.timestamp_subsec_nanos();
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    if ts.offset().local_minus_utc() == 0 {
        out.push('Z');
    } else {
        out.push_str(&ts.format("%:z").to_string());
    }
    out
}

/// cel-go's `duration` to `string`: seconds, as few digits as round-trip, and `s`.
fn duration_string(d: &chrono::Duration) -> String {
    let nanos = d.num_nanoseconds().unwrap_or(i64::MAX);
    format!("{}s", nanos as f64 / 1e9)
}

/// `FormatString`, the `%s` clause.
fn format_string(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::List(items) => format_list(items)?,
        Value::Map(map) => format_map(map)?,
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => go_g(*f),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.to_string(),
        Value::Timestamp(ts) => rfc3339_nano(ts),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Duration(d) => duration_string(d),
        Value::Null => "null".to_owned(),
        other => {
            return Err(format!(
                "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given {}",
                type_name(other)
            ));
        }
    })
}

/// `clauseForType`, then `quoteForCEL`: a list element or map value as a CEL literal.
fn format_member(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::Int(_) | Value::UInt(_) => format_decimal(value)?,
        Value::String(s) => go_quote(s),
        Value::Bytes(b) => format!("b{}", go_quote(&String::from_utf8_lossy(b))),
        Value::Bool(_) | Value::Null => format_string(value)?,
        Value::Timestamp(ts) => format!("timestamp({})", go_quote(&rfc3339_nano(ts))),
        Value::Duration(d) => format!("duration({})", go_quote(&duration_string(d))),
        Value::List(items) => format_list(items)?,
        Value::Map(map) => format_map(map)?,
        Value::Float(f) if f.is_nan() => go_quote("NaN"),
        Value::Float(f) if f.is_infinite() => go_quote(if *f > 0.0 { "+Inf" } else { "-Inf" }),
        Value::Float(f) => format!("{f:.6}"),
        other => return Err(format!("no formatting function for {}", type_name(other))),
    })
}

fn format_list(items: &[Value]) -> Result<String, String> {
    let parts = items
        .iter()
        .map(format_member)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!("[{}]", parts.join(", ")))
}

fn format_map(map: &cel::objects::Map) -> Result<String, String> {
    use cel::objects::Key;
    let mut pairs = Vec::with_capacity(map.map.len());
    for (key, value) in map.map.iter() {
        let key = match key {
            Key::String(s) => go_quote(s),
            Key::Bool(b) => b.to_string(),
            Key::Int(i) => i.to_string(),
            Key::Uint(u) => u.to_string(),
        };
        pairs.push((key, format_member(value)?));
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
    Ok(format!("{{{}}}", parts.join(", ")))
}

fn format_decimal(value: &Value) -> Result<String, String> {
    match value {
        Value::Int(i) => Ok(i.to_string()),
        Value::UInt(u) => Ok(u.to_string()),
        other => Err(format!(
            "decimal clause can only be used on integers, was given {}",
            type_name(other)
        )),
    }
}

/// The double `%f` and `%e` take: a double, or one of the strings that name one.
fn float_arg(value: &Value, clause: &str) -> Result<f64, String> {
    match value {
        Value::Float(f) => Ok(*f),
        Value::String(s) if s.as_str() == "NaN" => Ok(f64::NAN),
        Value::String(s) if s.as_str() == "Infinity" => Ok(f64::INFINITY),
        Value::String(s) if s.as_str() == "-Infinity" => Ok(f64::NEG_INFINITY),
        other => Err(format!(
            "{clause} clause can only be used on doubles, was given {}",
            type_name(other)
        )),
    }
}

/// A non-finite double as the `en-US` printer of `golang.org/x/text/message` prints it.
fn non_finite(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".to_owned())
    } else if f.is_infinite() {
        Some(if f > 0.0 { "∞" } else { "-∞" }.to_owned())
    } else {
        None
    }
}

/// `%.<precision>f` as the `en-US` printer prints it: thousands grouped with commas.
fn format_fixed(f: f64, precision: usize) -> String {
    if let Some(s) = non_finite(f) {
        return s;
    }
    let plain = format!("{:.*}", precision, f.abs());
    let (int_part, frac) = plain
        .split_once('.')
        .map_or((plain.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if f.is_sign_negative() && plain.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(frac) => format!("{sign}{grouped}.{frac}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `%<width>e`: six digits after the point, padded to `width`.
fn format_scientific(f: f64, width: usize) -> String {
    let s = non_finite(f).unwrap_or_else(|| {
        let sci = format!("{f:.6e}");
        let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
        go_exponent(mantissa, exp.parse().expect("an integer exponent"))
    });
    format!("{s:>width$}")
}

fn radix(value: &Value, clause: char) -> Option<String> {
    let (negative, magnitude) = match value {
        Value::Int(i) => (*i < 0, i.unsigned_abs()),
        Value::UInt(u) => (false, *u),
        _ => return None,
    };
    let digits = match clause {
        'b' => format!("{magnitude:b}"),
        'o' => format!("{magnitude:o}"),
        'x' => format!("{magnitude:x}"),
        _ => format!("{magnitude:X}"),
    };
    Some(if negative {
        format!("-{digits}")
    } else {
        digits
    })
}

fn format_clause(clause: u8, precision: Option<usize>, value: &Value) -> Result<String, String> {
    match clause {
        b's' => format_string(value),
        b'd' => format_decimal(value),
        b'f' => Ok(format_fixed(
            float_arg(value, "fixed-point")?,
            precision.unwrap_or(6),
        )),
        b'e' => Ok(format_scientific(
            float_arg(value, "scientific")?,
            precision.unwrap_or(6),
        )),
        b'b' => match value {
            Value::Bool(b) => Ok(if *b { "1" } else { "0" }.to_owned()),
            other => radix(other, 'b').ok_or_else(|| {
                format!(
                    "only integers and bools can be formatted as binary, was given {}",
                    type_name(other)
                )
            }),
        },
        b'x' | b'X' => {
            let upper = clause == b'X';
            let bytes: Option<&[u8]> = match value {
                Value::String(s) => Some(s.as_bytes()),
                Value::Bytes(b) => Some(b.as_slice()),
                _ => None,
            };
            if let Some(bytes) = bytes {
                return Ok(bytes
                    .iter()
                    .map(|b| {
                        if upper {
                            format!("{b:02X}")
                        } else {
                            format!("{b:02x}")
                        }
                    })
                    .collect());
            }
            radix(value, clause as char).ok_or_else(|| {
                format!(
                    "only integers, byte buffers, and strings can be formatted as hex, was given {}",
                    type_name(value)
                )
            })
        }
        b'o' => radix(value, 'o').ok_or_else(|| {
            format!(
                "octal clause can only be used on integers, was given {}",
                type_name(value)
            )
        }),
        other => Err(format!(
            "could not parse formatting clause: unrecognized formatting clause \"{}\"",
            other as char
        )),
    }
}

/// cel-go's `parseFormatString` with the `stringFormatter` of `formatting.go`.
pub(super) fn format_v1(template: &str, args: &[Value]) -> Result<String, String> {
    let b = template.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let (mut i, mut arg_index) = (0, 0);
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'%') {
            out.push(b'%');
            i += 2;
            continue;
        }
        let arg = args
            .get(arg_index)
            .ok_or_else(|| format!("index {arg_index} out of range"))?;
        if i + 1 >= b.len() {
            return Err("unexpected end of string".to_owned());
        }
        let rest = &b[i + 1..];
        let (read, precision) = if rest[0] == b'.' {
            let mut k = 1;
            loop {
                if k >= rest.len() {
                    return Err("could not parse formatting clause: error while parsing precision: could not find end of precision specifier".to_owned());
                }
                if !rest[k].is_ascii_digit() {
                    break;
                }
                k += 1;
            }
            let digits = std::str::from_utf8(&rest[1..k]).expect("ASCII digits");
            let precision: usize = digits.parse().map_err(|_| {
                format!(
                    "could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing {}: invalid syntax",
                    go_quote(digits)
                )
            })?;
            (k, Some(precision))
        } else {
            (0, None)
        };
        let clause = rest[read];
        let formatted = format_clause(clause, precision, arg).map_err(|e| {
            if e.starts_with("could not parse formatting clause") {
                e
            } else {
                format!("error during formatting: {e}")
            }
        })?;
        out.extend_from_slice(formatted.as_bytes());
        i += 1 + read + 1;
        arg_index += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}
