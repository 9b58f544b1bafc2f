//! A Kubernetes object as read from some source.

use std::sync::Arc;

use plimsoll_yaml::Node;

/// Where an object came from: a file (with its document), a live cluster or an
/// admission request. Rules never look at it; reports do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceRef {
    /// Index of the input file in the run (`None` for live objects).
    pub file: Option<usize>,
    /// 0-based document index in the file.
    pub doc: usize,
    /// For an item of a `kind: List`, its position in `items`.
    pub item: Option<usize>,
}

/// The identity of an object as a report names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// A Kubernetes object: its identity, its whole value (with spans) and its source.
#[derive(Debug, Clone)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// The namespace the object lives in: `metadata.namespace`, else the default
    /// namespace of the run for namespaced kinds, `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// Whether `metadata.namespace` was written in the object.
    pub namespace_explicit: bool,
    pub root: Arc<Node>,
    pub source: SourceRef,
}

impl Object {
    /// Builds an object from a document root. Returns `None` without apiVersion/kind.
    /// `cluster_scoped` decides the scope of kinds the model does not know.
    pub fn from_node(
        root: Node,
        source: SourceRef,
        default_namespace: &str,
        cluster_scoped: impl Fn(&str, &str) -> bool,
    ) -> Option<Object> {
        let api_version = root.get("apiVersion")?.as_text()?.to_string();
        let kind = root.get("kind")?.as_text()?.to_string();
        let meta = root.get("metadata");
        let name = meta
            .and_then(|m| m.get("name").and_then(Node::as_text))
            .or_else(|| meta.and_then(|m| m.get("generateName").and_then(Node::as_text)))
            .unwrap_or("")
            .to_string();
        let ns_written = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_text);
        let namespace = if cluster_scoped(&api_version, &kind) {
            None
        } else {
            Some(ns_written.unwrap_or(default_namespace).to_string())
        };
        Some(Object {
            api_version,
            kind,
            name,
            namespace,
            namespace_explicit: ns_written.is_some(),
            root: Arc::new(root),
            source,
        })
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    /// The API version without the group (`v1`).
    pub fn version(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((_, v)) => v,
            None => &self.api_version,
        }
    }

    pub fn metadata(&self) -> Option<&Node> {
        self.root.get("metadata")
    }

    pub fn spec(&self) -> Option<&Node> {
        self.root.get("spec")
    }

    /// `metadata.labels` as (key, value) pairs; values that are not strings are
    /// given as written.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        map_pairs(self.metadata().and_then(|m| m.get("labels")))
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.metadata()?.get("labels")?.get(key)?.as_text()
    }

    pub fn annotations(&self) -> impl Iterator<Item = (&str, &str)> {
        map_pairs(self.metadata().and_then(|m| m.get("annotations")))
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata()?.get("annotations")?.get(key)?.as_text()
    }

    pub fn to_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// `Kind ns/name` or `Kind name`, as messages name objects.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// `metadata.uid`, which the API server assigns (absent in hand-written files).
    pub fn uid(&self) -> Option<&str> {
        self.metadata()?
            .get("uid")?
            .as_text()
            .filter(|u| !u.is_empty())
    }

    /// True if an owner reference marks another object as this one's controller.
    pub fn has_controller(&self) -> bool {
        self.controller_ref().is_some()
    }

    /// The owner reference with `controller: true`, when there is one.
    pub fn controller_ref(&self) -> Option<&Node> {
        self.metadata()?
            .get("ownerReferences")?
            .items()
            .iter()
            .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
    }
}

/// String pairs of a mapping node.
pub fn map_pairs(node: Option<&Node>) -> impl Iterator<Item = (&str, &str)> {
    node.into_iter()
        .flat_map(|n| n.entries().iter())
        .map(|e| (e.key.as_str(), e.value.as_text().unwrap_or("")))
}

