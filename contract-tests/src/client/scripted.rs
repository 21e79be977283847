//! A scripted HTTP server for the create and polling properties: each case installs a responder (a function
//! of the request and how many came before it), and the server records every request whole, body and arrival
//! time included, which the mock's journal does not keep. It answers JSON, or drops the connection.
//!
//! Plain HTTP/1.1 on loopback over std threads: one for accepting, one per connection, every read bounded in
//! size and time, so a client that sends too much or stalls cannot hang the kit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The largest request head the server reads.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The largest request body the server reads.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long a connection may stay silent.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// One request as it reached the scripted server.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// When it arrived (its head was read).
    pub(crate) at: Instant,
    pub(crate) method: String,
    /// The path and query, as sent.
    pub(crate) target: String,
    /// Header names lowercased, in order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The status answered; 0 when the connection was dropped.
    pub(crate) status: u16,
}

impl Received {
    /// The first header called `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query.
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// Answer `status` with this JSON body and, when set, `Retry-After`.
    Json {
        status: u16,
        body: Value,
        retry_after: Option<u64>,
    },
    /// Close the connection without answering.
    Drop,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Reply::Json {
            status,
            body,
            retry_after: None,
        }
    }
}

/// Decides the reply to a request, given the requests before it in this case.
pub(crate) type Responder = Box<dyn FnMut(&Received, &[Received]) -> Reply + Send>;

struct Shared {
    responder: Mutex<Responder>,
    received: Mutex<Vec<Received>>,
    stop: AtomicBool,
}

/// The running server; dropping it stops it.
pub(crate) struct Scripted {
    uri: String,
    shared: Arc<Shared>,
    addr: std::net::SocketAddr,
}

