//! Pod specs and templates: `SetDefaults_PodSpec`, `SetDefaults_Container`,
//! `SetDefaults_Volume` and the generated per-field defaults of
//! `pkg/apis/core/v1/zz_generated.defaults.go`, and `SetDefaults_Pod` with the Pod
//! strategy's `PrepareForCreate` for Pods themselves.

use serde_json::{Map, Value, json};

use super::quantity;
use super::{default_ptr, default_zero, is_zero, items_mut, obj_at, obj_mut, str_of};

/// The defaults of a pod template (`spec.template` of a workload): its pod spec.
pub(super) fn template(template: &mut Map<String, Value>, minor: u32) {
    // an ObjectMeta without omitempty: an empty one is written `{}`
    obj_at(template, "metadata");
    pod_spec(obj_at(template, "spec"), minor);
}

/// `SetDefaults_PodSpec` and the defaults of everything a pod spec holds.
pub(super) fn pod_spec(spec: &mut Map<String, Value>, minor: u32) {
    // DeprecatedServiceAccount mirrors ServiceAccountName (which wins)
    let sa = if is_zero(spec, "serviceAccountName") {
        str_of(spec, "serviceAccount").to_string()
    } else {
        str_of(spec, "serviceAccountName").to_string()
    };
    if sa.is_empty() {
        spec.remove("serviceAccount");
        spec.remove("serviceAccountName");
    } else {
        spec.insert("serviceAccountName".into(), json!(sa));
        spec.insert("serviceAccount".into(), json!(sa));
    }
    // explicit zero values of omitempty fields are not written back: false flags,
    // empty lists (the containers are required), empty maps
    spec.retain(|k, v| match v {
        Value::Bool(false) => !["hostNetwork", "hostPID", "hostIPC"].contains(&k.as_str()),
        Value::Array(a) => !a.is_empty() || k == "containers",
        Value::Object(m) => !m.is_empty() || !["nodeSelector", "overhead"].contains(&k.as_str()),
        _ => true,
    });
    default_zero(spec, "dnsPolicy", json!("ClusterFirst"));
    default_zero(spec, "restartPolicy", json!("Always"));
    default_ptr(spec, "securityContext", json!({}));
    default_ptr(spec, "terminationGracePeriodSeconds", json!(30));
    default_zero(spec, "schedulerName", json!("default-scheduler"));

    for v in items_mut(spec, "volumes") {
        volume(v, minor);
    }
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in items_mut(spec, key) {
            container(c, minor);
        }
    }
    quantity::resource_list(spec.get_mut("overhead"));
    if let Some(r) = obj_mut(spec, "resources") {
        quantity::resource_list(r.get_mut("limits"));
        quantity::resource_list(r.get_mut("requests"));
    }
}

/// The tag `ParseImageName` finds: the tag when there is one; "" for a digest without
/// a tag or a reference that does not parse; `latest` when there is neither.
fn image_tag(image: &str) -> &str {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    // docker references: the path is lower-case (a domain, the first part, may not be)
    let path = match repo.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => rest,
        _ => repo,
    };
    let valid_path = !path.is_empty()
        && path.split('/').all(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        });
    let valid_tag = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && t.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if !valid_path || !valid_tag {
        return "";
    }
    match (tag, digest) {
        (Some(t), _) => t,
        (None, Some(_)) => "",
        (None, None) => "latest",
    }
}

/// The pull policy an image gets by default.
fn pull_policy(image: &str) -> &'static str {
    if image_tag(image) == "latest" {
        "Always"
    } else {
        "IfNotPresent"
    }
}

