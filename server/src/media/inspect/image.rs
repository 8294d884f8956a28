//! Photos: decoded under limits, turned upright by their EXIF orientation, and written again without any
//! metadata (EXIF and its GPS position, XMP, text chunks, comments) for others to download, with a JPEG
//! thumbnail. PNG and JPEG are re-encoded; WebP loses its EXIF and XMP chunks; GIF (animated or not) is kept
//! as it is, since GIF has no place for camera metadata but comments, which are dropped by no viewer
//! anyway... and so are removed here too (see [`strip_gif_comments`]).

use std::io::{BufReader, BufWriter, Cursor, Write};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// Longest side of a thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 320;
/// JPEG quality of re-encoded photos.
const PHOTO_QUALITY: u8 = 90;
/// JPEG quality of thumbnails.
const THUMB_QUALITY: u8 = 80;

/// How much an image may cost to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Most pixels (width times height).
    pub max_pixels: u64,
    /// Most bytes the decoder may allocate.
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self { max_pixels: 50_000_000, max_alloc: 512 * 1024 * 1024 }
    }
}

/// Why an image was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// More pixels than the limits allow (checked before decoding).
    #[error("{width} x {height} pixels is more than {max} in all")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// Not a readable image of its type.
    #[error("{0}")]
    NotDecodable(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<image::ImageError> for ImageError {
    fn from(err: image::ImageError) -> Self {
        match err {
            image::ImageError::IoError(e) => Self::Io(e),
            other => Self::NotDecodable(other.to_string()),
        }
    }
}

/// What processing found and wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts {
    /// Width, upright.
    pub width: u32,
    /// Height, upright.
    pub height: u32,
    /// The thumbnail's width.
    pub thumb_width: u32,
    /// The thumbnail's height.
    pub thumb_height: u32,
    /// The MIME type of what others download (the upload's own).
    pub mime: &'static str,
    /// Its extension.
    pub extension: &'static str,
}

/// The decoded, upright image at `path`, with its format.
fn decode(path: &Path, limits: ImageLimits) -> Result<(DynamicImage, ImageFormat), ImageError> {
    let open = || -> Result<_, ImageError> { Ok(ImageReader::new(BufReader::new(std::fs::File::open(path)?)).with_guessed_format()?) };
    // The header alone first: a small file may declare a huge picture.
    let (width, height) = open()?.into_dimensions()?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImageError::TooLarge { width, height, max: limits.max_pixels });
    }
    let mut reader = open()?;
    let format = reader.format().ok_or_else(|| ImageError::NotDecodable("not an image".into()))?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok((image, format))
}

/// Writes `image` as a JPEG of `quality` to `out`, transparency flattened on white.
fn write_jpeg(image: &DynamicImage, quality: u8, out: &Path) -> Result<(), ImageError> {
    let rgb = match image.color().has_alpha() {
        true => {
            let rgba = image.to_rgba8();
            image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                let over_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
                image::Rgb([over_white(r), over_white(g), over_white(b)])
            })
        }
        false => image.to_rgb8(),
    };
    let mut file = BufWriter::new(std::fs::File::create(out)?);
    JpegEncoder::new_with_quality(&mut file, quality).encode_image(&rgb)?;
    file.flush()?;
    Ok(())
}

/// Writes the thumbnail of `image` to `out`; its size.
fn write_thumbnail(image: &DynamicImage, out: &Path) -> Result<(u32, u32), ImageError> {
    let thumb = match image.width().max(image.height()) > THUMB_SIDE {
        true => image.thumbnail(THUMB_SIDE, THUMB_SIDE),
        false => image.clone(),
    };
    write_jpeg(&thumb, THUMB_QUALITY, out)?;
    Ok((thumb.width(), thumb.height()))
}

/// Decodes the image at `src` and writes the copy others download (without metadata) to `original_out`
/// and its JPEG thumbnail to `thumb_out`.
pub fn process_image(src: &Path, original_out: &Path, thumb_out: &Path, limits: ImageLimits) -> Result<ImageFacts, ImageError> {
    let (image, format) = decode(src, limits)?;
    let (mime, extension) = match format {
        ImageFormat::Png => {
            let mut file = BufWriter::new(std::fs::File::create(original_out)?);
            image.write_to(&mut file, ImageFormat::Png)?;
            file.flush()?;
            ("image/png", "png")
        }
        ImageFormat::Jpeg => {
            write_jpeg(&image, PHOTO_QUALITY, original_out)?;
            ("image/jpeg", "jpg")
        }
        ImageFormat::WebP => {
            std::fs::write(original_out, strip_webp_metadata(&std::fs::read(src)?))?;
            ("image/webp", "webp")
        }
        ImageFormat::Gif => {
            std::fs::write(original_out, strip_gif_comments(&std::fs::read(src)?))?;
            ("image/gif", "gif")
        }
        other => return Err(ImageError::NotDecodable(format!("{other:?} is not taken as an image"))),
    };
    let (thumb_width, thumb_height) = write_thumbnail(&image, thumb_out)?;
    Ok(ImageFacts { width: image.width(), height: image.height(), thumb_width, thumb_height, mime, extension })
}

