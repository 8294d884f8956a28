//! Uploads: `POST /media` stores a file (photo, video, audio or any other file) and answers what it is; a
//! message of type `image`, `video`, `audio` or `file` then names it by `id` in `data.attachments`.

use serde::{Deserialize, Serialize};

wire_enum! {
    /// What an upload is, read from its content; the message type it fits (`file` fits any upload).
    MediaKind {
        /// PNG, JPEG, GIF or WebP.
        Image = "image",
        /// MP4 or WebM with a video track.
        Video = "video",
        /// MP3, Ogg, WAV, FLAC, M4A, or WebM without video.
        Audio = "audio",
        /// Anything else (PDF, text, SVG, HTML, archives...): only downloaded, never shown inline.
        File = "file",
    }
}

impl MediaKind {
    /// Whether an upload of this kind may be sent as a message of `message_type`.
    pub fn fits(self, message_type: &str) -> bool {
        message_type == "file" || message_type == self.as_str()
    }
}

/// A stored upload, as `POST /media` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Media {
    /// The id a message's attachment names (`md_` and 26 letters and digits).
    pub id: String,
    /// What the content is.
    pub kind: MediaKind,
    /// The file, by signed URL (no headers needed; expires at `expiresAt`).
    pub url: String,
    /// The file's name, as uploaded (without any folder).
    pub name: String,
    /// Size in bytes, as others download it.
    pub size: u64,
    /// The MIME type read from the content.
    pub mime_type: String,
    /// The extension that goes with `mimeType`.
    pub extension: String,
    /// Width in pixels (images and video, when known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels (images and video, when known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// A JPEG at most 320 pixels on its longest side, by signed URL (images, and videos uploaded with a
    /// poster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// When `url` and `thumbnail` stop working, Unix seconds.
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_message_takes_any_upload_and_the_others_their_own_kind() {
        assert!(MediaKind::Image.fits("image"));
        assert!(MediaKind::Image.fits("file"));
        assert!(!MediaKind::File.fits("image"));
        assert!(!MediaKind::Audio.fits("video"));
    }
}
