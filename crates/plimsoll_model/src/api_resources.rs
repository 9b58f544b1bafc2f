//! The API resources a cluster serves, and how `kubectl` resolves a resource argument to
//! one of them: plural (`secrets`), singular (`secret`), short name (`po`), kind (`Pod`),
//! `resource.group` (`deployments.apps`, `deployments.v1.apps`) and a subresource
//! (`pods/exec`). Built-in resources are those of upstream discovery; custom resources
//! come from the CustomResourceDefinitions in the input.

use crate::{Index, Node};

/// One built-in resource: group, plural, kind, short names, namespaced, subresources.
/// The singular is the lowercase kind, as upstream discovery serves it.
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
    &'static [&'static str],
);

/// Upstream discovery (`kubectl api-resources`), core group first: a bare name that two
/// groups serve (`events`) resolves to the first, as kubectl's group priority does.
/// Subresources are those discovery lists, plus the kubelet's (`nodes/metrics`, ...),
/// which its authorizer checks through RBAC.
const BUILTIN: &[Builtin] = &[
    ("", "bindings", "Binding", &[], true, &[]),
    (
        "",
        "componentstatuses",
        "ComponentStatus",
        &["cs"],
        false,
        &[],
    ),
    ("", "configmaps", "ConfigMap", &["cm"], true, &[]),
    ("", "endpoints", "Endpoints", &["ep"], true, &[]),
    ("", "events", "Event", &["ev"], true, &[]),
    ("", "limitranges", "LimitRange", &["limits"], true, &[]),
    (
        "",
        "namespaces",
        "Namespace",
        &["ns"],
        false,
        &["finalize", "status"],
    ),
    (
        "",
        "nodes",
        "Node",
        &["no"],
        false,
        &[
            "proxy",
            "status",
            "stats",
            "metrics",
            "log",
            "spec",
            "pods",
            "healthz",
            "configz",
            "checkpoint",
        ],
    ),
    (
        "",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        &["pvc"],
        true,
        &["status"],
    ),
    (
        "",
        "persistentvolumes",
        "PersistentVolume",
        &["pv"],
        false,
        &["status"],
    ),
    (
        "",
        "pods",
        "Pod",
        &["po"],
        true,
        &[
            "attach",
            "binding",
            "ephemeralcontainers",
            "eviction",
            "exec",
            "log",
            "portforward",
            "proxy",
            "resize",
            "status",
        ],
    ),
    ("", "podtemplates", "PodTemplate", &[], true, &[]),
    (
        "",
        "replicationcontrollers",
        "ReplicationController",
        &["rc"],
        true,
        &["scale", "status"],
    ),
    (
        "",
        "resourcequotas",
        "ResourceQuota",
        &["quota"],
        true,
        &["status"],
    ),
    ("", "secrets", "Secret", &[], true, &[]),
    (
        "",
        "serviceaccounts",
        "ServiceAccount",
        &["sa"],
        true,
        &["token"],
    ),
    (
        "",
        "services",
        "Service",
        &["svc"],
        true,
        &["proxy", "status"],
    ),
    // not served, but what the impersonate verb is granted on
    ("", "users", "User", &[], false, &[]),
    ("", "groups", "Group", &[], false, &[]),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicies",
        "MutatingAdmissionPolicy",
        &[],
        false,
        &["status"],
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
        "MutatingAdmissionPolicyBinding",
        &[],
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        &[],
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        &[],
        false,
        &["status"],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        &[],
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        &[],
        false,
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        &["crd", "crds"],
        false,
        &["status"],
    ),
    (
        "apiregistration.k8s.io",
        "apiservices",
        "APIService",
        &[],
        false,
        &["status"],
    ),
    (
        "apps",
        "controllerrevisions",
        "ControllerRevision",
        &[],
        true,
        &[],
    ),
    (
        "apps",
        "daemonsets",
        "DaemonSet",
        &["ds"],
        true,
        &["status"],
    ),
    (
        "apps",
        "deployments",
        "Deployment",
        &["deploy"],
        true,
        &["scale", "status"],
    ),
    (
        "apps",
        "replicasets",
        "ReplicaSet",
        &["rs"],
        true,
        &["scale", "status"],
    ),
    (
        "apps",
        "statefulsets",
        "StatefulSet",
        &["sts"],
        true,
        &["scale", "status"],
    ),
    (
        "authentication.k8s.io",
        "selfsubjectreviews",
        "SelfSubjectReview",
        &[],
        false,
        &[],
    ),
    (
        "authentication.k8s.io",
        "tokenreviews",
        "TokenReview",
        &[],
        false,
        &[],
    ),
    // impersonation targets, like users and groups
    ("authentication.k8s.io", "uids", "UID", &[], false, &[]),
    (
        "authentication.k8s.io",
        "userextras",
        "UserExtra",
        &[],
        false,
        &["*"],
    ),
    (
        "authorization.k8s.io",
        "localsubjectaccessreviews",
        "LocalSubjectAccessReview",
        &[],
        true,
        &[],
    ),
    (
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        &[],
        false,
        &[],
    ),
    (
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        &[],
        false,
        &[],
    ),
    (
        "authorization.k8s.io",
        "subjectaccessreviews",
        "SubjectAccessReview",
        &[],
        false,
        &[],
    ),
    (
        "autoscaling",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        &["hpa"],
        true,
        &["status"],
    ),
    ("batch", "cronjobs", "CronJob", &["cj"], true, &["status"]),
    ("batch", "jobs", "Job", &[], true, &["status"]),
    (
        "certificates.k8s.io",
        "certificatesigningrequests",
        "CertificateSigningRequest",
        &["csr"],
        false,
        &["approval", "status"],
    ),
    (
        "certificates.k8s.io",
        "clustertrustbundles",
        "ClusterTrustBundle",
        &[],
        false,
        &[],
    ),
    // what the approve, sign and attest verbs are granted on
    ("certificates.k8s.io", "signers", "Signer", &[], false, &[]),
    (
        "coordination.k8s.io",
        "leasecandidates",
        "LeaseCandidate",
        &[],
        true,
        &[],
    ),
    ("coordination.k8s.io", "leases", "Lease", &[], true, &[]),
    (
        "discovery.k8s.io",
        "endpointslices",
        "EndpointSlice",
        &[],
        true,
        &[],
    ),
    ("events.k8s.io", "events", "Event", &["ev"], true, &[]),
    (
        "flowcontrol.apiserver.k8s.io",
        "flowschemas",
        "FlowSchema",
        &[],
        false,
        &["status"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
        "PriorityLevelConfiguration",
        &[],
        false,
        &["status"],
    ),
    (
        "networking.k8s.io",
        "ingressclasses",
        "IngressClass",
        &[],
        false,
        &[],
    ),
    (
        "networking.k8s.io",
        "ingresses",
        "Ingress",
        &["ing"],
        true,
        &["status"],
    ),
    (
        "networking.k8s.io",
        "ipaddresses",
        "IPAddress",
        &["ip"],
        false,
        &[],
    ),
    (
        "networking.k8s.io",
        "networkpolicies",
        "NetworkPolicy",
        &["netpol"],
        true,
        &[],
    ),
    (
        "networking.k8s.io",
        "servicecidrs",
        "ServiceCIDR",
        &[],
        false,
        &["status"],
    ),
    (
        "node.k8s.io",
        "runtimeclasses",
        "RuntimeClass",
        &[],
        false,
        &[],
    ),
    (
        "policy",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        &["pdb"],
        true,
        &["status"],
    ),
    (
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        "ClusterRoleBinding",
        &[],
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "clusterroles",
        "ClusterRole",
        &[],
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "rolebindings",
        "RoleBinding",
        &[],
        true,
        &[],
    ),
    ("rbac.authorization.k8s.io", "roles", "Role", &[], true, &[]),
    (
        "resource.k8s.io",
        "deviceclasses",
        "DeviceClass",
        &[],
        false,
        &[],
    ),
    (
        "resource.k8s.io",
        "resourceclaims",
        "ResourceClaim",
        &[],
        true,
        &["status"],
    ),
    (
        "resource.k8s.io",
        "resourceclaimtemplates",
        "ResourceClaimTemplate",
        &[],
        true,
        &[],
    ),
    (
        "resource.k8s.io",
        "resourceslices",
        "ResourceSlice",
        &[],
        false,
        &[],
    ),
    (
        "scheduling.k8s.io",
        "priorityclasses",
        "PriorityClass",
        &["pc"],
        false,
        &[],
    ),
    ("storage.k8s.io", "csidrivers", "CSIDriver", &[], false, &[]),
    ("storage.k8s.io", "csinodes", "CSINode", &[], false, &[]),
    (
        "storage.k8s.io",
        "csistoragecapacities",
        "CSIStorageCapacity",
        &[],
        true,
        &[],
    ),
    (
        "storage.k8s.io",
        "storageclasses",
        "StorageClass",
        &["sc"],
        false,
        &[],
    ),
    (
        "storage.k8s.io",
        "volumeattachments",
        "VolumeAttachment",
        &[],
        false,
        &["status"],
    ),
    (
        "storage.k8s.io",
        "volumeattributesclasses",
        "VolumeAttributesClass",
        &["vac"],
        false,
        &[],
    ),
];

