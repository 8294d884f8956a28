//! Widget variants: saved widget configurations of the app (at most 100), in the reference builder's
//! settings shape. Create, list, get, update (the settings are replaced whole; `isDefault: true` makes it
//! the app's default), delete. The app's first variant is its default; deleting the default makes the oldest
//! remaining one default. REST API key only. The same settings are served without credentials at
//! `/v1/builders` ([`crate::builders`]).
//!
//! Known settings keys are type-checked, each refusal naming its path (`settings.style.color.brandColor`);
//! unknown keys are stored as given. `noCode.styles.customJs` and `customCss` are kept but never run.

use axum::extract::{Path, Query, State};
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::variants::{check_settings, CreateVariant, UpdateVariant, Variant, GENERATED_ID_PREFIX, MAX_VARIANTS_PER_APP};
use confab_protocol::rest::{Data, Page, PageQuery, Success};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{data, page_meta, page_request};
use crate::apps::now_secs;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::secrets::random_hex;
use crate::state::AppState;
use crate::store::{NewVariant, StoreError, VariantChange, VariantCreated, VariantRecord};
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_variant, list_variants))
        .routes(routes!(get_variant, update_variant, delete_variant))
}

fn shown(variant: VariantRecord) -> Variant {
    Variant {
        id: variant.id,
        name: variant.name,
        is_default: variant.is_default,
        settings: variant.settings,
        created_at: variant.created_at,
        updated_at: variant.updated_at,
    }
}

fn variant_not_found(id: &str) -> ApiError {
    ApiError::not_found(ApiErrorCode::ErrVariantNotFound, format!("no variant with id {id}")).with_field("id")
}

/// The settings after their checks: the first problem refuses them (400 `ERR_BAD_REQUEST`, its path under
/// `settings` as the field).
fn checked_settings(settings: Value) -> ApiResult<Value> {
    let Some(problem) = check_settings(&settings).into_iter().next() else { return Ok(settings) };
    let field = match problem.path.as_str() {
        "" => "settings".to_owned(),
        path => format!("settings.{path}"),
    };
    let mut err = ApiError::bad_field(&field, problem.message);
    if let ApiError::Refused { details, .. } = &mut err {
        details.limit = problem.limit;
    }
    Err(err)
}

/// The id in the path, stored form; a malformed one names no variant.
fn path_id(id: &str) -> ApiResult<String> {
    validate::id("id", id).map_err(|_| variant_not_found(id))
}

/// Creates a variant; the app's first becomes its default. REST API key.
#[utoipa::path(post, path = "/variants", tag = "variants", request_body = CreateVariant,
    responses((status = 200, body = Data<Variant>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn create_variant(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<CreateVariant>) -> ApiResult<Json<Data<Variant>>> {
    caller.require_admin()?;
    let id = match body.id.as_deref() {
        Some(id) => validate::id("id", id)?,
        None => format!("{GENERATED_ID_PREFIX}{}", random_hex(8)),
    };
    let name = validate::name("name", &body.name)?;
    let settings = checked_settings(body.settings.unwrap_or_else(|| Value::Object(Default::default())))?;
    let variant = NewVariant { id: id.clone(), name, settings, created_at: now_secs() };
    let created = state.store.create_variant(caller.app_id(), &variant, MAX_VARIANTS_PER_APP).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            ApiError::conflict(ApiErrorCode::ErrVariantAlreadyExists, format!("a variant with id {id} exists")).with_field("id")
        }
        other => other.into(),
    })?;
    match created {
        VariantCreated::Stored(record) => {
            state.variant_features.forget_app(caller.app_id());
            Ok(data(shown(record)))
        }
        VariantCreated::LimitReached => {
            let mut err = ApiError::conflict(ApiErrorCode::ErrVariantLimitReached, format!("an app has at most {MAX_VARIANTS_PER_APP} variants"));
            if let ApiError::Refused { details, .. } = &mut err {
                details.limit = Some(MAX_VARIANTS_PER_APP as u64);
            }
            Err(err)
        }
    }
}

/// Lists the app's variants, the default first, then oldest first. REST API key.
#[utoipa::path(get, path = "/variants", tag = "variants", params(PageQuery),
    responses((status = 200, body = Page<Variant>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn list_variants(caller: Caller, State(state): State<AppState>, Query(query): Query<PageQuery>) -> ApiResult<Json<Page<Variant>>> {
    caller.require_admin()?;
    let page = page_request(query.per_page, query.page)?;
    let (variants, total) = state.store.list_variants(caller.app_id(), page).await?;
    let meta = page_meta(total, variants.len(), page);
    Ok(Json(Page { data: variants.into_iter().map(shown).collect(), meta }))
}

/// Gets a variant. REST API key.
#[utoipa::path(get, path = "/variants/{id}", tag = "variants", params(("id" = String, Path, description = "The variant's id")),
    responses((status = 200, body = Data<Variant>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_variant(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Variant>>> {
    caller.require_admin()?;
    let id = path_id(&id)?;
    let variant = state.store.variant(caller.app_id(), &id).await?.ok_or_else(|| variant_not_found(&id))?;
    Ok(data(shown(variant)))
}

/// Changes a variant's name or settings (replaced whole), or makes it the app's default
/// (`isDefault: true`). REST API key.
#[utoipa::path(put, path = "/variants/{id}", tag = "variants", params(("id" = String, Path, description = "The variant's id")), request_body = UpdateVariant,
    responses((status = 200, body = Data<Variant>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn update_variant(caller: Caller, State(state): State<AppState>, Path(id): Path<String>, ApiJson(body): ApiJson<UpdateVariant>) -> ApiResult<Json<Data<Variant>>> {
    caller.require_admin()?;
    let id = path_id(&id)?;
    if body.is_default == Some(false) {
        return Err(ApiError::bad_field("isDefault", "an app always has a default: make another variant the default instead"));
    }
    let change = VariantChange {
        name: body.name.as_deref().map(|n| validate::name("name", n)).transpose()?,
        settings: body.settings.map(checked_settings).transpose()?,
        make_default: body.is_default == Some(true),
    };
    let updated = state.store.update_variant(caller.app_id(), &id, &change, now_secs()).await?.ok_or_else(|| variant_not_found(&id))?;
    state.variant_features.forget_app(caller.app_id());
    Ok(data(shown(updated)))
}

/// Deletes a variant. When it was the default, the oldest remaining variant becomes the default; sessions
/// that signed in with it get the default's features. REST API key.
#[utoipa::path(delete, path = "/variants/{id}", tag = "variants", params(("id" = String, Path, description = "The variant's id")),
    responses((status = 200, body = Data<Success>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn delete_variant(caller: Caller, State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Data<Success>>> {
    caller.require_admin()?;
    let id = path_id(&id)?;
    if !state.store.delete_variant(caller.app_id(), &id).await? {
        return Err(variant_not_found(&id));
    }
    state.variant_features.forget_app(caller.app_id());
    Ok(data(Success { success: true, message: Some(format!("variant {id} deleted")) }))
}
