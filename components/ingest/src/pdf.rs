//! PDF: the text layer of each page in reading order, as blocks.
//!
//! `lopdf` parses the file and `pdf-extract` interprets content streams and
//! fonts (encodings, ToUnicode maps, CID fonts) and hands us every glyph with
//! its position and size. What no crate gives is *layout*: which glyphs form
//! a line, which lines a column, which are running headers, headings or page
//! numbers. That is written here, in the spirit of pdfminer's layout analysis:
//!
//! 1. glyphs → line segments (a break where the baseline moves, the pen goes
//!    back, or a gap as wide as a column gutter opens);
//! 2. segments → reading order: bands of full-width lines, and inside a band
//!    the left column before the right one;
//! 3. lines repeated in the top or bottom margin of most pages (running
//!    headers and footers) and bare page numbers are dropped;
//! 4. lines → blocks by vertical gap and font size; lines set larger than the
//!    body text are headings, ranked by size; bullets and `1.` start list items;
//! 5. hyphenated line ends are joined, ligature code points expanded.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Read;

use pdf_extract::{MediaBox, Object, OutputDev, OutputError, Transform};

use brightrun_types::{BlockKind, IngestConfig, InputProblem, Result, StageError};

use crate::DocumentBuilder;

thread_local! {
    /// The inflation cap for the load filter (a plain `fn`, so it reads this).
    static INFLATE_LIMIT: Cell<u64> = const { Cell::new(u64::MAX) };
    /// Set by the load filter when a stream inflates past the cap.
    static INFLATE_EXCEEDED: Cell<bool> = const { Cell::new(false) };
}

/// Decodes a PDF. Pages that cannot be read become warnings; a file with no
/// readable text at all is an error saying why.
pub(crate) fn parse(
    name: &str,
    bytes: &[u8],
    config: &IngestConfig,
    warnings: &mut Vec<InputProblem>,
) -> Result<DocumentBuilder> {
    let document = load(name, bytes, config.max_inflated_bytes)?;
    let pages = document.get_pages();
    if pages.is_empty() {
        return Err(StageError::NoContent { document: name.to_string(), detail: "the PDF has no pages".to_string() });
    }
    let mut collector = Collector::default();
    for (&number, &page_id) in &pages {
        if let Err(why) = check_page(&document, page_id) {
            warnings.push(InputProblem { document: name.to_string(), detail: format!("page {number} skipped: {why}") });
            continue;
        }
        if let Err(error) = pdf_extract::output_doc_page(&document, &mut collector, number) {
            collector.abandon_page();
            warnings
                .push(InputProblem { document: name.to_string(), detail: format!("page {number} skipped: {error:?}") });
        }
    }
    let glyphs: usize = collector.pages.iter().map(|page| page.glyphs.len()).sum();
    if glyphs == 0 {
        return Err(StageError::NoTextLayer {
            document: name.to_string(),
            detail: format!("{} page(s) and no text on any: scanned images? run OCR first", pages.len()),
        });
    }
    Ok(layout(collector.pages))
}

/// Loads the file, refusing encryption we cannot open and streams that
/// inflate past `limit`.
fn load(name: &str, bytes: &[u8], limit: u64) -> Result<pdf_extract::Document> {
    INFLATE_LIMIT.with(|cell| cell.set(limit));
    INFLATE_EXCEEDED.with(|cell| cell.set(false));
    let options = pdf_extract::LoadOptions { password: Some(String::new()), filter: Some(guard_stream), strict: false };
    let loaded = pdf_extract::Document::load_mem_with_options(bytes, options);
    if INFLATE_EXCEEDED.with(Cell::get) {
        return Err(inflate_error(name, limit));
    }
    let document = loaded.map_err(|error| {
        let detail = format!("{error}");
        if detail.to_ascii_lowercase().contains("decrypt") || detail.to_ascii_lowercase().contains("password") {
            StageError::Encrypted { document: name.to_string(), detail: format!("needs a password ({detail})") }
        } else {
            StageError::Corrupt { document: name.to_string(), detail: format!("not a readable PDF: {detail}") }
        }
    })?;
    if document.is_encrypted() {
        return Err(StageError::Encrypted {
            document: name.to_string(),
            detail: "encrypted with a user password".to_string(),
        });
    }
    // Encrypted files are loaded without the filter: check their streams now.
    for object in document.objects.values() {
        if let Object::Stream(stream) = object
            && inflated_size(stream, limit) > limit
        {
            return Err(inflate_error(name, limit));
        }
    }
    Ok(document)
}

