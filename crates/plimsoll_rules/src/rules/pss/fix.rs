//! The fixes of the PSS rules, built from one violation of one upstream check. Every
//! fix edits the field the violation points at (a container's own security context
//! when the check reports a container), so that the baseline and restricted rules
//! that read the same field give the same fix, and none returns a fix the API server
//! would reject or that another check would then report.

use plimsoll_model::{Container, Node, PodTemplate, Pointer};
use serde_json::json;

use super::eval::{Violation, is_windows};
use crate::rule::{Applicability, Fix};

/// Builds the fix of one violation, if it has a mechanical one.
pub type Fixer = fn(&PodTemplate, &Violation) -> Option<Fix>;

fn present(n: Option<&Node>) -> Option<&Node> {
    n.filter(|n| !n.is_null())
}

/// The container a violation is about (by its path).
fn container_of<'a>(t: &PodTemplate<'a>, v: &Violation) -> Option<Container<'a>> {
    t.containers().find(|c| v.path.starts_with(&c.pointer()))
}

fn own_sc<'a>(c: &Container<'a>, key: &str) -> Option<&'a Node> {
    present(present(c.get("securityContext")).and_then(|s| s.get(key)))
}

/// The last key of a pointer.
fn last_key(p: &Pointer) -> Option<&str> {
    match p.segments().last() {
        Some(plimsoll_yaml::Segment::Key(k)) => Some(k),
        _ => None,
    }
}

/// Whether a violation points at an annotation of the template metadata (the
/// pre-1.19 seccomp and the AppArmor annotations).
fn is_annotation(t: &PodTemplate, v: &Violation) -> bool {
    v.path.parent() == Some(t.meta_pointer(&["annotations"]))
}

fn unsafe_fix(title: impl Into<String>) -> Fix {
    Fix::new(Applicability::Unsafe, title)
}

/// `securityContext.privileged: true` or `CAP_SYS_ADMIN` added: the API server
/// rejects `allowPrivilegeEscalation: false` beside either.
fn escalates_anyway(c: &Container) -> bool {
    let privileged = own_sc(c, "privileged").and_then(Node::as_bool) == Some(true);
    let sys_admin = own_sc(c, "capabilities")
        .and_then(|caps| present(caps.get("add")))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|cap| matches!(cap.as_text(), Some("SYS_ADMIN" | "CAP_SYS_ADMIN")));
    privileged || sys_admin
}

/// `allowPrivilegeEscalation` unset: set it to `false`. An explicit `true` is a
/// decision and gets no fix, nor does a container that is privileged or adds
/// `CAP_SYS_ADMIN` (the API server rejects `false` there), nor a Windows pod (judged
/// at policy versions before 1.25), where the API server forbids the field.
pub fn allow_privilege_escalation(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let c = container_of(t, v)?;
    if own_sc(&c, "allowPrivilegeEscalation").is_some() || escalates_anyway(&c) || is_windows(t) {
        return None;
    }
    Some(
        Fix::new(
            Applicability::Safe,
            format!(
                "set securityContext.allowPrivilegeEscalation: false on container `{}`",
                c.name
            ),
        )
        .set(&t.object.root, &v.path, json!(false)),
    )
}

/// `privileged: true`: set it to `false`.
pub fn privileged(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let c = container_of(t, v)?;
    Some(
        unsafe_fix(format!(
            "set securityContext.privileged: false on container `{}`",
            c.name
        ))
        .replace(&v.path, json!(false)),
    )
}

/// `hostNetwork`, `hostPID` or `hostIPC: true`: remove the field. Not for a Windows
/// HostProcess pod, which the API server accepts only on the host network.
pub fn host_namespaces(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let field = last_key(&v.path)?;
    let host_process = |sc: Option<&Node>| {
        present(sc)
            .and_then(|sc| sc.at(&["windowsOptions", "hostProcess"]))
            .and_then(Node::as_bool)
            == Some(true)
    };
    if field == "hostNetwork"
        && (host_process(t.spec.get("securityContext"))
            || t.containers()
                .any(|c| host_process(c.get("securityContext"))))
    {
        return None;
    }
    Some(unsafe_fix(format!("remove {field}: true")).remove(&v.path))
}

/// A non-zero `hostPort`: remove it. Not on the host network, where the API server
/// defaults `hostPort` to the container port again.
pub fn host_ports(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let c = container_of(t, v)?;
    if t.spec.get("hostNetwork").and_then(Node::as_bool) == Some(true) {
        return None;
    }
    Some(unsafe_fix(format!("remove the hostPort of container `{}`", c.name)).remove(&v.path))
}

