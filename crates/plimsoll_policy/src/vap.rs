//! ValidatingAdmissionPolicies and their bindings, evaluated for one request as the API
//! server's admission plugin evaluates them (`admission/plugin/policy/validating`):
//! which policies and bindings match the request, which params each binding selects,
//! the match conditions, the variables, the validations with their messages, the audit
//! annotations' errors, failurePolicy, and what `validationActions` makes of each
//! decision. Every request is a CREATE: `oldObject` is null.
//!
//! Offline, three things differ from a cluster, and each is said where it happens: a
//! namespace that is not among the inputs is taken to exist with only its automatic
//! `kubernetes.io/metadata.name` label; `authorizer` cannot answer (an expression that
//! asks it errors, and failurePolicy decides); a rule matched through `matchPolicy:
//! Equivalent` in another version than the object's sees the object as written, not
//! converted.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::objects::{Key, Map};
use cel::{ExecutionError, Program, Value};
use plimsoll_model::LabelSelector;
use plimsoll_yaml::Node;

use crate::checker::{self, Decls, Mode, Phase, Type};
use crate::convert::to_cel;
use crate::{cost, defaults, k8s};

/// The suffix of a name generated from `generateName` (the API server's is five random
/// characters of `bcdfghjklmnpqrstvwxz2456789`).
pub const GENERATED_SUFFIX: &str = "x2x4x";

/// The API group of the policies.
pub const GROUP: &str = "admissionregistration.k8s.io";
/// The cost limit of one expression (`PerCallLimit`).
pub const PER_CALL_LIMIT: u64 = 1_000_000;
/// What the validations of one (policy, binding, param) may cost together
/// (`RuntimeCELCostBudget`).
pub const RUNTIME_BUDGET: u64 = 10_000_000;
/// What the match conditions of one evaluation may cost.
pub const MATCH_CONDITIONS_BUDGET: u64 = 2_500_000;
/// The API server's one decision when the validations of an evaluation run out of
/// their shared budget: it replaces every other decision of that evaluation.
const OUT_OF_BUDGET: &str =
    "validation failed due to running out of cost budget, no further validation rules will be run";

/// The longest message a messageExpression may give (`MaxEvaluatedMessageExpressionSizeBytes`).
const MAX_MESSAGE_BYTES: usize = 5 * 1024;

/// Whether a document is a policy or a binding of `admissionregistration.k8s.io` (v1,
/// v1beta1 or v1alpha1).
pub fn is_policy_kind(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("admissionregistration.k8s.io/")
        && matches!(
            kind,
            "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding"
        )
}

/// One document of the input as the policy set reads it.
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    /// The caller's identifier of the object (reported back in decisions).
    pub id: usize,
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub root: &'a Node,
}

/// A CEL expression of a policy, compiled.
#[derive(Debug)]
pub struct Expr {
    /// The variable's or match condition's name, the audit annotation's key; empty for
    /// validations and messages.
    pub name: String,
    pub source: String,
    /// Where it is written in the policy (`/spec/validations/0/expression`).
    pub pointer: String,
    /// The program, or the API server's message for an expression that does not compile.
    pub program: Result<Arc<Program>, String>,
    /// What its cost can be known to be before it runs.
    pub shape: Option<cost::Shape>,
    /// Its type (`dyn` when it does not compile).
    pub ty: Type,
}

#[derive(Debug)]
pub struct Validation {
    pub expression: Expr,
    /// The fields of `object` the expression reads (`["spec", "replicas"]`), in the
    /// order written: where a finding about it points.
    pub reads: Vec<Vec<String>>,
    pub message: Option<String>,
    pub message_expression: Option<Expr>,
    pub reason: String,
}

/// `failurePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Fail,
    Ignore,
}

/// A resource rule of `matchConstraints` or `matchResources`.
#[derive(Debug, Clone, Default)]
pub struct ResourceRule {
    pub groups: Vec<String>,
    pub versions: Vec<String>,
    pub resources: Vec<String>,
    pub operations: Vec<String>,
    pub names: Vec<String>,
    /// `*`, `Cluster` or `Namespaced`.
    pub scope: String,
}

#[derive(Debug, Clone, Default)]
pub struct MatchResources {
    pub namespace_selector: LabelSelector,
    pub object_selector: LabelSelector,
    pub rules: Vec<ResourceRule>,
    pub exclude: Vec<ResourceRule>,
    /// `matchPolicy: Equivalent` (the default) rather than `Exact`.
    pub equivalent: bool,
}

/// A ValidatingAdmissionPolicy as the API server holds it.
#[derive(Debug)]
pub struct Policy {
    pub id: usize,
    pub name: String,
    pub failure: Failure,
    /// `paramKind` (apiVersion, kind).
    pub param_kind: Option<(String, String)>,
    pub constraints: MatchResources,
    pub match_conditions: Vec<Expr>,
    pub variables: Vec<Expr>,
    pub validations: Vec<Validation>,
    pub audit_annotations: Vec<Expr>,
    /// Why the API server would refuse to create this policy (field and reason, as its
    /// validation says them): such a policy is never in force.
    pub invalid: Vec<Problem>,
}

/// A problem of a policy or binding, with where it is written.
#[derive(Debug, Clone)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

/// A problem of a policy or binding that the API server refuses to create (see
/// [`PolicySet::refused`]).
#[derive(Debug, Clone, Copy)]
pub struct Refused<'s> {
    /// The document of the policy or binding.
    pub id: usize,
    /// `ValidatingAdmissionPolicy` or `ValidatingAdmissionPolicyBinding`.
    pub kind: &'static str,
    pub name: &'s str,
    pub problem: &'s Problem,
}

/// `paramRef`.
#[derive(Debug, Clone)]
pub struct ParamRef {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub selector: Option<LabelSelector>,
    /// `parameterNotFoundAction: Deny`.
    pub deny_when_missing: bool,
}

/// `validationActions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Deny,
    Warn,
    Audit,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "Deny",
            Action::Warn => "Warn",
            Action::Audit => "Audit",
        }
    }
}

#[derive(Debug)]
pub struct Binding {
    pub id: usize,
    pub name: String,
    pub policy_name: String,
    pub param_ref: Option<ParamRef>,
    pub match_resources: Option<MatchResources>,
    pub actions: Vec<Action>,
    pub invalid: Vec<Problem>,
}

/// A param object: a document of the kind a policy's `paramKind` names.
struct Param {
    /// The most entries of a list, map or string of the param.
    largest: u64,
    id: usize,
    name: String,
    namespace: Option<String>,
    labels: Vec<(String, String)>,
    value: Value,
}

/// Who makes the requests.
#[derive(Debug, Clone)]
pub struct UserInfo {
    pub username: String,
    pub groups: Vec<String>,
}

