//! Containers: whether an MP4 or WebM file has a video track, and the picture's size. Read from the file
//! with seeks (an MP4's `moov` box may sit at its end); at most [`MAX_BOX_BYTES`] of any box is read and at
//! most [`MAX_ELEMENTS`] elements are visited, so a crafted file costs little.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use confab_protocol::rest::media::MediaKind;

use super::sniff::{Sniffed, MP4_AUDIO, WEBM_AUDIO};

/// The largest `moov` box read, and the most of a WebM file's start read.
pub const MAX_BOX_BYTES: u64 = 16 * 1024 * 1024;
/// Boxes or elements visited at most.
const MAX_ELEMENTS: usize = 100_000;

/// A file's type, refined by its container, and its picture size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probed {
    /// The type (an MP4 or WebM without video becomes audio).
    pub sniffed: Sniffed,
    /// Picture width, when the container says.
    pub width: Option<u32>,
    /// Picture height.
    pub height: Option<u32>,
}

/// What the tracks of a container showed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tracks {
    video: bool,
    size: Option<(u32, u32)>,
}

/// Reads the container of the file at `path`, which sniffed as `sniffed`.
pub fn probe(path: &Path, sniffed: Sniffed) -> std::io::Result<Probed> {
    let plain = Probed { sniffed, width: None, height: None };
    if sniffed.kind != MediaKind::Video {
        return Ok(plain);
    }
    let mut file = File::open(path)?;
    let tracks = match sniffed.mime {
        "video/webm" => {
            let mut start = Vec::new();
            (&mut file).take(MAX_BOX_BYTES).read_to_end(&mut start)?;
            webm_tracks(&start)
        }
        _ => mp4_tracks(&mut file)?,
    };
    Ok(match tracks {
        // Nothing readable: keep what the magic said.
        None => plain,
        Some(Tracks { video: false, .. }) => {
            let audio = if sniffed.mime == "video/webm" { WEBM_AUDIO } else { MP4_AUDIO };
            Probed { sniffed: audio, width: None, height: None }
        }
        Some(Tracks { size, .. }) => Probed { sniffed, width: size.map(|s| s.0), height: size.map(|s| s.1) },
    })
}

// ---------------------------------------------------------------------------------------------------------
// MP4 (ISO base media): boxes of [size u32][type 4][payload], size 1 = a u64 size follows, 0 = to the end.

/// The `moov` box's payload, found by walking the top-level boxes.
fn find_moov(file: &mut File) -> std::io::Result<Option<Vec<u8>>> {
    let end = file.seek(SeekFrom::End(0))?;
    let mut at = 0u64;
    for _ in 0..MAX_ELEMENTS {
        if at + 8 > end {
            return Ok(None);
        }
        file.seek(SeekFrom::Start(at))?;
        let mut header = [0u8; 16];
        let got = file.read(&mut header)?;
        if got < 8 {
            return Ok(None);
        }
        let (size, header_len) = match u32::from_be_bytes(header[..4].try_into().unwrap()) {
            0 => (end - at, 8),
            1 if got >= 16 => (u64::from_be_bytes(header[8..16].try_into().unwrap()), 16),
            1 => return Ok(None),
            n => (u64::from(n), 8),
        };
        if size < header_len {
            return Ok(None);
        }
        if &header[4..8] == b"moov" {
            let len = (size - header_len).min(MAX_BOX_BYTES).min(end - at - header_len);
            file.seek(SeekFrom::Start(at + header_len))?;
            let mut moov = vec![0u8; len as usize];
            file.read_exact(&mut moov)?;
            return Ok(Some(moov));
        }
        at = at.saturating_add(size);
    }
    Ok(None)
}

/// The child boxes of `payload`: (type, payload).
fn boxes(payload: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut rest = payload;
    while rest.len() >= 8 && out.len() < MAX_ELEMENTS {
        let size = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = rest[4..8].try_into().unwrap();
        let (size, header) = match size {
            0 => (rest.len(), 8),
            1 if rest.len() >= 16 => (usize::try_from(u64::from_be_bytes(rest[8..16].try_into().unwrap())).unwrap_or(usize::MAX), 16),
            _ => (size, 8),
        };
        if size < header || size > rest.len() {
            break;
        }
        out.push((kind, &rest[header..size]));
        rest = &rest[size..];
    }
    out
}

