use plimsoll_model::{Node, Object, Pointer};

use super::util::{is_rollout, runs_analysis};
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports an Argo `Rollout` with the blue-green strategy that promotes on its own
    /// without checking the new version first: `autoPromotionEnabled` is `true` or
    /// absent (its default is `true`) and `prePromotionAnalysis` names no template.
    /// A `postPromotionAnalysis` alone does not count: it runs after live traffic has
    /// already switched.
    ///
    /// ## Why it matters in production
    /// Blue-green's promise is that the new version is verified on the preview service
    /// before it takes traffic. With automatic promotion and nothing to verify, the
    /// switch happens as soon as the new pods are ready (or after
    /// `autoPromotionSeconds`): a version that starts but misbehaves takes all the
    /// traffic at once.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Rollout
    /// metadata: {name: web}
    /// spec:
    ///   strategy:
    ///     blueGreen:
    ///       activeService: web
    ///       previewService: web-preview
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   strategy:
    ///     blueGreen:
    ///       activeService: web
    ///       previewService: web-preview
    ///       prePromotionAnalysis:
    ///         templates: [{templateName: smoke-tests}]
    ///         args: [{name: service-name, value: web-preview}]
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `autoPromotionEnabled: false`. It is unsafe: every release then
    /// waits for a manual `kubectl argo rollouts promote`; a `prePromotionAnalysis` is
    /// the automatic alternative.
    ///
    /// ## References
    /// - <https://argoproj.github.io/argo-rollouts/features/bluegreen/>
    /// - <https://argoproj.github.io/argo-rollouts/features/analysis/#bluegreen-pre-promotion-analysis>
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/>
    pub struct BluegreenAutoPromotionUnchecked {
        code: "DLV002",
        name: "bluegreen-auto-promotion-unchecked",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "An Argo Rollout blue-green promotes automatically without pre-promotion analysis",
    }
}

impl Rule for BluegreenAutoPromotionUnchecked {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_rollout(obj) {
            return;
        }
        let Some(bg) = obj
            .root
            .at(&["spec", "strategy", "blueGreen"])
            .filter(|c| c.is_map())
        else {
            return;
        };
        let auto = bg.get("autoPromotionEnabled");
        if auto.and_then(Node::as_bool) == Some(false)
            || runs_analysis(bg.get("prePromotionAnalysis"))
        {
            return;
        }
        let base = Pointer::root().keys(&["spec", "strategy", "blueGreen"]);
        let flag = base.key("autoPromotionEnabled");
        let how = if auto.is_some() {
            "autoPromotionEnabled: true"
        } else {
            "autoPromotionEnabled absent (default true)"
        };
        out.report(
            id,
            if auto.is_some() { flag.clone() } else { base },
            format!(
                "Rollout `{}` promotes its blue-green preview automatically ({how}) with no \
                 prePromotionAnalysis: the new version takes all traffic unchecked",
                obj.name
            ),
        )
        .fix(
            Fix::new(
                Applicability::Unsafe,
                "set autoPromotionEnabled: false (promote by hand, or add prePromotionAnalysis)",
            )
            .set(&obj.root, &flag, serde_json::json!(false)),
        );
    }
}
