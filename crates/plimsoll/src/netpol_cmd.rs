//! `plimsoll netpol matrix|reach`: who may connect to whom under the NetworkPolicies
//! of the input. The semantics are `plimsoll_rules::rules::net::policy`; this file
//! reads and prints.

use std::fmt::Write as _;
use std::io::Write as _;

use plimsoll_model::{ApiResources, Index};
use plimsoll_rules::rules::net::policy::{Direction, NetModel, PortSet, Proto};
use serde::Serialize;
use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde_json::{Value, json};

use crate::check::{Fatal, load_inputs};
use crate::cli::{MatrixArgs, MatrixFormat, ReachArgs, WhoCanFormat};

fn label(index: &Index, model: &NetModel, d: usize) -> String {
    let o = index.object(model.endpoints[d].id);
    format!("{}/{}/{}", model.endpoints[d].ns, o.kind, o.name)
}

/// Finds the endpoint `NS/KIND/NAME`. KIND is a kind in any case or a name kubectl
/// takes for it (`deploy`, `deployment`, `deployments.apps`, `sts`, a CRD's names).
fn find(index: &Index, model: &NetModel, spec: &str) -> Result<usize, String> {
    let parts: Vec<&str> = spec.split('/').collect();
    let [ns, kind, name] = parts[..] else {
        return Err(format!("`{spec}`: expected NAMESPACE/KIND/NAME"));
    };
    let resolved = ApiResources::of(index).resolve(kind);
    let kind_matches = |k: &str| match &resolved {
        Ok(r) => k == r.kind,
        // a kind whose CRD is not in the input
        Err(_) => k.eq_ignore_ascii_case(kind),
    };
    let id = index
        .in_namespace(ns)
        .iter()
        .copied()
        .find(|&id| {
            let o = index.object(id);
            kind_matches(&o.kind) && o.name == name
        })
        .ok_or_else(|| match &resolved {
            Err(e)
                if !index
                    .in_namespace(ns)
                    .iter()
                    .any(|&id| index.object(id).kind.eq_ignore_ascii_case(kind)) =>
            {
                format!("`{spec}`: {e}")
            }
            _ => format!("`{spec}`: no such object in the input"),
        })?;
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

/// Runs `netpol matrix`; exit 0 when answered, 2 on bad input (or when stdout
/// cannot be written).
pub fn matrix(args: &MatrixArgs) -> Result<i32, Fatal> {
    let index = match load(&args.paths, &args.namespace, &args.exclude) {
        Ok(i) => i,
        Err(code) => return Ok(code),
    };
    let model = NetModel::build(&index);
    let pairs = model.matrix();
    // the pairs grow with the square of the workloads: written as they are
    // formatted, never held as one document
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written =
        write_matrix(&mut out, args.format, &index, &model, &pairs).and_then(|()| out.flush());
    Ok(match written {
        Ok(()) => 0,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("plimsoll: cannot write the matrix to standard output: {e}");
            }
            2
        }
    })
}

fn write_matrix(
    out: &mut impl std::io::Write,
    format: MatrixFormat,
    index: &Index,
    model: &NetModel,
    pairs: &[(usize, usize, PortSet)],
) -> std::io::Result<()> {
    match format {
        MatrixFormat::Json => {
            let doc = MatrixJson {
                index,
                model,
                pairs,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        MatrixFormat::Text => {
            for (a, b, p) in pairs {
                writeln!(
                    out,
                    "{} -> {}: {p}",
                    label(index, model, *a),
                    label(index, model, *b)
                )?;
            }
            writeln!(
                out,
                "{} allowed connection{} between {} workloads under {} NetworkPolicies",
                pairs.len(),
                if pairs.len() == 1 { "" } else { "s" },
                model.endpoints.len(),
                model.policies.len()
            )?;
        }
        MatrixFormat::Dot => {
            out.write_all(b"digraph netpol {\n  rankdir=LR;\n  node [shape=box];\n")?;
            for d in 0..model.endpoints.len() {
                writeln!(out, "  \"{}\";", label(index, model, d))?;
            }
            for (a, b, p) in pairs {
                writeln!(
                    out,
                    "  \"{}\" -> \"{}\" [label=\"{p}\"];",
                    label(index, model, *a),
                    label(index, model, *b)
                )?;
            }
            out.write_all(b"}\n")?;
        }
        MatrixFormat::Svg => out.write_all(svg(index, model, pairs).as_bytes())?,
    }
    Ok(())
}

/// The JSON matrix, `{"workloads", "policies", "allowed": [{"from", "to", "ports"}]}`,
/// serialized pair by pair.
struct MatrixJson<'a> {
    index: &'a Index,
    model: &'a NetModel,
    pairs: &'a [(usize, usize, PortSet)],
}

struct AllowedJson<'a>(&'a MatrixJson<'a>);

impl Serialize for MatrixJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("workloads", &self.model.endpoints.len())?;
        map.serialize_entry("policies", &self.model.policies.len())?;
        map.serialize_entry("allowed", &AllowedJson(self))?;
        map.end()
    }
}

