//! The REST API v3, one module per resource. Each module's `routes()` returns its handlers with their
//! OpenAPI descriptions; [`router`] merges them under `/v3` and serves the generated document at
//! `/v3/openapi.json`.

mod app;
mod bots;
mod callbacks;
pub(crate) mod conversations;
pub(crate) mod groups;
mod members;
pub(crate) mod messages;
mod sign_in;
mod social;
mod tokens;
mod users;
mod variants;
mod webhooks;

use axum::routing::get;
use axum::{Json, Router};
use confab_protocol::api_error::ApiErrorEnvelope;
use confab_protocol::rest::{PageMeta, Pagination};
use std::sync::Arc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;
use crate::store::PageRequest;
use crate::validate;

#[derive(OpenApi)]
#[openapi(
    info(title = "Confab REST API", version = "3", description = "Users, groups, members, messages and conversations of a Confab app. Every call carries the `appid` header and one credential: `apikey` (REST API key, or auth-only key for sign-in), or `authtoken` (a signed-in user's session)."),
    components(schemas(ApiErrorEnvelope)),
    modifiers(&Credentials)
)]
struct ApiDoc;

struct Credentials;

impl utoipa::Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in ["appid", "apikey", "authtoken"] {
            components.add_security_scheme(name, SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(name))));
        }
    }
}

/// The `/v3` routes and `/v3/openapi.json`.
pub fn router(media: &crate::settings::MediaSettings) -> Router<AppState> {
    let api = OpenApiRouter::new()
        .merge(app::routes())
        .merge(sign_in::routes())
        .merge(users::routes())
        .merge(tokens::routes())
        .merge(groups::routes())
        .merge(members::routes())
        .merge(messages::routes())
        .merge(conversations::routes())
        .merge(social::routes())
        .merge(bots::routes())
        .merge(webhooks::routes())
        .merge(variants::routes())
        .merge(crate::media::routes(media));
    let (routes, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/v3", api).split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let doc = Arc::new(doc);
    routes.route("/v3/openapi.json", get(move || async move { Json(doc.as_ref().clone()) }))
}

/// The checked page of a list request.
fn page_request(per_page: Option<u32>, page: Option<u32>) -> Result<PageRequest, crate::error::ApiError> {
    let (per_page, page) = validate::page(per_page, page)?;
    Ok(PageRequest { per_page, page })
}

/// `meta` for a page of `count` items out of `total`.
fn page_meta(total: u64, count: usize, page: PageRequest) -> PageMeta {
    let per_page = u64::from(page.per_page);
    PageMeta {
        pagination: Pagination {
            total,
            count: count as u64,
            per_page: page.per_page,
            current_page: page.page,
            total_pages: total.div_ceil(per_page).max(1) as u32,
        },
    }
}

/// `{"data": value}`.
fn data<T>(value: T) -> Json<confab_protocol::rest::Data<T>> {
    Json(confab_protocol::rest::Data { data: value })
}

/// The per-uid result of one step of a multi-user call: refusals become error entries, storage failures
/// fail the whole call.
fn uid_result(outcome: Result<(), crate::error::ApiError>) -> Result<confab_protocol::rest::UidResult, crate::error::ApiError> {
    use confab_protocol::rest::UidResult;
    match outcome {
        Ok(()) => Ok(UidResult { status: "success".into(), error: None }),
        Err(crate::error::ApiError::Refused { code, message, details, .. }) => Ok(UidResult {
            status: "error".into(),
            error: Some(confab_protocol::api_error::ApiErrorBody { code, message, details }),
        }),
        Err(other) => Err(other),
    }
}
