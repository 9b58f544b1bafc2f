//! Trimming objects to what is read of them.

use plimsoll_yaml::{CompactString, Data, Entry, Node, Scalar, Style};

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

/// Sets an annotation of an object whose `metadata.annotations` is a mapping.
pub fn put_annotation(root: &mut Node, key: &str, value: &str) {
    let Some(ann) = map_mut(root, "metadata").and_then(|m| map_mut(m, "annotations")) else {
        return;
    };
    if let Data::Map(entries) = &mut ann.data {
        entries.push(Entry {
            key: CompactString::new(key),
            key_span: Default::default(),
            value: text_node(value),
        });
    }
}

/// A string scalar, as JSON writes one.
pub fn text_node(s: &str) -> Node {
    Node {
        span: Default::default(),
        data: Data::Scalar(Scalar {
            text: CompactString::new(s),
            style: Style::DoubleQuoted,
            tag: None,
        }),
    }
}

/// Sets the value of key `key` of an object's `data` mapping, where it exists.
pub fn put_data(root: &mut Node, key: &str, value: &str) {
    if let Some(data) = map_mut(root, "data")
        && let Data::Map(entries) = &mut data.data
        && let Some(e) = entries.iter_mut().find(|e| e.key == key)
    {
        e.value = text_node(value);
    }
}

/// Keeps of `metadata.managedFields` (as [`plimsoll_yaml::NodeSeed::object_with_managers`]
/// reads it) the entries written through another apiVersion than `api_version`, and
/// removes the list when none is left.
pub fn keep_managers_besides(root: &mut Node, api_version: &str) {
    let Some(meta) = map_mut(root, "metadata") else {
        return;
    };
    let Data::Map(entries) = &mut meta.data else {
        return;
    };
    let Some(i) = entries.iter().position(|e| e.key == "managedFields") else {
        return;
    };
    if let Data::Seq(items) = &mut entries[i].value.data {
        items.retain(|m| {
            m.get("apiVersion")
                .and_then(Node::as_text)
                .is_some_and(|v| v != api_version)
        });
        if !items.is_empty() {
            return;
        }
    }
    entries.remove(i);
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
                "nodeName" | "priorityClassName" | "overhead" => Some(s),
                "containers" | "initContainers" => Some(Entry {
                    value: map_items(s.value, |c| keep(c, CONTAINER)),
                    ..s
                }),
                _ => None,
            }),
            // an Argo Rollout's `workloadRef` names the Deployment whose template it runs
            "spec" => keep(
                e.value,
                &[
                    "replicas",
                    "selector",
                    "parallelism",
                    "completions",
                    "workloadRef",
                ],
            ),
            _ => return None,
        };
        Some(Entry { value, ..e })
    })
}

/// Only `apiVersion`, `kind` and `metadata`: what an index keeps of objects whose
/// existence, labels and owners are all that is asked of them.
pub fn metadata_only(root: Node) -> Node {
    keep(root, &["apiVersion", "kind", "metadata"])
}

/// Metadata and the keys of `data` and `binaryData` with empty values: what the rules
/// that check references to a ConfigMap's keys read of it.
pub fn keys_only(root: Node) -> Node {
    map_entries(root, |e| {
        let value = match e.key.as_str() {
            "apiVersion" | "kind" | "metadata" => e.value,
            "data" | "binaryData" => map_entries(e.value, |k| {
                Some(Entry {
                    value: Node {
                        span: k.value.span,
                        data: Data::Scalar(Scalar {
                            text: CompactString::default(),
                            style: Style::DoubleQuoted,
                            tag: None,
                        }),
                    },
                    ..k
                })
            }),
            _ => return None,
        };
        Some(Entry { value, ..e })
    })
}

/// A CustomResourceDefinition without the OpenAPI schema of each version and without
/// its status: group, names, scope, versions (served, storage, subresources, printer
/// columns) and conversion stay.
pub fn definition(root: Node) -> Node {
    map_entries(root, |e| {
        let value = match e.key.as_str() {
            "status" => return None,
            "spec" => map_entries(e.value, |s| {
                let value = match s.key.as_str() {
                    "versions" => map_items(s.value, |v| {
                        map_entries(v, |f| (f.key != "schema").then_some(f))
                    }),
                    "validation" => return None,
                    _ => s.value,
                };
                Some(Entry { value, ..s })
            }),
            _ => e.value,
        };
        Some(Entry { value, ..e })
    })
}

