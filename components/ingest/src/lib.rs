//! brightrun's ingest stage: bytes in, structured [`Document`]s out.
//!
//! Every format is decoded into the same thing: a *normalised text* (the
//! document's readable text with markup removed, blocks separated by a blank
//! line) and a list of blocks whose spans are byte offsets into it. Later
//! stages and every evidence span point into that one string, so a pair can be
//! checked against its source by slicing, whatever the source format was.
//!
//! The format is detected from the content ([`sniff`]): magic bytes for PDF,
//! the zip directory for DOCX, markup for HTML, a parse for JSON. The name's
//! extension and the media type are hints; when they disagree with the
//! content, the content wins and the disagreement is a warning.

mod asciidoc;
mod decode;
mod docx;
#[doc(hidden)]
pub mod hostile;
mod html;
mod json;
mod markdown;
mod pdf;
mod plain;
mod rst;
mod subject;

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::{
    Block, BlockKind, Document, IngestConfig, Ingested, InputProblem, Result, SourceFormat, Span, StageError,
};

pub use decode::{MAX_INPUT_BYTES, decode_html, decode_text};

/// Decodes `bytes` named `name` into documents: one for most formats, one per
/// record for JSON and JSON Lines.
///
/// Errors name the document: empty input, binary data that is no supported
/// format, invalid UTF-8 (with the first bad offset), a damaged container,
/// encryption, a PDF without text, a part that inflates past
/// `config.max_inflated_bytes`, input larger than [`MAX_INPUT_BYTES`], or
/// input that holds no block at all.
pub fn ingest(name: &str, media_type: Option<&str>, bytes: &[u8], config: &IngestConfig) -> Result<Ingested> {
    decode::check_size(name, bytes)?;
    if config.max_inflated_bytes == 0 || config.text_fields.is_empty() {
        return Err(StageError::InvalidConfig {
            document: name.to_string(),
            detail: "max-inflated-bytes must be positive and text-fields must name at least one field".to_string(),
        });
    }
    let hint = format_hint(name, media_type);
    let detected = sniff(name, bytes, hint)?;
    let mut warnings = Vec::new();
    let documents = match detected {
        Sniffed::Pdf => {
            vec![finish(
                name,
                SourceFormat::Pdf,
                pdf::parse(name, bytes, config, &mut warnings)?,
                PageTitles::default(),
            )?]
        }
        Sniffed::Docx => {
            let titles = PageTitles { page: docx::core_title(bytes, config), home: None };
            vec![finish(name, SourceFormat::Docx, docx::parse(name, bytes, config)?, titles)?]
        }
        Sniffed::Html => {
            let text = decode_html(name, bytes)?;
            check_html_depth(name, &text)?;
            let (builder, titles) = html::parse(&text);
            vec![finish(name, SourceFormat::Html, builder, titles)?]
        }
        Sniffed::JsonLike => {
            let text = decode_text(name, bytes)?;
            decode_json_like(name, &text, hint, config, &mut warnings)?
        }
        Sniffed::Text => {
            let text = decode_text(name, bytes)?;
            vec![decode_plain_or_markdown(name, media_type, &text)?]
        }
    };
    if let Some(hint) = hint {
        let format = documents.first().map_or(hint, |document| document.format);
        let compatible = format == hint
            || matches!(
                (hint, format),
                (
                    SourceFormat::PlainText
                        | SourceFormat::Markdown
                        | SourceFormat::RestructuredText
                        | SourceFormat::AsciiDoc,
                    SourceFormat::PlainText
                        | SourceFormat::Markdown
                        | SourceFormat::RestructuredText
                        | SourceFormat::AsciiDoc
                )
            )
            || matches!(
                (hint, format),
                (SourceFormat::Json | SourceFormat::JsonLines, SourceFormat::Json | SourceFormat::JsonLines)
            );
        if !compatible {
            warnings.insert(
                0,
                InputProblem {
                    document: name.to_string(),
                    detail: format!("named as {hint} but the content is {format}; read as {format}"),
                },
            );
        }
    }
    Ok(Ingested { documents, warnings })
}

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// `%PDF-` near the start.
    Pdf,
    /// A zip holding `word/document.xml`.
    Docx,
    /// Markup that starts like an HTML page.
    Html,
    /// Text starting with `{` or `[`: JSON, JSON Lines, or text after all.
    JsonLike,
    /// Anything else that is text: plain text or Markdown.
    Text,
}

