//! Bytes to normalised UTF-8 text: BOMs, UTF-16, line endings, binary data.

use brightrun_types::{Result, StageError};

/// Largest input ingest accepts. Spans are `u32` byte offsets, and a single
/// document this large is better split by the user than held in one instance.
pub const MAX_INPUT_BYTES: usize = 512 * 1024 * 1024;

/// Decodes `bytes` as text: UTF-8 (a BOM is dropped) or UTF-16 with a BOM;
/// `\r\n` and lone `\r` become `\n`. Binary data (a NUL byte, or many control
/// characters) is refused as an unsupported format; invalid UTF-8 is refused
/// with the offset of the first bad byte.
pub fn decode_text(name: &str, bytes: &[u8]) -> Result<String> {
    check_size(name, bytes)?;
    let decoded = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        decode_utf16(name, rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        decode_utf16(name, rest, u16::from_be_bytes)?
    } else {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        if let Some(offset) = looks_binary(body) {
            return Err(StageError::UnsupportedFormat {
                document: name.to_string(),
                detail: format!("binary data, not text (control byte 0x{:02x} at offset {offset})", body[offset]),
            });
        }
        match std::str::from_utf8(body) {
            Ok(text) => text.to_string(),
            Err(error) => {
                let offset = error.valid_up_to() + (bytes.len() - body.len());
                return Err(StageError::InvalidEncoding {
                    document: name.to_string(),
                    detail: format!("not valid UTF-8: byte 0x{:02x} at offset {offset}", bytes[offset]),
                });
            }
        }
    };
    Ok(normalise_line_endings(&decoded))
}

/// Decodes an HTML page: a BOM decides first, then a `<meta charset>` (or
/// `http-equiv` content type) in the first 2 KiB, as browsers do; without
/// either the bytes must be UTF-8. Legacy encodings (windows-1252,
/// Shift_JIS, …) are decoded by `encoding_rs`, the decoder Firefox uses.
pub fn decode_html(name: &str, bytes: &[u8]) -> Result<String> {
    let has_bom =
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]) || bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    if !has_bom
        && let Some(encoding) = meta_charset(&bytes[..bytes.len().min(2048)])
        && encoding != encoding_rs::UTF_8
    {
        if bytes.len() > MAX_INPUT_BYTES {
            return decode_text(name, bytes);
        }
        let (text, _, _) = encoding.decode(bytes);
        return Ok(normalise_line_endings(&text));
    }
    decode_text(name, bytes)
}

/// The encoding a `<meta>` tag declares. A page claiming UTF-16 in ASCII
/// markup is UTF-8 (the HTML standard's rule).
fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let lower: String = head.iter().map(|b| b.to_ascii_lowercase() as char).collect();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("<meta") {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |end| at + end);
        let tag = &rest[at..tag_end];
        if let Some(position) = tag.find("charset=") {
            let value = tag[position + 8..].trim_start_matches(['"', '\'', ' ']);
            let label: String =
                value.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')).collect();
            let encoding = encoding_rs::Encoding::for_label(label.as_bytes())?;
            return Some(if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                encoding_rs::UTF_8
            } else {
                encoding
            });
        }
        rest = &rest[tag_end..];
    }
    None
}

/// Refuses input larger than [`MAX_INPUT_BYTES`] or empty, for every format.
pub(crate) fn check_size(name: &str, bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(StageError::TooLarge {
            document: name.to_string(),
            detail: format!("{} bytes, more than the {MAX_INPUT_BYTES}-byte limit", bytes.len()),
        });
    }
    if bytes.is_empty() {
        return Err(StageError::EmptyInput { document: name.to_string(), detail: "0 bytes".to_string() });
    }
    Ok(())
}

fn decode_utf16(name: &str, bytes: &[u8], to_unit: fn([u8; 2]) -> u16) -> Result<String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(StageError::InvalidEncoding {
            document: name.to_string(),
            detail: format!("UTF-16 byte order mark but an odd number of bytes ({})", bytes.len() + 2),
        });
    }
    let units = bytes.chunks_exact(2).map(|pair| to_unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for (index, unit) in char::decode_utf16(units).enumerate() {
        match unit {
            Ok(ch) => text.push(ch),
            Err(error) => {
                return Err(StageError::InvalidEncoding {
                    document: name.to_string(),
                    detail: format!(
                        "not valid UTF-16: unpaired surrogate 0x{:04x} at offset {}",
                        error.unpaired_surrogate(),
                        2 + index * 2
                    ),
                });
            }
        }
    }
    Ok(text)
}

/// The offset of the first byte that marks the data as binary: a NUL, or a
/// control character other than tab, newline, carriage return and form feed
/// when such characters make up more than 1 % of the first 8 KiB.
pub(crate) fn looks_binary(bytes: &[u8]) -> Option<usize> {
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Some(offset);
    }
    let head = &bytes[..bytes.len().min(8192)];
    let is_control = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C);
    let controls = head.iter().filter(|b| is_control(b)).count();
    if controls * 100 > head.len() { head.iter().position(is_control) } else { None }
}

fn normalise_line_endings(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_string();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}
