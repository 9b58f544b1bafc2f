//! One AdmissionReview: read it, judge its object with the rules of `check`, answer.
//!
//! Everything here is synchronous and free of I/O, so that it can be tested on its own
//! and run under a deadline on a blocking thread by the server.

use std::collections::BTreeMap;

use plimsoll_model::{Index, Object, SourceRef};
use plimsoll_rules::config::{FailOn, ServeMode};
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::YamlFacts;
use plimsoll_rules::rule::{Applicability, Finding, Severity};
use plimsoll_yaml::{Pointer, Segment};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// Largest request body read; a larger one is answered with 400 (the API server sends
/// at most its own 3 MiB object limit plus the review around it).
pub const MAX_BODY: usize = 3 << 20;
/// Longest warning: kubectl prints each on a line, and the API server drops what is
/// longer than its limits.
pub const MAX_WARNING_CHARS: usize = 119;
/// The most bytes of warnings in one answer (the API server truncates beyond 4 KB).
pub const MAX_WARNINGS_BYTES: usize = 4096;
/// Passes of fixing and judging again in `/mutate`, at most (as `check --fix`).
const MAX_MUTATE_PASSES: usize = 10;
/// The namespace label that chooses the mode.
pub const MODE_LABEL: &str = "plimsoll.dev/mode";

/// A request that is not an AdmissionReview the server can answer: HTTP 400 with
/// this one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

/// The two webhook endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Validate,
    Mutate,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
        }
    }
}

#[derive(Deserialize)]
struct ReviewIn {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    request: Option<RequestIn>,
}

#[derive(Deserialize)]
struct RequestIn {
    uid: Option<String>,
    kind: Option<GroupVersionKind>,
    #[serde(rename = "subResource")]
    sub_resource: Option<String>,
    namespace: Option<String>,
    operation: Option<String>,
    #[serde(rename = "dryRun")]
    dry_run: Option<bool>,
    object: Option<Box<RawValue>>,
}

#[derive(Deserialize, Default, Clone)]
struct GroupVersionKind {
    #[serde(default)]
    kind: String,
}

/// What an AdmissionReview asks.
#[derive(Debug, Clone)]
pub struct Review {
    pub uid: String,
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    pub operation: String,
    /// The kind of the request (`request.kind.kind`), for metrics.
    pub kind: String,
    pub namespace: Option<String>,
    pub sub_resource: Option<String>,
    pub dry_run: bool,
    /// The object as sent, when there is one (`DELETE` has none).
    pub object: Option<Box<RawValue>>,
}

/// Reads an AdmissionReview `admission.k8s.io/v1` request.
pub fn parse(body: &[u8]) -> Result<Review, BadRequest> {
    if body.len() > MAX_BODY {
        return Err(BadRequest(format!(
            "request body of {} bytes is over the limit of {MAX_BODY} bytes",
            body.len()
        )));
    }
    let review: ReviewIn = serde_json::from_slice(body)
        .map_err(|e| BadRequest(format!("not an AdmissionReview in JSON: {e}")))?;
    match (review.api_version.as_deref(), review.kind.as_deref()) {
        (Some("admission.k8s.io/v1"), Some("AdmissionReview")) => {}
        (a, k) => {
            return Err(BadRequest(format!(
                "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got {} {}",
                a.unwrap_or("(no apiVersion)"),
                k.unwrap_or("(no kind)")
            )));
        }
    }
    let Some(request) = review.request else {
        return Err(BadRequest("the AdmissionReview has no request".to_string()));
    };
    let uid = request
        .uid
        .filter(|u| !u.is_empty())
        .ok_or_else(|| BadRequest("the AdmissionReview's request has no uid".to_string()))?;
    Ok(Review {
        uid,
        operation: request.operation.unwrap_or_default(),
        kind: request.kind.unwrap_or_default().kind,
        namespace: request.namespace.filter(|n| !n.is_empty()),
        sub_resource: request.sub_resource.filter(|s| !s.is_empty()),
        dry_run: request.dry_run.unwrap_or(false),
        object: request.object,
    })
}