impl Default for UserInfo {
    fn default() -> Self {
        UserInfo {
            username: "admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
        }
    }
}

/// What a decision comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cause {
    /// A validation that was false (its index).
    Violation(usize),
    /// An expression that failed to evaluate (or to compile, or ran out of cost), at
    /// that place of the policy.
    Error(String),
    /// An audit annotation's valueExpression that failed: under `Fail` a denial
    /// whatever `validationActions` says.
    AnnotationError(String),
    /// A binding that cannot be applied (params missing with `Deny`, an unknown
    /// paramKind): failurePolicy decides, `validationActions` does not.
    Configuration,
}

/// What the policies make of one request.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Denials, warnings and audit entries.
    pub decisions: Vec<Decision>,
    /// Errors that `failurePolicy: Ignore` turned into admissions: (policy, where in
    /// the policy, message).
    pub ignored: Vec<(usize, String, String)>,
    /// The (policy, binding) pairs that matched the request, in order.
    pub matched: Vec<(usize, usize)>,
}

/// One decision that is not an admission: a denial, a warning or an audit entry.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Index of the policy and binding in the [`PolicySet`] (no binding for an error of
    /// the policy itself, such as a `paramKind` the cluster does not serve).
    pub policy: usize,
    pub binding: Option<usize>,
    /// The caller's id of the param object the evaluation used.
    pub param: Option<usize>,
    pub action: Action,
    pub cause: Cause,
    pub message: String,
    /// The status reason (`Invalid` unless the validation says otherwise).
    pub reason: String,
}

/// The policies and bindings of a run, with the namespaces and param objects they read.
pub struct PolicySet {
    pub minor: u32,
    pub policies: Vec<Policy>,
    pub bindings: Vec<Binding>,
    /// Per policy, its bindings that are in force.
    by_policy: Vec<Vec<usize>>,
    /// Params by (apiVersion, kind).
    params: HashMap<(String, String), Vec<Param>>,
    /// Whether each paramKind is known, and namespaced.
    param_scope: HashMap<(String, String), Option<bool>>,
    /// Defaulted Namespace objects by name.
    namespaces: HashMap<String, serde_json::Value>,
}

/// How the caller resolves a kind: `Some(namespaced)` for a kind the cluster serves.
pub type Scope<'a> = &'a dyn Fn(&str, &str) -> Option<bool>;

