//! Running the mock: [`run`] serves a router on a listener until a shutdown signal, and [`MockServer`] starts
//! one in-process on a free port for tests.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use openmic_fixtures::{Call, Generator, LoadError, Problems};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{AppState, Config, DEFAULT_API_KEY, app};
use crate::journal::{DEFAULT_JOURNAL_CAPACITY, ReceivedRequest};
use crate::store::CallStore;

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight requests and returns.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Where a server's calls come from.
#[derive(Debug, Clone)]
pub enum DataSource {
    /// The embedded default data set (`fixtures/data/calls.json`).
    Embedded,
    /// These calls.
    Calls(Vec<Call>),
    /// `count` calls generated from `seed`.
    Generated {
        /// The generator seed.
        seed: u64,
        /// How many calls.
        count: usize,
    },
    /// A fixture file (JSON array, saved List Calls response, or `.jsonl`).
    File(PathBuf),
}

impl DataSource {
    /// Loads the calls. A fixture file is validated; every problem is reported.
    pub fn load(self) -> Result<Vec<Call>, StartError> {
        Ok(match self {
            DataSource::Embedded => openmic_fixtures::default_calls(),
            DataSource::Calls(calls) => calls,
            DataSource::Generated { seed, count } => openmic_fixtures::generate(seed, count),
            DataSource::File(path) => openmic_fixtures::load_path(&path)?,
        })
    }

    /// Loads the calls into a store. Generated calls are streamed into it, never held as typed calls.
    pub fn into_store(self) -> Result<CallStore, StartError> {
        let started = std::time::Instant::now();
        let store = match self {
            DataSource::Generated { seed, count } => {
                CallStore::from_calls(Generator::new(seed).calls(0..count as u64))?
            }
            DataSource::File(path) => {
                let calls = openmic_fixtures::load_path_json(&path)?;
                let loaded = started.elapsed();
                tracing::debug!(
                    calls = calls.len(),
                    millis = loaded.as_millis() as u64,
                    "calls loaded"
                );
                CallStore::from_json(calls)?
            }
            other => {
                let calls = other.load()?;
                let loaded = started.elapsed();
                tracing::debug!(
                    calls = calls.len(),
                    millis = loaded.as_millis() as u64,
                    "calls loaded"
                );
                CallStore::new(calls)?
            }
        };
        tracing::info!(
            calls = store.len(),
            millis = started.elapsed().as_millis() as u64,
            "calls loaded and indexed"
        );
        Ok(store)
    }

    /// A short description for logs and the startup line.
    pub fn describe(&self) -> String {
        match self {
            DataSource::Embedded => "the embedded data set".into(),
            DataSource::Calls(_) => "calls given in code".into(),
            DataSource::Generated { seed, count } => {
                format!("{count} generated calls, seed {seed}")
            }
            DataSource::File(path) => path.display().to_string(),
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The fixture could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The calls break a rule that spans calls (duplicate `call_id`, end before start).
    #[error("{0}")]
    InvalidCalls(Problems),
    /// An API key that no `Authorization: Bearer` header can carry: empty, or with characters other than
    /// visible ASCII (spaces included).
    #[error("invalid API key {0:?}: a key must be non-empty visible ASCII without spaces")]
    InvalidApiKey(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

impl From<Problems> for StartError {
    fn from(problems: Problems) -> Self {
        StartError::InvalidCalls(problems)
    }
}

/// Configures a [`MockServer`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MockServerBuilder {
    source: DataSource,
    api_keys: Vec<String>,
    strict: bool,
    journal_capacity: usize,
    ip: IpAddr,
}

impl MockServerBuilder {
    /// Serve these calls instead of the embedded data set.
    pub fn calls(mut self, calls: Vec<Call>) -> Self {
        self.source = DataSource::Calls(calls);
        self
    }

    /// Serve `count` calls generated from `seed`.
    pub fn generated(mut self, seed: u64, count: usize) -> Self {
        self.source = DataSource::Generated { seed, count };
        self
    }

    /// Serve the calls of a fixture file.
    pub fn fixture_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = DataSource::File(path.into());
        self
    }

    /// Serve calls from `source`.
    pub fn source(mut self, source: DataSource) -> Self {
        self.source = source;
        self
    }

    /// Accept this API key; may be called repeatedly. Without any, the key is `test-key`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_keys.push(key.into());
        self
    }

    /// Reject unknown query parameters with a 400.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Keep the last `capacity` requests in the journal (default 1000).
    pub fn journal_capacity(mut self, capacity: usize) -> Self {
        self.journal_capacity = capacity;
        self
    }

    /// Bind this address instead of 127.0.0.1 (the port is always chosen by the OS).
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = ip;
        self
    }

    /// Builds the state without binding: for `app(state)` and `Router::oneshot` tests.
    pub fn build_state(self) -> Result<AppState, StartError> {
        if let Some(bad) = self.api_keys.iter().find(|k| !is_valid_api_key(k)) {
            return Err(StartError::InvalidApiKey(bad.clone()));
        }
        let store = self.source.into_store()?;
        let api_keys: BTreeSet<String> = if self.api_keys.is_empty() {
            BTreeSet::from([DEFAULT_API_KEY.to_string()])
        } else {
            self.api_keys.into_iter().collect()
        };
        Ok(AppState::new(
            store,
            Config {
                api_keys,
                strict: self.strict,
                journal_capacity: self.journal_capacity,
            },
        ))
    }

    /// Loads the data, binds a free port and starts serving in the background.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let ip = self.ip;
        let api_key = self
            .api_keys
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_API_KEY.to_string());
        let state = self.build_state()?;
        let addr = SocketAddr::new(ip, 0);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, state.clone(), async {
            let _ = shutdown_rx.await;
        }));
        Ok(MockServer {
            addr,
            api_key,
            state,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        })
    }
}

/// Whether a bearer token can carry `key`: non-empty visible ASCII, no spaces.
fn is_valid_api_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic())
}

/// A mock running in-process on a free port; it stops when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = openmic_mock::MockServer::builder().generated(7, 20).start().await?;
/// assert!(server.uri().starts_with("http://127.0.0.1:"));
/// assert_eq!(server.api_key(), "test-key");
/// assert_eq!(server.calls().len(), 20);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    api_key: String,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockServer {
    /// A builder serving the embedded data set with the key `test-key`.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder {
            source: DataSource::Embedded,
            api_keys: Vec::new(),
            strict: false,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    /// The base URL, such as `http://127.0.0.1:41234` (no trailing slash).
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// An API key the server accepts (the first one configured).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The calls served, in canonical order (parsed back from the served JSON).
    pub fn calls(&self) -> Vec<Call> {
        self.state.store().calls()
    }

    /// The requests received so far, oldest first (bounded by the journal capacity).
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.state.journal().snapshot()
    }

    /// Forgets the received requests.
    pub fn reset_received_requests(&self) {
        self.state.journal().clear();
    }

    /// The server's state, for building more routers over the same data.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .unwrap_or_else(|err| Err(std::io::Error::other(err))),
            None => Ok(()),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
