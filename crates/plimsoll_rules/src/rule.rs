//! The rule contract: metadata from doc comments, a check over the index, findings.

use std::sync::OnceLock;

use plimsoll_model::{Container, Index, KubeVersion, Object, Pointer, Span, Timestamp};
use plimsoll_yaml::Node;
use serde::{Deserialize, Serialize};

use crate::live::LiveFacts;
use crate::rules::cap::util::CapModel;
use crate::rules::net::policy::NetModel;
use crate::rules::net::svc_util::ServiceSelections;
use crate::rules::pol::model::PolModel;
use crate::rules::rbac::model::Rbac;
use crate::rules::scl::util::HpaGroups;
use crate::rules::spec::util::SchemaRun;
use crate::rules::unu::util::Refs;
use crate::settings::Settings;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Everything a rule says about itself. Built by [`declare_rule!`](crate::declare_rule)
/// from the rule's doc comment and header.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code: group prefix and number (`RES001`). Never reused.
    pub code: &'static str,
    /// Stable kebab-case name (`memory-limit-missing`).
    pub name: &'static str,
    pub severity: Severity,
    /// Member of the `default` profile.
    pub default: bool,
    /// Other profiles the rule belongs to (`pss-baseline`, ...).
    pub profiles: &'static [&'static str],
    /// One line, for listings.
    pub summary: &'static str,
    /// The full documentation in the fixed sections (Markdown).
    pub doc: &'static str,
    /// How its fix may be applied (`None`: the rule has no fix): `Safe` by `check
    /// --fix`, `Unsafe` with `--unsafe-fixes`, `DisplayOnly` shown for a decision.
    pub fix: Option<Applicability>,
}

impl RuleMeta {
    /// Whether the rule's findings carry a fix (of any applicability).
    pub fn fixable(&self) -> bool {
        self.fix.is_some()
    }

    /// The group prefix (`RES` for `RES001`).
    pub fn group(&self) -> &'static str {
        let end = self
            .code
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(self.code.len());
        &self.code[..end]
    }
}

/// Gives a rule its metadata. Implemented by [`declare_rule!`](crate::declare_rule).
pub trait Described {
    fn meta(&self) -> &'static RuleMeta;
}

/// A rule. It never knows where its objects came from.
pub trait Rule: Described + Send + Sync {
    /// Judges one object. Called for every object of the input except those judged
    /// through their controlling owner ([`Index::judged_through_owner`]: the
    /// ReplicaSets of a Deployment, the Pods of a ReplicaSet), unless
    /// [`Rule::judges_owned_objects`] says otherwise.
    fn check(&self, _cx: &Context, _id: usize, _obj: &Object, _out: &mut Sink) {}

    /// Whether [`Rule::check`] also runs on objects judged through their owner. Only
    /// rules about the text a document was written with (YAML pitfalls) need it: the
    /// copy a controller made carries the same fields, but not the same text.
    fn judges_owned_objects(&self) -> bool {
        false
    }

    /// Whether [`Rule::check`] on one object may report findings on another (checking
    /// a workload reports on the autoscaler that scales it). A front-end that wants
    /// the findings on one object only ([`crate::engine::run_on`]) runs such rules on
    /// every object; the others on that object alone. The engine asserts it in debug
    /// builds, so every test run holds each rule to what it declares.
    fn reports_on_other_objects(&self) -> bool {
        false
    }

    /// Judges the input as a whole (namespaces, duplicates). Called once a run.
    fn check_all(&self, _cx: &Context, _out: &mut Sink) {}
}

/// Declares a rule type and its metadata. The doc comment is the rule's documentation
/// and must have the sections `## What it does`, `## Why it matters in production`,
/// `## Example`, `## Use instead`, `## Fix safety`, `## References` in that order (a
/// test checks every rule).
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub struct MemoryLimitMissing {
///         code: "RES002",
///         name: "memory-limit-missing",
///         severity: Error,
///         default: true,
///         summary: "A container has no memory limit",
///     }
/// }
/// ```
/// The `fix:` of [`declare_rule!`]: absent, or an [`Applicability`] variant.
#[doc(hidden)]
#[macro_export]
macro_rules! rule_fix {
    () => {
        None
    };
    ($f:ident) => {
        Some($crate::rule::Applicability::$f)
    };
}

#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $ty:ident {
            code: $code:literal,
            name: $name:literal,
            severity: $sev:ident,
            default: $default:literal,
            $(profiles: [$($profile:literal),* $(,)?],)?
            $(fix: $fix:ident,)?
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $ty;

        impl $crate::rule::Described for $ty {
            fn meta(&self) -> &'static $crate::rule::RuleMeta {
                static META: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
                    code: $code,
                    name: $name,
                    severity: $crate::rule::Severity::$sev,
                    default: $default,
                    profiles: &[$($($profile),*)?],
                    summary: $summary,
                    doc: concat!($($doc, "\n"),*),
                    fix: $crate::rule_fix!($($fix)?),
                };
                &META
            }
        }
    };
}