/// A resource the API serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    pub group: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    /// `*` admits any subresource.
    pub subresources: Vec<String>,
}

/// A resource argument resolved to what RBAC matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub group: String,
    /// The plural (`secrets`).
    pub resource: String,
    pub subresource: Option<String>,
    pub kind: String,
    pub namespaced: bool,
}

impl Resolved {
    /// `pods/exec`, the form RBAC rules list.
    pub fn rbac_resource(&self) -> String {
        match &self.subresource {
            Some(s) => format!("{}/{s}", self.resource),
            None => self.resource.clone(),
        }
    }
}

/// The resources of a cluster: the built-in ones and those the input's CRDs define.
#[derive(Debug, Clone)]
pub struct ApiResources {
    resources: Vec<ApiResource>,
}

fn texts(node: Option<&Node>) -> Vec<String> {
    node.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_text().map(str::to_ascii_lowercase))
        .collect()
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl ApiResources {
    /// The built-in resources of upstream Kubernetes.
    pub fn builtin() -> ApiResources {
        let resources = BUILTIN
            .iter()
            .map(
                |(group, plural, kind, short, namespaced, subs)| ApiResource {
                    group: group.to_string(),
                    plural: plural.to_string(),
                    singular: kind.to_ascii_lowercase(),
                    kind: kind.to_string(),
                    short_names: short.iter().map(|s| s.to_string()).collect(),
                    namespaced: *namespaced,
                    subresources: subs.iter().map(|s| s.to_string()).collect(),
                },
            )
            .collect();
        ApiResources { resources }
    }

    /// The built-in resources and those of the CustomResourceDefinitions in `index`.
    pub fn of(index: &Index) -> ApiResources {
        let mut all = ApiResources::builtin();
        for (_, crd) in index.of_kind("CustomResourceDefinition") {
            if crd.group() != "apiextensions.k8s.io" {
                continue;
            }
            let Some(spec) = crd.spec() else { continue };
            let text = |n: Option<&Node>| n.and_then(Node::as_text).unwrap_or("").to_string();
            let group = text(spec.get("group"));
            let names = spec.get("names");
            let plural = text(names.and_then(|n| n.get("plural"))).to_ascii_lowercase();
            let kind = text(names.and_then(|n| n.get("kind")));
            if group.is_empty() || plural.is_empty() || kind.is_empty() {
                continue;
            }
            let singular = match text(names.and_then(|n| n.get("singular"))) {
                s if s.is_empty() => kind.to_ascii_lowercase(),
                s => s.to_ascii_lowercase(),
            };
            // v1 declares subresources per version, v1beta1 once for all
            let mut subresources = Vec::new();
            let versions = spec.get("versions").map(Node::items).unwrap_or_default();
            let per_version = versions.iter().filter_map(|v| v.get("subresources"));
            for subs in per_version.chain(spec.get("subresources")) {
                for e in subs.entries() {
                    let key = e.key.to_string();
                    if !subresources.contains(&key) {
                        subresources.push(key);
                    }
                }
            }
            all.resources.push(ApiResource {
                group,
                plural,
                singular,
                kind,
                short_names: texts(names.and_then(|n| n.get("shortNames"))),
                namespaced: spec.get("scope").and_then(Node::as_text) != Some("Cluster"),
                subresources,
            });
        }
        all
    }

    pub fn resources(&self) -> &[ApiResource] {
        &self.resources
    }

    /// The resources named `name` (plural, singular, short name or kind), in `group`
    /// when given; plural matches first, then singular, short name and kind, each in
    /// the order of discovery.
    fn find(&self, name: &str, group: Option<&str>) -> Option<&ApiResource> {
        let in_group = |r: &&ApiResource| group.is_none_or(|g| r.group == g);
        let ways: [&dyn Fn(&ApiResource) -> bool; 4] = [
            &|r| r.plural == name,
            &|r| r.singular == name,
            &|r| r.short_names.iter().any(|s| s == name),
            &|r| r.kind.eq_ignore_ascii_case(name),
        ];
        ways.iter()
            .find_map(|way| self.resources.iter().filter(in_group).find(|r| way(r)))
    }

    /// Resolves a resource argument as kubectl does. An argument that names no
    /// resource is an error that says so, with the closest name when one is close.
    pub fn resolve(&self, arg: &str) -> Result<Resolved, String> {
        let lower = arg.to_ascii_lowercase();
        let (base, sub) = match lower.split_once('/') {
            Some((b, s)) => (b, Some(s)),
            None => (lower.as_str(), None),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*'))
        };
        if !valid(base) || sub.is_some_and(|s| !valid(s) || s.contains('.')) {
            return Err(format!("invalid resource `{arg}`"));
        }
        let subresource = sub.map(str::to_string);
        if base == "*" || base.starts_with("*.") {
            let group = base.strip_prefix("*.").unwrap_or("");
            return Ok(Resolved {
                group: group.to_string(),
                resource: "*".to_string(),
                subresource,
                kind: "*".to_string(),
                namespaced: true,
            });
        }
        let found = match base.split_once('.') {
            None => self.find(base, None),
            Some((name, group)) => self.find(name, Some(group)).or_else(|| {
                // `deployments.v1.apps`: a version before the group
                let (version, rest) = group.split_once('.')?;
                is_version(version)
                    .then(|| self.find(name, Some(rest)))
                    .flatten()
            }),
        };
        let Some(r) = found else {
            return Err(self.unknown(base));
        };
        if let Some(s) = &subresource
            && s != "*"
            && !r.subresources.iter().any(|x| x == "*" || x == s)
        {
            let mut msg = format!("{} has no subresource `{s}`", r.plural);
            if let Some(close) = closest(s, r.subresources.iter().map(String::as_str)) {
                msg.push_str(&format!("; did you mean `{}/{close}`?", r.plural));
            } else if !r.subresources.is_empty() {
                msg.push_str(&format!("; it has {}", r.subresources.join(", ")));
            }
            return Err(msg);
        }
        Ok(Resolved {
            group: r.group.clone(),
            resource: r.plural.clone(),
            subresource,
            kind: r.kind.clone(),
            namespaced: r.namespaced,
        })
    }

    fn unknown(&self, base: &str) -> String {
        let (name, group) = match base.split_once('.') {
            Some((n, g)) => (n, Some(g)),
            None => (base, None),
        };
        let mut msg = match group {
            Some(g) => format!("the API has no resource `{name}` in group `{g}`"),
            None => format!("the API has no resource `{name}`"),
        };
        let names = self.resources.iter().flat_map(|r| {
            [r.plural.as_str(), r.singular.as_str()]
                .into_iter()
                .chain(r.short_names.iter().map(String::as_str))
        });
        let suggestion = match group {
            None => closest(name, names).map(str::to_string),
            Some(g) => {
                let groups = self.resources.iter().map(|r| r.group.as_str());
                let with_name = |g: &str| {
                    self.resources
                        .iter()
                        .any(|r| r.group == g && r.plural == name)
                };
                match closest(name, names) {
                    Some(n) if self.find(n, Some(g)).is_some() => Some(format!("{n}.{g}")),
                    _ => closest(g, groups.filter(|x| with_name(x))).map(|x| format!("{name}.{x}")),
                }
                .or_else(|| {
                    self.find(name, None).map(|r| match r.group.as_str() {
                        "" => r.plural.clone(),
                        rg => format!("{}.{rg}", r.plural),
                    })
                })
            }
        };
        if let Some(s) = suggestion {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        msg
    }
}

fn is_version(s: &str) -> bool {
    s.strip_prefix('v')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

/// The closest candidate to `word`, when close enough to be a slip (for "did you mean"
/// suggestions).
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match word.chars().count() {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    candidates
        .filter(|c| !c.is_empty())
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len().abs_diff(word.len())))
        .map(|(_, c)| c)
}

