//! `ApiJson<T>`: the JSON body extractor. A malformed body, a wrong type or an unknown field is answered
//! with `ERR_BAD_REQUEST` naming the field (its path in the body); a body over the limit with
//! `ERR_PAYLOAD_TOO_LARGE`. An empty body reads as `{}`, so calls whose fields are all optional need none.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::limits::MAX_BODY_BYTES;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body of type `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiErrorCode::ErrPayloadTooLarge,
                format!("the body must be at most {MAX_BODY_BYTES} bytes"),
            )
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses `bytes` as `T`, naming the field at fault on failure.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let field = match path.as_str() {
            "." | "?" => unknown_field(&inner.to_string()).unwrap_or_else(|| "body".to_owned()),
            _ => path,
        };
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        ApiError::bad_field(&field, message)
    })
}

/// The field named by serde's "unknown field `x`" or "missing field `x`" messages.
fn unknown_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::rest::users::CreateUser;

    fn field_of(body: &str) -> Option<String> {
        match parse::<CreateUser>(body.as_bytes()) {
            Err(ApiError::Refused { details, .. }) => details.field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(field_of(r#"{"uid": 5, "name": "a"}"#).as_deref(), Some("uid"));
        assert_eq!(field_of(r#"{"name": "a"}"#).as_deref(), Some("uid"));
        assert_eq!(field_of(r#"{"uid": "a", "name": "a", "nmae": 1}"#).as_deref(), Some("nmae"));
        assert_eq!(field_of(r#"{"uid": "a", "name": "a", "tags": [1]}"#).as_deref(), Some("tags[0]"));
        assert_eq!(field_of("{not json").as_deref(), Some("body"));
    }
}
