//! The defaults and `PrepareForCreate` of each built-in kind, by group and version.

use serde_json::{Map, Value, json};

use super::pod::{self, pvc_spec, template};
use super::quantity;
use super::{default_ptr, default_zero, is_unset, is_zero, items_mut, obj_at, obj_mut, str_of};

type Obj = Map<String, Value>;

pub(super) fn apply(o: &mut Obj, api_version: &str, kind: &str, minor: u32) {
    match (api_version, kind) {
        ("v1", "Pod") => pod::pod(o, minor),
        ("v1", "PodTemplate") => {
            template(obj_at(o, "template"), minor);
            generation(o);
        }
        ("v1", "ReplicationController") => replication_controller(o, minor),
        ("v1", "Service") => service(o),
        ("v1", "Secret") => secret(o),
        ("v1", "ConfigMap") | ("v1", "ServiceAccount") => {}
        ("v1", "Namespace") => namespace(o),
        ("v1", "PersistentVolumeClaim") => {
            pvc_spec(obj_at(o, "spec"));
            o.insert("status".into(), json!({}));
            finalizer(o, "kubernetes.io/pvc-protection");
        }
        ("v1", "PersistentVolume") => persistent_volume(o),
        ("v1", "ResourceQuota") => {
            if let Some(s) = obj_mut(o, "spec") {
                quantity::resource_list(s.get_mut("hard"));
            }
            o.insert("status".into(), json!({}));
        }
        ("v1", "LimitRange") => limit_range(o),
        ("v1", "Endpoints") => {
            for s in items_mut(o, "subsets") {
                for p in items_mut(s, "ports") {
                    default_zero(p, "protocol", json!("TCP"));
                }
            }
        }
        ("apps/v1", "Deployment") => deployment(o, minor),
        ("apps/v1", "ReplicaSet") => {
            let spec = obj_at(o, "spec");
            default_ptr(spec, "replicas", json!(1));
            template(obj_at(spec, "template"), minor);
            o.insert("status".into(), json!({"replicas": 0}));
            generation(o);
        }
        ("apps/v1", "StatefulSet") => stateful_set(o, minor),
        ("apps/v1", "DaemonSet") => daemon_set(o, minor),
        ("batch/v1", "Job") => job(o, minor),
        ("batch/v1", "CronJob") => cron_job(o, minor),
        ("networking.k8s.io/v1", "NetworkPolicy") => network_policy(o),
        ("networking.k8s.io/v1", "Ingress") => {
            o.insert("status".into(), json!({"loadBalancer": {}}));
            generation(o);
        }
        ("networking.k8s.io/v1", "IngressClass") => {
            if let Some(p) = obj_mut(o, "spec").and_then(|s| obj_mut(s, "parameters")) {
                default_ptr(p, "scope", json!("Cluster"));
            }
            generation(o);
        }
        ("policy/v1", "PodDisruptionBudget") => {
            o.insert(
                "status".into(),
                json!({"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}),
            );
            generation(o);
        }
        ("autoscaling/v2", "HorizontalPodAutoscaler") => hpa_v2(o, minor),
        ("autoscaling/v1", "HorizontalPodAutoscaler") => hpa_v1(o, minor),
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => {
            let r = obj_at(o, "roleRef");
            default_zero(r, "apiGroup", json!("rbac.authorization.k8s.io"));
            for s in items_mut(o, "subjects") {
                if is_zero(s, "apiGroup") && matches!(str_of(s, "kind"), "User" | "Group") {
                    s.insert("apiGroup".into(), json!("rbac.authorization.k8s.io"));
                }
            }
        }
        ("scheduling.k8s.io/v1", "PriorityClass") => {
            if o.get("globalDefault") == Some(&json!(false)) {
                o.remove("globalDefault");
            }
            default_ptr(o, "preemptionPolicy", json!("PreemptLowerPriority"));
            generation(o);
        }
        ("storage.k8s.io/v1", "StorageClass") => {
            default_ptr(o, "reclaimPolicy", json!("Delete"));
            default_ptr(o, "volumeBindingMode", json!("Immediate"));
        }
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration",
        ) => {
            let mutating = kind == "MutatingWebhookConfiguration";
            for w in items_mut(o, "webhooks") {
                webhook(w, mutating);
            }
            generation(o);
        }
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy") => {
            let spec = obj_at(o, "spec");
            default_ptr(spec, "failurePolicy", json!("Fail"));
            if let Some(m) = obj_mut(spec, "matchConstraints") {
                match_resources(m);
            }
            o.insert("status".into(), json!({}));
            generation(o);
        }
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding") => {
            if let Some(m) = obj_mut(obj_at(o, "spec"), "matchResources") {
                match_resources(m);
            }
            generation(o);
        }
        _ => {}
    }
}

