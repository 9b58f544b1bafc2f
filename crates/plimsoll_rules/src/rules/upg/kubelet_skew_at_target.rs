use plimsoll_model::{KubeVersion, Object, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reads each Node's `status.nodeInfo.kubeletVersion` and reports the kubelets
    /// outside the version skew the judged Kubernetes version supports for its API
    /// server: a kubelet may be up to three minor versions older (two for kubelets
    /// older than 1.25), never newer.
    ///
    /// ## Why it matters in production
    /// Control planes are upgraded one minor version at a time, before the nodes; a
    /// node pool left two or three releases behind (a forgotten pool, a pinned AMI)
    /// falls outside the supported skew when the control plane moves again. Managed
    /// services refuse the control-plane upgrade, or perform it and leave kubelets
    /// talking to an API server that no longer serves what they use: nodes go
    /// NotReady, pods stop being started. Upgrade those nodes first.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: pool-a-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.30.4}
    /// ```
    /// judged at Kubernetes 1.34.
    ///
    /// ## Use instead
    /// Upgrade (or replace) the node to a kubelet within the skew of the target version
    /// before upgrading the control plane.
    ///
    /// ## Fix safety
    /// No automatic fix: nodes are upgraded by their pool, not by a manifest.
    ///
    /// ## References
    /// - <https://kubernetes.io/releases/version-skew-policy/#kubelet>
    pub struct KubeletSkewAtTarget {
        code: "UPG006",
        name: "kubelet-skew-at-target",
        severity: Error,
        default: false,
        summary: "A node's kubelet is outside the version skew the target Kubernetes version supports",
    }
}

/// How many minor versions older than the API server a kubelet of `kubelet` may be.
pub fn allowed_skew(kubelet: KubeVersion) -> u32 {
    if kubelet < KubeVersion::new(1, 25) {
        2
    } else {
        3
    }
}

impl Rule for KubeletSkewAtTarget {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Node" || obj.group() != "" {
            return;
        }
        let Some(text) = obj
            .root
            .at(&["status", "nodeInfo", "kubeletVersion"])
            .and_then(|v| v.as_text())
        else {
            return;
        };
        let Ok(kubelet) = KubeVersion::parse(text) else {
            return;
        };
        let target = cx.kube_version;
        let path = Pointer::root().keys(&["status", "nodeInfo", "kubeletVersion"]);
        if kubelet > target {
            out.report(
                id,
                path,
                format!(
                    "kubelet {text} is newer than Kubernetes {target}: a kubelet must not be newer than its API server"
                ),
            );
            return;
        }
        let behind = target.minor - kubelet.minor;
        let allowed = allowed_skew(kubelet);
        // the oldest kubelet the target supports
        let needed = if target.minor >= 28 {
            target.minor - 3
        } else {
            target.minor.saturating_sub(2)
        };
        if behind > allowed {
            out.report(
                id,
                path,
                format!(
                    "kubelet {text} is {behind} minor versions older than Kubernetes {target}, which supports {allowed} for it: upgrade this node to 1.{needed} or newer before the control plane goes past 1.{}",
                    kubelet.minor + allowed
                ),
            );
        }
    }
}
