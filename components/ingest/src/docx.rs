//! DOCX: paragraphs, headings, lists and tables from `word/document.xml`.
//!
//! The zip is read with `zip`, the XML with `quick-xml`'s streaming reader
//! (no tree, so nesting depth costs nothing). No crate maps WordprocessingML
//! to structure without also pulling a writer and a DOM, and the mapping we
//! need is small: style → heading level, `numPr` → list item, `tbl/tr/tc` →
//! table rows. Styles and numbering parts are read only to name styles and
//! tell numbered lists from bullets.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use brightrun_types::{BlockKind, IngestConfig, Result, StageError};

use crate::DocumentBuilder;

/// Whether `bytes` is a zip archive holding `word/document.xml`; `None` when
/// it is no zip at all.
pub(crate) fn is_word_zip(bytes: &[u8]) -> Option<bool> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    Some(archive.index_for_name("word/document.xml").is_some())
}

/// Decodes a Word document.
pub(crate) fn parse(name: &str, bytes: &[u8], config: &IngestConfig) -> Result<DocumentBuilder> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| StageError::Corrupt {
        document: name.to_string(),
        detail: format!("not a readable zip archive: {error}"),
    })?;
    let document = read_part(name, &mut archive, "word/document.xml", config.max_inflated_bytes)?.ok_or_else(|| {
        StageError::UnsupportedFormat {
            document: name.to_string(),
            detail: "a zip archive without word/document.xml, so not a Word document".to_string(),
        }
    })?;
    let styles = match read_part(name, &mut archive, "word/styles.xml", config.max_inflated_bytes)? {
        Some(xml) => parse_styles(&xml),
        None => HashMap::new(),
    };
    let numbering = match read_part(name, &mut archive, "word/numbering.xml", config.max_inflated_bytes)? {
        Some(xml) => parse_numbering(&xml),
        None => Numbering::default(),
    };
    parse_document(name, &document, &styles, &numbering)
}

/// The document's title from its core properties (`docProps/core.xml`,
/// `<dc:title>`): pandoc and Word write the source's title there. None when
/// the part or the element is missing or unreadable: the title is a hint.
pub(crate) fn core_title(bytes: &[u8], config: &IngestConfig) -> Option<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let xml = read_part("", &mut archive, "docProps/core.xml", config.max_inflated_bytes).ok()??;
    let mut reader = Reader::from_str(&xml);
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => in_title = start.local_name().as_ref() == "title",
            Ok(Event::Text(text)) if in_title => title.push_str(&text.xml10_content()),
            Ok(Event::End(_)) if in_title => break,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then_some(title)
}

/// One zip entry as text, refusing entries that inflate past `limit` (the
/// declared size is checked first, then the bytes actually read, since a
/// zip bomb can lie in its header).
fn read_part(
    name: &str,
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    part: &str,
    limit: u64,
) -> Result<Option<String>> {
    let corrupt = |detail: String| StageError::Corrupt { document: name.to_string(), detail };
    let too_big = || StageError::LimitExceeded {
        document: name.to_string(),
        detail: format!("{part} inflates past the {limit}-byte cap (a zip bomb?)"),
    };
    let mut entry = match archive.by_name(part) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(zip::result::ZipError::UnsupportedArchive(why)) if why.to_ascii_lowercase().contains("password") => {
            return Err(StageError::Encrypted {
                document: name.to_string(),
                detail: format!("{part} is password-protected"),
            });
        }
        Err(error) => return Err(corrupt(format!("{part}: {error}"))),
    };
    if entry.size() > limit {
        return Err(too_big());
    }
    let mut data = Vec::with_capacity(entry.size().min(limit) as usize);
    (&mut entry).take(limit + 1).read_to_end(&mut data).map_err(|error| corrupt(format!("{part}: {error}")))?;
    if data.len() as u64 > limit {
        return Err(too_big());
    }
    String::from_utf8(data).map(Some).map_err(|error| StageError::InvalidEncoding {
        document: name.to_string(),
        detail: format!("{part} is not UTF-8 (byte {} )", error.utf8_error().valid_up_to()),
    })
}

