//! Helpers shared by the PRB rules: which workloads serve traffic, and probes with
//! their Kubernetes defaults.

use plimsoll_model::{Container, ContainerKind, Node, Object, PodTemplate};

use crate::rule::Context;

/// Whether the pods of `obj` run for as long as they can (see
/// [`PodTemplate::is_long_running`]).
pub fn long_running(_obj: &Object, t: &PodTemplate) -> bool {
    t.is_long_running()
}

/// Whether a container declares a `containerPort`.
pub fn has_ports(c: &Container) -> bool {
    c.ports().any(|(_, n)| n.is_some())
}

/// The first Service of the input that selects the workload's pods.
pub fn selecting_service(cx: &Context, id: usize) -> Option<usize> {
    cx.index.services_for(id).first()
}

/// A long-running workload that receives traffic (see [`plimsoll_model::Index::is_serving`]).
pub fn is_serving(cx: &Context, id: usize) -> bool {
    cx.index.is_serving(id)
}

/// The regular containers that serve: those declaring a port, or all of them when
/// none does (the pods are then served through a Service's target port).
pub fn serving_containers<'a>(t: &PodTemplate<'a>) -> Vec<Container<'a>> {
    let app: Vec<Container<'a>> = t.app_containers().collect();
    if app.iter().any(has_ports) {
        app.into_iter().filter(has_ports).collect()
    } else {
        app
    }
}

/// Containers that may carry probes and run for the life of the pod.
pub fn probed(kind: ContainerKind) -> bool {
    kind.is_long_running()
}

pub const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];

/// A probe with the defaults Kubernetes applies.
#[derive(Debug, Clone, Copy)]
pub struct Probe<'a> {
    pub node: &'a Node,
}

impl<'a> Probe<'a> {
    pub fn of(c: &Container<'a>, field: &str) -> Option<Probe<'a>> {
        c.get(field)
            .filter(|n| n.is_map())
            .map(|node| Probe { node })
    }

    fn int(&self, key: &str, default: i64) -> i64 {
        self.node.get(key).and_then(Node::as_i64).unwrap_or(default)
    }

    /// `initialDelaySeconds` (default 0).
    pub fn initial_delay(&self) -> i64 {
        self.int("initialDelaySeconds", 0)
    }

    /// `periodSeconds` (default 10).
    pub fn period(&self) -> i64 {
        self.int("periodSeconds", 10)
    }

    /// `timeoutSeconds` (default 1).
    pub fn timeout(&self) -> i64 {
        self.int("timeoutSeconds", 1)
    }

    /// `failureThreshold` (default 3).
    pub fn failure_threshold(&self) -> i64 {
        self.int("failureThreshold", 3)
    }

    /// Timing fields written with a value the API server rejects: `initialDelaySeconds`
    /// below 0, `periodSeconds`, `timeoutSeconds`, `successThreshold` or
    /// `failureThreshold` below 1, or any of them not a whole number. (field, the text
    /// written, the smallest value allowed)
    pub fn invalid_timing(&self) -> Vec<(&'static str, String, i64)> {
        [
            ("initialDelaySeconds", 0),
            ("periodSeconds", 1),
            ("timeoutSeconds", 1),
            ("successThreshold", 1),
            ("failureThreshold", 1),
        ]
        .into_iter()
        .filter_map(|(key, min)| {
            let n = self.node.get(key).filter(|n| !n.is_null())?;
            match n.as_i64() {
                Some(v) if v >= min => None,
                _ => Some((key, n.as_text().unwrap_or("?").to_string(), min)),
            }
        })
        .collect()
    }

    /// How long the probe must fail in a row before it acts.
    pub fn failure_window(&self) -> i64 {
        self.failure_threshold() * self.period()
    }

    /// The handler in a comparable form, with a human description:
    /// (`key`, `httpGet /healthz on port 8080`). Named ports are resolved against the
    /// container's ports so that `port: http` and `port: 8080` compare equal.
    pub fn handler(&self, c: &Container) -> Option<(String, String)> {
        let port = |n: Option<&Node>| -> String {
            let Some(n) = n else {
                return String::new();
            };
            if let Some(i) = n.as_i64() {
                return i.to_string();
            }
            let name = n.as_text().unwrap_or("");
            c.ports()
                .find(|(pn, _)| *pn == Some(name))
                .and_then(|(_, num)| num)
                .map_or(name.to_string(), |num| num.to_string())
        };
        if let Some(h) = self.node.get("httpGet") {
            let path = h.get("path").and_then(Node::as_text).unwrap_or("");
            let path = if path.is_empty() { "/" } else { path };
            let p = port(h.get("port"));
            let key = format!(
                "http|{}|{}|{path}|{p}|{}",
                h.get("scheme").and_then(Node::as_text).unwrap_or("HTTP"),
                h.get("host").and_then(Node::as_text).unwrap_or(""),
                h.get("httpHeaders").map(Node::to_json).unwrap_or_default(),
            );
            return Some((key, format!("httpGet {path} on port {p}")));
        }
        if let Some(h) = self.node.get("tcpSocket") {
            let p = port(h.get("port"));
            let key = format!(
                "tcp|{}|{p}",
                h.get("host").and_then(Node::as_text).unwrap_or("")
            );
            return Some((key, format!("tcpSocket on port {p}")));
        }
        if let Some(h) = self.node.get("exec") {
            let cmd: Vec<&str> = h
                .get("command")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(|n| n.as_text().unwrap_or(""))
                .collect();
            return Some((
                format!("exec|{}", cmd.join("\u{0}")),
                format!("exec `{}`", cmd.join(" ")),
            ));
        }
        if let Some(h) = self.node.get("grpc") {
            let p = h.get("port").and_then(Node::as_i64).unwrap_or(0);
            let service = h.get("service").and_then(Node::as_text).unwrap_or("");
            return Some((format!("grpc|{p}|{service}"), format!("grpc on port {p}")));
        }
        None
    }
}
