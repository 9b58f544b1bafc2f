use plimsoll_model::{Object, Pointer};

use super::svc_util::{is_service, service_selector};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a Service whose `spec.selector` matches the pod template of no workload
    /// (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, Argo Rollout, ...) in its
    /// namespace. Services without a selector (Endpoints or EndpointSlices managed by
    /// hand) and `ExternalName` Services are not judged. Labels that controllers add to
    /// the pods they create (`pod-template-hash`, `statefulset.kubernetes.io/pod-name`,
    /// `apps.kubernetes.io/pod-index`, `batch.kubernetes.io/job-name`, ...) are not in
    /// any template, so selector entries on them are left out of the match. When the
    /// input holds no workload of the namespace, the rule reports the Service as not
    /// evaluated instead of guessing.
    ///
    /// ## Why it matters in production
    /// A Service that selects no pods has no endpoints: every connection to it is
    /// refused or times out, and Ingresses and routes in front of it answer 503. A
    /// typo in a label (`app: web` against `app: webapp`) is enough, and nothing in
    /// the cluster reports it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: webapp}   # the Deployment's pods are labelled app: web
    ///   ports: [{port: 80, targetPort: http}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{port: 80, targetPort: http}]
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the selector or the pod labels are wrong is the
    /// author's call.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors>
    /// - <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/>
    pub struct ServiceSelectsNothing {
        code: "NET101",
        name: "service-selects-nothing",
        severity: Error,
        default: true,
        summary: "A Service's selector matches no pod template in its namespace",
    }
}

impl Rule for ServiceSelectsNothing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_service(obj) {
            return;
        }
        let (Some(ns), Some(sel)) = (obj.namespace.as_deref(), service_selector(obj)) else {
            return;
        };
        if cx.index.workloads_in(ns).is_empty() {
            out.not_evaluated(
                id,
                format!(
                    "the input holds no workload of namespace `{ns}`, so what selector \
                     `{sel}` selects is unknown"
                ),
            );
            return;
        }
        if cx.services().of(id).is_none_or(|c| c.workloads.is_empty()) {
            out.report(
                id,
                Pointer::root().keys(&["spec", "selector"]),
                format!(
                    "selector `{sel}` matches no pod template in namespace `{ns}`: the \
                     Service has no endpoints"
                ),
            );
        }
    }
}
