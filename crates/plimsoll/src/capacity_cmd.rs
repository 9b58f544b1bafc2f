//! `plimsoll capacity`: read a cluster (live, or a snapshot file) as `plimsoll drain`
//! does, group its nodes in pools (`plimsoll_model::drain::capacity`), report.

use std::fmt::Write as _;
use std::io::Write;

use plimsoll_model::drain::{Amounts, Capacity, Cluster, PoolUsage, capacity};
use serde_json::{Value, json};

use crate::check::Fatal;
use crate::cli::{CapacityArgs, CapacityFormat};
use crate::drain_cmd::read_cluster;

/// How many pods that fit nowhere the text lists (the JSON lists them all).
const TEXT_UNPLACED: usize = 50;

/// `plimsoll capacity`.
pub fn run(args: &CapacityArgs) -> Result<i32, Fatal> {
    let input = read_cluster(
        &args.files,
        &args.context,
        &args.kubeconfig,
        args.no_progress,
    )?;
    let c = &input.cluster;
    let cap = capacity(c, args.pool_label.as_deref());
    let text = match args.format {
        CapacityFormat::Json => {
            let mut s =
                serde_json::to_string_pretty(&to_json(c, &cap, args, &input.source)).expect("JSON");
            s.push('\n');
            s
        }
        CapacityFormat::Text => to_text(c, &cap, args, &input.source),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(0)
}

/// The whole cluster as one pool.
fn total(cap: &Capacity) -> PoolUsage {
    let mut t = PoolUsage {
        name: Some("total".into()),
        ..PoolUsage::default()
    };
    for p in &cap.pools {
        t.nodes.extend_from_slice(&p.nodes);
        t.cordoned += p.cordoned;
        t.spot += p.spot;
        t.allocatable.add(&p.allocatable, 1);
        t.requested.add(&p.requested, 1);
        t.pods += p.pods;
    }
    t.unplaced = cap.unplaced.len();
    t
}

fn amounts_json(a: &Amounts, pods: i64) -> Value {
    json!({"cpu": a.cpu, "memory": a.memory, "pods": pods})
}

fn share_json(p: &PoolUsage) -> Value {
    let r = |x: Option<f64>| x.map_or(Value::Null, |v| json!((v * 10000.0).round() / 10000.0));
    json!({"cpu": r(p.share("cpu")), "memory": r(p.share("memory")), "pods": r(p.share("pods"))})
}

fn pool_json(p: &PoolUsage) -> Value {
    json!({
        "name": p.name,
        "label": p.label,
        "nodes": p.nodes.len(),
        "cordoned": p.cordoned,
        "spot": p.spot,
        "allocatable": amounts_json(&p.allocatable, p.allocatable.pods),
        "requested": amounts_json(&p.requested, p.pods as i64),
        "share": share_json(p),
        "fitNowhere": p.unplaced,
    })
}

fn to_json(c: &Cluster, cap: &Capacity, args: &CapacityArgs, source: &str) -> Value {
    let mut t = pool_json(&total(cap));
    if let Some(o) = t.as_object_mut() {
        o.remove("name");
        o.remove("label");
    }
    json!({
        "version": 1,
        "source": source,
        "poolLabel": args.pool_label,
        "pools": cap.pools.iter().map(pool_json).collect::<Vec<_>>(),
        "total": t,
        "pending": cap.pending,
        "placed": cap.placed,
        "fitNowhere": cap.unplaced.iter().map(|u| {
            let p = &c.pods[u.pod as usize];
            json!({
                "namespace": c.namespace(p.ns),
                "name": p.name.as_str(),
                "reason": u.reason,
                "pools": u.pools.iter().map(|&i| cap.pools[i].name.clone()).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "notes": c.notes,
    })
}

/// CPU in cores: `3.6`, `12`.
fn cores(milli: i64) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else {
        format!("{:.1}", milli as f64 / 1000.0)
    }
}

/// Memory in GiB: `14.5Gi`.
fn gib(bytes: i64) -> String {
    let g = bytes as f64 / f64::from(1u32 << 30);
    if (g - g.round()).abs() < 0.05 {
        format!("{:.0}Gi", g)
    } else {
        format!("{g:.1}Gi")
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:.0}%", v * 100.0))
}

fn row(p: &PoolUsage) -> Vec<String> {
    let mut nodes = p.nodes.len().to_string();
    let mut extra = Vec::new();
    if p.spot > 0 {
        extra.push(format!("{} spot", p.spot));
    }
    if p.cordoned > 0 {
        extra.push(format!("{} cordoned", p.cordoned));
    }
    if !extra.is_empty() {
        nodes.push_str(&format!(" ({})", extra.join(", ")));
    }
    vec![
        p.display().to_string(),
        nodes,
        format!("{}/{}", cores(p.requested.cpu), cores(p.allocatable.cpu)),
        pct(p.share("cpu")),
        format!("{}/{}", gib(p.requested.memory), gib(p.allocatable.memory)),
        pct(p.share("memory")),
        format!("{}/{}", p.pods, p.allocatable.pods),
        pct(p.share("pods")),
        p.unplaced.to_string(),
    ]
}

fn to_text(c: &Cluster, cap: &Capacity, args: &CapacityArgs, source: &str) -> String {
    let mut s = String::new();
    let labels: Vec<&str> = {
        let mut l: Vec<&str> = cap
            .pools
            .iter()
            .filter_map(|p| p.label.as_deref())
            .collect();
        l.sort_unstable();
        l.dedup();
        l
    };
    let _ = writeln!(
        s,
        "capacity of {source}: {} node(s) in {} pool(s){}",
        c.nodes.len(),
        cap.pools.len(),
        match (&args.pool_label, labels.is_empty()) {
            (Some(l), _) => format!(" by label {l}"),
            (None, true) => " (no node carries a pool label)".to_string(),
            (None, false) => format!(" by label {}", labels.join(", ")),
        }
    );
    let header: Vec<String> = [
        "POOL",
        "NODES",
        "CPU REQ/ALLOC",
        "CPU",
        "MEMORY REQ/ALLOC",
        "MEMORY",
        "PODS",
        "PODS%",
        "FIT NOWHERE",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    let mut rows = vec![header];
    rows.extend(cap.pools.iter().map(row));
    // the total's fit-nowhere count is every such pod, those no node admits included
    rows.push(row(&total(cap)));
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    s.push('\n');
    for r in &rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            // the name left-aligned, the figures right-aligned
            if i == 0 {
                let _ = write!(line, "{cell:<w$}", w = widths[i]);
            } else {
                let _ = write!(line, "{cell:>w$}", w = widths[i]);
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    if !cap.unplaced.is_empty() {
        let _ = writeln!(
            s,
            "\npending pods that fit on no node ({}):",
            cap.unplaced.len()
        );
        for u in cap.unplaced.iter().take(TEXT_UNPLACED) {
            let p = &c.pods[u.pod as usize];
            let pools: Vec<&str> = u.pools.iter().map(|&i| cap.pools[i].display()).collect();
            let _ = writeln!(
                s,
                "  {}/{}{}: {}",
                c.namespace(p.ns),
                p.name,
                if pools.is_empty() {
                    " (no node admits it)".to_string()
                } else {
                    format!(" (for {})", pools.join(", "))
                },
                u.reason
            );
        }
        if cap.unplaced.len() > TEXT_UNPLACED {
            let _ = writeln!(
                s,
                "  and {} more (--format json lists them all)",
                cap.unplaced.len() - TEXT_UNPLACED
            );
        }
    }
    for n in &c.notes {
        let _ = writeln!(s, "\nnote: {n}");
    }
    let _ = writeln!(
        s,
        "\n{} pending pod(s): {} fit on some node, {} fit nowhere",
        cap.pending,
        cap.placed,
        cap.unplaced.len()
    );
    s
}
