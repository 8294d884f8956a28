//! Checks of request fields against the limits in `confab_protocol::limits`. Each check names the field
//! it refuses.

use confab_protocol::ids::{is_valid_id, normalize_id};
use confab_protocol::limits::*;
use serde_json::Value;

use crate::error::ApiError;

/// A valid UID or GUID in its stored (lower-case) form.
pub fn id(field: &str, value: &str) -> Result<String, ApiError> {
    if is_valid_id(value) {
        Ok(normalize_id(value))
    } else {
        Err(ApiError::bad_field(field, format!("must be 1-{MAX_ID_LEN} characters of a-z, A-Z, 0-9, _ and -")))
    }
}

/// A name: 1 to [`MAX_NAME_LEN`] characters after dropping control and bidi control characters and
/// trimming.
pub fn name(field: &str, value: &str) -> Result<String, ApiError> {
    let shown: String = value.chars().filter(|c| !is_hidden_control(*c)).collect();
    let trimmed = shown.trim();
    if trimmed.is_empty() {
        return Err(ApiError::bad_field(field, "must not be empty"));
    }
    max_chars(field, trimmed, MAX_NAME_LEN)?;
    Ok(trimmed.to_owned())
}

/// Characters a name may not hold, since they change how the text around them is shown: control
/// characters (Unicode Cc, NUL included) and the bidi embedding, override, isolate and mark controls.
fn is_hidden_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Refuses `value` when it has more than `limit` characters.
pub fn max_chars(field: &str, value: &str, limit: usize) -> Result<(), ApiError> {
    // No store keeps a NUL in text (PostgreSQL refuses it): refused here, for the field, on every backend.
    if value.contains('\0') {
        return Err(ApiError::bad_field(field, "must not contain NUL characters"));
    }
    match value.chars().count() > limit {
        true => Err(ApiError::over_limit(field, limit, "characters")),
        false => Ok(()),
    }
}

/// An optional short text (role, status message, description).
pub fn short_text(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    value.map_or(Ok(()), |v| max_chars(field, v, MAX_SHORT_TEXT_LEN))
}

/// An optional http(s) URL of at most [`MAX_URL_LEN`] bytes.
pub fn url(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    let Some(value) = value else { return Ok(()) };
    if value.len() > MAX_URL_LEN {
        return Err(ApiError::over_limit(field, MAX_URL_LEN, "bytes"));
    }
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    match rest.is_some_and(|r| !r.is_empty() && !r.chars().any(char::is_whitespace)) {
        true => Ok(()),
        false => Err(ApiError::bad_field(field, "must be an http or https URL")),
    }
}

/// An upload's id: `md_` and 26 of a-z and 0-9.
pub fn media_id(field: &str, value: &str) -> Result<(), ApiError> {
    let tail = value.strip_prefix("md_").unwrap_or_default();
    match tail.len() == 26 && tail.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        true => Ok(()),
        false => Err(ApiError::bad_field(field, "must be an upload id (md_ and 26 letters and digits, from POST /media)")),
    }
}

/// Optional metadata: a JSON object of at most [`MAX_METADATA_BYTES`] serialised.
pub fn metadata(field: &str, value: Option<&Value>) -> Result<(), ApiError> {
    let Some(value) = value else { return Ok(()) };
    if !value.is_object() {
        return Err(ApiError::bad_field(field, "must be a JSON object"));
    }
    match serde_json::to_vec(value).map(|v| v.len()).unwrap_or(usize::MAX) > MAX_METADATA_BYTES {
        true => Err(ApiError::over_limit(field, MAX_METADATA_BYTES, "bytes")),
        false => Ok(()),
    }
}

/// Optional tags: at most [`MAX_TAGS`], each 1 to [`MAX_TAG_LEN`] characters.
pub fn tags(field: &str, value: Option<&[String]>) -> Result<(), ApiError> {
    let Some(tags) = value else { return Ok(()) };
    if tags.len() > MAX_TAGS {
        return Err(ApiError::over_limit(field, MAX_TAGS, "tags"));
    }
    for (i, tag) in tags.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if tag.trim().is_empty() {
            return Err(ApiError::bad_field(&at, "must not be empty"));
        }
        max_chars(&at, tag, MAX_TAG_LEN)?;
    }
    Ok(())
}

