//! The report: JSON (schemas/rightsize.schema.json), a text table, a Markdown table.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::strategy::{Status, Strategy, Values, cpu_text, memory_text};
use super::workloads::Target;
use super::{HOURS_PER_MONTH, Prices, Row};

pub struct Report<'a> {
    pub strategy: Strategy,
    pub history: &'a str,
    pub step: &'a str,
    pub prometheus: &'a str,
    pub queries: &'a [String],
    pub targets: &'a [Target],
    pub rows: &'a [Row],
    pub prices: &'a Prices,
    pub cost_labels: &'a [String],
}

fn money(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn cpu_json(v: Option<f64>) -> Value {
    match v {
        Some(c) => json!((c * 1000.0).round() / 1000.0),
        None => Value::Null,
    }
}

fn memory_json(v: Option<f64>) -> Value {
    match v {
        Some(m) => json!(m.round() as i64),
        None => Value::Null,
    }
}

fn values_json(v: &Values) -> Value {
    json!({
        "cpu": {"request": cpu_json(v.cpu_request), "limit": cpu_json(v.cpu_limit)},
        "memory": {"request": memory_json(v.memory_request), "limit": memory_json(v.memory_limit)},
    })
}

/// The totals: all, by namespace, by cost-allocation label (entry, then value).
type Sums<'a> = (
    Sum,
    BTreeMap<&'a str, Sum>,
    Vec<(String, BTreeMap<String, Sum>)>,
);

/// Totals: (current, recommended, delta) monthly cost.
#[derive(Default, Clone, Copy)]
struct Sum {
    current: f64,
    recommended: f64,
}

impl Sum {
    fn add(&mut self, r: &Row) {
        if let (Some(c), Some(n)) = (r.current_cost, r.recommended_cost) {
            self.current += c;
            self.recommended += n;
        }
    }
    fn json(&self) -> Value {
        json!({
            "currentMonthlyCost": money(self.current),
            "recommendedMonthlyCost": money(self.recommended),
            "monthlyCostDelta": money(self.recommended - self.current),
        })
    }
}