/// A container's `restartPolicy` makes an init container a sidecar that runs beside
/// the others (its ports serve, its resources count).
const WORKLOAD_CONTAINER: &[&str] = &["name", "image", "ports", "resources", "restartPolicy"];

/// A workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) as the
/// admission webhook's cross-object rules read it: the whole metadata; the replicas,
/// selector, `serviceName` and (an Argo Rollout's) `workloadRef` of the spec and the names of its `volumeClaimTemplates`;
/// the pod template's metadata; in the pod spec the containers (name, image, ports,
/// resources, restartPolicy), the service account, `hostNetwork` and the volumes that
/// name a PersistentVolumeClaim, ConfigMap or Secret; and the replica counts of the
/// status (of a Pod, its phase). Probes, environment, security contexts and the rest of the spec are what the
/// webhook judges on the object under review, never on its neighbours (the test
/// `index_keeps_enough` holds every rule's fixture to it).
pub fn workload(root: Node, kind: &str) -> Node {
    let is_pod = kind == "Pod";
    map_entries(root, |e| {
        let value = match e.key.as_str() {
            "apiVersion" | "kind" | "metadata" => e.value,
            "spec" if is_pod => pod_spec(e.value),
            "spec" => workload_spec(e.value),
            // a Pod's phase: a finished pod no longer counts against a ResourceQuota
            "status" if is_pod => keep(e.value, &["phase"]),
            "status" => map_entries(e.value, |s| {
                (s.key == "replicas" || s.key.ends_with("Replicas")).then_some(s)
            }),
            _ => return None,
        };
        Some(Entry { value, ..e })
    })
}

/// The spec of a controller: a pod template directly, or a Job template's (CronJob).
fn workload_spec(spec: Node) -> Node {
    map_entries(spec, |e| {
        let value = match e.key.as_str() {
            "replicas" | "selector" | "serviceName" | "workloadRef" => e.value,
            // the claims a StatefulSet makes (`data-db-0`) are referred to by others
            "volumeClaimTemplates" => map_items(e.value, |t| keep(t, &["metadata"])),
            "template" => pod_template(e.value),
            "jobTemplate" => map_entries(e.value, |j| {
                let value = match j.key.as_str() {
                    "metadata" => j.value,
                    "spec" => map_entries(j.value, |js| {
                        let value = match js.key.as_str() {
                            "selector" => js.value,
                            "template" => pod_template(js.value),
                            _ => return None,
                        };
                        Some(Entry { value, ..js })
                    }),
                    _ => return None,
                };
                Some(Entry { value, ..j })
            }),
            _ => return None,
        };
        Some(Entry { value, ..e })
    })
}

fn pod_template(template: Node) -> Node {
    map_entries(template, |e| {
        let value = match e.key.as_str() {
            "metadata" => e.value,
            "spec" => pod_spec(e.value),
            _ => return None,
        };
        Some(Entry { value, ..e })
    })
}

fn pod_spec(spec: Node) -> Node {
    map_entries(spec, |e| {
        let value = match e.key.as_str() {
            // hostNetwork pods are outside every NetworkPolicy
            "serviceAccountName" | "hostNetwork" => e.value,
            "containers" | "initContainers" => map_items(e.value, |c| keep(c, WORKLOAD_CONTAINER)),
            "volumes" => with_items(e.value, |vols| {
                vols.into_iter().filter_map(volume_reference).collect()
            }),
            _ => return None,
        };
        Some(Entry { value, ..e })
    })
}

