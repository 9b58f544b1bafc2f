//! Trimming objects to what is read of them.

use plimsoll_yaml::{Data, Entry, Node, Scalar};

/// Removes an annotation and returns its text.
pub fn take_annotation(root: &mut Node, key: &str) -> Option<String> {
    let meta = map_mut(root, "metadata")?;
    let ann = map_mut(meta, "annotations")?;
    let Data::Map(entries) = &mut ann.data else {
        return None;
    };
    let i = entries.iter().position(|e| e.key == key)?;
    let e = entries.remove(i);
    e.value.as_text().map(str::to_string)
}

fn map_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.data {
        Data::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

/// Replaces the values of a Secret's `data` and `stringData` with empty strings: the
/// keys are what reference checks need, and a secret value is never kept.
pub fn drop_secret_values(root: &mut Node) {
    for field in ["data", "stringData"] {
        if let Some(node) = map_mut(root, field)
            && let Data::Map(entries) = &mut node.data
        {
            for e in entries.iter_mut() {
                if let Data::Scalar(s) = &mut e.value.data {
                    *s = Scalar {
                        text: Default::default(),
                        style: plimsoll_yaml::Style::DoubleQuoted,
                        tag: None,
                    };
                }
            }
        }
    }
}

/// The uid of the object's controlling owner.
pub fn controller_uid(root: &Node) -> Option<String> {
    root.at(&["metadata", "ownerReferences"])?
        .items()
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))?
        .get("uid")?
        .as_text()
        .map(str::to_string)
}

// Every trimmed list is shrunk: `collect` reuses the allocation of the list it came
// from, and a slim object must not keep the capacity of the full one.

/// A mapping node with its entries replaced by `f(entries)`; other nodes as they are.
fn with_entries(node: Node, f: impl FnOnce(Vec<Entry>) -> Vec<Entry>) -> Node {
    let data = match node.data {
        Data::Map(entries) => {
            let mut kept = f(entries);
            kept.shrink_to_fit();
            Data::Map(kept)
        }
        other => other,
    };
    Node {
        span: node.span,
        data,
    }
}

/// A sequence node with its items replaced by `f(items)`; other nodes as they are.
fn with_items(node: Node, f: impl FnOnce(Vec<Node>) -> Vec<Node>) -> Node {
    let data = match node.data {
        Data::Seq(items) => {
            let mut kept = f(items);
            kept.shrink_to_fit();
            Data::Seq(kept)
        }
        other => other,
    };
    Node {
        span: node.span,
        data,
    }
}

fn keep(node: Node, keys: &[&str]) -> Node {
    with_entries(node, |entries| {
        entries
            .into_iter()
            .filter(|e| keys.contains(&e.key.as_str()))
            .collect()
    })
}

fn map_entries(node: Node, f: impl Fn(Entry) -> Option<Entry>) -> Node {
    with_entries(node, |entries| entries.into_iter().filter_map(f).collect())
}

fn map_items(node: Node, f: impl Fn(Node) -> Node) -> Node {
    with_items(node, |items| items.into_iter().map(f).collect())
}

const META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "labels",
    "ownerReferences",
    "creationTimestamp",
    "deletionTimestamp",
    "generation",
];
const CONTAINER: &[&str] = &["name", "image", "resources", "restartPolicy"];
const POD_STATUS: &[&str] = &[
    "phase",
    "reason",
    "message",
    "startTime",
    "conditions",
    "containerStatuses",
    "initContainerStatuses",
];
const CONDITION: &[&str] = &["type", "status", "reason", "message", "lastTransitionTime"];
/// The pod conditions rules read (scheduling and readiness).
const POD_CONDITIONS: &[&str] = &["PodScheduled", "Ready"];
const CONTAINER_STATUS: &[&str] = &[
    "name",
    "ready",
    "started",
    "restartCount",
    "state",
    "lastState",
];

/// A Pod's status as the live rules read it: phase, conditions and the state of each
/// container. Addresses, image digests, container ids and the resources and volume
/// mounts the kubelet reports are dropped.
fn slim_pod_status(status: Node) -> Node {
    map_entries(keep(status, POD_STATUS), |e| {
        let value = match e.key.as_str() {
            "conditions" => with_items(e.value, |conds| {
                conds
                    .into_iter()
                    .filter(|c| {
                        c.get("type")
                            .and_then(Node::as_text)
                            .is_some_and(|t| POD_CONDITIONS.contains(&t))
                    })
                    .map(|c| keep(c, CONDITION))
                    .collect()
            }),
            "containerStatuses" | "initContainerStatuses" => {
                map_items(e.value, |c| keep(c, CONTAINER_STATUS))
            }
            _ => e.value,
        };
        Some(Entry { value, ..e })
    })
}

