//! Media messages against a real server: uploads read by their content, images re-encoded without their
//! metadata, limits and quotas with their codes, sends that may name only the sender's own unused uploads,
//! signed URLs that only the conversation gets and that expire or break when changed, downloads that cannot
//! run as a page, byte ranges, files removed with their message and their uploader, the variant switches,
//! live frames and webhook payloads with fresh URLs, the server's memory while a 20 MB file streams in, and
//! two PostgreSQL nodes serving each other's uploads.

mod common;

use common::receiver::Receiver;
use common::{Creds, Device, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// A PNG of `width` x `height` pixels of noise (so it does not compress away).
fn png(width: u32, height: u32) -> Vec<u8> {
    let noise = |x: u32, y: u32, c: u32| ((x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503) ^ c.wrapping_mul(97)) >> 7) as u8;
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([noise(x, y, 1), noise(x, y, 2), noise(x, y, 3)]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A JPEG carrying an EXIF segment with a GPS position (latitude reference "N", a GPS version).
fn jpeg_with_location() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 32, |x, _| image::Rgb([x as u8 * 4, 120, 30]));
    let mut plain = std::io::Cursor::new(Vec::new());
    image.write_to(&mut plain, image::ImageFormat::Jpeg).unwrap();
    let plain = plain.into_inner();
    // TIFF, big-endian: IFD0 with one entry (GPSInfo → offset 26), then the GPS IFD with GPSLatitudeRef "N".
    let mut tiff: Vec<u8> = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend([0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend([0, 1, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend([0xFF, 0xE1]);
    jpeg.extend(((app1.len() + 2) as u16).to_be_bytes());
    jpeg.extend(app1);
    jpeg.extend(&plain[2..]);
    jpeg
}

/// A minimal PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A `multipart/form-data` body with `parts` (name, file name, bytes); its boundary.
fn multipart(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "confab-test-boundary-7d1f".to_owned();
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n").as_bytes());
        // The client's type is ignored: the server reads the content.
        body.extend(b"Content-Type: text/plain\r\n\r\n");
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

fn with_creds(app: &TestApp, request: reqwest::RequestBuilder, creds: Creds<'_>) -> reqwest::RequestBuilder {
    let request = request.header("appid", app.cred("appId"));
    match creds {
        Creds::Admin => request.header("apikey", app.cred("apiKey")),
        Creds::As(uid) => request.header("apikey", app.cred("apiKey")).header("onBehalfOf", uid),
        Creds::Token(token) => request.header("authtoken", token),
        Creds::Key(key) => request.header("apikey", key),
        _ => request,
    }
}

/// `POST /v3/media` with `parts`; the status and the answer.
async fn upload_parts(app: &TestApp, creds: Creds<'_>, parts: &[(&str, &str, &[u8])]) -> (u16, Value) {
    let (boundary, body) = multipart(parts);
    let request = reqwest::Client::new()
        .post(app.server.url("/v3/media"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    let response = with_creds(app, request, creds).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Uploads `bytes` as `name`, which must be taken; the upload's `data`.
async fn upload(app: &TestApp, creds: Creds<'_>, name: &str, bytes: &[u8]) -> Value {
    let (status, answer) = upload_parts(app, creds, &[("file", name, bytes)]).await;
    assert_eq!(status, 200, "{answer}");
    answer["data"].clone()
}

/// GET on a (signed) URL; the response.
async fn fetch(url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.unwrap()
}

fn media_send(to: &str, message_type: &str, ids: &[&str]) -> Value {
    let attachments: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
    json!({"receiver": to, "receiverType": "user", "type": message_type, "data": {"attachments": attachments}})
}

#[tokio::test]
async fn an_image_is_read_by_its_content_re_encoded_and_thumbnailed() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    let media = upload(&app, Creds::As("ann"), "notes.txt", &png(800, 400)).await;
    assert_eq!((media["kind"].as_str(), media["mimeType"].as_str(), media["extension"].as_str()), (Some("image"), Some("image/png"), Some("png")), "{media}");
    assert_eq!(media["name"], "notes.txt", "the name is kept as given");
    assert_eq!((media["width"].as_u64(), media["height"].as_u64()), (Some(800), Some(400)));
    assert!(media["id"].as_str().unwrap().starts_with("md_"));
    assert!(media["url"].as_str().unwrap().starts_with(&app.server.url("/v3/media/")), "{media}");

    let content = fetch(media["url"].as_str().unwrap(), None).await;
    assert_eq!(content.status(), 200);
    let headers = content.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["content-disposition"], "inline");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    let bytes = content.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, media["size"].as_u64().unwrap());
    assert!(bytes.starts_with(b"\x89PNG"));

    let thumb = fetch(media["thumbnail"].as_str().unwrap(), None).await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 160), "at most 320 px on the longest side, aspect kept");
}

#[tokio::test]
async fn others_download_a_photo_without_its_location() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    let photo = jpeg_with_location();
    assert!(photo.windows(4).any(|w| w == b"Exif"));
    let media = upload(&app, Creds::As("ann"), "IMG_0001.jpg", &photo).await;
    assert_eq!(media["mimeType"], "image/jpeg");
    let bytes = fetch(media["url"].as_str().unwrap(), None).await.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "still a JPEG");
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "the EXIF segment (with the GPS position) is gone");
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 64);
}