/// Writes the JPEG thumbnail of the image at `src` (a video's poster) to `thumb_out`; its size.
pub fn thumbnail_from_image(src: &Path, thumb_out: &Path) -> Result<(u32, u32), ImageError> {
    let (image, _) = decode(src, ImageLimits::default())?;
    write_thumbnail(&image, thumb_out)
}

/// A WebP file without its `EXIF` and `XMP ` chunks (and their flags in `VP8X`). Anything that is not a
/// well-formed RIFF file is returned as it was given, less nothing: the caller decoded it already.
pub fn strip_webp_metadata(bytes: &[u8]) -> Vec<u8> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return bytes.to_vec();
    }
    let mut out = bytes[..12].to_vec();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let kind = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let end = (at + 8).saturating_add(size).saturating_add(size & 1).min(bytes.len());
        match kind {
            b"EXIF" | b"XMP " => {}
            b"VP8X" if end > at + 8 => {
                let start = out.len();
                out.extend_from_slice(&bytes[at..end]);
                // Flags: bit 3 EXIF, bit 2 XMP.
                out[start + 8] &= !0b0000_1100;
            }
            _ => out.extend_from_slice(&bytes[at..end]),
        }
        at = end;
    }
    let riff_size = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    out
}

/// A GIF without its comment and XMP extensions; the frames and the loop count stay. A GIF this walk cannot
/// follow is returned unchanged (it decoded, and it has no EXIF to carry a position).
pub fn strip_gif_comments(bytes: &[u8]) -> Vec<u8> {
    gif_without_comments(bytes).unwrap_or_else(|| bytes.to_vec())
}

fn gif_without_comments(bytes: &[u8]) -> Option<Vec<u8>> {
    let flags = *bytes.get(10)?;
    let mut at = 13 + if flags & 0x80 != 0 { 3 << ((flags & 7) + 1) } else { 0 };
    let mut out = bytes.get(..at)?.to_vec();
    // Sub-blocks from `from`: the index after their terminator.
    let blocks_end = |mut from: usize| -> Option<usize> {
        loop {
            let len = *bytes.get(from)? as usize;
            from += 1 + len;
            if len == 0 {
                return Some(from);
            }
        }
    };
    loop {
        match *bytes.get(at)? {
            0x3B => {
                out.push(0x3B);
                return Some(out);
            }
            0x21 => {
                let label = *bytes.get(at + 1)?;
                let end = blocks_end(at + 2)?;
                let xmp = label == 0xFF && bytes.get(at + 3..at + 14) == Some(b"XMP DataXMP");
                if label != 0xFE && !xmp {
                    out.extend_from_slice(bytes.get(at..end)?);
                }
                at = end;
            }
            0x2C => {
                let local = *bytes.get(at + 9)?;
                let table = if local & 0x80 != 0 { 3 << ((local & 7) + 1) } else { 0 };
                let end = blocks_end(at + 10 + table + 1)?;
                out.extend_from_slice(bytes.get(at..end)?);
                at = end;
            }
            _ => return None,
        }
    }
}

