//! The public, read-only builder settings of widget variants, in the shapes the reference widget fetches:
//!
//! - `GET /v1/builders/{variantID}` → `{"data": {"type": "chat", "variantID", "settings"}}`, or 404
//!   `ERR_BUILDER_NOT_FOUND` (the widget then asks for the app's list);
//! - `GET /v1/apps/{appID}/builders?type=low-code` → `{"data": [{"variantID", "settings"}, ...]}`, the
//!   default first (empty when the app has none), or 404 `ERR_APP_NOT_FOUND`.
//!
//! No credentials: a page fetches them with a plain (simple CORS) GET, so every answer carries
//! `Access-Control-Allow-Origin: *`. Answers are `Cache-Control: no-cache` with an `ETag`, and a request
//! whose `If-None-Match` names the current one is answered 304 without a body. Settings hold nothing secret
//! (the REST API key's variants are meant for any page of the site).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Router};
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::limits::MAX_PER_PAGE;
use confab_protocol::rest::variants::{Builder, BuilderEntry, BUILDER_LIST_TYPE, BUILDER_TYPE, MAX_VARIANTS_PER_APP};
use confab_protocol::rest::Data;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::PageRequest;

/// The `/v1` builder routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/builders/{variant_id}", get(builder))
        .route("/v1/apps/{app_id}/builders", get(app_builders))
        .layer(middleware::map_response(public))
}

/// Every answer, errors too, may be read by any page and is revalidated on each use.
pub(crate) async fn public(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /v1/builders/{variantID}`.
async fn builder(State(state): State<AppState>, Path(variant_id): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    let not_found = || ApiError::not_found(ApiErrorCode::ErrBuilderNotFound, format!("no builder with variantID {variant_id}"));
    let id = crate::validate::id("variantID", &variant_id).map_err(|_| not_found())?;
    let variant = state.store.variant_anywhere(&id).await?.ok_or_else(not_found)?;
    let body = Data { data: Builder { kind: BUILDER_TYPE.to_owned(), variant_id: variant.id, settings: variant.settings } };
    Ok(json_with_etag(&headers, &body))
}

/// The query of the app's list.
#[derive(Debug, Deserialize)]
struct ListQuery {
    /// Only `low-code` (the default).
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `GET /v1/apps/{appID}/builders?type=low-code`.
async fn app_builders(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if query.kind.as_deref().is_some_and(|kind| kind != BUILDER_LIST_TYPE) {
        return Err(ApiError::bad_field("type", format!("must be {BUILDER_LIST_TYPE}")));
    }
    let app = state.credentials.app(state.store.as_ref(), &app_id).await?;
    let app = app.ok_or_else(|| ApiError::not_found(ApiErrorCode::ErrAppNotFound, format!("no app with id {app_id}")))?;
    let every = PageRequest { per_page: (MAX_VARIANTS_PER_APP as u32).min(MAX_PER_PAGE), page: 1 };
    let (variants, _) = state.store.list_variants(&app.app_id, every).await?;
    let entries: Vec<BuilderEntry> =
        variants.into_iter().map(|v| BuilderEntry { variant_id: v.id, settings: v.settings }).collect();
    Ok(json_with_etag(&headers, &Data { data: entries }))
}

/// `value` as JSON with its `ETag`, or 304 when the request's `If-None-Match` names it.
pub(crate) fn json_with_etag(request: &HeaderMap, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("JSON values serialise");
    let etag = format!("\"{}\"", crate::secrets::hex(&Sha256::digest(&body)[..16]));
    let etag_value = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    let mut response = match if_none_match(request, &etag) {
        true => StatusCode::NOT_MODIFIED.into_response(),
        false => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
    };
    response.headers_mut().insert(header::ETAG, etag_value);
    response
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as for GET) or is `*`.
fn if_none_match(request: &HeaderMap, etag: &str) -> bool {
    request.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|tag| {
        let tag = tag.trim();
        tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_star() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            headers
        };
        assert!(if_none_match(&with("\"abc\""), "\"abc\""));
        assert!(if_none_match(&with("\"x\", W/\"abc\""), "\"abc\""));
        assert!(if_none_match(&with("*"), "\"abc\""));
        assert!(!if_none_match(&with("\"abd\""), "\"abc\""));
        assert!(!if_none_match(&HeaderMap::new(), "\"abc\""));
    }
}