/// Detects the format from the content. A zip without a Word document, an
/// OLE file (legacy or encrypted Office) and bytes named `.pdf`/`.docx` that
/// are neither are errors here, before any decoder runs.
pub fn sniff(name: &str, bytes: &[u8], hint: Option<SourceFormat>) -> Result<Sniffed> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|window| window == b"%PDF-") {
        return Ok(Sniffed::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return match docx::is_word_zip(bytes) {
            Some(true) => Ok(Sniffed::Docx),
            Some(false) => Err(StageError::UnsupportedFormat {
                document: name.to_string(),
                detail: "a zip archive without word/document.xml, so not a Word document".to_string(),
            }),
            None => Err(StageError::Corrupt {
                document: name.to_string(),
                detail: "starts like a zip archive but its central directory cannot be read (truncated?)".to_string(),
            }),
        };
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(if hint == Some(SourceFormat::Docx) {
            StageError::Encrypted {
                document: name.to_string(),
                detail: "an OLE compound file where a .docx zip was expected: a password-protected Word document \
                         (or a legacy .doc); save it as .docx without a password"
                    .to_string(),
            }
        } else {
            StageError::UnsupportedFormat {
                document: name.to_string(),
                detail: "an OLE compound file (legacy Office format); save it as .docx".to_string(),
            }
        });
    }
    if let Some(expected @ (SourceFormat::Pdf | SourceFormat::Docx)) = hint
        && decode::looks_binary(bytes).is_some()
    {
        let start: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return Err(StageError::Corrupt {
            document: name.to_string(),
            detail: format!("named as {expected} but the content is not (it starts with {})", start.join(" ")),
        });
    }
    let text_start = skip_bom_and_whitespace(head);
    let lower: String = text_start.iter().take(512).map(|b| b.to_ascii_lowercase() as char).collect();
    let html_markers = ["<!doctype html", "<html", "<head", "<body"];
    if html_markers.iter().any(|marker| lower.starts_with(marker))
        || ((lower.starts_with("<!--") || lower.starts_with("<?xml")) && lower.contains("<html"))
        || (hint == Some(SourceFormat::Html) && lower.starts_with('<'))
    {
        return Ok(Sniffed::Html);
    }
    if lower.starts_with('{') || lower.starts_with('[') {
        return Ok(Sniffed::JsonLike);
    }
    Ok(Sniffed::Text)
}

