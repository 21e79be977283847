//! The workspace's resolver: names from a hosts file of the test's own, `localhost`, and the errors that name the
//! files; then a real request through a reqwest client that uses it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;

use openmic_http::Resolver;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOSTS: &str = "\
# a comment line
127.0.0.1\tlocalhost
10.0.0.7   receiver receiver.example.   # the service of a compose file, an alias with a final dot
10.0.0.8   Other
::1        ip6-localhost ip6-loopback
not-an-ip  nowhere
10.0.0.9   receiver
";

fn hosts_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_hosts_file_entry_resolves_with_every_address_in_file_order() {
    let (dir, hosts) = hosts_file(HOSTS);
    let resolver = Resolver::with_files(hosts, dir.path().join("no-resolv.conf"));
    assert_eq!(
        resolver.lookup("receiver").await.unwrap(),
        [ip("10.0.0.7"), ip("10.0.0.9")]
    );
    // Names compare without case, and a final dot (a fully qualified name) changes nothing.
    assert_eq!(
        resolver.lookup("RECEIVER.").await.unwrap(),
        [ip("10.0.0.7"), ip("10.0.0.9")]
    );
    assert_eq!(resolver.lookup("other").await.unwrap(), [ip("10.0.0.8")]);
    assert_eq!(
        resolver.lookup("receiver.example").await.unwrap(),
        [ip("10.0.0.7")]
    );
    assert_eq!(resolver.lookup("ip6-loopback").await.unwrap(), [ip("::1")]);
}

#[tokio::test]
async fn the_hosts_file_is_read_at_each_lookup() {
    let (dir, hosts) = hosts_file("10.0.0.1 first\n");
    let resolver = Resolver::with_files(&hosts, dir.path().join("no-resolv.conf"));
    assert_eq!(resolver.lookup("first").await.unwrap(), [ip("10.0.0.1")]);
    std::fs::write(&hosts, "10.0.0.2 first\n10.0.0.3 later\n").unwrap();
    assert_eq!(resolver.lookup("first").await.unwrap(), [ip("10.0.0.2")]);
    assert_eq!(resolver.lookup("later").await.unwrap(), [ip("10.0.0.3")]);
}

#[tokio::test]
async fn localhost_resolves_to_loopback_without_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let resolver = Resolver::with_files(dir.path().join("hosts"), dir.path().join("resolv.conf"));
    let loopback = [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    assert_eq!(resolver.lookup("localhost").await.unwrap(), loopback);
    assert_eq!(resolver.lookup("api.LOCALHOST").await.unwrap(), loopback);
    // Not a name under localhost.
    assert!(resolver.lookup("notlocalhost").await.is_err());
    assert!(resolver.lookup("localhost.example").await.is_err());
}

#[tokio::test]
async fn an_ip_literal_is_its_own_answer() {
    let dir = tempfile::tempdir().unwrap();
    let resolver = Resolver::with_files(dir.path().join("hosts"), dir.path().join("resolv.conf"));
    assert_eq!(
        resolver.lookup("192.0.2.1").await.unwrap(),
        [ip("192.0.2.1")]
    );
    assert_eq!(
        resolver.lookup("[2001:db8::1]").await.unwrap(),
        [ip("2001:db8::1")]
    );
}

#[tokio::test]
async fn a_hosts_file_entry_wins_over_the_localhost_rule() {
    let (dir, hosts) = hosts_file("10.1.2.3 localhost\n");
    let resolver = Resolver::with_files(hosts, dir.path().join("no-resolv.conf"));
    assert_eq!(
        resolver.lookup("localhost").await.unwrap(),
        [ip("10.1.2.3")]
    );
}

#[tokio::test]
async fn a_name_in_neither_file_says_which_files_were_read() {
    let (dir, hosts) = hosts_file(HOSTS);
    let resolv_conf = dir.path().join("no-resolv.conf");
    let resolver = Resolver::with_files(&hosts, &resolv_conf);
    let why = resolver.lookup("nowhere").await.unwrap_err();
    assert!(
        why.starts_with("cannot resolve nowhere: it is not in "),
        "{why}"
    );
    assert!(why.contains(&hosts.display().to_string()), "{why}");
    assert!(
        why.contains(&format!("cannot read {}", resolv_conf.display())),
        "{why}"
    );

    // A resolv.conf without a name server is refused the same way, naming the file.
    let empty = dir.path().join("resolv.conf");
    std::fs::write(&empty, "# no nameserver lines\nsearch example\n").unwrap();
    let resolver = Resolver::with_files(&hosts, &empty);
    let why = resolver.lookup("nowhere").await.unwrap_err();
    assert!(
        why.contains(&format!("{} is not usable", empty.display())),
        "{why}"
    );
}