fn inflate_error(name: &str, limit: u64) -> StageError {
    StageError::LimitExceeded {
        document: name.to_string(),
        detail: format!("a stream inflates past the {limit}-byte cap (a decompression bomb?)"),
    }
}

/// The load filter: marks the load when a stream would inflate past the cap
/// and empties that stream, so lopdf never allocates its inflated form (an
/// object stream is inflated during the load itself).
///
/// lopdf keeps the filtered `object` in place for top-level objects and uses
/// the returned copy for objects inside object streams, which are never
/// streams themselves: so streams return a placeholder, the rest a copy.
fn guard_stream(id: (u32, u16), object: &mut Object) -> Option<((u32, u16), Object)> {
    if let Object::Stream(stream) = object {
        let limit = INFLATE_LIMIT.with(Cell::get);
        if inflated_size(stream, limit) > limit {
            INFLATE_EXCEEDED.with(|cell| cell.set(true));
            stream.set_plain_content(Vec::new());
        }
        return Some((id, Object::Null));
    }
    Some((id, object.clone()))
}

/// Bytes a Flate stream inflates to, counted without keeping them, up to
/// `limit + 1`. Images are skipped: text extraction never inflates them.
fn inflated_size(stream: &pdf_extract::Stream, limit: u64) -> u64 {
    let is_image = stream.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|subtype| subtype == b"Image");
    let is_flate = stream.filters().is_ok_and(|filters| filters.iter().any(|filter| filter == b"FlateDecode"));
    if is_image || !is_flate {
        return stream.content.len() as u64;
    }
    let decoder = flate2::read::ZlibDecoder::new(stream.content.as_slice());
    std::io::copy(&mut decoder.take(limit + 1), &mut std::io::sink()).unwrap_or(0)
}

/// Checks what `pdf-extract` would otherwise `unwrap`: the page dictionary,
/// an inherited MediaBox, and content streams that decode.
fn check_page(document: &pdf_extract::Document, page_id: pdf_extract::ObjectId) -> std::result::Result<(), String> {
    let mut dictionary = document.get_dictionary(page_id).map_err(|error| format!("no page dictionary: {error}"))?;
    let mut depth = 0;
    loop {
        if let Ok(media_box) = dictionary.get(b"MediaBox") {
            let resolved = match media_box {
                Object::Reference(id) => document.get_object(*id).map_err(|e| format!("MediaBox: {e}"))?,
                other => other,
            };
            let values = resolved.as_array().map_err(|_| "MediaBox is not an array".to_string())?;
            if values.len() != 4 || values.iter().any(|v| v.as_float().is_err() && v.as_i64().is_err()) {
                return Err("MediaBox is not four numbers".to_string());
            }
            break;
        }
        depth += 1;
        let parent = dictionary.get(b"Parent").and_then(Object::as_reference).ok().filter(|_| depth < 64);
        match parent.and_then(|id| document.get_dictionary(id).ok()) {
            Some(parent) => dictionary = parent,
            None => return Err("no MediaBox".to_string()),
        }
    }
    document.get_page_content(page_id).map_err(|error| format!("content stream: {error}"))?;
    check_references(document, page_id)
}

