//! Resource quantities written back as the API server writes them
//! (`k8s.io/apimachinery/pkg/api/resource`: `ParseQuantity`, then `String`, which is
//! `CanonicalizeBytes`), and the rounding of resource lists to milli-units
//! (`SetDefaults_ResourceList`).

use serde_json::Value;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// A parsed quantity: `mantissa * 10^scale`, and the format its suffix asked for.
#[derive(Clone, Copy, Debug)]
struct Q {
    mantissa: i128,
    scale: i32,
    format: Format,
}

fn parse(text: &str) -> Option<Q> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(num_end);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    let mut mantissa: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(b - b'0'))?;
    }
    let mut scale = -i32::try_from(frac.len()).ok()?;
    let format = match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => {
            scale += match suffix {
                "n" => -9,
                "u" => -6,
                "m" => -3,
                "k" => 3,
                "M" => 6,
                "G" => 9,
                "T" => 12,
                "P" => 15,
                "E" => 18,
                _ => 0,
            };
            Format::DecimalSi
        }
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let k = match suffix {
                "Ki" => 1,
                "Mi" => 2,
                "Gi" => 3,
                "Ti" => 4,
                "Pi" => 5,
                _ => 6,
            };
            mantissa = mantissa.checked_mul(1024i128.pow(k))?;
            Format::BinarySi
        }
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            let e: i32 = s[1..].parse().ok()?;
            if e.abs() > 30 {
                return None;
            }
            scale += e;
            Format::DecimalExponent
        }
        _ => return None,
    };
    if negative {
        mantissa = -mantissa;
    }
    Some(Q {
        mantissa,
        scale,
        format,
    })
}

impl Q {
    /// Rounds up (away from zero) to `10^scale` units.
    fn round_up(&mut self, scale: i32) {
        if self.scale >= scale {
            return;
        }
        let Some(d) = 10i128.checked_pow((scale - self.scale) as u32) else {
            self.mantissa = self.mantissa.signum();
            self.scale = scale;
            return;
        };
        let (q, r) = (self.mantissa / d, self.mantissa % d);
        self.mantissa = q + r.signum();
        self.scale = scale;
    }

    /// The value as an integer, when it is one.
    fn integer(&self) -> Option<i128> {
        if self.scale >= 0 {
            self.mantissa
                .checked_mul(10i128.checked_pow(self.scale as u32)?)
        } else {
            let d = 10i128.checked_pow((-self.scale) as u32)?;
            (self.mantissa % d == 0).then(|| self.mantissa / d)
        }
    }

    /// Whether |value| < 1024.
    fn below_1024(&self) -> bool {
        match self.integer() {
            Some(i) => i.abs() < 1024,
            None => {
                // not an integer: compare its integer part
                let d = 10i128
                    .checked_pow((-self.scale) as u32)
                    .unwrap_or(i128::MAX);
                (self.mantissa / d).abs() < 1024
            }
        }
    }

    fn canonical(&self) -> Option<String> {
        if self.mantissa == 0 {
            return Some("0".to_string());
        }
        let mut format = self.format;
        if format == Format::BinarySi && (self.below_1024() || self.integer().is_none()) {
            format = Format::DecimalSi;
        }
        if format == Format::BinarySi {
            let mut v = self.integer()?;
            let mut e = 0;
            while v.abs() >= 1024 && v % 1024 == 0 && e < 6 {
                v /= 1024;
                e += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][e];
            return Some(format!("{v}{suffix}"));
        }
        let (mut m, mut e) = (self.mantissa, self.scale);
        while m.abs() >= 10 && m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        match e % 3 {
            1 | -2 => {
                m *= 10;
                e -= 1;
            }
            2 | -1 => {
                m *= 100;
                e -= 2;
            }
            _ => {}
        }
        let suffix = if format == Format::DecimalExponent {
            if e == 0 {
                String::new()
            } else {
                format!("e{e}")
            }
        } else {
            match e {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => "",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                18 => "E",
                _ => return None,
            }
            .to_string()
        };
        Some(format!("{m}{suffix}"))
    }
}

/// A quantity (a JSON string or number) as the API server writes it back, rounded up to
/// milli-units first when `milli` (the quantities of resource lists). `None` when it
/// does not parse (the API server rejects it) or has no canonical form here.
pub fn canonical(v: &Value, milli: bool) -> Option<String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let mut q = parse(&text)?;
    if milli {
        q.round_up(-3);
    }
    q.canonical()
}

/// Rewrites a quantity in place.
pub(super) fn rewrite(v: &mut Value, milli: bool) {
    if let Some(s) = canonical(v, milli) {
        *v = Value::String(s);
    }
}

/// Rewrites every quantity of a resource list (`SetDefaults_ResourceList`).
pub(super) fn resource_list(v: Option<&mut Value>) {
    if let Some(m) = v.and_then(Value::as_object_mut) {
        for q in m.values_mut() {
            rewrite(q, true);
        }
    }
}

/// A quantity to add and compare, in the format of its first operand (as
/// `Quantity.Add` keeps the receiver's format).
#[derive(Clone, Copy, Debug)]
pub(super) struct Amount(Q);

impl Amount {
    pub(super) fn of(v: &Value) -> Option<Amount> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        parse(&text).map(Amount)
    }

    /// Both mantissas at the smaller scale.
    fn aligned(a: &Q, b: &Q) -> Option<(i128, i128, i32)> {
        let scale = a.scale.min(b.scale);
        let up = |q: &Q| {
            q.mantissa
                .checked_mul(10i128.checked_pow((q.scale - scale) as u32)?)
        };
        Some((up(a)?, up(b)?, scale))
    }

    pub(super) fn add(&mut self, other: &Amount) {
        if let Some((a, b, scale)) = Amount::aligned(&self.0, &other.0) {
            self.0.mantissa = a + b;
            self.0.scale = scale;
        }
    }

    pub(super) fn greater(&self, other: &Amount) -> bool {
        Amount::aligned(&self.0, &other.0).is_some_and(|(a, b, _)| a > b)
    }

    pub(super) fn render(&self) -> Option<String> {
        self.0.canonical()
    }
}
