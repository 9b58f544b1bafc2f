//! Shared walking of object trees for the YML rules.

use std::collections::HashSet;

use plimsoll_model::{Node, Object, PodTemplate, Pointer};
use plimsoll_yaml::{Data, Resolved, Scalar, Segment, Style};

/// A value that Kubernetes decodes into a Go `string` (labels, annotations, ConfigMap
/// and Secret data, env values, args, command), with a description for messages.
pub struct StringField<'a> {
    pub path: Pointer,
    pub node: &'a Node,
    /// `label `version``, `env `PORT` value of container `api``, ...
    pub what: String,
}

/// Which values [`string_fields`] returns (their path and description are built only
/// for those).
type Keep<'k> = &'k dyn Fn(&Node) -> bool;

/// The entries of a mapping `keep` accepts, described as `{whose}{noun} `key``.
fn map_fields<'a>(
    out: &mut Vec<StringField<'a>>,
    keep: Keep,
    node: Option<&'a Node>,
    base: Pointer,
    (whose, noun): (&str, &str),
) {
    for e in node.map(Node::entries).unwrap_or_default() {
        if keep(&e.value) {
            out.push(StringField {
                path: base.key(&e.key),
                node: &e.value,
                what: format!("{whose}{noun} `{}`", e.key),
            });
        }
    }
}

fn meta_fields<'a>(
    out: &mut Vec<StringField<'a>>,
    keep: Keep,
    meta: Option<&'a Node>,
    base: Pointer,
    whose: &str,
) {
    let Some(meta) = meta else { return };
    for (key, noun) in [("labels", "label"), ("annotations", "annotation")] {
        map_fields(out, keep, meta.get(key), base.key(key), (whose, noun));
    }
}

/// Every string-typed value of an object that YML003 judges, of those `keep` accepts.
pub fn string_fields<'a>(obj: &'a Object, keep: Keep) -> Vec<StringField<'a>> {
    let mut out = Vec::new();
    let root = Pointer::root();
    meta_fields(&mut out, keep, obj.metadata(), root.key("metadata"), "");
    let data_keys: &[(&str, &str)] = match (obj.group(), obj.kind.as_str()) {
        ("", "ConfigMap") => &[
            ("data", "ConfigMap key"),
            ("binaryData", "ConfigMap binaryData key"),
        ],
        ("", "Secret") => &[
            ("data", "Secret key"),
            ("stringData", "Secret stringData key"),
        ],
        _ => &[],
    };
    for (key, noun) in data_keys {
        map_fields(&mut out, keep, obj.root.get(key), root.key(key), ("", noun));
    }
    if obj.group() == "batch" && obj.kind == "CronJob" {
        meta_fields(
            &mut out,
            keep,
            obj.root.at(&["spec", "jobTemplate", "metadata"]),
            root.keys(&["spec", "jobTemplate", "metadata"]),
            "job template ",
        );
    }
    let Some(t) = PodTemplate::of(obj) else {
        return out;
    };
    if !t.is_pod() {
        meta_fields(
            &mut out,
            keep,
            t.metadata(),
            t.meta_pointer(&[]),
            "pod template ",
        );
    }
    for c in t.containers() {
        for (i, env) in c.env().iter().enumerate() {
            if let Some(v) = env.get("value").filter(|v| keep(v)) {
                let name = env.get("name").and_then(Node::as_text).unwrap_or("?");
                out.push(StringField {
                    path: c.field_pointer(&["env"]).index(i).key("value"),
                    node: v,
                    what: format!("env `{name}` of container `{}`", c.name),
                });
            }
        }
        for key in ["command", "args"] {
            for (i, item) in c
                .get(key)
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter(|(_, item)| keep(item))
            {
                out.push(StringField {
                    path: c.field_pointer(&[key]).index(i),
                    node: item,
                    what: format!("`{key}[{i}]` of container `{}`", c.name),
                });
            }
        }
    }
    out
}

/// The pointers of [`string_fields`], for rules that leave those places to YML003.
pub fn string_field_paths(obj: &Object) -> HashSet<Pointer> {
    string_fields(obj, &|_| true)
        .into_iter()
        .map(|f| f.path)
        .collect()
}

/// A plain, untagged scalar: the only kind whose meaning depends on the YAML version.
pub fn plain(node: &Node) -> Option<&Scalar> {
    node.scalar()
        .filter(|s| s.style == Style::Plain && s.tag.is_none())
}

/// Whether any plain, untagged scalar value of the tree satisfies `pred`: a walk that
/// builds no pointers, for rules whose findings are rare to find out cheaply that an
/// object has none.
pub fn any_plain(node: &Node, pred: impl Fn(&Scalar) -> bool) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &n.data {
            Data::Scalar(_) => {
                if plain(n).is_some_and(&pred) {
                    return true;
                }
            }
            Data::Seq(items) => stack.extend(items),
            Data::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
        }
    }
    false
}

/// Calls `f` with every scalar of the tree outside `skip`, with its pointer.
pub fn walk_scalars<'a>(
    node: &'a Node,
    path: &Pointer,
    skip: &HashSet<Pointer>,
    f: &mut dyn FnMut(&Pointer, &'a Node, &'a Scalar),
) {
    if skip.contains(path) {
        return;
    }
    match &node.data {
        Data::Scalar(s) => f(path, node, s),
        Data::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                walk_scalars(n, &path.index(i), skip, f);
            }
        }
        Data::Map(entries) => {
            for e in entries {
                walk_scalars(&e.value, &path.key(&e.key), skip, f);
            }
        }
    }
}

/// How a pointer names its value in a message: `readOnly`, `args[0]`.
pub fn field_name(path: &Pointer) -> String {
    match path.segments() {
        [.., Segment::Key(p), Segment::Index(i)] => format!("{p}[{i}]"),
        [.., Segment::Key(k)] => k.to_string(),
        [.., Segment::Index(i)] => format!("[{i}]"),
        [] => String::new(),
    }
}

/// What Kubernetes reads, for messages: `the boolean true`, `the number 1.1`.
pub fn describe(r: Resolved) -> String {
    match r {
        Resolved::Null => "null".to_string(),
        Resolved::Bool(b) => format!("the boolean {b}"),
        Resolved::Int(i) => format!("the number {i}"),
        Resolved::Float(x) => format!("the number {x}"),
        Resolved::Str => "a string".to_string(),
    }
}