/// Every reference reachable from the page (its resources, fonts, content)
/// resolves: `pdf-extract` dereferences with `expect`, so a dangling
/// reference in a damaged file would otherwise abort the whole call.
/// `/Parent` (up the page tree) and `/Annots` (not read) are not followed.
fn check_references(
    document: &pdf_extract::Document,
    page_id: pdf_extract::ObjectId,
) -> std::result::Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    let mut pending: Vec<&Object> = Vec::new();
    let page = document.get_object(page_id).map_err(|error| format!("page object: {error}"))?;
    pending.push(page);
    while let Some(object) = pending.pop() {
        match object {
            Object::Reference(id) if seen.insert(*id) => {
                let target =
                    document.objects.get(id).ok_or_else(|| format!("object {} {} R is missing", id.0, id.1))?;
                pending.push(target);
            }
            Object::Array(items) => pending.extend(items.iter()),
            Object::Dictionary(dictionary) => {
                check_cmaps(document, dictionary)?;
                pending.extend(
                    dictionary
                        .iter()
                        .filter(|(key, _)| !matches!(key.as_slice(), b"Parent" | b"Annots"))
                        .map(|(_, v)| v),
                );
            }
            Object::Stream(stream) => pending.extend(
                stream.dict.iter().filter(|(key, _)| !matches!(key.as_slice(), b"Parent" | b"Annots")).map(|(_, v)| v),
            ),
            _ => {}
        }
    }
    Ok(())
}

/// A font's `ToUnicode` or CMap `Encoding` stream parses: pdf-extract
/// parses it with `unwrap` (and adobe-cmap-parser with `expect`), so a
/// damaged CMap would otherwise abort the call. Found by `fuzz/ingest_pdf`.
fn check_cmaps(document: &pdf_extract::Document, font: &pdf_extract::Dictionary) -> std::result::Result<(), String> {
    for key in [b"ToUnicode".as_slice(), b"Encoding".as_slice()] {
        let Ok(value) = font.get(key) else { continue };
        let resolved = match value {
            Object::Reference(id) => document.objects.get(id),
            other => Some(other),
        };
        let Some(Object::Stream(stream)) = resolved else { continue };
        let contents = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        let parses = adobe_cmap_parser::parse(&contents).is_ok()
            && if key == b"ToUnicode" {
                adobe_cmap_parser::get_unicode_map(&contents).is_ok()
            } else {
                adobe_cmap_parser::get_byte_mapping(&contents).is_ok()
            };
        if !parses {
            return Err(format!("a font's {} CMap does not parse", String::from_utf8_lossy(key)));
        }
    }
    Ok(())
}

/// One glyph as drawn: top-left origin, y growing down the page.
#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    end: f64,
    size: f64,
    text: String,
}

#[derive(Debug, Default)]
struct Page {
    number: u32,
    width: f64,
    height: f64,
    glyphs: Vec<Glyph>,
}

/// Receives glyphs from `pdf-extract`, page by page.
#[derive(Default)]
struct Collector {
    pages: Vec<Page>,
    /// The open page's MediaBox origin (left, top), to flip y downwards.
    origin: Option<(f64, f64)>,
}

