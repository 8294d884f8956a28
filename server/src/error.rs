//! The API's error type: each variant maps to a status, a stable code and (where one is at fault) the
//! field, in the `{"error": {...}}` envelope. Internal failures are logged and answered without detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use confab_protocol::api_error::{ApiErrorBody, ApiErrorCode, ApiErrorEnvelope, ErrorDetails};

use crate::store::StoreError;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field failed validation.
    #[error("{field}: {message}")]
    BadField {
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Nothing lives at this path.
    #[error("not found: {0}")]
    NotFound(String),
    /// A part this request needs is not there (such as the built widget).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The storage layer failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// A validation error on `field`.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        Self::BadField { field: field.to_owned(), message: message.into() }
    }

    fn parts(&self) -> (StatusCode, ApiErrorCode, String, ErrorDetails) {
        match self {
            Self::BadField { field, message } => (
                StatusCode::BAD_REQUEST,
                ApiErrorCode::ErrBadRequest,
                format!("{field}: {message}"),
                ErrorDetails { field: Some(field.clone()) },
            ),
            Self::NotFound(what) => {
                (StatusCode::NOT_FOUND, ApiErrorCode::ErrNotFound, what.clone(), ErrorDetails::default())
            }
            Self::Unavailable(what) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ApiErrorCode::ErrUnavailable,
                what.clone(),
                ErrorDetails::default(),
            ),
            Self::Store(err) => {
                tracing::error!(error = %err, "storage failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiErrorCode::ErrInternal,
                    "the server could not complete the request".into(),
                    ErrorDetails::default(),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, details) = self.parts();
        (status, Json(ApiErrorEnvelope { error: ApiErrorBody { code, message, details } })).into_response()
    }
}