impl Serialize for AllowedJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut seq = s.serialize_seq(Some(m.pairs.len()))?;
        for (a, b, p) in m.pairs {
            seq.serialize_element(&json!({
                "from": label(m.index, m.model, *a),
                "to": label(m.index, m.model, *b),
                "ports": ports_json(p),
            }))?;
        }
        seq.end()
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The matrix as a picture: namespaces are columns, workloads boxes, allowed
/// connections arrows labelled with their ports (hover an arrow for its full label).
fn svg(index: &Index, model: &NetModel, pairs: &[(usize, usize, PortSet)]) -> String {
    const BOX_W: usize = 250;
    const BOX_H: usize = 30;
    const GAP_Y: usize = 16;
    const COL_GAP: usize = 230;
    const TOP: usize = 70;
    const LEFT: usize = 30;
    let mut namespaces: Vec<&str> = model.endpoints.iter().map(|e| e.ns.as_str()).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    // (column, row) of every endpoint, rows sorted by kind and name
    let mut pos = vec![(0usize, 0usize); model.endpoints.len()];
    let mut rows = vec![0usize; namespaces.len()];
    let mut order: Vec<usize> = (0..model.endpoints.len()).collect();
    order.sort_by_key(|&d| {
        let o = index.object(model.endpoints[d].id);
        (
            model.endpoints[d].ns.clone(),
            o.kind.clone(),
            o.name.clone(),
        )
    });
    for d in order {
        let col = namespaces
            .binary_search(&model.endpoints[d].ns.as_str())
            .expect("namespace listed");
        pos[d] = (col, rows[col]);
        rows[col] += 1;
    }
    let x = |col: usize| LEFT + col * (BOX_W + COL_GAP);
    let y = |row: usize| TOP + row * (BOX_H + GAP_Y);
    let width = x(namespaces.len().max(1)) - COL_GAP + LEFT;
    let height = y(rows.iter().copied().max().unwrap_or(0)) + 40;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(
        s,
        "<title>NetworkPolicy reachability: {} allowed connections between {} workloads under {} policies</title>",
        pairs.len(),
        model.endpoints.len(),
        model.policies.len()
    );
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#3465a4\"/></marker></defs>\n");
    s.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    for (col, ns) in namespaces.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"15\" font-weight=\"bold\">namespace {}</text>",
            x(col),
            TOP - 25,
            xml_escape(ns)
        );
    }
    // arrows first, so that boxes sit on top of them
    let mut from_count = vec![0usize; model.endpoints.len()];
    for (a, b, p) in pairs {
        let (ca, ra) = pos[*a];
        let (cb, rb) = pos[*b];
        let (x1, y1) = (x(ca) + BOX_W, y(ra) + BOX_H / 2);
        let (x2, y2) = if cb > ca {
            (x(cb), y(rb) + BOX_H / 2)
        } else {
            // same or an earlier column: enter from the right, bending outwards
            (x(cb) + BOX_W, y(rb) + BOX_H / 2)
        };
        let bend = if cb > ca {
            (x2 - x1) / 2
        } else {
            60 + 20 * (ra.abs_diff(rb))
        };
        let (c1, c2) = if cb > ca {
            (x1 + bend, x2 - bend)
        } else {
            (x1 + bend, x2 + bend)
        };
        let title = format!(
            "{} -> {}: {p}",
            label(index, model, *a),
            label(index, model, *b)
        );
        // the label sits on the curve near its source, where arrows from different
        // boxes are still apart (mid-curve for loops back into the same column)
        let t = if cb > ca { 0.22 } else { 0.5 };
        let bez = |p0: usize, p1: usize, p2: usize, p3: usize| {
            let u = 1.0 - t;
            u * u * u * p0 as f64
                + 3.0 * u * u * t * p1 as f64
                + 3.0 * u * t * t * p2 as f64
                + t * t * t * p3 as f64
        };
        let (lx, mut ly) = (bez(x1, c1, c2, x2), bez(y1, y1, y2, y2));
        // several arrows leaving one box: stack their labels instead of overprinting
        ly += 13.0 * from_count[*a] as f64 * if y2 >= y1 { 1.0 } else { -1.0 };
        from_count[*a] += 1;
        let _ = writeln!(
            s,
            "<g><title>{}</title><path d=\"M {x1} {y1} C {c1} {y1}, {c2} {y2}, {x2} {y2}\" fill=\"none\" stroke=\"#3465a4\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/><text x=\"{:.0}\" y=\"{:.0}\" fill=\"#204a87\" font-size=\"11\" paint-order=\"stroke\" stroke=\"white\" stroke-width=\"3\">{}</text></g>",
            xml_escape(&title),
            lx + 4.0,
            ly - 5.0,
            xml_escape(&p.to_string())
        );
    }
    for (d, &(col, row)) in pos.iter().enumerate() {
        let o = index.object(model.endpoints[d].id);
        let _ = writeln!(
            s,
            "<g><rect x=\"{}\" y=\"{}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"5\" fill=\"#eef3fa\" stroke=\"#729fcf\"/><text x=\"{}\" y=\"{}\">{} <tspan font-weight=\"bold\">{}</tspan></text></g>",
            x(col),
            y(row),
            x(col) + 8,
            y(row) + 19,
            xml_escape(&o.kind),
            xml_escape(&o.name)
        );
    }
    s.push_str("</svg>\n");
    s
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
    // one pair needs only the policies of the two namespaces: no selections
    let model = NetModel::build_for_pairs(&index);
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
    let code = if args.exit_code && !r.allowed { 1 } else { 0 };
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
    Ok(code)
}
