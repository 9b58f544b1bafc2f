//! Rule groups, one folder each, one file per rule.

use crate::rule::Rule;

pub mod api;
pub mod avl;
pub mod bak;
pub mod cap;
pub mod coverage;
pub mod dlv;
pub mod img;
pub mod job;
pub mod liv;
pub mod meta;
pub mod mon;
pub mod msh;
pub mod net;
pub mod pol;
pub mod prb;
pub mod pss;
pub mod rbac;
pub mod refs;
pub mod res;
pub mod sch;
pub mod scl;
pub mod scr;
pub mod sec;
pub mod spec;
pub mod sto;
pub mod unu;
pub mod upg;
pub mod yml;

/// A rule group: its prefix, title and rules.
pub struct Group {
    pub prefix: &'static str,
    pub title: &'static str,
    pub rules: &'static [&'static dyn Rule],
}

/// Every group, in documentation order.
pub static GROUPS: &[Group] = &[
    Group {
        prefix: "YML",
        title: "YAML that Kubernetes reads differently than its author meant",
        rules: yml::RULES,
    },
    Group {
        prefix: "SPEC",
        title: "Schema validation: fields, types and values the API server rejects",
        rules: spec::RULES,
    },
    Group {
        prefix: "POL",
        title: "The organisation's own rules, as ValidatingAdmissionPolicies",
        rules: pol::RULES,
    },
    Group {
        prefix: "RES",
        title: "Resources and QoS",
        rules: res::RULES,
    },
    Group {
        prefix: "PRB",
        title: "Probes and lifecycle",
        rules: prb::RULES,
    },
    Group {
        prefix: "AVL",
        title: "Availability: replicas, disruption budgets, spreading, rollouts",
        rules: avl::RULES,
    },
    Group {
        prefix: "JOB",
        title: "Jobs and CronJobs",
        rules: job::RULES,
    },
    Group {
        prefix: "SCL",
        title: "Autoscaling (HPA/VPA)",
        rules: scl::RULES,
    },
    Group {
        prefix: "SCH",
        title: "Scheduling and node pools",
        rules: sch::RULES,
    },
    Group {
        prefix: "CAP",
        title: "Capacity and node pools",
        rules: cap::RULES,
    },
    Group {
        prefix: "STO",
        title: "Storage and stateful workloads",
        rules: sto::RULES,
    },
    Group {
        prefix: "NET",
        title: "Network policies, Services and Ingress",
        rules: net::RULES,
    },
    Group {
        prefix: "API",
        title: "Deprecated and removed APIs",
        rules: api::RULES,
    },
    Group {
        prefix: "META",
        title: "Labels, ownership, cost allocation, duplicates",
        rules: meta::RULES,
    },
    Group {
        prefix: "PSS",
        title: "Pod Security Standards (exact, versioned)",
        rules: pss::RULES,
    },
    Group {
        prefix: "SEC",
        title: "Container and pod security beyond Pod Security Standards",
        rules: sec::RULES,
    },
    Group {
        prefix: "IMG",
        title: "Images and supply chain",
        rules: img::RULES,
    },
    Group {
        prefix: "SCR",
        title: "Secrets and configuration data",
        rules: scr::RULES,
    },
    Group {
        prefix: "RBAC",
        title: "RBAC: least privilege",
        rules: rbac::RULES,
    },
    Group {
        prefix: "REF",
        title: "Dangling references between objects",
        rules: refs::RULES,
    },
    Group {
        prefix: "BAK",
        title: "Backups with Velero: coverage, volume data, retention, failures, restores",
        rules: bak::RULES,
    },
    Group {
        prefix: "DLV",
        title: "Progressive delivery: Argo Rollouts and Flagger analysis and promotion",
        rules: dlv::RULES,
    },
    Group {
        prefix: "MSH",
        title: "Service mesh: Istio mutual TLS and sidecar resources, Linkerd inbound policy",
        rules: msh::RULES,
    },
    Group {
        prefix: "MON",
        title: "Monitoring with prometheus-operator: ServiceMonitor and PodMonitor coverage",
        rules: mon::RULES,
    },
    Group {
        prefix: "UNU",
        title: "Unused resources (opt-in)",
        rules: unu::RULES,
    },
    Group {
        prefix: "UPG",
        title: "Upgrade readiness (opt-in, `plimsoll upgrade`)",
        rules: upg::RULES,
    },
    Group {
        prefix: "LIV",
        title: "Live cluster state: crashes, scheduling, nodes, drains, DNS, API calls",
        rules: liv::RULES,
    },
];
