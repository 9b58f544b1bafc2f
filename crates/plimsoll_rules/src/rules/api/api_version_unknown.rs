use plimsoll_model::{Object, Pointer};

use super::table::{APIS, GA, is_builtin_group};
use crate::declare_rule;
use crate::rule::{Context, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an object of a built-in kind (`Deployment`, `PodDisruptionBudget`,
    /// `Service`...) whose `apiVersion` names a built-in API group that has never served
    /// that kind (`apiVersion: v1` with `kind: Deployment`), or a stable version of the
    /// right group that does not exist (`apps/v2`). Custom resources are never reported:
    /// a kind in a group that is not Kubernetes' own (`serving.knative.dev/v1 Service`)
    /// is someone else's API. Alpha versions are API003's; a beta version that this
    /// release of plimsoll does not list is given the benefit of the doubt.
    ///
    /// ## Why it matters in production
    /// The API server rejects the object (`no matches for kind "Deployment" in version
    /// "v1"`), so the deploy fails; and until then, no other rule judges it, because the
    /// object is not the kind its author thinks it is: every other check is silently
    /// skipped. The usual cause is a copy-pasted header or a template that builds the
    /// apiVersion from a value.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api}
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix yet: the right version is usually the one in the message, but
    /// an object written for another group's schema may need more than its header
    /// changed.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/#api-groups>
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/>
    pub struct ApiVersionUnknown {
        code: "API004",
        name: "api-version-unknown",
        severity: Error,
        default: true,
        summary: "A built-in kind is written with an apiVersion that does not serve it",
    }
}

impl Rule for ApiVersionUnknown {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        let (group, version) = (obj.group(), obj.version());
        if !is_builtin_group(group) || version.contains("alpha") || obj.kind == "List" {
            return;
        }
        let kind = obj.kind.as_str();
        let stable: Vec<(&str, &str)> = GA
            .iter()
            .filter(|(_, _, kinds)| kinds.contains(&kind))
            .map(|&(g, v, _)| (g, v))
            .collect();
        if stable.is_empty() {
            return;
        }
        let known = stable.iter().copied().chain(
            APIS.iter()
                .filter(|a| a.kind == kind)
                .map(|a| (a.group, a.version)),
        );
        let mut group_known = false;
        for (g, v) in known {
            if g == group {
                if v == version {
                    return;
                }
                group_known = true;
            }
        }
        if group_known && (version.contains("beta") || !version.starts_with('v')) {
            return;
        }
        let served: Vec<String> = stable
            .iter()
            .map(|&(g, v)| {
                if g.is_empty() {
                    format!("`{v}`")
                } else {
                    format!("`{g}/{v}`")
                }
            })
            .collect();
        out.report(
            id,
            Pointer::root().key("apiVersion"),
            format!(
                "`{}` does not serve kind {kind}: the API server rejects the object (no matches \
                 for kind \"{kind}\" in version \"{}\") and no other rule judges it; {kind} is {}",
                obj.api_version,
                obj.api_version,
                served.join(" or ")
            ),
        );
    }
}