/// The dimensions of an encoded image in memory, for tests and checks.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let image = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    image.into_dimensions().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// A JPEG with an APP1 EXIF segment: orientation 6 (turn 90° clockwise) and a GPS IFD.
    fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
        let plain = encoded(&DynamicImage::ImageRgb8(image::RgbImage::from_pixel(width, height, image::Rgb([200, 10, 10]))), ImageFormat::Jpeg);
        // Big-endian TIFF: IFD0 at 8 with Orientation=6 and GPSInfo → 38; GPS IFD with GPSLatitudeRef "N".
        let mut tiff: Vec<u8> = b"MM\0\x2a\0\0\0\x08\0\x02".to_vec();
        tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
        tiff.extend([0, 0, 0, 0]);
        tiff.extend([0, 1, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0]);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut jpeg = plain[..2].to_vec();
        jpeg.extend([0xFF, 0xE1]);
        jpeg.extend(((app1.len() + 2) as u16).to_be_bytes());
        jpeg.extend(app1);
        jpeg.extend(&plain[2..]);
        jpeg
    }

    #[test]
    fn a_photo_loses_its_exif_and_is_turned_upright() {
        let dir = tempfile::tempdir().unwrap();
        let src = write(dir.path(), "in.jpg", &jpeg_with_exif(40, 20));
        let (out, thumb) = (dir.path().join("out"), dir.path().join("thumb"));
        let facts = process_image(&src, &out, &thumb, ImageLimits::default()).unwrap();
        assert_eq!((facts.width, facts.height, facts.mime), (20, 40, "image/jpeg"), "orientation 6 turns it");
        let clean = std::fs::read(&out).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"Exif"), "no EXIF left");
        assert_eq!(dimensions(&clean), Some((20, 40)));
        assert_eq!(dimensions(&std::fs::read(&thumb).unwrap()), Some((20, 40)), "a small image's thumbnail keeps its size");
    }

    #[test]
    fn a_png_loses_its_text_chunks_and_gets_a_small_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let picture = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(1000, 500, image::Rgba([0, 0, 255, 128])));
        let mut png = encoded(&picture, ImageFormat::Png);
        // A tEXt chunk after IHDR (8 + 25 bytes).
        let body = b"tEXtComment\0secret";
        let mut text = ((body.len() - 4) as u32).to_be_bytes().to_vec();
        text.extend(body);
        text.extend(crc32(body).to_be_bytes());
        png.splice(33..33, text);
        let src = write(dir.path(), "in.png", &png);
        let (out, thumb) = (dir.path().join("out"), dir.path().join("thumb"));
        let facts = process_image(&src, &out, &thumb, ImageLimits::default()).unwrap();
        assert_eq!((facts.width, facts.thumb_width, facts.thumb_height), (1000, 320, 160));
        assert!(!std::fs::read(&out).unwrap().windows(6).any(|w| w == b"secret"));
        assert!(std::fs::read(&thumb).unwrap().starts_with(&[0xFF, 0xD8]), "the thumbnail is a JPEG");
    }

    #[test]
    fn huge_and_broken_images_are_refused_before_decoding() {
        let dir = tempfile::tempdir().unwrap();
        let (out, thumb) = (dir.path().join("out"), dir.path().join("thumb"));
        // A PNG header declaring 100,000 x 100,000 pixels, with no data.
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bomb.extend(100_000u32.to_be_bytes());
        bomb.extend(100_000u32.to_be_bytes());
        bomb.extend([8, 2, 0, 0, 0]);
        let crc = crc32(&bomb[12..]);
        bomb.extend(crc.to_be_bytes());
        for chunk in [&b"IDAT\x78\x9c\x03\0\0\0\0\x01"[..], b"IEND"] {
            bomb.extend(((chunk.len() - 4) as u32).to_be_bytes());
            bomb.extend(chunk);
            bomb.extend(crc32(chunk).to_be_bytes());
        }
        let src = write(dir.path(), "bomb.png", &bomb);
        let refused = process_image(&src, &out, &thumb, ImageLimits::default());
        assert!(matches!(refused, Err(ImageError::TooLarge { width: 100_000, .. })), "{refused:?}");
        let src = write(dir.path(), "broken.png", b"\x89PNG\r\n\x1a\nthis is not a png");
        assert!(matches!(process_image(&src, &out, &thumb, ImageLimits::default()), Err(ImageError::NotDecodable(_))));
    }

    #[test]
    fn webp_and_gif_lose_their_metadata_blocks() {
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
        webp.extend(10u32.to_le_bytes());
        webp.extend([0b0000_1100, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        webp.extend(b"EXIF");
        webp.extend(3u32.to_le_bytes());
        webp.extend(b"GPS\0");
        webp.extend(b"VP8L");
        webp.extend(2u32.to_le_bytes());
        webp.extend([1, 2]);
        let clean = strip_webp_metadata(&webp);
        assert!(!clean.windows(4).any(|w| w == b"EXIF" || w == b"GPS\0"));
        assert_eq!(clean[20] & 0b1100, 0, "the VP8X flags no longer promise EXIF or XMP");
        assert_eq!(u32::from_le_bytes(clean[4..8].try_into().unwrap()) as usize, clean.len() - 8);

        let gif = encoded(&DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(4, 4, image::Rgba([1, 2, 3, 255]))), ImageFormat::Gif);
        let trailer = gif.len() - 1;
        let mut commented = gif[..trailer].to_vec();
        commented.extend([0x21, 0xFE, 6]);
        commented.extend(b"secret");
        commented.extend([0, 0x3B]);
        let clean = strip_gif_comments(&commented);
        assert!(!clean.windows(6).any(|w| w == b"secret"));
        assert_eq!(dimensions(&clean), Some((4, 4)), "still a GIF");
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