fn volume(v: &mut Map<String, Value>, minor: u32) {
    // a volume without a source is an emptyDir
    if !v.iter().any(|(k, x)| k != "name" && !x.is_null()) {
        v.insert("emptyDir".into(), json!({}));
    }
    if minor >= 35
        && let Some(image) = obj_mut(v, "image")
        && is_zero(image, "pullPolicy")
    {
        let p = pull_policy(str_of(image, "reference"));
        image.insert("pullPolicy".into(), json!(p));
    }
    if let Some(h) = obj_mut(v, "hostPath") {
        default_ptr(h, "type", json!(""));
    }
    for key in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(s) = obj_mut(v, key) {
            default_ptr(s, "defaultMode", json!(420));
        }
    }
    if let Some(d) = obj_mut(v, "downwardAPI") {
        for item in items_mut(d, "items") {
            field_ref(item);
        }
    }
    if let Some(p) = obj_mut(v, "projected") {
        for source in items_mut(p, "sources") {
            if let Some(d) = obj_mut(source, "downwardAPI") {
                for item in items_mut(d, "items") {
                    field_ref(item);
                }
            }
            if let Some(t) = obj_mut(source, "serviceAccountToken") {
                default_ptr(t, "expirationSeconds", json!(3600));
            }
        }
    }
    if let Some(e) = obj_mut(v, "emptyDir")
        && let Some(q) = e.get_mut("sizeLimit")
    {
        quantity::rewrite(q, false);
    }
    if let Some(i) = obj_mut(v, "iscsi") {
        default_zero(i, "iscsiInterface", json!("default"));
    }
    if let Some(r) = obj_mut(v, "rbd") {
        default_zero(r, "pool", json!("rbd"));
        default_zero(r, "user", json!("admin"));
        default_zero(r, "keyring", json!("/etc/ceph/keyring"));
    }
    if let Some(a) = obj_mut(v, "azureDisk") {
        default_ptr(a, "cachingMode", json!("ReadWrite"));
        default_ptr(a, "fsType", json!("ext4"));
        default_ptr(a, "readOnly", json!(false));
        default_ptr(a, "kind", json!("Shared"));
    }
    if let Some(s) = obj_mut(v, "scaleIO") {
        default_zero(s, "storageMode", json!("ThinProvisioned"));
        default_zero(s, "fsType", json!("xfs"));
    }
    if let Some(e) = obj_mut(v, "ephemeral")
        && let Some(t) = obj_mut(e, "volumeClaimTemplate")
    {
        obj_at(t, "metadata");
        pvc_spec(obj_at(t, "spec"));
    }
}

/// `fieldRef.apiVersion` of a downward API item or an env var's `valueFrom`.
fn field_ref(item: &mut Map<String, Value>) {
    if let Some(f) = obj_mut(item, "fieldRef") {
        default_zero(f, "apiVersion", json!("v1"));
    }
}

/// `SetDefaults_PersistentVolumeClaimSpec` and its resource lists.
pub(super) fn pvc_spec(spec: &mut Map<String, Value>) {
    default_ptr(spec, "volumeMode", json!("Filesystem"));
    if let Some(r) = obj_mut(spec, "resources") {
        quantity::resource_list(r.get_mut("limits"));
        quantity::resource_list(r.get_mut("requests"));
    }
}

