//! `plimsoll policy test POLICY... -- OBJECT...`: ValidatingAdmissionPolicies evaluated
//! against objects as the API server would on their creation. The semantics are
//! `plimsoll_policy::vap`; this file reads and prints.

use std::fmt::Write as _;
use std::io::Write as _;

use plimsoll_model::{KubeVersion, Object};
use plimsoll_policy::vap::{Action, PolicySet, UserInfo, is_policy_kind};
use plimsoll_rules::rules::pol::model::{Served, doc, group_version};
use serde_json::{Value, json};

use crate::check::{Fatal, LoadedInputs, load_inputs};
use crate::cli::{PolicyFormat, PolicyTestArgs};

fn kube_version(v: Option<&str>) -> Result<KubeVersion, Fatal> {
    match v {
        None => Ok(KubeVersion::NEWEST),
        Some(v) => {
            let parsed =
                KubeVersion::parse(v).map_err(|e| Fatal(format!("--kube-version: {e}")))?;
            if parsed > KubeVersion::NEWEST || parsed < KubeVersion::new(1, 26) {
                return Err(Fatal(format!(
                    "--kube-version {parsed}: ValidatingAdmissionPolicies are evaluated for Kubernetes 1.26 to {}",
                    KubeVersion::NEWEST
                )));
            }
            Ok(parsed)
        }
    }
}

/// Where an object was read: `file:line`.
fn location(inputs: &LoadedInputs, o: &Object) -> (String, u32) {
    let file = o
        .source
        .file
        .and_then(|f| inputs.sources.get(f))
        .map_or_else(String::new, |s| s.path.clone());
    (file, o.root.span.start.line)
}

