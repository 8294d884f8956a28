//! Runs the shared config cases (`config_cases.json`) through the Rust checker. The loader's JavaScript
//! checker runs the same file (tests/e2e/loader-validate.test.mjs), so both agree on every rule.

use confab_protocol::bridge::{FrameMessage, FrameMessageKind};
use confab_protocol::widget_config::{HostSpec, LoaderSpec, ValueCheck, WidgetConfig, VALUE_RULES};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Case {
    name: String,
    config: Value,
    /// `[code, field]` pairs, in the checker's order.
    expect: Vec<(String, String)>,
    /// Cases only the loader can judge (wrong JSON types, DOM lookups) are skipped here.
    #[serde(default, rename = "loaderOnly")]
    loader_only: bool,
}

fn cases() -> Vec<Case> {
    serde_json::from_str(include_str!("config_cases.json")).expect("config_cases.json parses")
}

#[test]
fn rust_checker_agrees_with_every_shared_case() {
    let mut checked = 0;
    for case in cases().into_iter().filter(|c| !c.loader_only) {
        let config: WidgetConfig = serde_json::from_value(case.config.clone())
            .unwrap_or_else(|e| panic!("{}: does not parse: {e}", case.name));
        let got: Vec<(String, String)> = config
            .problems(Some("local"))
            .into_iter()
            .map(|p| (p.code.as_str().to_owned(), p.field.unwrap_or_default()))
            .collect();
        assert_eq!(got, case.expect, "case {}", case.name);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} cases ran");
}

#[test]
fn problems_carry_a_sentence_naming_the_field() {
    let config: WidgetConfig =
        serde_json::from_value(serde_json::json!({"appID": "a1", "mode": "robot"})).unwrap();
    let problems = config.problems(Some("local"));
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("config.mode"), "{}", problems[0].message);
    assert!(problems[0].message.contains("\"authToken\""), "{}", problems[0].message);
}

#[test]
fn specs_list_the_rules_and_every_message_kind() {
    let spec = serde_json::to_value(LoaderSpec::new("eu")).unwrap();
    assert_eq!(spec["region"], "eu");
    assert_eq!(spec["modes"]["uid"], serde_json::json!(["authKey", "uid"]));
    assert_eq!(spec["rules"].as_array().unwrap().len(), VALUE_RULES.len());
    let host = serde_json::to_value(HostSpec::new()).unwrap();
    for kind in FrameMessageKind::ALL {
        assert_eq!(host["messages"][kind.short_name()], kind.as_str());
    }
}

#[test]
fn one_of_patterns_hold_no_regex_syntax() {
    for (key, check) in VALUE_RULES {
        if let ValueCheck::OneOf(values) = check {
            for value in *values {
                assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}: {value}");
            }
        }
    }
}

#[test]
fn frame_messages_use_the_kind_names_on_the_wire() {
    let close = serde_json::to_value(FrameMessage::Close).unwrap();
    assert_eq!(close["type"], FrameMessageKind::Close.as_str());
    let ready = serde_json::to_value(FrameMessage::Ready).unwrap();
    assert_eq!(ready["type"], FrameMessageKind::Ready.as_str());
    let config: WidgetConfig = serde_json::from_value(serde_json::json!({"appID": "a"})).unwrap();
    let msg = serde_json::to_value(FrameMessage::Config { config, guest_token: None }).unwrap();
    assert_eq!(msg["type"], FrameMessageKind::Config.as_str());
    assert_eq!(msg["config"]["width"], "400px");
    assert_eq!(msg["config"]["isDocked"], true);
}

#[test]
fn the_active_chat_event_carries_the_chat_type_and_id_the_api_documents() {
    use confab_protocol::bridge::ActiveChat;
    use confab_protocol::rest::messages::ReceiverType;
    let detail = ActiveChat { chat_type: ReceiverType::Group, id: "team".into() };
    assert_eq!(serde_json::to_value(&detail).unwrap(), serde_json::json!({"chatType": "group", "id": "team"}));
}
