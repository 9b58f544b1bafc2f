//! Literal arguments cel-go validates at compile time: durations as Go's
//! `time.ParseDuration` reads them, RFC 3339 timestamps in CEL's range, and regexes.

/// Go's `time.ParseDuration`: the duration in nanoseconds, `None` where Go fails.
pub(crate) fn parse_go_duration(s: &str) -> Option<i64> {
    let mut rest = s;
    let mut negative = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let (whole, r) = rest.split_at(digits);
        rest = r;
        let mut fraction = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.chars().take_while(char::is_ascii_digit).count();
            fraction = &r[..n];
            rest = &r[n..];
        }
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let (unit, r) = rest.split_at(unit_len);
        rest = r;
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut value = whole.checked_mul(scale)?;
        let mut divisor = 1u128;
        let mut frac = 0u128;
        for c in fraction.chars().take(30) {
            frac = frac * 10 + u128::from(c.to_digit(10)?);
            divisor *= 10;
        }
        value += frac * scale / divisor;
        total = total.checked_add(value)?;
        if total > 1u128 << 63 {
            return None;
        }
    }
    if total == 1u128 << 63 {
        return negative.then_some(i64::MIN);
    }
    let total = total as i64;
    Some(if negative { -total } else { total })
}

/// `timestamp(s)`: RFC 3339, between years 1 and 9999.
pub(crate) fn valid_timestamp(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s)
        .is_ok_and(|t| valid_unix_seconds(t.timestamp()) && s.as_bytes().get(10) == Some(&b'T'))
}

/// `timestamp(i)`: seconds since the epoch, between years 1 and 9999.
pub(crate) fn valid_unix_seconds(seconds: i64) -> bool {
    (-62_135_596_800..=253_402_300_799).contains(&seconds)
}

/// Why `pattern` isn't a regex, in the words of Go's `regexp` where they are known;
/// `None` if it compiles.
///
/// Rust's `regex` crate is close to RE2 but not the same: an approximation.
pub(crate) fn regex_error(pattern: &str) -> Option<String> {
    match regex::Regex::new(pattern) {
        Ok(_) => None,
        Err(error) => {
            let text = error.to_string();
            let code = if text.contains("unclosed character class") {
                "missing closing ]"
            } else if text.contains("unclosed group") {
                "missing closing )"
            } else if text.contains("unopened group") {
                "unexpected )"
            } else if text.contains("repetition operator missing expression") {
                "missing argument to repetition operator"
            } else if text.contains("invalid escape") || text.contains("unrecognized escape") {
                "invalid escape sequence"
            } else if text.contains("invalid character class range") {
                "invalid character class range"
            } else if text.contains("look-around") {
                "invalid or unsupported Perl syntax"
            } else if text.contains("incomplete escape") {
                "trailing backslash at end of expression"
            } else {
                "invalid regular expression"
            };
            Some(format!("error parsing regexp: {code}: `{pattern}`"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1s"), Some(1_000_000_000));
        assert_eq!(parse_go_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("-2ms"), Some(-2_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration(".5s"), Some(500_000_000));
        for bad in ["", "1", "1x", "s", "1.s.", "3000000h", "+", "1d"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        assert!(valid_timestamp("2024-01-02T03:04:05Z"));
        assert!(valid_timestamp("2024-01-02T03:04:05.123+02:00"));
        assert!(!valid_timestamp("2024-01-02"));
        assert!(!valid_timestamp("yesterday"));
    }
}

/// A clause of a `string.format` call and the argument types it takes (cel-go's
/// `stringFormatChecker`), by the kinds of cel-go's types.
#[derive(Clone, Copy)]
pub(crate) enum Clause {
    String,
    Decimal,
    Fixed,
    Scientific,
    Binary,
    Hex,
    Octal,
}

impl Clause {
    /// The error for an argument of type `given`.
    pub(crate) fn error(self, given: &str) -> String {
        let what = match self {
            Clause::String => {
                "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps"
            }
            Clause::Decimal => "decimal clause can only be used on ints, uints, and doubles",
            Clause::Fixed => "fixed-point clause can only be used on ints, uints, and doubles",
            Clause::Scientific => "scientific clause can only be used on ints, uints, and doubles",
            Clause::Binary => "only ints, uints, and bools can be formatted as binary",
            Clause::Hex => "only ints, uints, bytes, and strings can be formatted as hex",
            Clause::Octal => "octal clause can only be used on ints and uints",
        };
        format!("error during formatting: {what}, was given {given}")
    }
}

/// The clauses of a `string.format` format string, each with the index of the argument
/// it formats; or the error cel-go's parser gives, and whether it is about an argument
/// (then at that argument) or the call.
pub(crate) fn format_clauses(
    format: &str,
    arg_count: usize,
) -> Result<Vec<(usize, Clause)>, String> {
    let bytes = format.as_bytes();
    let mut clauses = Vec::new();
    let (mut i, mut arg) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'%') {
            i += 2;
            continue;
        }
        if i + 1 >= bytes.len() {
            return Err("unexpected end of string".into());
        }
        if arg >= arg_count {
            return Err(format!("index {arg} out of range"));
        }
        let mut j = i + 1;
        if bytes[j] == b'.' {
            j += 1;
            let start = j;
            loop {
                if j >= bytes.len() {
                    return Err("could not parse formatting clause: error while parsing precision: could not find end of precision specifier".into());
                }
                if !bytes[j].is_ascii_digit() {
                    break;
                }
                j += 1;
            }
            if start == j {
                return Err("could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing \"\": invalid syntax".into());
            }
        }
        let clause = match bytes[j] {
            b's' => Clause::String,
            b'd' => Clause::Decimal,
            b'f' => Clause::Fixed,
            b'e' => Clause::Scientific,
            b'b' => Clause::Binary,
            b'x' | b'X' => Clause::Hex,
            b'o' => Clause::Octal,
            _ => {
                let c = format[j..].chars().next().unwrap_or('?');
                return Err(format!(
                    "could not parse formatting clause: unrecognized formatting clause \"{c}\""
                ));
            }
        };
        clauses.push((arg, clause));
        arg += 1;
        i = j + 1;
    }
    Ok(clauses)
}
