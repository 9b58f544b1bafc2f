//! A Pod Security Standards evaluator that follows kubernetes/pod-security-admission:
//! the same checks (by upstream check ID), the same version history
//! (`MinimumVersion` entries, the newest one at or below the policy version applies)
//! and the same restricted overrides (`OverrideCheckIDs`).
//!
//! It works on a [`PodTemplate`], so it judges Pods and the templates of every workload
//! kind; the template metadata carries the AppArmor and pre-1.19 seccomp annotations.
//! Containers are visited as upstream's `visitContainers` does: init containers
//! (sidecars included), regular containers, then ephemeral containers.

use plimsoll_model::{Container, KubeVersion, PodTemplate};
use plimsoll_yaml::{Node, Pointer};

/// A Pod Security level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    /// Parses a level exactly as upstream's `ParseLevel` does (case-sensitive).
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// The newest policy version upstream has released: Kubernetes 1.37
/// (k8s.io/pod-security-admission v0.37.x).
pub const NEWEST_MINOR: u32 = 37;

/// The policy version (minor of 1.x) the evaluator applies: `None` is latest; newer
/// versions are clamped to the newest known one, as upstream's registry does.
pub fn policy_minor(version: Option<KubeVersion>) -> u32 {
    match version {
        None => NEWEST_MINOR,
        Some(v) if v.major > 1 => NEWEST_MINOR,
        Some(v) if v.major < 1 => 0,
        Some(v) => v.minor.min(NEWEST_MINOR),
    }
}

/// `1.30` or `latest` for messages.
pub fn version_label(version: Option<KubeVersion>) -> String {
    match version {
        None => "latest".into(),
        Some(_) => format!("v1.{}", policy_minor(version)),
    }
}

/// One offending field of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Upstream check ID (`hostNamespaces`).
    pub check: &'static str,
    /// Pointer of the offending field in the object (or of the field that must be set).
    pub path: Pointer,
    /// The container concerned, if any.
    pub container: Option<String>,
    /// `host namespaces (hostNetwork=true)`.
    pub message: String,
}

type CheckFn = fn(&PodTemplate, &mut Out);

/// One entry of a check's version history.
pub struct VersionedCheck {
    pub minimum_minor: u32,
    pub check: CheckFn,
    pub overrides: &'static [&'static str],
}

/// An upstream check.
pub struct Check {
    pub id: &'static str,
    pub level: Level,
    pub versions: &'static [VersionedCheck],
}

impl Check {
    /// The entry that applies at a policy version, `None` when the check does not exist
    /// yet at that version.
    pub fn at(&self, minor: u32) -> Option<&VersionedCheck> {
        self.versions
            .iter()
            .filter(|v| v.minimum_minor <= minor)
            .max_by_key(|v| v.minimum_minor)
    }
}

/// Collects violations for one check.
pub struct Out {
    check: &'static str,
    found: Vec<Violation>,
}

impl Out {
    fn pod(&mut self, path: Pointer, message: String) {
        self.found.push(Violation {
            check: self.check,
            path,
            container: None,
            message,
        });
    }

    fn container(&mut self, c: &Container, path: Pointer, message: String) {
        self.found.push(Violation {
            check: self.check,
            path,
            container: Some(c.name.to_string()),
            message,
        });
    }
}

const fn v(minimum_minor: u32, check: CheckFn) -> VersionedCheck {
    VersionedCheck {
        minimum_minor,
        check,
        overrides: &[],
    }
}

const fn vo(
    minimum_minor: u32,
    check: CheckFn,
    overrides: &'static [&'static str],
) -> VersionedCheck {
    VersionedCheck {
        minimum_minor,
        check,
        overrides,
    }
}