/// What a rule may read: the index of every object in the run, the settings and the
/// Kubernetes version being judged against.
pub struct Context<'a> {
    pub index: &'a Index,
    pub settings: &'a Settings,
    pub kube_version: KubeVersion,
    /// Pod Security policy version (`None` = latest).
    pub pss_version: Option<KubeVersion>,
    /// YAML-level facts of the documents (duplicate keys, tabs); empty for live objects.
    pub yaml: &'a crate::input::YamlFacts,
    /// Codes of the rules selected for this run (a rule that another one overrides,
    /// as Pod Security's restricted checks override baseline ones, looks here).
    pub selected: &'a [&'static str],
    /// Cross-object models several rules share, built once per run on first use.
    pub cache: RunCache<'a>,
    /// What the live front-end knows besides the objects (`None` for files).
    pub live: Option<&'a LiveFacts>,
}

/// Models built from the whole index that several rules read: each is built at most
/// once per run, by the first rule that asks (rules run in parallel; the others wait).
#[derive(Default)]
pub struct RunCache<'a> {
    net: OnceLock<NetModel>,
    rbac: OnceLock<Rbac<'a>>,
    newest: OnceLock<Option<Timestamp>>,
    hpas: OnceLock<HpaGroups>,
    services: OnceLock<ServiceSelections>,
    schema: OnceLock<SchemaRun>,
    capacity: OnceLock<CapModel>,
    pol: OnceLock<PolModel>,
    refs: OnceLock<Refs<'a>>,
}

impl<'a> Context<'a> {
    /// Whether the rule with this code runs in this run.
    pub fn is_selected(&self, code: &str) -> bool {
        self.selected.contains(&code)
    }

    /// The NetworkPolicy model of the input.
    pub fn net(&self) -> &NetModel {
        self.cache.net.get_or_init(|| NetModel::build(self.index))
    }

    /// The RBAC model of the input (bindings, aggregation resolved).
    pub fn rbac(&self) -> &Rbac<'a> {
        self.cache.rbac.get_or_init(|| Rbac::build(self.index))
    }

    /// The HPAs of the input by target, those that read the same resource metrics
    /// grouped.
    pub fn hpa_groups(&self) -> &HpaGroups {
        self.cache.hpas.get_or_init(|| HpaGroups::build(self.index))
    }

    /// What every core Service of the input selects, computed once per selector.
    pub fn services(&self) -> &ServiceSelections {
        self.cache
            .services
            .get_or_init(|| ServiceSelections::build(self.index))
    }

    /// The schemas of the run (built-in kinds at the judged Kubernetes version, the
    /// input's CRDs) and each object's schema verdict, shared by the SPEC rules.
    pub fn schema(&self) -> &SchemaRun {
        self.cache
            .schema
            .get_or_init(|| SchemaRun::build(self.index, self.kube_version))
    }

    /// The Nodes and Pods of the input as the scheduling model reads them, grouped in
    /// node pools, shared by the CAP rules.
    pub fn capacity(&self) -> &CapModel {
        self.cache
            .capacity
            .get_or_init(|| CapModel::build(self.index))
    }

    /// The ValidatingAdmissionPolicies of the run and what they decide on each object,
    /// shared by the POL rules.
    pub fn pol(&self) -> &PolModel {
        self.cache
            .pol
            .get_or_init(|| PolModel::build(self.index, self.kube_version))
    }

    /// What the objects of the input refer to by name, shared by the UNU rules.
    pub fn unused_refs(&self) -> &Refs<'a> {
        self.cache.refs.get_or_init(|| Refs::build(self.index))
    }

    /// What the live front-end knows besides the objects; `None` for files.
    pub fn live(&self) -> Option<&'a LiveFacts> {
        self.live
    }

    /// The time "now" for rules that judge how recent something is: the live
    /// front-end's clock, else the newest timestamp recorded in the input (creation
    /// times, condition transitions, container start and finish times, node
    /// heartbeats), so that a dump made with `kubectl get -o yaml` is judged as of
    /// when it was taken. `None` when the input records no time at all.
    pub fn now(&self) -> Option<Timestamp> {
        if let Some(now) = self.live.and_then(|l| l.now) {
            return Some(now);
        }
        *self.cache.newest.get_or_init(|| {
            self.index
                .objects()
                .iter()
                .filter_map(plimsoll_model::newest_timestamp)
                .max()
        })
    }
}

/// How many related objects a finding lists at most: a finding that involves more
/// says how many in its message, so the report grows linearly with the input.
pub const MAX_RELATED: usize = 20;

/// `items` joined with `sep`, at most `max` of them, then "and N more" for the rest
/// (`total` is how many there are in all).
pub fn list_capped(items: impl IntoIterator<Item = String>, total: usize, max: usize) -> String {
    let listed: Vec<String> = items.into_iter().take(max).collect();
    let more = total.saturating_sub(listed.len());
    let mut s = listed.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// An object a cross-object finding involves besides the one it is reported on.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub object: usize,
    pub path: Pointer,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Cannot change behaviour in a way a user would object to: `check --fix`.
    Safe,
    /// May change behaviour: `check --fix --unsafe-fixes`.
    Unsafe,
    /// Needs a decision: shown, never applied.
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// A fix: JSON Patch (RFC 6902) operations on the object, so that every front-end
/// (files, a live cluster, a mutating webhook) can apply it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub title: String,
    pub edits: Vec<serde_json::Value>,
}

