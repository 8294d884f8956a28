//! What kind of message a picked file makes, judged by its MIME type as the browser reports it (the server
//! reads the content and has the last word), and which kinds the visitor's variant lets them send.

use confab_protocol::panel_variant::PanelFeatures;

/// The image types the server shows inline; any other image is sent as a plain file.
const INLINE_IMAGES: &str = "image/png,image/jpeg,image/gif,image/webp";

/// The message type a file of MIME type `mime` is sent as: `image` (PNG, JPEG, GIF, WebP), `video`, `audio`
/// or `file` (anything else, including SVG and HTML).
pub fn kind_of(mime: &str) -> &'static str {
    let mime = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if INLINE_IMAGES.split(',').any(|inline| inline == mime) {
        "image"
    } else if mime.starts_with("video/") {
        "video"
    } else if mime.starts_with("audio/") {
        "audio"
    } else {
        "file"
    }
}

/// The file picker's `accept`: nothing (every type) when the variant lets any file through, else the types
/// of the kinds it allows.
pub fn accept(features: &PanelFeatures) -> Option<String> {
    if features.files {
        return None;
    }
    let kinds = [(features.photos, INLINE_IMAGES), (features.videos, "video/*"), (features.audio, "audio/*")];
    Some(kinds.iter().filter(|(on, _)| *on).map(|(_, types)| *types).collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_judged_by_their_type_and_only_plain_images_show_inline() {
        assert_eq!(kind_of("image/png"), "image");
        assert_eq!(kind_of("IMAGE/JPEG"), "image");
        assert_eq!(kind_of("image/svg+xml"), "file", "an SVG could carry script: only ever a download");
        assert_eq!(kind_of("video/webm"), "video");
        assert_eq!(kind_of("audio/webm;codecs=opus"), "audio");
        assert_eq!(kind_of("application/pdf"), "file");
        assert_eq!(kind_of(""), "file");
    }

    #[test]
    fn the_picker_offers_what_the_variant_allows() {
        assert_eq!(accept(&PanelFeatures::default()), None);
        let photos_only = PanelFeatures { files: false, videos: false, audio: false, ..PanelFeatures::default() };
        assert_eq!(accept(&photos_only).as_deref(), Some(INLINE_IMAGES));
        let media = PanelFeatures { files: false, photos: false, ..PanelFeatures::default() };
        assert_eq!(accept(&media).as_deref(), Some("video/*,audio/*"));
    }
}
