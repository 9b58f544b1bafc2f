//! Helm 3 release records (Secrets of type `helm.sh/release.v1`, or ConfigMaps labelled
//! `owner: helm` with the ConfigMap storage driver): which apiVersions the manifests of
//! deployed releases use. The stored objects cannot tell: the API server converts them
//! to the version it stores, while Helm compares the next release against the manifest
//! it recorded, in the versions it was written in.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One object of a release manifest, by the apiVersion Helm sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseObject {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    /// `deployed`, `superseded`, `failed`, ...
    pub status: String,
    /// `name-version` of the chart.
    pub chart: String,
    pub objects: Vec<ReleaseObject>,
}

/// Largest decompressed release accepted (Helm's own limit is the Secret's 1 MiB
/// before compression; this bounds a hostile one).
const MAX_RELEASE_BYTES: u64 = 64 * 1024 * 1024;

/// Decodes the `data.release` value of a Helm release Secret as the API returns it:
/// base64 (the Secret's encoding) of base64 (Helm's) of gzip of JSON.
pub fn decode_release(data: &str) -> Option<HelmRelease> {
    let inner = STANDARD.decode(data.trim()).ok()?;
    decode_payload(std::str::from_utf8(&inner).ok()?)
}

/// Decodes Helm's own encoding of a release (base64 of gzip of JSON, or of plain JSON
/// for old releases): the `data.release` value of a ConfigMap-driver record.
pub fn decode_payload(text: &str) -> Option<HelmRelease> {
    let raw = STANDARD.decode(text.trim()).ok()?;
    let json = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_RELEASE_BYTES)
            .read_to_end(&mut out)
            .ok()?;
        out
    } else {
        raw
    };
    let v: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let text = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string()
    };
    let manifest = text("/manifest");
    let stream = plimsoll_yaml::parse_stream(&manifest, plimsoll_yaml::Limits::default());
    let objects = stream
        .documents
        .iter()
        .filter_map(|d| {
            let root = d.root.as_ref()?;
            Some(ReleaseObject {
                api_version: root.get("apiVersion")?.as_text()?.to_string(),
                kind: root.get("kind")?.as_text()?.to_string(),
                name: root
                    .at(&["metadata", "name"])
                    .and_then(|n| n.as_text())
                    .unwrap_or("")
                    .to_string(),
                namespace: root
                    .at(&["metadata", "namespace"])
                    .and_then(|n| n.as_text())
                    .map(str::to_string),
            })
        })
        .collect();
    Some(HelmRelease {
        name: text("/name"),
        namespace: text("/namespace"),
        revision: v.get("version").and_then(|x| x.as_i64()).unwrap_or(0),
        status: text("/info/status"),
        chart: match text("/chart/metadata/version").as_str() {
            "" => text("/chart/metadata/name"),
            version => format!("{}-{version}", text("/chart/metadata/name")),
        },
        objects,
    })
}

/// A release record as a Secret's `data.release` holds it (base64 of Helm's base64 of
/// gzip of JSON), reduced to what [`decode_release`] reads: the release's identity,
/// status and chart, and of each object its apiVersion, kind, name and namespace. A
/// live audit keeps this in place of the record: chart values (which may hold
/// passwords) and templates are never kept.
pub fn encode_reduced(release: &HelmRelease) -> String {
    use std::io::Write;
    let manifest: Vec<String> = release
        .objects
        .iter()
        .map(|o| {
            let mut meta = serde_json::json!({"name": o.name});
            if let Some(ns) = &o.namespace {
                meta["namespace"] = ns.clone().into();
            }
            serde_json::json!({"apiVersion": o.api_version, "kind": o.kind, "metadata": meta})
                .to_string()
        })
        .collect();
    let json = serde_json::json!({
        "name": release.name,
        "namespace": release.namespace,
        "version": release.revision,
        "info": {"status": release.status},
        "chart": {"metadata": {"name": release.chart, "version": ""}},
        "manifest": manifest.join("\n---\n"),
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json.to_string().as_bytes())
        .expect("writing to memory");
    let zipped = gz.finish().expect("writing to memory");
    STANDARD.encode(STANDARD.encode(zipped))
}

/// The release recorded by a Helm storage object: a Secret of type
/// `helm.sh/release.v1`, or a ConfigMap labelled `owner: helm` (the ConfigMap driver),
/// with its `release` key decoded. `None` for any other object, or one whose record
/// does not decode.
pub fn release_of(obj: &crate::Object) -> Option<HelmRelease> {
    if obj.group() != "" {
        return None;
    }
    let data = obj.root.at(&["data", "release"])?.as_text()?;
    match obj.kind.as_str() {
        "Secret"
            if obj.root.get("type").and_then(plimsoll_yaml::Node::as_text)
                == Some("helm.sh/release.v1") =>
        {
            decode_release(data)
        }
        "ConfigMap" if obj.label("owner") == Some("helm") => decode_payload(data),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decodes_a_release_as_helm_stores_it() {
        let release = serde_json::json!({
            "name": "shop", "namespace": "web", "version": 3,
            "info": {"status": "deployed"},
            "chart": {"metadata": {"name": "shop", "version": "1.2.0"}},
            "manifest": "---\n# Source: shop/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: api\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
        });
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(release.to_string().as_bytes()).unwrap();
        let helm = STANDARD.encode(gz.finish().unwrap());
        let secret_data = STANDARD.encode(&helm);
        let r = decode_release(&secret_data).unwrap();
        assert_eq!(
            (r.name.as_str(), r.revision, r.status.as_str()),
            ("shop", 3, "deployed")
        );
        assert_eq!(r.chart, "shop-1.2.0");
        assert_eq!(r.objects.len(), 2);
        assert_eq!(r.objects[0].api_version, "policy/v1beta1");
        assert_eq!(r.objects[0].kind, "PodDisruptionBudget");
        assert!(decode_release("not base64!").is_none());
        // reduced as a live audit keeps it: the same identity and objects
        let reduced = decode_release(&encode_reduced(&r)).unwrap();
        assert_eq!(
            (
                reduced.name.as_str(),
                reduced.revision,
                reduced.chart.as_str()
            ),
            ("shop", 3, "shop-1.2.0")
        );
        assert_eq!(reduced.objects, r.objects);
        // the ConfigMap driver stores Helm's encoding without the Secret's
        let r = decode_payload(&helm).unwrap();
        assert_eq!(r.objects.len(), 2);
    }
}
