//! `plimsoll serve` over real TLS on loopback, without a cluster (`--no-cluster`): the
//! answers to AdmissionReviews, the malformed requests, the mutations, the certificate
//! rotation and the fail-open deadline. The tests with a real API server are in
//! `serve_cluster.rs`.

mod common;

use std::path::Path;

use common::serve::{Certs, Server, eventually, request, review};
use serde_json::{Value, json};

/// The objects of a manifest of the repository, as JSON.
fn objects(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(common::repo_root().join(path)).unwrap();
    plimsoll_yaml::parse_stream(&text, plimsoll_yaml::Limits::default())
        .documents
        .into_iter()
        .filter_map(|d| d.root.map(|r| r.to_json()))
        .filter(|v| v.is_object())
        .collect()
}

fn object(path: &str, kind: &str) -> Value {
    objects(path)
        .into_iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {path}"))
}

fn naive() -> Value {
    object("examples/naive/api.yaml", "Deployment")
}

fn production() -> Value {
    object("examples/production/api.yaml", "Deployment")
}

fn validate(s: &Server, certs: &Certs, body: Vec<u8>) -> Value {
    let r = request(&certs.ca(), s.port(), "POST", "/validate", body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["response"].clone()
}

fn warnings(response: &Value) -> Vec<String> {
    response["warnings"]
        .as_array()
        .map(|w| w.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn deny_mode_judges_with_the_rules_of_check_and_survives_bad_requests() {
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&certs, dir.path(), &["--no-cluster", "--mode", "deny"]);
    assert!(s.log().contains("no cluster"), "{}", s.log());

    // the naive Deployment is refused with the code, container and field of each finding
    let r = validate(&s, &certs, review("u-naive", "CREATE", "shop", &naive()));
    assert_eq!(r["uid"], "u-naive");
    assert_eq!(r["allowed"], false, "{r:#}");
    let message = r["status"]["message"].as_str().unwrap();
    assert_eq!(r["status"]["code"], 403);
    assert!(
        message.starts_with("plimsoll denied Deployment shop/api"),
        "{message}"
    );
    assert!(message.contains("\n- RES003 memory-limit-missing (error), container migrate, at spec.template.spec.initContainers[0].resources.limits.memory: "), "{message}");
    assert!(message.contains("plimsoll.dev/ignore"), "{message}");
    // what is below the threshold is a warning
    let w = warnings(&r);
    assert!(
        w.iter().any(|l| l.starts_with("plimsoll IMG001: ")),
        "{w:?}"
    );

    // a dry run is answered the same way
    let mut dry: Value =
        serde_json::from_slice(&review("u-dry", "CREATE", "shop", &naive())).unwrap();
    dry["request"]["dryRun"] = json!(true);
    let d = validate(&s, &certs, serde_json::to_vec(&dry).unwrap());
    assert_eq!(d["allowed"], false);
    assert_eq!(d["status"]["message"], r["status"]["message"]);

    // the production Deployment is admitted
    let p = validate(
        &s,
        &certs,
        review("u-prod", "CREATE", "shop", &production()),
    );
    assert_eq!(p["allowed"], true, "{p:#}");

    // an exemption on the object is honoured, with its reason
    let mut exempt = naive();
    exempt["metadata"]["annotations"] =
        json!({"plimsoll.dev/ignore": "RES002,RES003 -- the migration runs for seconds"});
    let e = validate(&s, &certs, review("u-exempt", "CREATE", "shop", &exempt));
    assert_eq!(e["allowed"], true, "{e:#}");

    // a pod made by a ReplicaSet was judged through its template: no second verdict
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "api-7d9f-x", "namespace": "shop", "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-7d9f", "uid": "1", "controller": true}
        ]},
        "spec": naive()["spec"]["template"]["spec"].clone(),
    });
    let o = validate(&s, &certs, review("u-pod", "CREATE", "shop", &pod));
    assert_eq!(o["allowed"], true, "{o:#}");
    assert!(warnings(&o).is_empty(), "{o:#}");
    // ...but a bare pod is judged
    pod["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("ownerReferences");
    let b = validate(&s, &certs, review("u-bare", "CREATE", "shop", &pod));
    assert_eq!(b["allowed"], false, "{b:#}");

    // a deletion has nothing to judge
    let del = validate(&s, &certs, review("u-del", "DELETE", "shop", &Value::Null));
    assert_eq!(del["allowed"], true);

    // malformed requests: 400 with a one-line reason, and the server goes on
    let too_big = {
        let mut o = naive();
        o["metadata"]["annotations"] = json!({"padding": "x".repeat(3 << 20)});
        review("u-big", "CREATE", "shop", &o)
    };
    let bad: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json".to_vec(), "not an AdmissionReview in JSON"),
        (
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#.to_vec(),
            "expected apiVersion admission.k8s.io/v1",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"ConfigMap","request":{"uid":"x"}}"#.to_vec(),
            "kind AdmissionReview",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}"#.to_vec(),
            "has no uid",
        ),
        (too_big, "over the limit"),
    ];
    for (body, why) in bad {
        for path in ["/validate", "/mutate"] {
            let r = request(&certs.ca(), s.port(), "POST", path, body.clone());
            assert_eq!(r.status, 400, "{path} {why}: {}", r.text());
            assert!(r.text().contains(why), "{path}: {}", r.text());
            assert_eq!(r.text().trim_end().lines().count(), 1, "{}", r.text());
        }
    }
    let mut s = s;
    assert!(s.alive());
    let again = validate(
        &s,
        &certs,
        review("u-again", "CREATE", "shop", &production()),
    );
    assert_eq!(again["allowed"], true);

    // the endpoints besides the webhook
    let h = request(&certs.ca(), s.port(), "GET", "/healthz", Vec::new());
    assert_eq!((h.status, h.text().trim()), (200, "ok"));
    let ready = request(&certs.ca(), s.port(), "GET", "/readyz", Vec::new());
    assert_eq!(ready.status, 200);
    assert!(ready.text().contains("no cluster"), "{}", ready.text());
    let timed = request(
        &certs.ca(),
        s.port(),
        "POST",
        "/validate",
        review("u-t", "CREATE", "shop", &naive()),
    );
    let timing = timed.headers["server-timing"].to_str().unwrap();
    assert!(timing.starts_with("judge;dur="), "{timing}");
    let m = request(&certs.ca(), s.port(), "GET", "/metrics", Vec::new()).text();
    for needle in [
        r#"plimsoll_admission_requests_total{endpoint="validate",operation="CREATE",kind="Deployment",decision="denied"}"#,
        r#"plimsoll_admission_requests_total{endpoint="validate",operation="CREATE",kind="Pod",decision="skipped"} 1"#,
        r#"plimsoll_admission_duration_seconds_bucket{le="0.0001","#,
        r#"plimsoll_admission_duration_seconds_bucket{le="10.0","#,
        r#"plimsoll_admission_findings_total{code="RES003"}"#,
        "plimsoll_admission_malformed_requests_total 10",
        "plimsoll_admission_certificate_expiry_timestamp_seconds ",
    ] {
        assert!(m.contains(needle), "{needle} not in:\n{m}");
    }
}