#[tokio::test]
async fn html_and_svg_are_files_that_download_and_never_show_as_pages() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    app.user("bob").await;
    let html = upload(&app, Creds::As("ann"), "cat.png", b"<!doctype html><script>parent.hacked = 1</script>").await;
    assert_eq!((html["kind"].as_str(), html["mimeType"].as_str()), (Some("file"), Some("text/html")), "{html}");
    assert!(html.get("thumbnail").is_none());
    let svg = upload(&app, Creds::As("ann"), "logo.svg", b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>").await;
    assert_eq!((svg["kind"].as_str(), svg["mimeType"].as_str()), (Some("file"), Some("image/svg+xml")), "{svg}");
    for media in [&html, &svg] {
        let response = fetch(media["url"].as_str().unwrap(), None).await;
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename="), "{disposition}");
        assert!(response.headers()["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    let error = app.refused("POST", "/messages", Creds::As("ann"), Some(media_send("bob", "image", &[html["id"].as_str().unwrap()])), 400, "ERR_MEDIA_TYPE_MISMATCH").await;
    assert_eq!(error["details"]["field"], "data.attachments[0].id");
    let sent = app.ok("POST", "/messages", Creds::As("ann"), Some(media_send("bob", "file", &[html["id"].as_str().unwrap()]))).await;
    assert_eq!(sent["data"]["data"]["attachments"][0]["mimeType"], "text/html", "a refused send released its upload");
}

#[tokio::test]
async fn limits_quotas_and_bad_bodies_are_refused_with_their_codes() {
    let app = TestApp::start(&["--max-file-bytes", "1000", "--max-image-bytes", "50000", "--media-quota-bytes", "60000"]);
    app.user("ann").await;
    let (status, answer) = upload_parts(&app, Creds::As("ann"), &[("file", "big.txt", &[b'a'; 1500])]).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (413, Some("ERR_FILE_TOO_LARGE")), "{answer}");
    assert_eq!((answer["error"]["details"]["field"].as_str(), answer["error"]["details"]["limit"].as_u64()), (Some("file"), Some(1000)));
    // An image may be larger than a file: the limit follows the content.
    let picture = png(60, 60);
    assert!(picture.len() > 1000);
    upload(&app, Creds::As("ann"), "p.png", &picture).await;

    let (status, answer) = upload_parts(&app, Creds::As("ann"), &[("file", "empty.txt", b"")]).await;
    assert_eq!((status, answer["error"]["details"]["field"].as_str()), (400, Some("file")), "{answer}");
    let (status, answer) = upload_parts(&app, Creds::As("ann"), &[("attachment", "x.txt", b"x")]).await;
    assert_eq!((status, answer["error"]["details"]["field"].as_str()), (400, Some("attachment")), "{answer}");
    let (status, answer) = upload_parts(&app, Creds::As("ann"), &[]).await;
    assert_eq!((status, answer["error"]["details"]["field"].as_str()), (400, Some("file")), "{answer}");
    let (status, _) = upload_parts(&app, Creds::None, &[("file", "x.txt", b"x")]).await;
    assert_eq!(status, 401, "uploads need a credential");
    let (status, answer) = upload_parts(&app, Creds::Key(&app.cred("authKey")), &[("file", "x.txt", b"x")]).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("AUTH_ERR_NO_ACCESS")), "{answer}");

    let mut over = None;
    for i in 0..200 {
        let (status, answer) = upload_parts(&app, Creds::As("ann"), &[("file", "p.png", &png(60 + i, 60))]).await;
        if status != 200 {
            over = Some((status, answer));
            break;
        }
    }
    let (status, answer) = over.expect("the quota is reached");
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("ERR_MEDIA_QUOTA_EXCEEDED")), "{answer}");
    assert_eq!(answer["error"]["details"]["limit"], 60000);
}

