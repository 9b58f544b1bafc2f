use std::collections::BTreeMap;

use plimsoll_model::{Node, Object, PodTemplate, Pointer};

use crate::declare_rule;
use crate::rule::{Context, Rule, Sink, list_capped};

const TRIVY: &str = "aquasecurity.github.io";

/// How many vulnerability IDs a message names.
const NAMED: usize = 3;

declare_rule! {
    /// ## What it does
    /// Reads the `VulnerabilityReport`s that trivy-operator (`aquasecurity.github.io`)
    /// keeps for the images running in the cluster, and reports the workload behind
    /// each report whose image has `CRITICAL` or `HIGH` vulnerabilities with a
    /// `fixedVersion`: a version of the package that fixes them exists. A report
    /// names what it scanned in its labels (`trivy-operator.resource.kind`,
    /// `.name`, `.namespace` and `trivy-operator.container.name`); the finding goes to
    /// the object a user edits: the Deployment of a ReplicaSet, the CronJob of a Job,
    /// the controller of a Pod, else the scanned object itself, else the report.
    /// Reports of ReplicaSets scaled to zero (old revisions) are skipped: their images
    /// no longer run.
    ///
    /// The rule runs only where trivy-operator's reports, or its
    /// CustomResourceDefinition, are in the input: a live audit of a cluster that runs
    /// trivy-operator, or a dump of its reports beside the workloads. Vulnerabilities
    /// without a fixed version are left to the scanner's own reporting: nothing in
    /// the manifest can fix them yet.
    ///
    /// ## Why it matters in production
    /// A known, fixed, critical vulnerability in a running image is the cheapest
    /// attack there is: the exploit is public, and the fix is a rebuild away. The
    /// scanner already found it; what is usually missing is that the finding reaches
    /// the team that owns the workload, in the report they already read.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// metadata:
    ///   name: replicaset-api-6d4cf56db6-api
    ///   namespace: shop
    ///   labels:
    ///     trivy-operator.resource.kind: ReplicaSet
    ///     trivy-operator.resource.name: api-6d4cf56db6
    ///     trivy-operator.resource.namespace: shop
    ///     trivy-operator.container.name: api
    /// report:
    ///   artifact: {repository: library/nginx, tag: "1.16"}
    ///   vulnerabilities:
    ///     - {vulnerabilityID: CVE-2023-44487, severity: HIGH, resource: nghttp2,
    ///        installedVersion: 1.36.0-2, fixedVersion: 1.36.0-2+deb10u2}
    /// ```
    ///
    /// ## Use instead
    /// Rebuild the image on a patched base (or bump the package), roll it out, and
    /// let trivy-operator scan it again.
    ///
    /// ## Fix safety
    /// No automatic fix: the fix is a new image.
    ///
    /// ## References
    /// - <https://aquasecurity.github.io/trivy-operator/latest/docs/crds/vulnerability-report/>
    /// - <https://kubernetes.io/docs/concepts/security/security-checklist/#images>
    pub struct VulnerabilitiesFixable {
        code: "IMG006",
        name: "image-vulnerabilities-fixable",
        severity: Warning,
        default: true,
        summary: "A running image has critical or high vulnerabilities that a newer package fixes",
    }
}

/// The object a user edits for the scanned object `id`: up the controlling owners
/// (ReplicaSet to Deployment, Job to CronJob, Pod to its controller).
fn editable(cx: &Context, mut id: usize) -> usize {
    for _ in 0..3 {
        match cx.index.owner_of(id) {
            Some((o, _)) => id = o,
            None => break,
        }
    }
    id
}

/// (CRITICAL count, HIGH count, IDs) of the fixable vulnerabilities of a report.
fn fixable(report: &Object) -> (usize, usize, Vec<&str>) {
    let (mut critical, mut high, mut ids) = (0, 0, Vec::new());
    for v in report
        .root
        .at(&["report", "vulnerabilities"])
        .map(Node::items)
        .unwrap_or_default()
    {
        let fixed = v
            .get("fixedVersion")
            .and_then(Node::as_text)
            .is_some_and(|f| !f.trim().is_empty());
        let severity = v.get("severity").and_then(Node::as_text).unwrap_or("");
        if !fixed {
            continue;
        }
        match severity {
            "CRITICAL" => critical += 1,
            "HIGH" => high += 1,
            _ => continue,
        }
        if let Some(id) = v.get("vulnerabilityID").and_then(Node::as_text)
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    (critical, high, ids)
}

/// A report with fixable vulnerabilities: (report, CRITICAL count, HIGH count, IDs).
type Scanned<'a> = (usize, usize, usize, Vec<&'a str>);