#[test]
fn warn_mode_admits_everything_with_bounded_warnings() {
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&certs, dir.path(), &["--no-cluster", "--select", "all"]);
    // hundreds of findings: a Deployment with many naive containers
    let mut o = naive();
    let c = o["spec"]["template"]["spec"]["containers"][0].clone();
    let many: Vec<Value> = (0..60)
        .map(|i| {
            let mut c = c.clone();
            c["name"] = json!(format!("container-with-a-rather-long-name-{i}"));
            c
        })
        .collect();
    o["spec"]["template"]["spec"]["containers"] = Value::from(many);
    let r = validate(&s, &certs, review("u-warn", "CREATE", "shop", &o));
    assert_eq!(r["allowed"], true, "{r:#}");
    let w = warnings(&r);
    assert!(w.len() > 10, "{w:?}");
    assert!(w.iter().all(|l| l.chars().count() < 120), "{w:?}");
    assert!(w.iter().map(String::len).sum::<usize>() <= 4096);
    assert!(
        w.last().unwrap().contains("more finding(s) not shown"),
        "{w:?}"
    );
}

#[test]
fn mutate_applies_the_safe_fixes_once() {
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plimsoll.yaml"), "serve:\n  mutate: true\n").unwrap();
    let s = Server::start(
        &certs,
        dir.path(),
        &[
            "--no-cluster",
            "--config",
            "plimsoll.yaml",
            "--select",
            "all",
        ],
    );
    let naive = naive();
    let r = request(
        &certs.ca(),
        s.port(),
        "POST",
        "/mutate",
        review("u-m", "CREATE", "shop", &naive),
    );
    let resp = r.json()["response"].clone();
    assert_eq!(resp["allowed"], true);
    assert_eq!(resp["patchType"], "JSONPatch", "{resp:#}");
    use base64::Engine as _;
    let patch: json_patch::Patch = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(resp["patch"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let mut fixed = naive.clone();
    json_patch::patch(&mut fixed, &patch).expect("the patch applies to the object sent");
    let sc = &fixed["spec"]["template"]["spec"]["containers"][0]["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"], false, "{fixed:#}");
    // nothing else is touched: the fixed object keeps every field of the original
    assert_eq!(fixed["metadata"], naive["metadata"]);
    // idempotent: the fixed object gets no patch
    let again = request(
        &certs.ca(),
        s.port(),
        "POST",
        "/mutate",
        review("u-m2", "CREATE", "shop", &fixed),
    );
    let again = again.json()["response"].clone();
    assert_eq!(again["allowed"], true);
    assert!(again.get("patch").is_none(), "{again:#}");
    // the safe fixes' findings are gone
    let before = validate(&s, &certs, review("u-v1", "CREATE", "shop", &naive));
    let after = validate(&s, &certs, review("u-v2", "CREATE", "shop", &fixed));
    assert!(warnings(&after).len() < warnings(&before).len());
}

#[test]
fn mutate_is_off_unless_the_configuration_turns_it_on() {
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&certs, dir.path(), &["--no-cluster"]);
    let r = request(
        &certs.ca(),
        s.port(),
        "POST",
        "/mutate",
        review("u", "CREATE", "shop", &naive()),
    );
    let resp = r.json()["response"].clone();
    assert_eq!(resp["allowed"], true);
    assert!(resp.get("patch").is_none(), "{resp:#}");
}

