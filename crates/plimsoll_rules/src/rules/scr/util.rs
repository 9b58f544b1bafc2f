//! Heuristics shared by the SCR rules: names and values that look like secrets. They
//! never return or print a value.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Every secret word and pair contains one of these (case-insensitive): one pass over a
/// name rules most names out before it is split into words.
static NAME_TRIGGERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["pass", "secret", "token", "key", "cred", "bearer"])
        .expect("static patterns")
});

/// One check of [`value_looks_secret`]: what the value looks like, the texts it must
/// contain for the check to find anything (its triggers), and the check.
type ValueCheck = (&'static str, &'static [&'static str], fn(&str) -> bool);

/// The checks of [`value_looks_secret`], in the order they are tried.
static VALUE_CHECKS: [ValueCheck; 10] = [
    ("a PEM private key", &["-----BEGIN"], |v| {
        v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----")
    }),
    ("an AWS access key id", &["AKIA", "ASIA"], has_aws_key_id),
    (
        "a GitHub token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        |v| {
            has_prefixed_token(v, &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], 36)
                || has_prefixed_token(v, &["github_pat_"], 22)
        },
    ),
    ("a Slack token", &["xox"], |v| {
        has_prefixed_token(v, &["xoxb-", "xoxp-", "xoxa-", "xoxr-"], 10)
    }),
    ("a GitLab token", &["glpat-"], |v| {
        has_prefixed_token(v, &["glpat-"], 20)
    }),
    ("a Google API key", &["AIza"], |v| {
        has_prefixed_token(v, &["AIza"], 35)
    }),
    ("a JSON Web Token", &["eyJ"], has_jwt),
    (
        "an Azure connection string with an account or access key",
        &["AccountKey=", "SharedAccessKey="],
        has_connection_key,
    ),
    ("a Google service account key", &["service_account"], |v| {
        v.contains("\"service_account\"") && v.contains("\"private_key\"")
    }),
    (
        "a connection string with a password",
        &["://"],
        has_url_password,
    ),
];

/// Every trigger of [`VALUE_CHECKS`], with the check it belongs to: one pass over a
/// value rules most values out, and finds which checks may find something. Standard
/// match semantics (the default), which overlapping search requires.
static VALUE_TRIGGERS: LazyLock<(AhoCorasick, Vec<usize>)> = LazyLock::new(|| {
    let (patterns, checks): (Vec<&str>, Vec<usize>) = VALUE_CHECKS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, triggers, _))| triggers.iter().map(move |t| (*t, i)))
        .unzip();
    (AhoCorasick::new(patterns).expect("static patterns"), checks)
});

/// Splits a name into lower-case word parts: `DB_PASSWORD`, `dbPassword`,
/// `db.password` and `db-password` all give `["db", "password"]`.
pub fn word_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

/// Word parts that name a secret on their own.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "privatekey",
    "accesskey",
    "bearer",
];

/// Pairs of consecutive word parts that name a secret (`api_key`, `private_key`).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("auth", "key"),
    ("signing", "key"),
    ("encryption", "key"),
    ("client", "secret"),
    // OCI_CLI_KEY_CONTENT: the OCI CLI's private key itself
    ("key", "content"),
];

/// Last word parts that make the name about a secret rather than the secret itself:
/// `PASSWORD_FILE`, `SECRET_NAME`, `TOKEN_URL`, `TOKEN_TTL`.
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "host",
    "name",
    "ref",
    "id",
    "length",
    "len",
    "ttl",
    "expiry",
    "expiration",
    "timeout",
    "lifetime",
    "type",
    "header",
    "policy",
    "enabled",
    "enable",
    "disabled",
    "mode",
    "source",
    "provider",
    "format",
    "version",
    "namespace",
    "key",
    "keys",
    "store",
    "mount",
    "location",
    "audience",
    "issuer",
    "algorithm",
    "size",
    "count",
    "min",
    "max",
    "seconds",
    "duration",
    "field",
    "env",
    "prefix",
    "suffix",
];

