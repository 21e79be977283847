//! `openmic-mock healthcheck`: asks a running mock for `GET /__admin/health` and exits 0 when it answers 200.
//! A container image built `FROM scratch` has no shell and no curl, so its `HEALTHCHECK` runs this.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use clap::Args;

use crate::cli::serve::parse_secs;

/// The most of the answer read: health's body is a few dozen bytes.
const MAX_ANSWER: u64 = 64 * 1024;

#[derive(Debug, Args)]
pub(crate) struct HealthcheckArgs {
    /// Port of the mock to ask (the same variable as serve's --port, so a container's setting holds for both).
    #[arg(long, env = "OPENMIC_MOCK_PORT", default_value_t = 8080)]
    pub(crate) port: u16,

    /// Address of the mock to ask.
    #[arg(long, env = "OPENMIC_MOCK_HEALTHCHECK_HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub(crate) host: IpAddr,

    /// Seconds to wait for the whole answer, connection included.
    #[arg(long, env = "OPENMIC_MOCK_HEALTHCHECK_TIMEOUT", value_name = "SECS", default_value = "3", value_parser = parse_secs)]
    pub(crate) timeout: Duration,
}

/// Prints `healthy: ...` and returns `Ok` when the mock answers 200; the reason otherwise.
pub(crate) fn healthcheck(args: HealthcheckArgs) -> Result<(), String> {
    let addr = SocketAddr::new(args.host, args.port);
    let url = format!("http://{addr}/__admin/health");
    let answer = ask(addr, args.timeout).map_err(|why| format!("{url}: {why}"))?;
    let status_line = answer.lines().next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| format!("{url}: not an HTTP answer: {status_line:?}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.trim())
        .unwrap_or_default();
    if status != "200" {
        return Err(format!("{url} answered {status}: {body}"));
    }
    println!("healthy: {url} answered 200 {body}");
    Ok(())
}

/// One `GET`, the connection closed after it, everything within `timeout`.
fn ask(addr: SocketAddr, timeout: Duration) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|err| format!("cannot connect: {err}"))?;
    let left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    stream
        .set_write_timeout(Some(left()))
        .and_then(|()| {
            stream.write_all(
                format!(
                    "GET /__admin/health HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
        })
        .map_err(|err| format!("cannot send the request: {err}"))?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut limited = (&stream).take(MAX_ANSWER);
    loop {
        stream
            .set_read_timeout(Some(left()))
            .map_err(|err| format!("cannot read the answer: {err}"))?;
        if Instant::now() >= deadline {
            return Err(format!("no complete answer within {timeout:?}"));
        }
        match limited.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("no complete answer within {timeout:?}"));
            }
            Err(err) => return Err(format!("cannot read the answer: {err}")),
        }
    }
    String::from_utf8(answer).map_err(|_| "the answer is not UTF-8".into())
}
