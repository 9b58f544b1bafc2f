//! `.plimsoll.yaml`: selection, severities, settings and exemptions, shared by every
//! front-end. The JSON Schema in `schemas/plimsoll-config.schema.json` describes it.

use std::collections::BTreeMap;

use plimsoll_yaml::{Limits, parse_stream};
use serde::{Deserialize, Serialize};

use crate::rule::Severity;
use crate::settings::Settings;

/// The threshold for a failing exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn fails(self, s: Severity) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Error => s >= Severity::Error,
            FailOn::Warning => s >= Severity::Warning,
            FailOn::Info => true,
        }
    }
}

/// An exemption written in the configuration file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigExemption {
    /// Codes, prefixes or rule names.
    pub rules: Vec<String>,
    pub kind: Option<String>,
    /// Namespace (`*` wildcards allowed).
    pub namespace: Option<String>,
    /// Object name (`*` wildcards allowed).
    pub name: Option<String>,
    pub container: Option<String>,
    /// Files the exemption covers: a glob relative to the configuration file's directory
    /// (`legacy/**`, `charts/*/templates/*.yaml`; `*` stays within one directory, `**`
    /// crosses them; a pattern without `/` matches a file name at any depth), as
    /// ruff's per-file-ignores. Objects of a live cluster have no file and never match.
    pub path: Option<String>,
    /// Why the exemption is acceptable. Required.
    #[serde(default)]
    pub reason: String,
}

impl ConfigExemption {
    /// The matcher of the exemption's `path`, when it has one (and it is a valid glob,
    /// which reading the configuration checks).
    pub fn path_matcher(&self) -> Option<PathMatcher> {
        let pattern = self.path.as_deref()?;
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .ok()?;
        Some(PathMatcher {
            glob: glob.compile_matcher(),
            anchored: pattern.contains('/'),
        })
    }
}

/// A compiled `path` of an exemption.
#[derive(Debug, Clone)]
pub struct PathMatcher {
    glob: globset::GlobMatcher,
    /// A pattern with a `/` is matched against the whole path (and covers what is
    /// under a matching directory); one without, against each name in it.
    anchored: bool,
}

impl PathMatcher {
    /// Whether the pattern covers a file, given relative to the configuration file's
    /// directory.
    pub fn covers(&self, file: &str) -> bool {
        let file = file.strip_prefix("./").unwrap_or(file);
        let path = std::path::Path::new(file);
        if self.anchored {
            path.ancestors()
                .any(|a| !a.as_os_str().is_empty() && self.glob.is_match(a))
        } else {
            path.iter()
                .any(|c| self.glob.is_match(c.to_string_lossy().as_ref()))
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Config {
    /// Replaces the default rule set.
    pub select: Option<Vec<String>>,
    /// Adds rules to the set.
    pub extend_select: Vec<String>,
    /// Removes rules from the set.
    pub ignore: Vec<String>,
    /// Severity overrides by code, prefix or name.
    pub severity: BTreeMap<String, Severity>,
    pub fail_on: Option<FailOn>,
    pub kube_version: Option<String>,
    pub pss_version: Option<String>,
    /// Namespace for namespaced objects that do not name one.
    pub namespace: Option<String>,
    /// Paths (gitignore-style globs) never read.
    pub exclude: Vec<String>,
    /// Directories, relative to the configuration file, whose manifests `check` reads
    /// for cross-object context only (`--root` adds to them).
    pub root: Vec<String>,
    /// Files and directories, relative to the configuration file, holding
    /// ValidatingAdmissionPolicies and their bindings, params and Namespaces, read as
    /// inputs by `check` and with the cluster's by `audit` (`--policy` adds to them).
    pub policies: Vec<String>,
    pub settings: Settings,
    pub exemptions: Vec<ConfigExemption>,
    /// What one input may cost (the `--max-*` flags win over these).
    pub limits: LimitsConfig,
    /// The admission webhook (`plimsoll serve`).
    pub serve: ServeConfig,
}

/// How `plimsoll serve` answers when a namespace does not say (`plimsoll.dev/mode`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ServeMode {
    /// Everything is a warning; every request is allowed.
    #[default]
    Warn,
    /// Findings at or above `--fail-on` deny the request; the rest are warnings.
    Deny,
    /// Requests are not judged.
    Off,
}

impl ServeMode {
    pub fn parse(text: &str) -> Option<ServeMode> {
        match text {
            "warn" => Some(ServeMode::Warn),
            "deny" => Some(ServeMode::Deny),
            "off" => Some(ServeMode::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServeMode::Warn => "warn",
            ServeMode::Deny => "deny",
            ServeMode::Off => "off",
        }
    }
}

/// The `serve:` mapping.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ServeConfig {
    /// The mode of namespaces without the `plimsoll.dev/mode` label (default `warn`;
    /// `--mode` wins over it).
    pub mode: Option<ServeMode>,
    /// Whether `/mutate` applies the safe fixes (default false: it answers without a
    /// patch).
    pub mutate: bool,
}

/// Largest input file (or standard input) read, by default.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;
/// Most findings listed in one report, by default.
pub const DEFAULT_MAX_FINDINGS: usize = 1_000_000;

/// The `limits:` mapping: what one input may cost. Each key is the name of the
/// command-line flag that overrides it (`max-depth` and `--max-depth`); an absent key
/// keeps the default.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest input file (or standard input); a larger one is not read.
    pub max_file_size: Option<ByteSize>,
    /// Largest YAML document (the text between two `---`); a larger one is not read.
    pub max_document_size: Option<ByteSize>,
    /// Most documents read from one file; the rest are not read.
    pub max_documents: Option<Count>,
    /// Deepest nesting of mappings and sequences in a document.
    pub max_depth: Option<Count>,
    /// Most nodes that aliases (`*name`) may add to one document; anchors (`&name`) may
    /// hold ten times as many.
    pub max_alias_nodes: Option<Count>,
    /// Most bytes of text that aliases may add to one document.
    pub max_alias_bytes: Option<ByteSize>,
    /// Most findings in the report; those past it (in report order) are left out.
    pub max_findings: Option<Count>,
}

/// A count of at least 1.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Count(pub usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        if n == 0 {
            return Err(serde::de::Error::custom("a limit must be at least 1"));
        }
        Ok(Count(usize::try_from(n).unwrap_or(usize::MAX)))
    }
}

