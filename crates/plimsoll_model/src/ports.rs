//! Container ports as the API server reads them: defaults applied, names validated.

use plimsoll_yaml::Node;

/// One `ports` entry of a container, with `SetDefaults_ContainerPort` applied (an
/// empty or missing `protocol` is `TCP`).
#[derive(Debug, Clone, Copy)]
pub struct ContainerPort<'a> {
    /// Position in the container's `ports` list.
    pub index: usize,
    pub node: &'a Node,
    /// `None` when not written or empty (an unnamed port).
    pub name: Option<&'a str>,
    /// `None` when not written or not an integer.
    pub container_port: Option<i64>,
    /// `None` when not written, 0 (no host port) or not an integer.
    pub host_port: Option<i64>,
    /// Empty when not written.
    pub host_ip: &'a str,
    /// `TCP` when not written or empty; otherwise as written (validation rejects
    /// anything but `TCP`, `UDP` and `SCTP`).
    pub protocol: &'a str,
}

impl<'a> ContainerPort<'a> {
    pub fn from_node(index: usize, node: &'a Node) -> ContainerPort<'a> {
        let text = |k: &str| {
            node.get(k)
                .and_then(Node::as_text)
                .filter(|s| !s.is_empty())
        };
        ContainerPort {
            index,
            node,
            name: text("name"),
            container_port: node.get("containerPort").and_then(Node::as_i64),
            host_port: node
                .get("hostPort")
                .and_then(Node::as_i64)
                .filter(|&p| p != 0),
            host_ip: text("hostIP").unwrap_or(""),
            protocol: text("protocol").unwrap_or("TCP"),
        }
    }
}

/// The protocols a container port (and a Service port) may use.
pub const PORT_PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];

/// Whether a port number is in 1..=65535 (`IsValidPortNum`).
pub fn is_valid_port_num(port: i64) -> bool {
    (1..=65535).contains(&port)
}

/// What is wrong with a port name (an IANA_SVC_NAME, RFC 6335), in the API server's
/// words (`IsValidPortName`): at most 15 characters, only `a-z`, `0-9` and `-`, at
/// least one letter, no `--`, no leading or trailing `-`. Empty when it is valid.
pub fn port_name_problems(name: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if name.len() > 15 {
        out.push("must be no more than 15 characters");
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        out.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        out.push("must contain at least one letter (a-z)");
    }
    if name.contains("--") {
        out.push("must not contain consecutive hyphens");
    }
    if name.starts_with('-') || name.ends_with('-') {
        out.push("must not begin or end with a hyphen");
    }
    out
}