#[tokio::test]
async fn a_send_names_only_its_senders_unused_uploads_and_the_server_fills_them_in() {
    let app = TestApp::start(&[]);
    for uid in ["ann", "bob", "carol"] {
        app.user(uid).await;
    }
    let photo = upload(&app, Creds::As("ann"), "photo.png", &png(40, 30)).await;
    let id = photo["id"].as_str().unwrap();

    let error = app.refused("POST", "/messages", Creds::As("bob"), Some(media_send("ann", "image", &[id])), 404, "ERR_MEDIA_NOT_FOUND").await;
    assert_eq!(error["details"]["field"], "data.attachments[0].id", "someone else's upload");
    app.refused("POST", "/messages", Creds::As("ann"), Some(media_send("bob", "image", &["md_00000000000000000000000000"])), 404, "ERR_MEDIA_NOT_FOUND").await;
    app.refused("POST", "/messages", Creds::As("ann"), Some(media_send("bob", "image", &["photo.png"])), 400, "ERR_BAD_REQUEST").await;

    let mut body = media_send("bob", "image", &[id]);
    body["data"]["attachments"][0]["name"] = json!("renamed-by-client.exe");
    body["data"]["attachments"][0]["size"] = json!(1);
    body["data"]["text"] = json!("our cat");
    body["muid"] = json!("m-photo");
    let sent = app.ok("POST", "/messages", Creds::As("ann"), Some(body.clone())).await["data"].clone();
    let attachment = &sent["data"]["attachments"][0];
    assert_eq!((attachment["id"].as_str(), attachment["name"].as_str()), (Some(id), Some("photo.png")), "{sent}");
    assert_eq!(attachment["size"], photo["size"], "the client's size is not trusted");
    assert_eq!((attachment["width"].as_u64(), attachment["height"].as_u64()), (Some(40), Some(30)));
    assert!(attachment["thumbnail"].as_str().unwrap().contains("/thumbnail?exp="));
    assert_eq!(sent["data"]["text"], "our cat");

    let retried = app.ok("POST", "/messages", Creds::As("ann"), Some(body)).await["data"].clone();
    assert_eq!(retried["id"], sent["id"], "a retried send is the same message");
    app.refused("POST", "/messages", Creds::As("ann"), Some(media_send("carol", "image", &[id])), 404, "ERR_MEDIA_NOT_FOUND").await;

    // Edits change the caption; the upload stays.
    let path = format!("/messages/{}", sent["id"].as_str().unwrap());
    let edited = app.ok("PUT", &path, Creds::As("ann"), Some(json!({"data": {"text": "our cat, asleep", "attachments": [{"url": "https://evil.example/x.png"}]}}))).await["data"].clone();
    assert_eq!(edited["data"]["attachments"][0]["id"], id, "{edited}");
    assert_eq!(edited["data"]["text"], "our cat, asleep");
}

