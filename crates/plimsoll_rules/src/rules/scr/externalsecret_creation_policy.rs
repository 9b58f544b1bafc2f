use plimsoll_model::{Node, Object, Pointer};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an External Secrets `ExternalSecret` (`external-secrets.io`) whose
    /// `spec.target.creationPolicy` is `Orphan` or `None`. `Owner` (the default)
    /// creates the Secret owned by the ExternalSecret; `Merge` writes into a Secret
    /// that something else creates; neither is reported. The `ClusterExternalSecret`
    /// template (`spec.externalSecretSpec`) is judged the same way.
    ///
    /// ## Why it matters in production
    /// `Orphan` creates the Secret without an owner reference. Deleting the
    /// ExternalSecret (retiring a service, moving it to another store) leaves the
    /// Secret behind with the last credential in it, unrotated and unowned: nothing
    /// in the cluster says where it came from, and it keeps working for whoever mounts
    /// it until the credential is revoked. `None` creates no Secret at all (the
    /// upstream API reserves it for a future injector): pods that expect the target
    /// Secret wait in `CreateContainerConfigError`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: external-secrets.io/v1
    /// kind: ExternalSecret
    /// metadata: {name: db}
    /// spec:
    ///   secretStoreRef: {name: vault, kind: ClusterSecretStore}
    ///   target:
    ///     name: db
    ///     creationPolicy: Orphan
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///   target:
    ///     name: db
    ///     creationPolicy: Owner
    /// ```
    ///
    /// ## Fix safety
    /// The fix is display-only: it shows `creationPolicy: Owner`. Switching an
    /// existing ExternalSecret to `Owner` makes the operator claim the Secret (and
    /// fail where another ExternalSecret already owns it); whether that is wanted is a
    /// decision.
    ///
    /// ## References
    /// - <https://external-secrets.io/latest/guides/ownership-deletion-policy/>
    /// - <https://github.com/external-secrets/external-secrets/blob/main/apis/externalsecrets/v1/externalsecret_types.go>
    pub struct ExternalsecretCreationPolicy {
        code: "SCR007",
        name: "externalsecret-creation-policy",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "An ExternalSecret orphans its Secret, or creates none",
    }
}

impl Rule for ExternalsecretCreationPolicy {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.group() != "external-secrets.io" {
            return;
        }
        let base: &[&str] = match obj.kind.as_str() {
            "ExternalSecret" => &["spec"],
            "ClusterExternalSecret" => &["spec", "externalSecretSpec"],
            _ => return,
        };
        let keys: Vec<&str> = base
            .iter()
            .copied()
            .chain(["target", "creationPolicy"])
            .collect();
        let Some(policy) = obj.root.at(&keys).and_then(Node::as_text) else {
            return;
        };
        let why = match policy {
            "Orphan" => {
                "the Secret it creates has no owner, so deleting the ExternalSecret leaves the credential behind, unrotated"
            }
            "None" => {
                "it creates no Secret at all, so whatever mounts the target Secret finds nothing"
            }
            _ => return,
        };
        let path = Pointer::root().keys(&keys);
        let fix = Fix::new(
            Applicability::DisplayOnly,
            "let the ExternalSecret own its Secret",
        )
        .replace(&path, serde_json::json!("Owner"));
        out.report(
            id,
            path,
            format!(
                "{} `{}` has `creationPolicy: {policy}`: {why}",
                obj.kind, obj.name
            ),
        )
        .fix(fix);
    }
}