fn container(c: &mut Map<String, Value>, minor: u32) {
    c.retain(|k, v| match v {
        Value::Bool(false) => !["stdin", "stdinOnce", "tty"].contains(&k.as_str()),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    });
    if let Some(r) = obj_mut(c, "resources") {
        r.retain(|_, v| {
            !(v.as_object().is_some_and(|m| m.is_empty())
                || v.as_array().is_some_and(|a| a.is_empty()))
        });
    }
    for m in items_mut(c, "volumeMounts") {
        if m.get("readOnly") == Some(&json!(false)) {
            m.remove("readOnly");
        }
    }
    // a struct without omitempty: written `{}` when empty
    obj_at(c, "resources");
    if is_zero(c, "imagePullPolicy") {
        let p = pull_policy(str_of(c, "image"));
        c.insert("imagePullPolicy".into(), json!(p));
    }
    default_zero(c, "terminationMessagePath", json!("/dev/termination-log"));
    default_zero(c, "terminationMessagePolicy", json!("File"));
    for p in items_mut(c, "ports") {
        default_zero(p, "protocol", json!("TCP"));
    }
    for e in items_mut(c, "env") {
        if let Some(from) = obj_mut(e, "valueFrom") {
            field_ref(from);
            if minor >= 35
                && let Some(f) = obj_mut(from, "fileKeyRef")
            {
                default_ptr(f, "optional", json!(false));
            }
            if let Some(r) = obj_mut(from, "resourceFieldRef")
                && let Some(d) = r.get_mut("divisor")
            {
                quantity::rewrite(d, false);
            }
        }
    }
    if let Some(r) = obj_mut(c, "resources") {
        quantity::resource_list(r.get_mut("limits"));
        quantity::resource_list(r.get_mut("requests"));
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = obj_mut(c, key) {
            default_zero(p, "timeoutSeconds", json!(1));
            default_zero(p, "periodSeconds", json!(10));
            default_zero(p, "successThreshold", json!(1));
            default_zero(p, "failureThreshold", json!(3));
            if let Some(h) = obj_mut(p, "httpGet") {
                http_get(h);
            }
            if let Some(g) = obj_mut(p, "grpc") {
                default_ptr(g, "service", json!(""));
            }
        }
    }
    if let Some(l) = obj_mut(c, "lifecycle") {
        for key in ["postStart", "preStop"] {
            if let Some(h) = obj_mut(l, key).and_then(|x| obj_mut(x, "httpGet")) {
                http_get(h);
            }
        }
    }
}

fn http_get(h: &mut Map<String, Value>) {
    default_zero(h, "path", json!("/"));
    default_zero(h, "scheme", json!("HTTP"));
}

/// A Pod: `SetDefaults_Pod`, its spec, and the strategy's `PrepareForCreate`
/// (`generation`, `status.phase`, `status.qosClass`).
pub(super) fn pod(obj: &mut Map<String, Value>, minor: u32) {
    let spec = obj_at(obj, "spec");
    if spec
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|t| t < 0)
    {
        spec.insert("terminationGracePeriodSeconds".into(), json!(1));
    }
    for key in ["containers", "initContainers"] {
        for c in items_mut(spec, key) {
            let Some(r) = obj_mut(c, "resources") else {
                continue;
            };
            let Some(limits) = r.get("limits").and_then(Value::as_object).cloned() else {
                continue;
            };
            let requests = obj_at(r, "requests");
            for (k, v) in limits {
                requests.entry(k).or_insert(v);
            }
        }
    }
    default_ptr(spec, "enableServiceLinks", json!(true));
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for key in ["containers", "initContainers"] {
            for c in items_mut(spec, key) {
                for p in items_mut(c, "ports") {
                    if is_zero(p, "hostPort")
                        && let Some(cp) = p.get("containerPort").cloned()
                    {
                        p.insert("hostPort".into(), cp);
                    }
                }
            }
        }
    }
    pod_spec(spec, minor);
    if minor < 34 {
        // PodLevelResources is on by default from 1.34: before, the field is dropped
        spec.remove("resources");
    } else {
        pod_level_requests(spec);
    }
    admission_plugins(spec);
    let qos = qos_class(spec);
    let gated = !is_zero(spec, "schedulingGates");
    let mut status = json!({"phase": "Pending", "qosClass": qos});
    if gated {
        // applySchedulingGatedCondition (its lastTransitionTime is the time of the
        // create, which the server assigns)
        status["conditions"] = json!([{
            "type": "PodScheduled",
            "status": "False",
            "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
            "lastProbeTime": null,
        }]);
    }
    obj.insert("status".into(), status);
    obj_at(obj, "metadata").insert("generation".into(), json!(1));
}

