//! The accept loop: every connection the server takes, and the limits that keep one client from holding it.
//!
//! [`serve_router`] has its own loop (hyper-util's auto HTTP/1 + HTTP/2 builder) rather than `axum::serve`, for
//! four reasons:
//! - a `reset` fault must drop the connection without any response, which a handler cannot do: the
//!   connection's service returns an error instead, and hyper closes the connection;
//! - connections are capped ([`ServeOptions::max_connections`]): the one over the cap gets a JSON 503 and is
//!   closed, instead of waiting unseen in the kernel's backlog;
//! - a watchdog per connection closes it when a request's head takes longer than
//!   [`ServeOptions::header_read_timeout`] to arrive, or when it sits idle between requests for
//!   [`ServeOptions::idle_timeout`] (hyper's own header timer would also close idle keep-alive connections
//!   after the header timeout, which is far too soon for a client's connection pool);
//! - shutdown has a deadline ([`ServeOptions::shutdown_timeout`]): in-flight requests finish, then whatever is
//!   left (a half-sent request, an idle HTTP/2 connection) is closed, and the loop returns.
//!
//! Bound to loopback, the loop also refuses requests for any `Host` but a loopback name or one allowed with
//! `--allowed-host`, so a web page that rebinds its own domain name to 127.0.0.1 cannot read the mock.
//! Before any of that, every request with two `Host` headers (or an HTTP/1.1 one with none) gets a 400, and every
//! request with the `User-Agent` of OpenMic's webhooks a 403: only a webhook sender sends it, so a webhook URL or
//! `callback_url` that names the mock itself (by any address, name or spelling) reaches neither its admin API nor
//! its API.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::header;
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use crate::api::error::{host_refused_response, refused_before_routing};
use crate::api::routes::{ResetConnection, app};
use crate::net::deadline::{BodyWait, DeadlineBody};
use crate::state::AppState;

/// Default for [`ServeOptions::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default [`ServeOptions::body_read_timeout`].
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for [`ServeOptions::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default for [`ServeOptions::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default for [`ServeOptions::shutdown_timeout`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// How the server treats connections.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long a client may take to send a request's head (request line and headers), counted from its first
    /// byte; then the connection is closed (`--header-read-timeout`).
    pub header_read_timeout: Duration,
    /// How long a connection may sit with no request in flight and no byte received; then it is closed
    /// (`--idle-timeout`).
    pub idle_timeout: Duration,
    /// How many connections may be open at once; the next one gets a JSON 503 and is closed
    /// (`--max-connections`).
    pub max_connections: usize,
    /// How long shutdown waits for in-flight requests before closing what is left (`--shutdown-timeout`).
    pub shutdown_timeout: Duration,
    /// The `Host` names answered besides loopback ones, when bound to loopback; bound elsewhere, the only ones
    /// answered if not empty (`--allowed-host`).
    pub allowed_hosts: Vec<String>,
    /// How long a request's whole body may take to arrive after its head; then reading it fails, the request
    /// is answered 408 and the connection closed (`--body-read-timeout`).
    pub body_read_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            allowed_hosts: Vec::new(),
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        }
    }
}

/// Serves `state` on `listener` with the default [`ServeOptions`] (and the state's allowed hosts) until
/// `shutdown` completes; see [`serve_router`].
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let options = ServeOptions {
        allowed_hosts: state.config().allowed_hosts.clone(),
        ..ServeOptions::default()
    };
    serve_router(listener, app(state), options, shutdown).await
}

/// The error a connection's service returns to make hyper drop the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a reset fault")
    }
}

impl std::error::Error for DropConnection {}

/// Which `Host` values the server answers.
#[derive(Debug, Clone)]
struct HostPolicy {
    /// Loopback names and addresses are answered (the server is bound to loopback).
    loopback: bool,
    /// Other names answered, lowercase, without a port.
    allowed: Vec<String>,
}

impl HostPolicy {
    /// `None` when every host is answered: bound to a non-loopback address with no `--allowed-host`.
    fn new(local: SocketAddr, allowed: &[String]) -> Option<Self> {
        let loopback = local.ip().is_loopback();
        let allowed: Vec<String> = allowed.iter().map(|h| h.to_ascii_lowercase()).collect();
        (loopback || !allowed.is_empty()).then_some(Self { loopback, allowed })
    }

