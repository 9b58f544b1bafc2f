//! Rule settings (`settings:` in `.plimsoll.yaml`). Every field has a default that a
//! platform team would choose; each is documented where the rule that reads it is.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Settings {
    /// RES: the largest allowed cpu limit / cpu request.
    pub max_cpu_limit_ratio: f64,
    /// RES: the largest allowed memory limit / memory request.
    pub max_memory_limit_ratio: f64,
    /// META: labels every workload (and its pod template) should carry.
    pub required_labels: Vec<String>,
    /// META: cost-allocation labels every workload should carry (any one of each
    /// alternative group separated by `|`, e.g. `team|owner`).
    pub cost_labels: Vec<String>,
    /// PRB: the shortest terminationGracePeriodSeconds acceptable for a serving workload.
    pub min_termination_grace_period_seconds: i64,
    /// SCH: extra node labels (`key` or `key=value`) that mark spot/preemptible nodes.
    pub spot_node_labels: Vec<String>,
    /// SCH: label (`key=value`) or namespace names that mark critical workloads, which
    /// must set a priorityClassName. Workloads with a PodDisruptionBudget count as
    /// critical too.
    pub critical_namespaces: Vec<String>,
    /// AVL: workload kinds whose single replica is accepted (e.g. leader-elected
    /// singletons); by name `Kind/namespace/name` or `Kind/*/name`.
    pub single_replica_allowed: Vec<String>,
    /// Container image registries allowed (IMG), empty = any.
    pub allowed_registries: Vec<String>,
    /// IMG005: report namespaces whose images no signature-verification policy covers.
    pub require_image_signature_policy: bool,
    /// LIV001: how far back an OOM kill counts as recent, in hours.
    pub oom_killed_window_hours: u32,
    /// LIV003: the restart count of a container from which it is reported.
    pub restarts_high_threshold: u32,
    /// SPEC005: also report custom resources whose CustomResourceDefinition is not
    /// known (not among the inputs, nor under `--crd-dir`), which are otherwise listed
    /// as not evaluated. `check --strict-schemas` sets it and raises SPEC005 to error.
    pub strict_schemas: bool,
    /// UPG005: the Kubernetes version (`1.33`) the cluster runs before an upgrade to
    /// `kube-version`; `plimsoll upgrade` sets it (`--from`, or the live cluster's
    /// version). Unset, UPG005 judges nothing.
    pub upgrade_from: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_cpu_limit_ratio: 4.0,
            max_memory_limit_ratio: 2.0,
            required_labels: vec![
                "app.kubernetes.io/name".into(),
                "app.kubernetes.io/instance".into(),
            ],
            cost_labels: vec!["team|owner".into()],
            min_termination_grace_period_seconds: 10,
            spot_node_labels: Vec::new(),
            critical_namespaces: Vec::new(),
            single_replica_allowed: Vec::new(),
            allowed_registries: Vec::new(),
            require_image_signature_policy: false,
            oom_killed_window_hours: 24,
            restarts_high_threshold: 5,
            strict_schemas: false,
            upgrade_from: None,
        }
    }
}
