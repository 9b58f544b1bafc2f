use plimsoll_model::{Object, PodTemplate};

use super::util::service_account;
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates that run as the namespace's `default` ServiceAccount:
    /// `serviceAccountName` (and the deprecated `serviceAccount`) absent, empty or
    /// `default`. It fires whether or not the token is mounted (SEC002 judges the
    /// token): cloud workload identity (GKE, EKS, AKS) and audit logs also key on the
    /// ServiceAccount.
    ///
    /// ## Why it matters in production
    /// Every pod of a namespace that does not name a ServiceAccount shares `default`.
    /// A permission or cloud role granted to `default` for one application silently
    /// reaches all the others, and audit logs cannot tell them apart. A dedicated
    /// ServiceAccount per application keeps permissions least-privilege and traceable.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: api
    ///       automountServiceAccountToken: false
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the new ServiceAccount must exist (pods are rejected
    /// otherwise) and carry whatever bindings and cloud-identity annotations the
    /// application needs.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/security/service-accounts/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/>
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/>
    pub struct DefaultServiceAccount {
        code: "SEC003",
        name: "default-service-account",
        severity: Warning,
        default: true,
        summary: "Pods run as the namespace's default ServiceAccount",
    }
}

impl Rule for DefaultServiceAccount {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let (sa, path, written) = service_account(&t);
        if sa != "default" {
            return;
        }
        let msg = if written {
            "pods run as the namespace's `default` ServiceAccount"
        } else {
            "no `serviceAccountName` is set, so pods run as the namespace's `default` ServiceAccount"
        };
        out.report(id, path, msg);
    }
}
