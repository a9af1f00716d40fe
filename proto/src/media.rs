//! Metadata stripping for photo attachments before they enter the vault.
//!
//! This module owns one job: take the bytes of a JPEG or PNG a patroller attached to a sighting and
//! return the same picture without the metadata that could identify the patroller or their phone
//! (EXIF GPS and device serials, XMP, IPTC, comments, text chunks, timestamps, embedded thumbnails,
//! trailers appended after the image). It works on the container only: kept segments and chunks,
//! and all compressed pixel data, are copied byte for byte.
//!
//! It must never re-encode or decode pixels (that would alter evidence and widen the attack surface),
//! never log, print or put into an error any byte of the image, and never allocate in proportion to a
//! length the file claims: the output is built in one buffer no larger than the input. Optional
//! structure it does not know is dropped; structure a decoder might need but that it does not know is
//! refused with a typed error, because passing unknown bytes through is how metadata leaks.

use std::fmt;

pub use crate::error::MediaError;

/// Largest input accepted. Phone photos are a few MiB; the bound keeps a hostile or broken file
/// from pinning memory on a small device.
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;

/// Container format of an accepted image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageKind {
    /// JPEG (JFIF or EXIF flavoured).
    Jpeg,
    /// PNG, including APNG.
    Png,
}

impl ImageKind {
    /// IANA media type, for attachment records.
    #[must_use]
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }
}

/// An image with its metadata removed.
#[derive(Clone, PartialEq, Eq)]
pub struct Stripped {
    /// Format detected from the signature.
    pub kind: ImageKind,
    /// The stripped file; never longer than the input.
    pub bytes: Vec<u8>,
    /// Segments or chunks dropped; bytes trailing the end marker count as one.
    pub removed: usize,
}

// Hand-written so that a `{:?}` in a log line can never dump the image itself.
impl fmt::Debug for Stripped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stripped")
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .field("removed", &self.removed)
            .finish()
    }
}

/// Removes metadata from a JPEG or PNG, keeping the compressed picture data bit for bit.
///
/// # Errors
///
/// [`MediaError::TooLarge`] before any parsing if the input is over [`MAX_IMAGE_BYTES`];
/// [`MediaError::UnsupportedFormat`] for anything but JPEG and PNG; [`MediaError::Malformed`] for
/// truncated or corrupt structure; [`MediaError::UnsupportedFeature`] for structures that cannot be
/// kept or dropped safely.
pub fn strip_metadata(bytes: &[u8]) -> Result<Stripped, MediaError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(MediaError::TooLarge {
            limit: MAX_IMAGE_BYTES,
        });
    }
    if let Some(rest) = bytes.strip_prefix(&PNG_SIGNATURE) {
        strip_png(rest, bytes.len())
    } else if let Some(rest) = bytes.strip_prefix(&JPEG_SOI) {
        // The third byte is part of the signature check but also the first marker's prefix.
        if rest.first() == Some(&0xFF) {
            strip_jpeg(rest, bytes.len())
        } else {
            Err(MediaError::UnsupportedFormat)
        }
    } else {
        Err(MediaError::UnsupportedFormat)
    }
}

const TRUNCATED: MediaError = MediaError::Malformed("truncated");

// ---------------------------------------------------------------------------------------------
// JPEG

const JPEG_SOI: [u8; 2] = [0xFF, 0xD8];
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP14: u8 = 0xEE;
const JFIF_ID: &[u8] = b"JFIF\0";
/// Identifier, version, units and densities.
const JFIF_FIELDS_LEN: usize = 12;
/// The fields plus the thumbnail size: a JFIF APP0 with no thumbnail.
const JFIF_BODY_LEN: usize = 14;
const ADOBE_ID: &[u8] = b"Adobe";
/// Identifier, version, two flag words and the colour transform.
const ADOBE_BODY_LEN: usize = 12;

enum JpegSegment {
    Keep,
    Drop,
    Jfif,
    Adobe,
    Scan,
}

