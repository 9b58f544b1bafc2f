//! The schemas of the built-in kinds of each supported Kubernetes release, embedded
//! compressed (`schemas/kubernetes-1.N.json.gz`, made by `tools/schemas/update.sh`) and
//! decoded on first use.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use plimsoll_model::KubeVersion;
use serde_json::Value;

use crate::schema::{Arena, SchemaNode};

macro_rules! embedded {
    ($($minor:literal),* $(,)?) => {
        &[$(($minor, include_bytes!(concat!("../schemas/kubernetes-1.", stringify!($minor), ".json.gz")))),*]
    };
}

/// (minor, compressed compact schema) of every embedded release, oldest first.
static EMBEDDED: &[(u32, &[u8])] = embedded!(27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37);

/// The oldest and newest release with embedded schemas.
pub const OLDEST: KubeVersion = KubeVersion::new(1, 27);
pub const NEWEST: KubeVersion = KubeVersion::new(1, 37);

/// The built-in kinds of one Kubernetes release.
#[derive(Debug)]
pub struct Builtin {
    /// The release (`1.37`).
    pub version: KubeVersion,
    /// Where the schemas were taken from (`kube-apiserver v1.37.2 /openapi/v3`).
    pub source: String,
    pub arena: Arena,
    /// `apps/v1/Deployment` (core: `v1/Pod`) -> type index.
    kinds: HashMap<String, u32>,
}

/// The ObjectMeta type every release has.
pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

impl Builtin {
    fn decode(minor: u32, bytes: &[u8]) -> Builtin {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut text)
            .expect("embedded schema decompresses");
        let doc: Value = serde_json::from_slice(&text).expect("embedded schema is JSON");
        let types = doc["types"].as_object().expect("types");
        let arena = Arena::compile(types);
        let kinds = doc["kinds"]
            .as_object()
            .expect("kinds")
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), *arena.names.get(v.as_str()?)?)))
            .collect();
        Builtin {
            version: KubeVersion::new(1, minor),
            source: doc["source"].as_str().unwrap_or_default().to_string(),
            arena,
            kinds,
        }
    }

    /// The schema of a kind (`apiVersion` as written: `apps/v1`, `v1`).
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<&SchemaNode> {
        self.kinds
            .get(&format!("{api_version}/{kind}"))
            .map(|&i| self.arena.get(i))
    }

    /// The names of every kind with a schema, `apiVersion/Kind`.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// ObjectMeta, for the root `metadata` of custom resources.
    pub fn object_meta(&self) -> Option<u32> {
        self.arena.names.get(OBJECT_META).copied()
    }
}

/// The schemas for `version`: the same release when embedded, the newest for a newer
/// release; `None` for a release older than [`OLDEST`].
pub fn builtin(version: KubeVersion) -> Option<&'static Builtin> {
    static CACHE: [OnceLock<Builtin>; 11] = [const { OnceLock::new() }; 11];
    if version < OLDEST {
        return None;
    }
    let minor = version.minor.min(NEWEST.minor);
    let i = EMBEDDED.iter().position(|(m, _)| *m == minor)?;
    Some(CACHE[i].get_or_init(|| Builtin::decode(EMBEDDED[i].0, EMBEDDED[i].1)))
}

/// Every embedded release, oldest first.
pub fn releases() -> impl Iterator<Item = KubeVersion> {
    EMBEDDED.iter().map(|(m, _)| KubeVersion::new(1, *m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_release_decodes_and_has_the_workload_kinds() {
        assert_eq!(EMBEDDED.len(), 11);
        for v in releases() {
            let b = builtin(v).expect("embedded");
            assert_eq!(b.version, v);
            for (av, k) in [
                ("apps/v1", "Deployment"),
                ("v1", "Pod"),
                ("batch/v1", "Job"),
            ] {
                assert!(b.kind(av, k).is_some(), "{v}: {av} {k}");
            }
            assert!(b.object_meta().is_some());
        }
        assert_eq!(builtin(KubeVersion::new(1, 40)).unwrap().version, NEWEST);
        assert!(builtin(KubeVersion::new(1, 26)).is_none());
    }
}
