//! `GET /widget/launcher`: what the loader fetches at `Confab.start`, before the visitor shows intent, in
//! one request — the variant's settings (for `variantID`, or the app's default) and the docked launcher
//! rendered with them (its side, colour, shape and icon), so the launcher never shows the default look
//! first. Public like the loader (no credentials; CORS `*`), revalidated on every use so a saved variant
//! shows on the next page load.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{middleware, Router};
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::variants::{is_hex_color, is_icon_url};
use confab_protocol::widget_config::{DEFAULT_DOCKED_ALIGNMENT, DOCKED_ALIGNMENTS, THEMES};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate;

/// The launcher's colour when the variant gives none.
const DEFAULT_BACKGROUND: &str = "#3757d4";
/// The chat bubble drawn when the variant gives no open icon.
const CHAT_ICON: &str = r##"<svg viewBox="0 0 24 24" width="26" aria-hidden="true"><path fill="#fff" d="M4 4h16v12H9l-5 4z"/></svg>"##;
/// The cross drawn on an open panel's launcher when the variant gives no close icon.
const CLOSE_ICON: &str = r##"<svg viewBox="0 0 24 24" width="22" aria-hidden="true"><path stroke="#fff" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>"##;

/// The query: the app, the variant, and the side the snippet asks for (it wins over the variant's).
#[derive(Debug, Deserialize)]
pub struct LauncherQuery {
    #[serde(rename = "appID")]
    app_id: Option<String>,
    #[serde(rename = "variantID")]
    variant_id: Option<String>,
    side: Option<String>,
}

/// The value at `path` (dot-separated) of `settings`.
fn at<'a>(settings: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(settings, |value, key| value.get(key))
}

/// `text` escaped for an HTML attribute value in double quotes.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The string `key` of the variant's `noCode.styles`.
fn style<'a>(settings: &'a Value, key: &str) -> Option<&'a str> {
    at(settings, "noCode.styles").and_then(|styles| styles.get(key)).and_then(Value::as_str)
}

