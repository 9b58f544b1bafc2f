//! `plimsoll audit`: read a live cluster, index it, run the same rules, report.

use std::collections::{BTreeMap, BTreeSet};

use plimsoll_cluster::{Options, Snapshot};
use plimsoll_model::{Index, KubeVersion, LabelSelector, Object, SourceRef};
use plimsoll_report::{NotEvaluatedOut, NoteOut, ObjectId, Report, RunResult};
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::YamlFacts;
use plimsoll_rules::live::LiveFacts;
use plimsoll_rules::reads;
use plimsoll_rules::rules::api::table;

use crate::check::{Fatal, emit, parse_formats, select_rules, settings};
use crate::cli::AuditArgs;

/// Rules about files that have no meaning for objects read from a cluster: a Secret
/// in a cluster holds its data by design (SCR001 judges Secrets committed to git), and
/// the YAML rules judge how a file's text reads, which the API server's JSON does not
/// have.
pub(crate) fn files_only(code: &str) -> bool {
    code == "SCR001" || code.starts_with("YML")
}

/// Whether listing (group, version, kind) would use a deprecated API: those are never
/// requested (the preferred version of a group is normally not deprecated; when it is,
/// the resource is skipped and said so).
pub(crate) fn deprecated(group: &str, version: &str, kind: &str) -> Option<String> {
    let api_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let api = table::lookup(&api_version, kind)?;
    api.deprecated.map(|minor| {
        format!("{api_version} {kind} is deprecated since 1.{minor}; listing it would count as a deprecated API request")
    })
}

