//! Delivering a payload the way the vendor does, and nothing else: `POST` to the one URL given, with
//! `Content-Type: application/json` and `User-Agent: Openmic-Webhook/1.0`, no redirect followed, no proxy,
//! a timeout per request, and at most [`MAX_REPLY_BYTES`] of the reply read (a hostile receiver cannot make
//! the kit hold more). Also how a delivery prints as a `curl` command that replays it.
//!
//! Synchronous from the outside, like [`crate::http::HttpClient`]: it owns a current-thread runtime, because
//! proptest calls test closures synchronously. Call it outside any async runtime.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use openmic_fixtures::WEBHOOK_USER_AGENT;

use crate::http::install_crypto_provider;

/// At most this much of a reply is read; the rest is left unread.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// A body longer than this is written to a file for its curl command, not pasted into it.
pub const INLINE_CURL_BYTES: usize = 4 * 1024;

/// What the receiver answered.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The HTTP status.
    pub status: u16,
    /// The reply body, at most [`MAX_REPLY_BYTES`].
    pub body: Vec<u8>,
    /// Whether the reply was longer than what was read.
    pub truncated: bool,
    /// From sending the request to the end of the reply (or of what was read of it).
    pub elapsed: Duration,
}

impl Delivery {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `HTTP 500 after 0.012 s` and the start of the body: how the reply reads in a failure.
    pub fn describe(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let mut text = format!("HTTP {} after {}", self.status, seconds(self.elapsed));
        if !body.is_empty() {
            text.push('\n');
            text.push_str(&crate::report::clip(&body, 500));
            if self.truncated {
                text.push_str(&format!(
                    "\n(reply longer than {MAX_REPLY_BYTES} bytes; the rest was not read)"
                ));
            }
        }
        text
    }
}

/// A duration as seconds with milliseconds: `1.000 s`.
pub fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

/// Why a delivery got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// No complete reply within the timeout.
    Timeout(Duration),
    /// The connection failed, or the receiver closed it without a reply.
    Transport(String),
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::Timeout(after) => {
                write!(f, "no reply within the timeout of {}", seconds(*after))
            }
            DeliveryError::Transport(why) => write!(f, "no reply: {why}"),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// Sends payloads to one receiver.
pub struct WebhookSender {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: reqwest::Url,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl WebhookSender {
    /// A sender to `url`: `http://`, or `https://` with the kit's `tls` feature. Says why not otherwise.
    pub fn new(url: &str) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
        match parsed.scheme() {
            "http" => {}
            "https" if cfg!(feature = "tls") => {}
            "https" => {
                return Err(
                    "https receivers need the `tls` feature: install with `cargo install --path contract-tests \
                     --features tls` (or run `cargo run --release -p openmic-contract --features tls -- webhook ...`)"
                        .into(),
                );
            }
            other => {
                return Err(format!(
                    "{url:?}: the scheme must be http or https, not {other}"
                ));
            }
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(format!("{url:?} has no host"));
        }
        install_crypto_provider();
        let http = openmic_http::client_builder()
            .user_agent(WEBHOOK_USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime: {e}"))?;
        Ok(Self {
            runtime,
            http,
            url: parsed,
        })
    }

    /// The receiver's URL, as given.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Opens a TCP connection to the receiver's host and port and closes it, sending nothing: whether there is
    /// anyone to check, before any property runs.
    pub fn probe(&self, timeout: Duration) -> Result<(), String> {
        let addrs: Vec<SocketAddr> = self
            .url
            .socket_addrs(|| None)
            .map_err(|e| format!("cannot resolve {}: {e}", self.url))?;
        self.runtime.block_on(async {
            match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&addrs[..])).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("cannot connect to {}: {e}", self.url)),
                Err(_) => Err(format!(
                    "cannot connect to {}: no connection within {}",
                    self.url,
                    seconds(timeout)
                )),
            }
        })
    }

    /// Posts `body` and waits at most `timeout` for the whole reply (of which at most [`MAX_REPLY_BYTES`]
    /// are read).
    pub fn deliver(&self, body: &str, timeout: Duration) -> Result<Delivery, DeliveryError> {
        let request = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let started = Instant::now();
        self.runtime.block_on(async {
            let exchange = async {
                let mut response = request.send().await.map_err(|e| transport(&e))?;
                let status = response.status().as_u16();
                let mut body = Vec::new();
                let mut truncated = false;
                while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e))? {
                    let room = MAX_REPLY_BYTES - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok((status, body, truncated))
            };
            match tokio::time::timeout(timeout, exchange).await {
                Ok(Ok((status, body, truncated))) => Ok(Delivery {
                    status,
                    body,
                    truncated,
                    elapsed: started.elapsed(),
                }),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(DeliveryError::Timeout(timeout)),
            }
        })
    }
}

/// reqwest's error with its causes: "error sending request" alone says nothing.
fn transport(error: &reqwest::Error) -> DeliveryError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    DeliveryError::Transport(text)
}