const fn classify_jpeg_marker(marker: u8) -> Result<JpegSegment, MediaError> {
    match marker {
        // SOFn, DHT (C4) and DAC (CC); C8 is reserved for extensions nobody defines.
        0xC0..=0xC7 | 0xC9..=0xCF => Ok(JpegSegment::Keep),
        // DQT, DNL, DRI, DHP, EXP: tables and hierarchical-mode structure, no metadata.
        0xDB..=0xDF if marker != SOS => Ok(JpegSegment::Keep),
        SOS => Ok(JpegSegment::Scan),
        APP0 => Ok(JpegSegment::Jfif),
        APP14 => Ok(JpegSegment::Adobe),
        // APP1 (EXIF, XMP), APP2 (ICC, MPF, FlashPix), APP13 (IPTC), vendor blocks, COM.
        0xE1..=0xEF | 0xFE => Ok(JpegSegment::Drop),
        // JPEG-LS and other extension markers: dropping them would break the image and keeping
        // them would pass through bytes we cannot vouch for.
        0xC8 | 0xF0..=0xFD | 0x02..=0xBF => Err(MediaError::UnsupportedFeature(
            "reserved or extension JPEG marker",
        )),
        _ => Err(MediaError::Malformed("unexpected JPEG marker")),
    }
}

/// `rest` is everything after SOI; `input_len` sizes the output so it never grows.
fn strip_jpeg(mut rest: &[u8], input_len: usize) -> Result<Stripped, MediaError> {
    let mut out = Vec::with_capacity(input_len);
    out.extend_from_slice(&JPEG_SOI);
    let mut removed = 0;

    loop {
        let Some((&prefix, after)) = rest.split_first() else {
            return Err(TRUNCATED);
        };
        if prefix != 0xFF {
            return Err(MediaError::Malformed("expected a JPEG marker"));
        }
        // Any number of 0xFF fill bytes may precede a marker; they carry nothing, so they go.
        let fill = after.iter().take_while(|&&b| b == 0xFF).count();
        let after = after.get(fill..).ok_or(TRUNCATED)?;
        let (&marker, after) = after.split_first().ok_or(TRUNCATED)?;
        rest = after;

        match marker {
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                // Phones append second images (MPF), motion-photo video and vendor trailers here.
                if !rest.is_empty() {
                    removed += 1;
                }
                return Ok(Stripped {
                    kind: ImageKind::Jpeg,
                    bytes: out,
                    removed,
                });
            }
            0xD8 => return Err(MediaError::Malformed("nested JPEG start of image")),
            // TEM and stray RSTn have no length field and no payload.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }

        let kind = classify_jpeg_marker(marker)?;
        let (len_bytes, _) = rest.split_first_chunk::<2>().ok_or(TRUNCATED)?;
        let len = usize::from(u16::from_be_bytes(*len_bytes));
        // The length counts its own two bytes, so anything shorter is impossible.
        if len < 2 {
            return Err(MediaError::Malformed("JPEG segment length too small"));
        }
        let (segment, after) = rest.split_at_checked(len).ok_or(TRUNCATED)?;
        rest = after;
        let body = segment.get(2..).ok_or(TRUNCATED)?;

        match kind {
            JpegSegment::Keep => {
                out.extend_from_slice(&[0xFF, marker]);
                out.extend_from_slice(segment);
            }
            JpegSegment::Drop => removed += 1,
            // Only the fixed JFIF fields are kept: the optional thumbnail is a second copy of the
            // picture that survives cropping or blurring, and JFXX/other APP0 blocks are not needed
            // by decoders.
            JpegSegment::Jfif => match body.get(..JFIF_FIELDS_LEN) {
                Some(fields) if fields.starts_with(JFIF_ID) && body.len() >= JFIF_BODY_LEN => {
                    push_segment(&mut out, APP0, &[fields, &[0, 0]]);
                    if body.len() > JFIF_BODY_LEN {
                        removed += 1;
                    }
                }
                _ => removed += 1,
            },
            // The Adobe block tells decoders whether the data is YCbCr/YCCK or RGB/CMYK; without
            // it colours come out wrong. Bytes past its fixed fields are not needed.
            JpegSegment::Adobe => match body.get(..ADOBE_BODY_LEN) {
                Some(fixed) if fixed.starts_with(ADOBE_ID) => {
                    push_segment(&mut out, APP14, &[fixed]);
                    if body.len() > ADOBE_BODY_LEN {
                        removed += 1;
                    }
                }
                _ => removed += 1,
            },
            JpegSegment::Scan => {
                out.extend_from_slice(&[0xFF, marker]);
                out.extend_from_slice(segment);
                let data_len = entropy_coded_len(rest)?;
                let (data, after) = rest.split_at_checked(data_len).ok_or(TRUNCATED)?;
                out.extend_from_slice(data);
                rest = after;
            }
        }
    }
}

