//! The console's app calls: apps, keys, the identity secret, the overview, a user's devices, the audit log.
//! Each needs an [`Owner`]; each change is recorded in the app's audit log.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::console::{
    ApiKeyInfo, AuditEntry, AuditQuery, ConsoleApp, CreateAppRequest, CreateKeyRequest, CreatedApp, CreatedKey, DayCount,
    DeviceToken, IdentitySecret, KeyScope as WireScope, Overview, RenameAppRequest, UserDevices, OVERVIEW_DAYS,
};
use confab_protocol::rest::app::UidSignInPolicy;
use confab_protocol::rest::{Data, Page, PageMeta, Pagination};

use super::audit::record;
use super::session::Owner;
use crate::apps::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::secrets::{key_hash, random_hex};
use crate::state::AppState;
use crate::store::console::{key_id, AppListing, KeyListing, DAY_SECS};
use crate::store::{KeyScope, NewKey, PageRequest};
use crate::validate;

fn data<T>(value: T) -> Json<Data<T>> {
    Json(Data { data: value })
}

fn shown_app(app: AppListing) -> ConsoleApp {
    ConsoleApp { app_id: app.app_id, name: app.name, region: app.region, created_at: app.created_at }
}

fn wire_scope(scope: KeyScope) -> WireScope {
    match scope {
        KeyScope::AuthOnly => WireScope::AuthOnly,
        KeyScope::FullAccess => WireScope::FullAccess,
    }
}

fn shown_key(key: KeyListing) -> ApiKeyInfo {
    ApiKeyInfo { id: key.id, name: key.name, scope: wire_scope(key.scope), created_at: key.created_at }
}

/// The app `app_id`, read from the store (not the cache: the console shows what is stored), or 404.
async fn existing_app(state: &AppState, app_id: &str) -> ApiResult<crate::store::App> {
    state.store.app(app_id).await?.ok_or_else(|| {
        ApiError::not_found(ApiErrorCode::ErrAppNotFound, format!("no app with id {app_id}")).with_field("appId")
    })
}

/// `GET /console/api/apps`: every app of the server, oldest first.
pub async fn list(_owner: Owner, State(state): State<AppState>) -> ApiResult<Json<Data<Vec<ConsoleApp>>>> {
    Ok(data(state.store.list_apps().await?.into_iter().map(shown_app).collect()))
}

/// `POST /console/api/apps`: a new app in this server's region, with its keys and identity secret (shown
/// this once). Its uid sign-in is `verified`.
pub async fn create(owner: Owner, State(state): State<AppState>, ApiJson(body): ApiJson<CreateAppRequest>) -> ApiResult<Json<Data<CreatedApp>>> {
    let name = validate::name("name", &body.name)?;
    let credentials = crate::apps::create_app(state.store.as_ref(), &name, &state.region, UidSignInPolicy::Verified).await?;
    let app = existing_app(&state, &credentials.app_id).await?;
    record(&state, &app.app_id, owner.email(), "app.create", &app.app_id, &format!("name: {name}")).await;
    Ok(data(CreatedApp {
        app: ConsoleApp { app_id: app.app_id, name: app.name, region: app.region, created_at: app.created_at },
        rest_api_key: credentials.api_key,
        auth_key: credentials.auth_key,
        identity_secret: credentials.identity_secret,
    }))
}

/// `PUT /console/api/apps/{appId}`: renames the app.
pub async fn rename(
    owner: Owner,
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<RenameAppRequest>,
) -> ApiResult<Json<Data<ConsoleApp>>> {
    let before = existing_app(&state, &app_id).await?;
    let name = validate::name("name", &body.name)?;
    state.store.rename_app(&app_id, &name).await?;
    state.credentials.forget_app(&app_id);
    record(&state, &app_id, owner.email(), "app.rename", &app_id, &format!("name: {} → {name}", before.name)).await;
    Ok(data(ConsoleApp { app_id: before.app_id, name, region: before.region, created_at: before.created_at }))
}

/// `GET /console/api/apps/{appId}/keys`: the app's keys, without their secrets.
pub async fn keys(_owner: Owner, State(state): State<AppState>, Path(app_id): Path<String>) -> ApiResult<Json<Data<Vec<ApiKeyInfo>>>> {
    existing_app(&state, &app_id).await?;
    Ok(data(state.store.list_keys(&app_id).await?.into_iter().map(shown_key).collect()))
}

/// `POST /console/api/apps/{appId}/keys`: a new key, its secret shown this once.
pub async fn create_key(
    owner: Owner,
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<CreateKeyRequest>,
) -> ApiResult<Json<Data<CreatedKey>>> {
    existing_app(&state, &app_id).await?;
    let name = validate::name("name", &body.name)?;
    let (scope, bytes) = match body.scope {
        WireScope::AuthOnly => (KeyScope::AuthOnly, 20),
        WireScope::FullAccess => (KeyScope::FullAccess, 24),
    };
    let secret = random_hex(bytes);
    let now = now_secs();
    let key = NewKey { hash: key_hash(&secret), name: name.clone(), scope };
    state.store.add_key(&app_id, &key, now).await?;
    let id = key_id(&key.hash);
    record(&state, &app_id, owner.email(), "key.create", &id, &format!("name: {name}, scope: {}", scope.as_str())).await;
    Ok(data(CreatedKey { key: ApiKeyInfo { id, name, scope: body.scope, created_at: now }, secret }))
}