fn skip_bom_and_whitespace(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The format the name's extension or the media type suggests.
pub fn format_hint(name: &str, media_type: Option<&str>) -> Option<SourceFormat> {
    let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    let by_extension = match extension.as_deref() {
        Some("md" | "markdown") => Some(SourceFormat::Markdown),
        Some("txt" | "text") => Some(SourceFormat::PlainText),
        Some("rst" | "rest") => Some(SourceFormat::RestructuredText),
        Some("adoc" | "asciidoc" | "asc") => Some(SourceFormat::AsciiDoc),
        Some("html" | "htm" | "xhtml") => Some(SourceFormat::Html),
        Some("pdf") => Some(SourceFormat::Pdf),
        Some("docx") => Some(SourceFormat::Docx),
        Some("json") => Some(SourceFormat::Json),
        Some("jsonl" | "ndjson") => Some(SourceFormat::JsonLines),
        _ => None,
    };
    let by_media = match media_type.map(|m| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase()).as_deref() {
        Some("text/markdown") => Some(SourceFormat::Markdown),
        Some("text/plain") => Some(SourceFormat::PlainText),
        Some("text/x-rst" | "text/prs.fallenstein.rst") => Some(SourceFormat::RestructuredText),
        Some("text/asciidoc" | "text/x-asciidoc") => Some(SourceFormat::AsciiDoc),
        Some("text/html" | "application/xhtml+xml") => Some(SourceFormat::Html),
        Some("application/pdf") => Some(SourceFormat::Pdf),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document") => Some(SourceFormat::Docx),
        Some("application/json") => Some(SourceFormat::Json),
        Some("application/jsonl" | "application/x-ndjson" | "application/jsonlines") => Some(SourceFormat::JsonLines),
        _ => None,
    };
    by_media.or(by_extension)
}

/// Text starting with `{` or `[`: one JSON value, JSON Lines, or (when it is
/// neither and was not named as JSON) plain text or Markdown.
fn decode_json_like(
    name: &str,
    text: &str,
    hint: Option<SourceFormat>,
    config: &IngestConfig,
    warnings: &mut Vec<InputProblem>,
) -> Result<Vec<Document>> {
    if hint == Some(SourceFormat::JsonLines) {
        return json::parse_json_lines(name, text, config, warnings);
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => json::documents_from_value(name, &value, config, warnings),
        Err(error) => {
            let first_line_is_json = text
                .lines()
                .find(|line| !line.trim().is_empty())
                .is_some_and(|line| serde_json::from_str::<serde_json::Value>(line).is_ok());
            if first_line_is_json && error.line() > 1 {
                json::parse_json_lines(name, text, config, warnings)
            } else if hint == Some(SourceFormat::Json) || json::is_depth_error(&error) {
                Err(json::json_error(name, &error))
            } else {
                Ok(vec![decode_plain_or_markdown(name, None, text)?])
            }
        }
    }
}

fn decode_plain_or_markdown(name: &str, media_type: Option<&str>, text: &str) -> Result<Document> {
    if text.trim().is_empty() {
        return Err(StageError::EmptyInput {
            document: name.to_string(),
            detail: format!("{} bytes, no text", text.len()),
        });
    }
    let format = detect_format(name, media_type, text);
    let builder = match format {
        SourceFormat::Markdown => markdown::parse(text),
        SourceFormat::RestructuredText => rst::parse(text),
        SourceFormat::AsciiDoc => asciidoc::parse(text),
        _ => plain::parse(text),
    };
    let titles = match format {
        SourceFormat::Markdown => PageTitles { page: None, home: subject::title_attribute(text) },
        _ => PageTitles::default(),
    };
    finish(name, format, builder, titles)
}

/// How the text of a JSON record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    Html,
    Markdown,
    Plain,
}

impl TextKind {
    /// HTML when it starts with a tag and closes one; Markdown when it has
    /// Markdown's block lines or inline code, emphasis or links (CMS fields
    /// are short, so one tell-tale is enough); plain text otherwise.
    pub(crate) fn sniff(text: &str) -> TextKind {
        let trimmed = text.trim_start();
        if trimmed.starts_with('<') && trimmed.contains("</") {
            TextKind::Html
        } else if detect_format("", None, text) == SourceFormat::Markdown
            || text.contains('`')
            || text.contains("**")
            || text.contains("](")
        {
            TextKind::Markdown
        } else {
            TextKind::Plain
        }
    }
}

/// One JSON record's document: its title as a level-1 heading, then its text
/// decoded as what it is written in.
pub(crate) fn decode_record_text(
    name: &str,
    format: SourceFormat,
    title: Option<&str>,
    text: &str,
    kind: TextKind,
) -> Result<Document> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let (body, titles) = match kind {
        TextKind::Html => {
            check_html_depth(name, &text)?;
            html::parse(&text)
        }
        TextKind::Markdown => (markdown::parse(&text), PageTitles::default()),
        TextKind::Plain => (plain::parse(&text), PageTitles::default()),
    };
    let mut builder = DocumentBuilder::default();
    if let Some(title) = title {
        builder.push(BlockKind::Heading, 1, None, None, title);
    }
    builder.append(body);
    finish(name, format, builder, titles)
}

fn check_html_depth(name: &str, text: &str) -> Result<()> {
    let depth = html::nesting_depth(text);
    if depth > html::MAX_DEPTH {
        return Err(StageError::LimitExceeded {
            document: name.to_string(),
            detail: format!("HTML nested {depth} elements deep, more than the {} the decoder accepts", html::MAX_DEPTH),
        });
    }
    Ok(())
}