/// A Node without the list of images it holds (often hundreds of names and digests, read
/// by no rule).
pub fn slim_node(root: Node) -> Node {
    map_entries(root, |e| {
        if e.key != "status" {
            return Some(e);
        }
        let value = map_entries(e.value, |s| (s.key != "images").then_some(s));
        Some(Entry { value, ..e })
    })
}

/// The slim form of an object whose controller is loaded: identity, labels, owners,
/// the node and container resources of a Pod, replicas and selector of others, and the
/// whole status.
pub fn slim(root: Node, kind: &str) -> Node {
    let is_pod = kind == "Pod";
    map_entries(root, |e| {
        let value = match e.key.as_str() {
            "status" if is_pod => slim_pod_status(e.value),
            "apiVersion" | "kind" | "status" => e.value,
            "metadata" => keep(e.value, META),
            "spec" if is_pod => map_entries(e.value, |s| match s.key.as_str() {
                "nodeName" | "priorityClassName" => Some(s),
                "containers" | "initContainers" => Some(Entry {
                    value: map_items(s.value, |c| keep(c, CONTAINER)),
                    ..s
                }),
                _ => None,
            }),
            "spec" => keep(
                e.value,
                &["replicas", "selector", "parallelism", "completions"],
            ),
            _ => return None,
        };
        Some(Entry { value, ..e })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_yaml::node_from_json;

    #[test]
    fn slim_pod_keeps_what_live_rules_read() {
        let pod = node_from_json(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"n","labels":{"app":"x"},
              "annotations":{"big":"x"},"ownerReferences":[{"kind":"ReplicaSet","name":"r","uid":"u1","controller":true}]},
              "spec":{"nodeName":"n1","volumes":[{"name":"v"}],"containers":[{"name":"c","image":"i","env":[{"name":"E"}],
              "resources":{"limits":{"memory":"1Gi"}}}]},
              "status":{"phase":"Running","podIP":"10.0.0.1","conditions":[{"type":"Initialized","status":"True"},
                {"type":"Ready","status":"False","reason":"ContainersNotReady","lastProbeTime":null}],
                "containerStatuses":[{"name":"c","restartCount":3,"imageID":"x","volumeMounts":[{"name":"v"}]}]}}"#,
        )
        .unwrap();
        assert_eq!(controller_uid(&pod).as_deref(), Some("u1"));
        let s = slim(pod, "Pod");
        assert!(s.at(&["metadata", "annotations"]).is_none());
        assert!(s.at(&["spec", "volumes"]).is_none());
        assert_eq!(s.at(&["spec", "nodeName"]).unwrap().as_text(), Some("n1"));
        let c = &s.at(&["spec", "containers"]).unwrap().items()[0];
        assert!(c.get("env").is_none());
        assert!(c.at(&["resources", "limits", "memory"]).is_some());
        assert_eq!(
            s.at(&["status", "containerStatuses"]).unwrap().items()[0]
                .get("restartCount")
                .unwrap()
                .as_i64(),
            Some(3)
        );
        assert_eq!(
            s.at(&["metadata", "labels", "app"]).unwrap().as_text(),
            Some("x")
        );
        // only the conditions rules read, only the fields they read
        let conds = s.at(&["status", "conditions"]).unwrap().items();
        assert_eq!(conds.len(), 1);
        assert_eq!(
            conds[0].get("reason").unwrap().as_text(),
            Some("ContainersNotReady")
        );
        assert!(conds[0].get("lastProbeTime").is_none());
        assert!(s.at(&["status", "podIP"]).is_none());
        let cs = &s.at(&["status", "containerStatuses"]).unwrap().items()[0];
        assert!(cs.get("imageID").is_none() && cs.get("volumeMounts").is_none());
    }

    #[test]
    fn nodes_drop_their_image_list() {
        let n = node_from_json(
            r#"{"kind":"Node","status":{"images":[{"names":["a"]}],"capacity":{"cpu":"4"}}}"#,
        )
        .unwrap();
        let n = slim_node(n);
        assert!(n.at(&["status", "images"]).is_none());
        assert!(n.at(&["status", "capacity", "cpu"]).is_some());
    }

    #[test]
    fn secret_values_are_dropped_and_annotations_taken() {
        let mut s = node_from_json(
            r#"{"kind":"Secret","metadata":{"annotations":{"k":"v","o":"p"}},"data":{"password":"aHVudGVyMg=="}}"#,
        )
        .unwrap();
        drop_secret_values(&mut s);
        assert_eq!(s.at(&["data", "password"]).unwrap().as_text(), Some(""));
        assert_eq!(take_annotation(&mut s, "k").as_deref(), Some("v"));
        assert!(s.at(&["metadata", "annotations", "k"]).is_none());
        assert!(s.at(&["metadata", "annotations", "o"]).is_some());
    }
}
