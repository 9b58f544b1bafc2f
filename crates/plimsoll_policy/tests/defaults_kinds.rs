//! The defaults of `plimsoll_policy::defaults::apply`, kind by kind, as Kubernetes 1.37's
//! API server applies them before validating admission (checked against the real API
//! server by `crates/plimsoll/tests/policy_defaults.rs`), and where they differ by version.

use plimsoll_policy::defaults::apply;
use serde_json::{Value, json};

fn applied(mut v: Value, minor: u32) -> Value {
    apply(&mut v, minor);
    v
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]},
            },
        },
    })
}

#[test]
fn a_minimal_deployment_is_fully_defaulted() {
    let d = applied(deployment(), 37);
    assert_eq!(
        d,
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "generation": 1},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "web",
                            "image": "nginx",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "resources": {},
                            "imagePullPolicy": "Always",
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                        }],
                        "dnsPolicy": "ClusterFirst",
                        "restartPolicy": "Always",
                        "securityContext": {},
                        "terminationGracePeriodSeconds": 30,
                        "schedulerName": "default-scheduler",
                    },
                },
                "replicas": 1,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
            },
            "status": {},
        })
    );
}

#[test]
fn given_values_are_kept() {
    let mut d = deployment();
    d["spec"]["replicas"] = json!(0);
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    d["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("Never");
    let d = applied(d, 37);
    assert_eq!(d["spec"]["replicas"], 0);
    assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "Never"
    );
}

#[test]
fn the_pull_policy_follows_the_tag() {
    for (image, policy) in [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.example.com:5000/team/app", "Always"),
        ("registry.example.com:5000/team/app:v2", "IfNotPresent"),
        (
            "app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "IfNotPresent",
        ),
        (
            "app:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "Always",
        ),
        // references that do not parse: no tag
        ("Nginx:latest", "IfNotPresent"),
        ("Registry.example.com/team/app", "Always"),
        ("", "IfNotPresent"),
    ] {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
        let d = applied(d, 37);
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], policy,
            "{image}"
        );
    }
}

#[test]
fn probes_volumes_and_env_are_defaulted() {
    let mut d = deployment();
    let spec = &mut d["spec"]["template"]["spec"];
    spec["containers"][0]["livenessProbe"] = json!({"httpGet": {"port": 80}});
    spec["containers"][0]["readinessProbe"] = json!({"grpc": {"port": 9000}, "periodSeconds": 5});
    spec["containers"][0]["env"] =
        json!([{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]);
    spec["volumes"] = json!([
        {"name": "none"},
        {"name": "cfg", "configMap": {"name": "c"}},
        {"name": "host", "hostPath": {"path": "/var/log"}},
        {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
    ]);
    let d = applied(d, 37);
    let spec = &d["spec"]["template"]["spec"];
    assert_eq!(
        spec["containers"][0]["livenessProbe"],
        json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    );
    assert_eq!(
        spec["containers"][0]["readinessProbe"]["grpc"]["service"],
        ""
    );
    assert_eq!(spec["containers"][0]["readinessProbe"]["periodSeconds"], 5);
    assert_eq!(
        spec["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["apiVersion"],
        "v1"
    );
    assert_eq!(spec["volumes"][0]["emptyDir"], json!({}));
    assert_eq!(spec["volumes"][1]["configMap"]["defaultMode"], 420);
    assert_eq!(spec["volumes"][2]["hostPath"]["type"], "");
    assert_eq!(spec["volumes"][3]["projected"]["defaultMode"], 420);
    assert_eq!(
        spec["volumes"][3]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
        3600
    );
}

#[test]
fn services_get_types_ports_and_ip_families() {
    let s = applied(
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]},
        }),
        37,
    );
    assert_eq!(
        s["spec"],
        json!({
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
            "sessionAffinity": "None",
            "externalTrafficPolicy": "Cluster",
            "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
        })
    );
    // the allocated cluster IP and node port are not invented
    assert!(s["spec"].get("clusterIP").is_none());
    let headless = applied(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "h"},
               "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}}),
        37,
    );
    assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
    assert_eq!(headless["spec"]["ipFamilyPolicy"], "RequireDualStack");
    assert_eq!(headless["spec"]["ipFamilies"], json!(["IPv4", "IPv6"]));
    let external = applied(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "e"},
               "spec": {"type": "ExternalName", "externalName": "db.example.com"}}),
        37,
    );
    assert!(external["spec"].get("ipFamilies").is_none());
    assert!(external["spec"].get("internalTrafficPolicy").is_none());
}