    /// Whether `host` (a `Host` header or an HTTP/2 authority, with or without a port) is answered.
    fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        if self.loopback && is_loopback_name(&name) {
            return true;
        }
        self.allowed.iter().any(|a| host_name(a) == name)
    }
}

/// `host` without its port: `[::1]:80` -> `[::1]`, `localhost:8080` -> `localhost`.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// `localhost`, an address in 127.0.0.0/8, or `[::1]`.
fn is_loopback_name(name: &str) -> bool {
    if name == "localhost" || name == "[::1]" {
        return true;
    }
    name.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The host a request is for: the HTTP/2 authority, else the `Host` header. `None` when it names none (an
/// HTTP/1.0 request), which no browser sends.
fn request_host(request: &hyper::Request<Incoming>) -> Option<std::borrow::Cow<'_, str>> {
    if let Some(authority) = request.uri().authority() {
        return Some(authority.as_str().into());
    }
    request
        .headers()
        .get(header::HOST)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

/// Milliseconds since the loop started: the watchdog's clock, stored in atomics.
#[derive(Debug, Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }
}

/// What a connection's watchdog knows of it, shared with its stream and its service.
#[derive(Debug)]
struct Activity {
    clock: Clock,
    /// When a byte was last received.
    last_read: AtomicU64,
    /// When the first byte of a request head arrived; 0 while no head is being received.
    head_started: AtomicU64,
    /// Requests being answered.
    in_flight: AtomicUsize,
    /// Set when the watchdog closes the connection, for the log.
    closed_by_watchdog: AtomicBool,
    /// Since when its request's body has been waited for (set by [`DeadlineBody`]).
    body: Arc<BodyWait>,
    /// Set, with `wake`, when the accept loop closes it to make room under the connection cap.
    evicted: AtomicBool,
    wake: tokio::sync::Notify,
}

impl Activity {
    fn new(clock: Clock) -> Self {
        Self {
            clock,
            last_read: AtomicU64::new(clock.now()),
            head_started: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            closed_by_watchdog: AtomicBool::new(false),
            body: Arc::new(BodyWait::new(clock.0)),
            evicted: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// How long the connection has been stuck sending a request: its head started and not finished, or its
    /// request's body waited for without a byte. `None` for a connection that is idle, reading or answering.
    fn stalled_for(&self) -> Option<Duration> {
        let head = self.head_started.load(Ordering::Relaxed);
        if head != 0 && self.in_flight.load(Ordering::Relaxed) == 0 {
            return Some(Duration::from_millis(self.clock.now().saturating_sub(head)));
        }
        self.body.stalled_for()
    }

    /// Asks the connection's watchdog to close it now.
    fn evict(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    fn on_read(&self) {
        let now = self.clock.now().max(1);
        self.last_read.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let _ =
                self.head_started
                    .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.head_started.store(0, Ordering::Relaxed);
    }

    fn request_finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.last_read
            .store(self.clock.now().max(1), Ordering::Relaxed);
    }

    /// Why the connection should be closed now, if it should.
    fn overdue(&self, options: &ServeOptions) -> Option<&'static str> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let now = self.clock.now();
        let head = self.head_started.load(Ordering::Relaxed);
        if head != 0 && now.saturating_sub(head) >= options.header_read_timeout.as_millis() as u64 {
            return Some("request head not received in time (--header-read-timeout)");
        }
        let last = self.last_read.load(Ordering::Relaxed);
        if head == 0 && now.saturating_sub(last) >= options.idle_timeout.as_millis() as u64 {
            return Some("idle (--idle-timeout)");
        }
        None
    }
}

/// A stream that tells its connection's [`Activity`] when bytes arrive.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Completes when `activity`'s connection is overdue, checking a few times per shortest timeout.
async fn watchdog(activity: Arc<Activity>, options: Arc<ServeOptions>) -> &'static str {
    let shortest = options.header_read_timeout.min(options.idle_timeout);
    let period = (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = activity.wake.notified() => {}
        }
        if activity.evicted.load(Ordering::Relaxed) {
            return "closed to make room under --max-connections: it was stalled sending its request";
        }
        if let Some(reason) = activity.overdue(&options) {
            activity.closed_by_watchdog.store(true, Ordering::Relaxed);
            return reason;
        }
    }
}

/// How long a connection must have been stalled sending its request before it may be closed to make room for
/// a new one at the connection cap.
pub const EVICTABLE_AFTER: Duration = Duration::from_secs(1);

