//! The defaults and the create-time preparation that the API server applies to a
//! built-in object before validating admission, so that CEL sees the object as the API
//! server shows it to a ValidatingAdmissionPolicy.
//!
//! On a create, the API server decodes the request (which runs the version's
//! `SetDefaults_*` functions and the declarative `+default` markers of
//! `pkg/apis/<group>/<version>/zz_generated.defaults.go`, and converts the object to
//! the internal version: a Secret's `stringData` joins its `data`), then runs the
//! registry's `BeginCreate` (the Service allocators: `ipFamilyPolicy`, `ipFamilies`,
//! cluster IPs, node ports), then `BeforeCreate` with the strategy's `PrepareForCreate`
//! (`status` reset, `metadata.generation: 1`, a Job's generated pod labels, a Pod's
//! `phase` and `qosClass`, a Namespace's `kubernetes` finalizer), then the mutating
//! admission plugins, and only then the validating ones. [`apply`] does the same,
//! offline, for the Kubernetes version it is given:
//!
//! * **Pod templates** (Pod, PodTemplate, ReplicationController, Deployment, ReplicaSet,
//!   StatefulSet, DaemonSet, Job, CronJob): `restartPolicy`, `dnsPolicy`,
//!   `schedulerName`, `securityContext: {}`, `terminationGracePeriodSeconds`,
//!   `serviceAccount` mirrored from `serviceAccountName`, `metadata: {}`; containers
//!   (init and ephemeral too): `imagePullPolicy` (`Always` for a `:latest` tag or no
//!   tag, `IfNotPresent` for another tag, a digest alone or a reference that does not
//!   parse), `terminationMessagePath`, `terminationMessagePolicy`, `resources: {}`,
//!   ports' `protocol`, probes' `timeoutSeconds`, `periodSeconds`, `successThreshold`,
//!   `failureThreshold`, `httpGet.path` and `scheme`, `grpc.service`, `fieldRef`'s
//!   `apiVersion`, `fileKeyRef.optional` (1.35+), resource quantities rounded up to
//!   milli-units; volumes: no source is `emptyDir: {}`, `defaultMode` of secret,
//!   configMap, downwardAPI and projected volumes, `hostPath.type`, service-account
//!   token `expirationSeconds`, ephemeral claim templates' `volumeMode`, image volumes'
//!   `pullPolicy` (1.35+), and the defaults of the legacy sources (rbd, iscsi,
//!   azureDisk, scaleIO).
//! * **Pods** also get `enableServiceLinks`, requests copied from limits, `hostPort` from
//!   `containerPort` on the host network, pod-level requests from its containers' or
//!   its pod-level limits (1.34+; the field is dropped before), `metadata.generation: 1`
//!   and `status: {phase: Pending, qosClass}` (with the `SchedulingGated` condition,
//!   less its `lastTransitionTime`, when it has scheduling gates); and what the mutating
//!   admission plugins that
//!   every API server enables and that need no cluster object do: `Priority` (`priority:
//!   0` and `preemptionPolicy` without a priority class, as in a cluster without a
//!   global default class; the values of the built-in `system-*` classes) and
//!   `DefaultTolerationSeconds` (300 s tolerations of the `not-ready` and
//!   `unreachable` NoExecute taints).
//! * **Workloads**: Deployment (`replicas`, `strategy`, `revisionHistoryLimit`,
//!   `progressDeadlineSeconds`), ReplicaSet and ReplicationController (`replicas`, the
//!   latter's selector and labels from its template), StatefulSet (`replicas`,
//!   `serviceName: ""`, `podManagementPolicy`, `updateStrategy` with `partition` and,
//!   from 1.37, `maxUnavailable` (dropped before), `revisionHistoryLimit`,
//!   `persistentVolumeClaimRetentionPolicy`, claim templates' `apiVersion`, `kind`,
//!   `volumeMode` and `status.phase`), DaemonSet (`updateStrategy`,
//!   `revisionHistoryLimit`, the `deprecated.daemonset.template.generation`
//!   annotation), Job (`completions`, `parallelism`, `backoffLimit` (the int32 maximum
//!   with `backoffLimitPerIndex`, 1.29+), `completionMode`, `suspend`,
//!   `podReplacementPolicy` (1.29+), `manualSelector` (1.29+), the template's
//!   `job-name` labels, and the template's labels on a Job without labels, which share
//!   them), CronJob (`concurrencyPolicy`, `suspend`, history limits, the job
//!   template's `metadata: {}`), pod failure policies' `status: "True"`.
//! * **Services**: `type`, `sessionAffinity` (and its `ClientIP` timeout), ports'
//!   `protocol` and `targetPort`, `externalTrafficPolicy`, `internalTrafficPolicy`,
//!   `allocateLoadBalancerNodePorts`, `status.loadBalancer`, and the allocators'
//!   `ipFamilyPolicy` and `ipFamilies` as a single-stack IPv4 cluster sets them
//!   (`clusterIPs` too when `clusterIP` is given).
//! * **Others**: Secret (`type`, `stringData` merged into `data` in base64), Namespace
//!   (`kubernetes.io/metadata.name` label, `spec.finalizers`, `status.phase`),
//!   PersistentVolumeClaim (`volumeMode`, the `kubernetes.io/pvc-protection` finalizer
//!   of the StorageObjectInUseProtection plugin, `status: {}`), PersistentVolume
//!   (`persistentVolumeReclaimPolicy`, `volumeMode`, `status.phase`, its finalizer),
//!   Endpoints, NetworkPolicy (`policyTypes`, ports' `protocol`), Ingress, IngressClass
//!   (`parameters.scope`), HorizontalPodAutoscaler (`minReplicas`, v2's CPU metric and
//!   `behavior`), PodDisruptionBudget, RoleBinding and ClusterRoleBinding
//!   (`roleRef.apiGroup`, subjects' `apiGroup`), PriorityClass (`preemptionPolicy`),
//!   StorageClass (`reclaimPolicy`, `volumeBindingMode`), ResourceQuota, LimitRange
//!   (`default` and `defaultRequest` from `max` and `min`), webhook configurations
//!   (`failurePolicy`, `matchPolicy`, selectors, `timeoutSeconds`,
//!   `reinvocationPolicy`, rules' `scope`, service `port`), ValidatingAdmissionPolicy and
//!   its binding (`failurePolicy`, match resources); and the `metadata.generation` and
//!   `status` of every kind whose strategy sets them (HorizontalPodAutoscaler's
//!   generation from 1.37).
//! * **Quantities** are written as the API server writes them back (`0.5` → `500m`,
//!   `1024Mi` → `1Gi`, `1.5Gi` → `1536Mi`), so that CEL sees the same strings.
//! * **Zero values** that the server does not write back are dropped: null fields,
//!   empty labels and annotations, and in pod specs and containers empty lists, empty
//!   `nodeSelector`, `false` host namespaces, `stdin` and `tty`, a mount's `readOnly:
//!   false`, a PriorityClass's `globalDefault: false`. Elsewhere an explicit zero value
//!   of an `omitempty` field is kept, where the server drops it.
//!
//! Versions: the minor version selects the defaults that came with a release or a
//! feature gate on by default (1.29: Job `podReplacementPolicy`, `manualSelector`,
//! `backoffLimitPerIndex`; 1.32: Job `managedBy`; 1.34: pod-level resources; 1.35:
//! image volumes, env files;
//! 1.37: StatefulSet `maxUnavailable`, HorizontalPodAutoscaler `generation`). Versions
//! before 1.27 get 1.27's defaults and versions after 1.37 get 1.37's. The test
//! `crates/plimsoll/tests/policy_defaults.rs` checks 1.37 against the real API server,
//! at admission.
//!
//! What is **not** done, because it cannot be known offline or is no defaulting:
//!
//! * Values the server assigns: `metadata.uid`, `creationTimestamp`,
//!   `resourceVersion`, `managedFields` (removed when the object has them), a Service's
//!   allocated `clusterIP` and `clusterIPs`, `nodePort` and `healthCheckNodePort`
//!   values, the `controller-uid` labels and selector of a Job (its uid), a
//!   PersistentVolume's `status.lastPhaseTransitionTime` and a Pod's condition's
//!   `lastTransitionTime`. A policy that reads them sees
//!   them absent. `metadata.namespace` is the request's, which the caller knows.
//! * Mutating admission that depends on the cluster: the ServiceAccount plugin's
//!   `serviceAccountName: default` and token volume, LimitRanger, DefaultStorageClass,
//!   DefaultIngressClass, the value of a user-defined priority class or a global default
//!   one, mutating webhooks and policies.
//! * Pod-level hugepages limits from the containers' (`defaultHugePagePodLimits`), and
//!   the dropping of fields of disabled features other than those named above.
//! * Objects of kinds and versions not listed here (custom resources, beta versions,
//!   Nodes) are left as they are.

