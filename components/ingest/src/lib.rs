//! brightrun's ingest stage: bytes in, a structured [`Document`] out.
//!
//! Every format is decoded into the same thing: a *normalised text* (the
//! document's readable text with markup removed, blocks separated by a blank
//! line) and a list of blocks whose spans are byte offsets into it. Later
//! stages and every evidence span point into that one string, so a pair can be
//! checked against its source by slicing, whatever the source format was.
//!
//! This first version decodes plain text and Markdown (CommonMark with GitHub
//! tables). The format is detected from the content, with the file name and
//! media type only as hints.

mod decode;
mod markdown;
mod plain;

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::{Block, BlockKind, Document, Result, SourceFormat, Span, StageError};

pub use decode::{MAX_INPUT_BYTES, decode_text};

/// Decodes `bytes` named `name` into a document.
///
/// `media_type` (for example `"text/markdown"`) and the extension of `name`
/// are hints; the content decides. Errors name the document: empty input,
/// bytes that are not text, invalid UTF-8 (with the first bad offset), input
/// larger than [`MAX_INPUT_BYTES`], or text that holds no block at all.
pub fn ingest(name: &str, media_type: Option<&str>, bytes: &[u8]) -> Result<Document> {
    let text = decode_text(name, bytes)?;
    if text.trim().is_empty() {
        return Err(StageError::EmptyInput {
            document: name.to_string(),
            detail: format!("{} bytes, no text", bytes.len()),
        });
    }
    let format = detect_format(name, media_type, &text);
    let mut builder = match format {
        SourceFormat::Markdown => markdown::parse(&text),
        SourceFormat::PlainText => plain::parse(&text),
    };
    if builder.blocks.is_empty() {
        return Err(StageError::NoContent {
            document: name.to_string(),
            detail: format!("decoded as {} but no text block was found", format.as_str()),
        });
    }
    let title = builder
        .blocks
        .iter()
        .filter(|block| block.kind == BlockKind::Heading)
        .min_by_key(|block| block.level)
        .and_then(|block| block.span.slice(&builder.text))
        .map(str::to_string)
        .unwrap_or_else(|| file_stem(name));
    Ok(Document {
        name: name.to_string(),
        format,
        title,
        text: std::mem::take(&mut builder.text),
        blocks: std::mem::take(&mut builder.blocks),
    })
}

/// Picks the format. A `.md`/`.markdown` name or a `text/markdown` media type
/// says Markdown; otherwise the content does when it has Markdown's tell-tale
/// lines (ATX headings, fences, tables, links), and plain text is the rest.
pub fn detect_format(name: &str, media_type: Option<&str>, text: &str) -> SourceFormat {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.ends_with(".markdown") || media_type == Some("text/markdown") {
        return SourceFormat::Markdown;
    }
    if lower.ends_with(".txt") || media_type == Some("text/plain") {
        return SourceFormat::PlainText;
    }
    let markdown_lines = text
        .lines()
        .take(400)
        .filter(|line| {
            let line = line.trim_start();
            line.starts_with("# ")
                || line.starts_with("## ")
                || line.starts_with("```")
                || (line.starts_with('|') && line.ends_with('|'))
                || line.contains("](")
        })
        .count();
    if markdown_lines >= 2 { SourceFormat::Markdown } else { SourceFormat::PlainText }
}

fn file_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => base.to_string(),
    }
}

/// Accumulates normalised text and blocks; shared by the format decoders.
#[derive(Default)]
pub(crate) struct DocumentBuilder {
    pub(crate) text: String,
    pub(crate) blocks: Vec<Block>,
}

impl DocumentBuilder {
    /// Appends one block's text (trimmed; blank text is skipped) after a blank
    /// line and records its span.
    pub(crate) fn push(
        &mut self,
        kind: BlockKind,
        level: u8,
        ordinal: Option<u32>,
        language: Option<String>,
        raw: &str,
    ) {
        let content = if kind == BlockKind::Code { raw.trim_end_matches('\n') } else { raw.trim() };
        if content.trim().is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
        }
        let start = self.text.len();
        self.text.push_str(content);
        let span = Span::new(start, self.text.len());
        self.blocks.push(Block { kind, level, ordinal, span, language });
    }
}

#[cfg(test)]
mod tests;
