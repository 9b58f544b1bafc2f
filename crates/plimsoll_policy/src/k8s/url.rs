//! The Kubernetes URL library: `url`, `isURL`, `getScheme`, `getHost`, `getHostname`,
//! `getPort`, `getEscapedPath`, `getQuery`.
//!
//! A port of the parts of Go's `net/url` the library uses: `url.ParseRequestURI` decides
//! what is a URL (an absolute URI or an absolute path), and `url.Parse` gives the parts.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{STRING_TYPE, Type};
use cel::objects::{Key, Map, Opaque};
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::{as_str, downcast, fail, opaque, value_fn};

const TYPE_NAME: &str = "kubernetes.URL";

/// A URL of the CEL URL library, as Go's `url.URL` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Url {
    scheme: String,
    opaque: String,
    host: String,
    path: String,
    raw_path: String,
    raw_query: String,
    fragment: String,
}

impl Opaque for Url {
    fn runtime_type_name(&self) -> &str {
        TYPE_NAME
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    QueryComponent,
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Mode::Host {
        return !matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
                | b'-'
                | b'_'
                | b'.'
                | b'~'
        );
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => c == b'?',
            _ => true,
        },
        _ => true,
    }
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Go's `unescape`.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(h), Some(l)) = (
                    b.get(i + 1).copied().and_then(unhex),
                    b.get(i + 2).copied().and_then(unhex),
                ) else {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..end])
                    ));
                };
                // In a host, only non-ASCII bytes and `%25` may be escaped.
                if mode == Mode::Host && h < 8 && &b[i..i + 3] != b"%25" {
                    return Err(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..i + 3])
                    ));
                }
                out.push(h << 4 | l);
                i += 3;
            }
            b'+' if mode == Mode::QueryComponent => {
                out.push(b' ');
                i += 1;
            }
            c => {
                if mode == Mode::Host && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {:?} in host name",
                        (c as char).to_string()
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `escape` for paths.
fn escape_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, Mode::Path) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

fn valid_encoded(s: &str) -> bool {
    s.bytes()
        .all(|c| b"!$&'()*+,;=:@[]".contains(&c) || c == b'%' || !should_escape(c, Mode::Path))
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|c| c.is_ascii_digit()))
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".to_owned());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".to_owned());
        };
        let port = &host[i + 1..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {port:?} after host"));
        }
    } else if let Some(i) = host.rfind(':') {
        let port = &host[i..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {port:?} after host"));
        }
    }
    unescape(host, Mode::Host)
}

fn valid_userinfo(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c))
}

/// Go's `parse(rawURL, viaRequest)`, without the fragment.
fn parse(raw: &str, via_request: bool) -> Result<Url, String> {
    if raw.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    if raw.is_empty() && via_request {
        return Err("empty url".to_owned());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".to_owned();
        return Ok(url);
    }
    let (scheme, rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest.to_owned();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest.pop();
    } else if let Some((before, query)) = rest.clone().split_once('?') {
        url.raw_query = query.to_owned();
        rest = before.to_owned();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest;
            return Ok(url);
        }
        if via_request {
            return Err("invalid URI for request".to_owned());
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }
    if (!url.scheme.is_empty() || !via_request && !rest.starts_with("///"))
        && rest.starts_with("//")
    {
        let mut authority = rest[2..].to_owned();
        rest = String::new();
        if let Some(i) = authority.find('/') {
            rest = authority[i..].to_owned();
            authority.truncate(i);
        }
        let host = match authority.rfind('@') {
            Some(i) => {
                let host = parse_host(&authority[i + 1..])?;
                if !valid_userinfo(&authority[..i]) {
                    return Err("net/url: invalid userinfo".to_owned());
                }
                host
            }
            None => parse_host(&authority)?,
        };
        url.host = host;
    }
    let path = unescape(&rest, Mode::Path)?;
    url.raw_path = if escape_path(&path) == rest {
        String::new()
    } else {
        rest.clone()
    };
    url.path = path;
    Ok(url)
}

impl Url {
    /// `url.ParseRequestURI`: whether `raw` is an absolute URI or an absolute path; the
    /// error is Go's `*url.Error` text.
    pub fn parse_request_uri(raw: &str) -> Result<(), String> {
        parse(raw, true)
            .map(drop)
            .map_err(|e| format!("parse {raw:?}: {e}"))
    }

