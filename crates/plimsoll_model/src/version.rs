//! Kubernetes minor versions.

use std::fmt;

/// A Kubernetes release line (`1.30`). Patch levels do not change API serving or
/// Pod Security policy, so they are accepted and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    /// The newest released Kubernetes this build knows about.
    pub const NEWEST: KubeVersion = KubeVersion {
        major: 1,
        minor: 37,
    };

    pub const fn new(major: u32, minor: u32) -> Self {
        KubeVersion { major, minor }
    }

    /// Parses `1.30`, `v1.30`, `1.30.2`, `v1.30.2-eks-1234`.
    pub fn parse(s: &str) -> Result<KubeVersion, String> {
        let t = s.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let mut parts = t.split(['.', '-', '+']);
        let major = parts.next().and_then(|p| p.parse::<u32>().ok());
        let minor = parts.next().and_then(|p| p.parse::<u32>().ok());
        match (major, minor) {
            (Some(1), Some(minor)) => Ok(KubeVersion { major: 1, minor }),
            _ => Err(format!(
                "`{s}` is not a Kubernetes version (expected 1.N, v1.N or 1.N.P)"
            )),
        }
    }

    /// Parses a lifecycle string such as `1.22`.
    pub fn parse_lifecycle(s: &str) -> Option<KubeVersion> {
        KubeVersion::parse(s).ok()
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