/// The requests of the containers of a kind, and whether each is a sidecar.
fn requests_of(spec: &Map<String, Value>, key: &str) -> Vec<(Map<String, Value>, bool)> {
    spec.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|c| {
            let sidecar = str_of(c, "restartPolicy") == "Always";
            let requests = c
                .get("resources")
                .and_then(|r| r.get("requests"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (requests, sidecar)
        })
        .collect()
}

type Amounts = Vec<(String, quantity::Amount)>;

/// `addResourceList`: sums, in the format of the first quantity of each name.
fn add_list(into: &mut Amounts, list: &Amounts) {
    for (k, a) in list {
        match into.iter_mut().find(|(n, _)| n == k) {
            Some((_, cur)) => cur.add(a),
            None => into.push((k.clone(), *a)),
        }
    }
}

/// `maxResourceList`.
fn max_list(into: &mut Amounts, list: &Amounts) {
    for (k, a) in list {
        match into.iter_mut().find(|(n, _)| n == k) {
            Some((_, cur)) => {
                if a.greater(cur) {
                    *cur = *a;
                }
            }
            None => into.push((k.clone(), *a)),
        }
    }
}

fn amounts(list: &Map<String, Value>) -> Amounts {
    list.iter()
        .filter_map(|(k, v)| Some((k.clone(), quantity::Amount::of(v)?)))
        .collect()
}

/// `resourcehelper.AggregateContainerRequests`: the containers' requests with the
/// sidecars', or the largest init container's (with the sidecars started before it)
/// when larger.
fn aggregate_requests(spec: &Map<String, Value>) -> Amounts {
    let mut reqs = Amounts::new();
    for (r, _) in requests_of(spec, "containers") {
        add_list(&mut reqs, &amounts(&r));
    }
    let mut sidecars = Amounts::new();
    let mut init = Amounts::new();
    for (r, sidecar) in requests_of(spec, "initContainers") {
        let r = amounts(&r);
        let this = if sidecar {
            add_list(&mut reqs, &r);
            add_list(&mut sidecars, &r);
            sidecars.clone()
        } else {
            let mut tmp = r;
            add_list(&mut tmp, &sidecars);
            tmp
        };
        max_list(&mut init, &this);
    }
    max_list(&mut reqs, &init);
    reqs
}

/// `DefaultPodLevelResources` (`defaultPodRequests`): with pod-level limits, the
/// pod-level requests a pod lacks are its containers' aggregated requests (cpu and
/// memory), else its limits.
fn pod_level_requests(spec: &mut Map<String, Value>) {
    let Some(limits) = spec
        .get("resources")
        .and_then(|r| r.get("limits"))
        .and_then(Value::as_object)
        .filter(|l| !l.is_empty())
        .cloned()
    else {
        return;
    };
    let supported = |k: &str| k == "cpu" || k == "memory" || k.starts_with("hugepages-");
    let aggregated = aggregate_requests(spec);
    let r = obj_at(spec, "resources");
    let mut requests = r
        .get("requests")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, a) in aggregated {
        if !requests.contains_key(&k)
            && (k == "cpu" || k == "memory")
            && let Some(text) = a.render()
        {
            requests.insert(k, json!(text));
        }
    }
    for (k, v) in limits {
        if !requests.contains_key(&k) && supported(&k) {
            requests.insert(k, v);
        }
    }
    if !requests.is_empty() {
        r.insert("requests".into(), Value::Object(requests));
    }
}

/// The amount of a quantity in milli-units, rounded up.
fn milli(v: &Value) -> Option<i128> {
    let s = quantity::canonical(v, true)?;
    let q = s.as_str();
    let (num, mul): (&str, i128) = if let Some(n) = q.strip_suffix('m') {
        (n, 1)
    } else {
        let suffixes: [(&str, i128); 12] = [
            ("Ki", 1 << 10),
            ("Mi", 1 << 20),
            ("Gi", 1 << 30),
            ("Ti", 1 << 40),
            ("Pi", 1 << 50),
            ("Ei", 1 << 60),
            ("k", 1_000),
            ("M", 1_000_000),
            ("G", 1_000_000_000),
            ("T", 1_000_000_000_000),
            ("P", 1_000_000_000_000_000),
            ("E", 1_000_000_000_000_000_000),
        ];
        match suffixes.iter().find(|(s, _)| q.ends_with(s)) {
            Some((s, m)) => (&q[..q.len() - s.len()], m * 1000),
            None => (q, 1000),
        }
    };
    if let Some((m, e)) = num.split_once('e') {
        let m: i128 = m.parse().ok()?;
        let e: i32 = e.parse().ok()?;
        return if e >= 0 {
            Some(m * 10i128.pow(e as u32) * 1000)
        } else {
            Some(m * 1000 / 10i128.pow((-e) as u32))
        };
    }
    num.parse::<i128>().ok().map(|n| n * mul)
}

