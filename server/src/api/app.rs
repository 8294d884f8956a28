//! The app's own settings: `GET|PUT /v3/app`.

use axum::extract::State;
use axum::Json;
use confab_protocol::rest::app::{AppSettings, UidSignInPolicy, UpdateAppSettings};
use confab_protocol::rest::Data;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::data;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::validate;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_app, update_app))
}

fn settings(app: &crate::store::App) -> AppSettings {
    AppSettings {
        app_id: app.app_id.clone(),
        name: app.name.clone(),
        region: app.region.clone(),
        enforce_identity: app.enforce_identity,
        uid_sign_in: app.uid_sign_in,
        visible_roles: app.visible_roles.clone(),
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
    let policy = body.uid_sign_in.or(body.enforce_identity.map(|on| match on {
        true => UidSignInPolicy::Verified,
        false => UidSignInPolicy::Open,
    }));
    if let Some(roles) = &body.visible_roles {
        validate::tags("visibleRoles", Some(roles.as_slice()))?;
        state.store.set_visible_roles(caller.app_id(), roles).await?;
    }
    if let Some(policy) = policy {
        state.store.set_uid_sign_in(caller.app_id(), policy).await?;
        if policy == UidSignInPolicy::Open {
            tracing::warn!(app = caller.app_id(), "uid sign-in is now open: any uid made by uid sign-in signs in without userHash");
        }
    }
    state.credentials.forget_app(caller.app_id());
    let app = state.store.app(caller.app_id()).await?.ok_or_else(|| ApiError::bad_field("appid", "the app is gone"))?;
    Ok(data(settings(&app)))
}
