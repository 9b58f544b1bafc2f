use plimsoll_model::{KubeVersion, Object, PodTemplate, Pointer};

use super::util::upgrade_from;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};
use crate::rules::pss::eval::{self, Level};
use crate::rules::pss::util::{ENFORCE, ENFORCE_VERSION, namespace_policy, parse_version};

declare_rule! {
    /// ## What it does
    /// For an upgrade from the version in the setting `upgrade-from` (`plimsoll
    /// upgrade` sets it: `--from`, or the live cluster's version) to the judged version,
    /// evaluates each workload's pod template (and each Pod) against its namespace's
    /// enforced Pod Security level at the policy version in force before and after,
    /// and reports those admitted before and rejected after. The policy version in
    /// force is the API server's own for `enforce-version: latest`, an absent label
    /// (the admission configuration's default, `latest` unless configured otherwise) or
    /// an invalid one; a pinned `v1.N` is clamped to the server's version, so a pin
    /// ahead of the cluster also takes effect with the upgrade. Namespaces without an
    /// `enforce` label (the default level, `privileged` unless configured) are not
    /// judged, nor objects whose Namespace is not in the input. Pods the policy
    /// rejects already are PSS205's.
    ///
    /// ## Why it matters in production
    /// Running pods are never evicted by Pod Security, so nothing shows on upgrade day.
    /// The next pod creation does: the drain of the node upgrade itself, a rollout, a
    /// node replacement. The ReplicaSet's creations are refused (`violates PodSecurity
    /// "baseline:latest": host probes or lifecycle hooks`, 1.34's new check), and the
    /// workload loses replicas while the nodes roll.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    ///           livenessProbe:
    ///             httpGet: {host: 10.0.0.7, path: /healthz, port: 8080}
    /// ```
    ///
    /// ## Use instead
    /// Fix the pods before the upgrade (here, drop `host` from the probe), or pin
    /// `pod-security.kubernetes.io/enforce-version` to the current version on the
    /// namespace until they are fixed.
    ///
    /// ## Fix safety
    /// No automatic fix: the workload must be changed and tested, or the namespace's
    /// policy version pinned deliberately.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces>
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    pub struct PssRejectsAfterUpgrade {
        code: "UPG005",
        name: "pss-rejects-after-upgrade",
        severity: Error,
        default: false,
        summary: "A workload's pods pass its namespace's Pod Security level today and are rejected after the upgrade",
    }
}

/// The policy version a namespace's enforce mode is evaluated at on a server of
/// version `server`.
fn in_force(ns: &Object, server: KubeVersion) -> KubeVersion {
    match ns.label(ENFORCE_VERSION).map(parse_version) {
        Some(Ok(Some(pinned))) => pinned.min(server),
        _ => server,
    }
}

impl Rule for PssRejectsAfterUpgrade {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(from) = upgrade_from(cx) else {
            return;
        };
        let to = cx.kube_version;
        if from >= to {
            return;
        }
        if obj.kind == "PodTemplate" && obj.group() == "" {
            return; // creates no pods
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let Some((ns_id, ns_obj)) = cx.index.namespace_object(ns) else {
            return;
        };
        if ns_obj.label(ENFORCE).is_none() {
            return;
        }
        let level = namespace_policy(ns_obj, None).enforce.level;
        if level == Level::Privileged {
            return;
        }
        let (before_v, after_v) = (in_force(ns_obj, from), in_force(ns_obj, to));
        if before_v == after_v {
            return;
        }
        if !eval::evaluate(&t, level, Some(before_v)).is_empty() {
            return; // rejected already: PSS205
        }
        let after = eval::evaluate(&t, level, Some(after_v));
        if after.is_empty() {
            return;
        }
        let checks = eval::failing_checks(&after).join(", ");
        let label = ns_obj.label(ENFORCE_VERSION).unwrap_or("latest");
        let (what, are) = if t.is_pod() {
            ("this pod passes".to_string(), "is")
        } else {
            (format!("the pods of this {} pass", obj.kind), "are")
        };
        let path = after[0].path.clone();
        out.report(
            id,
            path,
            format!(
                "{what} namespace `{ns}`'s Pod Security \"{}:{label}\" at Kubernetes {from} and {are} rejected at {to} ({checks}): pods created after the upgrade (by its drain, a rollout, a node replacement) are refused; fix them first, or pin `{ENFORCE_VERSION}: v{before_v}` on the namespace",
                level.as_str()
            ),
        )
        .related(
            ns_id,
            Pointer::root().keys(&["metadata", "labels", ENFORCE]),
        );
    }
}
