//! Shared helpers of the PSS rules: running one evaluator check as a rule, and reading
//! a namespace's `pod-security.kubernetes.io/*` labels as upstream's
//! `PolicyToEvaluate` does.

use plimsoll_model::{KubeVersion, Object, PodTemplate};

use super::eval::{self, Level};
use super::fix::Fixer;
use crate::rule::{Context, Sink};

/// Reports the violations of one upstream check on an object's pod template at the
/// run's policy version. `overridden_by` names the restricted rule (code, check ID)
/// that replaces this check when it is selected and exists at the policy version.
pub fn report_check(
    cx: &Context,
    id: usize,
    obj: &Object,
    out: &mut Sink,
    check_id: &str,
    overridden_by: Option<(&str, &str)>,
) {
    report_check_fixed(cx, id, obj, out, check_id, overridden_by, None);
}

/// [`report_check`], each violation with the fix `fixer` builds for it (if any).
pub fn report_check_fixed(
    cx: &Context,
    id: usize,
    obj: &Object,
    out: &mut Sink,
    check_id: &str,
    overridden_by: Option<(&str, &str)>,
    fixer: Option<Fixer>,
) {
    let Some(t) = PodTemplate::of(obj) else {
        return;
    };
    if let Some((code, over)) = overridden_by
        && cx.is_selected(code)
        && eval::check_exists(over, cx.pss_version)
    {
        return;
    }
    for v in eval::run_check(&t, check_id, cx.pss_version) {
        let fix = fixer.and_then(|build| build(&t, &v));
        let f = out.report(id, v.path, v.message);
        f.container = v.container;
        if let Some(fix) = fix {
            f.fix(fix);
        }
    }
}

pub const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";
pub const AUDIT: &str = "pod-security.kubernetes.io/audit";
pub const AUDIT_VERSION: &str = "pod-security.kubernetes.io/audit-version";
pub const WARN: &str = "pod-security.kubernetes.io/warn";
pub const WARN_VERSION: &str = "pod-security.kubernetes.io/warn-version";

/// Parses a version label as upstream's `ParseVersion`: `latest` (`Ok(None)`) or
/// `v1.<minor>` matching `^v1\.([0-9]|[1-9][0-9]*)$`.
pub fn parse_version(s: &str) -> Result<Option<KubeVersion>, String> {
    let invalid = || format!("`{s}` is not `latest` or `v1.<minor>`");
    if s == "latest" {
        return Ok(None);
    }
    let minor = s.strip_prefix("v1.").ok_or_else(invalid)?;
    let ok = !minor.is_empty()
        && minor.bytes().all(|b| b.is_ascii_digit())
        && (minor.len() == 1 || !minor.starts_with('0'));
    if !ok {
        return Err(invalid());
    }
    minor
        .parse::<u32>()
        .map(|m| Some(KubeVersion::new(1, m)))
        .map_err(|_| invalid())
}

/// One mode of a namespace policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModePolicy {
    pub level: Level,
    pub version: Option<KubeVersion>,
}

/// A namespace's effective policy for the three modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsPolicy {
    pub enforce: ModePolicy,
    pub audit: ModePolicy,
    pub warn: ModePolicy,
    /// Whether the labels were set (valid) for enforce/audit/warn levels.
    pub has_enforce: bool,
    pub has_audit: bool,
    pub has_warn: bool,
}

/// The effective policy of a Namespace object: absent labels take the defaults
/// (`privileged`, `default_version`); an invalid enforce level is `restricted`
/// (fails closed), an invalid audit/warn level `privileged`, an invalid version
/// latest; warn inherits enforce's level (and version, unless `warn-version` is set)
/// when enforce is set validly to a stricter level and warn is not set.
pub fn namespace_policy(ns: &Object, default_version: Option<KubeVersion>) -> NsPolicy {
    let version = |key: &str| match ns.label(key) {
        None => default_version,
        Some(v) => parse_version(v).unwrap_or(None),
    };
    let level = |key: &str, invalid: Level| match ns.label(key) {
        None => (Level::Privileged, false),
        Some(v) => match Level::parse(v) {
            Some(l) => (l, true),
            None => (invalid, false),
        },
    };
    let (enforce_level, has_enforce) = level(ENFORCE, Level::Restricted);
    let (audit_level, has_audit) = level(AUDIT, Level::Privileged);
    let (warn_level, has_warn) = level(WARN, Level::Privileged);
    let enforce = ModePolicy {
        level: enforce_level,
        version: version(ENFORCE_VERSION),
    };
    let mut warn = ModePolicy {
        level: warn_level,
        version: version(WARN_VERSION),
    };
    if ns.label(WARN).is_none() && has_enforce && enforce.level > warn.level {
        warn.level = enforce.level;
        if ns.label(WARN_VERSION).is_none() {
            warn.version = enforce.version;
        }
    }
    NsPolicy {
        enforce,
        audit: ModePolicy {
            level: audit_level,
            version: version(AUDIT_VERSION),
        },
        warn,
        has_enforce,
        has_audit,
        has_warn,
    }
}