#[tokio::test]
async fn only_the_conversation_gets_urls_and_changed_or_expired_ones_are_refused() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let carol = app.user_with_token("carol").await;
    let media = upload(&app, Creds::Token(&ann), "doc.pdf", PDF).await;
    assert_eq!((media["kind"].as_str(), media["mimeType"].as_str()), (Some("file"), Some("application/pdf")));
    let sent = app.ok("POST", "/messages", Creds::Token(&ann), Some(media_send("bob", "file", &[media["id"].as_str().unwrap()]))).await["data"].clone();
    let path = format!("/messages/{}", sent["id"].as_str().unwrap());
    let for_bob = app.ok("GET", &path, Creds::Token(&bob), None).await["data"]["data"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    app.refused("GET", &path, Creds::Token(&carol), None, 404, "ERR_MESSAGE_NOT_FOUND").await;
    let listed = app.ok("GET", "/messages", Creds::Token(&carol), None).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0, "carol is given no URL: {listed}");

    let response = fetch(&for_bob, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"doc.pdf\"; filename*=UTF-8''doc.pdf");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);

    for changed in [for_bob.replace("exp=", "exp=9"), for_bob.replace("/content?", "/thumbnail?"), format!("{}x", &for_bob[..for_bob.len() - 1])] {
        let response = fetch(&changed, None).await;
        let status = response.status().as_u16();
        let json: Value = response.json().await.unwrap();
        assert!(status == 403 || status == 404, "{changed}: {status}");
        if status == 403 {
            assert_eq!(json["error"]["code"], "ERR_MEDIA_URL_INVALID", "{changed}");
        }
    }

    // A URL signed with the deployment's real key, but whose time is up.
    let key = {
        let db = rusqlite::Connection::open(app.data_dir().join("confab.db")).unwrap();
        db.query_row("SELECT value FROM server_secrets WHERE name = 'media-url-key'", [], |row| row.get::<_, Vec<u8>>(0)).unwrap()
    };
    let past = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - 600;
    let urls = confab_server::media::urls::MediaUrls::new(key, 3600, &app.server.base);
    let expired = urls.url(media["id"].as_str().unwrap(), confab_server::media::urls::Part::Content, past - past % 600);
    let response = fetch(&expired, None).await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "ERR_MEDIA_URL_EXPIRED");
}

#[tokio::test]
async fn players_get_byte_ranges() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let media = upload(&app, Creds::As("ann"), "data.bin", &bytes).await;
    let url = media["url"].as_str().unwrap();
    let part = fetch(url, Some("bytes=100-199")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 100-199/5000");
    assert_eq!(part.headers()["accept-ranges"], "bytes");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[100..200]);
    let tail = fetch(url, Some("bytes=-10")).await;
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[4990..]);
    let outside = fetch(url, Some("bytes=5000-")).await;
    assert_eq!(outside.status(), 416);
    assert_eq!(outside.headers()["content-range"], "bytes */5000");
}

#[tokio::test]
async fn files_go_with_their_message_and_with_their_uploader() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    app.user("bob").await;
    let first = upload(&app, Creds::As("ann"), "a.png", &png(10, 10)).await;
    let sent = app.ok("POST", "/messages", Creds::As("ann"), Some(media_send("bob", "image", &[first["id"].as_str().unwrap()]))).await["data"].clone();
    let url = sent["data"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&url, None).await.status(), 200);
    app.ok("DELETE", &format!("/messages/{}", sent["id"].as_str().unwrap()), Creds::As("ann"), None).await;
    let gone = fetch(&url, None).await;
    assert_eq!(gone.status(), 404);
    assert_eq!(gone.json::<Value>().await.unwrap()["error"]["code"], "ERR_MEDIA_NOT_FOUND");
    let media_dir = app.data_dir().join("media");
    let files = || walk(&media_dir);
    assert!(files().iter().all(|f| !f.contains(first["id"].as_str().unwrap())), "its bytes are gone: {:?}", files());

    let kept = upload(&app, Creds::As("ann"), "b.png", &png(10, 10)).await;
    let bobs = upload(&app, Creds::As("bob"), "c.png", &png(10, 10)).await;
    app.ok("DELETE", "/users/ann", Creds::Admin, Some(json!({"permanent": true}))).await;
    assert_eq!(fetch(kept["url"].as_str().unwrap(), None).await.status(), 404, "a deleted user's uploads go");
    assert_eq!(fetch(bobs["url"].as_str().unwrap(), None).await.status(), 200, "others' stay");
}