#[tokio::test]
async fn an_unreadable_hosts_file_is_an_error_not_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file should be: reading it fails with something other than "not found".
    let resolver = Resolver::with_files(dir.path(), dir.path().join("resolv.conf"));
    let why = resolver.lookup("receiver").await.unwrap_err();
    let expected = format!(
        "cannot resolve receiver: cannot read {}: ",
        dir.path().display()
    );
    assert!(why.starts_with(&expected), "{why}");
}

#[tokio::test]
async fn a_reqwest_client_with_the_resolver_reaches_a_server_by_a_hosts_file_name() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let port = server.address().port();
    let (dir, hosts) = hosts_file("127.0.0.1 receiver\n");
    let client = reqwest::Client::builder()
        .dns_resolver(Arc::new(Resolver::with_files(
            hosts,
            dir.path().join("no-resolv.conf"),
        )))
        .no_proxy()
        .build()
        .unwrap();
    let answer = client
        .post(format!("http://receiver:{port}/hook"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);

    // A name the resolver cannot find fails the request with the resolver's reason.
    let err = client
        .post(format!("http://elsewhere:{port}/hook"))
        .send()
        .await
        .unwrap_err();
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push_str(&e.to_string());
        chain.push('\n');
        source = e.source();
    }
    assert!(chain.contains("cannot resolve elsewhere"), "{chain}");
}

/// A name server on 127.0.0.77:53 answering every `A` question with 10.9.8.7 and every other with no record; the
/// questions it got go to `asked`. `None` when port 53 cannot be bound (it takes root or CAP_NET_BIND_SERVICE).
fn fake_name_server(asked: std::sync::mpsc::Sender<String>) -> Option<()> {
    let socket = match std::net::UdpSocket::bind("127.0.0.77:53") {
        Ok(socket) => socket,
        Err(err) => {
            eprintln!("the DNS test needs port 53 on 127.0.0.77 (root): {err}");
            return None;
        }
    };
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            let query = &buf[..len];
            // The question: labels up to a zero byte, then type and class.
            let mut at = 12;
            let mut labels = Vec::new();
            while query[at] != 0 {
                let n = usize::from(query[at]);
                labels.push(String::from_utf8_lossy(&query[at + 1..at + 1 + n]).into_owned());
                at += 1 + n;
            }
            let question_end = at + 5;
            let qtype = u16::from_be_bytes([query[at + 1], query[at + 2]]);
            let _ = asked.send(format!("{} {qtype}", labels.join(".")));
            let answers: u16 = u16::from(qtype == 1);
            let mut answer = Vec::new();
            answer.extend_from_slice(&query[..2]); // the id
            answer.extend_from_slice(&[0x81, 0x80, 0, 1]); // a recursive answer, one question
            answer.extend_from_slice(&answers.to_be_bytes());
            answer.extend_from_slice(&[0, 0, 0, 0]);
            answer.extend_from_slice(&query[12..question_end]);
            if qtype == 1 {
                // The name by a pointer to the question, A, IN, a TTL of 60 s, 4 bytes of address.
                answer.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7]);
            }
            let _ = socket.send_to(&answer, from);
        }
    });
    Some(())
}

#[tokio::test]
async fn a_name_in_no_hosts_file_is_asked_of_the_name_server_of_resolv_conf() {
    let (tx, asked) = std::sync::mpsc::channel();
    if fake_name_server(tx).is_none() {
        return;
    }
    let (dir, hosts) = hosts_file("10.0.0.1 receiver\n");
    let resolv_conf = dir.path().join("resolv.conf");
    std::fs::write(
        &resolv_conf,
        "nameserver 127.0.0.77\noptions timeout:2 attempts:1\n",
    )
    .unwrap();
    let resolver = Resolver::with_files(hosts, resolv_conf);
    assert_eq!(
        resolver.lookup("api.example.test").await.unwrap(),
        [ip("10.9.8.7")]
    );
    let questions: Vec<String> = asked.try_iter().collect();
    assert!(
        questions.iter().any(|q| q == "api.example.test 1"),
        "{questions:?}"
    );
    // The hosts file still answers first: the name server is not asked for what the file has.
    assert_eq!(resolver.lookup("receiver").await.unwrap(), [ip("10.0.0.1")]);
    assert!(
        asked.try_iter().all(|q| !q.starts_with("receiver")),
        "the name server was asked for a name of the hosts file"
    );
}

/// The builder every client of the workspace starts from resolves with [`Resolver`] on Linux: a name under
/// `localhost` reaches loopback by RFC 6761, where the C library's resolver (files, then DNS) finds nothing.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_workspace_client_builder_resolves_with_the_workspace_resolver() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let port = server.address().port();
    let client = openmic_http::client_builder().no_proxy().build().unwrap();
    let answer = client
        .get(format!("http://mock.localhost:{port}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}
