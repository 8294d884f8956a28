//! The REST error envelope: `{"error": {"code", "message", "details"}}`, and its stable codes.

use serde::{Deserialize, Serialize};

/// Stable error codes of the REST API. Clients match on these strings; they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApiErrorCode {
    /// The request was malformed or a field failed validation; `details.field` names it.
    ErrBadRequest,
    /// No route matches the path.
    ErrNotFound,
    /// The app named by the `appid` header does not exist.
    ErrAppNotFound,
    /// The `apikey` header is missing or not a key of this app.
    AuthErrApikeyNotFound,
    /// The key exists but its scope does not allow this call.
    AuthErrNoAccess,
    /// Too many requests; retry after the `Retry-After` header's seconds.
    ErrTooManyRequests,
    /// A part the request needs is not available yet (for example the widget was not built).
    ErrUnavailable,
    /// Something failed inside the server; the details are in its log, never in the response.
    ErrInternal,
}

impl ApiErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ErrBadRequest => "ERR_BAD_REQUEST",
            Self::ErrNotFound => "ERR_NOT_FOUND",
            Self::ErrAppNotFound => "ERR_APP_NOT_FOUND",
            Self::AuthErrApikeyNotFound => "AUTH_ERR_APIKEY_NOT_FOUND",
            Self::AuthErrNoAccess => "AUTH_ERR_NO_ACCESS",
            Self::ErrTooManyRequests => "ERR_TOO_MANY_REQUESTS",
            Self::ErrUnavailable => "ERR_UNAVAILABLE",
            Self::ErrInternal => "ERR_INTERNAL",
        }
    }
}

/// The body of an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorEnvelope {
    /// The error itself.
    pub error: ApiErrorBody,
}

/// What went wrong: a stable code, a sentence for people, and structured details (such as `field`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable, machine-readable code.
    pub code: ApiErrorCode,
    /// A sentence for the developer reading the response.
    pub message: String,
    /// Structured details, such as `{"field": "uid"}`; empty when there are none.
    #[serde(default, skip_serializing_if = "ErrorDetails::is_empty")]
    pub details: ErrorDetails,
}

/// Structured details of an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetails {
    /// The request field at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorDetails {
    /// True when there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.field.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_reference_shape() {
        let body = ApiErrorEnvelope {
            error: ApiErrorBody {
                code: ApiErrorCode::ErrBadRequest,
                message: "name is too long".into(),
                details: ErrorDetails { field: Some("name".into()) },
            },
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["error"]["code"], "ERR_BAD_REQUEST");
        assert_eq!(json["error"]["details"]["field"], "name");
    }

    #[test]
    fn as_str_matches_serde() {
        for code in [
            ApiErrorCode::ErrBadRequest,
            ApiErrorCode::ErrNotFound,
            ApiErrorCode::ErrAppNotFound,
            ApiErrorCode::AuthErrApikeyNotFound,
            ApiErrorCode::AuthErrNoAccess,
            ApiErrorCode::ErrTooManyRequests,
            ApiErrorCode::ErrUnavailable,
            ApiErrorCode::ErrInternal,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