impl PolicySet {
    /// Reads the policies, bindings, namespaces and params among `docs` for Kubernetes
    /// 1.`minor`. `scope` says whether a kind is served, and namespaced.
    pub fn build<'a>(
        docs: impl IntoIterator<Item = Doc<'a>>,
        minor: u32,
        scope: Scope,
    ) -> PolicySet {
        let docs: Vec<Doc<'a>> = docs.into_iter().collect();
        let mut policies = Vec::new();
        let mut bindings = Vec::new();
        let mut namespaces = HashMap::new();
        for d in &docs {
            if d.api_version.starts_with("admissionregistration.k8s.io/") {
                match d.kind {
                    "ValidatingAdmissionPolicy" => policies.push(read_policy(d, minor)),
                    "ValidatingAdmissionPolicyBinding" => bindings.push(read_binding(d)),
                    _ => {}
                }
            } else if d.api_version == "v1" && d.kind == "Namespace" {
                let mut v = d.root.to_json();
                defaults::apply(&mut v, minor);
                namespaces.insert(d.name.to_string(), v);
            }
        }
        let mut by_policy = vec![Vec::new(); policies.len()];
        let index: HashMap<&str, usize> = policies
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        for (b, binding) in bindings.iter().enumerate() {
            if binding.invalid.is_empty()
                && let Some(&p) = index.get(binding.policy_name.as_str())
            {
                by_policy[p].push(b);
            }
        }
        let mut param_scope = HashMap::new();
        for p in &policies {
            if let Some((v, k)) = &p.param_kind {
                param_scope.insert((v.clone(), k.clone()), scope(v, k));
            }
        }
        let mut params: HashMap<(String, String), Vec<Param>> = HashMap::new();
        for d in &docs {
            let key = (d.api_version.to_string(), d.kind.to_string());
            if param_scope.contains_key(&key) {
                let mut value = d.root.to_json();
                defaults::apply(&mut value, minor);
                params.entry(key).or_default().push(Param {
                    largest: largest_collection(&value),
                    id: d.id,
                    name: d.name.to_string(),
                    namespace: d.namespace.map(str::to_string),
                    labels: labels_of(&value),
                    value: to_cel(&value),
                });
            }
        }
        PolicySet {
            minor,
            policies,
            bindings,
            by_policy,
            params,
            param_scope,
            namespaces,
        }
    }

    /// Whether any policy is in force (has a valid binding).
    pub fn is_empty(&self) -> bool {
        self.by_policy.iter().all(Vec::is_empty)
    }

    /// Every problem for which the API server would refuse to create a policy or a
    /// binding of the run: the policies' first, in input order.
    pub fn refused(&self) -> impl Iterator<Item = Refused<'_>> {
        let policies = self.policies.iter().flat_map(|p| {
            p.invalid.iter().map(|problem| Refused {
                id: p.id,
                kind: "ValidatingAdmissionPolicy",
                name: &p.name,
                problem,
            })
        });
        let bindings = self.bindings.iter().flat_map(|b| {
            b.invalid.iter().map(|problem| Refused {
                id: b.id,
                kind: "ValidatingAdmissionPolicyBinding",
                name: &b.name,
                problem,
            })
        });
        policies.chain(bindings)
    }

    /// The bindings of the run that name no policy among the inputs.
    pub fn unbound(&self) -> impl Iterator<Item = &Binding> {
        let names: std::collections::HashSet<&str> =
            self.policies.iter().map(|p| p.name.as_str()).collect();
        self.bindings
            .iter()
            .filter(move |b| b.invalid.is_empty() && !names.contains(b.policy_name.as_str()))
    }

    /// The decisions the API server makes on a CREATE of `req`: every denial, warning
    /// and audit entry (the server answers with the first denial only).
    pub fn evaluate(&self, req: &Request) -> Evaluation {
        let mut ev = Evaluation::default();
        if req.group == GROUP
            && matches!(
                req.kind,
                "ValidatingAdmissionPolicy"
                    | "ValidatingAdmissionPolicyBinding"
                    | "MutatingAdmissionPolicy"
                    | "MutatingAdmissionPolicyBinding"
            )
        {
            // policies never see policies
            return ev;
        }
        let object: OnceLock<(serde_json::Value, String)> = OnceLock::new();
        let mut base: Option<cel::Context<'static, 'static>> = None;
        // the most entries of a list, map or string of the object: what bounds the cost
        let mut largest: Option<u64> = None;
        for (p, policy) in self.policies.iter().enumerate() {
            if !policy.invalid.is_empty() || self.by_policy[p].is_empty() {
                continue;
            }
            let Some(matched) = self.matches(&policy.constraints, req, &object) else {
                continue;
            };
            // a paramKind the cluster does not serve: an error of the policy, before
            // any binding is looked at
            if let Some(message) = self.param_kind_error(policy) {
                let message = format!("failed to configure policy: {message}");
                if policy.failure == Failure::Ignore {
                    ev.ignored.push((p, "/spec/paramKind".into(), message));
                } else {
                    ev.decisions.push(Decision {
                        policy: p,
                        binding: None,
                        param: None,
                        action: Action::Deny,
                        cause: Cause::Configuration,
                        message,
                        reason: "Invalid".into(),
                    });
                }
                continue;
            }
            for &b in &self.by_policy[p] {
                let binding = &self.bindings[b];
                if let Some(mr) = &binding.match_resources
                    && self.matches(mr, req, &object).is_none()
                {
                    continue;
                }
                ev.matched.push((p, b));
                let (_, name) = object.get_or_init(|| self.object_of(req));
                let params =
                    match self.collect_params(policy, binding, request_namespace(req, name)) {
                        Ok(params) => params,
                        Err(message) => {
                            if policy.failure == Failure::Ignore {
                                ev.ignored.push((p, "/spec/paramKind".into(), message));
                            } else {
                                ev.decisions.push(Decision {
                                    policy: p,
                                    binding: Some(b),
                                    param: None,
                                    action: Action::Deny,
                                    cause: Cause::Configuration,
                                    message: format!("failed to configure binding: {message}"),
                                    reason: "Invalid".into(),
                                });
                            }
                            continue;
                        }
                    };
                let (json, name) = object.get_or_init(|| self.object_of(req));
                let largest = largest.get_or_insert_with(|| largest_collection(json));
                let base = base.get_or_insert_with(|| {
                    let own = Matched {
                        version: req.version.to_string(),
                    };
                    base_context(
                        json,
                        &request_value(req, name, &own),
                        &self.namespace_object(req),
                    )
                });
                let request =
                    (matched.version != req.version).then(|| request_value(req, name, &matched));
                for param in params {
                    let items = (*largest).max(param.map_or(0, |x| x.largest));
                    let decisions = validate(
                        policy,
                        param.map(|x| &x.value),
                        base,
                        request.as_ref(),
                        items,
                    );
                    for (cause, message, reason) in decisions {
                        if policy.failure == Failure::Ignore {
                            if let Cause::Error(at) | Cause::AnnotationError(at) = &cause {
                                ev.ignored.push((p, at.clone(), message));
                                continue;
                            }
                        }
                        let actions: &[Action] = if matches!(cause, Cause::AnnotationError(_)) {
                            &[Action::Deny]
                        } else {
                            &binding.actions
                        };
                        for &action in actions {
                            ev.decisions.push(Decision {
                                policy: p,
                                binding: Some(b),
                                param: param.map(|x| x.id),
                                action,
                                cause: cause.clone(),
                                message: message.clone(),
                                reason: reason.clone(),
                            });
                        }
                    }
                }
            }
        }
        ev
    }

    /// The text the API server gives for a decision: a denial's message, a warning's
    /// header, or an audit entry's message.
    pub fn server_text(&self, d: &Decision) -> String {
        let p = &self.policies[d.policy].name;
        let with = d
            .binding
            .map(|b| format!(" with binding '{}'", self.bindings[b].name))
            .unwrap_or_default();
        match d.action {
            Action::Deny => format!(
                "ValidatingAdmissionPolicy '{p}'{with} denied request: {}",
                d.message
            ),
            Action::Warn => format!(
                "Validation failed for ValidatingAdmissionPolicy '{p}'{with}: {}",
                d.message
            ),
            Action::Audit => d.message.clone(),
        }
    }

    /// The object as admission sees it: defaulted, and named when it has only a
    /// `generateName` (the API server generates the name before admission; offline the
    /// suffix is a fixed one), with its name.
    fn object_of(&self, req: &Request) -> (serde_json::Value, String) {
        let mut v = req.object.to_json();
        defaults::apply(&mut v, self.minor);
        let mut name = req.name.to_string();
        if name.is_empty()
            && let Some(meta) = v
                .get_mut("metadata")
                .and_then(serde_json::Value::as_object_mut)
            && let Some(prefix) = meta.get("generateName").and_then(serde_json::Value::as_str)
        {
            name = format!("{prefix}{GENERATED_SUFFIX}");
            meta.insert("name".into(), serde_json::Value::String(name.clone()));
        }
        (v, name)
    }

    /// Why the cluster cannot serve `policy`'s paramKind, if it cannot.
    fn param_kind_error(&self, policy: &Policy) -> Option<String> {
        let (api_version, kind) = policy.param_kind.as_ref()?;
        if self
            .param_scope
            .get(&(api_version.clone(), kind.clone()))
            .copied()
            .flatten()
            .is_some()
        {
            return None;
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        Some(format!(
            "failed to find resource referenced by paramKind: '{group}/{version}, Kind={kind}'"
        ))
    }

    /// The labels of the namespace the request is in (its own, for a Namespace).
    fn namespace_labels(&self, req: &Request, object: &serde_json::Value) -> Vec<(String, String)> {
        if req.is_namespace() {
            return labels_of(object);
        }
        let Some(ns) = req.namespace else {
            return Vec::new();
        };
        match self.namespaces.get(ns) {
            Some(v) => labels_of(v),
            None => vec![("kubernetes.io/metadata.name".into(), ns.to_string())],
        }
    }

    fn namespace_object(&self, req: &Request) -> Value {
        if req.is_namespace() {
            return Value::Null;
        }
        let Some(ns) = req.namespace else {
            return Value::Null;
        };
        let v = self.namespaces.get(ns).cloned().unwrap_or_else(|| {
            serde_json::json!({
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            })
        });
        namespace_value(&v)
    }

    /// Whether `mr` matches the request: the version of the rule that matched (the
    /// request's own, or an equivalent one), or `None`.
    fn matches(
        &self,
        mr: &MatchResources,
        req: &Request,
        object: &OnceLock<(serde_json::Value, String)>,
    ) -> Option<Matched> {
        // the resource rules first: they need nothing of the object
        // exclusion wins, and is matched with the same equivalence as inclusion
        let excluded = |r: &ResourceRule| {
            rule_matches(r, req, req.version)
                || mr.equivalent
                    && r.versions
                        .iter()
                        .any(|v| v != "*" && v != req.version && rule_matches(r, req, v))
        };
        if mr.exclude.iter().any(excluded) {
            return None;
        }
        let matched =
            if mr.rules.is_empty() || mr.rules.iter().any(|r| rule_matches(r, req, req.version)) {
                Matched {
                    version: req.version.to_string(),
                }
            } else if mr.equivalent {
                // the same group and resource in another version
                mr.rules.iter().find_map(|r| {
                    r.versions
                        .iter()
                        .find(|v| *v != "*" && *v != req.version && rule_matches(r, req, v))
                        .map(|v| Matched { version: v.clone() })
                })?
            } else {
                return None;
            };
        // namespaceSelector: a cluster-scoped request that is not for a namespace
        // always matches
        if !mr.namespace_selector.is_empty() && (req.namespace.is_some() || req.is_namespace()) {
            let (json, _) = object.get_or_init(|| self.object_of(req));
            let labels = self.namespace_labels(req, json);
            if !mr.namespace_selector.matches_pairs(&pairs(&labels)) {
                return None;
            }
        }
        if !mr.object_selector.is_empty() {
            let (json, _) = object.get_or_init(|| self.object_of(req));
            let labels = labels_of(json);
            if !mr.object_selector.matches_pairs(&pairs(&labels)) {
                return None;
            }
        }
        Some(matched)
    }

    fn collect_params<'s>(
        &'s self,
        policy: &Policy,
        binding: &Binding,
        request_namespace: Option<&str>,
    ) -> Result<Vec<Option<&'s Param>>, String> {
        let Some((api_version, kind)) = &policy.param_kind else {
            return Ok(vec![None]);
        };
        let Some(pref) = &binding.param_ref else {
            return Ok(vec![None]);
        };
        let key = (api_version.clone(), kind.clone());
        // a paramKind the cluster does not serve is an error of the policy (above)
        let namespaced = self
            .param_scope
            .get(&key)
            .copied()
            .flatten()
            .unwrap_or(true);
        let namespace = if namespaced {
            match &pref.namespace {
                Some(ns) => Some(ns.as_str()),
                None => match request_namespace {
                    Some(ns) => Some(ns),
                    None => {
                        return Err("cannot use namespaced paramRef in policy binding that matches cluster-scoped resources".into());
                    }
                },
            }
        } else {
            if pref.namespace.is_some() {
                return Err(
                    "paramRef.namespace must not be provided for a cluster-scoped `paramKind`"
                        .into(),
                );
            }
            None
        };
        let all = self.params.get(&key).map(Vec::as_slice).unwrap_or_default();
        let in_scope = all
            .iter()
            .filter(|p| !namespaced || p.namespace.as_deref() == namespace);
        let found: Vec<Option<&Param>> = match (&pref.name, &pref.selector) {
            (Some(name), _) => in_scope
                .filter(|p| &p.name == name)
                .take(1)
                .map(Some)
                .collect(),
            (None, Some(sel)) => in_scope
                .filter(|p| sel.matches_pairs(&pairs(&p.labels)))
                .map(Some)
                .collect(),
            (None, None) => return Err("one of name or selector must be provided".into()),
        };
        if found.is_empty() && pref.deny_when_missing {
            return Err(
                "no params found for policy binding with `Deny` parameterNotFoundAction".into(),
            );
        }
        Ok(found)
    }
}

