//! Host names without the C library: the hosts file, then DNS from `resolv.conf`, both read by Rust code.
//!
//! The distributed Linux binaries are linked statically against glibc, which cannot load NSS modules: its
//! `getaddrinfo` resolves through the `files` and `dns` sources built into it, and only as far as
//! `/etc/nsswitch.conf` (absent in an image built `FROM scratch`, present and host-specific elsewhere) names no
//! other source. So that a name resolves the same way on every system and in an empty image
//! (`http://receiver:9000/hook`, a name the container runtime wrote into `/etc/hosts`), this resolver needs no
//! part of the C library: it reads the hosts file itself, answers `localhost` as RFC 6761 says, and asks the name
//! servers of `resolv.conf` through hickory, with errors that name the files it read. Every reqwest client of
//! the workspace uses it on Linux ([`client_builder`]); elsewhere the platform's resolver is used.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::ResolveHosts;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The hosts file and the name-server configuration the resolver reads on Linux.
pub const HOSTS_FILE: &str = "/etc/hosts";
/// See [`HOSTS_FILE`].
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// A reqwest client builder with the workspace's resolver ([`Resolver::system`]) on Linux, the platform's
/// elsewhere, and with the `tls` feature Mozilla's root certificates besides the platform's (an image built
/// `FROM scratch` has none of its own). Every client of the workspace (the mock's webhook sender, `record`, the
/// kit) starts here.
pub fn client_builder() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    #[cfg(target_os = "linux")]
    let builder = builder.dns_resolver(Arc::new(Resolver::system()));
    #[cfg(feature = "tls")]
    let builder = builder.tls_certs_merge(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok()),
    );
    builder
}

/// Resolves host names from a hosts file, then `localhost` (RFC 6761), then DNS as a `resolv.conf` configures it.
///
/// The hosts file is read at each lookup, so an entry written after the process started (as container runtimes
/// and test scripts do) is seen. The DNS client is built at the first lookup that needs it; when `resolv.conf`
/// cannot be read, only the hosts file and `localhost` resolve, and the error names both files.
#[derive(Debug, Clone)]
pub struct Resolver {
    files: Arc<Files>,
}

#[derive(Debug)]
struct Files {
    hosts: PathBuf,
    resolv_conf: PathBuf,
    dns: OnceLock<Result<TokioResolver, String>>,
}

impl Resolver {
    /// The system's files: [`HOSTS_FILE`] and [`RESOLV_CONF`].
    pub fn system() -> Self {
        Self::with_files(HOSTS_FILE, RESOLV_CONF)
    }

    /// A resolver reading these files instead (a test's own hosts file, say).
    pub fn with_files(hosts: impl Into<PathBuf>, resolv_conf: impl Into<PathBuf>) -> Self {
        Resolver {
            files: Arc::new(Files {
                hosts: hosts.into(),
                resolv_conf: resolv_conf.into(),
                dns: OnceLock::new(),
            }),
        }
    }

    /// The addresses of `name`: an IP literal is its own answer; then the hosts file's entries, `localhost`, DNS.
    pub async fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        let files = &self.files;
        let bare = name.trim_end_matches('.');
        if let Ok(ip) = bare
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(vec![ip]);
        }
        let from_file = match fs::read_to_string(&files.hosts) {
            Ok(text) => hosts_entries(&text, bare),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(err) => {
                return Err(format!(
                    "cannot resolve {name}: cannot read {}: {err}",
                    files.hosts.display()
                ));
            }
        };
        if !from_file.is_empty() {
            return Ok(from_file);
        }
        if is_localhost(bare) {
            return Ok(vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]);
        }
        let dns = files
            .dns
            .get_or_init(|| dns_client(&files.resolv_conf))
            .as_ref()
            .map_err(|why| {
                format!(
                    "cannot resolve {name}: it is not in {} and {why}",
                    files.hosts.display()
                )
            })?;
        let found = dns
            .lookup_ip(bare)
            .await
            .map_err(|err| format!("cannot resolve {name}: {err}"))?;
        let addrs: Vec<IpAddr> = found.iter().collect();
        if addrs.is_empty() {
            return Err(format!("cannot resolve {name}: no address"));
        }
        Ok(addrs)
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let addrs = this.lookup(name.as_str()).await.map_err(|why| {
                Box::new(io::Error::new(io::ErrorKind::NotFound, why))
                    as Box<dyn std::error::Error + Send + Sync>
            })?;
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// A DNS client configured by `resolv_conf`, reading no hosts file of its own.
fn dns_client(resolv_conf: &Path) -> Result<TokioResolver, String> {
    let text = fs::read(resolv_conf)
        .map_err(|err| format!("cannot read {}: {err}", resolv_conf.display()))?;
    let (config, mut options) = hickory_resolver::system_conf::parse_resolv_conf(text)
        .map_err(|err| format!("{} is not usable: {err}", resolv_conf.display()))?;
    options.use_hosts_file = ResolveHosts::Never;
    TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(options)
        .build()
        .map_err(|err| format!("cannot use {}: {err}", resolv_conf.display()))
}

/// `localhost` and the names under it, which RFC 6761 reserves for the loopback addresses.
fn is_localhost(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name
            .len()
            .checked_sub(".localhost".len())
            .and_then(|at| name.get(at..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(".localhost"))
}

/// The addresses a hosts file gives `name` (compared without case), in the file's order.
fn hosts_entries(text: &str, name: &str) -> Vec<IpAddr> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(Ok(ip)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        if fields.any(|alias| alias.trim_end_matches('.').eq_ignore_ascii_case(name))
            && !found.contains(&ip)
        {
            found.push(ip);
        }
    }
    found
}