    /// `url.ParseRequestURI` to validate, then `url.Parse` for the parts, as the library
    /// does. The error is Go's `*url.Error` text.
    pub fn parse(raw: &str) -> Result<Url, String> {
        let error = |e: String| format!("parse {raw:?}: {e}");
        parse(raw, true).map_err(error)?;
        let (without_fragment, fragment) = raw.split_once('#').unwrap_or((raw, ""));
        let mut url = parse(without_fragment, false).map_err(error)?;
        url.fragment = fragment.to_owned();
        Ok(url)
    }

    /// `URL.EscapedPath()`.
    pub fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path)
            && unescape(&self.raw_path, Mode::Path).is_ok_and(|p| p == self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".to_owned();
        }
        escape_path(&self.path)
    }

    fn split_host_port(&self) -> (&str, &str) {
        let mut host = self.host.as_str();
        let mut port = "";
        if let Some(colon) = host.rfind(':')
            && valid_optional_port(&host[colon..])
        {
            port = &host[colon + 1..];
            host = &host[..colon];
        }
        if host.starts_with('[') && host.ends_with(']') {
            host = &host[1..host.len() - 1];
        }
        (host, port)
    }

    /// `URL.Query()`: `url.ParseQuery`, skipping what it rejects.
    pub fn query(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for part in self.raw_query.split('&') {
            if part.is_empty() || part.contains(';') {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let (Ok(k), Ok(v)) = (
                unescape(k, Mode::QueryComponent),
                unescape(v, Mode::QueryComponent),
            ) else {
                continue;
            };
            match out.iter_mut().find(|(key, _)| *key == k) {
                Some((_, values)) => values.push(v),
                None => out.push((k, vec![v])),
            }
        }
        out
    }
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    let url = Type::new_opaque_type(TYPE_NAME);
    env.add_type(url.to_owned())?;
    env.add_overload("url", "string_to_url", vec![STRING_TYPE], to_url)?;
    env.add_overload("isURL", "is_url_string", vec![STRING_TYPE], is_url)?;
    env.add_member_overload(
        "getScheme",
        "url_get_scheme",
        url.to_owned(),
        vec![],
        get_scheme_fn,
    )?;
    env.add_member_overload("getHost", "url_get_host", url.to_owned(), vec![], get_host)?;
    env.add_member_overload(
        "getHostname",
        "url_get_hostname",
        url.to_owned(),
        vec![],
        get_hostname,
    )?;
    env.add_member_overload("getPort", "url_get_port", url.to_owned(), vec![], get_port)?;
    env.add_member_overload(
        "getEscapedPath",
        "url_get_escaped_path",
        url.to_owned(),
        vec![],
        get_escaped_path,
    )?;
    env.add_member_overload("getQuery", "url_get_query", url, vec![], get_query)?;
    Ok(())
}

fn url_arg<'a>(function: &str, value: &'a Value) -> Result<&'a Url, ExecutionError> {
    downcast::<Url>(function, value)
}

value_fn!(to_url, |args| {
    Url::parse(as_str("url", &args[0])?)
        .map(opaque)
        .map_err(|e| {
            fail(
                "url",
                format!("URL parse error during conversion from string: {e}"),
            )
        })
});

value_fn!(is_url, |args| {
    Ok(Value::Bool(parse(as_str("isURL", &args[0])?, true).is_ok()))
});

value_fn!(get_scheme_fn, |args| {
    Ok(Value::from(url_arg("getScheme", &args[0])?.scheme.clone()))
});

value_fn!(get_host, |args| {
    Ok(Value::from(url_arg("getHost", &args[0])?.host.clone()))
});

value_fn!(get_hostname, |args| {
    Ok(Value::from(
        url_arg("getHostname", &args[0])?
            .split_host_port()
            .0
            .to_owned(),
    ))
});

value_fn!(get_port, |args| {
    Ok(Value::from(
        url_arg("getPort", &args[0])?.split_host_port().1.to_owned(),
    ))
});

value_fn!(get_escaped_path, |args| {
    Ok(Value::from(
        url_arg("getEscapedPath", &args[0])?.escaped_path(),
    ))
});

value_fn!(get_query, |args| {
    let query = url_arg("getQuery", &args[0])?.query();
    let map: HashMap<Key, Value> = query
        .into_iter()
        .map(|(k, vs)| {
            let list: Vec<Value> = vs.into_iter().map(Value::from).collect();
            (Key::from(k), Value::List(list.into()))
        })
        .collect();
    Ok(Value::Map(Map { map: Arc::new(map) }))
});