/// Appends a finalizer, as the `StorageObjectInUseProtection` admission plugin does.
fn finalizer(o: &mut Obj, name: &str) {
    let list = obj_at(o, "metadata")
        .entry("finalizers")
        .or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let list = list.as_array_mut().expect("an array");
    if !list.iter().any(|f| f == name) {
        list.push(json!(name));
    }
}

/// A Secret: `type`, and `stringData` merged into `data` (the conversion to the
/// internal version does it).
fn secret(o: &mut Obj) {
    default_zero(o, "type", json!("Opaque"));
    if let Some(Value::Object(strings)) = o.remove("stringData") {
        let data = obj_at(o, "data");
        for (k, v) in strings {
            let text = v.as_str().unwrap_or_default();
            data.insert(k, json!(base64(text.as_bytes())));
        }
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `SetDefaults_ValidatingWebhook` / `SetDefaults_MutatingWebhook`, their rules and
/// service references.
fn webhook(w: &mut Obj, mutating: bool) {
    default_ptr(w, "failurePolicy", json!("Fail"));
    default_ptr(w, "matchPolicy", json!("Equivalent"));
    default_ptr(w, "namespaceSelector", json!({}));
    default_ptr(w, "objectSelector", json!({}));
    default_ptr(w, "timeoutSeconds", json!(10));
    if mutating {
        default_ptr(w, "reinvocationPolicy", json!("Never"));
    }
    for r in items_mut(w, "rules") {
        default_ptr(r, "scope", json!("*"));
    }
    if let Some(s) = obj_mut(w, "clientConfig").and_then(|c| obj_mut(c, "service")) {
        default_ptr(s, "port", json!(443));
    }
}

/// `SetDefaults_MatchResources` and its rules.
fn match_resources(m: &mut Obj) {
    default_ptr(m, "matchPolicy", json!("Equivalent"));
    default_ptr(m, "namespaceSelector", json!({}));
    default_ptr(m, "objectSelector", json!({}));
    for key in ["resourceRules", "excludeResourceRules"] {
        for r in items_mut(m, key) {
            default_ptr(r, "scope", json!("*"));
        }
    }
}

/// `metadata.generation: 1`, as the strategies that track it set it on create.
fn generation(o: &mut Obj) {
    obj_at(o, "metadata").insert("generation".into(), json!(1));
}

/// The object's `metadata.name` (empty when it has none).
fn own_name(o: &Obj) -> String {
    o.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn labels_of(m: &Obj) -> Option<&Obj> {
    m.get("metadata")?.get("labels")?.as_object()
}

fn replication_controller(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    let labels = spec
        .get("template")
        .and_then(Value::as_object)
        .and_then(labels_of)
        .cloned();
    if let Some(labels) = labels {
        if is_zero(spec, "selector") {
            spec.insert("selector".into(), Value::Object(labels.clone()));
        }
        let meta = obj_at(o, "metadata");
        if is_zero(meta, "labels") {
            meta.insert("labels".into(), Value::Object(labels));
        }
    }
    let spec = obj_at(o, "spec");
    default_ptr(spec, "replicas", json!(1));
    if let Some(t) = obj_mut(spec, "template") {
        template(t, minor);
    }
    o.insert("status".into(), json!({"replicas": 0}));
    generation(o);
}

fn deployment(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    default_ptr(spec, "replicas", json!(1));
    let strategy = obj_at(spec, "strategy");
    default_zero(strategy, "type", json!("RollingUpdate"));
    if str_of(strategy, "type") == "RollingUpdate" {
        let r = obj_at(strategy, "rollingUpdate");
        default_ptr(r, "maxUnavailable", json!("25%"));
        default_ptr(r, "maxSurge", json!("25%"));
    }
    default_ptr(spec, "revisionHistoryLimit", json!(10));
    default_ptr(spec, "progressDeadlineSeconds", json!(600));
    template(obj_at(spec, "template"), minor);
    o.insert("status".into(), json!({}));
    generation(o);
}

fn stateful_set(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    default_zero(spec, "podManagementPolicy", json!("OrderedReady"));
    let us = obj_at(spec, "updateStrategy");
    if is_zero(us, "type") {
        us.insert("type".into(), json!("RollingUpdate"));
        default_ptr(us, "rollingUpdate", json!({}));
    }
    if let Some(r) = obj_mut(us, "rollingUpdate")
        && minor < 37
    {
        // MaxUnavailableStatefulSet is on by default from 1.37: before, the field is
        // dropped on create
        r.remove("maxUnavailable");
    }
    if str_of(us, "type") == "RollingUpdate"
        && let Some(r) = obj_mut(us, "rollingUpdate")
    {
        default_ptr(r, "partition", json!(0));
        if minor >= 37 {
            default_ptr(r, "maxUnavailable", json!(1));
        }
    }
    let p = obj_at(spec, "persistentVolumeClaimRetentionPolicy");
    default_zero(p, "whenDeleted", json!("Retain"));
    default_zero(p, "whenScaled", json!("Retain"));
    default_ptr(spec, "replicas", json!(1));
    default_ptr(spec, "revisionHistoryLimit", json!(10));
    // a string without omitempty
    default_ptr(spec, "serviceName", json!(""));
    template(obj_at(spec, "template"), minor);
    for t in items_mut(spec, "volumeClaimTemplates") {
        pvc_spec(obj_at(t, "spec"));
        default_zero(t, "apiVersion", json!("v1"));
        default_zero(t, "kind", json!("PersistentVolumeClaim"));
        let status = obj_at(t, "status");
        default_zero(status, "phase", json!("Pending"));
    }
    o.insert(
        "status".into(),
        json!({"replicas": 0, "availableReplicas": 0}),
    );
    generation(o);
}

fn daemon_set(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    let us = obj_at(spec, "updateStrategy");
    default_zero(us, "type", json!("RollingUpdate"));
    if str_of(us, "type") == "RollingUpdate" {
        let r = obj_at(us, "rollingUpdate");
        default_ptr(r, "maxUnavailable", json!(1));
        default_ptr(r, "maxSurge", json!(0));
    }
    default_ptr(spec, "revisionHistoryLimit", json!(10));
    template(obj_at(spec, "template"), minor);
    o.insert(
        "status".into(),
        json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}),
    );
    // the template generation lives in an annotation in apps/v1; it is at least 1
    const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";
    let annotations = obj_at(obj_at(o, "metadata"), "annotations");
    let g = annotations
        .get(TEMPLATE_GENERATION)
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|g| *g >= 1)
        .unwrap_or(1);
    annotations.insert(TEMPLATE_GENERATION.into(), json!(g.to_string()));
    generation(o);
}