fn child<'a>(payload: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(payload).into_iter().find(|(k, _)| k == kind).map(|(_, p)| p)
}

/// Width and height of a `tkhd` payload (16.16 fixed point).
fn tkhd_size(tkhd: &[u8]) -> Option<(u32, u32)> {
    let at = match tkhd.first()? {
        0 => 76,
        1 => 88,
        _ => return None,
    };
    let fixed = |i: usize| tkhd.get(i..i + 4).map(|b| u32::from_be_bytes(b.try_into().unwrap()) >> 16);
    Some((fixed(at)?, fixed(at + 4)?))
}

fn mp4_tracks(file: &mut File) -> std::io::Result<Option<Tracks>> {
    let Some(moov) = find_moov(file)? else { return Ok(None) };
    let mut tracks = Tracks::default();
    for (kind, trak) in boxes(&moov) {
        if &kind != b"trak" {
            continue;
        }
        let handler = child(trak, b"mdia").and_then(|mdia| child(mdia, b"hdlr")).and_then(|hdlr| hdlr.get(8..12));
        if handler == Some(b"vide") {
            tracks.video = true;
            let size = child(trak, b"tkhd").and_then(tkhd_size).filter(|(w, h)| *w > 0 && *h > 0);
            tracks.size = tracks.size.or(size);
        }
    }
    Ok(Some(tracks))
}

// ---------------------------------------------------------------------------------------------------------
// WebM / Matroska (EBML): elements of [id vint][size vint][payload]; an all-ones size is "unknown" (to the
// end of the parent), as MediaRecorder writes its Segment and Clusters.

const SEGMENT: u32 = 0x1853_8067;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const CLUSTER: u32 = 0x1F43_B675;
const EBML_HEADER: u32 = 0x1A45_DFA3;

/// A variable-length integer at the start of `bytes`: (value, length); the id keeps its marker bit.
fn vint(bytes: &[u8], keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || bytes.len() < len {
        return None;
    }
    let mut value = if keep_marker { u64::from(first) } else { u64::from(first) & (0xFF >> len) };
    for b in &bytes[1..len] {
        value = (value << 8) | u64::from(*b);
    }
    Some((value, len))
}

/// An element's id, payload length (`None`: unknown), and header length.
fn element(bytes: &[u8]) -> Option<(u32, Option<usize>, usize)> {
    let (id, id_len) = vint(bytes, true)?;
    let (size, size_len) = vint(&bytes[id_len..], false)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    let size = (!unknown).then(|| usize::try_from(size).unwrap_or(usize::MAX));
    Some((u32::try_from(id).ok()?, size, id_len + size_len))
}

fn uint(payload: &[u8]) -> Option<u64> {
    (payload.len() <= 8).then(|| payload.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)))
}