/// Every check, baseline first, in upstream's documentation order.
pub static CHECKS: &[Check] = &[
    Check {
        id: "windowsHostProcess",
        level: Level::Baseline,
        versions: &[v(0, windows_host_process)],
    },
    Check {
        id: "hostNamespaces",
        level: Level::Baseline,
        versions: &[v(0, host_namespaces)],
    },
    Check {
        id: "privileged",
        level: Level::Baseline,
        versions: &[v(0, privileged)],
    },
    Check {
        id: "capabilities_baseline",
        level: Level::Baseline,
        versions: &[v(0, capabilities_baseline)],
    },
    Check {
        id: "hostPathVolumes",
        level: Level::Baseline,
        versions: &[v(0, host_path_volumes)],
    },
    Check {
        id: "hostPorts",
        level: Level::Baseline,
        versions: &[v(0, host_ports)],
    },
    Check {
        id: "appArmorProfile",
        level: Level::Baseline,
        versions: &[v(0, app_armor_profile)],
    },
    Check {
        id: "seLinuxOptions",
        level: Level::Baseline,
        versions: &[v(0, se_linux_options_1_0), v(31, se_linux_options_1_31)],
    },
    Check {
        id: "procMount",
        level: Level::Baseline,
        versions: &[v(0, proc_mount_1_0), v(35, proc_mount_1_35)],
    },
    Check {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        versions: &[v(0, seccomp_baseline_1_0), v(19, seccomp_baseline_1_19)],
    },
    Check {
        id: "sysctls",
        level: Level::Baseline,
        versions: &[
            v(0, sysctls_1_0),
            v(27, sysctls_1_27),
            v(29, sysctls_1_29),
            v(32, sysctls_1_32),
            v(37, sysctls_1_37),
        ],
    },
    Check {
        id: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        versions: &[v(34, host_probes_and_host_lifecycle)],
    },
    Check {
        id: "restrictedVolumes",
        level: Level::Restricted,
        versions: &[vo(0, restricted_volumes, &["hostPathVolumes"])],
    },
    Check {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        versions: &[
            v(8, allow_privilege_escalation_1_8),
            v(25, allow_privilege_escalation_1_25),
        ],
    },
    Check {
        id: "runAsNonRoot",
        level: Level::Restricted,
        versions: &[v(0, run_as_non_root_1_0), v(35, run_as_non_root_1_35)],
    },
    Check {
        id: "runAsUser",
        level: Level::Restricted,
        versions: &[v(23, run_as_user_1_23), v(35, run_as_user_1_35)],
    },
    Check {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        versions: &[
            vo(19, seccomp_restricted_1_19, &["seccompProfile_baseline"]),
            vo(25, seccomp_restricted_1_25, &["seccompProfile_baseline"]),
        ],
    },
    Check {
        id: "capabilities_restricted",
        level: Level::Restricted,
        versions: &[
            vo(22, capabilities_restricted_1_22, &["capabilities_baseline"]),
            vo(25, capabilities_restricted_1_25, &["capabilities_baseline"]),
        ],
    },
    Check {
        id: "procMount_restricted",
        level: Level::Restricted,
        versions: &[vo(35, proc_mount_restricted, &["procMount"])],
    },
];

/// The check with this upstream ID.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// Whether a check exists at a policy version.
pub fn check_exists(id: &str, version: Option<KubeVersion>) -> bool {
    check(id).is_some_and(|c| c.at(policy_minor(version)).is_some())
}

/// Runs one check at a policy version (no overrides applied). Empty when the check
/// does not exist at that version or passes.
pub fn run_check(t: &PodTemplate, id: &str, version: Option<KubeVersion>) -> Vec<Violation> {
    let Some(c) = check(id) else {
        return Vec::new();
    };
    let Some(entry) = c.at(policy_minor(version)) else {
        return Vec::new();
    };
    let mut out = Out {
        check: c.id,
        found: Vec::new(),
    };
    (entry.check)(t, &mut out);
    out.found
}

/// The check IDs a level applies at a policy version, overrides applied.
pub fn checks_for(level: Level, version: Option<KubeVersion>) -> Vec<&'static str> {
    if level == Level::Privileged {
        return Vec::new();
    }
    let minor = policy_minor(version);
    let applicable: Vec<(&Check, &VersionedCheck)> = CHECKS
        .iter()
        .filter(|c| c.level <= level)
        .filter_map(|c| c.at(minor).map(|e| (c, e)))
        .collect();
    let overridden: Vec<&str> = applicable
        .iter()
        .flat_map(|(_, e)| e.overrides.iter().copied())
        .collect();
    applicable
        .into_iter()
        .map(|(c, _)| c.id)
        .filter(|id| !overridden.contains(id))
        .collect()
}

