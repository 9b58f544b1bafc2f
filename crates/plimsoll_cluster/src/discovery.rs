//! Aggregated discovery (`apidiscovery.k8s.io/v2`, GA since 1.30): two requests name
//! every group, its versions in preference order, and each version's resources.

use serde::Deserialize;

use crate::{Error, describe};

/// A listable resource at its group's preferred version.
#[derive(Debug, Clone)]
pub struct Resource {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl Resource {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection path, in one namespace or across all.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.resource),
            _ => format!("{base}/{}", self.resource),
        }
    }
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    items: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    versions: Vec<Version>,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Version {
    version: String,
    #[serde(default)]
    resources: Vec<DiscoveredResource>,
    #[serde(default)]
    freshness: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiscoveredResource {
    resource: String,
    #[serde(default)]
    response_kind: Option<Gvk>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    verbs: Vec<String>,
}

#[derive(Deserialize)]
struct Gvk {
    #[serde(default)]
    kind: String,
}

const ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

async fn fetch(client: &kube::Client, path: &str) -> Result<GroupList, Error> {
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, ACCEPT)
        .body(Vec::new())
        .expect("static request");
    let text = client
        .request_text(req)
        .await
        .map_err(|e| Error(format!("discovery {path}: {}", describe(&e))))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error(format!("discovery {path}: not JSON: {e}")))?;
    if value.get("kind").and_then(|k| k.as_str()) != Some("APIGroupDiscoveryList") {
        return Err(Error(format!(
            "discovery {path}: the API server does not serve aggregated discovery (apidiscovery.k8s.io/v2, Kubernetes 1.30 and newer)"
        )));
    }
    serde_json::from_value(value).map_err(|e| Error(format!("discovery {path}: {e}")))
}

/// A group version that aggregated discovery marks stale: its aggregated API server
/// (an `APIService` backed by a Service, such as metrics-server) did not answer, so
/// its objects cannot be listed. `resources` are those of its last known document
/// (often none).
#[derive(Debug, Clone)]
pub struct Stale {
    pub group: String,
    pub version: String,
    pub resources: Vec<Resource>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Every resource of every group, at the group's preferred version.
    pub resources: Vec<Resource>,
    /// Groups none of whose versions is current: nothing of them can be read.
    pub stale: Vec<Stale>,
}

fn resources_of(group: &str, v: &Version) -> Vec<Resource> {
    v.resources
        .iter()
        // subresources are not in this list; resources of another kind's shape
        // (no responseKind) are not objects
        .filter_map(|r| {
            let kind = r.response_kind.as_ref()?.kind.clone();
            Some(Resource {
                group: group.to_string(),
                version: v.version.clone(),
                resource: r.resource.clone(),
                kind,
                namespaced: r.scope == "Namespaced",
                verbs: r.verbs.clone(),
            })
        })
        .collect()
}

/// Every resource of every group at the group's preferred (first-listed) version.
/// A version whose aggregated document is stale (an unavailable aggregated API server)
/// falls back to the next version that is current; a group with no current version is
/// returned as [`Stale`], never dropped in silence.
pub async fn discover(client: &kube::Client) -> Result<Discovered, Error> {
    let mut out = Discovered::default();
    for path in ["/api", "/apis"] {
        let list = fetch(client, path).await?;
        for g in list.items {
            let group = g.metadata.name.as_str();
            match g
                .versions
                .iter()
                .find(|v| v.freshness.as_deref() != Some("Stale"))
            {
                Some(v) => out.resources.extend(resources_of(group, v)),
                None => {
                    if let Some(v) = g.versions.first() {
                        out.stale.push(Stale {
                            group: group.to_string(),
                            version: v.version.clone(),
                            resources: resources_of(group, v),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}