/// Whether a name (env var, ConfigMap key, property) names a secret.
pub fn name_looks_secret(name: &str) -> bool {
    if !NAME_TRIGGERS.is_match(name) {
        return false;
    }
    let parts = word_parts(name);
    let Some(last) = parts.last() else {
        return false;
    };
    // Azure's SDKs and CLIs name their keys `AZURE_<what>_KEY` (`AZURE_STORAGE_KEY`,
    // `AZURE_STORAGE_ACCOUNT_KEY`); a public key, or an SSH key (usually the public
    // one given to a VM), is not a secret
    if parts.len() >= 3
        && parts[0] == "azure"
        && last == "key"
        && !matches!(parts[parts.len() - 2].as_str(), "public" | "ssh")
    {
        return true;
    }
    let secret_word = parts.iter().any(|p| SECRET_WORDS.contains(&p.as_str()));
    let secret_pair = parts
        .windows(2)
        .any(|w| SECRET_PAIRS.contains(&(w[0].as_str(), w[1].as_str())));
    if !secret_word && !secret_pair {
        return false;
    }
    // `API_KEY` ends in `key` but is the secret; `SECRET_KEY_REF` is not
    if last == "key" || last == "keys" {
        return secret_pair
            || parts.len() >= 2 && SECRET_WORDS.contains(&parts[parts.len() - 2].as_str());
    }
    !NOT_SECRET_SUFFIXES.contains(&last.as_str())
}

/// Whether a literal value is a placeholder or a reference, not a secret: empty,
/// `$(VAR)`, `${VAR}`, `{{ .Values.x }}`, `<password>`, `changeme`, `xxxx`, `****`,
/// booleans and plain numbers (`TOKEN_EXPIRY=3600`).
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if v.is_empty() {
        return true;
    }
    let wrapped = |open: &str, close: &str| v.starts_with(open) && v.ends_with(close);
    if wrapped("$(", ")") || wrapped("${", "}") || wrapped("{{", "}}") || wrapped("<", ">") {
        return true;
    }
    if v.starts_with('$')
        && v[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return true;
    }
    if v.chars()
        .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '#'))
    {
        return true;
    }
    if v.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "null"
            | "none"
            | "nil"
            | "changeme"
            | "change-me"
            | "change_me"
            | "replaceme"
            | "replace-me"
            | "replace_me"
            | "placeholder"
            | "redacted"
            | "todo"
            | "tbd"
    )
}

/// What a value looks like when it looks like a secret, whatever its name: a private
/// key block, a cloud or chat token, a JWT, a URL with a password.
pub fn value_looks_secret(value: &str) -> Option<&'static str> {
    let (triggers, check_of) = &*VALUE_TRIGGERS;
    if !triggers.is_match(value) {
        return None;
    }
    // one pass finds which checks may find something (a large configuration file is
    // scanned once, not once per check)
    let mut may = 0u32;
    for m in triggers.find_overlapping_iter(value) {
        may |= 1 << check_of[m.pattern().as_usize()];
    }
    VALUE_CHECKS
        .iter()
        .enumerate()
        .find(|(i, (_, _, found))| may & (1 << i) != 0 && found(value))
        .map(|(_, (what, _, _))| *what)
}