use serde_json::{Map, Value, json};

mod kinds;
mod pod;
mod quantity;

pub use quantity::canonical as canonical_quantity;

/// Applies to `obj` (a whole object as JSON: apiVersion, kind, metadata, ...) the defaults
/// and create-time preparation the API server of Kubernetes 1.<minor> applies before validating
/// admission. Objects of kinds it does not know (custom resources) are left as they are.
pub fn apply(obj: &mut Value, minor: u32) {
    let Some(o) = obj.as_object() else { return };
    let api_version = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = o
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let api_version = api_version.to_string();
    drop_nulls(obj);
    let Some(o) = obj.as_object_mut() else { return };
    // what the server assigns on create replaces what the object says
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "uid",
            "creationTimestamp",
            "resourceVersion",
            "managedFields",
        ] {
            meta.remove(key);
        }
        // empty omitempty maps and lists are not written back
        for key in ["labels", "annotations", "finalizers", "ownerReferences"] {
            if is_zero(meta, key) {
                meta.remove(key);
            }
        }
    }
    kinds::apply(o, &api_version, &kind, minor);
}

/// Removes the null fields of maps: Go decodes them to zero values, which the server
/// does not write back.
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

// ---- helpers on JSON maps, with Go's notion of an unset field ----

/// Whether a field is unset as a Go pointer is: absent or null.
fn is_unset(m: &Map<String, Value>, key: &str) -> bool {
    m.get(key).is_none_or(Value::is_null)
}

