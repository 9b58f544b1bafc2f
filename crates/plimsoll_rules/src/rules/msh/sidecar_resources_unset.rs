use plimsoll_model::{Object, PodTemplate};

use super::util::istio_injected;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

/// The pod annotations that size Istio's sidecar.
pub const PROXY_RESOURCES: &[&str] = &[
    "sidecar.istio.io/proxyCPU",
    "sidecar.istio.io/proxyMemory",
    "sidecar.istio.io/proxyCPULimit",
    "sidecar.istio.io/proxyMemoryLimit",
];

declare_rule! {
    /// ## What it does
    /// Reports a workload whose pods Istio injects with a sidecar (its Namespace, in
    /// the input, is labelled `istio-injection=enabled` or carries `istio.io/rev`, and
    /// the pod template does not opt out with `sidecar.istio.io/inject: "false"`)
    /// when its pod template sets none of the sidecar resource annotations
    /// `sidecar.istio.io/proxyCPU`, `proxyMemory`, `proxyCPULimit` and
    /// `proxyMemoryLimit`. The sidecar then gets the mesh-wide defaults of the
    /// injector (`global.proxy.resources`: 100m CPU and 128Mi requested, 2 CPUs and
    /// 1Gi limit in Istio's default profile), whatever the workload's traffic.
    ///
    /// ## Why it matters in production
    /// Every request of the workload goes through its sidecar. A sidecar sized for an
    /// average service throttles a busy one (latency everywhere, with the application
    /// container idle), its memory counts against the pod's requests, quotas and
    /// LimitRanges, and mesh-wide defaults change when the mesh is upgraded. Sizing it
    /// per workload makes it part of the capacity plan.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}   # shop: istio-injection=enabled
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels: {app: api}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels: {app: api}
    ///       annotations:
    ///         sidecar.istio.io/proxyCPU: 100m
    ///         sidecar.istio.io/proxyMemory: 128Mi
    ///         sidecar.istio.io/proxyMemoryLimit: 256Mi
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds `proxyCPU: 100m`, `proxyMemory: 128Mi` and `proxyMemoryLimit:
    /// 1Gi`, the requests and memory limit of Istio's default profile. It is
    /// display-only: it writes down today's defaults, not what this workload's traffic
    /// needs.
    ///
    /// ## References
    /// - <https://istio.io/latest/docs/reference/config/annotations/>
    /// - <https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/>
    /// - <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    pub struct SidecarResourcesUnset {
        code: "MSH002",
        name: "sidecar-resources-unset",
        severity: Info,
        default: true,
        fix: DisplayOnly,
        summary: "An Istio-injected workload does not size its sidecar",
    }
}

impl Rule for SidecarResourcesUnset {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(ns) = obj.namespace.as_deref() else {
            return;
        };
        let Some((_, ns_obj)) = cx.index.namespace_object(ns) else {
            return;
        };
        if !istio_injected(ns_obj) {
            return;
        }
        let opt_out = t
            .labels()
            .any(|(k, v)| k == "sidecar.istio.io/inject" && v == "false")
            || t.annotation("sidecar.istio.io/inject") == Some("false");
        if opt_out || PROXY_RESOURCES.iter().any(|a| t.annotation(a).is_some()) {
            return;
        }
        let annotations = t.meta_pointer(&["annotations"]);
        let mut fix = Fix::new(
            Applicability::DisplayOnly,
            "size the sidecar (Istio's default profile: 100m CPU, 128Mi, 1Gi limit)",
        );
        for (k, v) in [
            ("sidecar.istio.io/proxyCPU", "100m"),
            ("sidecar.istio.io/proxyMemory", "128Mi"),
            ("sidecar.istio.io/proxyMemoryLimit", "1Gi"),
        ] {
            fix = fix.add(&annotations.key(k), serde_json::json!(v));
        }
        out.report(
            id,
            t.meta_pointer(&[]),
            format!(
                "{} `{}` gets an Istio sidecar (namespace `{ns}` is injected) but sets no \
                 sidecar.istio.io/proxyCPU or proxyMemory annotation: the mesh-wide defaults \
                 size its proxy",
                obj.kind, obj.name
            ),
        )
        .fix(fix);
    }
}
