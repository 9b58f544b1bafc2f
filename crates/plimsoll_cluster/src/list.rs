//! Paged lists read straight into trees.

use std::collections::HashSet;
use std::fmt;

use futures::StreamExt;
use plimsoll_model::{Object, SourceRef};
use plimsoll_yaml::{CompactString, Data, Entry, Node, NodeSeed, Span};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::discovery::Resource;
use crate::progress::Progress;
use crate::{LastApplied, Options, describe, slim};
use plimsoll_model::helm::{HelmRelease, decode_release};

/// How many collections are read at once.
const CONCURRENCY: usize = 4;
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub enum ListError {
    /// 403 (or 404: gone since discovery): reported as not readable.
    Forbidden(String),
    Other(String),
}

/// What one collection gave.
#[derive(Default)]
pub struct Listed {
    pub objects: Vec<Object>,
    pub uids: Vec<String>,
    pub last_applied: Vec<LastApplied>,
    pub helm_releases: Vec<HelmRelease>,
    pub requests: usize,
    pub bytes: usize,
    pub slimmed: usize,
}

/// Lists each resource, a few at a time; results in the order of `resources`.
pub async fn list_all(
    client: &kube::Client,
    resources: &[&Resource],
    opts: &Options,
    controllers: &HashSet<String>,
    progress: &Progress,
) -> Vec<Result<Listed, ListError>> {
    futures::stream::iter(resources.iter().map(|r| async move {
        let res = list_one(client, r, opts, controllers, progress).await;
        progress.resource_done();
        res
    }))
    .buffered(CONCURRENCY)
    .collect()
    .await
}

async fn list_one(
    client: &kube::Client,
    r: &Resource,
    opts: &Options,
    controllers: &HashSet<String>,
    progress: &Progress,
) -> Result<Listed, ListError> {
    let path = r.path(opts.namespace.as_deref());
    let limit = if opts.page_size == 0 {
        500
    } else {
        opts.page_size
    };
    let api_version = r.api_version();
    let mut out = Listed::default();
    let mut token: Option<String> = None;
    // an expired continue token (410 Gone: the list outlived etcd's compaction window)
    // restarts the collection; a busy server (429) is retried after the time it asks for
    let mut restarts = 0;
    let mut busy = 0;
    loop {
        let mut query = format!("limit={limit}");
        if let Some(t) = &token {
            query.push_str("&continue=");
            query.push_str(&encode(t));
        }
        let req = http::Request::get(format!("{path}?{query}"))
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .expect("valid request");
        let text = match client.request_text(req).await {
            Ok(t) => t,
            Err(kube::Error::Api(s)) if s.code == 410 && token.is_some() && restarts < 3 => {
                restarts += 1;
                out = Listed::default();
                token = None;
                continue;
            }
            Err(kube::Error::Api(s)) if s.code == 410 => {
                return Err(ListError::Other(format!(
                    "the list of {path} expired {restarts} times before it was read to its end (HTTP 410: the server keeps a list's snapshot for a few minutes); try again, or audit one namespace at a time with -n"
                )));
            }
            Err(kube::Error::Api(s)) if s.code == 429 && busy < 5 => {
                busy += 1;
                tokio::time::sleep(std::time::Duration::from_millis(250 << busy)).await;
                continue;
            }
            // an aggregated API server that went away after discovery: its kinds are not
            // evaluated, like a kind the audit may not read
            Err(kube::Error::Api(s)) if s.code == 503 => {
                return Err(ListError::Forbidden(format!(
                    "the API server answered 503 Service Unavailable{}",
                    if s.message.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", s.message)
                    }
                )));
            }
            Err(kube::Error::Api(s)) if s.code == 403 || s.code == 404 || s.code == 405 => {
                let why = if s.message.is_empty() {
                    format!("HTTP {}", s.code)
                } else {
                    s.message.clone()
                };
                return Err(ListError::Forbidden(why));
            }
            Err(e) => return Err(ListError::Other(describe(&e))),
        };
        out.requests += 1;
        out.bytes += text.len();
        // each item is turned into its (slim) object as soon as it is read: a page never
        // holds more than one full tree
        let before = out.objects.len();
        let token_read = {
            let mut each = |item: Node| accept(item, r, &api_version, opts, controllers, &mut out);
            let mut de = serde_json::Deserializer::from_str(&text);
            Page::read(&mut de, &mut each).map_err(|e| ListError::Other(format!("{path}: {e}")))?
        };
        drop(text);
        progress.objects(out.objects.len() - before);
        match token_read {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    Ok(out)
}

fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: CompactString::new(key),
        key_span: Span::default(),
        value,
    }
}