/// A volume that names an object of the namespace, reduced to that name (and whether
/// it is optional, which decides whether a missing object stops the pod); `None` for
/// the other volume types. A projected volume keeps the ConfigMaps and Secrets it names.
fn volume_reference(volume: Node) -> Option<Node> {
    let refers = |v: &Node| {
        ["persistentVolumeClaim", "configMap", "secret", "projected"]
            .iter()
            .any(|k| v.get(k).is_some())
    };
    if !refers(&volume) {
        return None;
    }
    Some(map_entries(volume, |e| {
        let value = match e.key.as_str() {
            "name" => e.value,
            "persistentVolumeClaim" => keep(e.value, &["claimName"]),
            "configMap" => keep(e.value, &["name", "optional"]),
            "secret" => keep(e.value, &["secretName", "optional"]),
            "projected" => map_entries(e.value, |p| {
                (p.key == "sources").then(|| Entry {
                    value: with_items(p.value, |sources| {
                        sources
                            .into_iter()
                            .filter(|s| s.get("configMap").is_some() || s.get("secret").is_some())
                            .map(|s| {
                                map_entries(s, |x| {
                                    matches!(x.key.as_str(), "configMap" | "secret").then(|| {
                                        Entry {
                                            value: keep(x.value, &["name", "optional"]),
                                            ..x
                                        }
                                    })
                                })
                            })
                            .collect()
                    }),
                    ..p
                })
            }),
            _ => return None,
        };
        Some(Entry { value, ..e })
    }))
}