/// `DELETE /console/api/apps/{appId}/keys/{id}`: revokes the key; it stops working at once on this node,
/// and within [`crate::credentials::CACHE_TTL`] on the others.
pub async fn revoke_key(owner: Owner, State(state): State<AppState>, Path((app_id, id)): Path<(String, String)>) -> ApiResult<StatusCode> {
    existing_app(&state, &app_id).await?;
    let hash = state.store.revoke_key(&app_id, &id).await?.ok_or_else(|| {
        ApiError::not_found(ApiErrorCode::ErrKeyNotFound, format!("no key with id {id} in this app")).with_field("id")
    })?;
    state.credentials.forget_key(&hash);
    record(&state, &app_id, owner.email(), "key.revoke", &key_id(&hash), "").await;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /console/api/apps/{appId}/identity-secret`: a new identity secret; `userHash` made with the old
/// one is refused from now on (within [`crate::credentials::CACHE_TTL`] on other nodes).
pub async fn rotate_identity_secret(owner: Owner, State(state): State<AppState>, Path(app_id): Path<String>) -> ApiResult<Json<Data<IdentitySecret>>> {
    existing_app(&state, &app_id).await?;
    let secret = random_hex(32);
    state.store.set_identity_secret(&app_id, &secret).await?;
    state.credentials.forget_app(&app_id);
    record(&state, &app_id, owner.email(), "identity.rotate", &app_id, "new identity secret").await;
    Ok(data(IdentitySecret { identity_secret: secret }))
}

/// `GET /console/api/apps/{appId}/overview`: the app's activity in the last 30 UTC days.
pub async fn overview(_owner: Owner, State(state): State<AppState>, Path(app_id): Path<String>) -> ApiResult<Json<Data<Overview>>> {
    existing_app(&state, &app_id).await?;
    let counts = state.store.overview(&app_id, now_secs(), OVERVIEW_DAYS as u32).await?;
    let per_day = counts.per_day.iter().map(|(day, count)| DayCount { day: utc_date(day * DAY_SECS), count: *count }).collect();
    Ok(data(Overview {
        messages_today: counts.today(),
        messages_per_day: per_day,
        active_users: counts.active_users,
        users_total: counts.users_total,
        sockets_now: state.realtime.hub.app_connections(&app_id) as u64,
    }))
}

/// `GET /console/api/apps/{appId}/users/{uid}/devices`: the user's live sign-in tokens and open sockets.
pub async fn devices(
    _owner: Owner,
    State(state): State<AppState>,
    Path((app_id, uid)): Path<(String, String)>,
) -> ApiResult<Json<Data<UserDevices>>> {
    existing_app(&state, &app_id).await?;
    let uid = validate::id("uid", &uid)?;
    state.store.user(&app_id, &uid).await?.ok_or_else(|| ApiError::uid_not_found(&uid))?;
    let tokens = state.store.user_tokens(&app_id, &uid, now_secs()).await?;
    Ok(data(UserDevices {
        tokens: tokens
            .into_iter()
            .map(|t| DeviceToken { created_at: t.created_at, last_used_at: t.last_used_at, expires_at: t.expires_at })
            .collect(),
        online: state.realtime.hub.user_connections(&app_id, &uid) as u64,
    }))
}

/// `GET /console/api/apps/{appId}/audit?page=&perPage=`: the app's audit log, newest first.
pub async fn audit_log(
    _owner: Owner,
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    existing_app(&state, &app_id).await?;
    let (per_page, page) = validate::page(query.per_page, query.page)?;
    let page = PageRequest { per_page, page };
    let (lines, total) = state.store.audit_log(&app_id, page).await?;
    let count = lines.len() as u64;
    let entries = lines
        .into_iter()
        .map(|line| AuditEntry {
            id: line.id,
            at: line.entry.at,
            actor: line.entry.actor,
            action: line.entry.action,
            target: line.entry.target,
            detail: line.entry.detail,
        })
        .collect();
    let meta = PageMeta {
        pagination: Pagination {
            total,
            count,
            per_page,
            current_page: page.page,
            total_pages: total.div_ceil(u64::from(per_page)).max(1) as u32,
        },
    };
    Ok(Json(Page { data: entries, meta }))
}

/// `YYYY-MM-DD` of the UTC day holding Unix time `secs` (days from civil, Howard Hinnant's algorithm).
pub fn utc_date(secs: i64) -> String {
    let days = secs.div_euclid(DAY_SECS);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_700_000_000), "2023-11-14");
        assert_eq!(utc_date(1_709_251_199), "2024-02-29");
        assert_eq!(utc_date(1_709_251_200), "2024-03-01");
    }
}
