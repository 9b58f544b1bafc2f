use plimsoll_model::Object;

use super::util::{Source, check_missing};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports pod templates (of every workload kind) that refer to a Secret the input
    /// does not hold in the workload's namespace: `env[].valueFrom.secretKeyRef` and
    /// `envFrom[].secretRef` of every container kind (init, sidecar, regular,
    /// ephemeral), `volumes[].secret.secretName`, projected volume sources and CSI
    /// `nodePublishSecretRef`. References with `optional: true` are never reported.
    /// `imagePullSecrets` are REF004's.
    ///
    /// A Secret counts as present when the input holds it or an object that makes the
    /// cluster create it: an ExternalSecret (`spec.target.name`, default its name), a
    /// ClusterExternalSecret, a SealedSecret (`spec.template.metadata.name`, default its
    /// name), a cert-manager Certificate (`spec.secretName`) or a Vault Secrets Operator
    /// secret (`spec.destination.name`). Service-account token Secrets are Secret
    /// objects of the input like any other.
    ///
    /// The namespace is judged only when the input holds at least one Secret (or one of
    /// the objects above) of that namespace; otherwise the workload is reported as not
    /// evaluated. Unlike the other REF rules, holding the whole namespace (its
    /// Namespace object, a directory, a root) does not make it judged: manifests
    /// routinely leave Secrets out on purpose. Secrets
    /// created by Helm hooks, operators or by hand beside managed ones cannot be known:
    /// mark such references `optional` or exempt the finding.
    ///
    /// ## Why it matters in production
    /// A container whose env needs a missing Secret stays in
    /// `CreateContainerConfigError`; a pod whose volume needs one stays in
    /// `ContainerCreating`. The rollout stalls, and a Secret renamed in one file only is
    /// a classic cause.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ExternalSecret
    /// metadata: {name: db, namespace: shop}
    /// spec:
    ///   target: {name: db-credentials}
    /// ---
    /// containers:
    ///   - name: api
    ///     env:
    ///       - name: DB_PASSWORD
    ///         valueFrom:
    ///           secretKeyRef: {name: db, key: password}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     env:
    ///       - name: DB_PASSWORD
    ///         valueFrom:
    ///           secretKeyRef: {name: db-credentials, key: password}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: which name is right is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/>
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/#restriction-secret-must-exist>
    pub struct SecretNotFound {
        code: "REF003",
        name: "secret-not-found",
        severity: Error,
        default: true,
        summary: "A pod template refers to a Secret that does not exist",
    }
}

impl Rule for SecretNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        check_missing(cx, id, obj, out, Source::Secret);
    }
}