/// What a drain simulation reads of an object (`plimsoll drain`, `plimsoll snapshot`):
/// of a Pod its identity, labels, owners, the mirror annotation, node, scheduling
/// constraints, container resources, which volumes are emptyDir, phase and readiness;
/// of a Node its labels, taints, cordon, allocatable and capacity, conditions and
/// kubelet version; of a PodDisruptionBudget everything; of a controller its identity,
/// owners, replicas, selector and status counts. Environment, commands, images and
/// every other field that may hold a secret are dropped.
pub fn for_drain(root: Node, kind: &str) -> Node {
    const POD_META: &[&str] = &[
        "name",
        "namespace",
        "uid",
        "labels",
        "ownerReferences",
        "creationTimestamp",
        "deletionTimestamp",
        "generation",
    ];
    const POD_SPEC: &[&str] = &[
        "nodeName",
        "nodeSelector",
        "affinity",
        "tolerations",
        "topologySpreadConstraints",
        "priority",
        "priorityClassName",
        "overhead",
        "resources",
        "schedulerName",
    ];
    match kind {
        "Pod" => map_entries(root, |e| {
            let value = match e.key.as_str() {
                "apiVersion" | "kind" => e.value,
                "metadata" => {
                    let mirror = e
                        .value
                        .at(&["annotations", "kubernetes.io/config.mirror"])
                        .cloned();
                    let mut m = keep(e.value, POD_META);
                    if let (Some(v), Data::Map(entries)) = (mirror, &mut m.data) {
                        entries.push(Entry {
                            key: CompactString::const_new("annotations"),
                            key_span: Default::default(),
                            value: Node {
                                span: Default::default(),
                                data: Data::Map(vec![Entry {
                                    key: CompactString::const_new("kubernetes.io/config.mirror"),
                                    key_span: Default::default(),
                                    value: v,
                                }]),
                            },
                        });
                    }
                    m
                }
                "spec" => map_entries(e.value, |s| {
                    let value = match s.key.as_str() {
                        k if POD_SPEC.contains(&k) => s.value,
                        "containers" => map_items(s.value, |c| keep(c, &["name", "resources"])),
                        "initContainers" => map_items(s.value, |c| {
                            keep(c, &["name", "resources", "restartPolicy"])
                        }),
                        // which volumes are emptyDir (kubectl's local storage check)
                        "volumes" => map_items(s.value, |v| keep(v, &["name", "emptyDir"])),
                        _ => return None,
                    };
                    Some(Entry { value, ..s })
                }),
                "status" => map_entries(keep(e.value, &["phase", "conditions"]), |s| {
                    let value = match s.key.as_str() {
                        "conditions" => map_items(s.value, |c| keep(c, &["type", "status"])),
                        _ => s.value,
                    };
                    Some(Entry { value, ..s })
                }),
                _ => return None,
            };
            Some(Entry { value, ..e })
        }),
        "Node" => map_entries(root, |e| {
            let value = match e.key.as_str() {
                "apiVersion" | "kind" => e.value,
                "metadata" => keep(e.value, &["name", "uid", "labels", "creationTimestamp"]),
                "spec" => keep(e.value, &["unschedulable", "taints", "providerID"]),
                "status" => map_entries(
                    keep(
                        e.value,
                        &["allocatable", "capacity", "conditions", "nodeInfo"],
                    ),
                    |s| {
                        let value = match s.key.as_str() {
                            "conditions" => map_items(s.value, |c| keep(c, &["type", "status"])),
                            "nodeInfo" => keep(s.value, &["kubeletVersion"]),
                            _ => s.value,
                        };
                        Some(Entry { value, ..s })
                    },
                ),
                _ => return None,
            };
            Some(Entry { value, ..e })
        }),
        "PodDisruptionBudget" => root,
        _ => map_entries(root, |e| {
            let value = match e.key.as_str() {
                "apiVersion" | "kind" | "status" => e.value,
                "metadata" => keep(e.value, META),
                "spec" => keep(
                    e.value,
                    &["replicas", "selector", "parallelism", "completions"],
                ),
                _ => return None,
            };
            Some(Entry { value, ..e })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_yaml::node_from_json;

    #[test]
    fn keys_only_keeps_the_keys_without_the_values() {
        let cm = node_from_json(
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n"},
              "data":{"mode":"a very long value","other":"x"},"binaryData":{"blob":"AAAA"},"immutable":true}"#,
        )
        .unwrap();
        let slim = keys_only(cm).to_json();
        assert_eq!(
            slim,
            serde_json::json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n"},
              "data":{"mode":"","other":""},"binaryData":{"blob":""}})
        );
    }

    #[test]
    fn a_definition_loses_its_schemas_and_status() {
        let crd = node_from_json(
            r#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
              "spec":{"group":"example.com","scope":"Namespaced","names":{"kind":"Widget","plural":"widgets"},
                "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}},
                  "subresources":{"status":{}}}]},
              "status":{"acceptedNames":{"kind":"Widget"}}}"#,
        )
        .unwrap();
        let slim = definition(crd).to_json();
        assert_eq!(
            slim["spec"]["versions"][0],
            serde_json::json!({"name":"v1","served":true,"storage":true,"subresources":{"status":{}}})
        );
        assert_eq!(slim["spec"]["names"]["plural"], "widgets");
        assert!(slim.get("status").is_none());
    }

    #[test]
    fn a_rollouts_workload_ref_is_kept() {
        let text = r#"{"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"r","namespace":"n"},
              "spec":{"replicas":3,"workloadRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"d","scaleDown":"onsuccess"},
              "strategy":{"canary":{"steps":[{"setWeight":20}]}}}}"#;
        for s in [
            slim(node_from_json(text).unwrap(), "Rollout"),
            workload(node_from_json(text).unwrap(), "Rollout"),
        ] {
            assert_eq!(
                s.at(&["spec", "workloadRef", "name"]).unwrap().as_text(),
                Some("d")
            );
            assert_eq!(
                s.at(&["spec", "workloadRef", "scaleDown"])
                    .unwrap()
                    .as_text(),
                Some("onsuccess")
            );
            assert!(s.at(&["spec", "strategy"]).is_none());
        }
    }

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
    fn workloads_keep_what_cross_object_rules_read() {
        let d = node_from_json(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"shop","annotations":{"a":"b"}},
              "spec":{"replicas":3,"selector":{"matchLabels":{"app":"api"}},"strategy":{"type":"RollingUpdate"},
                "template":{"metadata":{"labels":{"app":"api"}},"spec":{"serviceAccountName":"api","nodeSelector":{"x":"y"},
                  "containers":[{"name":"c","image":"i:1","ports":[{"containerPort":80}],"env":[{"name":"E","value":"v"}],
                    "resources":{"requests":{"cpu":"1"}},"readinessProbe":{"tcpSocket":{"port":80}}}],
                  "volumes":[{"name":"cfg","configMap":{"name":"api-config","defaultMode":420,"items":[{"key":"k","path":"p"}]}},
                    {"name":"tmp","emptyDir":{}},{"name":"data","persistentVolumeClaim":{"claimName":"api-data","readOnly":true}},
                    {"name":"tls","secret":{"secretName":"api-tls","optional":true}},
                    {"name":"all","projected":{"defaultMode":420,"sources":[{"configMap":{"name":"ca","items":[]}},
                      {"serviceAccountToken":{"path":"token"}},{"secret":{"name":"s"}}]}}]}}},
              "status":{"replicas":3,"readyReplicas":2,"conditions":[{"type":"Available"}],"observedGeneration":4}}"#,
        )
        .unwrap();
        let w = workload(d, "Deployment");
        assert_eq!(
            w.at(&["metadata", "annotations", "a"]).unwrap().as_text(),
            Some("b")
        );
        assert_eq!(w.at(&["spec", "replicas"]).unwrap().as_i64(), Some(3));
        assert!(w.at(&["spec", "selector", "matchLabels", "app"]).is_some());
        assert!(w.at(&["spec", "strategy"]).is_none());
        let pod = w.at(&["spec", "template", "spec"]).unwrap();
        assert!(
            w.at(&["spec", "template", "metadata", "labels", "app"])
                .is_some()
        );
        assert_eq!(
            pod.get("serviceAccountName").unwrap().as_text(),
            Some("api")
        );
        assert!(pod.get("nodeSelector").is_none());
        let c = &pod.get("containers").unwrap().items()[0];
        assert!(c.get("env").is_none() && c.get("readinessProbe").is_none());
        assert!(c.get("ports").is_some() && c.at(&["resources", "requests", "cpu"]).is_some());
        let vols = pod.get("volumes").unwrap().items();
        let names: Vec<&str> = vols
            .iter()
            .filter_map(|v| v.get("name")?.as_text())
            .collect();
        assert_eq!(names, ["cfg", "data", "tls", "all"]);
        assert!(vols[0].at(&["configMap", "defaultMode"]).is_none());
        assert_eq!(
            vols[0].at(&["configMap", "name"]).unwrap().as_text(),
            Some("api-config")
        );
        assert!(vols[1].at(&["persistentVolumeClaim", "readOnly"]).is_none());
        assert_eq!(
            vols[2].at(&["secret", "optional"]).unwrap().as_bool(),
            Some(true)
        );
        let sources = vols[3].at(&["projected", "sources"]).unwrap().items();
        assert_eq!(sources.len(), 2);
        assert!(sources[0].at(&["configMap", "items"]).is_none());
        assert!(vols[3].at(&["projected", "defaultMode"]).is_none());
        assert_eq!(
            w.at(&["status", "readyReplicas"]).unwrap().as_i64(),
            Some(2)
        );
        assert!(w.at(&["status", "conditions"]).is_none());
        assert!(w.at(&["status", "observedGeneration"]).is_none());
    }

    #[test]
    fn cronjobs_and_pods_keep_their_pod_spec() {
        let cj = node_from_json(
            r#"{"kind":"CronJob","spec":{"schedule":"* * * * *","jobTemplate":{"metadata":{"labels":{"a":"b"}},
              "spec":{"backoffLimit":2,"template":{"spec":{"serviceAccountName":"batch","restartPolicy":"Never",
                "containers":[{"name":"c","image":"i","command":["x"]}]}}}}}}"#,
        )
        .unwrap();
        let w = workload(cj, "CronJob");
        assert!(w.at(&["spec", "schedule"]).is_none());
        assert!(
            w.at(&["spec", "jobTemplate", "metadata", "labels"])
                .is_some()
        );
        assert!(
            w.at(&["spec", "jobTemplate", "spec", "backoffLimit"])
                .is_none()
        );
        let pod = w
            .at(&["spec", "jobTemplate", "spec", "template", "spec"])
            .unwrap();
        assert_eq!(
            pod.get("serviceAccountName").unwrap().as_text(),
            Some("batch")
        );
        assert!(pod.get("restartPolicy").is_none());
        assert!(
            pod.get("containers").unwrap().items()[0]
                .get("command")
                .is_none()
        );

        let p = node_from_json(
            r#"{"kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"n","containers":[{"name":"c","image":"i"}]},
              "status":{"phase":"Running","podIP":"10.0.0.1"}}"#,
        )
        .unwrap();
        let w = workload(p, "Pod");
        assert!(w.at(&["spec", "nodeName"]).is_none());
        assert_eq!(w.at(&["spec", "containers"]).unwrap().items().len(), 1);
        // of the status, only the phase
        assert_eq!(
            w.at(&["status", "phase"]).and_then(Node::as_text),
            Some("Running")
        );
        assert!(w.at(&["status", "podIP"]).is_none());
        let m = metadata_only(node_from_json(r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"v"}}"#).unwrap());
        assert!(m.get("data").is_none() && m.at(&["metadata", "name"]).is_some());
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
