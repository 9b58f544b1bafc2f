//! Runtime state as the API server reports it in `status`: timestamps, conditions, and
//! the pod and container states the kubelet writes. Objects from files carry it only when
//! they were dumped from a cluster (`kubectl get -o yaml`); rules that read it find
//! nothing to judge in plain manifests.

use std::fmt;

use plimsoll_yaml::{Node, Pointer};

use crate::object::Object;

/// A point in time, in whole seconds since the Unix epoch (UTC). Kubernetes writes
/// times as RFC 3339 (`metav1.Time`: `2024-05-01T10:20:30Z`; `metav1.MicroTime` adds
/// a fraction); sub-second precision never matters for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t` and
    /// `z` in lower case and a space for `T` are accepted, as RFC 3339 allows.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.trim().as_bytes();
        if b.len() < 20 {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(r)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut rest = &b[19..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            rest = &frac[n..];
        }
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let digits = [*h1, *h2, *m1, *m2];
                if !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let d = |c: u8| i64::from(c - b'0');
                let mins = (d(*h1) * 10 + d(*h2)) * 60 + d(*m1) * 10 + d(*m2);
                if *sign == b'+' { mins } else { -mins }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        Some(Timestamp(
            days * 86_400 + hour * 3_600 + minute * 60 + second.min(59) - offset * 60,
        ))
    }

    /// Reads a node holding an RFC 3339 string.
    pub fn of(node: Option<&Node>) -> Option<Timestamp> {
        node.and_then(Node::as_text).and_then(Timestamp::parse)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, as Kubernetes writes it: `2024-05-01T10:20:30Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3_600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A duration as kubectl prints ages: `45s`, `12m`, `3h20m`, `2d5h`.
pub fn format_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s / 3_600 % 24, s / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h{m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

/// The newest time an object records: its creation, deletion, and every time field in
/// `status` (condition transitions and probes, node heartbeats, pod and container
/// start and finish times). A dump taken with `kubectl get -o yaml` is judged as of the
/// newest of these across the input when no current time is given.
pub fn newest_timestamp(obj: &Object) -> Option<Timestamp> {
    let meta = obj.metadata();
    let mut newest = [
        Timestamp::of(meta.and_then(|m| m.get("creationTimestamp"))),
        Timestamp::of(meta.and_then(|m| m.get("deletionTimestamp"))),
    ]
    .into_iter()
    .flatten()
    .max();
    let mut stack: Vec<&Node> = obj.root.get("status").into_iter().collect();
    while let Some(n) = stack.pop() {
        for e in n.entries() {
            if e.value.is_map() || e.value.is_seq() {
                stack.push(&e.value);
            } else if (e.key.ends_with("Time") || e.key.ends_with("At"))
                && let Some(t) = Timestamp::of(Some(&e.value))
            {
                newest = newest.max(Some(t));
            }
        }
        for item in n.items() {
            stack.push(item);
        }
    }
    newest
}

/// One entry of `status.conditions`.
#[derive(Debug, Clone, Copy)]
pub struct Condition<'a> {
    /// Position in `status.conditions`.
    pub index: usize,
    pub type_: &'a str,
    /// `True`, `False` or `Unknown`.
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub message: Option<&'a str>,
    pub last_transition: Option<Timestamp>,
}

impl Condition<'_> {
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }

    /// Pointer to this condition (`/status/conditions/2`).
    pub fn pointer(&self) -> Pointer {
        Pointer::root()
            .keys(&["status", "conditions"])
            .index(self.index)
    }
}

/// The `status.conditions` of any object (Pods, Nodes, Deployments, PDBs, ...).
pub fn conditions(obj: &Object) -> impl Iterator<Item = Condition<'_>> {
    obj.root
        .at(&["status", "conditions"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(index, c)| {
            let text = |k: &str| c.get(k).and_then(Node::as_text);
            Some(Condition {
                index,
                type_: text("type")?,
                status: text("status").unwrap_or("Unknown"),
                reason: text("reason").filter(|s| !s.is_empty()),
                message: text("message").filter(|s| !s.is_empty()),
                last_transition: Timestamp::of(c.get("lastTransitionTime")),
            })
        })
}

/// The condition of a type, when the object reports it.
pub fn condition<'a>(obj: &'a Object, type_: &str) -> Option<Condition<'a>> {
    conditions(obj).find(|c| c.type_ == type_)
}

/// An integer field of `status` (`readyReplicas`, `disruptionsAllowed`, ...).
pub fn status_i64(obj: &Object, key: &str) -> Option<i64> {
    obj.root.at(&["status", key]).and_then(Node::as_i64)
}

/// The state of a container (`state` or `lastState` of a container status).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ContainerState<'a> {
    Waiting {
        reason: Option<&'a str>,
        message: Option<&'a str>,
    },
    Running {
        started_at: Option<Timestamp>,
    },
    Terminated {
        reason: Option<&'a str>,
        exit_code: Option<i64>,
        finished_at: Option<Timestamp>,
    },
}

impl<'a> ContainerState<'a> {
    fn of(node: Option<&'a Node>) -> Option<ContainerState<'a>> {
        let node = node?;
        let text =
            |n: &'a Node, k: &str| n.get(k).and_then(Node::as_text).filter(|s| !s.is_empty());
        if let Some(w) = node.get("waiting") {
            return Some(ContainerState::Waiting {
                reason: text(w, "reason"),
                message: text(w, "message"),
            });
        }
        if let Some(t) = node.get("terminated") {
            return Some(ContainerState::Terminated {
                reason: text(t, "reason"),
                exit_code: t.get("exitCode").and_then(Node::as_i64),
                finished_at: Timestamp::of(t.get("finishedAt")),
            });
        }
        node.get("running").map(|r| ContainerState::Running {
            started_at: Timestamp::of(r.get("startedAt")),
        })
    }

    /// The reason of a waiting or terminated state.
    pub fn reason(&self) -> Option<&'a str> {
        match *self {
            ContainerState::Waiting { reason, .. } | ContainerState::Terminated { reason, .. } => {
                reason
            }
            ContainerState::Running { .. } => None,
        }
    }

    /// The state's key in the container status (`waiting`, `running`, `terminated`).
    pub fn key(&self) -> &'static str {
        match self {
            ContainerState::Waiting { .. } => "waiting",
            ContainerState::Running { .. } => "running",
            ContainerState::Terminated { .. } => "terminated",
        }
    }
}

/// One entry of a pod's `containerStatuses` or `initContainerStatuses`.
#[derive(Debug, Clone, Copy)]
pub struct ContainerStatus<'a> {
    pub name: &'a str,
    /// `containerStatuses` or `initContainerStatuses`.
    pub field: &'static str,
    pub index: usize,
    pub restart_count: i64,
    pub ready: bool,
    pub state: Option<ContainerState<'a>>,
    pub last_state: Option<ContainerState<'a>>,
}

impl ContainerStatus<'_> {
    /// Pointer to this status, or to a field of it (`/status/containerStatuses/0/state`).
    pub fn pointer(&self, keys: &[&str]) -> Pointer {
        Pointer::root()
            .keys(&["status", self.field])
            .index(self.index)
            .keys(keys)
    }
}

/// The runtime view of a Pod: phase, node, readiness and container states.
#[derive(Debug, Clone, Copy)]
pub struct PodStatus<'a> {
    pub object: &'a Object,
    status: &'a Node,
}

impl<'a> PodStatus<'a> {
    /// The status of a core Pod that reports one.
    pub fn of(object: &'a Object) -> Option<PodStatus<'a>> {
        if object.kind != "Pod" || !object.group().is_empty() {
            return None;
        }
        let status = object.root.get("status").filter(|s| s.is_map())?;
        Some(PodStatus { object, status })
    }

    /// `status.phase` (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`).
    pub fn phase(&self) -> Option<&'a str> {
        self.status.get("phase").and_then(Node::as_text)
    }

    /// The node the pod is bound to (`spec.nodeName`).
    pub fn node_name(&self) -> Option<&'a str> {
        self.object
            .root
            .at(&["spec", "nodeName"])
            .and_then(Node::as_text)
            .filter(|s| !s.is_empty())
    }

    /// `status.startTime`: when the kubelet accepted the pod.
    pub fn start_time(&self) -> Option<Timestamp> {
        Timestamp::of(self.status.get("startTime"))
    }

    /// Whether the pod is being deleted (`metadata.deletionTimestamp` set).
    pub fn is_terminating(&self) -> bool {
        self.object
            .metadata()
            .and_then(|m| m.get("deletionTimestamp"))
            .is_some_and(|t| !t.is_null())
    }

    /// Running, bound to a node and not being deleted.
    pub fn is_running(&self) -> bool {
        self.phase() == Some("Running") && self.node_name().is_some() && !self.is_terminating()
    }

    /// The `Ready` condition is `True`: the pod counts as healthy for Services and
    /// PodDisruptionBudgets.
    pub fn is_ready(&self) -> bool {
        condition(self.object, "Ready").is_some_and(|c| c.is_true())
    }

    /// Statuses of init (and sidecar) containers, then regular containers.
    pub fn containers(&self) -> impl Iterator<Item = ContainerStatus<'a>> + 'a {
        let status = self.status;
        ["initContainerStatuses", "containerStatuses"]
            .into_iter()
            .flat_map(move |field| {
                status
                    .get(field)
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .filter_map(move |(index, n)| {
                        Some(ContainerStatus {
                            name: n.get("name")?.as_text()?,
                            field,
                            index,
                            restart_count: n
                                .get("restartCount")
                                .and_then(Node::as_i64)
                                .unwrap_or(0),
                            ready: n.get("ready").and_then(Node::as_bool).unwrap_or(false),
                            state: ContainerState::of(n.get("state")),
                            last_state: ContainerState::of(n.get("lastState")),
                        })
                    })
            })
    }

    /// The status of the container of that name.
    pub fn container(&self, name: &str) -> Option<ContainerStatus<'a>> {
        self.containers().find(|c| c.name == name)
    }
}
