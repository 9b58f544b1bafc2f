//! `plimsoll rbac who-can`: who may do VERB on RESOURCE, over the input objects. The
//! resolution is `plimsoll_rules::rules::rbac::model`; this file reads and prints.

use plimsoll_model::{ApiResources, Index, Resolved, check_verb};
use plimsoll_rules::rules::rbac::model::{Grant, Question, Rbac, Subject, Target};
use serde_json::{Value, json};

use crate::check::{Fatal, load_inputs};
use crate::cli::{WhoCanArgs, WhoCanFormat};

fn obj_ref(index: &Index, id: usize) -> Value {
    let o = index.object(id);
    json!({"kind": o.kind, "name": o.name, "namespace": o.namespace})
}

fn subject_json(index: &Index, s: &Subject, grants: &[Grant]) -> Value {
    let via: Vec<Value> = grants
        .iter()
        .map(|g| {
            let mut v = json!({
                "binding": obj_ref(index, g.binding),
                "role": {"kind": g.role_kind, "name": g.role_name},
                "ruleIndex": g.rule_index,
            });
            if let Some(from) = g.rule_role
                && Some(from) != g.role
            {
                let o = index.object(from);
                v["aggregatedFrom"] = json!({"kind": o.kind, "name": o.name});
            }
            v
        })
        .collect();
    json!({"kind": s.kind, "name": s.name, "namespace": s.namespace, "via": via})
}

fn subject_text(s: &Subject) -> String {
    match &s.namespace {
        Some(ns) => format!("{} {ns}/{}", s.kind, s.name),
        None => format!("{} {}", s.kind, s.name),
    }
}

/// Runs `rbac who-can`; exit 0 when it answered, 2 on bad input.
pub fn who_can(args: &WhoCanArgs) -> Result<i32, Fatal> {
    let is_url = args.resource.starts_with('/');
    check_verb(&args.verb, is_url).map_err(Fatal)?;
    let mut q = Question::parse(&args.verb, &args.resource, args.name.as_deref()).map_err(Fatal)?;
    let loaded = load_inputs(&args.paths, &args.namespace, &args.exclude);
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            eprintln!("plimsoll: {e}");
        }
        return Ok(2);
    }
    let index = &loaded.index;
    // RBAC matches the plural and group kubectl resolves the argument to, never the
    // argument as typed (`secret` is `secrets`), and a name that resolves to nothing is
    // no question at all
    let resolved: Option<Resolved> = if is_url {
        None
    } else {
        let r = ApiResources::of(index)
            .resolve(&args.resource)
            .map_err(Fatal)?;
        q.target = Target::Resource {
            group: r.group.clone(),
            resource: r.rbac_resource(),
            name: args.name.clone(),
        };
        Some(r)
    };
    let cluster_only = match &resolved {
        Some(r) => !r.namespaced,
        None => q.cluster_only(),
    };
    let rbac = Rbac::build(index);
    let namespace = if args.all_namespaces || cluster_only {
        None
    } else {
        Some(args.namespace.as_str())
    };
    let answer = rbac.who_can(&q, namespace);
    let resource = match &q.target {
        Target::Url(u) => u.clone(),
        Target::Resource {
            group, resource, ..
        } if group.is_empty() => resource.clone(),
        Target::Resource {
            group, resource, ..
        } => match resource.split_once('/') {
            Some((r, sub)) => format!("{r}.{group}/{sub}"),
            None => format!("{resource}.{group}"),
        },
    };
    match args.format {
        WhoCanFormat::Json => {
            let subjects: Vec<Value> = answer
                .subjects
                .iter()
                .map(|(s, g)| subject_json(index, s, g))
                .collect();
            let unresolved: Vec<Value> = answer
                .unresolved
                .iter()
                .map(|(b, reason)| json!({"binding": obj_ref(index, *b), "reason": reason}))
                .collect();
            let mut out = json!({
                "version": 1,
                "verb": q.verb,
                "resource": resource,
                "namespace": namespace,
                "subjects": subjects,
                "unresolved": unresolved,
            });
            if let Some(n) = &args.name {
                out["name"] = json!(n);
            }
            if let Some(r) = &resolved {
                out["resolved"] = json!({
                    "input": args.resource,
                    "resource": r.resource,
                    "subresource": r.subresource,
                    "group": r.group,
                    "kind": r.kind,
                    "namespaced": r.namespaced,
                });
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&out).expect("serializes")
            );
        }
        WhoCanFormat::Text => {
            let scope = match namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "cluster-wide".to_string(),
            };
            let name = args
                .name
                .as_deref()
                .map(|n| format!(" named {n}"))
                .unwrap_or_default();
            let mut text = String::new();
            // said when the name typed is not the one RBAC matches
            if let Some(r) = resolved
                .as_ref()
                .filter(|r| r.rbac_resource() != args.resource)
            {
                let group = if r.group.is_empty() {
                    "core"
                } else {
                    r.group.as_str()
                };
                text.push_str(&format!(
                    "resolved {} -> {} (kind {}, group {group})\n",
                    args.resource,
                    r.rbac_resource(),
                    r.kind
                ));
            }
            text.push_str(&format!("who can {} {resource}{name} {scope}:\n", q.verb));
            for (s, grants) in &answer.subjects {
                text.push_str(&format!("  {}\n", subject_text(s)));
                if grants.is_empty() {
                    text.push_str("    (system:masters bypasses RBAC)\n");
                }
                for g in grants {
                    let b = index.object(g.binding);
                    let bname = match &b.namespace {
                        Some(ns) if b.kind == "RoleBinding" => format!("{ns}/{}", b.name),
                        _ => b.name.clone(),
                    };
                    let from = match g.rule_role {
                        Some(from) if Some(from) != g.role => {
                            format!(" (aggregated from ClusterRole {})", index.object(from).name)
                        }
                        _ => String::new(),
                    };
                    text.push_str(&format!(
                        "    via {} {bname} -> {} {}, rule {}{from}\n",
                        b.kind, g.role_kind, g.role_name, g.rule_index
                    ));
                }
            }
            for (b, reason) in &answer.unresolved {
                let o = index.object(*b);
                text.push_str(&format!("not evaluated: {}: {reason}\n", o.display_name()));
            }
            print!("{text}");
        }
    }
    Ok(0)
}