pub fn run(args: &AuditArgs) -> Result<i32, Fatal> {
    let mut s = settings(&args.run, &[], args.namespace.as_ref())?;
    let formats = parse_formats(&args.run)?;
    let rules = select_rules(&args.run, &s)?;
    let now = match &args.now {
        Some(t) => Some(
            plimsoll_model::Timestamp::parse(t)
                .ok_or_else(|| Fatal(format!("--now: `{t}` is not an RFC 3339 time")))?,
        ),
        None => None,
    };

    // the selector picks the objects to report on, after judging: every object is read,
    // since cross-object rules must see the NetworkPolicies, PDBs, Services... that the
    // selector would leave out (a namespace whose default-deny policy lacks the label
    // is not without one)
    let selector = match &args.selector {
        Some(text) => Some(
            LabelSelector::parse(text).map_err(|e| Fatal(format!("--selector `{text}`: {e}")))?,
        ),
        None => None,
    };
    let opts = Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        secrets: args.secrets,
        page_size: args.page_size,
        progress: !args.no_progress,
        progress_delay: Some(std::time::Duration::from_millis(args.progress_delay)),
        trim: None,
    };
    let snap = plimsoll_cluster::snapshot(&opts, &deprecated).map_err(|e| Fatal(e.to_string()))?;

    // judged against the cluster's own version unless told otherwise
    let server = KubeVersion::parse(&snap.server_version).ok();
    if args.run.kube_version.is_none() && s.config.kube_version.is_none() {
        if let Some(v) = server {
            s.kube_version = v.min(KubeVersion::NEWEST);
        }
        if args.run.pss_version.is_none() && s.config.pss_version.is_none() {
            s.pss_version = Some(s.kube_version);
        }
    }

    // an upgrade starts from the cluster's own version (UPG005)
    if s.config.settings.upgrade_from.is_none()
        && let Some(v) = server
    {
        s.config.settings.upgrade_from = Some(v.to_string());
        if args.run.kube_version.is_some() {
            crate::upgrade_cmd::steps(v, s.kube_version);
        }
    }

    let mut live = LiveFacts {
        now,
        ..LiveFacts::default()
    };
    let mut notes: Vec<NoteOut> = Vec::new();
    let cluster = format!("cluster {}", snap.cluster);
    match &snap.metrics {
        Ok(text) => live.deprecated_requests = LiveFacts::parse_deprecated_metric(text),
        Err(why) => notes.push(NoteOut {
            file: Some(cluster.clone()),
            message: format!(
                "the API server's /metrics could not be read ({why}): APIs requested through deprecated versions (LIV013) are not known"
            ),
        }),
    }
    notes.push(NoteOut {
        file: Some(cluster.clone()),
        message: format!(
            "audited {} objects of Kubernetes {} ({}), read in {} requests ({:.1} MB of JSON; {} controlled objects kept slim); Secrets {}",
            snap.objects.len(),
            snap.server_version,
            match &args.namespace {
                Some(ns) => format!("namespace {ns}"),
                None => "all namespaces".to_string(),
            },
            snap.stats.requests,
            snap.stats.bytes as f64 / 1e6,
            snap.stats.slimmed,
            match (args.secrets, snap.secrets_read) {
                (true, true) => "read (--secrets: keys only, values dropped) with Helm release records",
                (true, false) =>
                    "not read: --secrets was given but listing them was refused (bind the plimsoll-audit-secrets role): rules that need them are not evaluated",
                (false, _) => "not read (default mode): rules that need them are not evaluated",
            }
        ),
    });
    for sk in &snap.skipped {
        notes.push(NoteOut {
            file: Some(cluster.clone()),
            message: format!(
                "not listed: {} ({}): {}",
                sk.resource,
                if sk.group.is_empty() {
                    sk.version.clone()
                } else {
                    format!("{}/{}", sk.group, sk.version)
                },
                sk.reason
            ),
        });
    }
    // (UPG001, when it runs, reports them as findings)
    let upg001 = rules.iter().any(|r| r.meta().code == "UPG001");
    for la in snap.last_applied.iter().filter(|_| !upg001) {
        if let Some(api) = table::lookup(&la.api_version, &la.object.kind)
            && (api.deprecated.is_some_and(|d| d <= s.kube_version.minor) || api.removed.is_some())
        {
            notes.push(NoteOut {
                file: Some(cluster.clone()),
                message: format!(
                    "{} {}{}: last applied with kubectl as {} (a weak signal: it says which version the last `kubectl apply` used, not what clients use today); {}",
                    la.object.kind,
                    la.object.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default(),
                    la.object.name,
                    la.api_version,
                    match (api.removed, api.replacement) {
                        (Some(r), "") => format!("removed in 1.{r}"),
                        (Some(r), rep) => format!("removed in 1.{r}, use {rep}"),
                        (None, "") => "deprecated".to_string(),
                        (None, rep) => format!("deprecated, use {rep}"),
                    }
                ),
            });
        }
    }

    // rules that read a kind the audit could not read are not run: on partial data a
    // rule passes, or fires, for the wrong reason
    let rules: Vec<_> = rules
        .into_iter()
        .filter(|r| !files_only(r.meta().code))
        .collect();
    // Rules that judge every object on its own (`*`: the API rules, duplicate objects)
    // still run: only the objects they could not read go unjudged, and are reported so.
    let mut blocked: BTreeMap<&'static str, Vec<&plimsoll_cluster::Unreadable>> = BTreeMap::new();
    let unreadable = snap.unreadable.clone();
    for u in &unreadable {
        for r in &rules {
            let code = r.meta().code;
            if reads::reads(code, &u.kind) {
                blocked.entry(code).or_default().push(u);
            }
        }
    }
    let run_rules: Vec<_> = rules
        .iter()
        .copied()
        .filter(|r| {
            let code = r.meta().code;
            match blocked.get(code) {
                None => true,
                Some(kinds) => {
                    judges_each_on_its_own(code)
                        && (!needs_one_of(code, kinds) || has_policy_files(args, &s))
                }
            }
        })
        .collect();

    let Snapshot {
        objects,
        helm_releases,
        ..
    } = snap;
    // --policy and the configuration's `policies`: read from files, judged with the
    // cluster's objects (their findings located in those files)
    let mut objects = objects;
    let mut policy_paths = Vec::new();
    if let Some(config) = &s.config_path {
        let dir = config.parent().unwrap_or(std::path::Path::new("."));
        policy_paths.extend(s.config.policies.iter().map(|p| dir.join(p)));
    }
    policy_paths.extend(args.policies.iter().cloned());
    let mut sources = Vec::new();
    if !policy_paths.is_empty() {
        let loaded = crate::check::load_inputs(&policy_paths, &s.namespace, &[]);
        if !loaded.errors.is_empty() {
            return Err(Fatal(format!("--policy: {}", loaded.errors.join("; "))));
        }
        // a file's object replaces the cluster's of the same name: the version tried
        let from_files: std::collections::HashSet<(String, Option<String>, String)> = loaded
            .index
            .objects()
            .iter()
            .map(|o| (o.kind.clone(), o.namespace.clone(), o.name.clone()))
            .collect();
        objects.retain(|o| {
            !from_files.contains(&(o.kind.clone(), o.namespace.clone(), o.name.clone()))
        });
        objects.extend(loaded.index.objects().iter().cloned());
        sources = loaded.sources;
    }
    let mut index = Index::new(objects);
    // a live audit lists every object of each namespace it reads: what is missing from
    // one is missing from the cluster (kinds it could not list are not evaluated above)
    index.hold_namespaces_of(|_| true);
    let mut report = judge(
        &index,
        &run_rules,
        &s,
        args.run.strict,
        Some(&live),
        sources,
    );

    for (code, kinds) in &blocked {
        for u in kinds {
            report.not_evaluated.push(NotEvaluatedOut {
                code,
                object: ObjectId {
                    api_version: if u.group.is_empty() {
                        u.version.clone()
                    } else {
                        format!("{}/{}", u.group, u.version)
                    },
                    kind: u.kind.clone(),
                    // every object of the kind, in the namespace audited
                    namespace: if u.namespaced {
                        args.namespace.clone()
                    } else {
                        None
                    },
                    name: String::new(),
                },
                reason: format!("{} could not be read: {}", u.resource, u.reason),
            });
        }
    }
    for u in &unreadable {
        notes.push(NoteOut {
            file: Some(cluster.clone()),
            message: format!("{} could not be read: {}", u.resource, u.reason),
        });
    }

    // the apiVersions Helm will send again at the next upgrade, judged by the API rules
    // (UPG003, when it runs, judges the release records themselves)
    if !run_rules.iter().any(|r| r.meta().code == "UPG003") {
        let helm = helm_findings(&helm_releases, &rules, &s, &mut notes);
        report.findings.extend(helm);
    } else if !helm_releases.is_empty() {
        notes.push(NoteOut {
            file: None,
            message: format!(
                "{} deployed Helm release(s) read; their records are judged by UPG003",
                helm_releases
                    .iter()
                    .filter(|r| r.status == "deployed")
                    .count()
            ),
        });
    }

    let selected = scope(
        &index,
        args.namespace.as_deref(),
        selector.as_ref(),
        &mut report,
    );
    if let Some(text) = &args.selector {
        notes.push(NoteOut {
            file: Some(cluster.clone()),
            message: format!(
                "--selector {text}: {selected} namespaced objects match; the report covers them and the cluster-scoped objects (every object was read, for the rules that look across objects)"
            ),
        });
    }

    report.notes.extend(notes);
    report.finish();
    crate::check::limit_findings(&mut report, s.max_findings);
    let not_evaluated = !report.not_evaluated.is_empty();
    let inputs = vec![cluster.clone()];
    let code = emit(&report, &formats, &args.run, &s, not_evaluated, &inputs);
    std::mem::forget(report);
    std::mem::forget(index);
    Ok(code)
}

