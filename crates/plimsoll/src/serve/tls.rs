//! The serving certificate, read from its files and read again when they change.
//!
//! cert-manager (or a kubelet updating a Secret volume) replaces the files in place; the
//! server notices by reading them every [`POLL`] and comparing their bytes, so that
//! the next handshake presents the new certificate. Connections already open keep the
//! session they negotiated: nothing is dropped and nothing restarts. A pair that does
//! not load (a half-written file, a key that does not match) is reported and the
//! previous pair stays in use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// How often the files are read again.
pub const POLL: Duration = Duration::from_secs(2);

/// A loaded certificate chain and key.
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    /// The leaf certificate's notAfter, in seconds since the epoch.
    pub not_after: i64,
    /// The bytes read, to notice a change.
    stamp: (Vec<u8>, Vec<u8>),
}

/// Reads the pair of PEM files.
pub fn load(cert: &Path, key: &Path) -> Result<Loaded, String> {
    let cert_pem =
        std::fs::read(cert).map_err(|e| format!("{}: cannot read: {e}", cert.display()))?;
    let key_pem = std::fs::read(key).map_err(|e| format!("{}: cannot read: {e}", key.display()))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not a PEM certificate: {e}", cert.display()))?;
    let Some(leaf) = chain.first() else {
        return Err(format!("{}: holds no certificate", cert.display()));
    };
    let not_after = x509_parser::parse_x509_certificate(leaf)
        .map_err(|e| format!("{}: the certificate cannot be read: {e}", cert.display()))?
        .1
        .validity()
        .not_after
        .timestamp();
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&private)
        .map_err(|e| format!("{}: unsupported private key: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| {
        format!(
            "{} and {}: the key does not match the certificate: {e}",
            cert.display(),
            key.display()
        )
    })?;
    Ok(Loaded {
        key: Arc::new(certified),
        not_after,
        stamp: (cert_pem, key_pem),
    })
}

/// Presents the current certificate to every new handshake.
#[derive(Debug)]
pub struct Reloading {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Loaded>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("not_after", &self.not_after)
            .finish()
    }
}

impl Reloading {
    pub fn new(cert: &Path, key: &Path) -> Result<Arc<Reloading>, String> {
        let l = load(cert, key)?;
        Ok(Arc::new(Reloading {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: RwLock::new(l),
        }))
    }

    /// The current certificate's notAfter (seconds since the epoch).
    pub fn not_after(&self) -> i64 {
        self.current.read().expect("not poisoned").not_after
    }

    /// Reads the files again; returns `Ok(true)` when a new pair is in use, `Ok(false)`
    /// when nothing changed, `Err` when the files changed but do not load (the previous
    /// pair stays).
    pub fn reload(&self) -> Result<bool, String> {
        let cert = std::fs::read(&self.cert).unwrap_or_default();
        let key = std::fs::read(&self.key).unwrap_or_default();
        {
            let cur = self.current.read().expect("not poisoned");
            if cur.stamp.0 == cert && cur.stamp.1 == key {
                return Ok(false);
            }
        }
        let l = load(&self.cert, &self.key)?;
        *self.current.write().expect("not poisoned") = l;
        Ok(true)
    }

    /// The TLS configuration of the server (HTTP/2 and HTTP/1.1).
    pub fn server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, String> {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("not poisoned").key.clone())
    }
}
