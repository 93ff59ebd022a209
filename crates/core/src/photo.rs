//! Photos taken on a visit (ảnh chụp tại cơ sở): the rules the field app, the
//! server and validation share. A visit holds only [`PhotoRef`]s; the image
//! bytes are stored beside it on the device and uploaded, content-addressed by
//! their SHA-256, before the visit that names them is pushed.
//!
//! [`PhotoRef`]: crate::visit::PhotoRef
use crate::hash::ContentHash;

/// Largest image the server stores, bytes (the device shrinks photos well
/// below this before storing them).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Longest side, in pixels, a photo is shrunk to on the device: enough to read
/// a signboard or a certificate, small enough for a weak mobile link.
pub const MAX_PHOTO_SIDE: u32 = 1600;

/// JPEG quality of a shrunk photo (the browser's `toBlob` scale, 0–1).
pub const JPEG_QUALITY: f64 = 0.8;

/// A photo heavier than this is re-encoded even when its size in pixels fits
/// (a 1600-pixel JPEG at [`JPEG_QUALITY`] weighs a few hundred KB).
pub const REENCODE_ABOVE_BYTES: usize = 1024 * 1024;

/// At most this many photos on one visit.
pub const MAX_PHOTOS_PER_VISIT: usize = 20;

/// The image formats accepted, recognised by their first bytes (the name or
/// the type a browser claims are not trusted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    /// The format of `bytes`, or `None` when they are not an accepted image.
    pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageType::Webp)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }
}

/// Lowercase hex SHA-256 of a photo's bytes: its name on the server.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ContentHash::of_bytes(bytes).0
}

/// Whether `s` is a photo name: 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The size a `width`×`height` image is drawn at so that neither side
/// exceeds `max_side`, keeping its proportions; `None` when it already fits.
pub fn fit_within(width: u32, height: u32, max_side: u32) -> Option<(u32, u32)> {
    let longest = width.max(height);
    if longest <= max_side || longest == 0 {
        return None;
    }
    let scale = |side: u32| -> u32 {
        // Rounded, and never 0 for a very thin image.
        ((u64::from(side) * u64::from(max_side) + u64::from(longest) / 2) / u64::from(longest))
            .max(1) as u32
    };
    Some((scale(width), scale(height)))
}

/// Whether a picked image must be redrawn (as a JPEG) before it is stored,
/// and at what size: when it is larger than [`MAX_PHOTO_SIDE`], heavier than
/// [`REENCODE_ABOVE_BYTES`], or in a format the server does not take (a
/// phone's HEIC, say, that the browser can still decode).
pub fn redraw_size(width: u32, height: u32, bytes: &[u8]) -> Option<(u32, u32)> {
    match fit_within(width, height, MAX_PHOTO_SIDE) {
        Some(size) => Some(size),
        None if bytes.len() > REENCODE_ABOVE_BYTES || ImageType::sniff(bytes).is_none() => {
            Some((width.max(1), height.max(1)))
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_their_bytes_not_their_names() {
        assert_eq!(
            ImageType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(
            ImageType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageType::Png)
        );
        assert_eq!(
            ImageType::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageType::Webp)
        );
        assert_eq!(
            ImageType::sniff(b"RIFF\x24\0\0\0WAVEfmt "),
            None,
            "a RIFF that is not WebP"
        );
        assert_eq!(ImageType::sniff(b"%PDF-1.7"), None);
        assert_eq!(ImageType::sniff(b""), None);
        assert_eq!(ImageType::Jpeg.mime(), "image/jpeg");
    }

    #[test]
    fn photo_names_are_lowercase_hex_sha256() {
        let name = sha256_hex(b"abc");
        assert_eq!(
            name,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&name));
        assert!(!is_sha256_hex(&name.to_uppercase()));
        assert!(!is_sha256_hex(&name[1..]));
        assert!(!is_sha256_hex(&format!("{}g", &name[1..])));
    }

    #[test]
    fn large_photos_shrink_to_the_longest_side_keeping_proportions() {
        assert_eq!(fit_within(4000, 3000, 1600), Some((1600, 1200)));
        assert_eq!(fit_within(3000, 4000, 1600), Some((1200, 1600)));
        assert_eq!(fit_within(4032, 1816, 1600), Some((1600, 721)));
        assert_eq!(fit_within(1600, 900, 1600), None, "already fits");
        assert_eq!(
            fit_within(100_000, 1, 1600),
            Some((1600, 1)),
            "never a zero side"
        );
        assert_eq!(fit_within(0, 0, 1600), None);
    }

    #[test]
    fn a_photo_is_redrawn_when_too_big_too_heavy_or_not_a_server_format() {
        let small_jpeg = [0xFF, 0xD8, 0xFF, 0xE0];
        assert_eq!(redraw_size(1200, 900, &small_jpeg), None, "kept as taken");
        assert_eq!(redraw_size(4000, 3000, &small_jpeg), Some((1600, 1200)));
        let mut heavy = small_jpeg.to_vec();
        heavy.resize(REENCODE_ABOVE_BYTES + 1, 0);
        assert_eq!(
            redraw_size(1200, 900, &heavy),
            Some((1200, 900)),
            "same size, lighter"
        );
        let heic = b"\0\0\0\x18ftypheic";
        assert_eq!(
            redraw_size(1200, 900, heic),
            Some((1200, 900)),
            "into a format the server takes"
        );
    }
}