/// The version a policy's rule matched the request in.
struct Matched {
    version: String,
}

/// A request: the CREATE of one object.
pub struct Request<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    /// The resource (plural), as the cluster serves the kind.
    pub resource: &'a str,
    /// `metadata.name` (empty for `generateName`).
    pub name: &'a str,
    /// The namespace of a namespaced object.
    pub namespace: Option<&'a str>,
    pub object: &'a Node,
    pub user: &'a UserInfo,
}

impl Request<'_> {
    fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.version == "v1" && self.kind == "Namespace"
    }
}

fn pairs(labels: &[(String, String)]) -> Vec<(&str, &str)> {
    labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn labels_of(v: &serde_json::Value) -> Vec<(String, String)> {
    v.pointer("/metadata/labels")
        .and_then(serde_json::Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn rule_matches(r: &ResourceRule, req: &Request, version: &str) -> bool {
    let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
    if !any(&r.groups, req.group) || !any(&r.versions, version) || !any(&r.operations, "CREATE") {
        return false;
    }
    let cluster = req.namespace.is_none();
    match r.scope.as_str() {
        "Namespaced" if cluster || req.is_namespace() => return false,
        "Cluster" if !cluster && !req.is_namespace() => return false,
        _ => {}
    }
    // resources: `pods` (main resource only), `pods/*`, `*`, `*/*`, `*/status`
    let resource_ok = r.resources.iter().any(|x| match x.split_once('/') {
        None => x == "*" || x == req.resource,
        Some((res, sub)) => (res == "*" || res == req.resource) && (sub == "*"),
    });
    if !resource_ok {
        return false;
    }
    r.names.is_empty() || (!req.name.is_empty() && r.names.iter().any(|n| n == req.name))
}

/// The namespace of the request: a namespaced object's, none for a cluster-scoped one,
/// and a Namespace created by name is in itself (one created by `generateName` is in
/// none).
fn request_namespace<'r>(req: &'r Request, name: &'r str) -> Option<&'r str> {
    if req.is_namespace() {
        Some(name).filter(|n| !n.is_empty() && !req.name.is_empty())
    } else {
        req.namespace
    }
}

/// `request` as CEL sees it: the AdmissionRequest as JSON, so that empty strings and
/// lists (`omitempty`) are absent: `request.namespace` of a cluster-scoped request and
/// `request.subResource` of a main resource are `no such key`.
fn request_value(req: &Request, name: &str, matched: &Matched) -> Value {
    let gvk = |version: &str| {
        map(vec![
            ("group", s(req.group)),
            ("version", s(version)),
            ("kind", s(req.kind)),
        ])
    };
    let gvr = |version: &str| {
        map(vec![
            ("group", s(req.group)),
            ("version", s(version)),
            ("resource", s(req.resource)),
        ])
    };
    let mut fields = vec![
        ("kind", gvk(&matched.version)),
        ("resource", gvr(&matched.version)),
        ("requestKind", gvk(req.version)),
        ("requestResource", gvr(req.version)),
        ("operation", s("CREATE")),
        ("dryRun", Value::Bool(false)),
        (
            "options",
            map(vec![
                ("kind", s("CreateOptions")),
                ("apiVersion", s("meta.k8s.io/v1")),
            ]),
        ),
    ];
    if !name.is_empty() {
        fields.push(("name", s(name)));
    }
    if let Some(ns) = request_namespace(req, name) {
        fields.push(("namespace", s(ns)));
    }
    let mut user = Vec::new();
    if !req.user.username.is_empty() {
        user.push(("username", s(&req.user.username)));
    }
    if !req.user.groups.is_empty() {
        user.push((
            "groups",
            Value::List(Arc::new(req.user.groups.iter().map(|g| s(g)).collect())),
        ));
    }
    fields.push(("userInfo", map(user)));
    map(fields)
}

/// `namespaceObject`: the typed Namespace's fields that CEL is given, zero when unset.
fn namespace_value(v: &serde_json::Value) -> Value {
    let get = |p: &str| v.pointer(p).map(to_cel);
    let str_or = |p: &str| get(p).unwrap_or_else(|| s(""));
    let map_or = |p: &str| get(p).unwrap_or_else(|| map(vec![]));
    let list_or = |p: &str| get(p).unwrap_or_else(|| Value::List(Arc::new(Vec::new())));
    map(vec![
        (
            "metadata",
            map(vec![
                ("name", str_or("/metadata/name")),
                ("generateName", str_or("/metadata/generateName")),
                ("labels", map_or("/metadata/labels")),
                ("annotations", map_or("/metadata/annotations")),
                ("uid", str_or("/metadata/uid")),
                ("resourceVersion", str_or("/metadata/resourceVersion")),
                (
                    "generation",
                    get("/metadata/generation").unwrap_or(Value::Int(0)),
                ),
                ("finalizers", list_or("/metadata/finalizers")),
            ]),
        ),
        (
            "spec",
            map(vec![("finalizers", list_or("/spec/finalizers"))]),
        ),
        (
            "status",
            map(vec![
                ("phase", str_or("/status/phase")),
                ("conditions", list_or("/status/conditions")),
            ]),
        ),
    ])
}

fn s(text: &str) -> Value {
    Value::String(Arc::new(text.to_string()))
}

fn map(fields: Vec<(&str, Value)>) -> Value {
    let m: HashMap<Key, Value> = fields
        .into_iter()
        .map(|(k, v)| (Key::String(Arc::new(k.to_string())), v))
        .collect();
    Value::Map(Map { map: Arc::new(m) })
}

/// The variables every expression of a request sees (`object`, `oldObject`, `request`
/// in the request's own version, `namespaceObject`), converted once per request; each
/// (policy, binding, param) adds its own in an inner scope.
fn base_context(
    object: &serde_json::Value,
    request: &Value,
    namespace: &Value,
) -> cel::Context<'static, 'static> {
    let mut cx = cel::Context::with_env(k8s::env());
    cx.add_variable_as_val("object", crate::convert::to_val(object));
    cx.add_variable_from_value("oldObject", Value::Null);
    cx.add_variable_from_value("request", request.clone());
    cx.add_variable_from_value("namespaceObject", namespace.clone());
    cx
}

/// The variables evaluated so far (name, value or the error).
type Variables = Vec<(String, Result<Value, String>)>;

fn variables_value(vars: &Variables) -> Value {
    map(vars
        .iter()
        .filter_map(|(n, v)| v.as_ref().ok().map(|v| (n.as_str(), v.clone())))
        .collect())
}

/// Evaluates an expression: its value, or the API server's message for the error.
fn eval(
    e: &Expr,
    cx: &cel::Context,
    vars: &Variables,
    items: u64,
    budget: &mut u64,
) -> Result<Value, String> {
    let program = match &e.program {
        Ok(p) => p,
        Err(m) => return Err(format!("compilation error: {m}")),
    };
    let wrap = |m: String| format!("expression '{}' resulted in error: {m}", e.source);
    // the cost is counted only where a bound from the inputs' sizes does not settle it
    let counted = match e.shape.as_ref().and_then(|sh| cost::bound(sh, items)) {
        Some(b) => Ok(b),
        None => cost::runtime_cost(program, cx),
    };
    // as the API server: the cost is charged first (running out of the shared budget
    // ends the evaluation), then an expression over the per-call limit fails alone
    if let Ok(c) = counted {
        let charged = c.min(PER_CALL_LIMIT);
        if charged > *budget {
            *budget = 0;
            return Err(OUT_OF_BUDGET.into());
        }
        *budget -= charged;
        if c > PER_CALL_LIMIT {
            return Err(wrap(
                "operation cancelled: actual cost limit exceeded".into(),
            ));
        }
    }
    match program.execute(cx) {
        Ok(v) => Ok(v),
        Err(ExecutionError::NoSuchKey(k))
            if vars
                .iter()
                .any(|(n, v)| n.as_str() == k.as_str() && v.is_err()) =>
        {
            let (n, err) = vars
                .iter()
                .find(|(n, _)| n.as_str() == k.as_str())
                .expect("found above");
            Err(wrap(format!(
                "composited variable \"{n}\" fails to evaluate: {}",
                err.as_ref().err().cloned().unwrap_or_default()
            )))
        }
        Err(err) => Err(wrap(k8s::error_message(&err))),
    }
}

/// `Validate` of one (policy, binding, param): the decisions that are not admissions,
/// as (cause, message, reason). `base` holds the request's variables; `request` the
/// request as seen through another version of the resource, when a rule matched it so.
fn validate(
    policy: &Policy,
    params: Option<&Value>,
    base: &cel::Context,
    request: Option<&Value>,
    items: u64,
) -> Vec<(Cause, String, String)> {
    let mut scope = base.new_inner_scope();
    if policy.param_kind.is_some() {
        scope.add_variable_from_value("params", params.cloned().unwrap_or(Value::Null));
    }
    if let Some(r) = request {
        scope.add_variable_from_value("request", r.clone());
    }
    // variables, in order (each sees the ones before it)
    let mut vars: Variables = Vec::new();
    let mut var_budget = u64::MAX;
    for v in &policy.variables {
        let mut cx = scope.new_inner_scope();
        cx.add_variable_from_value("variables", variables_value(&vars));
        let r = eval(v, &cx, &vars, items, &mut var_budget).map_err(|m| {
            m.strip_prefix(&format!("expression '{}' resulted in error: ", v.source))
                .unwrap_or(&m)
                .to_string()
        });
        vars.push((v.name.clone(), r));
    }
    let mut cx = scope.new_inner_scope();
    cx.add_variable_from_value("variables", variables_value(&vars));
    // match conditions (without namespaceObject): any false skips; else any error is
    // an error decision
    if !policy.match_conditions.is_empty() {
        let mut mcx = cx.new_inner_scope();
        mcx.add_variable_from_value("namespaceObject", Value::Null);
        let mut budget = MATCH_CONDITIONS_BUDGET;
        let mut errors = Vec::new();
        let mut first_error_at = None;
        for c in &policy.match_conditions {
            match eval(c, &mcx, &vars, items, &mut budget) {
                Ok(Value::Bool(false)) => return Vec::new(),
                Ok(_) => {}
                Err(m) => {
                    first_error_at.get_or_insert_with(|| c.pointer.clone());
                    errors.push(m);
                }
            }
        }
        if !errors.is_empty() {
            let message = if errors.len() == 1 {
                errors.remove(0)
            } else {
                format!("[{}]", errors.join(", "))
            };
            return vec![(
                Cause::Error(first_error_at.unwrap_or_default()),
                message,
                String::new(),
            )];
        }
    }
    let mut out = Vec::new();
    let mut budget = RUNTIME_BUDGET;
    for (i, v) in policy.validations.iter().enumerate() {
        match eval(&v.expression, &cx, &vars, items, &mut budget) {
            Ok(Value::Bool(true)) => {}
            Ok(_) => {
                let mut message = String::new();
                if let Some(me) = &v.message_expression
                    && let Ok(Value::String(m)) = eval(me, &cx, &vars, items, &mut budget)
                {
                    let m = m.trim();
                    if m.len() <= MAX_MESSAGE_BYTES && !m.contains('\n') {
                        message = m.to_string();
                    }
                }
                if message.is_empty()
                    && let Some(m) = &v.message
                {
                    message = m.trim().to_string();
                }
                if message.is_empty() {
                    message = format!("failed expression: {}", v.expression.source.trim());
                }
                out.push((Cause::Violation(i), message, v.reason.clone()));
            }
            Err(m) if m == OUT_OF_BUDGET => {
                return vec![(Cause::Error(v.expression.pointer.clone()), m, String::new())];
            }
            Err(m) => out.push((Cause::Error(v.expression.pointer.clone()), m, String::new())),
        }
    }
    // audit annotations: only their errors matter to the verdict
    {
        let mut budget = RUNTIME_BUDGET;
        for a in &policy.audit_annotations {
            match eval(a, &cx, &vars, items, &mut budget) {
                Ok(Value::String(_) | Value::Null) => {}
                Ok(other) => out.push((
                    Cause::AnnotationError(a.pointer.clone()),
                    format!(
                        "valueExpression '{}' resulted in unsupported return type: {}. Return type must be either string or null.",
                        a.source,
                        type_name(&other)
                    ),
                    String::new(),
                )),
                Err(m) => out.push((Cause::AnnotationError(a.pointer.clone()), m, String::new())),
            }
        }
    }
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Int(_) => "int",
        Value::UInt(_) => "uint",
        Value::Float(_) => "double",
        Value::String(_) => "string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "bool",
        Value::Null => "null_type",
        Value::Duration(_) => "google.protobuf.Duration",
        Value::Timestamp(_) => "google.protobuf.Timestamp",
        _ => "dyn",
    }
}

// ---- reading policies and bindings ----

fn empty_map() -> Node {
    Node {
        span: plimsoll_yaml::Span::default(),
        data: plimsoll_yaml::Data::Map(Vec::new()),
    }
}

fn text<'n>(n: &'n Node, key: &str) -> Option<&'n str> {
    n.get(key).and_then(Node::as_text)
}