/// Whether a field is unset as a Go string, number, bool, list or map is: absent, null,
/// or its zero value (`""`, `0`, `false`, empty).
fn is_zero(m: &Map<String, Value>, key: &str) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::Bool(b)) => !b,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
    }
}

/// Sets `key` when it is unset (absent or null): a Go pointer's default.
fn default_ptr(m: &mut Map<String, Value>, key: &str, v: Value) {
    if is_unset(m, key) {
        m.insert(key.to_string(), v);
    }
}

/// Sets `key` when it is its zero value: a Go string's or number's default.
fn default_zero(m: &mut Map<String, Value>, key: &str, v: Value) {
    if is_zero(m, key) {
        m.insert(key.to_string(), v);
    }
}

/// The object at `key`, created (replacing null) when absent.
fn obj_at<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = m.entry(key.to_string()).or_insert_with(|| json!({}));
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut().expect("an object")
}

/// The object at `key` when there is one.
fn obj_mut<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    m.get_mut(key).and_then(Value::as_object_mut)
}

/// The objects of the list at `key`.
fn items_mut<'a>(
    m: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    m.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// A string field.
fn str_of<'a>(m: &'a Map<String, Value>, key: &str) -> &'a str {
    m.get(key).and_then(Value::as_str).unwrap_or("")
}