/// Evaluates a pod template at a level and policy version (`None` = latest), as
/// upstream's evaluator does.
pub fn evaluate(t: &PodTemplate, level: Level, version: Option<KubeVersion>) -> Vec<Violation> {
    checks_for(level, version)
        .into_iter()
        .flat_map(|id| run_check(t, id, version))
        .collect()
}

/// The failing check IDs of a set of violations, in check order, each once.
pub fn failing_checks(violations: &[Violation]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for v in violations {
        if !out.contains(&v.check) {
            out.push(v.check);
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// field access, with Go's nil semantics: an explicit `null` is the same as absent

fn present(n: Option<&Node>) -> Option<&Node> {
    n.filter(|n| !n.is_null())
}

fn at<'a>(n: Option<&'a Node>, keys: &[&str]) -> Option<&'a Node> {
    let mut cur = present(n)?;
    for k in keys {
        cur = present(cur.get(k))?;
    }
    Some(cur)
}

fn text<'a>(n: Option<&'a Node>, keys: &[&str]) -> Option<&'a str> {
    at(n, keys).and_then(Node::as_text)
}

fn is_true(n: Option<&Node>, keys: &[&str]) -> bool {
    at(n, keys).and_then(Node::as_bool) == Some(true)
}

fn pod_sc<'a>(t: &PodTemplate<'a>) -> Option<&'a Node> {
    present(t.spec.get("securityContext"))
}

fn container_sc<'a>(c: &Container<'a>) -> Option<&'a Node> {
    present(c.get("securityContext"))
}

fn sc_ptr(c: &Container, keys: &[&str]) -> Pointer {
    c.field_pointer(&["securityContext"]).keys(keys)
}

fn pod_sc_ptr(t: &PodTemplate, keys: &[&str]) -> Pointer {
    t.spec_pointer(&["securityContext"]).keys(keys)
}

/// `spec.os.name == windows` (relaxations from 1.25).
pub fn is_windows(t: &PodTemplate) -> bool {
    text(Some(t.spec), &["os", "name"]) == Some("windows")
}

/// `spec.hostUsers: false`: upstream's `relaxPolicyForUserNamespacePod`.
pub fn relax_for_user_namespace(t: &PodTemplate) -> bool {
    at(Some(t.spec), &["hostUsers"]).and_then(Node::as_bool) == Some(false)
}

fn who(c: &Container) -> String {
    format!("container \"{}\"", c.name)
}

// ---------------------------------------------------------------------------------
// baseline

fn windows_host_process(t: &PodTemplate, out: &mut Out) {
    if is_true(pod_sc(t), &["windowsOptions", "hostProcess"]) {
        out.pod(
            pod_sc_ptr(t, &["windowsOptions", "hostProcess"]),
            "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)".into(),
        );
    }
    for c in t.containers() {
        if is_true(container_sc(&c), &["windowsOptions", "hostProcess"]) {
            out.container(
                &c,
                sc_ptr(&c, &["windowsOptions", "hostProcess"]),
                format!(
                    "hostProcess ({} must not set securityContext.windowsOptions.hostProcess=true)",
                    who(&c)
                ),
            );
        }
    }
}

fn host_namespaces(t: &PodTemplate, out: &mut Out) {
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(Some(t.spec), &[field]) {
            out.pod(
                t.spec_pointer(&[field]),
                format!("host namespaces ({field}=true)"),
            );
        }
    }
}

fn privileged(t: &PodTemplate, out: &mut Out) {
    for c in t.containers() {
        if is_true(container_sc(&c), &["privileged"]) {
            out.container(
                &c,
                sc_ptr(&c, &["privileged"]),
                format!(
                    "privileged ({} must not set securityContext.privileged=true)",
                    who(&c)
                ),
            );
        }
    }
}

const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities_baseline(t: &PodTemplate, out: &mut Out) {
    for c in t.containers() {
        let Some(add) = at(container_sc(&c), &["capabilities", "add"]) else {
            continue;
        };
        for (i, cap) in add.items().iter().enumerate() {
            let name = cap.as_text().unwrap_or("");
            if !BASELINE_CAPABILITIES.contains(&name) {
                out.container(
                    &c,
                    sc_ptr(&c, &["capabilities", "add"]).index(i),
                    format!(
                        "non-default capabilities ({} must not include \"{name}\" in securityContext.capabilities.add)",
                        who(&c)
                    ),
                );
            }
        }
    }
}