fn texts(n: Option<&Node>) -> Vec<String> {
    n.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i.as_text().map(str::to_string))
        .collect()
}

fn selector(n: Option<&Node>, pointer: &str, invalid: &mut Vec<Problem>) -> LabelSelector {
    match n {
        None => LabelSelector::default(),
        Some(n) => LabelSelector::from_label_selector(n).unwrap_or_else(|| {
            invalid.push(Problem {
                pointer: pointer.to_string(),
                message: "is not a valid label selector".into(),
            });
            LabelSelector::default()
        }),
    }
}

fn read_rules(n: Option<&Node>) -> Vec<ResourceRule> {
    n.map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|r| ResourceRule {
            groups: texts(r.get("apiGroups")),
            versions: texts(r.get("apiVersions")),
            resources: texts(r.get("resources")),
            operations: texts(r.get("operations")),
            names: texts(r.get("resourceNames")),
            scope: text(r, "scope").unwrap_or("*").to_string(),
        })
        .collect()
}

fn read_match(n: &Node, pointer: &str, invalid: &mut Vec<Problem>) -> MatchResources {
    MatchResources {
        namespace_selector: selector(
            n.get("namespaceSelector"),
            &format!("{pointer}/namespaceSelector"),
            invalid,
        ),
        object_selector: selector(
            n.get("objectSelector"),
            &format!("{pointer}/objectSelector"),
            invalid,
        ),
        rules: read_rules(n.get("resourceRules")),
        exclude: read_rules(n.get("excludeResourceRules")),
        equivalent: text(n, "matchPolicy") != Some("Exact"),
    }
}