impl Fix {
    pub fn new(applicability: Applicability, title: impl Into<String>) -> Fix {
        Fix {
            applicability,
            title: title.into(),
            edits: Vec::new(),
        }
    }

    /// Adds `value` at `path` (missing parent mappings are created).
    pub fn add(mut self, path: &Pointer, value: serde_json::Value) -> Fix {
        self.edits
            .push(serde_json::json!({"op": "add", "path": path.to_string(), "value": value}));
        self
    }

    pub fn replace(mut self, path: &Pointer, value: serde_json::Value) -> Fix {
        self.edits
            .push(serde_json::json!({"op": "replace", "path": path.to_string(), "value": value}));
        self
    }

    pub fn remove(mut self, path: &Pointer) -> Fix {
        self.edits
            .push(serde_json::json!({"op": "remove", "path": path.to_string()}));
        self
    }

    /// Appends `object` (a whole Kubernetes object) to the file that holds the object
    /// the finding is on, as a new document (`{"op": "add-document"}`, an extension
    /// of JSON Patch). Not applied to a JSON file.
    pub fn add_document(mut self, object: serde_json::Value) -> Fix {
        self.edits
            .push(serde_json::json!({"op": "add-document", "value": object}));
        self
    }

    /// Sets `path` to `value`: `replace` when the object has it, `add` otherwise.
    pub fn set(self, object: &Node, path: &Pointer, value: serde_json::Value) -> Fix {
        if object.pointer(path).is_some() {
            self.replace(path, value)
        } else {
            self.add(path, value)
        }
    }
}

/// One problem found by one rule on one object.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    pub object: usize,
    pub container: Option<String>,
    /// JSON pointer inside the object: the offending field, or for a missing field the
    /// field that should exist.
    pub path: Pointer,
    /// A precise span when the rule knows better than the path (YAML-level findings).
    pub span: Option<Span>,
    /// At most [`MAX_RELATED`] entries; see `related_omitted`.
    pub related: Vec<Related>,
    /// Related objects not listed because of the cap (the engine adds their count to
    /// the message).
    pub related_omitted: usize,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn container(&mut self, c: &Container) -> &mut Self {
        self.container = Some(c.name.to_string());
        self
    }

    /// Adds a related object; past [`MAX_RELATED`] it is only counted.
    pub fn related(&mut self, object: usize, path: Pointer) -> &mut Self {
        if self.related.len() >= MAX_RELATED {
            self.related_omitted += 1;
            return self;
        }
        self.related.push(Related {
            object,
            path,
            message: None,
        });
        self
    }

    /// Adds related objects: the first until [`MAX_RELATED`], the rest only counted,
    /// without visiting them (so a finding about n objects costs what it lists).
    pub fn related_all(&mut self, objects: &[usize], path: impl Fn(usize) -> Pointer) -> &mut Self {
        let room = MAX_RELATED.saturating_sub(self.related.len());
        for &o in objects.iter().take(room) {
            self.related(o, path(o));
        }
        self.related_omitted += objects.len().saturating_sub(room);
        self
    }

    pub fn fix(&mut self, fix: Fix) -> &mut Self {
        self.fix = Some(fix);
        self
    }

    pub fn span(&mut self, span: Span) -> &mut Self {
        self.span = Some(span);
        self
    }
}

/// A rule that could not judge an object because what it needs is not in the input.
#[derive(Debug, Clone)]
pub struct NotEvaluated {
    pub rule: &'static RuleMeta,
    pub object: usize,
    pub reason: String,
}

/// Where a rule writes what it found.
pub struct Sink {
    rule: &'static RuleMeta,
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
}

impl Sink {
    pub fn new(rule: &'static RuleMeta) -> Sink {
        Sink {
            rule,
            findings: Vec::new(),
            not_evaluated: Vec::new(),
        }
    }

    pub fn rule(&self) -> &'static RuleMeta {
        self.rule
    }

    /// Reports a finding on `object` at `path`.
    pub fn report(
        &mut self,
        object: usize,
        path: Pointer,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.findings.push(Finding {
            rule: self.rule,
            severity: self.rule.severity,
            message: message.into(),
            object,
            container: None,
            path,
            span: None,
            related: Vec::new(),
            related_omitted: 0,
            fix: None,
        });
        self.findings.last_mut().expect("just pushed")
    }

    /// Reports a finding about a container (the container's name is recorded).
    pub fn report_container(
        &mut self,
        object: usize,
        c: &Container,
        path: Pointer,
        message: impl Into<String>,
    ) -> &mut Finding {
        let name = c.name.to_string();
        let f = self.report(object, path, message);
        f.container = Some(name);
        f
    }

    /// Says the rule could not judge `object`.
    pub fn not_evaluated(&mut self, object: usize, reason: impl Into<String>) {
        self.not_evaluated.push(NotEvaluated {
            rule: self.rule,
            object,
            reason: reason.into(),
        });
    }
}