/// What a paragraph style makes of a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StyleRole {
    Heading(u8),
    Code,
    Quote,
    List,
    Body,
}

/// Style ids mapped to their role, from each style's name and outline level.
fn parse_styles(xml: &str) -> HashMap<String, StyleRole> {
    let mut roles = HashMap::new();
    let mut reader = Reader::from_str(xml);
    let mut current: Option<(String, Option<String>, Option<u8>)> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag)) | Ok(Event::Empty(tag)) => match tag.name().as_ref() {
                "w:style" => current = attribute(&tag, "w:styleId").map(|id| (id, None, None)),
                "w:name" => {
                    if let Some((_, name, _)) = current.as_mut() {
                        *name = attribute(&tag, "w:val");
                    }
                }
                "w:outlineLvl" => {
                    if let Some((_, _, level)) = current.as_mut() {
                        *level = attribute(&tag, "w:val").and_then(|v| v.parse().ok());
                    }
                }
                _ => {}
            },
            Ok(Event::End(tag)) if tag.name().as_ref() == "w:style" => {
                if let Some((id, name, level)) = current.take() {
                    let role = style_role(name.as_deref().unwrap_or(&id), level);
                    roles.insert(id, role);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    roles
}

/// The role of a style from its name ("heading 2", "Title", "Source Code",
/// "Quote", "List Bullet") or its outline level.
fn style_role(name: &str, outline: Option<u8>) -> StyleRole {
    let lower = name.to_ascii_lowercase().replace([' ', '_', '-'], "");
    if lower == "title" {
        return StyleRole::Heading(1);
    }
    if let Some(level) = lower.strip_prefix("heading").and_then(|n| n.parse::<u8>().ok()) {
        return StyleRole::Heading(level.clamp(1, 6));
    }
    if let Some(level) = outline.filter(|level| *level < 9) {
        return StyleRole::Heading((level + 1).min(6));
    }
    if ["code", "sourcecode", "verbatim", "preformatted", "htmlpreformatted", "plaintext"]
        .iter()
        .any(|word| lower.contains(word))
    {
        return StyleRole::Code;
    }
    if lower.contains("quote") || lower == "blocktext" {
        return StyleRole::Quote;
    }
    if lower.starts_with("list") {
        return StyleRole::List;
    }
    StyleRole::Body
}

/// Numbering definitions: which (list, level) pairs are numbered, and from what.
#[derive(Default)]
struct Numbering {
    /// `numId` → `abstractNumId`.
    lists: HashMap<String, String>,
    /// (`abstractNumId`, level) → (ordered, start).
    levels: HashMap<(String, u8), (bool, u32)>,
}

impl Numbering {
    fn level(&self, num_id: &str, level: u8) -> (bool, u32) {
        self.lists
            .get(num_id)
            .and_then(|abstract_id| self.levels.get(&(abstract_id.clone(), level)))
            .copied()
            .unwrap_or((false, 1))
    }
}

fn parse_numbering(xml: &str) -> Numbering {
    let mut numbering = Numbering::default();
    let mut reader = Reader::from_str(xml);
    let mut abstract_id: Option<String> = None;
    let mut level: Option<(u8, bool, u32)> = None;
    let mut num_id: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag)) | Ok(Event::Empty(tag)) => match tag.name().as_ref() {
                "w:abstractNum" => abstract_id = attribute(&tag, "w:abstractNumId"),
                "w:lvl" => level = attribute(&tag, "w:ilvl").and_then(|v| v.parse().ok()).map(|l| (l, false, 1)),
                "w:start" => {
                    if let (Some(l), Some(start)) = (level.as_mut(), attribute(&tag, "w:val")) {
                        l.2 = start.parse().unwrap_or(1);
                    }
                }
                "w:numFmt" => {
                    if let (Some(l), Some(format)) = (level.as_mut(), attribute(&tag, "w:val")) {
                        l.1 = !matches!(format.as_str(), "bullet" | "none");
                    }
                }
                "w:num" => num_id = attribute(&tag, "w:numId"),
                "w:abstractNumId" => {
                    if let (Some(id), Some(target)) = (num_id.clone(), attribute(&tag, "w:val")) {
                        numbering.lists.insert(id, target);
                    }
                }
                _ => {}
            },
            Ok(Event::End(tag)) => match tag.name().as_ref() {
                "w:lvl" => {
                    if let (Some(id), Some((l, ordered, start))) = (abstract_id.clone(), level.take()) {
                        numbering.levels.insert((id, l), (ordered, start));
                    }
                }
                "w:abstractNum" => abstract_id = None,
                "w:num" => num_id = None,
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    numbering
}