/// The image a report scanned, as `registry/repository:tag`.
fn image(report: &Object) -> Option<String> {
    let a = report.root.at(&["report", "artifact"])?;
    let repo = a.get("repository").and_then(Node::as_text)?;
    let registry = report
        .root
        .at(&["report", "registry", "server"])
        .and_then(Node::as_text);
    let mut s = match registry {
        Some(r) if !r.is_empty() => format!("{r}/{repo}"),
        _ => repo.to_string(),
    };
    if let Some(t) = a.get("tag").and_then(Node::as_text) {
        s.push(':');
        s.push_str(t);
    } else if let Some(d) = a.get("digest").and_then(Node::as_text) {
        s.push('@');
        s.push_str(d);
    }
    Some(s)
}

impl Rule for VulnerabilitiesFixable {
    fn check_all(&self, cx: &Context, out: &mut Sink) {
        if !cx.index.kind_known(TRIVY, "VulnerabilityReport") {
            return;
        }
        // (object reported on, container) -> reports with fixable vulnerabilities
        let mut found: BTreeMap<(usize, String), Vec<Scanned>> = BTreeMap::new();
        for (rid, r) in cx.index.of_kind("VulnerabilityReport") {
            if r.group() != TRIVY {
                continue;
            }
            let (critical, high, ids) = fixable(r);
            if critical + high == 0 {
                continue;
            }
            let ns = r
                .label("trivy-operator.resource.namespace")
                .or(r.namespace.as_deref());
            let target = match (
                r.label("trivy-operator.resource.kind"),
                r.label("trivy-operator.resource.name"),
            ) {
                (Some(kind), Some(name)) => cx
                    .index
                    .get(kind, ns, name)
                    .or_else(|| cx.index.get(kind, None, name)),
                _ => None,
            };
            if let Some((_, t)) = target
                && t.kind == "ReplicaSet"
                && t.root.at(&["spec", "replicas"]).and_then(Node::as_i64) == Some(0)
            {
                continue;
            }
            let on = target.map_or(rid, |(t, _)| editable(cx, t));
            let container = r
                .label("trivy-operator.container.name")
                .unwrap_or("")
                .to_string();
            found
                .entry((on, container))
                .or_default()
                .push((rid, critical, high, ids));
        }
        for ((on, container), reports) in found {
            let obj = cx.index.object(on);
            let critical: usize = reports.iter().map(|r| r.1).sum();
            let high: usize = reports.iter().map(|r| r.2).sum();
            let mut ids: Vec<&str> = reports.iter().flat_map(|r| r.3.iter().copied()).collect();
            ids.sort_unstable();
            ids.dedup();
            let total = ids.len();
            let first = cx.index.object(reports[0].0);
            let (path, what) = if on == reports[0].0 {
                (
                    Pointer::root().keys(&["report", "vulnerabilities"]),
                    format!(
                        "VulnerabilityReport `{}` (of an object not in the input)",
                        first.name
                    ),
                )
            } else {
                let t = PodTemplate::of(obj);
                let c = t
                    .as_ref()
                    .and_then(|t| t.containers().find(|c| c.name == container));
                (
                    c.map_or_else(
                        || Pointer::root().keys(&["metadata", "name"]),
                        |c| c.field_pointer(&["image"]),
                    ),
                    format!("{} `{}`", obj.kind, obj.name),
                )
            };
            let counts = match (critical, high) {
                (0, h) => format!("{h} HIGH"),
                (c, 0) => format!("{c} CRITICAL"),
                (c, h) => format!("{c} CRITICAL and {h} HIGH"),
            };
            let img = image(first).map_or_else(String::new, |i| format!(" (`{i}`)"));
            let cont = if container.is_empty() {
                String::new()
            } else {
                format!(" container `{container}`")
            };
            let f = out.report(
                on,
                path,
                format!(
                    "{what}:{cont} runs an image{img} with {counts} vulnerabilities that have a fixed version ({}): rebuild it on patched packages",
                    list_capped(ids.iter().map(|i| i.to_string()), total, NAMED)
                ),
            );
            if !container.is_empty() && on != reports[0].0 {
                f.container = Some(container.clone());
            }
            if on != reports[0].0 {
                let rids: Vec<usize> = reports.iter().map(|r| r.0).collect();
                f.related_all(&rids, |_| {
                    Pointer::root().keys(&["report", "vulnerabilities"])
                });
            }
        }
    }
}
