//! Image references, parsed as `github.com/distribution/reference` (which the
//! kubelet and the API server's defaulting use) reads them. This parser belongs in the
//! model.

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry host (with port), normalised: Docker Hub is `docker.io`.
    pub domain: String,
    /// Repository path inside the registry, normalised: `library/nginx` for `nginx`.
    pub path: String,
    pub tag: Option<&'a str>,
    /// `algorithm:hex` as written after `@`.
    pub digest: Option<&'a str>,
    /// Whether the reference parses as Kubernetes' `ParseNormalizedNamed` accepts it
    /// (lower-case repository, valid tag and digest).
    pub valid: bool,
}

const DOCKER_HUB: &str = "docker.io";

/// Splits a name into registry and path as `splitDockerDomain` does: the first
/// component is a registry when it contains `.` or `:`, is `localhost`, or has an
/// upper-case letter.
fn split_domain(name: &str) -> (String, String) {
    let (mut domain, mut rest) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DOCKER_HUB.to_string(), name.to_string()),
    };
    if domain == "index.docker.io" {
        domain = DOCKER_HUB.to_string();
    }
    if domain == DOCKER_HUB && !rest.contains('/') {
        rest = format!("library/{rest}");
    }
    (domain, rest)
}

fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|comp| {
            !comp.is_empty()
                && comp.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && comp.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && comp
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        })
}

fn valid_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// A digest the registry clients accept: a known algorithm with its exact length of
/// lower-case hex.
pub fn valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len
        && hex
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

impl<'a> ImageRef<'a> {
    /// Parses an image reference; `None` for an empty one.
    pub fn parse(image: &'a str) -> Option<ImageRef<'a>> {
        if image.is_empty() {
            return None;
        }
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (image, None),
        };
        let (domain, rest) = split_domain(name);
        // the tag follows the last `:` of the part after the registry
        let (path, tag) = match rest.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p.to_string(), Some(t)),
            _ => (rest.clone(), None),
        };
        let tag = tag.map(|t| &name[name.len() - t.len()..]);
        let valid = valid_path(&path)
            && !domain.is_empty()
            && tag.is_none_or(valid_tag)
            && digest.is_none_or(valid_digest);
        Some(ImageRef {
            domain,
            path,
            tag,
            digest,
            valid,
        })
    }

    /// `domain/path`: the repository with registry, fully normalised.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// Pinned by a well-formed digest.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some_and(valid_digest)
    }

    /// No digest, and no tag or `latest`: the image behind it changes.
    pub fn is_mutable_latest(&self) -> bool {
        self.digest.is_none() && self.tag.is_none_or(|t| t == "latest")
    }

    /// The `imagePullPolicy` the API server defaults (`SetDefaults_Container`): the
    /// tag of `ParseImageName` (`latest` when there is neither tag nor digest) is
    /// `latest` gives `Always`, anything else (a reference that does not parse too)
    /// `IfNotPresent`.
    pub fn default_pull_policy(&self) -> &'static str {
        let tag = match (self.tag, self.digest) {
            (Some(t), _) => t,
            (None, None) => "latest",
            (None, Some(_)) => "",
        };
        if self.valid && tag == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        }
    }
}