impl Collector {
    /// Drops a page that failed half way, so none of its glyphs are kept.
    fn abandon_page(&mut self) {
        if self.origin.take().is_some() {
            self.pages.pop();
        }
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> std::result::Result<(), OutputError> {
        let height = media_box.ury - media_box.lly;
        self.origin = Some((media_box.llx, media_box.ury));
        self.pages.push(Page { number: page_num, width: media_box.urx - media_box.llx, height, glyphs: Vec::new() });
        Ok(())
    }

    fn end_page(&mut self) -> std::result::Result<(), OutputError> {
        self.origin = None;
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> std::result::Result<(), OutputError> {
        let (Some((left, top)), Some(page)) = (self.origin, self.pages.last_mut()) else { return Ok(()) };
        // The glyph's origin in page space, y flipped to grow downwards, and
        // its size: the side of the square with the area the text matrix
        // gives a font_size × font_size box (as pdf-extract's text output).
        let (x, y) = (trm.m31 - left, top - trm.m32);
        let (scaled_x, scaled_y) = (font_size * (trm.m11 + trm.m21), font_size * (trm.m12 + trm.m22));
        let size = (scaled_x * scaled_y).abs().sqrt();
        if !size.is_finite() || size <= 0.0 || !x.is_finite() || !y.is_finite() {
            return Ok(());
        }
        page.glyphs.push(Glyph { x, y, end: x + width * size, size, text: text.to_string() });
        Ok(())
    }

    fn begin_word(&mut self) -> std::result::Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> std::result::Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> std::result::Result<(), OutputError> {
        Ok(())
    }
}

/// A run of glyphs on one baseline within one column.
#[derive(Debug, Clone)]
struct Line {
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    text: String,
}

/// Glyphs to line segments, in drawing order.
fn lines_of(page: &Page) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut current: Option<Line> = None;
    let mut sizes: Vec<f64> = Vec::new();
    for glyph in &page.glyphs {
        let text = expand_ligatures(&glyph.text);
        if let Some(line) = current.as_mut() {
            let same_baseline = (glyph.y - line.y).abs() <= line.size.max(glyph.size) * 0.5;
            let gap = glyph.x - line.x1;
            // A list marker is often set apart from its text by more than a
            // column gutter; it still belongs to the line.
            let marker_only = is_marker(&line.text);
            let gutter = line.size.max(glyph.size) * if marker_only { 8.0 } else { 2.5 };
            if same_baseline && gap > -line.size * 0.5 && gap < gutter {
                if gap > glyph.size.min(line.size) * 0.15 && !line.text.ends_with(' ') && !text.starts_with(' ') {
                    line.text.push(' ');
                }
                line.text.push_str(&text);
                line.x1 = line.x1.max(glyph.end);
                sizes.push(glyph.size);
                continue;
            }
            finish_line(&mut lines, current.take(), &mut sizes);
        }
        sizes.push(glyph.size);
        current = Some(Line { x0: glyph.x, x1: glyph.end, y: glyph.y, size: glyph.size, text });
    }
    finish_line(&mut lines, current, &mut sizes);
    lines
}

fn finish_line(lines: &mut Vec<Line>, line: Option<Line>, sizes: &mut Vec<f64>) {
    if let Some(mut line) = line {
        // The line's size is its most common glyph size (a bold initial or a
        // superscript does not make it a heading).
        line.size = mode(sizes).unwrap_or(line.size);
        let trimmed = line.text.trim();
        if !trimmed.is_empty() {
            line.text = trimmed.to_string();
            lines.push(line);
        }
    }
    sizes.clear();
}

/// The most common value, rounded to a tenth of a point.
fn mode(values: &[f64]) -> Option<f64> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for value in values {
        *counts.entry((value * 10.0).round() as i64).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(value, count)| (*count, -*value)).map(|(value, _)| value as f64 / 10.0)
}

/// Reading order: bands separated by full-width lines; inside a band the
/// left column, then the right one. A page without two columns keeps the
/// top-to-bottom order.
fn reading_order(page: &Page, mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let lines = merge_markers(lines);
    let middle = page.width / 2.0;
    let margin = page.width * 0.02;
    let left = lines.iter().filter(|line| line.x1 <= middle + margin).count();
    let right = lines.iter().filter(|line| line.x0 >= middle - margin).count();
    let two_columns = left >= 3 && right >= 3 && (left + right) * 2 >= lines.len();
    if !two_columns {
        return lines;
    }
    let mut ordered = Vec::with_capacity(lines.len());
    let (mut left_band, mut right_band) = (Vec::new(), Vec::new());
    for line in lines {
        if line.x1 <= middle + margin {
            left_band.push(line);
        } else if line.x0 >= middle - margin {
            right_band.push(line);
        } else {
            ordered.append(&mut left_band);
            ordered.append(&mut right_band);
            ordered.push(line);
        }
    }
    ordered.append(&mut left_band);
    ordered.append(&mut right_band);
    ordered
}

/// Joins a list marker drawn as its own segment ("1." or "•", often drawn
/// after its text) to the text on the same baseline to its right.
fn merge_markers(lines: Vec<Line>) -> Vec<Line> {
    let mut merged: Vec<Line> = Vec::with_capacity(lines.len());
    for line in lines {
        if let Some(marker) = merged.last_mut()
            && is_marker(&marker.text)
            && (line.y - marker.y).abs() <= marker.size.max(line.size) * 0.5
            && line.x0 >= marker.x1 - marker.size * 0.5
            && line.x0 - marker.x1 < line.size * 8.0
        {
            marker.text = format!("{} {}", marker.text.trim(), line.text);
            marker.x1 = line.x1;
            marker.size = line.size;
            continue;
        }
        merged.push(line);
    }
    merged
}

