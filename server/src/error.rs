//! The API's error type: a status, a stable code, a sentence and (where one is at fault) the field, sent
//! in the `{"error": {...}}` envelope. Storage failures are logged and answered without detail.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_protocol::api_error::{ApiErrorBody, ApiErrorCode, ApiErrorEnvelope, ErrorDetails};

use crate::store::StoreError;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A refusal with a stable code.
    #[error("{code:?}: {message}")]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// Stable code.
        code: ApiErrorCode,
        /// Sentence for the developer.
        message: String,
        /// Field and limit at fault.
        details: ErrorDetails,
    },
    /// The caller exceeded its rate limit.
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a request will be accepted again.
        retry_after_secs: u64,
    },
    /// A limit with a wait (such as the daily guest limit) was reached: 429 with `code` and `Retry-After`.
    #[error("{code:?}: {message}")]
    Limited {
        /// Stable code.
        code: ApiErrorCode,
        /// Sentence for the developer.
        message: String,
        /// The limit reached.
        details: ErrorDetails,
        /// Seconds until a request will be accepted again.
        retry_after_secs: u64,
    },
    /// The storage layer failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something else inside the server failed (a disk, a task): logged, answered 500 without detail.
    #[error("internal failure: {0}")]
    Internal(String),
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A refusal with `status` and `code`.
    pub fn new(status: StatusCode, code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self::Refused { status, code, message: message.into(), details: ErrorDetails::default() }
    }

    /// The same refusal, naming the field at fault.
    pub fn with_field(mut self, name: &str) -> Self {
        if let Self::Refused { details, .. } = &mut self {
            details.field = Some(name.to_owned());
        }
        self
    }

    /// The same refusal, with the limit that was passed.
    pub fn with_limit(mut self, limit: u64) -> Self {
        if let Self::Refused { details, .. } = &mut self {
            details.limit = Some(limit);
        }
        self
    }

    /// A failure inside the server, described for its log only.
    pub fn internal(what: impl Into<String>) -> Self {
        Self::Internal(what.into())
    }

    /// The same refusal with another code.
    pub fn with_code(mut self, new_code: ApiErrorCode) -> Self {
        if let Self::Refused { code, .. } = &mut self {
            *code = new_code;
        }
        self
    }

    /// 400 `ERR_BAD_REQUEST` on `field`.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ApiErrorCode::ErrBadRequest, format!("{field}: {}", message.into()))
            .with_field(field)
    }

    /// 400 `ERR_BAD_REQUEST` on `field`, which is over `limit`.
    pub fn over_limit(field: &str, limit: usize, unit: &str) -> Self {
        let mut err = Self::bad_field(field, format!("must be at most {limit} {unit}"));
        if let Self::Refused { details, .. } = &mut err {
            details.limit = Some(limit as u64);
        }
        err
    }

    /// 404 with `code`.
    pub fn not_found(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 403 with `code`.
    pub fn forbidden(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 401 with `code`.
    pub fn unauthorized(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 409 with `code`.
    pub fn conflict(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 404 `ERR_UID_NOT_FOUND` for `uid`.
    pub fn uid_not_found(uid: &str) -> Self {
        Self::not_found(ApiErrorCode::ErrUidNotFound, format!("no user with uid {uid}"))
    }

    /// 404 `ERR_GUID_NOT_FOUND` for `guid`.
    pub fn guid_not_found(guid: &str) -> Self {
        Self::not_found(ApiErrorCode::ErrGuidNotFound, format!("no group with guid {guid}"))
    }

    /// The code this error answers with.
    pub fn code(&self) -> ApiErrorCode {
        match self {
            Self::Refused { code, .. } => *code,
            Self::RateLimited { .. } => ApiErrorCode::ErrTooManyRequests,
            Self::Limited { code, .. } => *code,
            Self::Store(StoreError::Unavailable(_)) => ApiErrorCode::ErrStoreUnavailable,
            Self::Store(_) | Self::Internal(_) => ApiErrorCode::ErrInternal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, details) = match self {
            Self::Refused { status, code, message, details } => (status, code, message, details),
            Self::RateLimited { retry_after_secs } => {
                let body = ApiErrorEnvelope {
                    error: ApiErrorBody {
                        code: ApiErrorCode::ErrTooManyRequests,
                        message: format!("rate limit reached; retry in {retry_after_secs} s"),
                        details: ErrorDetails::default(),
                    },
                };
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            Self::Limited { code, message, details, retry_after_secs } => {
                let body = ApiErrorEnvelope { error: ApiErrorBody { code, message, details } };
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            Self::Store(StoreError::Unavailable(err)) => {
                tracing::warn!(error = %err, "the database is unavailable");
                let body = ApiErrorEnvelope {
                    error: ApiErrorBody {
                        code: ApiErrorCode::ErrStoreUnavailable,
                        message: "the database cannot be reached; nothing was stored. Retry shortly".to_owned(),
                        details: ErrorDetails::default(),
                    },
                };
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
                return response;
            }
            Self::Internal(what) => {
                tracing::error!(error = %what, "internal failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiErrorCode::ErrInternal,
                    "the server could not complete the request".to_owned(),
                    ErrorDetails::default(),
                )
            }
            Self::Store(err) => {
                tracing::error!(error = %err, "storage failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiErrorCode::ErrInternal,
                    "the server could not complete the request".to_owned(),
                    ErrorDetails::default(),
                )
            }
        };
        (status, Json(ApiErrorEnvelope { error: ApiErrorBody { code, message, details } })).into_response()
    }
}