impl Scripted {
    /// Starts it on a free loopback port, answering 404 until a case installs its responder.
    pub(crate) fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            responder: Mutex::new(not_scripted()),
            received: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accepting);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Ok(Self {
            uri: format!("http://{addr}"),
            shared,
            addr,
        })
    }

    /// The base URL, such as `http://127.0.0.1:41234`.
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// Starts a case: forgets what was received and answers with `responder` from now on.
    pub(crate) fn script(&self, responder: Responder) {
        *lock(&self.shared.responder) = responder;
        lock(&self.shared.received).clear();
    }

    /// The requests of this case, in order.
    pub(crate) fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn not_scripted() -> Responder {
    Box::new(|_, _| Reply::json(404, serde_json::json!({"error": "not scripted"})))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Serves one connection, request after request, until the client closes it, asks to, or a reply drops it.
fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    // A reply goes out at once: with Nagle's algorithm a client's delayed ACK would hold it back 40 ms.
    let _ = stream.set_nodelay(true);
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut writer = writer;
    while let Some(mut request) = read_request(&mut reader) {
        let before = lock(&shared.received).clone();
        let reply = (lock(&shared.responder))(&request, &before);
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        match reply {
            Reply::Drop => {
                request.status = 0;
                lock(&shared.received).push(request);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Json {
                status,
                body,
                retry_after,
            } => {
                request.status = status;
                lock(&shared.received).push(request);
                let body = body.to_string();
                let mut head = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    reason(status),
                    body.len()
                );
                if let Some(seconds) = retry_after {
                    head.push_str(&format!("retry-after: {seconds}\r\n"));
                }
                head.push_str(if close {
                    "connection: close\r\n\r\n"
                } else {
                    "\r\n"
                });
                // The head and the body in one write, so the reply leaves as one segment.
                let mut reply = head.into_bytes();
                reply.extend_from_slice(body.as_bytes());
                if writer
                    .write_all(&reply)
                    .and_then(|()| writer.flush())
                    .is_err()
                    || close
                {
                    return;
                }
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// Reads one request: its head, then a body of `Content-Length` bytes or in chunks. `None` at the end of the
/// connection or on anything malformed or too large.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Received> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let read = reader
            .by_ref()
            .take((MAX_HEAD_BYTES - head.len().min(MAX_HEAD_BYTES)) as u64 + 1)
            .read_until(b'\n', &mut line)
            .ok()?;
        if read == 0 || head.len() + line.len() > MAX_HEAD_BYTES {
            return None;
        }
        if (line == b"\r\n" || line == b"\n") && !head.is_empty() {
            break;
        }
        if line == b"\r\n" || line == b"\n" {
            continue;
        }
        head.extend_from_slice(&line);
    }
    let at = Instant::now();
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(reader)?
    } else {
        let length: usize = header("content-length").map_or(Some(0), |v| v.parse().ok())?;
        if length > MAX_BODY_BYTES {
            return None;
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    Some(Received {
        at,
        method,
        target,
        headers,
        body,
        status: 0,
    })
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.by_ref().take(64).read_line(&mut line).ok()?;
        let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
        if body.len() + size > MAX_BODY_BYTES {
            return None;
        }
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// What the server sends back to `request` (sent raw) until it closes. The server may close before reading
    /// it all: a refused request.
    fn answer_to(server: &Scripted, request: &str) -> String {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(request.as_bytes());
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }

    /// A scripted server that answers every request `status` with `{}`.
    fn answering(status: u16) -> Scripted {
        let server = Scripted::start().unwrap();
        server.script(Box::new(move |_, _| {
            Reply::json(status, serde_json::json!({}))
        }));
        server
    }

    /// A GET whose `X-Pad` header is `pad` bytes long.
    fn head_with(pad: usize) -> String {
        format!(
            "GET /v1/calls HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
            "p".repeat(pad)
        )
    }

    /// A POST with a body of `len` bytes.
    fn body_of(len: usize) -> String {
        format!(
            "POST /v1/create-phone-call HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{}",
            "b".repeat(len)
        )
    }

    #[test]
    fn each_status_the_properties_script_has_its_reason_phrase() {
        let phrases = [
            (200, "OK"),
            (201, "Created"),
            (400, "Bad Request"),
            (404, "Not Found"),
            (429, "Too Many Requests"),
            (500, "Internal Server Error"),
            (503, "Status"),
        ];
        for (status, phrase) in phrases {
            assert_eq!(reason(status), phrase, "{status}");
        }
    }

    #[test]
    fn an_empty_line_before_a_request_is_skipped() {
        let server = answering(200);
        let answer = answer_to(&server, &format!("\r\n{}", head_with(0)));
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer:?}");
        assert_eq!(server.received()[0].target, "/v1/calls");
    }

    #[test]
    fn a_chunked_body_is_read_whole_up_to_64_kib_and_refused_past_it() {
        let server = answering(201);
        let chunked = |chunks: &[&str]| {
            let mut request = String::from(
                "POST /v1/create-phone-call HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            );
            for chunk in chunks {
                request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
            }
            request + "0\r\n\r\n"
        };
        let answer = answer_to(&server, &chunked(&["{\"to_number\":", "\"+12125550100\"}"]));
        assert!(answer.starts_with("HTTP/1.1 201 Created\r\n"), "{answer:?}");
        assert_eq!(
            server.received()[0].body,
            b"{\"to_number\":\"+12125550100\"}"
        );
        let half = "b".repeat(32 * 1024);
        let answer = answer_to(&server, &chunked(&[&half, &half]));
        assert!(answer.starts_with("HTTP/1.1 201 Created\r\n"), "{answer:?}");
        assert_eq!(server.received()[1].body.len(), 64 * 1024);
        let answer = answer_to(&server, &chunked(&[&half, &half, "b"]));
        assert!(answer.is_empty(), "{answer:?}");
        assert_eq!(server.received().len(), 2);
    }

    #[test]
    fn a_request_asking_to_close_is_answered_then_closed_at_once() {
        let server = answering(200);
        let mut stream = TcpStream::connect(server.addr).unwrap();
        // Well under the server's own 10 s wait for a next request.
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        stream.write_all(head_with(0).as_bytes()).unwrap();
        let mut answer = Vec::new();
        let ended = stream.read_to_end(&mut answer);
        assert!(ended.is_ok(), "{ended:?} after {answer:?}");
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"), "{answer:?}");
        assert!(
            String::from_utf8_lossy(&answer).contains("connection: close\r\n"),
            "{answer:?}"
        );
    }

    #[test]
    fn a_dropped_server_stops_accepting() {
        let server = Scripted::start().unwrap();
        let addr = server.addr;
        drop(server);
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "{addr} still accepts after the drop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_request_body_is_read_up_to_64_kib_and_refused_past_it() {
        let server = answering(201);
        let answer = answer_to(&server, &body_of(64 * 1024));
        assert!(answer.starts_with("HTTP/1.1 201 Created\r\n"), "{answer:?}");
        assert_eq!(server.received().len(), 1);
        let answer = answer_to(&server, &body_of(64 * 1024 + 1));
        assert!(answer.is_empty(), "{answer:?}");
        assert_eq!(server.received().len(), 1);
    }

    #[test]
    fn a_request_head_is_read_up_to_16_kib_and_refused_past_it() {
        let server = answering(200);
        let answer = answer_to(&server, &head_with(8 * 1024));
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer:?}");
        assert_eq!(server.received().len(), 1);
        let answer = answer_to(&server, &head_with(16 * 1024));
        assert!(answer.is_empty(), "{answer:?}");
        assert_eq!(server.received().len(), 1);
        // The blank line that ends the head counts: a head of exactly 16 KiB with it is read, one byte more is not.
        let exact = 16 * 1024 - head_with(0).len();
        assert_eq!(head_with(exact).len(), 16 * 1024);
        let answer = answer_to(&server, &head_with(exact));
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer:?}");
        assert_eq!(server.received().len(), 2);
        let answer = answer_to(&server, &head_with(exact + 1));
        assert!(answer.is_empty(), "{answer:?}");
        assert_eq!(server.received().len(), 2);
    }
}