/// Every file below `dir`, as paths.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        match entry.file_type().unwrap().is_dir() {
            true => out.extend(walk(&entry.path())),
            false => out.push(entry.path().display().to_string()),
        }
    }
    out
}

#[tokio::test]
async fn a_variant_that_turns_photos_off_refuses_them_to_its_sessions_only() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    app.user("bob").await;
    let settings = json!({"chatFeatures": {"coreMessagingExperience": {"photosSharing": false}}});
    let variant = app.ok("POST", "/variants", Creds::Admin, Some(json!({"name": "No photos", "settings": settings}))).await["data"]["id"].as_str().unwrap().to_owned();
    let signed_in = app.ok("POST", "/auth/uid", Creds::Admin, Some(json!({"uid": "ann", "variantID": variant}))).await;
    let token = signed_in["data"]["authToken"].as_str().unwrap().to_owned();

    let (status, answer) = upload_parts(&app, Creds::Token(&token), &[("file", "p.png", &png(10, 10))]).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("ERR_FEATURE_DISABLED")), "{answer}");
    assert_eq!(answer["error"]["details"]["field"], "file");
    let pdf = upload(&app, Creds::Token(&token), "doc.pdf", PDF).await;
    app.ok("POST", "/messages", Creds::Token(&token), Some(media_send("bob", "file", &[pdf["id"].as_str().unwrap()]))).await;
    let by_key = upload(&app, Creds::As("ann"), "p.png", &png(10, 10)).await;
    let error = app.refused("POST", "/messages", Creds::Token(&token), Some(media_send("bob", "image", &[by_key["id"].as_str().unwrap()])), 403, "ERR_FEATURE_DISABLED").await;
    assert_eq!(error["details"]["field"], "chatFeatures.coreMessagingExperience.photosSharing");
    app.ok("POST", "/messages", Creds::As("ann"), Some(media_send("bob", "image", &[by_key["id"].as_str().unwrap()]))).await;
}

#[tokio::test]
async fn live_frames_and_webhooks_carry_the_attachments_with_urls_that_work() {
    let app = TestApp::start(&["--callback-allow", "127.0.0.0/8", "--callback-retry-ms", "100"]);
    let receiver = Receiver::start().await;
    let ann = app.user_with_token("ann").await;
    let bob = app.user_with_token("bob").await;
    let hook = json!({"id": "media-hook", "url": receiver.url("/hook"), "triggers": ["message_sent"]});
    app.ok("POST", "/webhooks", Creds::Admin, Some(hook)).await;
    let (mut device, _) = Device::connect(&app, &bob, None).await;

    let media = upload(&app, Creds::Token(&ann), "photo.png", &png(30, 20)).await;
    let (mut sender, _) = Device::connect(&app, &ann, None).await;
    sender.send(json!({"type": "send", "message": media_send("bob", "image", &[media["id"].as_str().unwrap()])})).await;
    let ack = sender.next_of("ack").await;
    assert_eq!(ack["message"]["data"]["attachments"][0]["id"], media["id"], "{ack}");

    let frame = device.next_of("message").await;
    let attachment = frame["message"]["data"]["attachments"][0].clone();
    assert_eq!((attachment["width"].as_u64(), attachment["mimeType"].as_str()), (Some(30), Some("image/png")), "{frame}");
    assert_eq!(fetch(attachment["url"].as_str().unwrap(), None).await.status(), 200);
    assert_eq!(fetch(attachment["thumbnail"].as_str().unwrap(), None).await.status(), 200);

    let calls = receiver.wait_for(WAIT, |calls| !calls.is_empty()).await;
    let payload = calls[0].json();
    let hooked = payload["data"]["message"]["data"]["attachments"][0].clone();
    assert_eq!((hooked["id"].as_str(), hooked["name"].as_str(), hooked["size"].as_u64()), (media["id"].as_str(), Some("photo.png"), media["size"].as_u64()), "{payload}");
    assert_eq!(fetch(hooked["url"].as_str().unwrap(), None).await.status(), 200, "the webhook can fetch the file");
}

