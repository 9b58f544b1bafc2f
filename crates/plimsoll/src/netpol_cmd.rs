//! `plimsoll netpol matrix|reach`: who may connect to whom under the NetworkPolicies
//! of the input. The semantics are `plimsoll_rules::rules::net::policy`; this file
//! reads and prints.

use std::fmt::Write as _;

use plimsoll_model::Index;
use plimsoll_rules::rules::net::policy::{Direction, NetModel, PortSet, Proto};
use serde_json::{Value, json};

use crate::check::{Fatal, load_inputs};
use crate::cli::{MatrixArgs, MatrixFormat, ReachArgs, WhoCanFormat};

fn label(index: &Index, model: &NetModel, d: usize) -> String {
    let o = index.object(model.endpoints[d].id);
    format!("{}/{}/{}", model.endpoints[d].ns, o.kind, o.name)
}

/// Finds the endpoint `NS/KIND/NAME` (KIND case-insensitive).
fn find(index: &Index, model: &NetModel, spec: &str) -> Result<usize, String> {
    let parts: Vec<&str> = spec.split('/').collect();
    let [ns, kind, name] = parts[..] else {
        return Err(format!("`{spec}`: expected NAMESPACE/KIND/NAME"));
    };
    let id = index
        .in_namespace(ns)
        .iter()
        .copied()
        .find(|&id| {
            let o = index.object(id);
            o.kind.eq_ignore_ascii_case(kind) && o.name == name
        })
        .ok_or_else(|| format!("`{spec}`: no such object in the input"))?;
    model.endpoint_of(id).ok_or_else(|| {
        format!("`{spec}`: not a workload (an object with a pod template and no controlling owner)")
    })
}

/// Parses `N[/PROTO]` or `NAME[/PROTO]` against the destination's container ports.
fn parse_port(model: &NetModel, dst: usize, s: &str) -> Result<(Proto, i64), String> {
    let (p, proto) = match s.split_once('/') {
        Some((p, proto)) => (
            p,
            Some(
                Proto::parse(&proto.to_ascii_uppercase())
                    .ok_or_else(|| format!("`{s}`: protocol must be TCP, UDP or SCTP"))?,
            ),
        ),
        None => (s, None),
    };
    if let Ok(n) = p.parse::<i64>() {
        if !(1..=65535).contains(&n) {
            return Err(format!("`{s}`: port out of range"));
        }
        return Ok((proto.unwrap_or(Proto::Tcp), n));
    }
    model.endpoints[dst]
        .named_ports
        .iter()
        .find(|(name, pp, _)| name == p && proto.is_none_or(|x| x == *pp))
        .map(|(_, pp, n)| (*pp, *n))
        .ok_or_else(|| format!("`{s}`: the destination declares no such container port"))
}

fn load(paths: &[std::path::PathBuf], ns: &str, ex: &[String]) -> Result<Index, i32> {
    let loaded = load_inputs(paths, ns, ex);
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            eprintln!("plimsoll: {e}");
        }
        return Err(2);
    }
    Ok(loaded.index)
}

fn ports_json(p: &PortSet) -> Value {
    match p {
        PortSet::All => json!("all"),
        PortSet::Some(v) => Value::Array(
            v.iter()
                .map(|&(proto, lo, hi)| {
                    if lo == hi {
                        json!({"protocol": proto.as_str(), "port": lo})
                    } else {
                        json!({"protocol": proto.as_str(), "port": lo, "endPort": hi})
                    }
                })
                .collect(),
        ),
    }
}