/// The declarations every expression of `policy` compiles against.
struct Compiler {
    minor: u32,
    params: bool,
    variables: Vec<(String, Type)>,
    /// Match conditions: `variables` is not declared.
    without_variables: bool,
}

impl Compiler {
    fn compile(
        &self,
        name: &str,
        source: &str,
        pointer: String,
        expected: &[Type],
        authorizer: bool,
    ) -> Expr {
        // the same expression under the same declarations compiles once per process:
        // the webhook builds the policies of every review
        type Key = (String, u32, bool, bool, String, String, bool);
        type Compiled = (Result<Arc<Program>, String>, Option<cost::Shape>, Type);
        static CACHE: OnceLock<std::sync::Mutex<HashMap<Key, Compiled>>> = OnceLock::new();
        let key: Key = (
            source.to_string(),
            self.minor,
            self.params,
            authorizer,
            format!("{:?}", self.variables),
            format!("{expected:?}"),
            self.without_variables,
        );
        let cache = CACHE.get_or_init(Default::default);
        let hit = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let (program, shape, ty) = hit.unwrap_or_else(|| {
            let compiled = compile(
                source,
                self.minor,
                self.params,
                authorizer,
                (!self.without_variables).then_some(self.variables.as_slice()),
                expected,
            );
            let ty = compiled.as_ref().map_or(Type::Dyn, |(_, t)| t.clone());
            let program = compiled.map(|(p, _)| Arc::new(p));
            let shape = program.as_ref().ok().map(|p| cost::shape(p));
            let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
            // bounded: a long-running webhook whose policies change keeps the newest
            if c.len() > 10_000 {
                c.clear();
            }
            c.insert(key, (program.clone(), shape, ty.clone()));
            (program, shape, ty)
        });
        Expr {
            name: name.to_string(),
            source: source.to_string(),
            pointer,
            shape,
            ty,
            program,
        }
    }
}