/// Keeps in the report only what concerns the objects audited: in a namespaced audit
/// (`--namespace`), no Namespace object but that one (the cluster-scoped objects read
/// beside it, Nodes, ClusterRoles..., stay); with a label selector, the namespaced
/// objects it picks. An entry about every object of a kind (a kind that could not be
/// read) is kept. Returns the number of namespaced objects the selector picked.
fn scope(
    index: &Index,
    namespace: Option<&str>,
    sel: Option<&LabelSelector>,
    report: &mut Report,
) -> usize {
    let selected: BTreeSet<(&str, &str, &str)> = match sel {
        Some(sel) => index
            .objects()
            .iter()
            .filter_map(|o| {
                let ns = o.namespace.as_deref()?;
                sel.matches(|k| o.label(k))
                    .then_some((o.kind.as_str(), ns, o.name.as_str()))
            })
            .collect(),
        None => BTreeSet::new(),
    };
    let in_scope = |kind: &str, ns: Option<&str>, name: &str| match ns {
        _ if name.is_empty() => true,
        None => kind != "Namespace" || namespace.is_none_or(|audited| audited == name),
        // Helm release manifests name their objects in the apiVersion Helm sends: the
        // live object of the same kind and name decides
        Some(ns) => sel.is_none() || selected.contains(&(kind, ns, name)),
    };
    let id_in_scope = |id: &ObjectId| in_scope(&id.kind, id.namespace.as_deref(), &id.name);
    report.findings.retain(|f| id_in_scope(&f.object));
    report.not_evaluated.retain(|n| id_in_scope(&n.object));
    report.exempted.retain(|e| id_in_scope(&e.object));
    report.summary.exempted = report.exempted.len();
    report.summary.objects = index
        .objects()
        .iter()
        .filter(|o| in_scope(&o.kind, o.namespace.as_deref(), &o.name))
        .count();
    selected.len()
}