/// Verbs RBAC grants on resources, as `kubectl auth can-i` knows them.
pub const RESOURCE_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "attest",
    "*",
];

/// Verbs of non-resource URLs: the lowercase HTTP methods.
pub const URL_VERBS: &[&str] = &[
    "get", "put", "post", "head", "options", "delete", "patch", "*",
];

/// Checks a verb: an unknown one is an error, with the closest known verb.
pub fn check_verb(verb: &str, url: bool) -> Result<(), String> {
    let known = if url { URL_VERBS } else { RESOURCE_VERBS };
    if known.contains(&verb) {
        return Ok(());
    }
    let what = if url {
        "a non-resource URL"
    } else {
        "a resource"
    };
    let mut msg = format!("`{verb}` is not a Kubernetes verb for {what}");
    if let Some(c) = closest(&verb.to_ascii_lowercase(), known.iter().copied()) {
        msg.push_str(&format!("; did you mean `{c}`?"));
    } else {
        msg.push_str(&format!(" (known: {})", known.join(", ")));
    }
    Err(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(arg: &str) -> Result<(String, String), String> {
        ApiResources::builtin()
            .resolve(arg)
            .map(|r| (r.group.clone(), r.rbac_resource()))
    }

    fn ok(group: &str, resource: &str) -> Result<(String, String), String> {
        Ok((group.to_string(), resource.to_string()))
    }

    #[test]
    fn kubectl_forms() {
        assert_eq!(r("secrets"), ok("", "secrets"));
        assert_eq!(r("secret"), ok("", "secrets"));
        assert_eq!(r("Secret"), ok("", "secrets"));
        assert_eq!(r("po"), ok("", "pods"));
        assert_eq!(r("pod/exec"), ok("", "pods/exec"));
        assert_eq!(r("deploy"), ok("apps", "deployments"));
        assert_eq!(r("deployments.apps/scale"), ok("apps", "deployments/scale"));
        assert_eq!(r("deployment.v1.apps"), ok("apps", "deployments"));
        assert_eq!(r("ev"), ok("", "events"));
        assert_eq!(r("events.events.k8s.io"), ok("events.k8s.io", "events"));
        assert_eq!(
            r("crd"),
            ok("apiextensions.k8s.io", "customresourcedefinitions")
        );
        assert_eq!(r("netpol"), ok("networking.k8s.io", "networkpolicies"));
        assert_eq!(r("nodes/metrics"), ok("", "nodes/metrics"));
        assert_eq!(r("*"), ok("", "*"));
    }

    #[test]
    fn unknown_names_are_errors_with_a_suggestion() {
        let e = r("secrte").unwrap_err();
        assert!(
            e.contains("no resource `secrte`") && e.contains("`secret`"),
            "{e}"
        );
        let e = r("deployments.app").unwrap_err();
        assert!(e.contains("`deployments.apps`"), "{e}");
        let e = r("pods/exex").unwrap_err();
        assert!(e.contains("`pods/exec`"), "{e}");
        assert!(r("deployments.batch").is_err());
        assert!(r("bad res").is_err());
    }

    #[test]
    fn verbs() {
        assert!(check_verb("deletecollection", false).is_ok());
        assert!(check_verb("post", true).is_ok());
        assert!(check_verb("post", false).is_err());
        let e = check_verb("gett", false).unwrap_err();
        assert!(e.contains("did you mean `get`"), "{e}");
    }
}
