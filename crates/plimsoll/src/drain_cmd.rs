//! `plimsoll drain` and `plimsoll snapshot`: read a cluster (live, or a snapshot file),
//! hand it to the drain model (`plimsoll_model::drain`), report.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use plimsoll_model::drain::{
    self, Cluster, ClusterBuilder, DrainOptions, Outcome, PlanOutcome, PodOutcome,
};
use plimsoll_model::{Object, SourceRef};
use plimsoll_yaml::{Data, Entry, Node, NodeSeed, Span};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

use crate::check::Fatal;
use crate::cli::{DrainArgs, DrainFormat, SnapshotArgs};

/// The kinds a drain reads from a cluster, (group, kind).
const KINDS: &[(&str, &str)] = &[
    ("", "Node"),
    ("", "Pod"),
    ("policy", "PodDisruptionBudget"),
    ("apps", "ReplicaSet"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("", "ReplicationController"),
];

/// Whether a command-line argument names an input rather than a node.
fn is_input(arg: &str) -> bool {
    arg == "-"
        || Path::new(arg).exists()
        || [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| arg.to_ascii_lowercase().ends_with(ext))
}

fn cluster_options(
    kubeconfig: &Option<PathBuf>,
    context: &Option<String>,
    progress: bool,
) -> plimsoll_cluster::Options {
    plimsoll_cluster::Options {
        kubeconfig: kubeconfig.clone(),
        context: context.clone(),
        namespace: None,
        secrets: false,
        page_size: 500,
        progress,
        progress_delay: None,
        trim: Some(plimsoll_cluster::for_drain),
    }
}

/// Reads the drain's kinds from a live cluster.
fn read_live(opts: &plimsoll_cluster::Options) -> Result<plimsoll_cluster::KindsRead, Fatal> {
    let read = plimsoll_cluster::read_kinds(opts, KINDS).map_err(|e| Fatal(e.to_string()))?;
    for u in &read.unreadable {
        if matches!(u.kind.as_str(), "Node" | "Pod" | "PodDisruptionBudget") {
            return Err(Fatal(format!(
                "{} of {} could not be read ({}): a drain cannot be simulated without them",
                u.resource, read.cluster, u.reason
            )));
        }
    }
    Ok(read)
}

/// `plimsoll snapshot`.
pub fn snapshot(args: &SnapshotArgs) -> Result<i32, Fatal> {
    let opts = cluster_options(&args.kubeconfig, &args.context, !args.no_progress);
    let read = read_live(&opts)?;
    let mut text = String::with_capacity(read.stats.bytes / 2);
    text.push_str("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{},\"items\":[\n");
    for (i, o) in read.objects.iter().enumerate() {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&o.root.to_json().to_string());
    }
    text.push_str("\n]}\n");
    if args.output.as_os_str() == "-" {
        let _ = std::io::stdout().write_all(text.as_bytes());
    } else {
        std::fs::write(&args.output, &text)
            .map_err(|e| Fatal(format!("{}: cannot write: {e}", args.output.display())))?;
    }
    let count = |k: &str| read.objects.iter().filter(|o| o.kind == k).count();
    eprintln!(
        "plimsoll: snapshot of {} (Kubernetes {}): {} nodes, {} pods, {} PodDisruptionBudgets, {} controllers{}",
        read.cluster,
        read.server_version,
        count("Node"),
        count("Pod"),
        count("PodDisruptionBudget"),
        read.objects.len() - count("Node") - count("Pod") - count("PodDisruptionBudget"),
        read.unreadable
            .iter()
            .map(|u| format!("; {} not read: {}", u.resource, u.reason))
            .collect::<String>()
    );
    Ok(0)
}

