use plimsoll_model::{Container, Node, Object, PodTemplate};

use crate::declare_rule;
use crate::rule::{Applicability, Context, Fix, Rule, Sink};

declare_rule! {
    /// ## What it does
    /// Reports a cluster-autoscaler Deployment (a container whose image or command is
    /// `cluster-autoscaler`) when nothing in its flags caps the cluster's size:
    /// `--max-nodes-total` is absent or `0` (which cluster-autoscaler reads as
    /// unlimited), `--cores-total` and `--memory-total` keep their built-in
    /// maxima, and some node group takes its maximum from outside the manifest:
    /// auto-discovery by cloud tags (`--node-group-auto-discovery=asg:tag=...`,
    /// `label:...`, `clusterapi:...`, or `mig:` without `max=`), or no `--nodes` and no
    /// auto-discovery at all (the groups come from the cloud provider's configuration).
    /// Node groups listed as `--nodes=<min>:<max>:<name>` carry their maximum, and
    /// a Deployment that lists only those is not reported.
    ///
    /// ## Why it matters in production
    /// Node-group bounds are per cloud provider: an auto-scaling group's `MaxSize`,
    /// a VMSS tag, a Cluster API annotation. They are set once, by someone else, often
    /// generously, and reviewed nowhere near the cluster's manifests. A runaway
    /// Deployment or a pod with mistyped requests then scales the cluster to those
    /// maxima. `--max-nodes-total` is the one cap that the cluster's own configuration
    /// holds, whatever the provider.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: cluster-autoscaler
    ///     image: registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.0
    ///     command:
    ///       - ./cluster-autoscaler
    ///       - --cloud-provider=aws
    ///       - --node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     command:
    ///       - ./cluster-autoscaler
    ///       - --cloud-provider=aws
    ///       - --node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled
    ///       - --max-nodes-total=100
    /// ```
    ///
    /// ## Fix safety
    /// The fix is display-only: it shows `--max-nodes-total=100` appended to the flags;
    /// the right ceiling is a decision.
    ///
    /// ## References
    /// - <https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/FAQ.md#what-are-the-parameters-to-ca>
    /// - <https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md#auto-discovery-setup>
    pub struct ClusterAutoscalerUnbounded {
        code: "SCL009",
        name: "cluster-autoscaler-unbounded",
        severity: Warning,
        default: true,
        fix: DisplayOnly,
        summary: "cluster-autoscaler runs with no cap on the cluster's size in its flags",
    }
}

fn is_cluster_autoscaler(c: &Container) -> bool {
    let image = c.image().unwrap_or("");
    let repo = image.split('@').next().unwrap_or("");
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    repo.rsplit('/').next() == Some("cluster-autoscaler")
        || c.get("command")
            .and_then(|cmd| cmd.items().first())
            .and_then(Node::as_text)
            .is_some_and(|t| t.rsplit('/').next() == Some("cluster-autoscaler"))
}

/// The flags of a container (command then args) as (name, value) pairs: `--a=b`,
/// `-a=b` and `--a b`.
fn flags(c: &Container) -> Vec<(String, String)> {
    let words: Vec<&str> = ["command", "args"]
        .iter()
        .flat_map(|k| c.get(k).map(Node::items).unwrap_or_default())
        .filter_map(Node::as_text)
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        i += 1;
        let Some(f) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')) else {
            continue;
        };
        match f.split_once('=') {
            Some((k, v)) => out.push((k.to_string(), v.to_string())),
            None => {
                let v = words.get(i).filter(|n| !n.starts_with('-'));
                if let Some(v) = v {
                    i += 1;
                    out.push((f.to_string(), v.to_string()));
                } else {
                    out.push((f.to_string(), String::new()));
                }
            }
        }
    }
    out
}

/// Why the node groups' maxima are not all in the flags, if they are not.
fn open_groups(flags: &[(String, String)]) -> Option<String> {
    let mut open = Vec::new();
    let mut groups = 0;
    for (k, v) in flags {
        match k.as_str() {
            "nodes" => {
                groups += 1;
                let max = v.split(':').nth(1).and_then(|m| m.parse::<u64>().ok());
                if max.is_none() {
                    open.push(format!("`--nodes={v}` has no maximum"));
                }
            }
            "node-group-auto-discovery" => {
                groups += 1;
                let (kind, rest) = v.split_once(':').unwrap_or((v.as_str(), ""));
                let has_max = rest.split(',').any(|kv| kv.starts_with("max="));
                if !(kind == "mig" && has_max) {
                    open.push(format!(
                        "`{kind}:` auto-discovery takes each group's maximum from the cloud provider"
                    ));
                }
            }
            _ => {}
        }
    }
    if groups == 0 {
        return Some(
            "no `--nodes` or `--node-group-auto-discovery`: the node groups and their maxima come from the cloud provider's configuration"
                .to_string(),
        );
    }
    open.dedup();
    (!open.is_empty()).then(|| open.join("; "))
}

/// Whether `--cores-total` or `--memory-total` (`<min>:<max>`) was set: a cap.
fn resource_cap(flags: &[(String, String)]) -> bool {
    flags.iter().any(|(k, v)| {
        matches!(k.as_str(), "cores-total" | "memory-total")
            && v.split(':').nth(1).is_some_and(|m| !m.is_empty())
    })
}

impl Rule for ClusterAutoscalerUnbounded {
    fn check(&self, _cx: &Context, id: usize, obj: &Object, out: &mut Sink) {
        if obj.kind != "Deployment" || !matches!(obj.group(), "apps" | "extensions") {
            return;
        }
        let Some(t) = PodTemplate::of(obj) else {
            return;
        };
        let Some(c) = t.app_containers().find(is_cluster_autoscaler) else {
            return;
        };
        let flags = flags(&c);
        let total = flags
            .iter()
            .rev()
            .find(|(k, _)| k == "max-nodes-total")
            .map(|(_, v)| v.trim().parse::<i64>().unwrap_or(0));
        if total.is_some_and(|n| n > 0) || resource_cap(&flags) {
            return;
        }
        let Some(why) = open_groups(&flags) else {
            return;
        };
        let field = if c.get("args").is_some() || c.get("command").is_none() {
            "args"
        } else {
            "command"
        };
        let path = c.field_pointer(&[field]);
        let fix = Fix::new(
            Applicability::DisplayOnly,
            "cap the cluster's size with --max-nodes-total (choose the value)",
        );
        let fix = if c.get(field).is_some() {
            fix.add(&path.key("-"), serde_json::json!("--max-nodes-total=100"))
        } else {
            fix.add(&path, serde_json::json!(["--max-nodes-total=100"]))
        };
        let total_text = match total {
            Some(_) => "`--max-nodes-total=0` (unlimited)",
            None => "no `--max-nodes-total`",
        };
        out.report_container(
            id,
            &c,
            path,
            format!(
                "cluster-autoscaler `{}` runs with {total_text} and {why}: nothing in its configuration caps the cluster's size",
                obj.name
            ),
        )
        .fix(fix);
    }
}