/// A list of uids of at most `limit`, each valid, in stored form.
pub fn uid_list(field: &str, uids: &[String], limit: usize) -> Result<Vec<String>, ApiError> {
    if uids.len() > limit {
        return Err(ApiError::over_limit(field, limit, "users"));
    }
    uids.iter().enumerate().map(|(i, uid)| id(&format!("{field}[{i}]"), uid)).collect()
}

/// Page size and number from `perPage` and `page`: (per_page, page), both checked.
pub fn page(per_page: Option<u32>, page: Option<u32>) -> Result<(u32, u32), ApiError> {
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ApiError::bad_field("perPage", format!("must be 1 to {MAX_PER_PAGE}")));
    }
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::bad_field("page", "must be 1 or more"));
    }
    Ok((per_page, page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_checked_and_lower_cased() {
        assert_eq!(id("uid", "SuperHero1").unwrap(), "superhero1");
        assert!(id("uid", "super hero").is_err());
        assert!(id("uid", &"a".repeat(101)).is_err());
    }

    #[test]
    fn metadata_must_be_a_small_object() {
        assert!(metadata("metadata", Some(&json!({"a": 1}))).is_ok());
        assert!(metadata("metadata", Some(&json!([1]))).is_err());
        let big = json!({"a": "x".repeat(MAX_METADATA_BYTES)});
        assert_eq!(metadata("metadata", Some(&big)).unwrap_err().code().as_str(), "ERR_BAD_REQUEST");
    }

    #[test]
    fn nul_characters_are_refused_with_their_field() {
        assert_eq!(max_chars("statusMessage", "a\0b", 100).unwrap_err().to_string().contains("NUL"), true);
        assert!(tags("tags", Some(&["ok".to_owned(), "bad\0".to_owned()])).is_err());
        assert!(short_text("role", Some("agent")).is_ok());
    }

    #[test]
    fn tags_and_pages_have_bounds() {
        let many: Vec<String> = (0..26).map(|i| format!("t{i}")).collect();
        assert!(tags("tags", Some(&many)).is_err());
        assert!(tags("tags", Some(&many[..25])).is_ok());
        assert!(page(Some(1001), None).is_err());
        assert!(page(Some(0), None).is_err());
        assert_eq!(page(None, None).unwrap(), (100, 1));
    }

    #[test]
    fn names_lose_control_and_bidi_characters() {
        assert_eq!(name("name", "na\u{0}me\u{202E}evil").unwrap(), "nameevil");
        assert_eq!(name("name", "\u{2066}Ann\u{2069} \u{200F}Lee\u{061C}\u{200E}").unwrap(), "Ann Lee");
        assert_eq!(name("name", "tab\there\u{7F}\u{9B}").unwrap(), "tabhere");
        assert_eq!(name("name", "  Zoë \u{202A}").unwrap(), "Zoë");
        assert_eq!(name("name", "مرحبا").unwrap(), "مرحبا", "right-to-left text itself is kept");
    }

    #[test]
    fn names_empty_after_dropping_controls_are_refused() {
        for value in ["", "   ", "\u{0}\u{202E}", " \u{2067}\n\u{200F} "] {
            let err = name("name", value).unwrap_err();
            assert_eq!(err.code().as_str(), "ERR_BAD_REQUEST", "{value:?}");
        }
    }

    #[test]
    fn name_length_is_counted_without_the_dropped_characters() {
        let padded = format!("{}{}", "a".repeat(MAX_NAME_LEN), "\u{202E}".repeat(10));
        assert_eq!(name("name", &padded).unwrap().chars().count(), MAX_NAME_LEN);
        assert!(name("name", &"a".repeat(MAX_NAME_LEN + 1)).is_err());
    }

    #[test]
    fn urls_must_be_http() {
        assert!(url("avatar", Some("https://a.example/x.png")).is_ok());
        assert!(url("avatar", Some("javascript:alert(1)")).is_err());
        assert!(url("avatar", Some("https://")).is_err());
    }
}
