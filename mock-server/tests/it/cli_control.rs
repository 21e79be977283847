//! The binary's control-plane flags: the admin key, turning the admin API off, the journal size, the rate
//! limit, and the refusal to expose an unguarded admin API to the network.

use crate::helpers::{mock_bin, spawn_serving};

#[test]
fn refuses_a_non_loopback_address_with_the_admin_api_on_and_no_admin_key() {
    let output = mock_bin()
        .args(["--host", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(
        stderr.contains("non-loopback")
            && stderr.contains("--admin-key")
            && stderr.contains("--no-admin"),
        "{stderr}"
    );
}

#[tokio::test]
async fn serves_a_non_loopback_address_with_an_admin_key_from_the_environment() {
    let (mut child, url, line) = spawn_serving(
        &["--host", "0.0.0.0", "--port", "0"],
        &[
            ("OPENMIC_MOCK_ADMIN_KEY", "adm1n"),
            ("OPENMIC_MOCK_RATE_LIMIT", "1/min"),
            ("OPENMIC_MOCK_JOURNAL_SIZE", "2"),
        ],
    );
    assert!(
        line.contains("admin key required") && line.contains("1/min"),
        "{line}"
    );
    let client = reqwest::Client::new();
    let journal = format!("{url}/__admin/requests");
    assert_eq!(client.get(&journal).send().await.unwrap().status(), 401);

    let calls = format!("{url}/v1/calls?limit=1");
    let first = client
        .get(&calls)
        .bearer_auth("test-key")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let second = client
        .get(&calls)
        .bearer_auth("test-key")
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["retry-after"], "60");
    client.get(&calls).send().await.unwrap();

    let listed: serde_json::Value = client
        .get(&journal)
        .bearer_auth("adm1n")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<_> = listed["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, [429, 401], "journal of size 2 keeps the last two");
    child.kill().unwrap();
    let _ = child.wait();
}

#[tokio::test]
async fn no_admin_turns_the_admin_api_off() {
    let (mut child, url, line) = spawn_serving(&["--port", "0", "--no-admin"], &[]);
    assert!(line.contains("admin API off"), "{line}");
    let response = reqwest::get(format!("{url}/__admin/requests"))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    // CI scripts wait on health whatever the settings.
    let response = reqwest::get(format!("{url}/__admin/health")).await.unwrap();
    assert_eq!(response.status(), 200);
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn a_rate_limit_not_per_minute_is_a_usage_error_naming_the_format() {
    let output = mock_bin()
        .args(["--port", "0", "--rate-limit", "100"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--rate-limit") && stderr.contains("N/min"),
        "{stderr}"
    );
}
