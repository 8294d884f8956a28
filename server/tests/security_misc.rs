//! Attacks from the security review's low findings, run against a real server: callback URLs that reach
//! internal IPv4 through IPv6 forms, callbacks sent through a proxy from the environment, names carrying
//! NUL and bidi controls, and a data directory other local users can read.

mod common;

use common::receiver::Receiver;
use common::{no_widget, run_cli, Creds, TestApp, TestServer};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// URLs that lead to loopback or internal addresses by way of IPv6 forms or special IPv4 ranges.
const SNEAKY_URLS: &[&str] = &[
    "http://[::127.0.0.1]/",
    "http://[::7f00:1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b:1::a00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[fec0::1]/",
    "http://192.0.0.8/",
];

/// The permission bits of `path`.
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn callback_urls_reaching_internal_ipv4_through_ipv6_forms_are_refused() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    for url in SNEAKY_URLS {
        let body = json!({"id": "h", "url": url, "triggers": ["message_sent"]});
        let error = app.refused("POST", "/webhooks", Creds::Admin, Some(body), 400, "ERR_CALLBACK_URL_REFUSED").await;
        assert_eq!(error["details"]["field"], "url", "{url}: {error}");
        let body = json!({"uid": "ann", "webhookURL": url});
        let error = app.refused("POST", "/bots", Creds::Admin, Some(body), 400, "ERR_CALLBACK_URL_REFUSED").await;
        assert_eq!(error["details"]["field"], "webhookURL", "{url}: {error}");
    }
    // Nor can an existing webhook be pointed there.
    app.ok("POST", "/webhooks", Creds::Admin, Some(json!({"id": "h", "url": "https://hooks.example.com/x"}))).await;
    let error = app.refused("PUT", "/webhooks/h", Creds::Admin, Some(json!({"url": "http://[::127.0.0.1]/"})), 400, "ERR_CALLBACK_URL_REFUSED").await;
    assert_eq!(error["details"]["field"], "url", "{error}");
    // A public IPv4 reached through NAT64 or 6to4 is still fine.
    for (i, url) in ["http://[64:ff9b::5db8:d822]/", "http://[2002:5db8:d822::1]/"].iter().enumerate() {
        app.ok("POST", "/webhooks", Creds::Admin, Some(json!({"id": format!("public{i}"), "url": url}))).await;
    }
}

#[tokio::test]
async fn the_operator_can_still_allow_those_networks() {
    let allow = "::/96,64:ff9b::/96,64:ff9b:1::/48,2002::/16,fec0::/10,192.0.0.0/24";
    let app = TestApp::start(&["--callback-allow", allow]);
    for (i, url) in SNEAKY_URLS.iter().enumerate() {
        app.ok("POST", "/webhooks", Creds::Admin, Some(json!({"id": format!("h{i}"), "url": url}))).await;
    }
}

/// A proxy nothing listens on, in every variable reqwest (and curl-like tools) read.
const DEAD_PROXY: &[(&str, &str)] = &[
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
    ("http_proxy", "http://127.0.0.1:9"),
    ("https_proxy", "http://127.0.0.1:9"),
    ("all_proxy", "http://127.0.0.1:9"),
    ("NO_PROXY", ""),
    ("no_proxy", ""),
];

#[tokio::test]
async fn callbacks_go_straight_to_the_receiver_whatever_proxy_the_environment_names() {
    let app = TestApp::start_with_env(&["--callback-allow", "127.0.0.1", "--callback-retry-ms", "100"], DEAD_PROXY);
    let receiver = Receiver::start().await;
    app.user("ann").await;
    app.user("bob").await;
    let hook = json!({"id": "audit", "url": receiver.url("/hook"), "triggers": ["message_sent"]});
    app.ok("POST", "/webhooks", Creds::Admin, Some(hook)).await;
    app.user("helper").await;
    app.ok("POST", "/bots", Creds::Admin, Some(json!({"uid": "helper", "webhookURL": receiver.url("/bot")}))).await;

    let to_bob = json!({"receiver": "bob", "receiverType": "user", "type": "text", "data": {"text": "hi bob"}});
    app.ok("POST", "/messages", Creds::As("ann"), Some(to_bob)).await;
    let to_bot = json!({"receiver": "helper", "receiverType": "user", "type": "text", "data": {"text": "hi bot"}});
    app.ok("POST", "/messages", Creds::As("ann"), Some(to_bot)).await;
    let calls = receiver.wait_for(WAIT, |c| c.iter().any(|c| c.path == "/hook") && c.iter().any(|c| c.path == "/bot")).await;
    let bot_call = calls.iter().find(|c| c.path == "/bot").unwrap().json();
    assert_eq!(bot_call["data"]["data"]["text"], "hi bot", "{bot_call}");
    let failed = app.ok("GET", "/deliveries?state=failed", Creds::Admin, None).await;
    assert_eq!(failed["meta"]["pagination"]["total"], 0, "{failed}");
}

#[tokio::test]
async fn names_lose_nul_and_bidi_controls() {
    let app = TestApp::start(&[]);
    let made = app.ok("POST", "/users", Creds::Admin, Some(json!({"uid": "mallory", "name": "na\u{0}me\u{202e}evil"}))).await;
    assert_eq!(made["data"]["name"], "nameevil", "{made}");
    let stored = app.ok("GET", "/users/mallory", Creds::Admin, None).await;
    assert_eq!(stored["data"]["name"], "nameevil", "{stored}");

    let updated = app.ok("PUT", "/users/mallory", Creds::Admin, Some(json!({"name": "\u{2066}Support\u{2069} \u{200f}team"}))).await;
    assert_eq!(updated["data"]["name"], "Support team", "{updated}");

    let error = app.refused("POST", "/users", Creds::Admin, Some(json!({"uid": "ghost", "name": "\u{0}\u{202e}\u{2067}"})), 400, "ERR_BAD_REQUEST").await;
    assert_eq!(error["details"]["field"], "name", "{error}");
    app.refused("GET", "/users/ghost", Creds::Admin, None, 404, "ERR_UID_NOT_FOUND").await;

    let group = json!({"guid": "lobby", "name": "Lob\u{202e}by\u{0}", "type": "public"});
    let made = app.ok("POST", "/groups", Creds::Admin, Some(group)).await;
    assert_eq!(made["data"]["name"], "Lobby", "{made}");
}

#[tokio::test]
async fn a_fresh_data_directory_and_its_database_are_for_the_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start(&data, &no_widget(dir.path()), &[]);
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("confab.db")), 0o600, "confab.db");
    for sibling in ["confab.db-wal", "confab.db-shm"] {
        if data.join(sibling).exists() {
            assert_eq!(mode(&data.join(sibling)), 0o600, "{sibling}");
        }
    }
    drop(server);
}

#[tokio::test]
async fn an_existing_data_directory_readable_by_others_is_tightened_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, _, stderr) = run_cli(&["app", "create", "--name", "Old app", "--data-dir", data.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(data.join("confab.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let server = TestServer::start(&data, &no_widget(dir.path()), &[]);
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("confab.db")), 0o600, "confab.db");
    drop(server);
}