/// The `onPodConditions` patterns of a pod failure policy: `status: "True"`.
fn pod_failure_policy(spec: &mut Obj) {
    if let Some(p) = obj_mut(spec, "podFailurePolicy") {
        for r in items_mut(p, "rules") {
            for c in items_mut(r, "onPodConditions") {
                default_zero(c, "status", json!("True"));
            }
        }
    }
}

fn job(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    // fields of features off by default before a version are dropped on create:
    // JobBackoffLimitPerIndex (1.29), JobManagedBy (1.32)
    if minor < 29 {
        spec.remove("backoffLimitPerIndex");
        spec.remove("maxFailedIndexes");
    }
    if minor < 32 {
        spec.remove("managedBy");
    }
    if is_unset(spec, "completions") && is_unset(spec, "parallelism") {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    }
    default_ptr(spec, "parallelism", json!(1));
    if is_unset(spec, "backoffLimit") {
        let per_index = minor >= 29 && !is_unset(spec, "backoffLimitPerIndex");
        let limit = if per_index { i64::from(i32::MAX) } else { 6 };
        spec.insert("backoffLimit".into(), json!(limit));
    }
    let template_labels = spec
        .get("template")
        .and_then(Value::as_object)
        .and_then(labels_of)
        .cloned();
    default_ptr(spec, "completionMode", json!("NonIndexed"));
    default_ptr(spec, "suspend", json!(false));
    if minor >= 29 && is_unset(spec, "podReplacementPolicy") {
        let p = if is_unset(spec, "podFailurePolicy") {
            "TerminatingOrFailed"
        } else {
            "Failed"
        };
        spec.insert("podReplacementPolicy".into(), json!(p));
    }
    if minor >= 29 {
        default_ptr(spec, "manualSelector", json!(false));
    }
    pod_failure_policy(spec);
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    let t = obj_at(spec, "template");
    template(t, minor);
    // SetDefaults_Job gives a Job without labels its template's labels: the same Go map,
    // so that the labels PrepareForCreate adds to the template below are the Job's too
    let aliased = template_labels.is_some() && {
        let meta = obj_at(o, "metadata");
        is_zero(meta, "labels")
    };
    // PrepareForCreate: the generated selector's job-name labels on the template (the
    // controller-uid ones, and the selector, hold the uid the server assigns)
    if !manual {
        let name = own_name(o);
        let t = obj_at(obj_at(o, "spec"), "template");
        let labels = obj_at(obj_at(t, "metadata"), "labels");
        for key in ["job-name", "batch.kubernetes.io/job-name"] {
            labels.entry(key).or_insert_with(|| json!(name));
        }
    }
    if aliased {
        let labels = o
            .get("spec")
            .and_then(|s| s.get("template"))
            .and_then(Value::as_object)
            .and_then(labels_of)
            .cloned()
            .unwrap_or_default();
        obj_at(o, "metadata").insert("labels".into(), Value::Object(labels));
    }
    o.insert("status".into(), json!({}));
    generation(o);
}