/// Titles a document carries outside its text: an HTML page's `<title>` or
/// a DOCX's `dc:title`, and the title of an HTML page's link home.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageTitles {
    pub(crate) page: Option<String>,
    pub(crate) home: Option<String>,
}

/// A decoded document, or `no-content` when the decoder found no block. The
/// title is the shallowest heading, else the page's own title, else the
/// file name; the subject comes from the titles and the prose
/// ([`subject::subject`]).
fn finish(name: &str, format: SourceFormat, mut builder: DocumentBuilder, titles: PageTitles) -> Result<Document> {
    if builder.blocks.is_empty() {
        return Err(StageError::NoContent {
            document: name.to_string(),
            detail: format!("decoded as {} but no text block was found", format.as_str()),
        });
    }
    let headings: Vec<&str> = builder
        .blocks
        .iter()
        .filter(|block| block.kind == BlockKind::Heading)
        .filter_map(|block| block.span.slice(&builder.text))
        .take(3)
        .collect();
    let title = builder
        .blocks
        .iter()
        .filter(|block| block.kind == BlockKind::Heading)
        .min_by_key(|block| block.level)
        .and_then(|block| block.span.slice(&builder.text))
        .map(str::to_string)
        .or_else(|| titles.page.clone())
        .unwrap_or_else(|| file_stem(name));
    let site_titles: Vec<&str> =
        titles.page.as_deref().into_iter().chain(titles.home.as_deref()).chain(headings).collect();
    let subject = subject::subject(&site_titles, &builder.text, &builder.blocks);
    Ok(Document {
        name: name.to_string(),
        format,
        title,
        subject,
        text: std::mem::take(&mut builder.text),
        blocks: std::mem::take(&mut builder.blocks),
    })
}

/// Picks plain text, Markdown, reStructuredText or AsciiDoc. The name's
/// extension or the media type decides where it is specific (`.md`, `.rst`,
/// `.rst.txt`, `.adoc`, `text/markdown`); a generic `.txt` or `text/plain`
/// is read by its content: reStructuredText's or AsciiDoc's tell-tales
/// ([`rst::looks_like`], [`asciidoc::looks_like`]), else Markdown's (ATX
/// headings, fences, tables, links), else plain text.
pub fn detect_format(name: &str, media_type: Option<&str>, text: &str) -> SourceFormat {
    let lower = name.to_ascii_lowercase();
    let media = media_type.map(|m| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase());
    if lower.ends_with(".md") || lower.ends_with(".markdown") || media.as_deref() == Some("text/markdown") {
        return SourceFormat::Markdown;
    }
    if lower.ends_with(".rst") || lower.ends_with(".rest") || lower.ends_with(".rst.txt") {
        return SourceFormat::RestructuredText;
    }
    if lower.ends_with(".adoc") || lower.ends_with(".asciidoc") || lower.ends_with(".asc") {
        return SourceFormat::AsciiDoc;
    }
    match format_hint(name, media_type) {
        Some(SourceFormat::RestructuredText) => return SourceFormat::RestructuredText,
        Some(SourceFormat::AsciiDoc) => return SourceFormat::AsciiDoc,
        _ => {}
    }
    if rst::looks_like(text) {
        return SourceFormat::RestructuredText;
    }
    if asciidoc::looks_like(text) {
        return SourceFormat::AsciiDoc;
    }
    if lower.ends_with(".txt") || media.as_deref() == Some("text/plain") {
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
    /// The page new blocks are on, for paged formats.
    pub(crate) page: Option<u32>,
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
        self.blocks.push(Block { kind, level, ordinal, span, language, page: self.page });
    }

    /// Appends another builder's text and blocks after this one's.
    pub(crate) fn append(&mut self, other: DocumentBuilder) {
        if other.blocks.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
        }
        let shift = self.text.len() as u32;
        self.text.push_str(&other.text);
        self.blocks.extend(other.blocks.into_iter().map(|mut block| {
            block.span = Span { start: block.span.start + shift, end: block.span.end + shift };
            block
        }));
    }
}

#[cfg(test)]
mod tests;