/// Walks `bytes`, descending into the elements that lead to the tracks; stops at the first Cluster.
fn webm_tracks(bytes: &[u8]) -> Option<Tracks> {
    let mut tracks = Tracks::default();
    let mut seen_tracks = false;
    let mut at = 0usize;
    let mut width = None;
    for _ in 0..MAX_ELEMENTS {
        let Some((id, size, header)) = bytes.get(at..).and_then(element) else { break };
        let start = at + header;
        match id {
            // Containers whose children are read in place.
            EBML_HEADER => at = start + size?,
            SEGMENT | TRACKS => {
                seen_tracks |= id == TRACKS;
                at = start;
            }
            TRACK_ENTRY | VIDEO => at = start,
            CLUSTER => break,
            _ => {
                let size = size?;
                let payload = bytes.get(start..start.checked_add(size)?)?;
                match id {
                    TRACK_TYPE if uint(payload) == Some(1) => tracks.video = true,
                    PIXEL_WIDTH => width = uint(payload).and_then(|w| u32::try_from(w).ok()),
                    PIXEL_HEIGHT => {
                        let height = uint(payload).and_then(|h| u32::try_from(h).ok());
                        if let (Some(w), Some(h), None) = (width, height, tracks.size) {
                            tracks.size = Some((w, h));
                        }
                    }
                    _ => {}
                }
                at = start + size;
            }
        }
    }
    seen_tracks.then_some(tracks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::inspect::sniff;

    /// An MP4 box.
    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend(kind);
        out.extend(payload);
        out
    }

    fn track(handler: &[u8; 4], width: u32, height: u32) -> Vec<u8> {
        let mut tkhd = vec![0u8; 84];
        tkhd[76..80].copy_from_slice(&(width << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(height << 16).to_be_bytes());
        let mut hdlr = vec![0u8; 24];
        hdlr[8..12].copy_from_slice(handler);
        let mdia = mp4_box(b"mdia", &mp4_box(b"hdlr", &hdlr));
        mp4_box(b"trak", &[mp4_box(b"tkhd", &tkhd), mdia].concat())
    }

    fn probe_bytes(bytes: &[u8]) -> Probed {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        probe(&path, sniff(bytes)).unwrap()
    }

    #[test]
    fn an_mp4_with_video_has_its_size_even_with_moov_at_the_end() {
        let ftyp = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2");
        let mdat = mp4_box(b"mdat", &[0u8; 1000]);
        let moov = mp4_box(b"moov", &[track(b"soun", 0, 0), track(b"vide", 640, 360)].concat());
        let probed = probe_bytes(&[ftyp, mdat, moov].concat());
        assert_eq!((probed.sniffed.mime, probed.width, probed.height), ("video/mp4", Some(640), Some(360)));
    }

    #[test]
    fn an_mp4_without_video_is_audio() {
        let ftyp = mp4_box(b"ftyp", b"isom\0\0\x02\0");
        let moov = mp4_box(b"moov", &track(b"soun", 0, 0));
        assert_eq!(probe_bytes(&[ftyp, moov].concat()).sniffed, MP4_AUDIO);
    }

    /// An EBML element with a one-byte size, or an unknown size.
    fn ebml(id: &[u8], payload: &[u8], unknown: bool) -> Vec<u8> {
        let mut out = id.to_vec();
        match unknown {
            true => out.push(0xFF),
            false => out.extend([0x40 | (payload.len() >> 8) as u8, payload.len() as u8]),
        }
        out.extend(payload);
        out
    }

    fn webm(video: bool) -> Vec<u8> {
        let header = ebml(&[0x1A, 0x45, 0xDF, 0xA3], &ebml(&[0x42, 0x82], b"webm", false), false);
        let mut entry = ebml(&[0x83], &[if video { 1 } else { 2 }], false);
        if video {
            entry.extend(ebml(&[0xE0], &[ebml(&[0xB0], &[0x02, 0x80], false), ebml(&[0xBA], &[0x01, 0xE0], false)].concat(), false));
        }
        let tracks = ebml(&[0x16, 0x54, 0xAE, 0x6B], &ebml(&[0xAE], &entry, false), false);
        let cluster = ebml(&[0x1F, 0x43, 0xB6, 0x75], &[0u8; 50], true);
        let segment = ebml(&[0x18, 0x53, 0x80, 0x67], &[tracks, cluster].concat(), true);
        [header, segment].concat()
    }

    #[test]
    fn a_recorded_webm_tells_video_from_a_voice_note() {
        let video = probe_bytes(&webm(true));
        assert_eq!((video.sniffed.mime, video.width, video.height), ("video/webm", Some(640), Some(480)));
        let voice = probe_bytes(&webm(false));
        assert_eq!((voice.sniffed, voice.width), (WEBM_AUDIO, None));
    }

    #[test]
    fn truncated_and_garbage_containers_end_without_a_panic() {
        let whole = webm(true);
        for cut in 0..whole.len() {
            probe_bytes(&whole[..cut]);
        }
        let mp4 = [mp4_box(b"ftyp", b"isom"), mp4_box(b"moov", &track(b"vide", 1, 1))].concat();
        for cut in 0..mp4.len() {
            probe_bytes(&mp4[..cut]);
        }
        let mut lies = mp4_box(b"ftyp", b"isom");
        lies.extend([0xFF, 0xFF, 0xFF, 0xF0, b'm', b'o', b'o', b'v']);
        probe_bytes(&lies);
        probe_bytes(&[0x1A, 0x45, 0xDF, 0xA3, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    }
}