/// How the request was decided, for the answer and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Judged and allowed without findings.
    Allowed,
    /// Judged and allowed with warnings.
    Warned,
    /// Refused (deny mode, findings at or above the threshold).
    Denied,
    /// Not judged: a deletion, a subresource, a namespace in mode `off`, an object made
    /// by a controller.
    Skipped,
    /// Allowed (or with `--fail-closed` refused) because it could not be judged.
    Failed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Warned => "warned",
            Decision::Denied => "denied",
            Decision::Skipped => "skipped",
            Decision::Failed => "failed",
        }
    }
}

/// The answer to one review.
#[derive(Debug, Clone)]
pub struct Answer {
    pub uid: String,
    pub allowed: bool,
    /// The denial message (deny only).
    pub message: Option<String>,
    pub warnings: Vec<String>,
    /// A JSON Patch (RFC 6902) to apply (`/mutate` only).
    pub patch: Option<Value>,
    pub decision: Decision,
    /// The codes of the findings (for the metrics).
    pub codes: Vec<&'static str>,
}

impl Answer {
    pub fn allow(uid: &str, decision: Decision) -> Answer {
        Answer {
            uid: uid.to_string(),
            allowed: true,
            message: None,
            warnings: Vec::new(),
            patch: None,
            decision,
            codes: Vec::new(),
        }
    }

    /// The AdmissionReview response, as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut response = serde_json::Map::new();
        response.insert("uid".into(), Value::from(self.uid.clone()));
        response.insert("allowed".into(), Value::from(self.allowed));
        if let Some(message) = &self.message {
            response.insert(
                "status".into(),
                serde_json::json!({"code": 403, "reason": "Forbidden", "message": message}),
            );
        }
        if !self.warnings.is_empty() {
            response.insert("warnings".into(), Value::from(self.warnings.clone()));
        }
        if let Some(patch) = &self.patch {
            use base64::Engine as _;
            let text = serde_json::to_vec(patch).expect("a JSON value serialises");
            response.insert("patchType".into(), Value::from("JSONPatch"));
            response.insert(
                "patch".into(),
                Value::from(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
        serde_json::to_vec(&serde_json::json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": response,
        }))
        .expect("a JSON value serialises")
    }
}

/// What the judge knows of the cluster: the objects around the one admitted and the
/// namespaces' labels. `None` runs without a cluster (`--no-cluster`).
pub trait Context: Send + Sync {
    /// The objects of the namespace (and the Namespace itself) that the rules may look
    /// at, and the cluster-scoped ones.
    fn objects_around(&self, namespace: Option<&str>) -> Vec<Object>;
    /// The labels of a namespace, if known.
    fn namespace_labels(&self, namespace: &str) -> Option<BTreeMap<String, String>>;
    /// The codes of the rules judged with the objects around: the index holds, whole
    /// and current, every kind they read. The others are judged on the object alone,
    /// where a rule that needs its neighbours is not evaluated: a rule run on a partial
    /// index would pass, or fire, for the wrong reason.
    fn judged_with_cluster(&self) -> std::sync::Arc<std::collections::HashSet<&'static str>>;
}

/// The rules and settings every review is judged with.
pub struct Judge {
    /// The rules selected. Without a cluster (or for the rules whose kinds the index
    /// does not hold, see [`Context::judged_with_cluster`]), rules that need other
    /// objects report them as not evaluated, which is dropped.
    pub rules: Vec<&'static dyn plimsoll_rules::Rule>,
    pub config: plimsoll_rules::config::Config,
    pub kube_version: plimsoll_model::KubeVersion,
    pub pss_version: Option<plimsoll_model::KubeVersion>,
    pub fail_on: FailOn,
    /// The mode of namespaces without the label: `--mode`, else `serve.mode`, else warn.
    pub default_mode: ServeMode,
    /// `serve.mutate`.
    pub mutate: bool,
    /// `--strict`: annotation exemptions are not applied.
    pub strict: bool,
    /// The objects of `--policy` and the configuration's `policies`: the
    /// ValidatingAdmissionPolicies (with their bindings, params and Namespaces) every
    /// review is judged against, by the POL rules.
    pub policies: Vec<Object>,
}

/// Built-in controllers that make pods, or objects that make pods, from a template a
/// user wrote: what they create was judged when the controller was written.
fn made_by_controller(object: &Object) -> Option<String> {
    let r = object.controller_ref()?;
    let kind = r.get("kind")?.as_text()?;
    let api = r.get("apiVersion").and_then(|a| a.as_text()).unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g);
    let builtin = matches!(
        (group, kind),
        (
            "apps" | "extensions",
            "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet"
        ) | ("batch", "Job" | "CronJob")
            | ("", "ReplicationController")
            | ("argoproj.io", "Rollout")
    );
    let name = r.get("name").and_then(|n| n.as_text()).unwrap_or("");
    builtin.then(|| format!("{kind} {name}"))
}