fn volumes<'a>(t: &PodTemplate<'a>) -> &'a [Node] {
    present(t.spec.get("volumes"))
        .map(Node::items)
        .unwrap_or_default()
}

fn volume_name(v: &Node) -> &str {
    v.get("name").and_then(Node::as_text).unwrap_or("")
}

fn host_path_volumes(t: &PodTemplate, out: &mut Out) {
    for (i, vol) in volumes(t).iter().enumerate() {
        if present(vol.get("hostPath")).is_some() {
            out.pod(
                t.spec_pointer(&["volumes"]).index(i).key("hostPath"),
                format!("hostPath volumes (volume \"{}\")", volume_name(vol)),
            );
        }
    }
}

fn host_ports(t: &PodTemplate, out: &mut Out) {
    for c in t.containers() {
        let Some(ports) = present(c.get("ports")) else {
            continue;
        };
        for (i, p) in ports.items().iter().enumerate() {
            let hp = at(Some(p), &["hostPort"])
                .and_then(Node::as_i64)
                .unwrap_or(0);
            if hp != 0 {
                out.container(
                    &c,
                    c.field_pointer(&["ports"]).index(i).key("hostPort"),
                    format!("hostPort ({} uses hostPort {hp})", who(&c)),
                );
            }
        }
    }
}

const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn app_armor_profile(t: &PodTemplate, out: &mut Out) {
    let allowed = |ty: &str| matches!(ty, "RuntimeDefault" | "Localhost");
    if let Some(p) = at(pod_sc(t), &["appArmorProfile"]) {
        let ty = text(Some(p), &["type"]).unwrap_or("");
        if !allowed(ty) {
            out.pod(
                pod_sc_ptr(t, &["appArmorProfile", "type"]),
                format!("forbidden AppArmor profile (pod must not set AppArmor profile type to \"{ty}\")"),
            );
        }
    }
    for c in t.containers() {
        if let Some(p) = at(container_sc(&c), &["appArmorProfile"]) {
            let ty = text(Some(p), &["type"]).unwrap_or("");
            if !allowed(ty) {
                out.container(
                    &c,
                    sc_ptr(&c, &["appArmorProfile", "type"]),
                    format!(
                        "forbidden AppArmor profile ({} must not set AppArmor profile type to \"{ty}\")",
                        who(&c)
                    ),
                );
            }
        }
    }
    let annotations = t.metadata().and_then(|m| present(m.get("annotations")));
    for e in annotations.map(Node::entries).unwrap_or_default() {
        if !e.key.starts_with(APPARMOR_PREFIX) {
            continue;
        }
        let val = e.value.as_text().unwrap_or("");
        if !(val.is_empty() || val == "runtime/default" || val.starts_with("localhost/")) {
            out.pod(
                t.meta_pointer(&["annotations", &e.key]),
                format!(
                    "forbidden AppArmor profile (annotation {}=\"{val}\")",
                    e.key
                ),
            );
        }
    }
}

fn se_linux_options(t: &PodTemplate, out: &mut Out, types: &[&str]) {
    let judge = |opts: Option<&Node>, whom: &str| -> Vec<(&'static str, String)> {
        let mut bad = Vec::new();
        let Some(opts) = opts else { return bad };
        let ty = text(Some(opts), &["type"]).unwrap_or("");
        if !types.contains(&ty) {
            bad.push((
                "type",
                format!("seLinuxOptions ({whom} set forbidden securityContext.seLinuxOptions: type \"{ty}\")"),
            ));
        }
        for f in ["user", "role"] {
            let val = text(Some(opts), &[f]).unwrap_or("");
            if !val.is_empty() {
                bad.push((
                    f,
                    format!("seLinuxOptions ({whom} set forbidden securityContext.seLinuxOptions: {f} \"{val}\")"),
                ));
            }
        }
        bad
    };
    for (f, msg) in judge(at(pod_sc(t), &["seLinuxOptions"]), "pod") {
        out.pod(pod_sc_ptr(t, &["seLinuxOptions", f]), msg);
    }
    for c in t.containers() {
        for (f, msg) in judge(at(container_sc(&c), &["seLinuxOptions"]), &who(&c)) {
            out.container(&c, sc_ptr(&c, &["seLinuxOptions", f]), msg);
        }
    }
}