fn token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// `AKIA` (or `ASIA`) followed by 16 upper-case letters or digits, on word boundaries.
fn has_aws_key_id(v: &str) -> bool {
    let b = v.as_bytes();
    (0..b.len()).any(|i| {
        (b[i..].starts_with(b"AKIA") || b[i..].starts_with(b"ASIA"))
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.len() >= i + 20
            && b[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && b.get(i + 20).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// One of `prefixes` followed by at least `min` token characters.
fn has_prefixed_token(v: &str, prefixes: &[&str], min: usize) -> bool {
    prefixes.iter().any(|p| {
        v.match_indices(p).any(|(i, _)| {
            let before_ok = i == 0 || !token_char(v.as_bytes()[i - 1]);
            let rest = &v.as_bytes()[i + p.len()..];
            before_ok && rest.iter().take_while(|c| token_char(**c)).count() >= min
        })
    })
}

/// `eyJ<base64url>.eyJ<base64url>.`: a JWT header and payload.
fn has_jwt(v: &str) -> bool {
    v.match_indices("eyJ").any(|(i, _)| {
        let rest = &v.as_bytes()[i..];
        let seg = |s: &[u8]| s.iter().take_while(|c| token_char(**c)).count();
        let n = seg(rest);
        n > 3 && rest.get(n) == Some(&b'.') && rest[n + 1..].starts_with(b"eyJ") && {
            let m = seg(&rest[n + 1..]);
            m > 3 && rest.get(n + 1 + m) == Some(&b'.')
        }
    })
}

/// `AccountKey=<key>` or `SharedAccessKey=<key>` in an Azure connection string, with a
/// literal key (base64, at least 20 characters).
fn has_connection_key(v: &str) -> bool {
    ["AccountKey=", "SharedAccessKey="].iter().any(|p| {
        v.match_indices(p).any(|(i, _)| {
            let rest = &v.as_bytes()[i + p.len()..];
            rest.iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
                .count()
                >= 20
        })
    })
}

/// Whether a value is a file path (`/var/run/secrets/gcp/key.json`, `./creds`): a
/// variable named like a secret that holds a path points at the secret (the way
/// `GOOGLE_APPLICATION_CREDENTIALS` always does), it is not the secret.
pub fn is_file_path(value: &str) -> bool {
    let v = value.trim();
    (v.starts_with('/') || v.starts_with("./") || v.starts_with("~/"))
        && v.len() > 1
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~'))
}

/// `scheme://user:password@host` with a literal password.
fn has_url_password(v: &str) -> bool {
    v.match_indices("://").any(|(i, _)| {
        let scheme_ok = i > 0 && v.as_bytes()[i - 1].is_ascii_alphanumeric();
        let rest = &v[i + 3..];
        let auth_end = rest
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(rest.len());
        let auth = &rest[..auth_end];
        let Some(at) = auth.rfind('@') else {
            return false;
        };
        let Some((user, pass)) = auth[..at].split_once(':') else {
            return false;
        };
        scheme_ok && !user.is_empty() && !is_placeholder(pass) && !pass.contains('$')
    })
}

/// Lines of a config file embedded in a value (`application.properties`, `.env`,
/// YAML) that assign a literal to a secret-looking key: yields the key names.
pub fn embedded_secret_keys(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    // a key that looks like a secret holds one of the name triggers, so a value
    // without any has none
    if !value.contains('\n') || !NAME_TRIGGERS.is_match(value) {
        return out;
    }
    for line in value.lines() {
        let line = line
            .trim()
            .trim_start_matches("export ")
            .trim_start_matches("- ");
        if line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let Some(pos) = line.find(['=', ':']) else {
            continue;
        };
        let key = line[..pos].trim().trim_matches('"');
        let val = line[pos + 1..].trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            continue;
        }
        let val = val.split(" #").next().unwrap_or("").trim();
        if name_looks_secret(key)
            && !is_placeholder(val)
            && !val.contains("${")
            && !val.contains("$(")
            && !val.starts_with('|')
            && !val.starts_with('>')
            && !val.starts_with('&')
            && !val.starts_with('*')
        {
            out.push(key.to_string());
        }
    }
    out
}

/// A Go duration (`time.ParseDuration`: `1h30m`, `90s`, `2160h0m0s`, `0`), in
/// seconds. Custom resources that Go controllers read (ExternalSecret, cert-manager)
/// write durations so. `None` when the text is not one.
pub fn go_duration_secs(text: &str) -> Option<f64> {
    let t = text.trim();
    let (neg, mut rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[u..];
        total += number * scale;
    }
    Some(if neg { -total } else { total })
}

/// A duration in seconds as Go prints it, to the second (`2160h0m0s` is `2160h`).
pub fn show_duration(secs: f64) -> String {
    let s = secs.round() as i64;
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "dbPassword",
            "API_KEY",
            "apiKey",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "client_secret",
            "PRIVATE_KEY",
            "credentials",
            "SECRET_KEY",
            "redis.password",
            "AZURE_CLIENT_SECRET",
            "AZURE_STORAGE_KEY",
            "AZURE_STORAGE_ACCOUNT_KEY",
            "AZURE_OPENAI_API_KEY",
            "OCI_CLI_KEY_CONTENT",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "AUTH_BEARER",
            "GITLAB_TOKEN",
        ] {
            assert!(name_looks_secret(n), "{n}");
        }
        for n in [
            "DB_PASSWORD_FILE",
            "SECRET_NAME",
            "TOKEN_URL",
            "TOKEN_TTL",
            "LOG_LEVEL",
            "TOKENIZER",
            "KEY",
            "CACHE_KEY",
            "SECRET_KEY_REF",
            "PASSWORD_MIN_LENGTH",
            "PUBLIC_KEY",
            "SSH_KEY_ID",
            "TLS_KEY_FILE",
            "SIGNING_KEY_PATH",
            "AZURE_STORAGE_KEY_FILE",
            "AZURE_PUBLIC_KEY",
            "AZURE_SSH_KEY",
            "AZURE_KEY",
            "OCI_CLI_KEY_FILE",
            "AZURE_CLIENT_ID",
        ] {
            assert!(!name_looks_secret(n), "{n}");
        }
    }

    #[test]
    fn values() {
        assert_eq!(
            value_looks_secret("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key id")
        );
        assert_eq!(value_looks_secret("AKIAIOSFODNN7EXAMPLEX"), None);
        assert_eq!(
            value_looks_secret("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            Some("a GitHub token")
        );
        assert_eq!(
            value_looks_secret("xoxb-1234567890-abcdef"),
            Some("a Slack token")
        );
        assert_eq!(
            value_looks_secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"),
            Some("a JSON Web Token")
        );
        assert_eq!(
            value_looks_secret("postgres://app:s3cr3t@db:5432/app"),
            Some("a connection string with a password")
        );
        assert_eq!(value_looks_secret("postgres://app@db:5432/app"), None);
        assert_eq!(
            value_looks_secret("postgres://app:$(DB_PASSWORD)@db/app"),
            None
        );
        assert_eq!(value_looks_secret("https://example.com/a:b@c"), None);
        assert_eq!(
            value_looks_secret("glpat-abcdefghij0123456789"),
            Some("a GitLab token")
        );
        assert_eq!(
            value_looks_secret("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"),
            Some("a Google API key")
        );
        assert_eq!(
            value_looks_secret(
                "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net"
            ),
            Some("an Azure connection string with an account or access key")
        );
        assert_eq!(
            value_looks_secret("DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=$(KEY)"),
            None
        );
        assert_eq!(
            value_looks_secret(r#"{"type": "service_account", "private_key": "x"}"#),
            Some("a Google service account key")
        );
        assert!(is_file_path("/var/run/secrets/gcp/key.json"));
        assert!(!is_file_path("/"));
        assert!(!is_file_path("s3cr3t/with slash"));
        assert!(is_placeholder("$(DB_PASSWORD)"));
        assert!(is_placeholder("<your-token>"));
        assert!(!is_placeholder("hunter2"));
    }

    #[test]
    fn embedded() {
        let v = "db.user=app\ndb.password=hunter2\napi.token=${TOKEN}\n";
        assert_eq!(embedded_secret_keys(v), vec!["db.password".to_string()]);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_secs("1h"), Some(3600.0));
        assert_eq!(go_duration_secs("2160h0m0s"), Some(2160.0 * 3600.0));
        assert_eq!(go_duration_secs("1h30m"), Some(5400.0));
        assert_eq!(go_duration_secs("0"), Some(0.0));
        assert_eq!(go_duration_secs("0s"), Some(0.0));
        assert_eq!(go_duration_secs("1.5h"), Some(5400.0));
        assert_eq!(go_duration_secs("90d"), None);
        assert_eq!(go_duration_secs(""), None);
        assert_eq!(show_duration(2160.0 * 3600.0), "2160h");
        assert_eq!(show_duration(5400.0), "1h30m");
    }
}
