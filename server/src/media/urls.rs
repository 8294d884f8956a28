//! Signed media URLs: `{base}/v3/media/{id}/{part}?exp={unix seconds}&sig={mac}`, where the MAC (HMAC-SHA256
//! under the deployment's shared key, first 16 bytes, base64url) covers the id, the part and the expiry. An
//! `<img>`, `<video>` or `<a download>` uses one without headers; only people who may read the message are
//! given one, and it stops working at `exp`. Expiries are rounded up to [`EXPIRY_STEP_SECS`], so a message
//! read twice in a while gets the same URLs and the browser's cache works.

use base64::Engine;
use confab_protocol::rest::media::Media;
use confab_protocol::rest::messages::{Message, MessageData};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::store::{MediaRecord, Store, StoreResult};

/// Expiries are multiples of this.
pub const EXPIRY_STEP_SECS: i64 = 600;
/// The name of the signing key among the deployment's shared secrets.
const KEY_NAME: &str = "media-url-key";

/// What a URL serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The file others download.
    Content,
    /// Its JPEG thumbnail.
    Thumbnail,
}

impl Part {
    /// The path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Content => "content",
            Self::Thumbnail => "thumbnail",
        }
    }

    /// The part with this path segment.
    pub fn parse(segment: &str) -> Option<Self> {
        [Self::Content, Self::Thumbnail].into_iter().find(|p| p.as_str() == segment)
    }
}

/// Why a URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Its time is up.
    Expired,
    /// The MAC does not match.
    Invalid,
}

/// Makes and checks signed URLs.
#[derive(Clone)]
pub struct MediaUrls {
    key: Vec<u8>,
    ttl_secs: i64,
    base: String,
}

impl std::fmt::Debug for MediaUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaUrls").field("ttl_secs", &self.ttl_secs).field("base", &self.base).finish_non_exhaustive()
    }
}

/// The deployment's signing key: made by the first node that starts, read by the others.
pub async fn shared_key(store: &dyn Store) -> StoreResult<Vec<u8>> {
    let mut fresh = [0u8; 32];
    getrandom::fill(&mut fresh).expect("the operating system's random source is available");
    store.server_secret(KEY_NAME, &fresh).await
}

impl MediaUrls {
    /// URLs under `base` (no trailing slash; empty: paths only) lasting at least `ttl_secs`.
    pub fn new(key: Vec<u8>, ttl_secs: u64, base: &str) -> Self {
        Self { key, ttl_secs: ttl_secs as i64, base: base.trim_end_matches('/').to_owned() }
    }

    /// The expiry of URLs made at `now`.
    pub fn expiry(&self, now: i64) -> i64 {
        (now + self.ttl_secs).div_euclid(EXPIRY_STEP_SECS) * EXPIRY_STEP_SECS + EXPIRY_STEP_SECS
    }

    fn mac(&self, id: &str, part: Part, exp: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("{id}\n{}\n{exp}", part.as_str()).as_bytes());
        mac
    }

    /// The signed URL of `part` of upload `id`, working until `exp`.
    pub fn url(&self, id: &str, part: Part, exp: i64) -> String {
        let tag = self.mac(id, part, exp).finalize().into_bytes();
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..16]);
        format!("{}/v3/media/{id}/{}?exp={exp}&sig={sig}", self.base, part.as_str())
    }

    /// Checks a URL's `exp` and `sig` for `part` of `id` at `now`.
    pub fn check(&self, id: &str, part: Part, exp: i64, sig: &str, now: i64) -> Result<(), UrlRefusal> {
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig).map_err(|_| UrlRefusal::Invalid)?;
        if tag.len() != 16 {
            return Err(UrlRefusal::Invalid);
        }
        self.mac(id, part, exp).verify_truncated_left(&tag).map_err(|_| UrlRefusal::Invalid)?;
        match now < exp {
            true => Ok(()),
            false => Err(UrlRefusal::Expired),
        }
    }

    /// Puts fresh signed URLs into the uploads `data` attaches (those with an `id`).
    pub fn sign_data(&self, data: &mut MessageData, now: i64) {
        let exp = self.expiry(now);
        for attachment in data.attachments.iter_mut().flatten() {
            let Some(id) = attachment.id.as_deref() else { continue };
            attachment.url = self.url(id, Part::Content, exp);
            if attachment.thumbnail.is_some() {
                attachment.thumbnail = Some(self.url(id, Part::Thumbnail, exp));
            }
        }
    }

    /// [`sign_data`](Self::sign_data) of a message, at the current time.
    pub fn sign_message(&self, message: &mut Message) {
        let now = crate::apps::now_secs();
        self.sign_data(&mut message.data, now);
        if let Some(quoted) = message.quoted_message.as_mut() {
            self.sign_data(&mut quoted.data, now);
        }
    }

    /// [`sign_message`](Self::sign_message) of each.
    pub fn sign_messages<'a>(&self, messages: impl IntoIterator<Item = &'a mut Message>) {
        for message in messages {
            self.sign_message(message);
        }
    }

    /// The answer to an upload.
    pub fn media(&self, record: &MediaRecord, now: i64) -> Media {
        let exp = self.expiry(now);
        Media {
            id: record.id.clone(),
            kind: record.kind,
            url: self.url(&record.id, Part::Content, exp),
            name: record.name.clone(),
            size: record.size,
            mime_type: record.mime_type.clone(),
            extension: record.extension.clone(),
            width: record.width,
            height: record.height,
            thumbnail: record.thumb_size.map(|_| self.url(&record.id, Part::Thumbnail, exp)),
            expires_at: exp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> MediaUrls {
        MediaUrls::new(b"key".to_vec(), 3600, "https://chat.example.com/")
    }

    fn query(url: &str, name: &str) -> String {
        let q = url.split_once('?').unwrap().1;
        q.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap().to_owned()
    }

    #[test]
    fn a_url_works_until_its_expiry_for_its_part_only() {
        let urls = urls();
        let exp = urls.expiry(1_000_000);
        assert!(exp >= 1_000_000 + 3600 && exp % EXPIRY_STEP_SECS == 0);
        assert_eq!(urls.expiry(1_000_001), exp, "URLs made in the same step are the same");
        let url = urls.url("md_a", Part::Content, exp);
        assert!(url.starts_with("https://chat.example.com/v3/media/md_a/content?exp="), "{url}");
        let sig = query(&url, "sig");
        assert_eq!(urls.check("md_a", Part::Content, exp, &sig, exp - 1), Ok(()));
        assert_eq!(urls.check("md_a", Part::Content, exp, &sig, exp), Err(UrlRefusal::Expired));
        assert_eq!(urls.check("md_a", Part::Thumbnail, exp, &sig, 0), Err(UrlRefusal::Invalid), "another part");
        assert_eq!(urls.check("md_b", Part::Content, exp, &sig, 0), Err(UrlRefusal::Invalid), "another upload");
        assert_eq!(urls.check("md_a", Part::Content, exp + 600, &sig, 0), Err(UrlRefusal::Invalid), "a later expiry");
        assert_eq!(urls.check("md_a", Part::Content, exp, "AAAA", 0), Err(UrlRefusal::Invalid));
        let other_key = MediaUrls::new(b"other".to_vec(), 3600, "");
        assert_eq!(other_key.check("md_a", Part::Content, exp, &sig, 0), Err(UrlRefusal::Invalid));
    }
}