/// Every manifest file under a path (a file itself, or a directory searched
/// recursively for .yaml, .yml and .json files, in name order).
fn files_under(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Fatal> {
    if path.as_os_str() == "-" || !path.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Fatal(format!("{}: cannot read: {e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Hands each object of a JSON text (one object, a List, or several of them one after
/// the other) to `each`, items of a List as they are read.
fn json_objects(text: &str, each: &mut dyn FnMut(Node)) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_str(text);
    loop {
        TopSeed { each: &mut *each }
            .deserialize(&mut de)
            .map_err(|e| e.to_string())?;
        if de.end().is_ok() {
            return Ok(());
        }
    }
}

struct TopSeed<'a> {
    each: &'a mut dyn FnMut(Node),
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Kubernetes object or List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut had_items = false;
        while let Some(key) = map.next_key::<plimsoll_yaml::CompactString>()? {
            if key == "items" {
                had_items = true;
                map.next_value_seed(ItemsSeed {
                    each: &mut *self.each,
                })?;
            } else if key == "metadata" && had_items {
                map.next_value::<IgnoredAny>()?;
            } else {
                let value = map.next_value_seed(NodeSeed::object())?;
                entries.push(Entry {
                    key,
                    key_span: Span::default(),
                    value,
                });
            }
        }
        let is_list = had_items
            || entries
                .iter()
                .any(|e| e.key == "kind" && e.value.as_text().is_some_and(|k| k.ends_with("List")));
        if !is_list {
            (self.each)(Node {
                span: Span::default(),
                data: Data::Map(entries),
            });
        }
        Ok(())
    }
}

struct ItemsSeed<'a> {
    each: &'a mut dyn FnMut(Node),
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(n) = seq.next_element_seed(NodeSeed::object())? {
            (self.each)(n);
        }
        Ok(())
    }
}