/// Writes a segment rebuilt from a few fixed fields, so the length always fits in two bytes.
fn push_segment(out: &mut Vec<u8>, marker: u8, parts: &[&[u8]]) {
    let body_len = parts
        .iter()
        .map(|p| p.len())
        .fold(2_usize, usize::saturating_add);
    let len = u16::try_from(body_len).unwrap_or(u16::MAX);
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
}

/// Length of the entropy-coded data that follows a scan header, up to the next real marker.
///
/// Within scan data `FF 00` is a stuffed `FF` byte and `RSTn` resynchronises the decoder: both are
/// data. A run of `FF` is fill before a marker. Anything else after `FF` is the next marker, which
/// in progressive files is often DHT or the next SOS, and may be metadata that must be seen.
fn entropy_coded_len(data: &[u8]) -> Result<usize, MediaError> {
    let mut at = 0;
    loop {
        let window = data.get(at..).ok_or(TRUNCATED)?;
        let ff = window.iter().position(|&b| b == 0xFF).ok_or(TRUNCATED)?;
        let ff_at = at.saturating_add(ff);
        match data.get(ff_at.saturating_add(1)) {
            None => return Err(TRUNCATED),
            Some(0x00 | 0xD0..=0xD7) => at = ff_at.saturating_add(2),
            Some(0xFF) => at = ff_at.saturating_add(1),
            Some(_) => return Ok(ff_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PNG

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
const IHDR: [u8; 4] = *b"IHDR";
const IEND: [u8; 4] = *b"IEND";
/// PNG caps chunk lengths at 2^31 - 1 so they never read as negative in signed decoders.
const PNG_MAX_CHUNK_LEN: u32 = 0x7FFF_FFFF;

/// Chunks that decoders need to reproduce the picture, its colours, transparency and animation.
/// Everything else ancillary (text, EXIF, time, private chunks) is metadata from our side.
const PNG_KEEP: [[u8; 4]; 14] = [
    *b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"gAMA", *b"cHRM", *b"sRGB", *b"iCCP",
    *b"sBIT", *b"bKGD", *b"pHYs", *b"acTL", *b"fcTL",
];
/// APNG frame data is named with a lowercase first letter although a viewer cannot do without it.
const PNG_KEEP_APNG_DATA: [u8; 4] = *b"fdAT";

/// `rest` is everything after the signature; `input_len` sizes the output so it never grows.
fn strip_png(mut rest: &[u8], input_len: usize) -> Result<Stripped, MediaError> {
    let mut out = Vec::with_capacity(input_len);
    out.extend_from_slice(&PNG_SIGNATURE);
    let mut removed = 0;
    let mut first = true;

    loop {
        let (len_bytes, after) = rest.split_first_chunk::<4>().ok_or(TRUNCATED)?;
        let declared = u32::from_be_bytes(*len_bytes);
        if declared > PNG_MAX_CHUNK_LEN {
            return Err(MediaError::Malformed("PNG chunk length out of range"));
        }
        let data_len = usize::try_from(declared).map_err(|_| TRUNCATED)?;
        let (chunk_type, after) = after.split_first_chunk::<4>().ok_or(TRUNCATED)?;
        let (data, after) = after.split_at_checked(data_len).ok_or(TRUNCATED)?;
        let (crc_bytes, after) = after.split_first_chunk::<4>().ok_or(TRUNCATED)?;

        if !chunk_type.iter().all(u8::is_ascii_alphabetic) {
            return Err(MediaError::Malformed("invalid PNG chunk type"));
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(chunk_type);
        crc.update(data);
        if crc.finalize() != u32::from_be_bytes(*crc_bytes) {
            return Err(MediaError::Malformed("PNG chunk CRC mismatch"));
        }
        if first && *chunk_type != IHDR {
            return Err(MediaError::Malformed("PNG does not start with IHDR"));
        }
        first = false;

        let whole_len = rest.len().saturating_sub(after.len());
        let whole = rest.get(..whole_len).ok_or(TRUNCATED)?;
        rest = after;

        if PNG_KEEP.contains(chunk_type) || *chunk_type == PNG_KEEP_APNG_DATA {
            out.extend_from_slice(whole);
        } else if chunk_type.first().is_some_and(u8::is_ascii_uppercase) {
            // A critical chunk we do not know may be needed to render the image; dropping it would
            // corrupt evidence and keeping it would pass through bytes we cannot vouch for.
            return Err(MediaError::UnsupportedFeature("unknown critical PNG chunk"));
        } else {
            removed += 1;
        }

        if *chunk_type == IEND {
            if !rest.is_empty() {
                removed += 1;
            }
            return Ok(Stripped {
                kind: ImageKind::Png,
                bytes: out,
                removed,
            });
        }
    }
}

#[cfg(test)]
// Tests build their own inputs, so a failed unwrap is a broken test, not hostile input.
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    const GPS_CANARY: &[u8] =
        b"GPSLatitude=34.052235N;GPSLongitude=118.243683W;Serial=SN-CANARY-7731";
    const XMP_CANARY: &[u8] = b"xmp-canary-patroller-maria";
    const COM_CANARY: &[u8] = b"com-canary-recorded-on-5th-street";
    const THUMB_CANARY: &[u8] = b"jfif-thumbnail-canary";
    const TRAILER_CANARY: &[u8] = b"trailer-canary-motion-photo";
    const TEXT_CANARY: &[u8] = b"text-canary-author-jose";
    const ITXT_CANARY: &[u8] = b"itxt-canary-ubicacion";
    const ZTXT_CANARY: &[u8] = b"ztxt-canary-device-serial";
    const EXIF_CANARY: &[u8] = b"exif-canary-gps-40.7128N";
    const PRIVATE_CANARY: &[u8] = b"private-chunk-canary";
    /// tIME is a fixed seven bytes, so its canary is an unlikely date: 2031-12-31 23:58:57.
    const TIME_CANARY: [u8; 7] = [0x07, 0xEF, 12, 31, 23, 58, 57];

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn all_canaries() -> Vec<&'static [u8]> {
        vec![
            GPS_CANARY,
            XMP_CANARY,
            COM_CANARY,
            THUMB_CANARY,
            TRAILER_CANARY,
            TEXT_CANARY,
            ITXT_CANARY,
            ZTXT_CANARY,
            EXIF_CANARY,
            PRIVATE_CANARY,
            &TIME_CANARY,
        ]
    }

    fn pixels(width: u16, height: u16, channels: usize) -> Vec<u8> {
        let mut v = Vec::new();
        for y in 0..usize::from(height) {
            for x in 0..usize::from(width) {
                for c in 0..channels {
                    v.push(((x * 37 + y * 11 + c * 80) % 256) as u8);
                }
            }
        }
        v
    }

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let len = u16::try_from(body.len() + 2).unwrap();
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&len.to_be_bytes());
        s.extend_from_slice(body);
        s
    }

    fn encode_jpeg(progressive: bool, restart: Option<u16>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
        enc.set_progressive(progressive);
        if let Some(n) = restart {
            enc.set_restart_interval(n);
        }
        enc.encode(&pixels(24, 16, 3), 24, 16, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// Replaces the encoder's APP0 with one carrying a thumbnail, then adds EXIF, XMP, ICC-like
    /// APP2, IPTC-like APP13 and a comment, with fill bytes before one marker and a trailer.
    fn with_metadata(clean: &[u8]) -> Vec<u8> {
        assert_eq!(&clean[..4], &[0xFF, 0xD8, 0xFF, 0xE0]);
        let app0_len = usize::from(u16::from_be_bytes([clean[4], clean[5]]));
        let after_app0 = &clean[4 + app0_len..];

        // The encoder's own JFIF fields, then a 7x1 RGB thumbnail: 21 bytes, exactly the canary.
        let mut jfif = clean[6..18].to_vec();
        jfif.extend_from_slice(&[7, 1]);
        jfif.extend_from_slice(THUMB_CANARY);

        let mut exif = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
        exif.extend_from_slice(GPS_CANARY);
        let mut xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>".to_vec();
        xmp.extend_from_slice(XMP_CANARY);
        xmp.extend_from_slice(b"</dc:creator></x:xmpmeta>");
        let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
        icc.extend_from_slice(GPS_CANARY);
        let mut iptc = b"Photoshop 3.0\0".to_vec();
        iptc.extend_from_slice(COM_CANARY);

        let mut f = vec![0xFF, 0xD8];
        f.extend(segment(0xE0, &jfif));
        f.extend(segment(0xE1, &exif));
        f.extend(segment(0xE1, &xmp));
        f.extend(segment(0xE2, &icc));
        f.extend(segment(0xED, &iptc));
        f.extend_from_slice(&[0xFF, 0xFF, 0xFF]); // fill before the comment marker
        f.extend(segment(0xFE, COM_CANARY));
        f.extend_from_slice(after_app0);
        f.extend_from_slice(TRAILER_CANARY);
        f
    }

    fn decode_jpeg(bytes: &[u8]) -> Vec<u8> {
        jpeg_decoder::Decoder::new(Cursor::new(bytes))
            .decode()
            .unwrap()
    }

    fn assert_no_canaries(bytes: &[u8]) {
        for c in all_canaries() {
            assert!(
                !contains(bytes, c),
                "canary {:?} survived",
                String::from_utf8_lossy(c)
            );
        }
    }

    fn sos_positions(bytes: &[u8]) -> Vec<usize> {
        // 0xFFDA cannot occur inside scan data (0xFF is stuffed), so every hit is a real marker.
        bytes
            .windows(2)
            .enumerate()
            .filter(|(_, w)| *w == [0xFF, SOS])
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn jpeg_metadata_is_removed_and_pixels_survive() {
        let clean = encode_jpeg(false, None);
        let dirty = with_metadata(&clean);
        for c in [
            GPS_CANARY,
            XMP_CANARY,
            COM_CANARY,
            THUMB_CANARY,
            TRAILER_CANARY,
        ] {
            assert!(contains(&dirty, c));
        }

        let s = strip_metadata(&dirty).unwrap();
        assert_eq!(s.kind, ImageKind::Jpeg);
        assert_no_canaries(&s.bytes);
        // EXIF, XMP, APP2, APP13, COM, the thumbnail and the trailer.
        assert_eq!(s.removed, 7);
        assert!(s.bytes.len() < dirty.len());
        assert_eq!(decode_jpeg(&s.bytes), decode_jpeg(&clean));
        assert_eq!(s.bytes, clean);
        // The encoder wrote no metadata, so stripping its file changes nothing.
        assert_eq!(strip_metadata(&clean).unwrap().bytes, clean);
        assert!(s.bytes.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]));
        assert!(s.bytes.ends_with(&[0xFF, EOI]));
    }

    #[test]
    fn jpeg_stripping_is_idempotent() {
        let dirty = with_metadata(&encode_jpeg(false, None));
        let once = strip_metadata(&dirty).unwrap();
        let twice = strip_metadata(&once.bytes).unwrap();
        assert_eq!(twice.bytes, once.bytes);
        assert_eq!(twice.removed, 0);
    }

    #[test]
    fn progressive_jpeg_with_metadata_between_scans() {
        let clean = encode_jpeg(true, None);
        let scans = sos_positions(&clean);
        assert!(scans.len() > 1, "encoder produced a baseline file");

        let mut dirty = with_metadata(&clean);
        let second = sos_positions(&dirty)[1];
        let mut between = segment(0xFE, COM_CANARY);
        between.extend(segment(0xE1, &[b"Exif\0\0", GPS_CANARY].concat()));
        dirty.splice(second..second, between);

        let s = strip_metadata(&dirty).unwrap();
        assert_no_canaries(&s.bytes);
        assert_eq!(s.removed, 9);
        assert_eq!(sos_positions(&s.bytes).len(), scans.len());
        assert_eq!(decode_jpeg(&s.bytes), decode_jpeg(&clean));
        assert_eq!(strip_metadata(&s.bytes).unwrap().bytes, s.bytes);
    }

    #[test]
    fn restart_markers_and_stuffing_are_scan_data() {
        let clean = encode_jpeg(false, Some(1));
        assert!(
            clean
                .windows(2)
                .any(|w| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1])),
            "encoder wrote no RSTn"
        );
        let s = strip_metadata(&with_metadata(&clean)).unwrap();
        assert_eq!(decode_jpeg(&s.bytes), decode_jpeg(&clean));
        assert_eq!(s.bytes, clean);
    }

    #[test]
    fn adobe_segment_is_kept_for_colour_transforms() {
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 90)
            .encode(&pixels(8, 8, 4), 8, 8, jpeg_encoder::ColorType::Cmyk)
            .unwrap();
        assert!(contains(&out, b"Adobe"));
        let s = strip_metadata(&out).unwrap();
        assert!(contains(&s.bytes, b"Adobe"));
        assert_eq!(decode_jpeg(&s.bytes), decode_jpeg(&out));
    }

    #[test]
    fn jpeg_errors_are_typed() {
        let clean = encode_jpeg(false, None);
        // Cut inside the APP0 segment.
        assert_eq!(strip_metadata(&clean[..8]), Err(TRUNCATED));
        // Cut inside the scan: no EOI.
        assert_eq!(strip_metadata(&clean[..clean.len() - 2]), Err(TRUNCATED));
        // A segment length that runs past the end.
        let mut long = vec![0xFF, 0xD8];
        long.extend([0xFF, 0xE1, 0xFF, 0xFF, 1, 2, 3]);
        assert_eq!(strip_metadata(&long), Err(TRUNCATED));
        // Length field below its own size.
        let short = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9];
        assert!(matches!(
            strip_metadata(&short),
            Err(MediaError::Malformed(_))
        ));
        // Garbage where a marker belongs.
        let junk = [0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x02, 0x12, 0xFF, 0xD9];
        assert!(matches!(
            strip_metadata(&junk),
            Err(MediaError::Malformed(_))
        ));
        // JPEG-LS frame.
        let ls = [0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x02, 0xFF, 0xD9];
        assert!(matches!(
            strip_metadata(&ls),
            Err(MediaError::UnsupportedFeature(_))
        ));
    }

    #[test]
    fn standalone_markers_and_minimal_file() {
        let f = [0xFF, 0xD8, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xD9];
        let s = strip_metadata(&f).unwrap();
        assert_eq!(s.bytes, [0xFF, 0xD8, 0xFF, 0x01, 0xFF, 0xD9]);
        assert_eq!(s.removed, 0);
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let mut h = crc32fast::Hasher::new();
        h.update(kind);
        h.update(data);
        c.extend_from_slice(&h.finalize().to_be_bytes());
        c
    }

    /// zlib with one stored block, so the canary is visible in the file yet decodes correctly.
    fn zlib_stored(data: &[u8]) -> Vec<u8> {
        let len = u16::try_from(data.len()).unwrap();
        let mut z = vec![0x78, 0x01, 0x01];
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(data);
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in data {
            a = (a + u32::from(byte)) % 65521;
            b = (b + a) % 65521;
        }
        z.extend_from_slice(&((b << 16) | a).to_be_bytes());
        z
    }

    fn encode_png(metadata: bool) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, 6, 4);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_source_gamma(png::ScaledFloat::new(1.0 / 2.2));
            enc.set_pixel_dims(Some(png::PixelDimensions {
                xppu: 2835,
                yppu: 2835,
                unit: png::Unit::Meter,
            }));
            let mut w = enc.write_header().unwrap();
            if metadata {
                w.write_chunk(
                    png::chunk::ChunkType(*b"tEXt"),
                    &[b"Author\0", TEXT_CANARY].concat(),
                )
                .unwrap();
                w.write_chunk(
                    png::chunk::ChunkType(*b"iTXt"),
                    &[b"Location\0\0\0es\0Ubicacion\0", ITXT_CANARY].concat(),
                )
                .unwrap();
                w.write_chunk(
                    png::chunk::ChunkType(*b"zTXt"),
                    &[b"Comment\0\0".as_slice(), &zlib_stored(ZTXT_CANARY)].concat(),
                )
                .unwrap();
                w.write_chunk(
                    png::chunk::ChunkType(*b"eXIf"),
                    &[b"MM\0*", EXIF_CANARY].concat(),
                )
                .unwrap();
            }
            w.write_image_data(&pixels(6, 4, 4)).unwrap();
            if metadata {
                w.write_chunk(png::chunk::ChunkType(*b"tIME"), &TIME_CANARY)
                    .unwrap();
                w.write_chunk(png::chunk::ChunkType(*b"prVt"), PRIVATE_CANARY)
                    .unwrap();
            }
            w.finish().unwrap();
        }
        if metadata {
            out.extend_from_slice(TRAILER_CANARY);
        }
        out
    }

    fn decode_png(bytes: &[u8]) -> (Vec<u8>, usize) {
        let mut reader = png::Decoder::new(Cursor::new(bytes)).read_info().unwrap();
        let info = reader.info();
        let texts = info.uncompressed_latin1_text.len()
            + info.compressed_latin1_text.len()
            + info.utf8_text.len()
            + usize::from(info.exif_metadata.is_some());
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buf).unwrap();
        buf.truncate(frame.buffer_size());
        (buf, texts)
    }

    #[test]
    fn png_metadata_is_removed_and_pixels_survive() {
        let clean = encode_png(false);
        let dirty = encode_png(true);
        for c in [
            TEXT_CANARY,
            ITXT_CANARY,
            ZTXT_CANARY,
            EXIF_CANARY,
            PRIVATE_CANARY,
            &TIME_CANARY,
            TRAILER_CANARY,
        ] {
            assert!(contains(&dirty, c));
        }
        let (dirty_pixels, dirty_texts) = decode_png(&dirty);
        assert_eq!(dirty_texts, 4);

        let s = strip_metadata(&dirty).unwrap();
        assert_eq!(s.kind, ImageKind::Png);
        assert_no_canaries(&s.bytes);
        // tEXt, iTXt, zTXt, eXIf, tIME, prVt and the trailer.
        assert_eq!(s.removed, 7);
        let (pixels, texts) = decode_png(&s.bytes);
        assert_eq!(texts, 0);
        assert_eq!(pixels, dirty_pixels);
        assert_eq!(s.bytes, clean);
        assert!(contains(&s.bytes, b"gAMA") && contains(&s.bytes, b"pHYs"));
    }

    #[test]
    fn png_stripping_is_idempotent() {
        let once = strip_metadata(&encode_png(true)).unwrap();
        let twice = strip_metadata(&once.bytes).unwrap();
        assert_eq!(twice.bytes, once.bytes);
        assert_eq!(twice.removed, 0);
    }

    #[test]
    fn apng_frames_are_kept() {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, 2, 2);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_animated(2, 0).unwrap();
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[0, 1, 2, 3]).unwrap();
            w.write_image_data(&[4, 5, 6, 7]).unwrap();
            w.finish().unwrap();
        }
        assert!(contains(&out, b"fdAT"));
        let s = strip_metadata(&out).unwrap();
        assert_eq!(s.bytes, out);
        assert_eq!(s.removed, 0);
    }

    #[test]
    fn png_errors_are_typed() {
        let clean = encode_png(false);
        let mut bad_crc = clean.clone();
        let last = bad_crc.len() - 1;
        bad_crc[last] ^= 1;
        assert!(matches!(
            strip_metadata(&bad_crc),
            Err(MediaError::Malformed(_))
        ));

        assert_eq!(strip_metadata(&clean[..clean.len() - 12]), Err(TRUNCATED));
        assert_eq!(strip_metadata(&clean[..10]), Err(TRUNCATED));

        let iend_at = clean.len() - 12;
        let mut critical = clean[..iend_at].to_vec();
        critical.extend(png_chunk(b"QUUX", b"?"));
        critical.extend_from_slice(&clean[iend_at..]);
        assert!(matches!(
            strip_metadata(&critical),
            Err(MediaError::UnsupportedFeature(_))
        ));

        let mut huge = PNG_SIGNATURE.to_vec();
        huge.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        huge.extend_from_slice(b"IHDR");
        assert!(matches!(
            strip_metadata(&huge),
            Err(MediaError::Malformed(_))
        ));

        let mut no_ihdr = PNG_SIGNATURE.to_vec();
        no_ihdr.extend(png_chunk(b"IEND", b""));
        assert!(matches!(
            strip_metadata(&no_ihdr),
            Err(MediaError::Malformed(_))
        ));
    }

    #[test]
    fn size_and_format_are_checked_first() {
        assert_eq!(strip_metadata(b""), Err(MediaError::UnsupportedFormat));
        assert_eq!(
            strip_metadata(b"GIF89a"),
            Err(MediaError::UnsupportedFormat)
        );
        assert_eq!(
            strip_metadata(&[0xFF, 0xD8, 0x00]),
            Err(MediaError::UnsupportedFormat)
        );
        let big = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert_eq!(
            strip_metadata(&big),
            Err(MediaError::TooLarge {
                limit: MAX_IMAGE_BYTES
            })
        );
    }

    #[test]
    fn debug_and_errors_never_show_content() {
        let s = strip_metadata(&encode_png(false)).unwrap();
        let shown = format!("{s:?}");
        assert!(shown.contains("len") && !shown.contains("73, 72, 68, 82"));
        assert_eq!(
            MediaError::Malformed("truncated").to_string(),
            "malformed image: truncated"
        );
    }

    static SAMPLES: std::sync::LazyLock<[Vec<u8>; 3]> = std::sync::LazyLock::new(|| {
        [
            with_metadata(&encode_jpeg(false, None)),
            with_metadata(&encode_jpeg(true, Some(2))),
            encode_png(true),
        ]
    });

    /// Anything accepted must shrink or stay, and be a fixed point of stripping.
    fn check(input: &[u8]) -> Result<(), TestCaseError> {
        if let Ok(s) = strip_metadata(input) {
            prop_assert!(s.bytes.len() <= input.len());
            let again = strip_metadata(&s.bytes);
            prop_assert_eq!(again.as_ref().map(|a| &a.bytes), Ok(&s.bytes));
            prop_assert_eq!(again.map(|a| a.removed), Ok(0));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            check(&bytes)?;
        }

        #[test]
        fn arbitrary_bytes_behind_a_signature_never_panic(
            png in any::<bool>(),
            tail in prop::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut bytes = if png { PNG_SIGNATURE.to_vec() } else { vec![0xFF, 0xD8, 0xFF] };
            bytes.extend(tail);
            check(&bytes)?;
        }

        #[test]
        fn mutated_files_never_panic(
            which in 0usize..3,
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
            cut in any::<prop::sample::Index>(),
            truncate in prop::bool::weighted(0.2),
        ) {
            let mut bytes = SAMPLES[which].clone();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len());
                match op {
                    0 => bytes[i] = byte,
                    1 => bytes[i] ^= 1 << (byte % 8),
                    2 => bytes.insert(i, byte),
                    _ => { bytes.remove(i); }
                }
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            check(&bytes)?;
        }

        #[test]
        fn any_inserted_jpeg_metadata_segment_is_dropped(
            which in 0usize..2,
            marker in prop_oneof![0xE1u8..=0xEF, Just(0xFEu8)],
            payload in prop::collection::vec(any::<u8>(), 0..512),
            at in any::<prop::sample::Index>(),
        ) {
            let base = &SAMPLES[which];
            let expected = strip_metadata(base).unwrap();
            let mut points = sos_positions(base);
            points.push(2);
            let mut bytes = base.clone();
            let insert_at = points[at.index(points.len())];
            bytes.splice(insert_at..insert_at, segment(marker, &payload));
            let s = strip_metadata(&bytes).unwrap();
            prop_assert_eq!(&s.bytes, &expected.bytes);
            prop_assert_eq!(s.removed, expected.removed + 1);
        }

        #[test]
        fn any_inserted_png_ancillary_chunk_is_dropped(
            kind in "[a-z][a-zA-Z]{3}",
            data in prop::collection::vec(any::<u8>(), 0..512),
            at in any::<prop::sample::Index>(),
        ) {
            let kind: [u8; 4] = kind.as_bytes().try_into().unwrap();
            prop_assume!(!PNG_KEEP.contains(&kind) && kind != PNG_KEEP_APNG_DATA);
            let base = &SAMPLES[2];
            let expected = strip_metadata(base).unwrap();
            // Chunk boundaries after IHDR and up to IEND.
            let mut points = Vec::new();
            let mut pos = PNG_SIGNATURE.len();
            while pos < base.len() {
                let len = u32::from_be_bytes(base[pos..pos + 4].try_into().unwrap()) as usize;
                let is_iend = &base[pos + 4..pos + 8] == b"IEND";
                pos += 12 + len;
                points.push(pos);
                if is_iend {
                    break;
                }
            }
            let mut bytes = base.clone();
            let insert_at = points[at.index(points.len() - 1)];
            bytes.splice(insert_at..insert_at, png_chunk(&kind, &data));
            let s = strip_metadata(&bytes).unwrap();
            prop_assert_eq!(&s.bytes, &expected.bytes);
            prop_assert_eq!(s.removed, expected.removed + 1);
        }
    }
}