fn se_linux_options_1_0(t: &PodTemplate, out: &mut Out) {
    se_linux_options(
        t,
        out,
        &["", "container_t", "container_init_t", "container_kvm_t"],
    );
}

fn se_linux_options_1_31(t: &PodTemplate, out: &mut Out) {
    se_linux_options(
        t,
        out,
        &[
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ],
    );
}

fn proc_mount(t: &PodTemplate, out: &mut Out) {
    for c in t.containers() {
        if let Some(pm) = text(container_sc(&c), &["procMount"])
            && pm != "Default"
        {
            out.container(
                &c,
                sc_ptr(&c, &["procMount"]),
                format!(
                    "procMount ({} must not set securityContext.procMount to \"{pm}\")",
                    who(&c)
                ),
            );
        }
    }
}

fn proc_mount_1_0(t: &PodTemplate, out: &mut Out) {
    // the user-namespace relaxation was behind a perma-alpha feature gate before 1.35
    proc_mount(t, out);
}

fn proc_mount_1_35(t: &PodTemplate, out: &mut Out) {
    if relax_for_user_namespace(t) {
        return;
    }
    proc_mount(t, out);
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn seccomp_baseline_1_0(t: &PodTemplate, out: &mut Out) {
    let valid =
        |v: &str| v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
    if let Some(val) = t.annotation(SECCOMP_POD_ANNOTATION)
        && !valid(val)
    {
        out.pod(
            t.meta_pointer(&["annotations", SECCOMP_POD_ANNOTATION]),
            format!(
                "seccompProfile (pod must not set annotation {SECCOMP_POD_ANNOTATION}=\"{val}\")"
            ),
        );
    }
    for c in t.containers() {
        let key = format!("{SECCOMP_CONTAINER_PREFIX}{}", c.name);
        if let Some(val) = t.annotation(&key)
            && !valid(val)
        {
            out.container(
                &c,
                t.meta_pointer(&["annotations", &key]),
                format!(
                    "seccompProfile ({} must not set annotation {key}=\"{val}\")",
                    who(&c)
                ),
            );
        }
    }
}

fn valid_seccomp_type(ty: &str) -> bool {
    ty == "RuntimeDefault" || ty == "Localhost"
}

fn seccomp_baseline_1_19(t: &PodTemplate, out: &mut Out) {
    if let Some(p) = at(pod_sc(t), &["seccompProfile"]) {
        let ty = text(Some(p), &["type"]).unwrap_or("");
        if !valid_seccomp_type(ty) {
            out.pod(
                pod_sc_ptr(t, &["seccompProfile", "type"]),
                format!("seccompProfile (pod must not set securityContext.seccompProfile.type to \"{ty}\")"),
            );
        }
    }
    for c in t.containers() {
        if let Some(p) = at(container_sc(&c), &["seccompProfile"]) {
            let ty = text(Some(p), &["type"]).unwrap_or("");
            if !valid_seccomp_type(ty) {
                out.container(
                    &c,
                    sc_ptr(&c, &["seccompProfile", "type"]),
                    format!(
                        "seccompProfile ({} must not set securityContext.seccompProfile.type to \"{ty}\")",
                        who(&c)
                    ),
                );
            }
        }
    }
}

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn sysctls(t: &PodTemplate, out: &mut Out, allowed: &[&[&str]]) {
    let Some(list) = at(pod_sc(t), &["sysctls"]) else {
        return;
    };
    for (i, s) in list.items().iter().enumerate() {
        let name = text(Some(s), &["name"]).unwrap_or("");
        if !allowed.iter().any(|set| set.contains(&name)) {
            out.pod(
                pod_sc_ptr(t, &["sysctls"]).index(i).key("name"),
                format!("forbidden sysctls ({name})"),
            );
        }
    }
}

fn sysctls_1_0(t: &PodTemplate, out: &mut Out) {
    sysctls(t, out, &[SYSCTLS_1_0]);
}

fn sysctls_1_27(t: &PodTemplate, out: &mut Out) {
    sysctls(t, out, &[SYSCTLS_1_0, SYSCTLS_1_27]);
}

fn sysctls_1_29(t: &PodTemplate, out: &mut Out) {
    sysctls(t, out, &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29]);
}

