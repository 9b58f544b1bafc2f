//! The Kubernetes format library (1.31): `format.named(name)`, `format.<name>()`, and
//! `<Format>.validate(s)`, which is `optional.none()` for a valid string and the list of
//! apimachinery's validation messages otherwise.

use cel::common::types::{STRING_TYPE, Type};
use cel::objects::Opaque;
use cel::{DeclarationError, Env, Value};

use super::{as_str, downcast, opaque, optional, value_fn};

const TYPE_NAME: &str = "kubernetes.NamedFormat";

/// One of the library's named formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedFormat {
    /// The name `format.named` takes, e.g. `dns1123Label`.
    pub name: &'static str,
}

impl Opaque for NamedFormat {
    fn runtime_type_name(&self) -> &str {
        TYPE_NAME
    }
}

/// Every format, by the name `format.named` takes.
pub const NAMES: [&str; 13] = [
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

impl NamedFormat {
    /// The format of that name.
    pub fn named(name: &str) -> Option<NamedFormat> {
        NAMES
            .iter()
            .find(|n| **n == name)
            .map(|name| NamedFormat { name })
    }

    /// The validation errors of `s`; empty when it is valid.
    pub fn validate(&self, s: &str) -> Vec<String> {
        match self.name {
            "dns1123Label" => dns1123_label(s),
            "dns1123Subdomain" => dns1123_subdomain(s),
            "dns1035Label" => dns1035_label(s),
            "qualifiedName" => qualified_name(s),
            "dns1123LabelPrefix" => dns1123_label(&mask_trailing_dash(s)),
            "dns1123SubdomainPrefix" => dns1123_subdomain(&mask_trailing_dash(s)),
            "dns1035LabelPrefix" => dns1035_label(&mask_trailing_dash(s)),
            "labelValue" => label_value(s),
            "uri" => match super::url::Url::parse_request_uri(s) {
                Ok(()) => Vec::new(),
                Err(e) => vec![e],
            },
            "uuid" => check(is_uuid(s), "does not match the UUID format"),
            "byte" => check(is_base64(s), "invalid base64"),
            "date" => check(is_date(s), "invalid date"),
            "datetime" => check(is_datetime(s), "invalid datetime"),
            _ => Vec::new(),
        }
    }
}

fn check(ok: bool, message: &str) -> Vec<String> {
    if ok {
        Vec::new()
    } else {
        vec![message.to_owned()]
    }
}

/// apimachinery's `maskTrailingDash`.
fn mask_trailing_dash(s: &str) -> String {
    if s.len() > 1 && s.ends_with('-') {
        format!("{}a", &s[..s.len() - 2])
    } else {
        s.to_owned()
    }
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// apimachinery's `RegexError`.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

fn dns1123_subdomain_fmt() -> String {
    format!("{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*")
}

fn full_match(pattern: &str, s: &str) -> bool {
    regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(s))
}

/// apimachinery's `IsDNS1123Label`.
fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !full_match(DNS1123_LABEL_FMT, s) {
        if full_match(&dns1123_subdomain_fmt(), s) {
            errs.push("must not contain dots".to_owned());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// apimachinery's `IsDNS1123Subdomain`.
fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    let fmt = dns1123_subdomain_fmt();
    if !full_match(&fmt, s) {
        errs.push(regex_error(DNS1123_SUBDOMAIN_MSG, &fmt, &["example.com"]));
    }
    errs
}

/// apimachinery's `IsDNS1035Label`.
fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !full_match(DNS1035_LABEL_FMT, s) {
        errs.push(regex_error(
            DNS1035_LABEL_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// apimachinery's `IsQualifiedName`.
fn qualified_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_owned());
            } else {
                errs.extend(
                    dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_MSG,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_owned());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !full_match(QUALIFIED_NAME_FMT, name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// apimachinery's `IsValidLabelValue`.
fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    let fmt = format!("({QUALIFIED_NAME_FMT})?");
    if !full_match(&fmt, s) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            &fmt,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// strfmt's UUID pattern.
fn is_uuid(s: &str) -> bool {
    full_match(
        "(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}",
        s,
    )
}

/// `base64.StdEncoding.DecodeString` succeeds.
fn is_base64(s: &str) -> bool {
    let b: Vec<u8> = s.bytes().filter(|c| *c != b'\r' && *c != b'\n').collect();
    if b.len() % 4 != 0 {
        return false;
    }
    let body_len = b.iter().rposition(|c| *c != b'=').map_or(0, |i| i + 1);
    let padding = b.len() - body_len;
    if padding > 2 {
        return false;
    }
    let alphabet = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    if !b[..body_len].iter().all(alphabet) {
        return false;
    }
    // Go rejects non-zero bits in the last symbol before the padding.
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    match padding {
        1 => value(b[body_len - 1]) & 0b11 == 0,
        2 => value(b[body_len - 1]) & 0b1111 == 0,
        _ => true,
    }
}

/// strfmt's `date`: Go's `time.Parse("2006-01-02", s)`.
fn is_date(s: &str) -> bool {
    s.len() == 10
        && s.as_bytes()[4] == b'-'
        && s.as_bytes()[7] == b'-'
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// strfmt's `date-time`: RFC 3339 with or without a fraction, a local time without an
/// offset, and the reduced precision forms without seconds.
fn is_datetime(s: &str) -> bool {
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return true;
    }
    let with_offset = [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ];
    if with_offset
        .iter()
        .any(|f| chrono::DateTime::parse_from_str(s, f).is_ok())
    {
        return true;
    }
    if let Some(utc) = s.strip_suffix('Z')
        && chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%dT%H:%M").is_ok()
    {
        return true;
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .any(|f| chrono::NaiveDateTime::parse_from_str(s, f).is_ok())
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let f = Type::new_opaque_type(TYPE_NAME);
    env.add_type(f.to_owned())?;
    env.add_overload("format.named", "format-named", vec![STRING_TYPE], named)?;
    env.add_member_overload(
        "validate",
        "format-validate",
        f,
        vec![STRING_TYPE],
        validate,
    )?;
    for name in NAMES {
        let qualified = format!("format.{name}");
        env.add_overload(&qualified, &qualified, vec![], constant(name))?;
    }
    Ok(())
}

/// The zero-argument `format.<name>()` overloads: one function each, as overloads are plain
/// function pointers.
fn constant(name: &str) -> cel::common::functions::Function {
    macro_rules! constants {
        ($($n:literal => $f:ident),* $(,)?) => {{
            $(value_fn!($f, |_| Ok(opaque(NamedFormat { name: $n })));)*
            match name {
                $($n => $f,)*
                _ => unreachable!("every format name has a constant"),
            }
        }};
    }
    constants! {
        "dns1123Label" => dns1123_label_fn,
        "dns1123Subdomain" => dns1123_subdomain_fn,
        "dns1035Label" => dns1035_label_fn,
        "qualifiedName" => qualified_name_fn,
        "dns1123LabelPrefix" => dns1123_label_prefix_fn,
        "dns1123SubdomainPrefix" => dns1123_subdomain_prefix_fn,
        "dns1035LabelPrefix" => dns1035_label_prefix_fn,
        "labelValue" => label_value_fn,
        "uri" => uri_fn,
        "uuid" => uuid_fn,
        "byte" => byte_fn,
        "date" => date_fn,
        "datetime" => datetime_fn,
    }
}

value_fn!(named, |args| {
    let name = as_str("format.named", &args[0])?;
    Ok(optional(NamedFormat::named(name).map(opaque)))
});

value_fn!(validate, |args| {
    let format = downcast::<NamedFormat>("validate", &args[0])?;
    let s = as_str("validate", &args[1])?;
    let errors = format.validate(s);
    Ok(optional((!errors.is_empty()).then(|| {
        Value::List(
            errors
                .into_iter()
                .map(Value::from)
                .collect::<Vec<_>>()
                .into(),
        )
    })))
});