/// The open connections, for picking one to close when every slot is taken.
#[derive(Debug, Default)]
struct Connections {
    next: AtomicU64,
    live: std::sync::Mutex<std::collections::HashMap<u64, Arc<Activity>>>,
}

impl Connections {
    /// Registers a connection; it is forgotten when the returned guard drops.
    fn add(self: &Arc<Self>, activity: Arc<Activity>) -> Registered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, activity);
        Registered(self.clone(), id)
    }

    /// Closes the connection stalled longest sending its request, if one has been for [`EVICTABLE_AFTER`];
    /// returns for how long it was.
    fn evict_most_stalled(&self) -> Option<Duration> {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let (stalled, victim) = live
            .values()
            .filter(|activity| !activity.evicted.load(Ordering::Relaxed))
            .filter_map(|activity| Some((activity.stalled_for()?, activity)))
            .filter(|(stalled, _)| *stalled >= EVICTABLE_AFTER)
            .max_by_key(|(stalled, _)| *stalled)?;
        victim.evict();
        Some(stalled)
    }
}

/// A connection's place in [`Connections`], given up when the connection ends.
struct Registered(Arc<Connections>, u64);

impl Drop for Registered {
    fn drop(&mut self) {
        self.0
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.1);
    }
}

/// The body of the 503 sent to a connection over `--max-connections`.
fn over_capacity_response(max: usize) -> Vec<u8> {
    let body = serde_json::json!({
        "error": "Service Unavailable",
        "message": format!(
            "the mock already has {max} open connections (--max-connections / OPENMIC_MOCK_MAX_CONNECTIONS); \
             close idle ones or raise the limit"
        ),
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\
         retry-after: 1\r\n\r\n{body}",
        crate::body::JSON_CONTENT_TYPE,
        body.len()
    )
    .into_bytes()
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets in-flight requests
/// finish for up to [`ServeOptions::shutdown_timeout`], closes what is left, and returns. A response marked
/// [`ResetConnection`] is never sent: its connection is dropped.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let hosts = HostPolicy::new(local, &options.allowed_hosts).map(Arc::new);
    let options = Arc::new(options);
    let clock = Clock(Instant::now());
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let connections = Arc::new(Connections::default());
    let (force_close, closing) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().max_buf_size(MAX_REQUEST_HEAD_BYTES);
    builder
        .http2()
        .max_header_list_size(MAX_REQUEST_HEAD_BYTES as u32);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            // Shutdown first, so it is polled (and a signal handler behind it installed) before the first
            // connection is served, not only once no connection is waiting.
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    // Per-connection errors (the peer gave up) are harmless; others, such as running out of
                    // file descriptors, pass with time, so wait a little rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let mut slot = slots.clone().try_acquire_owned().ok();
        if slot.is_none()
            && let Some(stalled) = connections.evict_most_stalled()
        {
            // The evicted connection's task ends within a scheduler turn or two, and gives its slot back.
            slot = tokio::time::timeout(Duration::from_millis(500), slots.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok);
            tracing::info!(
                stalled_ms = stalled.as_millis() as u64,
                made_room = slot.is_some(),
                "closed a connection stalled sending its request, to make room for a new one under --max-connections"
            );
        }
        let Some(slot) = slot else {
            tracing::warn!(
                max_connections = options.max_connections,
                "refused a connection: too many open connections"
            );
            let mut stream = stream;
            let max = options.max_connections;
            tokio::spawn(async move {
                let answer = over_capacity_response(max);
                // Answer, close our side, then read what the client sent until it closes too: closing a
                // socket with unread data makes the kernel reset the connection, and the client would see
                // the reset instead of the answer.
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    stream.write_all(&answer).await?;
                    stream.shutdown().await?;
                    let mut sink = [0u8; 4096];
                    while stream.read(&mut sink).await? > 0 {}
                    Ok::<(), std::io::Error>(())
                })
                .await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new(clock));
        let registered = connections.add(activity.clone());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let service = {
            let router = router.clone();
            let hosts = hosts.clone();
            let activity = activity.clone();
            let body_read_timeout = options.body_read_timeout;
            hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let router = router.clone();
                let hosts = hosts.clone();
                let activity = activity.clone();
                async move {
                    activity.request_started();
                    let _finished = Finished(&activity);
                    if let Some(refused) = refused_before_routing(
                        request.version(),
                        request.uri().authority().is_some(),
                        request.headers(),
                    ) {
                        tracing::info!(
                            path = %request.uri().path(),
                            status = refused.status().as_u16(),
                            "refused a request before routing it (its Host headers, or a webhook's User-Agent)"
                        );
                        return Ok(refused);
                    }
                    if let Some(hosts) = &hosts
                        && let Some(host) = request_host(&request)
                        && !hosts.allows(&host)
                    {
                        tracing::info!(%host, path = %request.uri().path(), "refused a request for another host");
                        return Ok(host_refused_response(&host));
                    }
                    // Only a request that announces a body gets a deadline on it (a GET costs nothing).
                    let request = if request.body().is_end_stream() {
                        request.map(Body::new)
                    } else {
                        let wait = activity.body.clone();
                        request
                            .map(|body| Body::new(DeadlineBody::new(body, body_read_timeout, wait)))
                    };
                    let response = match router.oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    if response.extensions().get::<ResetConnection>().is_some() {
                        Err(DropConnection)
                    } else {
                        Ok(response)
                    }
                }
            })
        };
        let connection = builder.serve_connection(io, service).into_owned();
        let connection = graceful.watch(connection);
        let options = options.clone();
        let mut closing = closing.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _registered = registered;
            tokio::select! {
                result = connection => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, "connection closed with an error");
                    }
                }
                reason = watchdog(activity, options) => {
                    tracing::debug!(reason, "connection closed by the server");
                }
                _ = closing.wait_for(|closing| *closing) => {
                    tracing::debug!("connection closed at the shutdown deadline");
                }
            }
        });
    }
    drop(listener);
    let deadline = options.shutdown_timeout;
    if tokio::time::timeout(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!(
            timeout_ms = deadline.as_millis() as u64,
            "closing the connections still open at the shutdown deadline"
        );
        let _ = force_close.send(true);
        // Give the tasks a moment to drop their connections, so their sockets close before we return.
        let all = options.max_connections as u32;
        let _ = tokio::time::timeout(Duration::from_millis(200), slots.acquire_many(all)).await;
    }
    Ok(())
}