#[test]
fn a_replaced_certificate_is_presented_at_the_next_handshake() {
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(&certs, dir.path(), &["--no-cluster"]);
    let first = request(&certs.ca(), s.port(), "GET", "/healthz", Vec::new());
    assert!(
        first.peer_subject.contains("first"),
        "{}",
        first.peer_subject
    );
    certs.issue("tls", "second");
    eventually(20, "the new certificate is presented", || {
        request(&certs.ca(), s.port(), "GET", "/healthz", Vec::new())
            .peer_subject
            .contains("second")
    });
    // a broken pair is refused and the last good one stays
    std::fs::write(certs.cert(), "not a certificate").unwrap();
    eventually(20, "the broken files are reported", || {
        s.log().contains("do not load")
    });
    let still = request(&certs.ca(), s.port(), "GET", "/healthz", Vec::new());
    assert_eq!(still.status, 200);
    assert!(still.peer_subject.contains("second"));
    assert!(s.alive());
}

/// A Deployment that takes the rules far longer than a millisecond to judge.
fn heavy() -> Value {
    let mut o = naive();
    let c = o["spec"]["template"]["spec"]["containers"][0].clone();
    let many: Vec<Value> = (0..2000)
        .map(|i| {
            let mut c = c.clone();
            c["name"] = json!(format!("c{i}"));
            c
        })
        .collect();
    o["spec"]["template"]["spec"]["containers"] = Value::from(many);
    o
}

#[test]
fn past_the_deadline_requests_fail_open_or_closed() {
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let open = Server::start(
        &certs,
        dir.path(),
        &["--no-cluster", "--mode", "deny", "--timeout", "1ms"],
    );
    let r = validate(&open, &certs, review("u-slow", "CREATE", "shop", &heavy()));
    assert_eq!(r["allowed"], true, "{r:#}");
    assert!(
        warnings(&r)[0].contains("could not judge this request (deadline)"),
        "{r:#}"
    );
    let m = request(&certs.ca(), open.port(), "GET", "/metrics", Vec::new()).text();
    assert!(
        m.contains(r#"plimsoll_admission_fail_open_total{reason="deadline"} 1"#),
        "{m}"
    );

    let closed = Server::start(
        &certs,
        dir.path(),
        &[
            "--no-cluster",
            "--mode",
            "deny",
            "--timeout",
            "1ms",
            "--fail-closed",
        ],
    );
    let r = validate(
        &closed,
        &certs,
        review("u-slow", "CREATE", "shop", &heavy()),
    );
    assert_eq!(r["allowed"], false, "{r:#}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("--fail-closed")
    );
}

#[test]
fn serve_refuses_bad_certificate_files_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.pem"), "nope").unwrap();
    let out = common::run_in(
        dir.path(),
        &[
            "serve",
            "--no-cluster",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "c.pem",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("c.pem"), "{err}");
    let _ = Path::new(".");
}

/// `--policy`: the webhook judges every review against the ValidatingAdmissionPolicies
/// of the files as well (POL001, with the API server's message), and admits what they
/// admit.
#[test]
fn serve_judges_reviews_against_the_policies_of_files() {
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let policies = common::repo_root().join("examples/policies/policies.yaml");
    let s = Server::start(
        &certs,
        dir.path(),
        &[
            "--no-cluster",
            "--mode",
            "deny",
            "--select",
            "POL",
            "--policy",
            &policies.to_string_lossy(),
        ],
    );
    let objects = objects("examples/policies/objects.yaml");
    let r = validate(&s, &certs, review("u-cart", "CREATE", "shop", &objects[1]));
    assert_eq!(r["allowed"], false, "{r:#}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("ValidatingAdmissionPolicy 'workload-rules' with binding 'workload-rules' denied request: every workload carries a `team` label"),
        "{message}"
    );
    // the Warn binding's verdict is a warning
    assert!(
        warnings(&r).iter().any(|w| w.starts_with(
            "plimsoll POL001: Validation failed for ValidatingAdmissionPolicy 'no-host-path'"
        )),
        "{:?}",
        warnings(&r)
    );
    let ok = validate(
        &s,
        &certs,
        review("u-checkout", "CREATE", "shop", &objects[0]),
    );
    assert_eq!(ok["allowed"], true, "{ok:#}");
}