/// A capability in `capabilities.add` that the level forbids: remove it (the whole
/// `add` when it is the only one); the
/// restricted `capabilities.drop` without `ALL`: add `ALL` to it.
pub fn capabilities(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let c = container_of(t, v)?;
    if last_key(&v.path) == Some("drop") {
        if is_windows(t) {
            // the API server forbids Linux capabilities in a Windows pod
            return None;
        }
        let drop = own_sc(&c, "capabilities").and_then(|caps| present(caps.get("drop")));
        let fix = unsafe_fix(format!("drop ALL capabilities of container `{}`", c.name));
        return Some(match drop {
            Some(d) if d.is_seq() => fix.add(&v.path.key("-"), json!("ALL")),
            Some(_) => fix.replace(&v.path, json!(["ALL"])),
            None => fix.set(&t.object.root, &v.path, json!(["ALL"])),
        });
    }
    let cap = t.object.root.pointer(&v.path)?.as_text().unwrap_or("");
    let list = v.path.parent()?;
    let only = t.object.root.pointer(&list).map(|l| l.items().len()) == Some(1);
    Some(
        unsafe_fix(format!(
            "remove capability `{cap}` from container `{}`",
            c.name
        ))
        .remove(if only { &list } else { &v.path }),
    )
}

/// A seccomp or AppArmor profile whose type is not `RuntimeDefault` or `Localhost`
/// (or missing, for the restricted seccomp check): set `type: RuntimeDefault` where
/// the violation points (dropping a `localhostProfile`, which only `Localhost` may
/// carry); an annotation: `runtime/default`.
fn runtime_default(t: &PodTemplate, v: &Violation, what: &str) -> Option<Fix> {
    if is_annotation(t, v) {
        let key = last_key(&v.path)?;
        return Some(
            unsafe_fix(format!("set annotation {key} to runtime/default"))
                .replace(&v.path, json!("runtime/default")),
        );
    }
    let profile = v.path.parent()?;
    let own = present(t.object.root.pointer(&profile)).is_some();
    if !own && is_windows(t) {
        // the API server forbids seccomp and AppArmor profiles in a Windows pod
        return None;
    }
    if !own
        && present(
            t.object
                .root
                .pointer(&t.spec_pointer(&["securityContext", "seccompProfile"])),
        )
        .is_some()
    {
        // a container without its own profile under a forbidden pod-level one: the
        // pod's finding carries the fix
        return None;
    }
    let whom = match container_of(t, v) {
        Some(c) => format!("container `{}`", c.name),
        None => "the pod".to_string(),
    };
    let mut fix = unsafe_fix(format!(
        "set the {what} profile of {whom} to RuntimeDefault"
    ))
    .set(&t.object.root, &v.path, json!("RuntimeDefault"));
    if present(t.object.root.pointer(&profile.key("localhostProfile"))).is_some() {
        fix = fix.remove(&profile.key("localhostProfile"));
    }
    Some(fix)
}

pub fn seccomp(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    runtime_default(t, v, "seccomp")
}

/// `procMount` other than `Default`: remove it.
pub fn proc_mount(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let c = container_of(t, v)?;
    Some(
        unsafe_fix(format!(
            "remove securityContext.procMount of container `{}`",
            c.name
        ))
        .remove(&v.path),
    )
}

pub fn app_armor(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    runtime_default(t, v, "AppArmor")
}

/// A forbidden SELinux `type`, `user` or `role`: remove it (the runtime's default
/// applies).
pub fn se_linux_options(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let field = last_key(&v.path)?;
    let whom = match container_of(t, v) {
        Some(c) => format!("container `{}`", c.name),
        None => "the pod".to_string(),
    };
    Some(unsafe_fix(format!("remove seLinuxOptions.{field} of {whom}")).remove(&v.path))
}

/// A forbidden sysctl: remove its entry.
pub fn sysctls(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let entry = v.path.parent()?;
    let name = t.object.root.pointer(&v.path)?.as_text().unwrap_or("");
    Some(unsafe_fix(format!("remove sysctl `{name}`")).remove(&entry))
}

/// A probe or lifecycle handler with a `host`: remove it (the pod's IP is used).
pub fn host_probes_and_host_lifecycle(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let c = container_of(t, v)?;
    Some(
        unsafe_fix(format!(
            "remove the host of a probe or lifecycle handler of container `{}`",
            c.name
        ))
        .remove(&v.path),
    )
}

/// `runAsNonRoot` false or unset: set it to `true` where the violation points. Not
/// when a container it governs runs as UID 0 (`runAsUser: 0`): the kubelet would
/// refuse to start it.
pub fn run_as_non_root(t: &PodTemplate, v: &Violation) -> Option<Fix> {
    let uid0 =
        |c: &Container| c.security_field("runAsUser").and_then(|f| f.node.as_i64()) == Some(0);
    let whom = match container_of(t, v) {
        Some(c) => {
            if uid0(&c) {
                return None;
            }
            format!("container `{}`", c.name)
        }
        None => {
            if t.containers().any(|c| uid0(&c)) {
                return None;
            }
            "the pod".to_string()
        }
    };
    Some(
        unsafe_fix(format!("set securityContext.runAsNonRoot: true on {whom}")).set(
            &t.object.root,
            &v.path,
            json!(true),
        ),
    )
}