/// Marks a request finished when dropped, whether its future completed or was dropped midway.
struct Finished<'a>(&'a Activity);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The largest request head, in bytes: HTTP/1 read buffer and HTTP/2 header list (hyper's default, ~400 KB, let one request
/// with a huge header cost that much per connection).
pub const MAX_REQUEST_HEAD_BYTES: usize = 128 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_allowed_hosts_pass_with_any_port() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let policy = HostPolicy::new(local, &["Openmic-Mock".to_string()]).unwrap();
        for host in [
            "localhost",
            "localhost:9",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:8080",
            "openmic-mock",
            "OPENMIC-MOCK:8080",
        ] {
            assert!(policy.allows(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "[::2]",
            "0.0.0.0",
            // What follows the last colon is a port only when it is digits.
            "localhost:evil.example",
            "127.0.0.1:80x",
        ] {
            assert!(!policy.allows(host), "{host}");
        }
    }

    #[test]
    fn bound_elsewhere_every_host_passes_unless_hosts_are_listed() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(HostPolicy::new(any, &[]).is_none());
        let policy = HostPolicy::new(any, &["mock".to_string()]).unwrap();
        assert!(policy.allows("mock:8080"));
        assert!(!policy.allows("localhost"));
    }

    #[test]
    fn idle_and_slow_heads_are_overdue_but_requests_in_flight_never() {
        let options = ServeOptions {
            header_read_timeout: Duration::from_millis(20),
            idle_timeout: Duration::from_millis(60),
            ..ServeOptions::default()
        };
        let activity = Activity::new(Clock(Instant::now()));
        assert_eq!(activity.overdue(&options), None);
        activity.on_read();
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            activity
                .overdue(&options)
                .is_some_and(|r| r.contains("head"))
        );
        activity.request_started();
        std::thread::sleep(Duration::from_millis(70));
        assert_eq!(activity.overdue(&options), None);
        activity.request_finished();
        assert_eq!(activity.overdue(&options), None);
        std::thread::sleep(Duration::from_millis(70));
        assert!(
            activity
                .overdue(&options)
                .is_some_and(|r| r.contains("idle"))
        );
    }
}