/// Whether an `allowed-registries` entry allows a parsed image. An entry is a
/// registry host (`registry.example.com`, `registry:5000`, `docker.io`; `*.example.com`
/// for any subdomain) or a registry and path prefix (`ghcr.io/acme`,
/// `docker.io/library`), matched on whole path components. Hosts compare
/// case-insensitively; `index.docker.io` is `docker.io`.
pub fn registry_allows(entry: &str, image: &ImageRef) -> bool {
    let entry = entry.trim().trim_end_matches('/');
    let entry = entry
        .strip_prefix("https://")
        .or_else(|| entry.strip_prefix("http://"))
        .unwrap_or(entry);
    if entry.is_empty() {
        return false;
    }
    let (host, prefix) = match entry.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (entry, None),
    };
    let host = host.to_ascii_lowercase();
    let host = if host == "index.docker.io" {
        DOCKER_HUB.to_string()
    } else {
        host
    };
    let domain = image.domain.to_ascii_lowercase();
    let host_ok = match host.strip_prefix("*.") {
        Some(suffix) => domain
            .strip_suffix(suffix)
            .is_some_and(|d| d.ends_with('.') && d.len() > 1),
        None => domain == host,
    };
    host_ok
        && prefix.is_none_or(|p| {
            image.path == p
                || image
                    .path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn p(s: &str) -> ImageRef<'_> {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn docker_hub_names_are_normalised() {
        let r = p("nginx");
        assert_eq!(r.repository(), "docker.io/library/nginx");
        assert_eq!((r.tag, r.digest), (None, None));
        assert_eq!(p("nginx:1.25").tag, Some("1.25"));
        assert_eq!(p("bitnami/redis:7").repository(), "docker.io/bitnami/redis");
        assert_eq!(p("docker.io/nginx").repository(), "docker.io/library/nginx");
        assert_eq!(
            p("index.docker.io/library/nginx").repository(),
            "docker.io/library/nginx"
        );
        // a first component without `.`/`:` is a Docker Hub user, not a registry
        assert_eq!(p("registry/app:1").repository(), "docker.io/registry/app");
    }

    #[test]
    fn registry_ports_are_not_tags() {
        let r = p("registry:5000/app");
        assert_eq!(r.domain, "registry:5000");
        assert_eq!(r.path, "app");
        assert_eq!(r.tag, None);
        let r = p("localhost:5000/team/app:2.0");
        assert_eq!(r.domain, "localhost:5000");
        assert_eq!(r.path, "team/app");
        assert_eq!(r.tag, Some("2.0"));
        assert_eq!(p("localhost/app").domain, "localhost");
        assert!(p("registry:5000/app").is_mutable_latest());
    }

    #[test]
    fn digests() {
        let img = format!("ghcr.io/acme/api@{D}");
        let r = p(&img);
        assert_eq!(r.tag, None);
        assert_eq!(r.digest, Some(D));
        assert!(r.is_pinned() && !r.is_mutable_latest() && r.valid);
        assert_eq!(r.default_pull_policy(), "IfNotPresent");
        let img = format!("nginx:latest@{D}");
        let r = p(&img);
        assert_eq!(r.tag, Some("latest"));
        assert!(r.is_pinned() && !r.is_mutable_latest());
        assert_eq!(r.default_pull_policy(), "Always");
        let r = p("nginx@sha256:abc");
        assert!(!r.is_pinned() && !r.valid);
        assert!(!p("nginx@md5:0123456789abcdef0123456789abcdef").is_pinned());
    }

    #[test]
    fn default_pull_policy() {
        assert_eq!(p("nginx").default_pull_policy(), "Always");
        assert_eq!(p("nginx:latest").default_pull_policy(), "Always");
        assert_eq!(p("nginx:1.25").default_pull_policy(), "IfNotPresent");
        assert_eq!(p("registry:5000/app").default_pull_policy(), "Always");
        // does not parse (upper-case repository): the tag is empty, IfNotPresent
        assert!(!p("Example/App").valid);
        assert_eq!(p("example.com/App").default_pull_policy(), "IfNotPresent");
        assert!(!p("nginx:-bad").valid);
    }

    #[test]
    fn allowlist() {
        let nginx = p("nginx:1.25");
        assert!(registry_allows("docker.io", &nginx));
        assert!(registry_allows("index.docker.io", &nginx));
        assert!(registry_allows("docker.io/library", &nginx));
        assert!(!registry_allows("docker.io/bitnami", &nginx));
        assert!(!registry_allows("ghcr.io", &nginx));
        let acme = p("ghcr.io/acme/api:1");
        assert!(registry_allows("ghcr.io/acme", &acme));
        assert!(registry_allows("GHCR.io/acme/", &acme));
        assert!(!registry_allows("ghcr.io/acm", &acme));
        assert!(!registry_allows("ghcr.io/acme/api/x", &acme));
        let ecr = p("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1");
        assert!(registry_allows("*.amazonaws.com", &ecr));
        assert!(!registry_allows(
            "*.amazonaws.com",
            &p("amazonaws.com/api:1")
        ));
        assert!(registry_allows("registry:5000", &p("registry:5000/app:1")));
        assert!(!registry_allows("registry", &p("registry:5000/app:1")));
    }
}
