//! The REST error envelope: `{"error": {"code", "message", "details"}}`, and its stable codes.

use serde::{Deserialize, Serialize};

wire_enum! {
    /// Stable error codes of the REST API. Clients match on these strings; they never change meaning.
    ApiErrorCode {
        /// The request was malformed or a field failed validation; `details.field` names it.
        ErrBadRequest = "ERR_BAD_REQUEST",
        /// The body is larger than the server accepts.
        ErrPayloadTooLarge = "ERR_PAYLOAD_TOO_LARGE",
        /// No route matches the path.
        ErrNotFound = "ERR_NOT_FOUND",
        /// The route exists but not with this method.
        ErrMethodNotAllowed = "ERR_METHOD_NOT_ALLOWED",
        /// The app named by the `appid` header does not exist.
        ErrAppNotFound = "ERR_APP_NOT_FOUND",
        /// The `apikey` header is missing or not a key of this app.
        AuthErrApikeyNotFound = "AUTH_ERR_APIKEY_NOT_FOUND",
        /// The `authtoken` header is missing, revoked, or not a token of this app.
        AuthErrAuthTokenNotFound = "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
        /// The credentials are valid but do not allow this call.
        AuthErrNoAccess = "AUTH_ERR_NO_ACCESS",
        /// `userHash` is wrong, or missing where it is needed: the app's uid sign-in is `verified`, or the
        /// uid belongs to a user uid sign-in did not make (a guest, a bot, a user the site's backend made).
        AuthErrUserHashInvalid = "AUTH_ERR_USER_HASH_INVALID",
        /// The app's uid sign-in is `off`.
        AuthErrUidSignInOff = "AUTH_ERR_UID_SIGN_IN_OFF",
        /// The uid is kept for the server's own use (`app_system`, the `guest-` prefix).
        ErrUidReserved = "ERR_UID_RESERVED",
        /// The call acts as a user: send `onBehalfOf` with the REST API key.
        ErrOnBehalfOfRequired = "ERR_ON_BEHALF_OF_REQUIRED",
        /// No user with this uid.
        ErrUidNotFound = "ERR_UID_NOT_FOUND",
        /// A user with this uid exists already.
        ErrUidAlreadyExists = "ERR_UID_ALREADY_EXISTS",
        /// The user is deactivated.
        ErrUserDeactivated = "ERR_USER_DEACTIVATED",
        /// No such auth token for this user.
        ErrAuthTokenNotFound = "ERR_AUTH_TOKEN_NOT_FOUND",
        /// No group with this guid (or the caller may not see it).
        ErrGuidNotFound = "ERR_GUID_NOT_FOUND",
        /// A group with this guid exists already.
        ErrGuidAlreadyExists = "ERR_GUID_ALREADY_EXISTS",
        /// The user is not a member of the group.
        ErrGroupNotJoined = "ERR_GROUP_NOT_JOINED",
        /// The user is a member already.
        ErrGroupAlreadyJoined = "ERR_GROUP_ALREADY_JOINED",
        /// The caller's scope in the group does not allow this.
        ErrGroupNoClearance = "ERR_GROUP_NO_CLEARANCE",
        /// The group's password does not match.
        ErrGroupWrongPassword = "ERR_GROUP_WRONG_PASSWORD",
        /// A private group is joined by invitation only.
        ErrGroupJoinNotAllowed = "ERR_GROUP_JOIN_NOT_ALLOWED",
        /// The user is banned from the group.
        ErrGroupMemberBanned = "ERR_GROUP_MEMBER_BANNED",
        /// The session has added as many users to groups as it may in a day (`details.limit`); the REST API
        /// key has no such limit.
        ErrGroupAddLimitReached = "ERR_GROUP_ADD_LIMIT_REACHED",
        /// The receiver has blocked the sender (or the sender the receiver).
        ErrBlockedReceiver = "ERR_BLOCKED_RECEIVER",
        /// No message with this id in the caller's reach.
        ErrMessageNotFound = "ERR_MESSAGE_NOT_FOUND",
        /// Only the sender (or a group moderator or admin) may change this message.
        ErrMessageNoClearance = "ERR_MESSAGE_NO_CLEARANCE",
        /// The user has not given this reaction to this message.
        ErrReactionNotFound = "ERR_REACTION_NOT_FOUND",
        /// No such conversation in the caller's reach.
        ErrConversationNotFound = "ERR_CONVERSATION_NOT_FOUND",
        /// No bot with this uid in the app.
        ErrBotNotFound = "ERR_BOT_NOT_FOUND",
        /// The user is a bot already.
        ErrBotAlreadyExists = "ERR_BOT_ALREADY_EXISTS",
        /// No webhook with this id in the app.
        ErrWebhookNotFound = "ERR_WEBHOOK_NOT_FOUND",
        /// A webhook with this id exists already.
        ErrWebhookAlreadyExists = "ERR_WEBHOOK_ALREADY_EXISTS",
        /// The app has as many webhooks as it may (`details.limit`).
        ErrWebhookLimitReached = "ERR_WEBHOOK_LIMIT_REACHED",
        /// A callback URL is not an absolute `http(s)` URL, or points at an address this server may not call;
        /// `details.field` names it.
        ErrCallbackUrlRefused = "ERR_CALLBACK_URL_REFUSED",
        /// No delivery with this id in the app.
        ErrDeliveryNotFound = "ERR_DELIVERY_NOT_FOUND",
        /// Too many requests; retry after the `Retry-After` header's seconds.
        ErrTooManyRequests = "ERR_TOO_MANY_REQUESTS",
        /// Guest sign-in refused: this client address, or the app, created as many guests in the last 24 hours
        /// as it may (`details.limit`); retry after the `Retry-After` header's seconds.
        ErrGuestLimit = "ERR_GUEST_LIMIT",
        /// A part the request needs is not available yet (for example the widget was not built).
        ErrUnavailable = "ERR_UNAVAILABLE",
        /// The database cannot be reached: nothing was stored or changed. Retry after the `Retry-After`
        /// header's seconds (a send with its `muid` is never stored twice).
        ErrStoreUnavailable = "ERR_STORE_UNAVAILABLE",
        /// Something failed inside the server; the details are in its log, never in the response.
        ErrInternal = "ERR_INTERNAL",
        /// Console sign-in: the email or the password is wrong (the same answer for both).
        ErrBadCredentials = "ERR_BAD_CREDENTIALS",
        /// Console: no valid session cookie (never signed in, signed out, or expired).
        ErrNotSignedIn = "ERR_NOT_SIGNED_IN",
        /// Console: a non-GET call without the session's `x-csrf-token` header, or with another value.
        ErrCsrf = "ERR_CSRF",
        /// Console: the password is a one-time one; change it (`POST /console/api/password`) first.
        ErrPasswordChangeRequired = "ERR_PASSWORD_CHANGE_REQUIRED",
        /// Console sign-in: too many attempts for this email or from this client address; retry after the
        /// `Retry-After` header's seconds.
        ErrRateLimited = "ERR_RATE_LIMITED",
        /// Console: no key with this id in the app.
        ErrKeyNotFound = "ERR_KEY_NOT_FOUND",
        /// No variant with this id in the app (`details.field` names the field that named it).
        ErrVariantNotFound = "ERR_VARIANT_NOT_FOUND",
        /// A variant with this id exists already (variant ids are unique on the server, across apps).
        ErrVariantAlreadyExists = "ERR_VARIANT_ALREADY_EXISTS",
        /// The app has as many variants as it may (`details.limit`).
        ErrVariantLimitReached = "ERR_VARIANT_LIMIT_REACHED",
        /// `GET /v1/builders/{variantID}`: no such variant (the widget then asks for the app's list).
        ErrBuilderNotFound = "ERR_BUILDER_NOT_FOUND",
        /// The session's variant turns this feature off; `details.field` names its switch (or the frame).
        ErrFeatureDisabled = "ERR_FEATURE_DISABLED",
        /// An uploaded file is larger than the server takes for its kind (`details.limit`, in bytes).
        ErrFileTooLarge = "ERR_FILE_TOO_LARGE",
        /// The app's uploads would pass its storage quota (`details.limit`, in bytes).
        ErrMediaQuotaExceeded = "ERR_MEDIA_QUOTA_EXCEEDED",
        /// No upload with this id that the sender may attach: unknown, someone else's, or used by another
        /// message.
        ErrMediaNotFound = "ERR_MEDIA_NOT_FOUND",
        /// The upload's content does not fit the message type (a `image` message naming a PDF, say).
        ErrMediaTypeMismatch = "ERR_MEDIA_TYPE_MISMATCH",
        /// A media URL's time is up: read the message again for a fresh one.
        ErrMediaUrlExpired = "ERR_MEDIA_URL_EXPIRED",
        /// A media URL's signature does not match (it was changed, or made by no server of this deployment).
        ErrMediaUrlInvalid = "ERR_MEDIA_URL_INVALID",
    }
}

/// The body of an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorEnvelope {
    /// The error itself.
    pub error: ApiErrorBody,
}

/// What went wrong: a stable code, a sentence for people, and structured details (such as `field`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    /// Stable, machine-readable code.
    pub code: ApiErrorCode,
    /// A sentence for the developer reading the response.
    pub message: String,
    /// Structured details, such as `{"field": "uid"}`; absent when there are none.
    #[serde(default, skip_serializing_if = "ErrorDetails::is_empty")]
    pub details: ErrorDetails,
}

/// Structured details of an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetails {
    /// The request field at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The limit the field exceeded, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl ErrorDetails {
    /// True when there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.field.is_none() && self.limit.is_none()
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
                details: ErrorDetails { field: Some("name".into()), limit: Some(100) },
            },
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["error"]["code"], "ERR_BAD_REQUEST");
        assert_eq!(json["error"]["details"]["field"], "name");
        assert_eq!(json["error"]["details"]["limit"], 100);
    }

    #[test]
    fn every_code_round_trips_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for &code in ApiErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<ApiErrorCode>(json).unwrap(), code);
        }
    }
}