#[test]
fn jobs_get_their_defaults_and_job_name_labels() {
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "report", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "report"}},
                  "spec": {"restartPolicy": "Never", "containers": [{"name": "r", "image": "busybox:1.36"}]}}},
    });
    let j = applied(job.clone(), 37);
    for (k, v) in [
        ("completions", json!(1)),
        ("parallelism", json!(1)),
        ("backoffLimit", json!(6)),
        ("completionMode", json!("NonIndexed")),
        ("suspend", json!(false)),
        ("podReplacementPolicy", json!("TerminatingOrFailed")),
        ("manualSelector", json!(false)),
    ] {
        assert_eq!(j["spec"][k], v, "{k}");
    }
    let labels =
        json!({"app": "report", "job-name": "report", "batch.kubernetes.io/job-name": "report"});
    assert_eq!(j["spec"]["template"]["metadata"]["labels"], labels);
    // the Job's labels are its template's (the same map in the API server)
    assert_eq!(j["metadata"]["labels"], labels);
    // the selector holds the uid: not invented
    assert!(j["spec"].get("selector").is_none());
    // before 1.29: no podReplacementPolicy, no manualSelector default
    let old = applied(job, 28);
    assert!(old["spec"].get("podReplacementPolicy").is_none());
    assert!(old["spec"].get("manualSelector").is_none());
}

#[test]
fn stateful_sets_by_version() {
    let sts = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {"selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1.5Gi"}}}}]},
    });
    let new = applied(sts.clone(), 37);
    assert_eq!(
        new["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}})
    );
    assert_eq!(
        new["spec"]["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    let claim = &new["spec"]["volumeClaimTemplates"][0];
    assert_eq!(claim["apiVersion"], "v1");
    assert_eq!(claim["kind"], "PersistentVolumeClaim");
    assert_eq!(claim["spec"]["volumeMode"], "Filesystem");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "1536Mi");
    assert_eq!(claim["status"], json!({"phase": "Pending"}));
    let old = applied(sts, 36);
    assert_eq!(
        old["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    );
}

#[test]
fn pods_get_status_priority_and_tolerations() {
    let p = applied(
        json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"containers": [{"name": "a", "image": "nginx:1.27",
                     "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}}]},
        }),
        37,
    );
    assert_eq!(
        p["status"],
        json!({"phase": "Pending", "qosClass": "Guaranteed"})
    );
    assert_eq!(
        p["spec"]["containers"][0]["resources"]["requests"],
        json!({"cpu": "500m", "memory": "1Gi"})
    );
    assert_eq!(p["spec"]["enableServiceLinks"], true);
    assert_eq!(p["spec"]["priority"], 0);
    assert_eq!(p["spec"]["preemptionPolicy"], "PreemptLowerPriority");
    assert_eq!(p["spec"]["tolerations"].as_array().map(Vec::len), Some(2));
    assert_eq!(p["metadata"]["generation"], 1);
    let best_effort = applied(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"},
               "spec": {"containers": [{"name": "a", "image": "nginx"}]}}),
        37,
    );
    assert_eq!(best_effort["status"]["qosClass"], "BestEffort");
    let burstable = applied(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"},
               "spec": {"containers": [{"name": "a", "image": "nginx", "resources": {"requests": {"cpu": "1"}}}]}}),
        37,
    );
    assert_eq!(burstable["status"]["qosClass"], "Burstable");
}