fn cron_job(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    default_zero(spec, "concurrencyPolicy", json!("Allow"));
    default_ptr(spec, "suspend", json!(false));
    default_ptr(spec, "successfulJobsHistoryLimit", json!(3));
    default_ptr(spec, "failedJobsHistoryLimit", json!(1));
    let job_template = obj_at(spec, "jobTemplate");
    obj_at(job_template, "metadata");
    let job_spec = obj_at(job_template, "spec");
    pod_failure_policy(job_spec);
    template(obj_at(job_spec, "template"), minor);
    o.insert("status".into(), json!({}));
    generation(o);
}

fn service(o: &mut Obj) {
    let spec = obj_at(o, "spec");
    default_zero(spec, "sessionAffinity", json!("None"));
    match str_of(spec, "sessionAffinity") {
        "None" => {
            spec.remove("sessionAffinityConfig");
        }
        "ClientIP" => {
            let has_timeout = spec
                .get("sessionAffinityConfig")
                .and_then(|c| c.get("clientIP"))
                .and_then(|c| c.get("timeoutSeconds"))
                .is_some_and(|t| !t.is_null());
            if !has_timeout {
                spec.insert(
                    "sessionAffinityConfig".into(),
                    json!({"clientIP": {"timeoutSeconds": 10800}}),
                );
            }
        }
        _ => {}
    }
    default_zero(spec, "type", json!("ClusterIP"));
    for p in items_mut(spec, "ports") {
        default_zero(p, "protocol", json!("TCP"));
        if is_zero(p, "targetPort")
            && let Some(port) = p.get("port").cloned()
        {
            p.insert("targetPort".into(), port);
        }
    }
    let ty = str_of(spec, "type").to_string();
    let externally = ty == "LoadBalancer"
        || ty == "NodePort"
        || (ty == "ClusterIP" && !is_zero(spec, "externalIPs"));
    if externally {
        default_zero(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP") {
        default_ptr(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        default_ptr(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    // BeginCreate: the allocators of a single-stack IPv4 cluster (initIPFamilyFields);
    // the addresses and ports they allocate cannot be known and are left out
    if ty != "ExternalName" {
        let cluster_ip = str_of(spec, "clusterIP").to_string();
        if !cluster_ip.is_empty() && is_zero(spec, "clusterIPs") {
            spec.insert("clusterIPs".into(), json!([cluster_ip]));
        }
        let headless_selectorless = cluster_ip == "None" && is_zero(spec, "selector");
        if is_unset(spec, "ipFamilyPolicy") {
            let p = if headless_selectorless {
                "RequireDualStack"
            } else {
                "SingleStack"
            };
            spec.insert("ipFamilyPolicy".into(), json!(p));
        }
        let policy = str_of(spec, "ipFamilyPolicy").to_string();
        if is_zero(spec, "ipFamilies") {
            let from_ips: Vec<Value> = spec
                .get("clusterIPs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .take_while(|ip| *ip != "None")
                .map(|ip| json!(if ip.contains(':') { "IPv6" } else { "IPv4" }))
                .collect();
            let families = if from_ips.is_empty() {
                vec![json!("IPv4")]
            } else {
                from_ips
            };
            spec.insert("ipFamilies".into(), Value::Array(families));
        }
        if headless_selectorless && policy != "SingleStack" {
            let fams = spec.get_mut("ipFamilies").and_then(Value::as_array_mut);
            if let Some(f) = fams
                && f.len() == 1
            {
                let other = if f[0] == "IPv4" { "IPv6" } else { "IPv4" };
                f.push(json!(other));
            }
        }
    }
    o.insert("status".into(), json!({"loadBalancer": {}}));
}

fn namespace(o: &mut Obj) {
    let name = own_name(o);
    if !name.is_empty() {
        let labels = obj_at(obj_at(o, "metadata"), "labels");
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
    }
    let spec = obj_at(o, "spec");
    let finalizers = spec.entry("finalizers").or_insert_with(|| json!([]));
    if !finalizers.is_array() {
        *finalizers = json!([]);
    }
    let f = finalizers.as_array_mut().expect("an array");
    if !f.iter().any(|x| x == "kubernetes") {
        f.push(json!("kubernetes"));
    }
    o.insert("status".into(), json!({"phase": "Active"}));
}

fn persistent_volume(o: &mut Obj) {
    let spec = obj_at(o, "spec");
    default_zero(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
    default_ptr(spec, "volumeMode", json!("Filesystem"));
    if let Some(h) = obj_mut(spec, "hostPath") {
        default_ptr(h, "type", json!(""));
    }
    quantity::resource_list(spec.get_mut("capacity"));
    o.insert("status".into(), json!({"phase": "Pending"}));
    finalizer(o, "kubernetes.io/pv-protection");
}

fn limit_range(o: &mut Obj) {
    let Some(spec) = obj_mut(o, "spec") else {
        return;
    };
    for item in items_mut(spec, "limits") {
        for key in [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ] {
            quantity::resource_list(item.get_mut(key));
        }
        if str_of(item, "type") != "Container" {
            continue;
        }
        let max = item.get("max").and_then(Value::as_object).cloned();
        let min = item.get("min").and_then(Value::as_object).cloned();
        let default = obj_at(item, "default");
        for (k, v) in max.into_iter().flatten() {
            default.entry(k).or_insert(v);
        }
        let default = default.clone();
        let request = obj_at(item, "defaultRequest");
        for (k, v) in default.into_iter().chain(min.into_iter().flatten()) {
            request.entry(k).or_insert(v);
        }
        for key in ["default", "defaultRequest"] {
            if is_zero(item, key) {
                item.remove(key);
            }
        }
    }
}

fn network_policy(o: &mut Obj) {
    let spec = obj_at(o, "spec");
    for dir in ["ingress", "egress"] {
        for rule in items_mut(spec, dir) {
            for p in items_mut(rule, "ports") {
                default_ptr(p, "protocol", json!("TCP"));
            }
        }
    }
    if is_zero(spec, "policyTypes") {
        let mut types = vec![json!("Ingress")];
        if !is_zero(spec, "egress") {
            types.push(json!("Egress"));
        }
        spec.insert("policyTypes".into(), Value::Array(types));
    }
    generation(o);
}

/// The quantities of HPA metric targets.
fn hpa_targets(spec: &mut Obj) {
    for m in items_mut(spec, "metrics") {
        // the target of the metric's source (resource, pods, object, external...)
        for source in m.values_mut().filter_map(Value::as_object_mut) {
            if let Some(t) = obj_mut(source, "target") {
                for key in ["value", "averageValue"] {
                    if let Some(q) = t.get_mut(key) {
                        quantity::rewrite(q, false);
                    }
                }
            }
        }
    }
}

fn hpa_v2(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    default_ptr(spec, "minReplicas", json!(1));
    if is_zero(spec, "metrics") {
        spec.insert(
            "metrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
        );
    }
    hpa_targets(spec);
    if let Some(b) = obj_mut(spec, "behavior") {
        let up = obj_at(b, "scaleUp");
        default_ptr(up, "selectPolicy", json!("Max"));
        default_ptr(up, "stabilizationWindowSeconds", json!(0));
        default_ptr(
            up,
            "policies",
            json!([{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
        let down = obj_at(b, "scaleDown");
        default_ptr(down, "selectPolicy", json!("Max"));
        default_ptr(
            down,
            "policies",
            json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
        for key in ["scaleUp", "scaleDown"] {
            if let Some(t) = obj_mut(b, key).and_then(|r| r.get_mut("tolerance")) {
                quantity::rewrite(t, false);
            }
        }
    }
    o.insert(
        "status".into(),
        json!({"currentMetrics": null, "desiredReplicas": 0}),
    );
    if minor >= 37 {
        generation(o);
    }
}

fn hpa_v1(o: &mut Obj, minor: u32) {
    let spec = obj_at(o, "spec");
    default_ptr(spec, "minReplicas", json!(1));
    // stored as autoscaling/v2, whose defaulting adds the 80% CPU metric that v1
    // shows as its target
    default_ptr(spec, "targetCPUUtilizationPercentage", json!(80));
    o.insert(
        "status".into(),
        json!({"currentReplicas": 0, "desiredReplicas": 0}),
    );
    if minor >= 37 {
        generation(o);
    }
}