/// Lines in the top or bottom 10 % of the page whose text, digits masked,
/// recurs on at least half the pages (and two or more): running headers and
/// footers. Bare page numbers there go too.
fn furniture(pages: &[(u32, f64, Vec<Line>)]) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, height, lines) in pages {
        let mut on_page: Vec<String> =
            lines.iter().filter(|line| in_margin(line, *height)).map(|line| mask_digits(&line.text)).collect();
        on_page.sort();
        on_page.dedup();
        for key in on_page {
            *seen.entry(key).or_default() += 1;
        }
    }
    let needed = (pages.len().div_ceil(2)).max(2);
    seen.retain(|_, count| *count >= needed);
    seen
}

fn in_margin(line: &Line, height: f64) -> bool {
    line.y < height * 0.1 || line.y > height * 0.9
}

fn mask_digits(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

fn is_page_number(text: &str) -> bool {
    let lower = text.trim().to_ascii_lowercase();
    let core = lower.strip_prefix("page ").unwrap_or(&lower);
    let core = core.split(" of ").next().unwrap_or(core).trim_matches(|c: char| c == '-' || c == '–' || c == ' ');
    !core.is_empty()
        && (core.chars().all(|c| c.is_ascii_digit())
            || (core.len() <= 6 && core.chars().all(|c| matches!(c, 'i' | 'v' | 'x' | 'l'))))
}

/// All pages to blocks.
fn layout(pages: Vec<Page>) -> DocumentBuilder {
    let ordered: Vec<(u32, f64, Vec<Line>)> =
        pages.iter().map(|page| (page.number, page.height, reading_order(page, lines_of(page)))).collect();
    let repeated = if ordered.len() >= 2 { furniture(&ordered) } else { HashMap::new() };
    let body_size = body_size(&ordered);
    // Heading sizes, largest first: rank = level.
    let mut heading_sizes: Vec<i64> = ordered
        .iter()
        .flat_map(|(_, _, lines)| lines.iter())
        .filter(|line| line.size >= body_size * 1.15)
        .map(|line| (line.size * 10.0).round() as i64)
        .collect();
    heading_sizes.sort_unstable_by(|a, b| b.cmp(a));
    heading_sizes.dedup();

    let mut builder = DocumentBuilder::default();
    let mut block = BlockDraft::default();
    for (number, height, lines) in &ordered {
        let mut previous: Option<&Line> = None;
        for line in lines {
            if in_margin(line, *height)
                && (is_page_number(&line.text) || repeated.contains_key(&mask_digits(&line.text)))
            {
                continue;
            }
            let is_heading = line.size >= body_size * 1.15 && line.text.chars().count() <= 200;
            let list = list_start(&line.text);
            // A paragraph broken by a page or column end goes on when its
            // last line ends mid-sentence and the next starts in lower case.
            let continues = block.lines.last().is_some_and(|last| !ends_sentence(last))
                && line.text.chars().next().is_some_and(char::is_lowercase)
                && (line.size - block.size).abs() <= 0.6;
            let starts_block = match previous {
                None => block.lines.is_empty() || block.heading != is_heading || list.is_some() || !continues,
                Some(prev) => {
                    let gap = line.y - prev.y;
                    let line_height = prev.size.max(line.size) * 1.6;
                    (gap > line_height && !(is_heading && block.heading && gap < line_height * 1.5))
                        || (gap < -prev.size && !continues)
                        || (line.size - prev.size).abs() > 0.6
                        || block.heading != is_heading
                        || list.is_some()
                }
            };
            if starts_block {
                block.flush(&mut builder, &heading_sizes);
                block.page = Some(*number);
                block.heading = is_heading;
                block.size = line.size;
                block.list = list.map(|(ordinal, _)| ordinal);
            }
            let text = match (starts_block, list) {
                (true, Some((_, rest))) => rest,
                _ => line.text.as_str(),
            };
            block.lines.push(text.to_string());
            previous = Some(line);
        }
    }
    block.flush(&mut builder, &heading_sizes);
    builder
}

/// The font size most characters are set in.
fn body_size(pages: &[(u32, f64, Vec<Line>)]) -> f64 {
    let mut weight: HashMap<i64, usize> = HashMap::new();
    for line in pages.iter().flat_map(|(_, _, lines)| lines.iter()) {
        *weight.entry((line.size * 10.0).round() as i64).or_default() += line.text.len();
    }
    weight.into_iter().max_by_key(|(size, count)| (*count, -*size)).map_or(10.0, |(size, _)| size as f64 / 10.0)
}

/// Whether `text` is only a list marker: a bullet, or `3.` / `3)`.
fn is_marker(text: &str) -> bool {
    let text = text.trim();
    BULLETS.iter().any(|bullet| text == bullet.trim())
        || (text.len() <= 4
            && text.ends_with(['.', ')'])
            && text.len() > 1
            && text[..text.len() - 1].chars().all(|c| c.is_ascii_digit()))
}

/// Characters that start a bulleted line.
const BULLETS: &[&str] = &["•", "◦", "▪", "‣", "–", "- ", "* ", "·"];

/// A list marker at the start of a line: the ordinal (for `3.`/`3)`) and the
/// text after the marker.
fn list_start(text: &str) -> Option<(Option<u32>, &str)> {
    for bullet in BULLETS {
        if let Some(rest) = text.strip_prefix(bullet) {
            let rest = rest.trim_start();
            return (!rest.is_empty()).then_some((None, rest));
        }
    }
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = text[digits..].strip_prefix(['.', ')'])?;
    if !rest.starts_with(' ') {
        return None;
    }
    Some((text[..digits].parse().ok(), rest.trim_start()))
}

/// Lines gathered for one block.
#[derive(Default)]
struct BlockDraft {
    lines: Vec<String>,
    page: Option<u32>,
    heading: bool,
    size: f64,
    list: Option<Option<u32>>,
}

impl BlockDraft {
    fn flush(&mut self, builder: &mut DocumentBuilder, heading_sizes: &[i64]) {
        if self.lines.is_empty() {
            return;
        }
        let text = join_lines(&self.lines);
        self.lines.clear();
        builder.page = self.page;
        let key = (self.size * 10.0).round() as i64;
        if self.heading && text.chars().count() <= 200 {
            let rank = heading_sizes.iter().position(|size| *size == key).unwrap_or(0);
            builder.push(BlockKind::Heading, (rank + 1).min(6) as u8, None, None, &text);
        } else if let Some(ordinal) = self.list.take() {
            builder.push(BlockKind::ListItem, 1, ordinal, None, &text);
        } else {
            builder.push(BlockKind::Paragraph, 0, None, None, &text);
        }
    }
}

fn ends_sentence(text: &str) -> bool {
    text.trim_end().ends_with(['.', '!', '?', ':', ';', '"', '”', ')'])
}

/// Joins a block's lines: a line ending in a hyphen after a letter, followed
/// by one starting in lower case, is one word broken by hyphenation; soft
/// hyphens always go.
fn join_lines(lines: &[String]) -> String {
    let mut text = String::new();
    for line in lines {
        let line = line.replace('\u{ad}', "");
        // U+2010 HYPHEN at a line end is a typesetter's hyphenation point
        // (real hyphens in the source are '-'): always joined. A '-' is
        // joined only when a lower-case letter follows.
        let last = text.chars().last();
        let before_letter = text.chars().rev().nth(1).is_some_and(char::is_alphabetic);
        let next = line.chars().next();
        let hyphenated = before_letter
            && match last {
                Some('\u{2010}') => next.is_some_and(char::is_alphabetic),
                Some('-') => next.is_some_and(char::is_lowercase),
                _ => false,
            };
        if hyphenated {
            text.pop();
        } else if !text.is_empty() && !text.ends_with(' ') {
            text.push(' ');
        }
        text.push_str(line.trim());
    }
    text
}

/// Typographic ligatures (U+FB00–FB06) spelled out: "ﬁ" is "fi" to a reader
/// and to the tokenizer.
fn expand_ligatures(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{fb00}' => out.push_str("ff"),
            '\u{fb01}' => out.push_str("fi"),
            '\u{fb02}' => out.push_str("fl"),
            '\u{fb03}' => out.push_str("ffi"),
            '\u{fb04}' => out.push_str("ffl"),
            '\u{fb05}' | '\u{fb06}' => out.push_str("st"),
            '\u{0}' => {}
            other => out.push(other),
        }
    }
    out
}