/// `plimsoll policy test`.
pub fn test(args: &PolicyTestArgs) -> Result<i32, Fatal> {
    let version = kube_version(args.kube_version.as_deref())?;
    let context = load_inputs(&args.policies, &args.namespace, &[]);
    let targets = load_inputs(&args.objects, &args.namespace, &[]);
    let mut errors: Vec<String> = context
        .errors
        .iter()
        .chain(&targets.errors)
        .cloned()
        .collect();
    let n = context.index.objects().len();
    let object = |id: usize| -> (&LoadedInputs, &Object) {
        if id < n {
            (&context, context.index.object(id))
        } else {
            (&targets, targets.index.object(id - n))
        }
    };
    // kinds: built-in, and those of the CRDs of either input
    let served = Served::of(&[&context.index, &targets.index]);
    // an object of the OBJECT paths that the POLICY paths hold too (`policy test
    // policies/ -- .`) is read once, as context
    let identity = |o: &Object| {
        (
            group_version(&o.api_version).0.to_string(),
            o.kind.clone(),
            o.namespace.clone(),
            o.name.clone(),
        )
    };
    let in_context: std::collections::HashSet<_> =
        context.index.objects().iter().map(identity).collect();
    let all = (0..n + targets.index.objects().len()).filter_map(|id| {
        let (_, o) = object(id);
        if id >= n && in_context.contains(&identity(o)) {
            return None;
        }
        Some(doc(id, o))
    });
    let set = PolicySet::build(all, version.minor, &|v: &str, k: &str| {
        served.namespaced(v, k)
    });
    // what the API server would refuse to create
    for r in set.refused() {
        let (inputs, o) = object(r.id);
        let (file, line) = location(inputs, o);
        errors.push(format!(
            "{file}:{line}: the API server refuses to create {} {}: {}: {}",
            r.kind, r.name, r.problem.pointer, r.problem.message
        ));
    }
    for b in set.unbound() {
        let (inputs, o) = object(b.id);
        let (file, line) = location(inputs, o);
        errors.push(format!(
            "{file}:{line}: ValidatingAdmissionPolicyBinding {} names ValidatingAdmissionPolicy {}, which is not among the inputs",
            b.name, b.policy_name
        ));
    }
    let user = UserInfo {
        username: args.user.clone(),
        groups: if args.groups.is_empty() {
            if args.user == "admin" {
                UserInfo::default().groups
            } else {
                vec!["system:authenticated".into()]
            }
        } else {
            args.groups.clone()
        },
    };
    let mut results = Vec::new();
    let mut text = String::new();
    let mut denied_any = false;
    for o in targets.index.objects() {
        if is_policy_kind(&o.api_version, &o.kind) {
            continue;
        }
        let (file, line) = location(&targets, o);
        let Some(request) = served.request(o, &user) else {
            errors.push(format!(
                "{file}:{line}: {} {}: the kind is not served (no CustomResourceDefinition for it among the inputs)",
                o.api_version, o.kind
            ));
            continue;
        };
        let ev = set.evaluate(&request);
        // each text once: a binding whose selector picks several params gives one
        // decision per param, most often with the same message
        let texts = |a: Action| -> Vec<String> {
            let mut seen = std::collections::HashSet::new();
            ev.decisions
                .iter()
                .filter(|d| d.action == a)
                .map(|d| set.server_text(d))
                .filter(|t| seen.insert(t.clone()))
                .collect()
        };
        let denials = texts(Action::Deny);
        let warnings = texts(Action::Warn);
        let audits: Vec<Value> = ev
            .decisions
            .iter()
            .filter(|d| d.action == Action::Audit)
            .map(|d| {
                json!({
                    "policy": set.policies[d.policy].name,
                    "binding": d.binding.map(|b| set.bindings[b].name.clone()),
                    "message": d.message,
                })
            })
            .collect();
        denied_any |= !denials.is_empty();
        let who = match &o.namespace {
            Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
            None => format!("{} {}", o.kind, o.name),
        };
        let verdict = if denials.is_empty() {
            "admitted"
        } else {
            "denied"
        };
        let _ = writeln!(text, "{who} ({file}:{line}): {verdict}");
        let evaluations: Vec<Value> = ev
            .matched
            .iter()
            .map(|&(p, b)| {
                let mine: Vec<_> = ev
                    .decisions
                    .iter()
                    .filter(|d| d.policy == p && d.binding == Some(b))
                    .collect();
                let result = if mine.iter().any(|d| d.action == Action::Deny) {
                    "denied"
                } else if mine.iter().any(|d| d.action == Action::Warn) {
                    "warned"
                } else if mine.is_empty() {
                    "admitted"
                } else {
                    "audited"
                };
                let (pn, bn) = (&set.policies[p].name, &set.bindings[b].name);
                if mine.is_empty() {
                    let _ = writeln!(text, "  {pn} / {bn}: admitted");
                }
                for d in &mine {
                    let _ = writeln!(
                        text,
                        "  {pn} / {bn}: {}: {}",
                        match d.action {
                            Action::Deny => "denied",
                            Action::Warn => "warning",
                            Action::Audit => "audit",
                        },
                        d.message
                    );
                }
                json!({
                    "policy": pn,
                    "binding": bn,
                    "result": result,
                    "messages": mine.iter().map(|d| json!({
                        "action": d.action.as_str(),
                        "message": d.message,
                        "reason": d.reason,
                        "param": d.param.map(|id| {
                            let (_, p) = object(id);
                            match &p.namespace {
                                Some(ns) => format!("{ns}/{}", p.name),
                                None => p.name.clone(),
                            }
                        }),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        // what a policy decides without a binding: its own configuration errors
        for d in ev.decisions.iter().filter(|d| d.binding.is_none()) {
            let _ = writeln!(
                text,
                "  {}: denied: {}",
                set.policies[d.policy].name, d.message
            );
        }
        for (p, at, m) in &ev.ignored {
            let _ = writeln!(
                text,
                "  {}: error ignored (failurePolicy: Ignore) at {at}: {m}",
                set.policies[*p].name
            );
        }
        results.push(json!({
            "file": file,
            "line": line,
            "apiVersion": o.api_version,
            "kind": o.kind,
            "namespace": o.namespace,
            "name": o.name,
            "admitted": denials.is_empty(),
            "denials": denials,
            "warnings": warnings,
            "audits": audits,
            "evaluations": evaluations,
            "ignoredErrors": ev.ignored.iter().map(|(p, at, m)| json!({
                "policy": set.policies[*p].name,
                "at": at,
                "message": m,
            })).collect::<Vec<_>>(),
        }));
    }
    let mut stdout = std::io::stdout().lock();
    let written = match args.format {
        PolicyFormat::Json => {
            let doc = json!({
                "kubeVersion": version.to_string(),
                "objects": results,
                "errors": errors,
            });
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&doc).expect("serializes")
            )
        }
        PolicyFormat::Text => write!(stdout, "{text}"),
    };
    written.map_err(|e| Fatal(format!("cannot write the output: {e}")))?;
    for e in &errors {
        eprintln!("plimsoll: error: {e}");
    }
    Ok(if !errors.is_empty() {
        2
    } else if denied_any {
        1
    } else {
        0
    })
}