/// `text` quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// A curl command that sends `body` to `url` as the kit did: the same headers, no redirect followed, the
/// same timeout, printing the status and time at the end. `body_file` is where the body was written when it
/// is too long to paste ([`INLINE_CURL_BYTES`]); it is then sent with `--data-binary @FILE`.
pub fn curl(url: &str, body: &str, timeout: Duration, body_file: Option<&Path>) -> String {
    let data = match body_file {
        Some(path) => format!(
            "--data-binary {}",
            shell_quote(&format!("@{}", path.display()))
        ),
        None => format!("--data-raw {}", shell_quote(body)),
    };
    format!(
        "curl -sS --max-time {} -H 'Content-Type: application/json' -H 'User-Agent: {WEBHOOK_USER_AGENT}' {data} \
         -w '\\nHTTP %{{http_code}} after %{{time_total}} s\\n' {}",
        timeout.as_secs_f64(),
        shell_quote(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_curl_command_quotes_the_body_and_url_for_the_shell() {
        let command = curl(
            "http://127.0.0.1:1/hook?a=1&b=2",
            r#"{"m":"it's"}"#,
            Duration::from_millis(1500),
            None,
        );
        assert_eq!(
            command,
            "curl -sS --max-time 1.5 -H 'Content-Type: application/json' -H 'User-Agent: Openmic-Webhook/1.0' \
             --data-raw '{\"m\":\"it'\\''s\"}' -w '\\nHTTP %{http_code} after %{time_total} s\\n' \
             'http://127.0.0.1:1/hook?a=1&b=2'"
        );
        let with_file = curl(
            "http://h/x",
            "ignored",
            Duration::from_secs(10),
            Some(Path::new("/tmp/p.json")),
        );
        assert!(
            with_file.contains("--max-time 10 ")
                && with_file.contains("--data-binary '@/tmp/p.json'"),
            "{with_file}"
        );
        assert!(!with_file.contains("ignored"));
    }

    #[test]
    fn only_http_urls_with_a_host_are_accepted_and_https_says_which_feature() {
        assert!(WebhookSender::new("http://127.0.0.1:9/hook").is_ok());
        assert!(
            WebhookSender::new("ftp://x/y")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            WebhookSender::new("not a url")
                .unwrap_err()
                .contains("not a URL")
        );
        let https = WebhookSender::new("https://example.com/hook");
        if cfg!(feature = "tls") {
            assert!(https.is_ok());
        } else {
            assert!(https.unwrap_err().contains("`tls` feature"));
        }
    }

    #[test]
    fn a_sender_keeps_its_url_and_shows_it() {
        let sender = WebhookSender::new("http://127.0.0.1:9/hook").unwrap();
        assert_eq!(sender.url(), "http://127.0.0.1:9/hook");
        let shown = format!("{sender:?}");
        assert!(shown.contains("http://127.0.0.1:9/hook"), "{shown}");
    }

    /// A receiver on a loopback port that answers one request with `chunks`, each written and flushed apart, in
    /// a chunked reply.
    fn chunked_receiver(chunks: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<()>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read up to the end of the headers and the short body the test sends.
            while !request.ends_with(b"{}") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
            stream.write_all(head.as_bytes()).unwrap();
            for chunk in chunks {
                let framed = [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk,
                    b"\r\n".to_vec(),
                ];
                // The client may stop reading once it has enough.
                if stream.write_all(&framed.concat()).is_err() {
                    return;
                }
                stream.flush().unwrap();
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        });
        (url, handle)
    }

    #[test]
    fn a_reply_is_cut_at_its_limit_across_chunks() {
        let half = MAX_REPLY_BYTES / 2 + 100;
        let (url, receiver) = chunked_receiver(vec![vec![b'a'; half], vec![b'b'; half]]);
        let sender = WebhookSender::new(&url).unwrap();
        let delivery = sender.deliver("{}", Duration::from_secs(5)).unwrap();
        assert_eq!(delivery.status, 200);
        assert!(delivery.truncated);
        assert_eq!(delivery.body.len(), MAX_REPLY_BYTES);
        assert!(delivery.body[..half].iter().all(|&b| b == b'a'));
        assert!(delivery.body[half..].iter().all(|&b| b == b'b'));
        receiver.join().unwrap();

        // Two chunks that together fit are read whole.
        let (url, receiver) = chunked_receiver(vec![vec![b'a'; 10], vec![b'b'; 10]]);
        let delivery = WebhookSender::new(&url)
            .unwrap()
            .deliver("{}", Duration::from_secs(5))
            .unwrap();
        assert!(!delivery.truncated);
        assert_eq!(delivery.body, [vec![b'a'; 10], vec![b'b'; 10]].concat());
        receiver.join().unwrap();
    }

    #[test]
    fn a_reply_reads_with_its_status_time_and_clipped_body() {
        let delivery = Delivery {
            status: 500,
            body: b"boom".to_vec(),
            truncated: true,
            elapsed: Duration::from_millis(12),
        };
        assert_eq!(
            delivery.describe(),
            format!(
                "HTTP 500 after 0.012 s\nboom\n(reply longer than {MAX_REPLY_BYTES} bytes; the rest was not read)"
            )
        );
        assert!(!delivery.is_success());
        for (status, ok) in [
            (199, false),
            (200, true),
            (204, true),
            (299, true),
            (300, false),
        ] {
            let d = Delivery {
                status,
                ..delivery.clone()
            };
            assert_eq!(d.is_success(), ok, "{status}");
        }
        let empty = Delivery {
            body: Vec::new(),
            ..delivery
        };
        assert_eq!(empty.describe(), "HTTP 500 after 0.012 s");
    }
}