/// Runs `netpol matrix`; exit 0 when answered, 2 on bad input.
pub fn matrix(args: &MatrixArgs) -> Result<i32, Fatal> {
    let index = match load(&args.paths, &args.namespace, &args.exclude) {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let model = NetModel::build(&index);
    let pairs = model.matrix();
    let mut s = String::new();
    match args.format {
        MatrixFormat::Json => {
            let v: Vec<Value> = pairs
                .iter()
                .map(|(a, b, p)| {
                    json!({"from": label(&index, &model, *a), "to": label(&index, &model, *b), "ports": ports_json(p)})
                })
                .collect();
            let out = json!({"workloads": model.endpoints.len(), "policies": model.policies.len(), "allowed": v});
            s = serde_json::to_string_pretty(&out).expect("json") + "\n";
        }
        MatrixFormat::Text => {
            for (a, b, p) in &pairs {
                let _ = writeln!(
                    s,
                    "{} -> {}: {p}",
                    label(&index, &model, *a),
                    label(&index, &model, *b)
                );
            }
            let _ = writeln!(
                s,
                "{} allowed connection{} between {} workloads under {} NetworkPolicies",
                pairs.len(),
                if pairs.len() == 1 { "" } else { "s" },
                model.endpoints.len(),
                model.policies.len()
            );
        }
        MatrixFormat::Dot => {
            s.push_str("digraph netpol {\n  rankdir=LR;\n  node [shape=box];\n");
            for d in 0..model.endpoints.len() {
                let _ = writeln!(s, "  \"{}\";", label(&index, &model, d));
            }
            for (a, b, p) in &pairs {
                let _ = writeln!(
                    s,
                    "  \"{}\" -> \"{}\" [label=\"{p}\"];",
                    label(&index, &model, *a),
                    label(&index, &model, *b)
                );
            }
            s.push_str("}\n");
        }
    }
    print!("{s}");
    Ok(0)
}

fn direction_json(model: &NetModel, d: &Direction, port: Option<(Proto, i64)>) -> Value {
    let policies: Vec<Value> = d
        .via
        .iter()
        .filter(|(_, _, ps)| port.is_none_or(|(p, n)| ps.contains(p, n)))
        .map(|(pi, ri, _)| {
            let p = &model.policies[*pi];
            json!({"namespace": p.ns, "name": p.name, "rule": ri})
        })
        .collect();
    json!({
        "allowed": d.allows(port),
        "isolated": d.isolated,
        "ports": ports_json(&d.ports),
        "undetermined": d.unknown && !d.allows(port),
        "policies": policies,
    })
}

fn direction_text(
    model: &NetModel,
    name: &str,
    d: &Direction,
    port: Option<(Proto, i64)>,
) -> String {
    if !d.isolated {
        return format!(
            "  {name}: allowed (not isolated: no policy selects these pods for {name})\n"
        );
    }
    let mut s = if d.allows(port) {
        format!("  {name}: allowed ({})\n", d.ports)
    } else if d.unknown {
        format!(
            "  {name}: denied, unless a rule depending on labels or IPs the input lacks matches\n"
        )
    } else {
        format!("  {name}: denied (isolated and no rule allows it)\n")
    };
    for (pi, ri, ps) in &d.via {
        if port.is_none_or(|(p, n)| ps.contains(p, n)) {
            let p = &model.policies[*pi];
            let _ = writeln!(
                s,
                "    via NetworkPolicy {}/{} {name} rule {ri} ({ps})",
                p.ns, p.name
            );
        }
    }
    s
}

/// Runs `netpol reach`; exit 0 when answered, 2 on bad input.
pub fn reach(args: &ReachArgs) -> Result<i32, Fatal> {
    let index = match load(&args.paths, &args.namespace, &args.exclude) {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let model = NetModel::build(&index);
    let ends = find(&index, &model, &args.from).and_then(|a| {
        let b = find(&index, &model, &args.to)?;
        let port = args
            .port
            .as_deref()
            .map(|p| parse_port(&model, b, p))
            .transpose()?;
        Ok((a, b, port))
    });
    let (src, dst, port) = match ends {
        Ok(x) => x,
        Err(e) => {
            eprintln!("plimsoll: error: {e}");
            return Ok(2);
        }
    };
    let r = model.reach(src, dst, port);
    match args.format {
        WhoCanFormat::Json => {
            let v = json!({
                "from": label(&index, &model, src),
                "to": label(&index, &model, dst),
                "port": port.map(|(p, n)| json!({"protocol": p.as_str(), "port": n})),
                "allowed": r.allowed,
                "ports": ports_json(&r.ports),
                "egress": direction_json(&model, &r.egress, port),
                "ingress": direction_json(&model, &r.ingress, port),
            });
            println!("{}", serde_json::to_string_pretty(&v).expect("json"));
        }
        WhoCanFormat::Text => {
            let what = match port {
                Some((p, n)) => format!("port {n}/{}", p.as_str()),
                None => "any port".to_string(),
            };
            let verdict = if r.allowed { "ALLOWED" } else { "DENIED" };
            let mut s = format!(
                "{verdict}: {} -> {} on {what}",
                label(&index, &model, src),
                label(&index, &model, dst)
            );
            if r.allowed && port.is_none() {
                let _ = write!(s, " (open: {})", r.ports);
            }
            s.push('\n');
            s.push_str(&direction_text(&model, "egress", &r.egress, port));
            s.push_str(&direction_text(&model, "ingress", &r.ingress, port));
            print!("{s}");
        }
    }
    Ok(0)
}