/// The launcher icon the variant names at `key` (an image of `size` px), else `default`.
fn icon(settings: &Value, key: &str, size: u32, default: &str) -> String {
    match style(settings, key).filter(|url| is_icon_url(url)) {
        Some(url) => format!(r#"<img src="{}" width="{size}" height="{size}" alt="">"#, attribute(url)),
        None => default.to_owned(),
    }
}

/// The launcher's shadow-root markup: its stylesheet and its button.
pub fn render(settings: &Value, side: &str) -> String {
    let background = style(settings, "buttonBackGround").filter(|c| is_hex_color(c)).unwrap_or(DEFAULT_BACKGROUND);
    let radius = if style(settings, "buttonShape") == Some("square") { "12px" } else { "50%" };
    let icon = icon(settings, "openIcon", 26, CHAT_ICON);
    format!(
        "<style>:host{{all:initial}}button{{position:fixed;bottom:20px;{side}:20px;z-index:2147483000;width:56px;height:56px;\
         border:0;border-radius:{radius};background:{background};cursor:pointer;box-shadow:0 4px 14px #0004;display:grid;\
         place-items:center}}button:focus-visible{{outline:3px solid #9db0ff;outline-offset:2px}}</style>\
         <button aria-label=\"Open chat\">{icon}</button>"
    )
}

/// The answer: `settings`, `html`, `close` (the launcher's icon while the panel is open), the resolved `side`, the variant's `theme` and `docked` where it says,
/// and `unknownVariant` when `variantID` names no variant of the app (the default is served instead).
pub fn answer(settings: Option<&Value>, asked_side: Option<&str>, unknown_variant: bool) -> Value {
    let empty = json!({});
    let settings = settings.unwrap_or(&empty);
    let variant_side = style(settings, "dockedAlignment").filter(|s| DOCKED_ALIGNMENTS.contains(s));
    let side = asked_side.or(variant_side).unwrap_or(DEFAULT_DOCKED_ALIGNMENT);
    let close = icon(settings, "closeIcon", 22, CLOSE_ICON);
    let mut answer = json!({"settings": settings, "html": render(settings, side), "close": close, "side": side});
    if let Some(theme) = at(settings, "style.theme").and_then(Value::as_str).filter(|t| THEMES.contains(t)) {
        answer["theme"] = json!(theme);
    }
    if let Some(docked) = at(settings, "noCode.docked").and_then(Value::as_bool) {
        answer["docked"] = json!(docked);
    }
    if unknown_variant {
        answer["unknownVariant"] = json!(true);
    }
    answer
}

/// The `/widget/launcher` route, public like the `/v1` builders.
pub fn router() -> Router<AppState> {
    Router::new().route("/widget/launcher", get(launcher)).layer(middleware::map_response(crate::builders::public))
}

/// The settings of variant `variant_id` of the app, else of its default (with `true` when `variant_id`
/// names none of its variants); `None` when the app has no variant.
async fn served_settings(state: &AppState, app_id: &str, variant_id: Option<&str>) -> ApiResult<(Option<Value>, bool)> {
    if let Some(id) = variant_id {
        if let Some(variant) = state.store.variant(app_id, id).await? {
            return Ok((Some(variant.settings), false));
        }
    }
    let fallback = state.store.default_variant(app_id).await?.map(|v| v.settings);
    Ok((fallback, variant_id.is_some()))
}

/// `GET /widget/launcher?appID=…[&variantID=…][&side=left|right]`.
async fn launcher(State(state): State<AppState>, Query(query): Query<LauncherQuery>, headers: HeaderMap) -> ApiResult<Response> {
    let app_id = validate::id("appID", query.app_id.as_deref().unwrap_or_default())?;
    let side = query.side.as_deref();
    if side.is_some_and(|side| !DOCKED_ALIGNMENTS.contains(&side)) {
        return Err(ApiError::bad_field("side", "side must be left or right"));
    }
    let variant_id = query.variant_id.as_deref().map(|id| validate::id("variantID", id)).transpose()?;
    if state.credentials.app(state.store.as_ref(), &app_id).await?.is_none() {
        return Err(ApiError::not_found(ApiErrorCode::ErrAppNotFound, format!("no app with id {app_id}")).with_field("appID"));
    }
    let (settings, unknown) = served_settings(&state, &app_id, variant_id.as_deref()).await?;
    Ok(crate::builders::json_with_etag(&headers, &answer(settings.as_ref(), side, unknown)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_variant_and_refuses_what_could_run() {
        let settings = json!({"noCode": {"styles": {"buttonBackGround": "#e5484d", "buttonShape": "square", "openIcon": "https://cdn.example/i.svg?a=1&b=2"}}});
        let html = render(&settings, "left");
        assert!(html.contains("left:20px") && html.contains("background:#e5484d") && html.contains("border-radius:12px"), "{html}");
        assert!(html.contains(r#"src="https://cdn.example/i.svg?a=1&amp;b=2""#), "{html}");
        let breaking_out = json!({"noCode": {"styles": {"openIcon": "https://cdn.example/i.svg\"><script>alert(1)</script>"}}});
        assert!(!render(&breaking_out, "left").contains("<script"));
        let hostile = json!({"noCode": {"styles": {"buttonBackGround": "red;}*{display:none", "openIcon": "javascript:alert(1)"}}});
        let html = render(&hostile, "right");
        assert!(html.contains("background:#3757d4") && html.contains("<svg") && !html.contains("javascript"), "{html}");
        let close = answer(Some(&json!({"noCode": {"styles": {"closeIcon": "https://cdn.example/x.png"}}})), None, false);
        assert_eq!(close["close"], r#"<img src="https://cdn.example/x.png" width="22" height="22" alt="">"#);
        assert_eq!(answer(Some(&hostile), None, false)["close"], CLOSE_ICON);
    }

    #[test]
    fn the_snippet_side_wins_then_the_variant_then_right() {
        let settings = json!({"noCode": {"docked": false, "styles": {"dockedAlignment": "left"}}, "style": {"theme": "dark"}});
        assert_eq!(answer(Some(&settings), Some("right"), false)["side"], "right");
        let answered = answer(Some(&settings), None, true);
        assert_eq!((answered["side"].as_str(), answered["theme"].as_str(), answered["docked"].as_bool()), (Some("left"), Some("dark"), Some(false)));
        assert_eq!(answered["unknownVariant"], true);
        assert_eq!(answer(None, None, false)["side"], "right");
        assert!(answer(None, None, false).get("theme").is_none());
    }
}
