use plimsoll_model::{Node, Object, Pointer};

use super::svc_util::is_ingress;
use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

declare_rule! {
    /// ## What it does
    /// Reports an Ingress without `spec.ingressClassName`. When it only has the
    /// deprecated `kubernetes.io/ingress.class` annotation, the finding says so; when
    /// it has both and they differ, the API server rejects the Ingress at creation.
    /// An Ingress with neither is fine when the input holds an IngressClass marked
    /// `ingressclass.kubernetes.io/is-default-class: "true"`: the admission controller
    /// then writes that class into the Ingress.
    ///
    /// ## Why it matters in production
    /// Without a class, which controller serves the Ingress depends on the cluster: with
    /// no default IngressClass, most controllers ignore it and the routes never go
    /// live; with several controllers, more than one may claim it and publish it on the
    /// wrong load balancer. The annotation is deprecated since Kubernetes 1.18 and newer
    /// controllers may read only the field.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    ///   annotations:
    ///     kubernetes.io/ingress.class: nginx
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web}
    /// spec:
    ///   ingressClassName: nginx
    /// ```
    ///
    /// ## Fix safety
    /// When only the annotation names the class, the fix moves it to the field: it
    /// removes the annotation and writes `spec.ingressClassName` with its value. It is
    /// unsafe: the field names an IngressClass object, so it keeps the Ingress with its
    /// controller only when an IngressClass of that name exists in the cluster (a
    /// controller may match the annotation by a name of its own). The other cases have
    /// no fix: which of two differing classes is meant, or which controller should
    /// serve an Ingress with none, is the author's choice.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#deprecated-annotation>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class>
    pub struct IngressClassMissing {
        code: "NET105",
        name: "ingress-class-missing",
        severity: Warning,
        default: true,
        fix: Unsafe,
        summary: "An Ingress has no spec.ingressClassName",
    }
}

impl Rule for IngressClassMissing {
    fn check(&self, cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if !is_ingress(obj) {
            return;
        }
        let field = obj
            .root
            .at(&["spec", "ingressClassName"])
            .and_then(Node::as_text);
        if field == Some("") {
            out.report(
                id,
                Pointer::root().keys(&["spec", "ingressClassName"]),
                "spec.ingressClassName is empty: the API server rejects the Ingress (a class \
                 name must be a DNS subdomain)",
            );
            return;
        }
        let annotation = obj.annotation(CLASS_ANNOTATION);
        let annotation_path = Pointer::root().keys(&["metadata", "annotations", CLASS_ANNOTATION]);
        match (field, annotation) {
            (Some(f), Some(a)) if f != a => {
                out.report(
                    id,
                    annotation_path,
                    format!(
                        "annotation `{CLASS_ANNOTATION}: {a}` differs from spec.ingressClassName \
                         `{f}`: the API server rejects the Ingress at creation"
                    ),
                );
            }
            (Some(_), _) => {}
            (None, Some(a)) => {
                let fix = Fix::new(
                    Applicability::Unsafe,
                    format!("move the class to spec.ingressClassName: {a}"),
                )
                .remove(&annotation_path)
                .add(
                    &Pointer::root().keys(&["spec", "ingressClassName"]),
                    serde_json::json!(a),
                );
                out.report(
                    id,
                    annotation_path,
                    format!(
                        "the class is set only by the deprecated annotation `{CLASS_ANNOTATION}: \
                         {a}`; set spec.ingressClassName: {a}"
                    ),
                )
                .fix(fix);
            }
            (None, None) => {
                let default_class = cx.index.of_kind("IngressClass").any(|(_, c)| {
                    c.group() == "networking.k8s.io"
                        && c.annotation(DEFAULT_CLASS_ANNOTATION) == Some("true")
                });
                if !default_class {
                    out.report(
                        id,
                        Pointer::root().keys(&["spec", "ingressClassName"]),
                        "the Ingress has no spec.ingressClassName and the input marks no \
                         IngressClass as default: which controller serves it depends on the \
                         cluster",
                    );
                }
            }
        }
    }
}
