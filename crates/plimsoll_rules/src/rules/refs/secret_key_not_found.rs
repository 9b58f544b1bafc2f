use plimsoll_model::Object;

use super::util::{Source, check_keys};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports keys a pod template reads from a Secret of the input that the Secret
    /// does not have (in `data` or `stringData`): `env[].valueFrom.secretKeyRef.key` of
    /// every container kind, and `items[].key` of `secret` volumes and projected volume
    /// sources. References with `optional: true` are never reported. Only Secret
    /// objects are judged: the keys of Secrets that controllers create (ExternalSecret,
    /// SealedSecret, Certificate, ...) and of service-account token Secrets (filled in
    /// by the token controller) are not known here.
    ///
    /// ## Why it matters in production
    /// The kubelet refuses to start a container whose env names a missing key
    /// (`CreateContainerConfigError: couldn't find key`), and refuses to mount a volume
    /// whose `items` name one; the pods never become ready.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Secret
    /// metadata: {name: db}
    /// stringData: {password: change-me}
    /// ---
    /// containers:
    ///   - name: api
    ///     env:
    ///       - name: DB_PASSWORD
    ///         valueFrom:
    ///           secretKeyRef: {name: db, key: db-password}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// containers:
    ///   - name: api
    ///     env:
    ///       - name: DB_PASSWORD
    ///         valueFrom:
    ///           secretKeyRef: {name: db, key: password}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the key or the Secret is wrong is not knowable.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/secret/>
    /// - <https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/>
    pub struct SecretKeyNotFound {
        code: "REF008",
        name: "secret-key-not-found",
        severity: Error,
        default: true,
        summary: "A pod template reads a key that its Secret does not have",
    }
}

impl Rule for SecretKeyNotFound {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        check_keys(cx, id, obj, out, Source::Secret);
    }
}