/// Reads the objects of one file (or stdin) into the builder.
fn read_file(path: &Path, file: usize, b: &mut ClusterBuilder) -> Result<(), Fatal> {
    let name = path.display().to_string();
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Fatal(format!("stdin: cannot read: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| Fatal(format!("{name}: cannot read: {e}")))?
    };
    let add = |root: Node, doc: usize, item: Option<usize>, b: &mut ClusterBuilder| {
        if let Some(o) = Object::from_node(
            root,
            SourceRef {
                file: Some(file),
                doc,
                item,
            },
            "default",
            plimsoll_model::is_cluster_scoped,
        ) {
            b.add(&o);
        }
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let mut item = 0;
        json_objects(trimmed, &mut |n| {
            add(n, 0, Some(item), b);
            item += 1;
        })
        .map_err(|e| Fatal(format!("{name}: not a Kubernetes JSON object or List: {e}")))?;
        return Ok(());
    }
    // YAML: a `kubectl get -o yaml` List is one document of any size
    let limits = plimsoll_yaml::Limits {
        max_document_bytes: usize::MAX,
        max_documents: usize::MAX,
        ..plimsoll_yaml::Limits::default()
    };
    let stream = plimsoll_yaml::parse_stream(&text, limits);
    if let Some(e) = stream.errors.first() {
        return Err(Fatal(format!("{name}:{}:{}: {}", e.line, e.col, e.message)));
    }
    for d in stream.documents {
        let doc = d.index;
        let Some(root) = d.root else { continue };
        let is_list = root
            .get("kind")
            .and_then(Node::as_text)
            .is_some_and(|k| k.ends_with("List"))
            && root.get("items").is_some();
        if is_list {
            let Data::Map(entries) = root.data else {
                continue;
            };
            for e in entries {
                if e.key == "items"
                    && let Data::Seq(items) = e.value.data
                {
                    for (i, it) in items.into_iter().enumerate() {
                        add(it, doc, Some(i), b);
                    }
                }
            }
        } else {
            add(root, doc, None, b);
        }
    }
    Ok(())
}

/// What was read, and from where.
pub(crate) struct Input {
    pub cluster: Cluster,
    pub source: String,
}

fn read_input(args: &DrainArgs, files: &[PathBuf]) -> Result<Input, Fatal> {
    read_cluster(files, &args.context, &args.kubeconfig, args.no_progress)
}

/// Reads a cluster for the drain model: the files (snapshots, `kubectl get -o yaml`
/// output), or without files the live cluster of the kubeconfig's context.
pub(crate) fn read_cluster(
    files: &[PathBuf],
    context: &Option<String>,
    kubeconfig: &Option<PathBuf>,
    no_progress: bool,
) -> Result<Input, Fatal> {
    let mut b = ClusterBuilder::new();
    if files.is_empty() {
        let opts = cluster_options(kubeconfig, context, !no_progress);
        let read = read_live(&opts)?;
        for o in &read.objects {
            b.add(o);
        }
        let mut cluster = b.finish();
        for u in &read.unreadable {
            cluster.notes.push(format!(
                "{} could not be read ({}): pods they own count as having a controller that is not in the input",
                u.resource, u.reason
            ));
        }
        return Ok(Input {
            cluster,
            source: format!(
                "cluster {} (Kubernetes {})",
                read.cluster, read.server_version
            ),
        });
    }
    if context.is_some() || kubeconfig.is_some() {
        return Err(Fatal(
            "give either input files or --context/--kubeconfig, not both".into(),
        ));
    }
    let mut paths = Vec::new();
    for f in files {
        if f.as_os_str() != "-" && !f.exists() {
            return Err(Fatal(format!("{}: no such file or directory", f.display())));
        }
        files_under(f, &mut paths)?;
    }
    for (i, p) in paths.iter().enumerate() {
        read_file(p, i, &mut b)?;
    }
    let cluster = b.finish();
    if cluster.nodes.is_empty() {
        return Err(Fatal(format!(
            "{}: no Node objects in the input (a snapshot needs nodes: `plimsoll snapshot -o FILE` or `kubectl get nodes,pods,pdb -A -o yaml`)",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Input {
        cluster,
        source: files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The nodes asked for, by id, in order.
fn select_nodes(args: &DrainArgs, names: &[String], c: &Cluster) -> Result<Vec<u32>, Fatal> {
    let mut ids = Vec::new();
    if !names.is_empty() && args.pool.is_some() {
        return Err(Fatal("give node names or --pool, not both".into()));
    }
    for n in names {
        let Some(id) = c.node_named(n) else {
            let mut known: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
            known.sort_unstable();
            let more = known.len().saturating_sub(10);
            known.truncate(10);
            return Err(Fatal(format!(
                "node `{n}` is not in the input (it has {} node(s): {}{})",
                c.nodes.len(),
                known.join(", "),
                if more > 0 {
                    format!(", and {more} more")
                } else {
                    String::new()
                }
            )));
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if let Some((k, v)) = &args.pool {
        let mut pool: Vec<u32> = (0..c.nodes.len() as u32)
            .filter(|&i| c.nodes[i as usize].label(k) == Some(v.as_str()))
            .collect();
        pool.sort_by(|&a, &b| c.nodes[a as usize].name.cmp(&c.nodes[b as usize].name));
        if pool.is_empty() {
            return Err(Fatal(format!("--pool {k}={v}: no node has this label")));
        }
        ids = pool;
    }
    if ids.is_empty() {
        return Err(Fatal(
            "name the nodes to drain (`plimsoll drain NODE...`) or a pool (`--pool LABEL=VALUE`)"
                .into(),
        ));
    }
    Ok(ids)
}

/// `plimsoll drain`.
pub fn run(args: &DrainArgs) -> Result<i32, Fatal> {
    let mut names = Vec::new();
    let mut files = args.files.clone();
    for a in &args.args {
        if is_input(a) {
            files.push(PathBuf::from(a));
        } else {
            names.push(a.clone());
        }
    }
    let input = read_input(args, &files)?;
    let nodes = select_nodes(args, &names, &input.cluster)?;
    let opts = DrainOptions {
        force: args.force,
        delete_emptydir_data: args.delete_emptydir_data,
    };
    let notes = input.cluster.notes.clone();
    let (outcome, plan) = if args.plan {
        let p = drain::plan(input.cluster, &nodes, opts);
        (p.outcome.clone(), Some(p))
    } else {
        (drain::drain(input.cluster, &nodes, opts), None)
    };
    let ok = outcome.ok && plan.as_ref().is_none_or(|p| p.possible);
    let text = match args.format {
        DrainFormat::Json => {
            let mut v = to_json(&outcome, plan.as_ref(), &notes);
            v["ok"] = Value::Bool(ok);
            let mut s = serde_json::to_string_pretty(&v).expect("JSON");
            s.push('\n');
            s
        }
        DrainFormat::Text => to_text(&outcome, plan.as_ref(), &notes, &input.source, ok),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(if ok { 0 } else { 1 })
}

fn pod_json(p: &PodOutcome) -> Value {
    json!({
        "namespace": p.namespace,
        "name": p.name,
        "node": p.node,
        "verdict": p.verdict.as_str(),
        "pdb": p.pdb.as_ref().map(|b| {
            let mut v = json!({
                "name": b.name,
                "disruptionsAllowed": b.disruptions_allowed,
                "currentHealthy": b.current_healthy,
                "desiredHealthy": b.desired_healthy,
                "expectedPods": b.expected_pods,
            });
            if !b.others.is_empty() {
                v["others"] = json!(b.others);
            }
            v
        }),
        "reason": p.reason,
        "rescheduledTo": p.rescheduled_to,
        "httpStatus": p.http_status,
    })
}

fn to_json(o: &Outcome, plan: Option<&PlanOutcome>, notes: &[String]) -> Value {
    let mut v = json!({
        "version": 1,
        "nodes": o.nodes.iter().map(|n| json!({
            "name": n.name,
            "status": n.status.as_str(),
            "pods": n.pods,
            "evicted": n.evicted,
            "blocked": n.blocked,
            "pending": n.pending,
            "reason": n.reason,
        })).collect::<Vec<_>>(),
        "pods": o.pods.iter().map(pod_json).collect::<Vec<_>>(),
        "pending": o.pending.iter().map(|p| json!({
            "namespace": p.namespace,
            "name": p.name,
            "from": p.from,
            "reason": p.reason,
        })).collect::<Vec<_>>(),
        "ok": o.ok,
        "notes": notes,
    });
    if let Some(p) = plan {
        v["plan"] = json!({
            "possible": p.possible,
            "order": p.order,
            "blockedBy": p.blocked_by.iter().map(|(node, ns, what, why)| json!({
                "node": node,
                "namespace": ns,
                "by": what,
                "reason": why,
            })).collect::<Vec<_>>(),
        });
    }
    v
}

fn to_text(
    o: &Outcome,
    plan: Option<&PlanOutcome>,
    notes: &[String],
    source: &str,
    ok: bool,
) -> String {
    let mut s = String::new();
    match plan {
        None => {
            let _ = writeln!(
                s,
                "drain of {} node(s) from {source}; all cordoned first, then drained in order (as `kubectl drain --ignore-daemonsets` does)",
                o.nodes.len()
            );
        }
        Some(p) => {
            let _ = writeln!(
                s,
                "replacement plan for {} node(s) from {source}, one at a time",
                o.nodes.len()
            );
            if p.possible {
                let _ = writeln!(s, "order: {}", p.order.join(", "));
            } else {
                let _ = writeln!(s, "no order drains every node without a blocked step:");
                for (node, ns, what, why) in &p.blocked_by {
                    let _ = writeln!(s, "  {node}: {what} in {ns}: {why}");
                }
            }
        }
    }
    let width = o
        .pods
        .iter()
        .map(|p| p.namespace.len() + p.name.len() + 1)
        .max()
        .unwrap_or(0);
    let mut pods = o.pods.iter().peekable();
    for (step, n) in o.nodes.iter().enumerate() {
        s.push('\n');
        if plan.is_some() {
            let _ = write!(s, "step {}: ", step + 1);
        }
        let _ = writeln!(
            s,
            "node {}: {} ({} pod(s), {} evicted, {} blocked, {} pending)",
            n.name,
            n.status.as_str(),
            n.pods,
            n.evicted,
            n.blocked,
            n.pending
        );
        if let Some(r) = &n.reason {
            let _ = writeln!(s, "  {r}");
        }
        while let Some(p) = pods.next_if(|p| p.node == n.name) {
            let id = format!("{}/{}", p.namespace, p.name);
            let to = p
                .rescheduled_to
                .as_ref()
                .map(|t| format!(" -> {t}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {:<21} {id:<width$}{to}  {}",
                p.verdict.as_str(),
                p.reason
            );
        }
    }
    if !o.pending.is_empty() {
        let _ = writeln!(s, "\nwould stay Pending ({}):", o.pending.len());
        for p in &o.pending {
            let _ = writeln!(
                s,
                "  {}/{} (from {}): {}",
                p.namespace, p.name, p.from, p.reason
            );
        }
    }
    for n in notes {
        let _ = writeln!(s, "\nnote: {n}");
    }
    let count = |v: drain::Verdict| o.pods.iter().filter(|p| p.verdict == v).count();
    let _ = writeln!(
        s,
        "\n{}: {} evicted, {} blocked, {} need --force, {} need --delete-emptydir-data, {} pending",
        if ok { "ok" } else { "not ok" },
        count(drain::Verdict::Evict),
        count(drain::Verdict::Blocked),
        count(drain::Verdict::NeedsForce),
        count(drain::Verdict::NeedsDeleteEmptydir),
        o.pending.len()
    );
    s
}
