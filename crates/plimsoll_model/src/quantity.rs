//! Resource quantities, parsed exactly as `k8s.io/apimachinery/pkg/api/resource` does.

use std::cmp::Ordering;
use std::fmt;

/// A quantity held exactly in units of 10^-9 (the finest precision Kubernetes keeps;
/// finer values round up, as the API server rounds them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Quantity {
    nanos: i128,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// Not of the form number + suffix at all.
    Format,
    /// The number is fine, the suffix is not one Kubernetes knows (`1K`, `1gb`).
    Suffix(String),
    /// Larger than Kubernetes can represent.
    TooLarge,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::Format => write!(
                f,
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            ),
            QuantityError::Suffix(s) => write!(f, "unable to parse quantity's suffix `{s}`"),
            QuantityError::TooLarge => write!(f, "quantity too large"),
        }
    }
}

const NANO: i128 = 1_000_000_000;

impl Quantity {
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    pub fn from_nanos(nanos: i128) -> Self {
        Quantity { nanos }
    }

    pub fn from_milli(milli: i64) -> Self {
        Quantity {
            nanos: milli as i128 * 1_000_000,
        }
    }

    pub fn from_units(units: i64) -> Self {
        Quantity {
            nanos: units as i128 * NANO,
        }
    }

    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in whole units, rounded up (bytes for memory).
    pub fn units_ceil(&self) -> i128 {
        (self.nanos + NANO - 1).div_euclid(NANO)
    }

    /// The value in thousandths, rounded up (millicores for CPU).
    pub fn milli_ceil(&self) -> i128 {
        (self.nanos + 999_999).div_euclid(1_000_000)
    }

    pub fn as_f64(&self) -> f64 {
        self.nanos as f64 / NANO as f64
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// `self / other` as a float (for ratios); `None` when `other` is zero.
    pub fn ratio(&self, other: &Quantity) -> Option<f64> {
        (other.nanos != 0).then(|| self.nanos as f64 / other.nanos as f64)
    }

    /// Parses a quantity such as `500m`, `0.5`, `1Gi`, `1G`, `1e3`, `129M`.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(QuantityError::Format);
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let neg = match bytes[0] {
            b'-' => {
                i = 1;
                true
            }
            b'+' => {
                i = 1;
                false
            }
            _ => false,
        };
        let num_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &s[num_start..i];
        let suffix = &s[i..];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(QuantityError::Format);
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        // exponents: 10^dec * 2^bin
        let (dec, bin): (i32, u32) = match suffix {
            "" => (0, 0),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            _ => {
                let exp = suffix
                    .strip_prefix(['e', 'E'])
                    .filter(|e| !e.is_empty())
                    .and_then(|e| e.parse::<i32>().ok());
                match exp {
                    Some(e) => (e, 0),
                    None => {
                        if suffix
                            .bytes()
                            .all(|b| b"eEinumkKMGTP+-0123456789".contains(&b))
                        {
                            return Err(QuantityError::Suffix(suffix.to_string()));
                        }
                        return Err(QuantityError::Format);
                    }
                }
            }
        };
        let digits: String = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        let mantissa: i128 = if digits.is_empty() {
            0
        } else if digits.len() > 36 {
            return Err(QuantityError::TooLarge);
        } else {
            digits.parse().map_err(|_| QuantityError::Format)?
        };
        // value = mantissa * 10^(dec - frac_len) * 2^bin, in nanos: * 10^9
        let scale = dec - frac_part.len() as i32 + 9;
        let mut v = mantissa
            .checked_mul(1i128.checked_shl(bin).ok_or(QuantityError::TooLarge)?)
            .ok_or(QuantityError::TooLarge)?;
        if scale >= 0 {
            let p = 10i128
                .checked_pow(scale as u32)
                .ok_or(QuantityError::TooLarge)?;
            v = v.checked_mul(p).ok_or(QuantityError::TooLarge)?;
        } else {
            let p = 10i128.checked_pow((-scale) as u32);
            v = match p {
                // below a nano: Kubernetes rounds up to the smallest unit
                Some(p) => (v + p - 1) / p,
                None => i128::from(v > 0),
            };
        }
        // Kubernetes caps quantities at 2^63-1 in their largest scale; be generous
        if v > i128::from(i64::MAX) * NANO * 1000 {
            return Err(QuantityError::TooLarge);
        }
        Ok(Quantity {
            nanos: if neg { -v } else { v },
        })
    }

    /// A human form for CPU: `250m`, `2`.
    pub fn cpu_string(&self) -> String {
        let m = self.milli_ceil();
        if m % 1000 == 0 {
            format!("{}", m / 1000)
        } else {
            format!("{m}m")
        }
    }

    /// A human form for memory: `512Mi`, `1Gi`, `1500000` (bytes).
    pub fn memory_string(&self) -> String {
        let b = self.units_ceil();
        for (suffix, shift) in [
            ("Ei", 60),
            ("Pi", 50),
            ("Ti", 40),
            ("Gi", 30),
            ("Mi", 20),
            ("Ki", 10),
        ] {
            let unit = 1i128 << shift;
            if b != 0 && b % unit == 0 {
                return format!("{}{suffix}", b / unit);
            }
        }
        for (suffix, p) in [("G", 9), ("M", 6), ("k", 3)] {
            let unit = 10i128.pow(p);
            if b != 0 && b % unit == 0 {
                return format!("{}{suffix}", b / unit);
            }
        }
        b.to_string()
    }
}

impl PartialOrd<i64> for Quantity {
    fn partial_cmp(&self, other: &i64) -> Option<Ordering> {
        Some(self.nanos.cmp(&(*other as i128 * NANO)))
    }
}

impl PartialEq<i64> for Quantity {
    fn eq(&self, other: &i64) -> bool {
        self.nanos == *other as i128 * NANO
    }
}