/// The properties and text of the paragraph being read.
#[derive(Default)]
struct Paragraph {
    style: Option<String>,
    outline: Option<u8>,
    num_id: Option<String>,
    list_level: u8,
    text: String,
}

/// Elements whose text is not the document's visible text: deleted runs,
/// field instructions, the fallback copy of alternate content.
const SKIPPED: &[&str] = &["w:del", "w:instrText", "mc:Fallback", "w:delText", "w:footnoteReference"];

fn parse_document(
    name: &str,
    xml: &str,
    styles: &HashMap<String, StyleRole>,
    numbering: &Numbering,
) -> Result<DocumentBuilder> {
    let mut builder = DocumentBuilder::default();
    let mut reader = Reader::from_str(xml);
    let mut paragraph: Option<Paragraph> = None;
    let mut in_text = false;
    let mut skipping = 0usize;
    let mut table_depth = 0usize;
    let mut tables = 0u8;
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    let mut code: Option<String> = None;
    // (numId, level) → next ordinal.
    let mut counters: HashMap<(String, u8), u32> = HashMap::new();
    loop {
        let event = reader.read_event().map_err(|error| StageError::Corrupt {
            document: name.to_string(),
            detail: format!("word/document.xml at byte {}: {error}", reader.buffer_position()),
        })?;
        match event {
            Event::Start(tag) => {
                let tag_name = tag.name();
                let tag_name = tag_name.as_ref();
                if skipping > 0 || SKIPPED.contains(&tag_name) {
                    skipping += 1;
                    continue;
                }
                match tag_name {
                    "w:p" => paragraph = Some(Paragraph::default()),
                    "w:t" => in_text = true,
                    "w:tbl" => {
                        table_depth += 1;
                        if table_depth == 1 {
                            flush_code(&mut builder, &mut code);
                            tables = tables.saturating_add(1);
                        }
                    }
                    "w:tr" if table_depth == 1 => row = Some(Vec::new()),
                    "w:tc" if table_depth == 1 => cell = Some(String::new()),
                    _ => paragraph_property(&tag, paragraph.as_mut()),
                }
            }
            Event::Empty(tag) => {
                if skipping > 0 {
                    continue;
                }
                match tag.name().as_ref() {
                    "w:tab" => push_text(paragraph.as_mut(), "\t"),
                    "w:br" | "w:cr" => push_text(paragraph.as_mut(), "\n"),
                    _ => paragraph_property(&tag, paragraph.as_mut()),
                }
            }
            Event::Text(text) if in_text && skipping == 0 => push_text(paragraph.as_mut(), &text.xml10_content()),
            Event::GeneralRef(reference) if in_text && skipping == 0 => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => Some(ch.to_string()),
                    _ => predefined_entity(&reference).map(str::to_string),
                };
                if let Some(text) = resolved {
                    push_text(paragraph.as_mut(), &text);
                }
            }
            Event::End(tag) => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                match tag.name().as_ref() {
                    "w:t" => in_text = false,
                    "w:p" => {
                        let Some(done) = paragraph.take() else { continue };
                        if let Some(cell) = cell.as_mut() {
                            let text = collapse(&done.text);
                            if !text.is_empty() {
                                if !cell.is_empty() {
                                    cell.push(' ');
                                }
                                cell.push_str(&text);
                            }
                            continue;
                        }
                        emit_paragraph(&mut builder, done, styles, numbering, &mut counters, &mut code);
                    }
                    "w:tc" if table_depth == 1 => {
                        if let (Some(row), Some(text)) = (row.as_mut(), cell.take()) {
                            row.push(text.replace('|', "\\|"));
                        }
                    }
                    "w:tr" if table_depth == 1 => {
                        if let Some(cells) = row.take().filter(|cells| cells.iter().any(|c| !c.is_empty())) {
                            builder.push(BlockKind::TableRow, tables, None, None, &cells.join(" | "));
                        }
                    }
                    "w:tbl" => table_depth = table_depth.saturating_sub(1),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    flush_code(&mut builder, &mut code);
    Ok(builder)
}

fn push_text(paragraph: Option<&mut Paragraph>, text: &str) {
    if let Some(paragraph) = paragraph {
        paragraph.text.push_str(text);
    }
}

/// Reads a paragraph property tag (`w:pStyle`, `w:numId`, `w:ilvl`, `w:outlineLvl`).
fn paragraph_property(tag: &BytesStart<'_>, paragraph: Option<&mut Paragraph>) {
    let Some(paragraph) = paragraph else { return };
    match tag.name().as_ref() {
        "w:pStyle" => paragraph.style = attribute(tag, "w:val"),
        "w:numId" => paragraph.num_id = attribute(tag, "w:val").filter(|id| id != "0"),
        "w:ilvl" => paragraph.list_level = attribute(tag, "w:val").and_then(|v| v.parse().ok()).unwrap_or(0),
        "w:outlineLvl" => paragraph.outline = attribute(tag, "w:val").and_then(|v| v.parse().ok()),
        _ => {}
    }
}

fn emit_paragraph(
    builder: &mut DocumentBuilder,
    paragraph: Paragraph,
    styles: &HashMap<String, StyleRole>,
    numbering: &Numbering,
    counters: &mut HashMap<(String, u8), u32>,
    code: &mut Option<String>,
) {
    let role = match (&paragraph.style, paragraph.outline) {
        (_, Some(level)) if level < 9 => StyleRole::Heading((level + 1).min(6)),
        (Some(style), _) => styles.get(style).copied().unwrap_or_else(|| style_role(style, None)),
        (None, _) => StyleRole::Body,
    };
    if role == StyleRole::Code {
        // Consecutive code paragraphs are one block.
        let block = code.get_or_insert_with(String::new);
        if !block.is_empty() {
            block.push('\n');
        }
        block.push_str(paragraph.text.trim_end());
        return;
    }
    flush_code(builder, code);
    let text = collapse(&paragraph.text);
    if text.is_empty() {
        return;
    }
    match (role, paragraph.num_id) {
        (StyleRole::Heading(level), _) => builder.push(BlockKind::Heading, level, None, None, &text),
        (_, Some(num_id)) => {
            let level = paragraph.list_level.min(8);
            let (ordered, start) = numbering.level(&num_id, level);
            // A shallower item restarts the numbering of the levels below it.
            counters.retain(|(id, l), _| id != &num_id || *l <= level);
            let ordinal = ordered.then(|| {
                let next = counters.entry((num_id.clone(), level)).or_insert(start);
                let ordinal = *next;
                *next = next.saturating_add(1);
                ordinal
            });
            builder.push(BlockKind::ListItem, level + 1, ordinal, None, &text);
        }
        (StyleRole::List, None) => builder.push(BlockKind::ListItem, 1, None, None, &text),
        (StyleRole::Quote, None) => builder.push(BlockKind::Quote, 0, None, None, &text),
        _ => builder.push(BlockKind::Paragraph, 0, None, None, &text),
    }
}

fn flush_code(builder: &mut DocumentBuilder, code: &mut Option<String>) {
    if let Some(text) = code.take() {
        builder.push(BlockKind::Code, 0, None, None, &text);
    }
}

fn attribute(tag: &BytesStart<'_>, name: &str) -> Option<String> {
    tag.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|value| value.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
}

fn predefined_entity(reference: &quick_xml::events::BytesRef<'_>) -> Option<&'static str> {
    match reference.as_ref() {
        "amp" => Some("&"),
        "lt" => Some("<"),
        "gt" => Some(">"),
        "quot" => Some("\""),
        "apos" => Some("'"),
        _ => None,
    }
}

/// Runs of whitespace (tabs and soft breaks included) become one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