/// Compiles `source` as the API server does for a new policy of Kubernetes 1.`minor`:
/// the program and its type, or the message (`compilation failed: ERROR: ...`, `must evaluate to
/// bool`). `variables`: those declared before it; `None` where `variables` is not declared
/// at all (match conditions).
pub fn compile(
    source: &str,
    minor: u32,
    params: bool,
    authorizer: bool,
    variables: Option<&[(String, Type)]>,
    expected: &[Type],
) -> Result<(Program, Type), String> {
    let program = k8s::env()
        .compile(source)
        .map_err(|e| format!("compilation failed: {}", parse_error(source, &e)))?;
    let decls = Decls {
        minor,
        mode: Mode::New,
        params,
        authorizer,
        variables: variables.unwrap_or_default().to_vec(),
        without_variables: variables.is_none(),
    };
    let ty = match checker::check(&program, source, &decls) {
        Ok(ty) => ty,
        Err(e) => {
            // a constant regex that does not compile fails after the result type
            if let Phase::Program { output } = &e.phase
                && !expected.is_empty()
            {
                checker::expect(output, expected)?;
            }
            return Err(e.detail());
        }
    };
    if !expected.is_empty() {
        checker::expect(&ty, expected)?;
    }
    Ok((program, ty))
}

/// A parse error as cel-go prints it (`ERROR: <input>:1:5: Syntax error: ...` and the
/// line with a caret).
fn parse_error(source: &str, e: &cel::ParseErrors) -> String {
    let text = e.to_string();
    if text.starts_with("ERROR:") {
        return text;
    }
    let _ = source;
    format!("ERROR: <input>: {text}")
}

fn read_policy(d: &Doc, minor: u32) -> Policy {
    let spec = d.root.get("spec");
    let mut invalid = Vec::new();
    let empty = empty_map();
    let spec = spec.unwrap_or(&empty);
    let failure = match text(spec, "failurePolicy") {
        Some("Ignore") => Failure::Ignore,
        Some("Fail") | None => Failure::Fail,
        Some(other) => {
            invalid.push(Problem {
                pointer: "/spec/failurePolicy".into(),
                message: format!(
                    "Unsupported value: \"{other}\": supported values: \"Fail\", \"Ignore\""
                ),
            });
            Failure::Fail
        }
    };
    let param_kind = spec.get("paramKind").map(|pk| {
        for field in ["apiVersion", "kind"] {
            if text(pk, field).is_none_or(str::is_empty) {
                invalid.push(Problem {
                    pointer: format!("/spec/paramKind/{field}"),
                    message: "Required value".into(),
                });
            }
        }
        (
            text(pk, "apiVersion").unwrap_or_default().to_string(),
            text(pk, "kind").unwrap_or_default().to_string(),
        )
    });
    let constraints = match spec.get("matchConstraints") {
        Some(mc) => {
            let m = read_match(mc, "/spec/matchConstraints", &mut invalid);
            if m.rules.is_empty() {
                invalid.push(Problem {
                    pointer: "/spec/matchConstraints/resourceRules".into(),
                    message: "Required value".into(),
                });
            }
            m
        }
        None => {
            invalid.push(Problem {
                pointer: "/spec/matchConstraints".into(),
                message: "Required value".into(),
            });
            MatchResources::default()
        }
    };
    let mut c = Compiler {
        minor,
        params: param_kind.is_some(),
        variables: Vec::new(),
        without_variables: false,
    };
    let bool_ty = [Type::Bool];
    let mut variables = Vec::new();
    for (i, v) in spec
        .get("variables")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let name = text(v, "name").unwrap_or_default();
        let source = text(v, "expression").unwrap_or_default();
        let e = c.compile(
            name,
            source,
            format!("/spec/variables/{i}/expression"),
            &[],
            false,
        );
        let ty = e.ty.clone();
        variables.push(e);
        c.variables.push((name.to_string(), ty));
    }
    // match conditions see no variables (the API server refuses a policy whose match
    // conditions use them); their names are unique, and at most 64
    let conditions = spec
        .get("matchConditions")
        .map(Node::items)
        .unwrap_or_default();
    if conditions.len() > 64 {
        invalid.push(Problem {
            pointer: "/spec/matchConditions".into(),
            message: format!("Too many: {}: must have at most 64 items", conditions.len()),
        });
    }
    let mut names = std::collections::HashSet::new();
    for (i, m) in conditions.iter().enumerate() {
        let name = text(m, "name").unwrap_or_default();
        if !names.insert(name) {
            invalid.push(Problem {
                pointer: format!("/spec/matchConditions/{i}/name"),
                message: format!("Duplicate value: \"{name}\""),
            });
        }
    }
    let without_variables = Compiler {
        minor,
        params: c.params,
        variables: Vec::new(),
        without_variables: true,
    };
    let match_conditions = conditions
        .iter()
        .enumerate()
        .map(|(i, m)| {
            without_variables.compile(
                text(m, "name").unwrap_or_default(),
                text(m, "expression").unwrap_or_default(),
                format!("/spec/matchConditions/{i}/expression"),
                &bool_ty,
                true,
            )
        })
        .collect();
    let validations: Vec<Validation> = spec
        .get("validations")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, v)| Validation {
            expression: c.compile(
                "",
                text(v, "expression").unwrap_or_default(),
                format!("/spec/validations/{i}/expression"),
                &bool_ty,
                true,
            ),
            reads: Vec::new(),
            message: {
                let m = text(v, "message").map(str::to_string);
                if m.as_deref().is_some_and(|m| m.contains('\n')) {
                    invalid.push(Problem {
                        pointer: format!("/spec/validations/{i}/message"),
                        message: "Invalid value: message must not contain line breaks".into(),
                    });
                }
                m
            },
            message_expression: text(v, "messageExpression").map(|src| {
                c.compile(
                    "",
                    src,
                    format!("/spec/validations/{i}/messageExpression"),
                    &[Type::String],
                    false,
                )
            }),
            reason: {
                let r = text(v, "reason").unwrap_or("Invalid");
                if !matches!(r, "Forbidden" | "Invalid" | "RequestEntityTooLarge") {
                    invalid.push(Problem {
                        pointer: format!("/spec/validations/{i}/reason"),
                        message: format!("Unsupported value: \"{r}\": supported values: \"Forbidden\", \"Invalid\", \"RequestEntityTooLarge\""),
                    });
                }
                r.to_string()
            },
        })
        .collect();
    let mut validations = validations;
    for v in &mut validations {
        if let Ok(p) = &v.expression.program {
            v.reads = object_reads(p);
        }
    }
    let audit_annotations: Vec<Expr> = spec
        .get("auditAnnotations")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, a)| {
            c.compile(
                text(a, "key").unwrap_or_default(),
                text(a, "valueExpression").unwrap_or_default(),
                format!("/spec/auditAnnotations/{i}/valueExpression"),
                &[Type::String, Type::Null],
                true,
            )
        })
        .collect();
    if validations.is_empty() && audit_annotations.is_empty() {
        invalid.push(Problem {
            pointer: "/spec/validations".into(),
            message:
                "Required value: validations or auditAnnotations must contain at least one item"
                    .into(),
        });
    }
    // expressions that do not compile: the API server refuses the policy
    let all = variables
        .iter()
        .chain(&match_conditions)
        .chain(
            validations
                .iter()
                .flat_map(|v| std::iter::once(&v.expression).chain(&v.message_expression)),
        )
        .chain(&audit_annotations);
    for e in all {
        if let Err(m) = &e.program {
            invalid.push(Problem {
                pointer: e.pointer.clone(),
                message: format!("Invalid value: \"{}\": {m}", e.source),
            });
        }
    }
    Policy {
        id: d.id,
        name: d.name.to_string(),
        failure,
        param_kind,
        constraints,
        match_conditions,
        variables,
        validations,
        audit_annotations,
        invalid,
    }
}