/// Peak resident memory of process `pid`, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_20_mb_upload_streams_to_disk() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    upload(&app, Creds::As("ann"), "warm.txt", b"warm up the handlers").await;
    let before = peak_kib(app.server.pid());
    let big: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let media = upload(&app, Creds::As("ann"), "archive.bin", &big).await;
    let grown = peak_kib(app.server.pid()).saturating_sub(before);
    println!("server peak memory grew by {grown} KiB for a {} KiB upload", big.len() / 1024);
    assert_eq!(media["size"].as_u64(), Some(big.len() as u64));
    assert!(grown < 8 * 1024, "the upload was not held in memory: the peak grew by {grown} KiB");
    let back = fetch(media["url"].as_str().unwrap(), Some("bytes=10000000-10000099")).await.bytes().await.unwrap();
    assert_eq!(back.as_ref(), &big[10_000_000..10_000_100]);
}

#[tokio::test]
async fn on_postgresql_any_node_serves_any_upload_by_any_nodes_url() {
    let cluster = common::cluster::Cluster::start(2, &[]).await;
    let (first, second) = (cluster.node(0), cluster.node(1));
    first.user("ann").await;
    let bob = first.user_with_token("bob").await;
    let (mut device, _) = Device::connect(second, &bob, None).await;
    let media = upload(first, Creds::As("ann"), "photo.png", &png(50, 40)).await;
    first.ok("POST", "/messages", Creds::As("ann"), Some(media_send("bob", "image", &[media["id"].as_str().unwrap()]))).await;

    let frame = device.next_of("message").await;
    let url = frame["message"]["data"]["attachments"][0]["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&second.server.base), "the node that delivered it signed it: {url}");
    let bytes = fetch(&url, None).await.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    // The nodes share the signing key and the file store: the first node's URL works on the second.
    let elsewhere = media["url"].as_str().unwrap().replace(&first.server.base, &second.server.base);
    assert_eq!(fetch(&elsewhere, None).await.status(), 200);
}

#[tokio::test]
async fn files_from_real_encoders_and_recorders_are_told_by_their_content() {
    let app = TestApp::start(&[]);
    app.user("ann").await;
    // Made by ffmpeg (video-live.webm as MediaRecorder writes a live stream: sizes unknown); each named
    // `upload.bin`, so only the bytes tell.
    let cases = [
        ("video-h264.mp4", "video", "video/mp4"),
        ("video-vp8.webm", "video", "video/webm"),
        ("video-live.webm", "video", "video/webm"),
        ("voice-aac-isom.mp4", "audio", "audio/mp4"),
        ("voice-aac.m4a", "audio", "audio/mp4"),
        ("voice-opus.webm", "audio", "audio/webm"),
        ("voice.mp3", "audio", "audio/mpeg"),
        ("voice.ogg", "audio", "audio/ogg"),
        ("voice.wav", "audio", "audio/wav"),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media");
    for (file, kind, mime) in cases {
        let media = upload(&app, Creds::As("ann"), "upload.bin", &std::fs::read(dir.join(file)).unwrap()).await;
        assert_eq!((media["kind"].as_str(), media["mimeType"].as_str()), (Some(kind), Some(mime)), "{file}: {media}");
        if kind == "video" {
            assert!(media["width"].as_u64().is_some_and(|w| w > 0), "{file}: a video's width is read: {media}");
        }
    }
}
