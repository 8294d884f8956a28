//! The `confab-server` command line: `app create` and the first start of `serve`.

mod common;

use common::{no_widget, run_cli, TestServer};
use serde_json::Value;

#[test]
fn app_create_prints_the_credentials_as_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, stdout, stderr) = run_cli(&["app", "create", "--name", "My shop", "--data-dir", data]);
    assert!(ok, "app create failed: {stderr}");
    let json: Value = serde_json::from_str(stdout.trim()).expect("stdout is one JSON object");
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["apiKey", "appId", "authKey", "identitySecret", "region"]);
    assert_eq!(json["region"], "local");
    assert_ne!(json["authKey"], json["apiKey"]);
}

#[test]
fn keys_are_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (_, stdout, _) = run_cli(&["app", "create", "--name", "Shop", "--data-dir", data]);
    let json: Value = serde_json::from_str(stdout.trim()).unwrap();
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains(json["appId"].as_str().unwrap()), "the app id is stored as is");
    for key in ["authKey", "apiKey"] {
        assert!(!stored.contains(json[key].as_str().unwrap()), "{key} found in the data directory");
    }
}

#[test]
fn app_create_refuses_a_bad_name_or_region() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let long = "n".repeat(101);
    let (ok, _, stderr) = run_cli(&["app", "create", "--name", &long, "--data-dir", data]);
    assert!(!ok);
    assert!(stderr.contains("--name"), "{stderr}");
    let (ok, _, stderr) = run_cli(&["app", "create", "--name", "Shop", "--region", "eu west", "--data-dir", data]);
    assert!(!ok);
    assert!(stderr.contains("--region"), "{stderr}");
}

#[tokio::test]
async fn first_start_creates_the_demo_app_and_later_starts_keep_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app_id, auth_key) = {
        let server = TestServer::start(dir.path(), &no_widget(dir.path()), &["--demo"]);
        assert!(server.stdout.contains("Created the demo app"), "{}", server.stdout);
        assert!(server.stdout.contains(&format!("Demo page: {}/demo", server.base)), "{}", server.stdout);
        let start = server.stdout.find('{').unwrap();
        let end = server.stdout.rfind('}').unwrap();
        let credentials: Value = serde_json::from_str(&server.stdout[start..=end]).unwrap();
        let page = reqwest::get(server.url("/demo")).await.unwrap().text().await.unwrap();
        let app_id = credentials["appId"].as_str().unwrap().to_owned();
        let auth_key = credentials["authKey"].as_str().unwrap().to_owned();
        assert!(page.contains(&format!("appID: \"{app_id}\"")), "{page}");
        assert!(page.contains(&format!("authKey: \"{auth_key}\"")));
        assert!(!page.contains(credentials["apiKey"].as_str().unwrap()), "the REST API key reached a page");
        (app_id, auth_key)
    };
    let server = TestServer::start(dir.path(), &no_widget(dir.path()), &["--demo"]);
    assert!(!server.stdout.contains("Created the demo app"), "{}", server.stdout);
    assert!(server.stdout.contains("Demo page:"));
    let page = reqwest::get(server.url("/demo")).await.unwrap().text().await.unwrap();
    assert!(page.contains(&app_id) && page.contains(&auth_key));
    let agent = reqwest::get(server.url("/demo/agent")).await.unwrap().text().await.unwrap();
    assert!(agent.contains("mode: \"authToken\"") && !agent.contains(&auth_key), "the agent page signs in by token: {agent}");
}

#[tokio::test]
async fn without_demo_a_fresh_data_directory_serves_no_demo() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &no_widget(dir.path()), &[]);
    assert!(!server.stdout.contains("demo app"), "{}", server.stdout);
    for path in ["/demo", "/demo/agent", "/demo/faq-bot"] {
        let status = reqwest::get(server.url(path)).await.unwrap().status().as_u16();
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_data_directory_without_the_demo_app_has_no_demo_page() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert!(run_cli(&["app", "create", "--name", "Shop", "--data-dir", data]).0);
    let server = TestServer::start(dir.path(), &no_widget(dir.path()), &[]);
    assert!(!server.stdout.contains("Demo page"));
    let response = reqwest::get(server.url("/demo")).await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ERR_NOT_FOUND");
}