/// Kinds the API server serves cluster-scoped. Unknown kinds (CRDs) are taken as
/// namespaced unless a CustomResourceDefinition in the input says otherwise.
pub fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match kind {
        "Namespace" | "Node" | "PersistentVolume" | "ComponentStatus" => group.is_empty(),
        "ClusterRole" | "ClusterRoleBinding" => group == "rbac.authorization.k8s.io",
        "StorageClass" | "CSIDriver" | "CSINode" | "VolumeAttachment" | "VolumeAttributesClass" => {
            group == "storage.k8s.io"
        }
        "CustomResourceDefinition" => group == "apiextensions.k8s.io",
        "PriorityClass" => group == "scheduling.k8s.io",
        "IngressClass" | "IPAddress" | "ServiceCIDR" => group == "networking.k8s.io",
        "ValidatingWebhookConfiguration"
        | "MutatingWebhookConfiguration"
        | "ValidatingAdmissionPolicy"
        | "ValidatingAdmissionPolicyBinding"
        | "MutatingAdmissionPolicy"
        | "MutatingAdmissionPolicyBinding" => group == "admissionregistration.k8s.io",
        "APIService" => group == "apiregistration.k8s.io",
        "RuntimeClass" => group == "node.k8s.io",
        "PodSecurityPolicy" => group == "policy" || group == "extensions",
        "CertificateSigningRequest" | "ClusterTrustBundle" => group == "certificates.k8s.io",
        "FlowSchema" | "PriorityLevelConfiguration" => group == "flowcontrol.apiserver.k8s.io",
        "DeviceClass" | "ResourceSlice" | "DeviceTaintRule" => group == "resource.k8s.io",
        "StorageVersionMigration" => group == "storagemigration.k8s.io",
        "TokenReview" | "SelfSubjectReview" => group == "authentication.k8s.io",
        "SubjectAccessReview" | "SelfSubjectAccessReview" | "SelfSubjectRulesReview" => {
            group == "authorization.k8s.io"
        }
        "GatewayClass" => group == "gateway.networking.k8s.io",
        "ClusterIssuer" => group == "cert-manager.io",
        "ClusterPolicy" | "ClusterCleanupPolicy" => group == "kyverno.io",
        "ClusterImagePolicy" => group == "policy.sigstore.dev",
        "ClusterSecretStore" | "ClusterExternalSecret" => group == "external-secrets.io",
        "ClusterPolicyReport" => group == "wgpolicyk8s.io",
        "NodePool" | "NodeClaim" => group == "karpenter.sh",
        "EC2NodeClass" => group == "karpenter.k8s.aws",
        _ => false,
    }
}

/// Groups the Kubernetes API server serves itself (not CRDs or aggregated APIs that
/// happen to live under `k8s.io`, such as Gateway API or volume snapshots).
pub fn is_builtin_group(group: &str) -> bool {
    matches!(
        group,
        "" | "apps"
            | "batch"
            | "extensions"
            | "policy"
            | "autoscaling"
            | "admission.k8s.io"
            | "admissionregistration.k8s.io"
            | "apiextensions.k8s.io"
            | "apiregistration.k8s.io"
            | "apidiscovery.k8s.io"
            | "apiserverinternal.k8s.io"
            | "auditregistration.k8s.io"
            | "authentication.k8s.io"
            | "authorization.k8s.io"
            | "certificates.k8s.io"
            | "coordination.k8s.io"
            | "discovery.k8s.io"
            | "events.k8s.io"
            | "flowcontrol.apiserver.k8s.io"
            | "imagepolicy.k8s.io"
            | "internal.apiserver.k8s.io"
            | "lifecycle.k8s.io"
            | "networking.k8s.io"
            | "node.k8s.io"
            | "rbac.authorization.k8s.io"
            | "resource.k8s.io"
            | "scheduling.k8s.io"
            | "settings.k8s.io"
            | "storage.k8s.io"
            | "storagemigration.k8s.io"
    )
}