/// The object of a review in plimsoll's model.
fn object_of(review: &Review, raw: &RawValue) -> Result<Object, String> {
    let root = plimsoll_yaml::node_from_json(raw.get())
        .map_err(|e| format!("the request's object could not be read: {e}"))?;
    let namespace = review.namespace.as_deref().unwrap_or("default");
    Object::from_node(
        root,
        SourceRef {
            file: None,
            doc: 0,
            item: None,
        },
        namespace,
        plimsoll_model::is_cluster_scoped,
    )
    .ok_or_else(|| "the request's object has no apiVersion or kind".to_string())
}

/// The findings on the admitted object (index 0), most severe first. With a cluster,
/// the rules whose kinds the index holds are judged with the objects around; the others
/// on the object alone.
fn findings_on(
    judge: &Judge,
    object: &Object,
    context: Option<&dyn Context>,
    rules: &[&'static dyn plimsoll_rules::Rule],
) -> Vec<Finding> {
    let mut findings = match context {
        None => judged(judge, vec![object.clone()], None, rules),
        Some(cx) => {
            let codes = cx.judged_with_cluster();
            let (with, alone): (Vec<_>, Vec<_>) = rules
                .iter()
                .copied()
                .partition(|r| codes.contains(r.meta().code));
            let mut findings = Vec::new();
            if !with.is_empty() {
                let same = |o: &Object| {
                    o.kind == object.kind
                        && o.namespace == object.namespace
                        && o.name == object.name
                };
                let mut objects = vec![object.clone()];
                objects.extend(
                    cx.objects_around(object.namespace.as_deref())
                        .into_iter()
                        .filter(|o| !same(o)),
                );
                findings = judged(judge, objects, object.namespace.as_deref(), &with);
            }
            if !alone.is_empty() {
                findings.extend(judged(judge, vec![object.clone()], None, &alone));
            }
            findings
        }
    };
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.code.cmp(b.rule.code))
    });
    findings
}

