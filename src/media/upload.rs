//! Uploading one file: `POST /v3/media` with `XMLHttpRequest` (which, unlike `fetch`, reports upload
//! progress), the session's `appid` and `authtoken` headers, and a `FormData` body with the file in the field
//! `file`; and what the answer means to the visitor.

use confab_protocol::api_error::{ApiErrorCode, ApiErrorEnvelope};
use confab_protocol::decode::Decode;
use confab_protocol::rest::media::Media;
use confab_protocol::rest::Data;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use web_sys::Event;

use crate::i18n::Catalog;
use crate::media::js::{call, construct, get};
use crate::media::sizes::size_label;
use crate::net::http::Api;
use crate::net::json::JsJson;

/// What an upload came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Stored: the upload, to name in a message.
    Stored(Media),
    /// The server would not take it.
    Refused {
        /// Why, as its code.
        code: ApiErrorCode,
        /// The limit it passed, in bytes, when one was.
        limit: Option<u64>,
        /// The server's sentence.
        message: String,
    },
    /// No answer (offline, server down, or cancelled): try again when the connection is back.
    Unanswered,
}

/// An upload in flight. Dropping it leaves the request running; [`Upload::cancel`] stops it.
pub struct Upload {
    /// The `XMLHttpRequest`.
    request: JsValue,
    /// Its progress and end handlers, which live as long as it does.
    _handlers: [Closure<dyn FnMut(Event)>; 2],
}

impl Upload {
    /// Uploads `file` (a `File` or `Blob`) as `name` to `api` with the session `token`, with a video's
    /// `poster` (a JPEG `Blob`) in the part `thumbnail`. `progress` gets the share sent so far (0-100) as it
    /// goes, `done` the outcome once.
    pub fn start(api: &Api, token: &str, file: &JsValue, name: &str, poster: Option<&JsValue>, mut progress: impl FnMut(u8) + 'static, done: impl FnOnce(Outcome) + 'static) -> Option<Self> {
        let request = construct("XMLHttpRequest", &[]).ok()?;
        call(&request, "open", &[&"POST".into(), &format!("{}/v3/media", api.origin).into()]).ok()?;
        call(&request, "setRequestHeader", &[&"appid".into(), &api.app_id.as_str().into()]).ok()?;
        call(&request, "setRequestHeader", &[&"authtoken".into(), &token.into()]).ok()?;
        let body = construct("FormData", &[]).ok()?;
        call(&body, "append", &[&"file".into(), file, &name.into()]).ok()?;
        if let Some(poster) = poster {
            call(&body, "append", &[&"thumbnail".into(), poster, &"poster.jpg".into()]).ok()?;
        }
        // Closures of the one type the panel's own listeners have (see `components::dom::on`): their glue
        // is in the wasm once.
        let on_progress = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let number = |key: &str| get(&event, key).as_f64().unwrap_or(0.0);
            if number("total") > 0.0 {
                progress((number("loaded") * 100.0 / number("total")).min(100.0) as u8);
            }
        });
        call(&get(&request, "upload"), "addEventListener", &[&"progress".into(), on_progress.as_ref()]).ok()?;
        let answered = request.clone();
        let mut done = Some(done);
        let on_end = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            let status = get(&answered, "status").as_f64().unwrap_or(0.0) as u16;
            if let Some(done) = done.take() {
                done(outcome(status, &get(&answered, "responseText").as_string().unwrap_or_default()));
            }
        });
        call(&request, "addEventListener", &[&"loadend".into(), on_end.as_ref()]).ok()?;
        call(&request, "send", &[&body]).ok()?;
        Some(Self { request, _handlers: [on_progress, on_end] })
    }

    /// Stops the upload; its `done` then gets [`Outcome::Unanswered`].
    pub fn cancel(&self) {
        let _ = call(&self.request, "abort", &[]);
    }
}

/// The outcome an answer with HTTP `status` and body `text` (JSON, when there is one) means.
fn outcome(status: u16, text: &str) -> Outcome {
    let Ok(json) = js_sys::JSON::parse(text).map(JsJson) else { return Outcome::Unanswered };
    if (200..300).contains(&status) {
        return Data::<Media>::decode(&json).map_or(Outcome::Unanswered, |answer| Outcome::Stored(answer.data));
    }
    match ApiErrorEnvelope::decode(&json) {
        Ok(envelope) => Outcome::Refused { code: envelope.error.code, limit: envelope.error.details.limit, message: envelope.error.message },
        Err(_) => Outcome::Unanswered,
    }
}

/// Why a file was not sent, in the visitor's words: too big (with the limit), not allowed here, no room
/// left, or the server's own sentence for anything else (or a general one when it gave none).
pub fn reason(text: &Catalog, code: ApiErrorCode, limit: Option<u64>, message: &str) -> String {
    match code {
        ApiErrorCode::ErrFileTooLarge if limit.is_some() => text.too_big.replace("{size}", &size_label(text.tag, limit.unwrap_or(0))),
        ApiErrorCode::ErrFeatureDisabled | ApiErrorCode::ErrMediaTypeMismatch => text.not_allowed.to_owned(),
        ApiErrorCode::ErrMediaQuotaExceeded => text.quota_full.to_owned(),
        _ if message.is_empty() => text.upload_failed.to_owned(),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::ENGLISH;

    #[test]
    fn a_refusal_says_why_in_the_visitors_words() {
        assert_eq!(reason(&ENGLISH, ApiErrorCode::ErrFileTooLarge, Some(10 * 1024 * 1024), "x"), "Too big (max 10 MB)");
        assert_eq!(reason(&ENGLISH, ApiErrorCode::ErrFileTooLarge, None, "over the limit"), "over the limit", "no limit given: the server's words");
        assert_eq!(reason(&ENGLISH, ApiErrorCode::ErrFeatureDisabled, None, "x"), "This kind of file cannot be sent here");
        assert_eq!(reason(&ENGLISH, ApiErrorCode::ErrMediaQuotaExceeded, Some(5), "x"), "There is no room left for files");
        assert_eq!(reason(&ENGLISH, ApiErrorCode::ErrBadRequest, None, "the file is empty"), "the file is empty");
    }
}