/// Turns one list item into an object of the snapshot.
fn accept(
    mut root: Node,
    r: &Resource,
    api_version: &str,
    opts: &Options,
    controllers: &HashSet<String>,
    out: &mut Listed,
) {
    // list items carry no apiVersion/kind: they are the collection's
    if let Data::Map(entries) = &mut root.data {
        entries.retain(|e| e.key != "apiVersion" && e.key != "kind");
        entries.insert(0, entry("kind", slim::text_node(&r.kind)));
        entries.insert(0, entry("apiVersion", slim::text_node(api_version)));
    }
    let uid = root
        .at(&["metadata", "uid"])
        .and_then(Node::as_text)
        .map(str::to_string);
    // the apiVersion kubectl last applied: a weak signal of a client's version, kept
    // aside, and in the object as an annotation of only its apiVersion and kind (UPG001
    // reads it) when it differs from the version listed; the annotation itself (a whole
    // copy of the object) is not kept
    if let Some(text) = slim::take_annotation(&mut root, LAST_APPLIED)
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(av) = v.get("apiVersion").and_then(|a| a.as_str())
        && av != api_version
    {
        let name = root
            .at(&["metadata", "name"])
            .and_then(Node::as_text)
            .unwrap_or("");
        let ns = root
            .at(&["metadata", "namespace"])
            .and_then(Node::as_text)
            .map(str::to_string);
        out.last_applied.push(LastApplied {
            object: plimsoll_model::ObjectRef {
                api_version: api_version.to_string(),
                kind: r.kind.clone(),
                namespace: ns,
                name: name.to_string(),
            },
            api_version: av.to_string(),
        });
        let reduced = serde_json::json!({
            "apiVersion": av,
            "kind": v.get("kind").and_then(|k| k.as_str()).unwrap_or_default(),
        });
        slim::put_annotation(&mut root, LAST_APPLIED, &reduced.to_string());
    }
    // of the managers' entries only those that wrote through another version than the
    // one listed (UPG002 reads them); the rest say nothing about an upgrade
    slim::keep_managers_besides(&mut root, api_version);
    if r.group.is_empty() && r.kind == "Secret" {
        if opts.secrets
            && root.get("type").and_then(Node::as_text) == Some("helm.sh/release.v1")
            && let Some(rel) = root.at(&["data", "release"]).and_then(Node::as_text)
            && let Some(release) = decode_release(rel)
        {
            // the record, reduced to its objects' identities (UPG003 reads it): never
            // the chart's values
            let reduced = plimsoll_model::helm::encode_reduced(&release);
            out.helm_releases.push(release);
            slim::drop_secret_values(&mut root);
            slim::put_data(&mut root, "release", &reduced);
        } else {
            slim::drop_secret_values(&mut root);
        }
    }
    if let Some(trim) = opts.trim {
        root = trim(root, &r.kind);
    } else if let Some(owner_uid) = slim::controller_uid(&root)
        && controllers.contains(owner_uid.as_str())
    {
        root = slim::slim(root, &r.kind);
        out.slimmed += 1;
    }
    if r.group.is_empty() && r.kind == "Node" && opts.trim.is_none() {
        root = slim::slim_node(root);
    }
    let namespaced = r.namespaced;
    if let Some(obj) = Object::from_node(
        root,
        SourceRef {
            file: None,
            doc: out.objects.len(),
            item: None,
        },
        "default",
        |_, _| !namespaced,
    ) {
        if let Some(uid) = uid {
            out.uids.push(uid);
        }
        out.objects.push(obj);
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One page of a list: its items are handed to a callback as they are read; the continue
/// token is returned.
struct Page;

impl Page {
    fn read<'de, D: Deserializer<'de>>(
        d: D,
        each: &mut dyn FnMut(Node),
    ) -> Result<Option<String>, D::Error> {
        d.deserialize_map(PageVisitor { each })
    }
}

struct PageVisitor<'a> {
    each: &'a mut dyn FnMut(Node),
}

impl<'de> Visitor<'de> for PageVisitor<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
        let mut token = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "items" => map.next_value_seed(ItemsSeed { each: self.each })?,
                "metadata" => {
                    let meta: ListMeta = map.next_value()?;
                    token = meta.continue_token;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(token)
    }
}

#[derive(serde::Deserialize)]
struct ListMeta {
    #[serde(default, rename = "continue")]
    continue_token: Option<String>,
}

struct ItemsSeed<'a> {
    each: &'a mut dyn FnMut(Node),
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(n) = seq.next_element_seed(NodeSeed::object_with_managers())? {
            (self.each)(n);
        }
        Ok(())
    }
}