fn read_binding(d: &Doc) -> Binding {
    let empty = empty_map();
    let spec = d.root.get("spec").unwrap_or(&empty);
    let mut invalid = Vec::new();
    let policy_name = text(spec, "policyName").unwrap_or_default().to_string();
    if policy_name.is_empty() {
        invalid.push(Problem {
            pointer: "/spec/policyName".into(),
            message: "Required value".into(),
        });
    }
    let param_ref = spec.get("paramRef").map(|pr| {
        let name = text(pr, "name").map(str::to_string);
        let selector = pr.get("selector").map(|s| {
            LabelSelector::from_label_selector(s).unwrap_or_else(|| {
                invalid.push(Problem {
                    pointer: "/spec/paramRef/selector".into(),
                    message: "is not a valid label selector".into(),
                });
                LabelSelector::default()
            })
        });
        if name.is_none() && selector.is_none() {
            invalid.push(Problem {
                pointer: "/spec/paramRef".into(),
                message: "Required value: one of name or selector must be set".into(),
            });
        }
        if name.is_some() && selector.is_some() {
            invalid.push(Problem {
                pointer: "/spec/paramRef".into(),
                message: "Forbidden: name and selector are mutually exclusive".into(),
            });
        }
        ParamRef {
            name,
            namespace: text(pr, "namespace").map(str::to_string),
            selector,
            deny_when_missing: match text(pr, "parameterNotFoundAction") {
                Some("Deny") => true,
                Some("Allow") => false,
                other => {
                    invalid.push(Problem {
                        pointer: "/spec/paramRef/parameterNotFoundAction".into(),
                        message: match other {
                            None => "Required value".into(),
                            Some(v) => format!(
                                "Unsupported value: \"{v}\": supported values: \"Allow\", \"Deny\""
                            ),
                        },
                    });
                    false
                }
            },
        }
    });
    let match_resources = spec
        .get("matchResources")
        .map(|m| read_match(m, "/spec/matchResources", &mut invalid));
    let mut actions = Vec::new();
    for a in texts(spec.get("validationActions")) {
        let action = match a.as_str() {
            "Deny" => Action::Deny,
            "Warn" => Action::Warn,
            "Audit" => Action::Audit,
            other => {
                invalid.push(Problem {
                    pointer: "/spec/validationActions".into(),
                    message: format!("Unsupported value: \"{other}\": supported values: \"Audit\", \"Deny\", \"Warn\""),
                });
                continue;
            }
        };
        if actions.contains(&action) {
            invalid.push(Problem {
                pointer: "/spec/validationActions".into(),
                message: format!("Duplicate value: \"{a}\""),
            });
        } else {
            actions.push(action);
        }
    }
    if actions.is_empty() {
        invalid.push(Problem {
            pointer: "/spec/validationActions".into(),
            message: "Required value: at least one validation action is required".into(),
        });
    }
    if actions.contains(&Action::Deny) && actions.contains(&Action::Warn) {
        invalid.push(Problem {
            pointer: "/spec/validationActions".into(),
            message: "Invalid value: cannot use both Deny and Warn as validation actions".into(),
        });
    }
    Binding {
        id: d.id,
        name: d.name.to_string(),
        policy_name,
        param_ref,
        match_resources,
        actions,
        invalid,
    }
}

/// The fields of `object` that `program` reads: each chain of selections (and of
/// indexes by a string literal) that starts at `object`, longest first per chain.
pub fn object_reads(program: &Program) -> Vec<Vec<String>> {
    use cel::common::ast::{EntryExpr, Expr as E};
    fn chain(e: &cel::IdedExpr) -> Option<Vec<String>> {
        match &e.expr {
            E::Ident(name) if name == "object" => Some(Vec::new()),
            E::Select(sel) => {
                let mut c = chain(&sel.operand)?;
                c.push(sel.field.clone());
                Some(c)
            }
            E::Call(call) if call.func_name == "_[_]" || call.func_name == "_[?_]" => {
                let [target, key] = call.args.as_slice() else {
                    return None;
                };
                let mut c = chain(target)?;
                match &key.expr {
                    E::Literal(cel::common::ast::LiteralValue::String(k)) => {
                        c.push(k.inner().to_string());
                        Some(c)
                    }
                    _ => Some(c),
                }
            }
            E::Call(call) if call.func_name == "_?._" => {
                let [target, key] = call.args.as_slice() else {
                    return None;
                };
                let mut c = chain(target)?;
                if let E::Literal(cel::common::ast::LiteralValue::String(k)) = &key.expr {
                    c.push(k.inner().to_string());
                }
                Some(c)
            }
            _ => None,
        }
    }
    fn walk(e: &cel::IdedExpr, out: &mut Vec<Vec<String>>) {
        if let Some(c) = chain(e) {
            if !c.is_empty() && !out.iter().any(|o| o.starts_with(&c)) {
                out.push(c);
            }
            return;
        }
        match &e.expr {
            E::Call(call) => {
                if let Some(t) = &call.target {
                    walk(t, out);
                }
                for a in &call.args {
                    walk(a, out);
                }
            }
            E::Select(sel) => walk(&sel.operand, out),
            E::List(l) => l.elements.iter().for_each(|x| walk(x, out)),
            E::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        walk(&me.key, out);
                        walk(&me.value, out);
                    }
                }
            }
            E::Comprehension(c) => {
                walk(&c.iter_range, out);
                walk(&c.accu_init, out);
                walk(&c.loop_step, out);
                walk(&c.result, out);
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(program.expression(), &mut out);
    out
}

/// The most entries of any list or map, and the longest string (over 100 characters,
/// counted as a hundredth: a string read costs a tenth of its length), in `v`.
fn largest_collection(v: &serde_json::Value) -> u64 {
    match v {
        serde_json::Value::Array(items) => items
            .iter()
            .map(largest_collection)
            .fold(items.len() as u64, u64::max),
        serde_json::Value::Object(fields) => fields
            .values()
            .map(largest_collection)
            .fold(fields.len() as u64, u64::max),
        serde_json::Value::String(text) => text.len() as u64 / 100,
        _ => 0,
    }
}