/// A number of bytes, written as a number or with a binary suffix (`64MiB`).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        let n = match Raw::deserialize(d)? {
            Raw::N(n) => n,
            Raw::S(s) => parse_size(&s).map_err(serde::de::Error::custom)?,
        };
        if n == 0 {
            return Err(serde::de::Error::custom("a limit must be at least 1 byte"));
        }
        Ok(ByteSize(n))
    }
}

/// Reads a size: a number of bytes (`1048576`) or a number with a binary suffix
/// (`512KiB`, `64MiB`, `1GiB`; `Ki`, `Mi`, `Gi` as in Kubernetes quantities; a space
/// before the suffix is allowed). Decimal suffixes (`MB`) are refused: they are too
/// often meant as binary ones.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let unit = unit.trim_start();
    let bad = || {
        format!("`{text}` is not a size: write bytes or a number with KiB, MiB or GiB (`256MiB`)")
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "ki" | "kib" => 10,
        "m" | "mi" | "mib" => 20,
        "g" | "gi" | "gib" => 30,
        "t" | "ti" | "tib" => 40,
        _ => return Err(bad()),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

impl Config {
    /// Reads a configuration file's text.
    ///
    /// An error quotes at most one line of the file, shortened: a file that is not
    /// configuration at all (a key, a certificate) is never echoed.
    pub fn from_yaml(text: &str) -> Result<Config, String> {
        Self::parse(text).map_err(|e| bounded(&e))
    }

    fn parse(text: &str) -> Result<Config, String> {
        let stream = parse_stream(text, Limits::default());
        if let Some(e) = stream.errors.first() {
            return Err(format!("line {}, column {}: {}", e.line, e.col, e.message));
        }
        let Some(root) = stream.documents.into_iter().find_map(|d| d.root) else {
            return Ok(Config::default());
        };
        if !root.is_map() {
            let line = root.span.start.line;
            let quoted = text
                .lines()
                .nth(line.saturating_sub(1) as usize)
                .unwrap_or_default();
            return Err(format!(
                "line {line}: not a mapping of settings: `{quoted}`"
            ));
        }
        let line_of = |key: &str| root.entry(key).map(|e| e.key_span.start.line);
        let json = root.to_json();
        let config: Config = serde_json::from_value(json).map_err(|e| {
            let msg = e.to_string();
            // point at the top-level key the message names, when it names one
            let line = root
                .entries()
                .iter()
                .find(|en| msg.contains(&format!("`{}`", en.key)))
                .and_then(|en| line_of(&en.key));
            match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg,
            }
        })?;
        // the line of each exemption in the file, for errors about it
        let exemption_line = |i: usize| {
            root.get("exemptions")
                .and_then(|e| e.items().get(i).map(|n| n.span.start.line))
                .map_or(String::new(), |l| format!("line {l}: "))
        };
        for (i, ex) in config.exemptions.iter().enumerate() {
            if ex.reason.trim().is_empty() {
                return Err(format!(
                    "{}exemptions[{i}]: a `reason` is required (why the exemption is acceptable)",
                    exemption_line(i)
                ));
            }
            if ex.rules.is_empty() {
                return Err(format!(
                    "{}exemptions[{i}]: name at least one rule in `rules`",
                    exemption_line(i)
                ));
            }
            if let Some(p) = &ex.path
                && let Err(e) = globset::Glob::new(p)
            {
                return Err(format!(
                    "{}exemptions[{i}]: `path` is not a valid glob: {e}",
                    exemption_line(i)
                ));
            }
        }
        Ok(config)
    }
}

/// `*` wildcard match (the only metacharacter).
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let mut rest = value;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Longest error message about a configuration file, in characters.
const MAX_ERROR_CHARS: usize = 120;

/// The first line of `message`, control characters escaped, shortened to
/// [`MAX_ERROR_CHARS`].
fn bounded(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    let mut out = String::new();
    for (n, c) in first.chars().enumerate() {
        if n == MAX_ERROR_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