#[test]
fn other_kinds() {
    let ns = applied(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        37,
    );
    assert_eq!(
        ns,
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop"}},
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    );
    let secret = applied(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "hunter2"}}),
        37,
    );
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(secret["data"], json!({"password": "aHVudGVyMg=="}));
    assert!(secret.get("stringData").is_none());
    let np = applied(
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"},
               "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}}),
        37,
    );
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(np["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");
    let rb = applied(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "r"},
               "roleRef": {"kind": "Role", "name": "x"},
               "subjects": [{"kind": "User", "name": "a"}, {"kind": "ServiceAccount", "name": "b", "namespace": "c"}]}),
        37,
    );
    assert_eq!(rb["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
    assert_eq!(rb["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
    assert!(rb["subjects"][1].get("apiGroup").is_none());
    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
                     "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3,
                              "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}});
    let new = applied(hpa.clone(), 37);
    assert_eq!(new["spec"]["minReplicas"], 1);
    assert_eq!(
        new["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        80
    );
    assert_eq!(
        new["spec"]["behavior"]["scaleUp"]["policies"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        new["spec"]["behavior"]["scaleDown"],
        json!({"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
               "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]})
    );
    assert_eq!(new["metadata"]["generation"], 1);
    // HPAGeneration is new in 1.37
    assert!(applied(hpa, 36)["metadata"].get("generation").is_none());
}

#[test]
fn custom_resources_and_unknown_versions_are_left_alone() {
    for v in [
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"},
               "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}}}}),
        json!({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}}),
        json!("not an object"),
    ] {
        assert_eq!(applied(v.clone(), 37), v);
    }
}

#[test]
fn server_assigned_metadata_is_left_out() {
    let mut d = deployment();
    d["metadata"]["uid"] = json!("0000");
    d["metadata"]["resourceVersion"] = json!("42");
    d["metadata"]["creationTimestamp"] = json!("2024-01-01T00:00:00Z");
    d["metadata"]["managedFields"] = json!([]);
    let d = applied(d, 37);
    assert_eq!(
        d["metadata"],
        json!({"name": "web", "namespace": "shop", "generation": 1})
    );
}

#[test]
fn applying_twice_changes_nothing() {
    let objects = [
        deployment(),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": [{"name": "a", "image": "nginx"}]}}),
    ];
    for o in objects {
        let once = applied(o, 37);
        assert_eq!(applied(once.clone(), 37), once);
    }
    // but for a Job without labels, as for the API server when it decodes the stored
    // Job again: its template then has labels (job-name), which the Job gets
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                     "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "a", "image": "busybox"}]}}}});
    let once = applied(job, 37);
    assert!(once["metadata"].get("labels").is_none());
    let twice = applied(once, 37);
    assert_eq!(twice["metadata"]["labels"]["job-name"], "j");
}

#[test]
fn pod_level_requests_by_version() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {
            "resources": {"limits": {"cpu": "2", "memory": "2Gi"}},
            "initContainers": [
                {"name": "init", "image": "busybox:1.36", "resources": {"requests": {"cpu": "1500m"}}},
                {"name": "proxy", "image": "envoy:1", "restartPolicy": "Always",
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
            ],
            "containers": [
                {"name": "a", "image": "nginx:1", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}},
                {"name": "b", "image": "nginx:1", "resources": {"requests": {"memory": "0.5Gi"}}},
            ],
        },
    });
    let new = applied(pod.clone(), 37);
    assert_eq!(
        new["spec"]["resources"]["requests"],
        json!({"cpu": "1500m", "memory": "1152Mi"})
    );
    assert_eq!(new["status"]["qosClass"], "Burstable");
    // no container requests: the limits
    let mut only_limits = pod.clone();
    only_limits["spec"]["initContainers"] = json!([]);
    only_limits["spec"]["containers"] = json!([{"name": "a", "image": "nginx:1"}]);
    let p = applied(only_limits, 37);
    assert_eq!(
        p["spec"]["resources"]["requests"],
        json!({"cpu": "2", "memory": "2Gi"})
    );
    assert_eq!(p["status"]["qosClass"], "Guaranteed");
    // before 1.34 the field is dropped
    assert!(applied(pod, 33)["spec"].get("resources").is_none());
}

#[test]
fn gated_pods_get_their_condition() {
    let p = applied(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "g"},
               "spec": {"schedulingGates": [{"name": "x"}], "containers": [{"name": "a", "image": "nginx"}]}}),
        37,
    );
    assert_eq!(p["status"]["conditions"][0]["reason"], "SchedulingGated");
    assert!(
        p["status"]["conditions"][0]
            .get("lastTransitionTime")
            .is_none()
    );
}
