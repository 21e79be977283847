//! HTTPS, behind the `tls` feature: rustls with the `ring` provider (no cmake, no aws-lc) and the platform's
//! certificate store.

/// Whether this build can reach `https://` URLs (the `tls` feature).
pub const TLS: bool = cfg!(feature = "tls");

/// Installs rustls's `ring` provider as the process default, when the `tls` feature is on (a no-op otherwise).
/// With that feature reqwest is built without a provider and panics in `Client::new()` unless one is installed:
/// call this before building any reqwest client of the process ([`crate::Client::new`] calls it itself).
pub fn install_crypto_provider() {
    // The error only says a provider is installed already.
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
}