impl Report<'_> {
    fn counts(&self) -> (usize, usize, usize) {
        let n = |s: Status| self.rows.iter().filter(|r| r.outcome.status == s).count();
        (
            n(Status::Ok),
            n(Status::InsufficientData),
            n(Status::NoData),
        )
    }

    fn sums(&self) -> Sums<'_> {
        let mut all = Sum::default();
        let mut by_ns: BTreeMap<&str, Sum> = BTreeMap::new();
        let mut by_label: Vec<(String, BTreeMap<String, Sum>)> = self
            .cost_labels
            .iter()
            .map(|l| (l.clone(), BTreeMap::new()))
            .collect();
        for r in self.rows {
            let t = &self.targets[r.target];
            all.add(r);
            by_ns.entry(&t.namespace).or_default().add(r);
            for (i, (_, value)) in t.cost_groups.iter().enumerate() {
                if let Some((_, m)) = by_label.get_mut(i) {
                    m.entry(value.clone()).or_default().add(r);
                }
            }
        }
        (all, by_ns, by_label)
    }

    pub fn json(&self) -> Value {
        let recs: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let t = &self.targets[r.target];
                let c = &t.containers[r.container];
                json!({
                    "namespace": t.namespace,
                    "kind": t.kind,
                    "name": t.name,
                    "container": c.name,
                    "containerKind": match c.kind {
                        plimsoll_model::ContainerKind::Init => "init",
                        plimsoll_model::ContainerKind::Sidecar => "sidecar",
                        _ => "regular",
                    },
                    "status": r.outcome.status.as_str(),
                    "dataPoints": r.points.round() as u64,
                    "pods": r.pods,
                    "confidence": r.outcome.confidence,
                    "current": values_json(&c.current),
                    "recommended": values_json(&r.outcome.recommended),
                    "reasons": r.outcome.reasons,
                    "replicas": r.replicas.map(|x| (x * 100.0).round() / 100.0),
                    "monthlyCostDelta": r.monthly_delta().map(money),
                })
            })
            .collect();
        let (ok, insufficient, none) = self.counts();
        let (all, by_ns, by_label) = self.sums();
        let mut totals = json!({
            "containers": self.rows.len(),
            "ok": ok,
            "insufficientData": insufficient,
            "noData": none,
        });
        let extend = |t: &mut Value, v: Value| {
            if let (Some(t), Value::Object(v)) = (t.as_object_mut(), v) {
                t.extend(v);
            }
        };
        extend(&mut totals, all.json());
        totals["byNamespace"] = by_ns
            .iter()
            .map(|(ns, s)| {
                let mut v = json!({"namespace": ns});
                extend(&mut v, s.json());
                v
            })
            .collect();
        totals["byCostLabel"] = by_label
            .iter()
            .flat_map(|(label, m)| {
                m.iter().map(move |(value, s)| {
                    let mut v = json!({"label": label, "value": value});
                    extend(&mut v, s.json());
                    v
                })
            })
            .collect();
        totals["prices"] = json!({
            "cpuCoreHour": self.prices.cpu,
            "memoryGiBHour": self.prices.memory,
            "hoursPerMonth": HOURS_PER_MONTH,
            "source": self.prices.source,
        });
        json!({
            "version": 1,
            "strategy": self.strategy.to_string(),
            "history": self.history,
            "step": self.step,
            "prometheus": self.prometheus,
            "queries": self.queries,
            "recommendations": recs,
            "totals": totals,
        })
    }

    /// The cells of a row: workload, container, CPU request, CPU limit, memory
    /// request, memory limit, $/month, confidence, status.
    fn cells(&self, r: &Row) -> [String; 9] {
        let t = &self.targets[r.target];
        let c = &t.containers[r.container];
        let ok = r.outcome.status == Status::Ok;
        let change = |cur: Option<f64>, rec: Option<f64>, f: fn(f64) -> String| {
            let show = |v: Option<f64>| v.map_or("-".to_string(), f);
            if !ok || cur == rec {
                show(cur)
            } else {
                format!("{} → {}", show(cur), show(rec))
            }
        };
        let cur = &c.current;
        let rec = &r.outcome.recommended;
        let container = match c.kind {
            plimsoll_model::ContainerKind::Init => format!("{} (init)", c.name),
            plimsoll_model::ContainerKind::Sidecar => format!("{} (sidecar)", c.name),
            _ => c.name.clone(),
        };
        [
            format!("{}/{}/{}", t.namespace, t.kind, t.name),
            container,
            change(cur.cpu_request, rec.cpu_request, cpu_text),
            change(cur.cpu_limit, rec.cpu_limit, cpu_text),
            change(cur.memory_request, rec.memory_request, memory_text),
            change(cur.memory_limit, rec.memory_limit, memory_text),
            r.monthly_delta().map_or("-".into(), |d| {
                format!("{}{:.2}", if d >= 0.0 { "+" } else { "" }, d)
            }),
            r.outcome
                .confidence
                .map_or("-".into(), |c| format!("{:.0}%", c * 100.0)),
            r.outcome.status.as_str().to_string(),
        ]
    }

    const HEADER: [&'static str; 9] = [
        "WORKLOAD",
        "CONTAINER",
        "CPU REQUEST",
        "CPU LIMIT",
        "MEMORY REQUEST",
        "MEMORY LIMIT",
        "$/MONTH",
        "CONFIDENCE",
        "STATUS",
    ];

    fn summary_lines(&self) -> Vec<String> {
        let (ok, insufficient, none) = self.counts();
        let (all, by_ns, by_label) = self.sums();
        let mut out = vec![format!(
            "{} containers: {ok} sized, {insufficient} with insufficient data, {none} without data (strategy {}, history {}, step {})",
            self.rows.len(),
            self.strategy,
            self.history,
            self.step
        )];
        out.push(format!(
            "requests cost ${:.2}/month now, ${:.2}/month as recommended: {}{:.2}/month",
            all.current,
            all.recommended,
            if all.recommended >= all.current {
                "+$"
            } else {
                "-$"
            },
            (all.recommended - all.current).abs()
        ));
        for (ns, s) in &by_ns {
            out.push(format!(
                "  namespace {ns}: {:+.2}/month",
                s.recommended - s.current
            ));
        }
        for (label, m) in &by_label {
            for (value, s) in m {
                out.push(format!(
                    "  {label}={value}: {:+.2}/month",
                    s.recommended - s.current
                ));
            }
        }
        out.push(format!(
            "prices: ${}/core-hour, ${}/GiB-hour, {HOURS_PER_MONTH} hours a month ({})",
            self.prices.cpu, self.prices.memory, self.prices.source
        ));
        out
    }

    pub fn text(&self) -> String {
        let rows: Vec<[String; 9]> = self.rows.iter().map(|r| self.cells(r)).collect();
        let mut widths = Self::HEADER.map(|h| h.chars().count());
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let mut l = String::new();
            for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
                if i > 0 {
                    l.push_str("  ");
                }
                l.push_str(c);
                l.push_str(&" ".repeat(w - c.chars().count()));
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&Self::HEADER.map(String::from), &mut out);
        for r in &rows {
            line(r, &mut out);
        }
        let mut notes = String::new();
        for r in self.rows {
            if r.outcome.reasons.is_empty() {
                continue;
            }
            let t = &self.targets[r.target];
            let c = &t.containers[r.container];
            for reason in &r.outcome.reasons {
                let _ = writeln!(
                    notes,
                    "  {}/{}/{} {}: {reason}",
                    t.namespace, t.kind, t.name, c.name
                );
            }
        }
        if !notes.is_empty() {
            out.push('\n');
            out.push_str(&notes);
        }
        out.push('\n');
        for l in self.summary_lines() {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| {} |", Self::HEADER.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(Self::HEADER.len()));
        for r in self.rows {
            let cells = self.cells(r).map(|c| c.replace('|', "\\|"));
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
        for r in self.rows {
            let t = &self.targets[r.target];
            let c = &t.containers[r.container];
            for reason in &r.outcome.reasons {
                let _ = writeln!(
                    out,
                    "- `{}/{}/{}` `{}`: {reason}",
                    t.namespace, t.kind, t.name, c.name
                );
            }
        }
        out.push('\n');
        for l in self.summary_lines() {
            let _ = writeln!(out, "{}", l.trim_start());
            out.push('\n');
        }
        out
    }
}
