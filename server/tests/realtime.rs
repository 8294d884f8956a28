//! The realtime gateway with real WebSocket clients against the real server: delivery to every device,
//! acknowledgements, resume without loss, and the close codes.

mod common;

use common::{Creds, Device, TestApp};
use serde_json::json;

fn text_to(receiver: &str, text: &str, muid: &str) -> serde_json::Value {
    json!({"type": "send", "message": {"receiver": receiver, "receiverType": "user", "type": "text", "data": {"text": text}, "muid": muid}})
}

#[tokio::test]
async fn a_message_reaches_every_device_of_both_users() {
    let app = TestApp::start(&[]);
    let ann = app.user_with_token("ann").await;
    let ann2 = app.ok("POST", "/users/ann/auth_tokens", Creds::Admin, None).await["data"]["authToken"].as_str().unwrap().to_owned();
    let bob = app.user_with_token("bob").await;
    let bob2 = app.ok("POST", "/users/bob/auth_tokens", Creds::Admin, None).await["data"]["authToken"].as_str().unwrap().to_owned();
    let (mut a1, ready) = Device::connect(&app, &ann, None).await;
    assert_eq!(ready["user"]["uid"], "ann");
    let (mut a2, _) = Device::connect(&app, &ann2, None).await;
    let (mut b1, _) = Device::connect(&app, &bob, None).await;
    let (mut b2, _) = Device::connect(&app, &bob2, None).await;

    a1.send(text_to("bob", "hello", "m-1")).await;
    let ack = a1.next_of("ack").await;
    assert_eq!(ack["muid"], "m-1");
    let id = ack["message"]["id"].clone();
    for device in [&mut a1, &mut a2, &mut b1, &mut b2] {
        let frame = device.next_of("message").await;
        assert_eq!(frame["message"]["id"], id);
        assert_eq!(frame["message"]["data"]["text"], "hello");
    }

    // A send over REST reaches the sockets too, and a retried muid is acknowledged with the first message.
    let body = json!({"receiver": "ann", "receiverType": "user", "type": "text", "data": {"text": "hi ann"}});
    app.ok("POST", "/messages", Creds::As("bob"), Some(body)).await;
    assert_eq!(a2.next_of("message").await["message"]["data"]["text"], "hi ann");
    a1.send(text_to("bob", "hello again", "m-1")).await;
    assert_eq!(a1.next_of("ack").await["message"]["id"], id);
}