/// `qos.GetPodQOS`: the pod-level resources when set, else the containers' (init
/// containers included), for cpu and memory.
fn qos_class(spec: &Map<String, Value>) -> &'static str {
    let mut requests: Map<String, Value> = Map::new();
    let mut limits: Map<String, Value> = Map::new();
    let add = |into: &mut Map<String, Value>, name: &str, amount: i128| {
        let cur = into.get(name).and_then(Value::as_i64).unwrap_or(0);
        into.insert(name.into(), json!(cur + amount as i64));
    };
    let mut guaranteed = true;
    let supported = |n: &str| n == "cpu" || n == "memory";
    let pod_level = spec
        .get("resources")
        .and_then(Value::as_object)
        .filter(|r| !is_zero(r, "limits") || !is_zero(r, "requests"));
    let containers: Vec<&Map<String, Value>> = if let Some(r) = pod_level {
        vec![r]
    } else {
        ["initContainers", "containers"]
            .iter()
            .filter_map(|k| spec.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(|c| c.get("resources").and_then(Value::as_object))
            .collect()
    };
    let count = ["initContainers", "containers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .map(Vec::len)
        .sum::<usize>();
    if pod_level.is_none() && containers.len() < count {
        // a container without resources
        guaranteed = false;
    }
    for r in containers {
        if let Some(req) = r.get("requests").and_then(Value::as_object) {
            for (k, v) in req {
                if supported(k)
                    && let Some(m) = milli(v).filter(|m| *m > 0)
                {
                    add(&mut requests, k, m);
                }
            }
        }
        let mut found = 0;
        if let Some(lim) = r.get("limits").and_then(Value::as_object) {
            for (k, v) in lim {
                if supported(k)
                    && let Some(m) = milli(v).filter(|m| *m > 0)
                {
                    found += 1;
                    add(&mut limits, k, m);
                }
            }
        }
        if found < 2 {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        for (k, v) in &requests {
            if limits.get(k) != Some(v) {
                guaranteed = false;
                break;
            }
        }
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// The in-tree mutating admission plugins that every API server enables by default and
/// that do not depend on the cluster's objects: `Priority` (a pod without a priority
/// class gets priority 0, as in a cluster without a global default class; the built-in
/// `system-*` classes have known values; another class's value is the cluster's and is
/// left out) and `DefaultTolerationSeconds` (300 s tolerations of the `not-ready` and
/// `unreachable` NoExecute taints).
fn admission_plugins(spec: &mut Map<String, Value>) {
    let priority = match str_of(spec, "priorityClassName") {
        "" => Some(0),
        "system-cluster-critical" => Some(2_000_000_000),
        "system-node-critical" => Some(2_000_001_000),
        _ => None,
    };
    if let Some(p) = priority {
        default_ptr(spec, "priority", json!(p));
        default_ptr(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
    }
    let tolerations = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let tolerates = |taint: &str| {
        tolerations.iter().filter_map(Value::as_object).any(|t| {
            let key = str_of(t, "key");
            let effect = str_of(t, "effect");
            (key == taint || key.is_empty()) && (effect == "NoExecute" || effect.is_empty())
        })
    };
    let mut add = Vec::new();
    for taint in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerates(taint) {
            add.push(json!({"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
    if !add.is_empty() {
        let list = spec.entry("tolerations").or_insert_with(|| json!([]));
        if !list.is_array() {
            *list = json!([]);
        }
        list.as_array_mut().expect("an array").extend(add);
    }
}
