//! The type of a file from its first bytes (magic numbers, and for text a look at how it starts).

use confab_protocol::rest::media::MediaKind;

/// A type read from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// MIME type.
    pub mime: &'static str,
    /// The extension that goes with it.
    pub extension: &'static str,
    /// The message type it fits.
    pub kind: MediaKind,
}

const fn typed(mime: &'static str, extension: &'static str, kind: MediaKind) -> Sniffed {
    Sniffed { mime, extension, kind }
}

/// Anything unrecognised.
pub const OCTET_STREAM: Sniffed = typed("application/octet-stream", "bin", MediaKind::File);
/// HTML: a file, downloaded, never shown.
pub const HTML: Sniffed = typed("text/html", "html", MediaKind::File);
/// SVG: may carry script, so a file, never an image.
pub const SVG: Sniffed = typed("image/svg+xml", "svg", MediaKind::File);
/// Plain text.
pub const TEXT: Sniffed = typed("text/plain", "txt", MediaKind::File);
/// WebM audio (no video track).
pub const WEBM_AUDIO: Sniffed = typed("audio/webm", "webm", MediaKind::Audio);
/// MP4 audio (no video track).
pub const MP4_AUDIO: Sniffed = typed("audio/mp4", "m4a", MediaKind::Audio);

/// Signatures at a fixed offset: (offset, bytes, type).
const MAGIC: &[(usize, &[u8], Sniffed)] = &[
    (0, b"\x89PNG\r\n\x1a\n", typed("image/png", "png", MediaKind::Image)),
    (0, b"\xFF\xD8\xFF", typed("image/jpeg", "jpg", MediaKind::Image)),
    (0, b"GIF87a", typed("image/gif", "gif", MediaKind::Image)),
    (0, b"GIF89a", typed("image/gif", "gif", MediaKind::Image)),
    (0, b"\x1A\x45\xDF\xA3", typed("video/webm", "webm", MediaKind::Video)),
    (0, b"OggS", typed("audio/ogg", "ogg", MediaKind::Audio)),
    (0, b"ID3", typed("audio/mpeg", "mp3", MediaKind::Audio)),
    (0, b"fLaC", typed("audio/flac", "flac", MediaKind::Audio)),
    (0, b"%PDF-", typed("application/pdf", "pdf", MediaKind::File)),
    (0, b"PK\x03\x04", typed("application/zip", "zip", MediaKind::File)),
    (0, b"\x1F\x8B", typed("application/gzip", "gz", MediaKind::File)),
];

/// The type of a file that starts with `head` (its first bytes; 4 KiB is plenty).
pub fn sniff(head: &[u8]) -> Sniffed {
    if let Some((_, _, found)) = MAGIC.iter().find(|(at, magic, _)| head.get(*at..at + magic.len()) == Some(magic)) {
        return *found;
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" {
        match &head[8..12] {
            b"WEBP" => return typed("image/webp", "webp", MediaKind::Image),
            b"WAVE" => return typed("audio/wav", "wav", MediaKind::Audio),
            _ => {}
        }
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"M4A " | b"M4B " | b"M4P " => MP4_AUDIO,
            b"qt  " => typed("video/quicktime", "mov", MediaKind::Video),
            _ => typed("video/mp4", "mp4", MediaKind::Video),
        };
    }
    if let [0xFF, second, ..] = head {
        match second {
            0xFB | 0xFA | 0xF3 | 0xF2 | 0xE3 | 0xE2 => return typed("audio/mpeg", "mp3", MediaKind::Audio),
            0xF1 | 0xF9 => return typed("audio/aac", "aac", MediaKind::Audio),
            _ => {}
        }
    }
    text_type(head)
}

/// HTML, SVG or plain text, for a head that is text; else [`OCTET_STREAM`].
fn text_type(head: &[u8]) -> Sniffed {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A head cut inside a character is still text.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        Err(_) => return OCTET_STREAM,
    };
    if text.is_empty() || text.contains('\0') {
        return OCTET_STREAM;
    }
    let lower = text.trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
    if lower.contains("<svg") && (lower.starts_with("<?xml") || lower.starts_with("<svg") || lower.starts_with("<!doctype svg") || lower.starts_with("<!--")) {
        return SVG;
    }
    const HTML_STARTS: &[&str] = &["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<meta", "<style", "<title", "<div", "<a ", "<img", "<p>", "<br", "<h1", "<table", "<font", "<b>", "<!--"];
    if HTML_STARTS.iter().any(|start| lower.starts_with(start)) || lower.starts_with("<?xml") && lower.contains("<html") {
        return HTML;
    }
    TEXT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").mime, "image/png");
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF").kind, MediaKind::Image);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").mime, "image/webp");
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt ").mime, "audio/wav");
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0").mime, "video/mp4");
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A \0\0\x02\0"), MP4_AUDIO);
        assert_eq!(sniff(b"%PDF-1.7\n").mime, "application/pdf");
        assert_eq!(sniff(b"ID3\x04\0\0").kind, MediaKind::Audio);
    }

    #[test]
    fn pages_and_svg_are_files_never_images() {
        assert_eq!(sniff(b"<!DOCTYPE html><script>alert(1)</script>"), HTML);
        assert_eq!(sniff(b"\xEF\xBB\xBF  \n<html><body>"), HTML);
        assert_eq!(sniff(b"<script>alert(1)</script>"), HTML);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"), SVG);
        assert_eq!(sniff(b"<svg onload=alert(1)>"), SVG);
        assert_eq!(SVG.kind, MediaKind::File);
    }

    #[test]
    fn text_and_binary_are_told_apart() {
        assert_eq!(sniff(b"hello, world\n"), TEXT);
        assert_eq!(sniff("caf\u{e9}".as_bytes()), TEXT);
        assert_eq!(sniff(&"\u{e9}".as_bytes()[..1]), OCTET_STREAM, "nothing but a cut character");
        assert_eq!(sniff(b"text\0with nul"), OCTET_STREAM);
        assert_eq!(sniff(b"\xC3\x28garbage"), OCTET_STREAM);
        assert_eq!(sniff(b""), OCTET_STREAM);
    }

    #[test]
    fn any_bytes_give_an_answer() {
        let mut seed = 7u64;
        for len in 0..600 {
            let bytes: Vec<u8> = (0..len).map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (seed >> 56) as u8
            }).collect();
            let _ = sniff(&bytes);
        }
    }
}
