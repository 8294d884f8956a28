//! The app's own settings: `GET|PUT /v3/app`.

use axum::extract::State;
use axum::Json;
use confab_protocol::rest::app::{AppSettings, UpdateAppSettings};
use confab_protocol::rest::Data;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::data;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_app, update_app))
}

fn settings(app: &crate::store::App) -> AppSettings {
    AppSettings {
        app_id: app.app_id.clone(),
        name: app.name.clone(),
        region: app.region.clone(),
        enforce_identity: app.enforce_identity,
    }
}

/// The app's settings. REST API key.
#[utoipa::path(get, path = "/app", tag = "app",
    responses((status = 200, body = Data<AppSettings>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn get_app(caller: Caller) -> ApiResult<Json<Data<AppSettings>>> {
    caller.require_admin()?;
    Ok(data(settings(&caller.app)))
}

/// Changes the app's settings. REST API key.
#[utoipa::path(put, path = "/app", tag = "app", request_body = UpdateAppSettings,
    responses((status = 200, body = Data<AppSettings>), (status = "4XX", body = confab_protocol::api_error::ApiErrorEnvelope)))]
async fn update_app(caller: Caller, State(state): State<AppState>, ApiJson(body): ApiJson<UpdateAppSettings>) -> ApiResult<Json<Data<AppSettings>>> {
    caller.require_admin()?;
    if let Some(enforce) = body.enforce_identity {
        state.store.set_enforce_identity(caller.app_id(), enforce).await?;
    }
    state.credentials.forget_app(caller.app_id());
    let app = state.store.app(caller.app_id()).await?.ok_or_else(|| ApiError::bad_field("appid", "the app is gone"))?;
    Ok(data(settings(&app)))
}
