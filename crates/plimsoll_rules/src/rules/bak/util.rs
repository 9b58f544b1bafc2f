//! Helpers shared by the BAK rules: Velero's `Schedule`, `Backup` and `Restore` as
//! Velero reads them (namespace filters with globs, Go durations, cron intervals).

use plimsoll_model::{Index, Node, Object, Timestamp};

pub const VELERO: &str = "velero.io";

/// The label Velero puts on every Backup a Schedule creates.
pub const SCHEDULE_NAME_LABEL: &str = "velero.io/schedule-name";

/// A Velero `Schedule`.
pub fn is_schedule(o: &Object) -> bool {
    o.kind == "Schedule" && o.group() == VELERO
}

/// The Schedules of the input, with their ids.
pub fn schedules(index: &Index) -> impl Iterator<Item = (usize, &Object)> {
    index.of_kind("Schedule").filter(|(_, o)| is_schedule(o))
}

/// `spec.template` (a BackupSpec) of a Schedule.
pub fn template(o: &Object) -> Option<&Node> {
    o.root.at(&["spec", "template"])
}

/// `spec.paused: true`.
pub fn is_paused(o: &Object) -> bool {
    o.root.at(&["spec", "paused"]).and_then(Node::as_bool) == Some(true)
}

fn strings(node: Option<&Node>) -> Vec<&str> {
    node.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_text)
        .collect()
}

/// Velero's namespace glob: `*` (any run), `?` (one character), `[abc]` and `[a-z]`.
pub fn glob_match(pattern: &str, value: &str) -> bool {
    fn class(p: &[char], c: char) -> Option<(bool, usize)> {
        // p starts after '['; returns (matched, length of the class including ']')
        let mut i = 0;
        let mut matched = false;
        while i < p.len() {
            if p[i] == ']' && i > 0 {
                return Some((matched, i + 1));
            }
            if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
                matched |= p[i] <= c && c <= p[i + 2];
                i += 3;
            } else {
                matched |= p[i] == c;
                i += 1;
            }
        }
        None
    }
    fn go(p: &[char], v: &[char]) -> bool {
        match p.first() {
            None => v.is_empty(),
            Some('*') => (0..=v.len()).any(|k| go(&p[1..], &v[k..])),
            Some('?') => !v.is_empty() && go(&p[1..], &v[1..]),
            Some('[') => match (v.first(), class(&p[1..], *v.first().unwrap_or(&'\0'))) {
                (Some(_), Some((true, len))) => go(&p[1 + len..], &v[1..]),
                (None, _) | (_, Some((false, _))) => false,
                (Some(c), None) => *c == '[' && go(&p[1..], &v[1..]),
            },
            Some(c) => v.first() == Some(c) && go(&p[1..], &v[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    go(&p, &v)
}

/// Whether a BackupSpec includes namespace `ns`: `includedNamespaces` empty or
/// absent (all), `*`, or a glob that matches; and no `excludedNamespaces` entry
/// matches.
pub fn includes_namespace(spec: Option<&Node>, ns: &str) -> bool {
    let inc = strings(spec.and_then(|s| s.get("includedNamespaces")));
    let exc = strings(spec.and_then(|s| s.get("excludedNamespaces")));
    (inc.is_empty() || inc.iter().any(|p| glob_match(p, ns)))
        && !exc.iter().any(|p| glob_match(p, ns))
}

/// Whether a BackupSpec's resource filters keep PersistentVolumeClaims:
/// `includedResources` empty, `*`, or naming them; `excludedResources` not naming
/// them (also the scoped `includedNamespaceScopedResources` and
/// `excludedNamespaceScopedResources` of newer Velero).
pub fn keeps_pvcs(spec: Option<&Node>) -> bool {
    let names = |r: &str| {
        matches!(
            r,
            "*" | "persistentvolumeclaims"
                | "persistentvolumeclaim"
                | "pvc"
                | "persistentvolumeclaims.v1"
        )
    };
    let list = |k: &str| strings(spec.and_then(|s| s.get(k)));
    let included = |k: &str| {
        let l = list(k);
        l.is_empty() || l.iter().any(|r| names(r))
    };
    let excluded = |k: &str| list(k).iter().any(|r| names(r));
    included("includedResources")
        && included("includedNamespaceScopedResources")
        && !excluded("excludedResources")
        && !excluded("excludedNamespaceScopedResources")
}

/// A Go duration (`720h0m0s`, `1h30m`, `90m`, `0s`, `1.5h`) in seconds; `None` when it
/// is not one.
pub fn go_duration(text: &str) -> Option<i64> {
    let s = text.trim();
    if s == "0" {
        return Some(0);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() || rest.starts_with('-') {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" | "μs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * unit;
        rest = &rest[u..];
    }
    Some(total.round() as i64)
}

/// One field of a cron expression: the values it allows within `lo..=hi`.
fn cron_field(text: &str, lo: u32, hi: u32, names: &[&str]) -> Option<Vec<bool>> {
    let mut allowed = vec![false; hi as usize + 1];
    let value = |t: &str| -> Option<u32> {
        if let Ok(v) = t.parse::<u32>() {
            return Some(v);
        }
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(t))
            .map(|i| i as u32 + lo)
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|&s| s > 0)?),
            None => (part, 1),
        };
        let (a, b) = if range == "*" || range == "?" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            (a, if part.contains('/') { hi } else { a })
        };
        // Sunday may be written 7
        let max = if hi == 6 { 7 } else { hi };
        if a < lo || b > max || a > b {
            return None;
        }
        let mut v = a;
        while v <= b {
            let slot = if hi == 6 && v == 7 { 0 } else { v };
            allowed[slot as usize] = true;
            v += step;
        }
    }
    Some(allowed)
}