/// The findings on `objects[0]`. `held`: the objects hold every object of the kinds
/// the rules read in that namespace (and every cluster-scoped one of those kinds): what
/// they lack there is missing from the cluster. The other namespaces are known by their
/// Namespace objects only, never held.
fn judged(
    judge: &Judge,
    objects: Vec<Object>,
    held: Option<&str>,
    rules: &[&'static dyn plimsoll_rules::Rule],
) -> Vec<Finding> {
    let mut objects = objects;
    objects.extend(judge.policies.iter().cloned());
    let mut index = Index::new(objects);
    index.hold_declared_namespaces_only();
    if let Some(ns) = held {
        index.hold_namespaces_of(|o| o.namespace.as_deref() == Some(ns));
    }
    let facts = YamlFacts::default();
    let run = Run {
        rules,
        config: &judge.config,
        settings: &judge.config.settings,
        kube_version: judge.kube_version,
        pss_version: judge.pss_version,
        facts: &facts,
        comments: &[],
        strict: judge.strict,
        baseline: None,
        live: None,
        file_paths: &[],
        context_files_from: None,
    };
    engine::run_on(&index, &run, 0)
        .findings
        .into_iter()
        .filter(|f| f.object == 0)
        .collect()
}

impl Judge {
    /// The mode for a namespace: its `plimsoll.dev/mode` label, else the default. A
    /// label with another value is ignored (and the default applies).
    pub fn mode(&self, namespace: Option<&str>, context: Option<&dyn Context>) -> ServeMode {
        namespace
            .zip(context)
            .and_then(|(ns, cx)| cx.namespace_labels(ns))
            .and_then(|labels| labels.get(MODE_LABEL).and_then(|m| ServeMode::parse(m)))
            .unwrap_or(self.default_mode)
    }

    /// Answers a review at `/validate` or `/mutate`. An `Err` is an internal failure
    /// (the server fails open, or closed, with it).
    pub fn answer(
        &self,
        review: &Review,
        endpoint: Endpoint,
        context: Option<&dyn Context>,
    ) -> Result<Answer, String> {
        let skip = || Ok(Answer::allow(&review.uid, Decision::Skipped));
        // a status or scale update changes no template; a deletion has nothing to judge
        if review.sub_resource.is_some()
            || !matches!(review.operation.as_str(), "CREATE" | "UPDATE")
        {
            return skip();
        }
        let Some(raw) = &review.object else {
            return skip();
        };
        let object = object_of(review, raw)?;
        if made_by_controller(&object).is_some() {
            return skip();
        }
        let mode = self.mode(object.namespace.as_deref(), context);
        if mode == ServeMode::Off {
            return skip();
        }
        match endpoint {
            Endpoint::Validate => Ok(self.validate(review, &object, mode, context)),
            Endpoint::Mutate => self.mutate(review, raw, object, context),
        }
    }

    fn validate(
        &self,
        review: &Review,
        object: &Object,
        mode: ServeMode,
        context: Option<&dyn Context>,
    ) -> Answer {
        let mut findings = findings_on(self, object, context, &self.rules);
        // the policies of `--policy` judge a request as its CREATE: an UPDATE (whose
        // oldObject the evaluation does not have) is not theirs to judge here
        if review.operation != "CREATE" {
            findings.retain(|f| !f.rule.code.starts_with("POL"));
        }
        let mut answer = Answer::allow(&review.uid, Decision::Allowed);
        answer.codes = findings.iter().map(|f| f.rule.code).collect();
        if findings.is_empty() {
            return answer;
        }
        let (denying, warning): (Vec<&Finding>, Vec<&Finding>) = findings
            .iter()
            .partition(|f| mode == ServeMode::Deny && self.fail_on.fails(f.severity));
        if !denying.is_empty() {
            answer.allowed = false;
            answer.decision = Decision::Denied;
            answer.message = Some(denial(object, &denying, self.fail_on));
        } else {
            answer.decision = Decision::Warned;
        }
        answer.warnings = warnings(&warning);
        answer
    }

    /// Applies the safe fixes of the findings on the object, judging it again after
    /// each pass, and answers with the JSON Patch from the object sent to the result.
    fn mutate(
        &self,
        review: &Review,
        raw: &RawValue,
        mut object: Object,
        context: Option<&dyn Context>,
    ) -> Result<Answer, String> {
        let mut answer = Answer::allow(&review.uid, Decision::Allowed);
        if !self.mutate {
            return Ok(answer);
        }
        let rules: Vec<_> = self
            .rules
            .iter()
            .copied()
            .filter(|r| r.meta().fix.is_some())
            .collect();
        let original: Value = serde_json::from_str(raw.get())
            .map_err(|e| format!("the request's object could not be read: {e}"))?;
        let mut current = original.clone();
        for _ in 0..MAX_MUTATE_PASSES {
            let findings = findings_on(self, &object, context, &rules);
            let mut changed = false;
            for f in &findings {
                let Some(fix) = &f.fix else { continue };
                if fix.applicability != Applicability::Safe {
                    continue;
                }
                let mut next = current.clone();
                if apply_fix(&mut next, &fix.edits).is_ok() && next != current {
                    current = next;
                    changed = true;
                    answer.codes.push(f.rule.code);
                }
            }
            if !changed {
                break;
            }
            let text = serde_json::to_string(&current).expect("a JSON value serialises");
            let raw = RawValue::from_string(text).expect("serialised JSON is JSON");
            object = object_of(review, &raw)?;
        }
        let patch = json_patch::diff(&original, &current);
        if !patch.0.is_empty() {
            answer.patch = Some(serde_json::to_value(&patch).expect("a patch serialises"));
        }
        Ok(answer)
    }
}

/// Applies a fix's operations (JSON Patch `add`, `replace`, `remove`; `add` creates the
/// missing parent mappings, as the rules write them) to `doc`. Documents to append
/// (`add-document`) are for files, not for an object at admission: such a fix is
/// refused.
pub fn apply_fix(doc: &mut Value, edits: &[Value]) -> Result<(), String> {
    for edit in edits {
        let op = edit.get("op").and_then(Value::as_str).unwrap_or("");
        let path = edit.get("path").and_then(Value::as_str).unwrap_or("");
        let pointer = Pointer::parse(path);
        let segments = pointer.segments();
        let Some((last, parents)) = segments.split_last() else {
            return Err(format!("{op} at the root"));
        };
        match op {
            "add" | "replace" => {
                let value = edit.get("value").cloned().unwrap_or(Value::Null);
                let mut at = &mut *doc;
                for seg in parents {
                    at = match (seg, at) {
                        (Segment::Key(k), Value::Object(m)) => m
                            .entry(k.to_string())
                            .or_insert_with(|| Value::Object(Default::default())),
                        (Segment::Index(i), Value::Array(a)) => a
                            .get_mut(*i)
                            .ok_or_else(|| format!("{path}: no item {i}"))?,
                        (Segment::Key(k), Value::Array(a)) if k.as_str() == "-" => {
                            a.push(Value::Object(Default::default()));
                            a.last_mut().expect("just pushed")
                        }
                        _ => return Err(format!("{path}: a parent is not a container")),
                    };
                }
                match (last, at) {
                    (Segment::Key(k), Value::Object(m)) => {
                        if op == "replace" && !m.contains_key(k.as_str()) {
                            return Err(format!("{path}: nothing to replace"));
                        }
                        m.insert(k.to_string(), value);
                    }
                    (Segment::Key(k), Value::Array(a)) if k.as_str() == "-" => a.push(value),
                    (Segment::Index(i), Value::Array(a)) if op == "replace" => {
                        *a.get_mut(*i)
                            .ok_or_else(|| format!("{path}: no item {i}"))? = value;
                    }
                    (Segment::Index(i), Value::Array(a)) if *i <= a.len() => a.insert(*i, value),
                    _ => return Err(format!("{path}: the parent is not a container")),
                }
            }
            "remove" => {
                let parent = parents
                    .iter()
                    .try_fold(&mut *doc, |at, seg| match (seg, at) {
                        (Segment::Key(k), Value::Object(m)) => m.get_mut(k.as_str()),
                        (Segment::Index(i), Value::Array(a)) => a.get_mut(*i),
                        _ => None,
                    });
                match (last, parent) {
                    (Segment::Key(k), Some(Value::Object(m))) => {
                        m.shift_remove(k.as_str())
                            .ok_or_else(|| format!("{path}: nothing to remove"))?;
                    }
                    (Segment::Index(i), Some(Value::Array(a))) if *i < a.len() => {
                        a.remove(*i);
                    }
                    _ => return Err(format!("{path}: nothing to remove")),
                }
            }
            other => return Err(format!("`{other}` is not applied at admission")),
        }
    }
    Ok(())
}

/// A JSON pointer as a field path: `spec.template.spec.containers[0].image`.
pub fn field_path(p: &Pointer) -> String {
    let mut out = String::new();
    for seg in p.segments() {
        match seg {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
        }
    }
    out
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// One line of text: control characters (line breaks in a message) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The denial message: the object, then one line per finding with its code, container,
/// field and message, then how to exempt.
fn denial(object: &Object, findings: &[&Finding], fail_on: FailOn) -> String {
    let ns = object
        .namespace
        .as_deref()
        .map(|n| format!("{n}/"))
        .unwrap_or_default();
    let mut out = format!(
        "plimsoll denied {} {ns}{}: {} finding(s) at or above {}:",
        object.kind,
        object.name,
        findings.len(),
        match fail_on {
            FailOn::Error | FailOn::Never => "error",
            FailOn::Warning => "warning",
            FailOn::Info => "info",
        }
    );
    for f in findings {
        out.push_str(&format!(
            "\n- {} {} ({}){}{}: {}",
            f.rule.code,
            f.rule.name,
            severity(f.severity),
            f.container
                .as_deref()
                .map(|c| format!(", container {c}"))
                .unwrap_or_default(),
            if f.path.is_root() {
                String::new()
            } else {
                format!(", at {}", field_path(&f.path))
            },
            one_line(&f.message)
        ));
    }
    let codes: Vec<&str> = {
        let mut c: Vec<&str> = findings.iter().map(|f| f.rule.code).collect();
        c.dedup();
        c
    };
    out.push_str(&format!(
        "\nTo exempt this object, annotate it (or its pod template) with plimsoll.dev/ignore: \"{} -- <reason>\", or add an exemption to the configuration; `plimsoll rule CODE` explains each rule.",
        codes.join(",")
    ));
    out
}

/// Shortens `text` to at most `max` characters, ending with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The warnings of an answer: one per finding, each under [`MAX_WARNING_CHARS`], at
/// most [`MAX_WARNINGS_BYTES`] in all; when they do not all fit, the last one says how
/// many were left out.
pub fn warnings(findings: &[&Finding]) -> Vec<String> {
    let lines: Vec<String> = findings
        .iter()
        .map(|f| {
            // the messages name the container already
            let text = format!("plimsoll {}: {}", f.rule.code, one_line(&f.message));
            shorten(&text, MAX_WARNING_CHARS)
        })
        .collect();
    let mut out = Vec::new();
    let mut bytes = 0;
    // room kept for the line that counts those left out
    let reserve = 64;
    for (i, line) in lines.iter().enumerate() {
        let rest = lines.len() - i;
        let room = if rest > 1 {
            MAX_WARNINGS_BYTES - reserve
        } else {
            MAX_WARNINGS_BYTES
        };
        if bytes + line.len() > room {
            out.push(format!(
                "plimsoll: {rest} more finding(s) not shown; run plimsoll check on the manifest"
            ));
            break;
        }
        bytes += line.len();
        out.push(line.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(object: &str) -> Vec<u8> {
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u-1","kind":{{"group":"apps","version":"v1","kind":"Deployment"}},"namespace":"shop","operation":"CREATE","object":{object}}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn malformed_requests_are_refused_with_a_reason() {
        let cases: &[(&[u8], &str)] = &[
            (b"{", "not an AdmissionReview in JSON"),
            (b"[]", "not an AdmissionReview in JSON"),
            (
                br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#,
                "expected apiVersion admission.k8s.io/v1",
            ),
            (
                br#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"x"}}"#,
                "kind AdmissionReview",
            ),
            (
                br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
                "has no request",
            ),
            (
                br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}"#,
                "has no uid",
            ),
        ];
        for (body, why) in cases {
            let e = parse(body).expect_err(std::str::from_utf8(body).unwrap());
            assert!(
                e.0.contains(why),
                "{}: {}",
                String::from_utf8_lossy(body),
                e.0
            );
            assert!(!e.0.contains('\n'));
        }
        let big = vec![b' '; MAX_BODY + 1];
        assert!(parse(&big).unwrap_err().0.contains("over the limit"));
    }

    #[test]
    fn a_review_is_read() {
        let r = parse(&review(r#"{"apiVersion":"apps/v1","kind":"Deployment"}"#)).unwrap();
        assert_eq!(r.uid, "u-1");
        assert_eq!(r.operation, "CREATE");
        assert_eq!(r.kind, "Deployment");
        assert_eq!(r.namespace.as_deref(), Some("shop"));
        assert!(!r.dry_run);
    }

    #[test]
    fn fixes_apply_as_json_patch_with_parents_created() {
        let mut doc = serde_json::json!({"spec": {"containers": [{"name": "a"}]}});
        apply_fix(
            &mut doc,
            &[serde_json::json!({"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": false})],
        )
        .unwrap();
        assert_eq!(
            doc["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
            Value::Bool(false)
        );
        apply_fix(
            &mut doc,
            &[serde_json::json!({"op": "remove", "path": "/spec/containers/0/name"})],
        )
        .unwrap();
        assert!(doc["spec"]["containers"][0].get("name").is_none());
        assert!(
            apply_fix(
                &mut doc,
                &[serde_json::json!({"op": "add-document", "value": {}})]
            )
            .is_err()
        );
    }

    #[test]
    fn warnings_stay_short_and_bounded() {
        let meta: &'static plimsoll_rules::rule::RuleMeta =
            plimsoll_rules::registry::all_rules()[0].meta();
        let f = Finding {
            rule: meta,
            severity: Severity::Warning,
            message: "x".repeat(500),
            object: 0,
            container: Some("app".into()),
            path: Pointer::root(),
            span: None,
            related: Vec::new(),
            related_omitted: 0,
            fix: None,
        };
        let many: Vec<&Finding> = std::iter::repeat_n(&f, 100).collect();
        let w = warnings(&many);
        assert!(w.iter().all(|l| l.chars().count() <= MAX_WARNING_CHARS));
        assert!(w.iter().map(String::len).sum::<usize>() <= MAX_WARNINGS_BYTES);
        assert!(w.last().unwrap().contains("more finding(s) not shown"));
    }
}