/// Runs the selected API rules over the objects of deployed Helm releases, as Helm
/// will send them, and names the release in each finding.
fn helm_findings(
    releases: &[plimsoll_cluster::HelmRelease],
    rules: &[&'static dyn plimsoll_rules::Rule],
    s: &crate::check::Settings,
    notes: &mut Vec<NoteOut>,
) -> Vec<plimsoll_report::FindingOut> {
    let api_rules: Vec<_> = rules
        .iter()
        .copied()
        .filter(|r| r.meta().group() == "API")
        .collect();
    if api_rules.is_empty() {
        return Vec::new();
    }
    let mut objects = Vec::new();
    let mut origin = Vec::new();
    for rel in releases.iter().filter(|r| r.status == "deployed") {
        for o in &rel.objects {
            let text = format!(
                "{{\"apiVersion\":{},\"kind\":{},\"metadata\":{{\"name\":{},\"namespace\":{}}}}}",
                serde_json::Value::from(o.api_version.clone()),
                serde_json::Value::from(o.kind.clone()),
                serde_json::Value::from(o.name.clone()),
                serde_json::Value::from(
                    o.namespace.clone().unwrap_or_else(|| rel.namespace.clone())
                ),
            );
            let Ok(root) = plimsoll_yaml::node_from_json(&text) else {
                continue;
            };
            if let Some(obj) = Object::from_node(
                root,
                SourceRef {
                    file: None,
                    doc: objects.len(),
                    item: None,
                },
                &rel.namespace,
                plimsoll_model::is_cluster_scoped,
            ) {
                origin.push(format!(
                    "Helm release {}/{} revision {} (chart {})",
                    rel.namespace, rel.name, rel.revision, rel.chart
                ));
                objects.push(obj);
            }
        }
    }
    if objects.is_empty() {
        return Vec::new();
    }
    let index = Index::new(objects);
    let mut report = judge(&index, &api_rules, s, false, None, Vec::new());
    let by_id: std::collections::BTreeMap<ObjectId, &str> = index
        .objects()
        .iter()
        .zip(&origin)
        .map(|(o, from)| (ObjectId::of(o), from.as_str()))
        .collect();
    for f in &mut report.findings {
        if let Some(from) = by_id.get(&f.object) {
            f.message = format!(
                "{} (in {from}: the next `helm upgrade` sends it again)",
                f.message
            );
        }
    }
    notes.push(NoteOut {
        file: None,
        message: format!(
            "{} deployed Helm release(s) read; their manifests are judged by the API rules",
            releases.iter().filter(|r| r.status == "deployed").count()
        ),
    });
    std::mem::take(&mut report.findings)
}

/// Runs rules over objects read from a cluster (no files, no YAML facts, no comments) and
/// builds their report.
fn judge(
    index: &Index,
    rules: &[&'static dyn plimsoll_rules::Rule],
    s: &crate::check::Settings,
    strict: bool,
    live: Option<&LiveFacts>,
    sources: Vec<plimsoll_report::SourceFile>,
) -> Report {
    let facts = YamlFacts::default();
    let run = Run {
        rules,
        config: &s.config,
        settings: &s.config.settings,
        kube_version: s.kube_version,
        pss_version: s.pss_version,
        facts: &facts,
        comments: &[],
        strict,
        baseline: None,
        live,
        file_paths: &[],
        context_files_from: None,
    };
    Report::build(RunResult {
        sources,
        index,
        outcome: engine::run(index, &run),
        notes: Vec::new(),
        errors: Vec::new(),
        general_errors: Vec::new(),
    })
}

/// Rules that judge every object on its own (the API rules, duplicate objects: `*` in
/// the reads table): a kind they could not read leaves only its own objects unjudged.
fn judges_each_on_its_own(code: &str) -> bool {
    reads::kinds_read(code).contains(&"*")
}

/// Whether `--policy` or the configuration's `policies` name files of policies: the POL
/// rules then have policies to judge with, whatever the cluster lets the audit read.
fn has_policy_files(args: &AuditArgs, s: &crate::check::Settings) -> bool {
    !args.policies.is_empty() || (s.config_path.is_some() && !s.config.policies.is_empty())
}

/// Whether a rule that judges every kind still cannot run without one of `kinds`: the
/// POL rules without the policies or their bindings would pass everything.
fn needs_one_of(code: &str, kinds: &[&plimsoll_cluster::Unreadable]) -> bool {
    code.starts_with("POL")
        && kinds.iter().any(|u| {
            u.group == "admissionregistration.k8s.io"
                && matches!(
                    u.kind.as_str(),
                    "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding"
                )
        })
}