/// The longest time between two runs of a cron schedule (`*/30 * * * *`, `0 2 * * 1-5`,
/// `@daily`, `@every 6h`), in seconds, as Velero's cron library (robfig/cron, five
/// fields, with descriptors) runs it: the day of month and the day of week are either
/// matched when both are restricted. `None` when it is not one, or it never runs.
pub fn cron_max_gap(expr: &str) -> Option<i64> {
    let e = expr.trim();
    let e = match e.split_once(' ') {
        // a time zone prefix (`CRON_TZ=...` or `TZ=...`) does not change the gaps
        Some((tz, rest)) if tz.starts_with("CRON_TZ=") || tz.starts_with("TZ=") => rest.trim(),
        _ => e,
    };
    let fields = match e {
        "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
        "@monthly" => "0 0 1 * *".to_string(),
        "@weekly" => "0 0 * * 0".to_string(),
        "@daily" | "@midnight" => "0 0 * * *".to_string(),
        "@hourly" => "0 * * * *".to_string(),
        _ => {
            if let Some(d) = e.strip_prefix("@every ") {
                return go_duration(d).filter(|&s| s > 0);
            }
            e.to_string()
        }
    };
    let f: Vec<&str> = fields.split_whitespace().collect();
    if f.len() != 5 {
        return None;
    }
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let minutes = cron_field(f[0], 0, 59, &[])?;
    let hours = cron_field(f[1], 0, 23, &[])?;
    let dom = cron_field(f[2], 1, 31, &[])?;
    let months = cron_field(f[3], 1, 12, MONTHS)?;
    let dow = cron_field(f[4], 0, 6, DAYS)?;
    let dom_star = f[2].starts_with('*') || f[2] == "?";
    let dow_star = f[4].starts_with('*') || f[4] == "?";
    let times: Vec<i64> = (0..24i64)
        .filter(|&h| hours[h as usize])
        .flat_map(|h| {
            (0..60i64)
                .filter(|&m| minutes[m as usize])
                .map(move |m| h * 3600 + m * 60)
        })
        .collect();
    if times.is_empty() {
        return None;
    }
    // eight years from 2024-01-01 (a Monday) hold every weekday and leap-year pattern
    let start = Timestamp::parse("2024-01-01T00:00:00Z")?.unix() / 86_400;
    let mut last: Option<i64> = None;
    let mut gap = 0;
    for day in start..start + 8 * 366 {
        let date = Timestamp::from_unix(day * 86_400).to_string();
        let month: usize = date[5..7].parse().ok()?;
        let mday: usize = date[8..10].parse().ok()?;
        let wday = ((day + 4).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday
        if !months[month] {
            continue;
        }
        let day_ok = match (dom_star, dow_star) {
            (true, true) => true,
            (false, true) => dom[mday],
            (true, false) => dow[wday],
            (false, false) => dom[mday] || dow[wday],
        };
        if !day_ok {
            continue;
        }
        for t in &times {
            let at = day * 86_400 + t;
            if let Some(l) = last {
                gap = gap.max(at - l);
            }
            last = Some(at);
        }
    }
    (gap > 0).then_some(gap)
}

/// `metadata.creationTimestamp`.
pub fn created(o: &Object) -> Option<Timestamp> {
    Timestamp::of(o.root.at(&["metadata", "creationTimestamp"]))
}

/// A duration for messages: `720h`, `36h`, `90m`, `45s` (hours above a day stay
/// hours, as Velero and Go write them).
pub fn hours(seconds: i64) -> String {
    if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", "shop"));
        assert!(glob_match("shop-*", "shop-eu"));
        assert!(!glob_match("shop-*", "shop"));
        assert!(glob_match("sho?", "shop"));
        assert!(glob_match("[abc]at", "bat"));
        assert!(!glob_match("[abc]at", "rat"));
        assert!(glob_match("team-[a-c]", "team-b"));
        assert!(glob_match("shop", "shop"));
    }

    #[test]
    fn durations() {
        assert_eq!(go_duration("720h0m0s"), Some(720 * 3600));
        assert_eq!(go_duration("1h30m"), Some(5400));
        assert_eq!(go_duration("0s"), Some(0));
        assert_eq!(go_duration("0"), Some(0));
        assert_eq!(go_duration("1.5h"), Some(5400));
        assert_eq!(go_duration("3d"), None);
        assert_eq!(go_duration("-1h"), None);
        assert_eq!(go_duration(""), None);
    }

    #[test]
    fn cron_gaps() {
        assert_eq!(cron_max_gap("0 2 * * *"), Some(86_400));
        assert_eq!(cron_max_gap("@daily"), Some(86_400));
        assert_eq!(cron_max_gap("*/30 * * * *"), Some(1800));
        assert_eq!(cron_max_gap("0 */6 * * *"), Some(6 * 3600));
        assert_eq!(cron_max_gap("@every 6h"), Some(6 * 3600));
        // weekdays only: the weekend makes a three-day gap
        assert_eq!(cron_max_gap("0 2 * * 1-5"), Some(3 * 86_400));
        assert_eq!(cron_max_gap("0 3 * * sun"), Some(7 * 86_400));
        assert_eq!(cron_max_gap("0 3 * * 7"), Some(7 * 86_400));
        // monthly: the longest month
        assert_eq!(cron_max_gap("0 0 1 * *"), Some(31 * 86_400));
        assert_eq!(cron_max_gap("CRON_TZ=Europe/Paris 0 2 * * *"), Some(86_400));
        assert_eq!(cron_max_gap("0 0 30 2 *"), None);
        assert_eq!(cron_max_gap("not a cron"), None);
        assert_eq!(cron_max_gap("61 * * * *"), None);
    }
}
