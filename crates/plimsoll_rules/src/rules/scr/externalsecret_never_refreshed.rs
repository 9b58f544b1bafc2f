use plimsoll_model::{Node, Object, Pointer};

use super::util::go_duration_secs;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an External Secrets `ExternalSecret` (`external-secrets.io`) that never
    /// reads its provider again after the first sync: `refreshInterval` zero (`0`,
    /// `0s`, `0m0s`) under the default `refreshPolicy: Periodic`, or
    /// `refreshPolicy: CreatedOnce` or `OnChange` (these sync only at creation, or
    /// when the ExternalSecret itself changes). An absent `refreshInterval` is not
    /// reported: the CRD defaults it to `1h`.
    ///
    /// ## Why it matters in production
    /// The point of keeping a secret in a vault is that it can be rotated there. An
    /// ExternalSecret that fetched once keeps the old value in the cluster: after a
    /// rotation (or a revocation after a leak) the pods still hold the credential the
    /// provider no longer accepts, and the outage starts at the provider's expiry,
    /// far from any change to the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: external-secrets.io/v1
    /// kind: ExternalSecret
    /// metadata: {name: db}
    /// spec:
    ///   refreshInterval: "0"
    ///   secretStoreRef: {name: vault, kind: ClusterSecretStore}
    ///   data:
    ///     - secretKey: password
    ///       remoteRef: {key: prod/db, property: password}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   refreshInterval: 1h
    /// ```
    ///
    /// ## Fix safety
    /// For a zero `refreshInterval` the fix sets it to `1h` (the CRD's default). It is
    /// unsafe: the operator then reads the provider every hour, which costs API calls
    /// and changes the Secret when the provider's value changes. A `refreshPolicy`
    /// is not changed automatically.
    ///
    /// ## References
    /// - <https://external-secrets.io/latest/api/externalsecret/>
    /// - <https://external-secrets.io/latest/guides/lifecycle/>
    /// - <https://github.com/external-secrets/external-secrets/blob/main/apis/externalsecrets/v1/externalsecret_types.go>
    pub struct ExternalsecretNeverRefreshed {
        code: "SCR006",
        name: "externalsecret-never-refreshed",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "An ExternalSecret never reads its provider again, so rotations never arrive",
    }
}

impl Rule for ExternalsecretNeverRefreshed {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "ExternalSecret" || obj.group() != "external-secrets.io" {
            return;
        }
        let spec = Pointer::root().key("spec");
        let policy = obj
            .root
            .at(&["spec", "refreshPolicy"])
            .and_then(Node::as_text);
        match policy {
            Some(p @ ("CreatedOnce" | "OnChange")) => {
                let when = if p == "CreatedOnce" {
                    "creates the Secret once and never updates it"
                } else {
                    "updates the Secret only when the ExternalSecret itself changes"
                };
                out.report(
                    id,
                    spec.key("refreshPolicy"),
                    format!(
                        "ExternalSecret `{}` has `refreshPolicy: {p}`: it {when}, so a value rotated in the provider never reaches the cluster",
                        obj.name
                    ),
                );
            }
            _ => {
                let Some(text) = obj
                    .root
                    .at(&["spec", "refreshInterval"])
                    .and_then(Node::as_text)
                else {
                    return;
                };
                if go_duration_secs(text) != Some(0.0) {
                    return;
                }
                let path = spec.key("refreshInterval");
                let fix = Fix::new(Applicability::Unsafe, "refresh every hour (the default)")
                    .replace(&path, serde_json::json!("1h"));
                out.report(
                    id,
                    path,
                    format!(
                        "ExternalSecret `{}` has `refreshInterval: {text}`: it fetches once and never again, so a value rotated in the provider never reaches the cluster",
                        obj.name
                    ),
                )
                .fix(fix);
            }
        }
    }
}