fn sysctls_1_32(t: &PodTemplate, out: &mut Out) {
    sysctls(
        t,
        out,
        &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32],
    );
}

fn sysctls_1_37(t: &PodTemplate, out: &mut Out) {
    sysctls(
        t,
        out,
        &[
            SYSCTLS_1_0,
            SYSCTLS_1_27,
            SYSCTLS_1_29,
            SYSCTLS_1_32,
            SYSCTLS_1_37,
        ],
    );
}

fn host_probes_and_host_lifecycle(t: &PodTemplate, out: &mut Out) {
    for c in t.containers() {
        let mut handlers: Vec<(Vec<&str>, Option<&Node>)> = Vec::new();
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            handlers.push((vec![probe], present(c.get(probe))));
        }
        for hook in ["postStart", "preStop"] {
            handlers.push((
                vec!["lifecycle", hook],
                at(Some(c.node), &["lifecycle", hook]),
            ));
        }
        for (path, handler) in handlers {
            for action in ["httpGet", "tcpSocket"] {
                let host = text(handler, &[action, "host"]).unwrap_or("");
                if !host.is_empty() {
                    let mut keys = path.clone();
                    keys.extend([action, "host"]);
                    out.container(
                        &c,
                        c.field_pointer(&keys),
                        format!(
                            "probe or lifecycle host ({} uses probe or lifecycle host \"{host}\")",
                            who(&c)
                        ),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// restricted

const ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

const KNOWN_VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn restricted_volumes(t: &PodTemplate, out: &mut Out) {
    for (i, vol) in volumes(t).iter().enumerate() {
        let sources: Vec<&str> = vol
            .entries()
            .iter()
            .filter(|e| e.key != "name" && !e.value.is_null())
            .map(|e| e.key.as_str())
            .collect();
        // a volume without a source is defaulted to emptyDir by the API server
        if sources.is_empty() || sources.iter().any(|s| ALLOWED_VOLUME_SOURCES.contains(s)) {
            continue;
        }
        let ty = KNOWN_VOLUME_SOURCES
            .iter()
            .find(|k| sources.contains(k))
            .copied()
            .unwrap_or(sources[0]);
        out.pod(
            t.spec_pointer(&["volumes"]).index(i).key(ty),
            format!(
                "restricted volume types (volume \"{}\" uses restricted volume type \"{ty}\")",
                volume_name(vol)
            ),
        );
    }
}

fn allow_privilege_escalation_1_8(t: &PodTemplate, out: &mut Out) {
    for c in t.containers() {
        let val = at(container_sc(&c), &["allowPrivilegeEscalation"]).and_then(Node::as_bool);
        if val != Some(false) {
            out.container(
                &c,
                sc_ptr(&c, &["allowPrivilegeEscalation"]),
                format!(
                    "allowPrivilegeEscalation != false ({} must set securityContext.allowPrivilegeEscalation=false)",
                    who(&c)
                ),
            );
        }
    }
}

fn allow_privilege_escalation_1_25(t: &PodTemplate, out: &mut Out) {
    if is_windows(t) {
        return;
    }
    allow_privilege_escalation_1_8(t, out);
}

fn run_as_non_root_1_0(t: &PodTemplate, out: &mut Out) {
    let pod = at(pod_sc(t), &["runAsNonRoot"]).and_then(Node::as_bool);
    if pod == Some(false) {
        out.pod(
            pod_sc_ptr(t, &["runAsNonRoot"]),
            "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)".into(),
        );
    }
    let pod_true = pod == Some(true);
    for c in t.containers() {
        match at(container_sc(&c), &["runAsNonRoot"]).and_then(Node::as_bool) {
            Some(false) => out.container(
                &c,
                sc_ptr(&c, &["runAsNonRoot"]),
                format!(
                    "runAsNonRoot != true ({} must not set securityContext.runAsNonRoot=false)",
                    who(&c)
                ),
            ),
            Some(true) => {}
            None if pod_true => {}
            None => out.container(
                &c,
                sc_ptr(&c, &["runAsNonRoot"]),
                format!(
                    "runAsNonRoot != true (pod or {} must set securityContext.runAsNonRoot=true)",
                    who(&c)
                ),
            ),
        }
    }
}

fn run_as_non_root_1_35(t: &PodTemplate, out: &mut Out) {
    if relax_for_user_namespace(t) {
        return;
    }
    run_as_non_root_1_0(t, out);
}

fn run_as_user_1_23(t: &PodTemplate, out: &mut Out) {
    if at(pod_sc(t), &["runAsUser"]).and_then(Node::as_i64) == Some(0) {
        out.pod(
            pod_sc_ptr(t, &["runAsUser"]),
            "runAsUser=0 (pod must not set runAsUser=0)".into(),
        );
    }
    for c in t.containers() {
        if at(container_sc(&c), &["runAsUser"]).and_then(Node::as_i64) == Some(0) {
            out.container(
                &c,
                sc_ptr(&c, &["runAsUser"]),
                format!("runAsUser=0 ({} must not set runAsUser=0)", who(&c)),
            );
        }
    }
}

fn run_as_user_1_35(t: &PodTemplate, out: &mut Out) {
    if relax_for_user_namespace(t) {
        return;
    }
    run_as_user_1_23(t, out);
}

fn seccomp_restricted_1_19(t: &PodTemplate, out: &mut Out) {
    let mut pod_set = false;
    if let Some(p) = at(pod_sc(t), &["seccompProfile"]) {
        let ty = text(Some(p), &["type"]).unwrap_or("");
        if valid_seccomp_type(ty) {
            pod_set = true;
        } else {
            out.pod(
                pod_sc_ptr(t, &["seccompProfile", "type"]),
                format!("seccompProfile (pod must not set securityContext.seccompProfile.type to \"{ty}\")"),
            );
        }
    }
    for c in t.containers() {
        if let Some(p) = at(container_sc(&c), &["seccompProfile"]) {
            let ty = text(Some(p), &["type"]).unwrap_or("");
            if !valid_seccomp_type(ty) {
                out.container(
                    &c,
                    sc_ptr(&c, &["seccompProfile", "type"]),
                    format!(
                        "seccompProfile ({} must not set securityContext.seccompProfile.type to \"{ty}\")",
                        who(&c)
                    ),
                );
            }
        } else if !pod_set {
            out.container(
                &c,
                sc_ptr(&c, &["seccompProfile", "type"]),
                format!(
                    "seccompProfile (pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
                    who(&c)
                ),
            );
        }
    }
}

fn seccomp_restricted_1_25(t: &PodTemplate, out: &mut Out) {
    if is_windows(t) {
        return;
    }
    seccomp_restricted_1_19(t, out);
}

fn capabilities_restricted_1_22(t: &PodTemplate, out: &mut Out) {
    for c in t.containers() {
        let caps = at(container_sc(&c), &["capabilities"]);
        let drop = at(caps, &["drop"]).map(Node::items).unwrap_or_default();
        if !drop.iter().any(|d| d.as_text() == Some("ALL")) {
            out.container(
                &c,
                sc_ptr(&c, &["capabilities", "drop"]),
                format!(
                    "unrestricted capabilities ({} must set securityContext.capabilities.drop=[\"ALL\"])",
                    who(&c)
                ),
            );
        }
        let add = at(caps, &["add"]).map(Node::items).unwrap_or_default();
        for (i, cap) in add.iter().enumerate() {
            let name = cap.as_text().unwrap_or("");
            if name != "NET_BIND_SERVICE" {
                out.container(
                    &c,
                    sc_ptr(&c, &["capabilities", "add"]).index(i),
                    format!(
                        "unrestricted capabilities ({} must not include \"{name}\" in securityContext.capabilities.add)",
                        who(&c)
                    ),
                );
            }
        }
    }
}

fn capabilities_restricted_1_25(t: &PodTemplate, out: &mut Out) {
    if is_windows(t) {
        return;
    }
    capabilities_restricted_1_22(t, out);
}

fn proc_mount_restricted(t: &PodTemplate, out: &mut Out) {
    // no user-namespace relaxation at the restricted level
    proc_mount(t, out);
}
