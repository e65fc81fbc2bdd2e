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
//!
//! Code listings are recognised by their font, not by their text: pdf-extract
//! does not say which font a glyph is in, so [`page_fonts`] walks the page's
//! content streams as pdf-extract does and tells, for each string shown,
//! whether its font is monospaced (its name, its descriptor's fixed-pitch
//! flag, or equal widths). Lines mostly in such a font are code: they become
//! Code blocks keeping their line breaks and indentation, without the line
//! numbers a listing prints beside them; macro names printed in the left
//! margin (LaTeX's `doc` package) become blocks of their own instead of being
//! glued to the paragraph beside them; index entries (`\name . . . 12, 30`)
//! are dropped. Where the fonts cannot be told, a line is code when its text
//! is mostly TeX control sequences ([`looks_like_tex`]).

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::io::Read;

use pdf_extract::content::Content;
use pdf_extract::{Dictionary, MediaBox, Object, ObjectId, OutputDev, OutputError, Transform};

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
    let mut verified = HashSet::new();
    for (&number, &page_id) in &pages {
        if let Err(why) = check_page(&document, page_id, &mut verified) {
            warnings.push(InputProblem { document: name.to_string(), detail: format!("page {number} skipped: {why}") });
            continue;
        }
        let fonts = page_fonts(&document, page_id);
        if let Err(error) = pdf_extract::output_doc_page(&document, &mut collector, number) {
            collector.abandon_page();
            warnings
                .push(InputProblem { document: name.to_string(), detail: format!("page {number} skipped: {error:?}") });
        } else {
            collector.apply_fonts(number, fonts);
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
fn check_page(
    document: &pdf_extract::Document,
    page_id: pdf_extract::ObjectId,
    verified: &mut HashSet<ObjectId>,
) -> std::result::Result<(), String> {
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
    check_references(document, page_id, verified)
}

/// Every reference reachable from the page (its resources, fonts, content)
/// resolves: `pdf-extract` dereferences with `expect`, so a dangling
/// reference in a damaged file would otherwise abort the whole call.
/// `/Parent` (up the page tree) and `/Annots` (not read) are not followed.
///
/// `verified` holds the objects whose whole subtree an earlier page's walk
/// checked; they are not walked again. Pages share their fonts, and parsing
/// every font's CMaps again on every page took a third of a LaTeX manual's
/// ingest time. A page that fails adds nothing to it.
fn check_references(
    document: &pdf_extract::Document,
    page_id: pdf_extract::ObjectId,
    verified: &mut HashSet<ObjectId>,
) -> std::result::Result<(), String> {
    let mut seen = HashSet::new();
    let mut pending: Vec<&Object> = Vec::new();
    let page = document.get_object(page_id).map_err(|error| format!("page object: {error}"))?;
    pending.push(page);
    while let Some(object) = pending.pop() {
        match object {
            Object::Reference(id) if !verified.contains(id) && seen.insert(*id) => {
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
    verified.extend(seen);
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

/// How deep form XObjects may nest before the font walk gives up on a page
/// (the page is then read without font facts, by its text alone).
const MAX_FORM_DEPTH: usize = 16;

/// Content operations the font walk reads on one page, at most, so a hostile
/// page of millions of forms drawing forms costs bounded work.
const MAX_FONT_WALK_OPERATIONS: usize = 4_000_000;

/// For each string a page shows, in drawing order, whether its font is
/// monospaced: one entry per string pdf-extract hands to its `show_text`
/// (each `Tj`, each string of a `TJ`), found by walking the same content
/// streams and form XObjects it walks, with the same font state (`Tf`, saved
/// and restored by `q`/`Q`, fresh in each form, font names resolved once per
/// page as its font table does).
///
/// pdf-extract reports glyphs without their font, and the font is what tells
/// a code listing from prose. `None` when the walk gives up (content that
/// does not decode, forms nested too deep, too many operations); the
/// collector also ignores the list when its length differs from the number
/// of strings pdf-extract showed, so a divergence costs one page its font
/// facts, never gives it wrong ones.
fn page_fonts(document: &pdf_extract::Document, page_id: ObjectId) -> Option<Vec<bool>> {
    let page = document.get_dictionary(page_id).ok()?;
    let resources = inherited_dictionary(document, page, b"Resources");
    let content = document.get_page_content(page_id).ok()?;
    let mut walk = FontWalk { document, known: HashMap::new(), strings: Vec::new(), operations: 0 };
    walk.walk(&content, resources, 0)?;
    Some(walk.strings)
}

/// The state of [`page_fonts`]' walk over one page.
struct FontWalk<'a> {
    document: &'a pdf_extract::Document,
    /// Font resource name → monospaced, resolved at its first `Tf`.
    known: HashMap<Vec<u8>, bool>,
    /// One entry per string shown so far.
    strings: Vec<bool>,
    operations: usize,
}

impl FontWalk<'_> {
    fn walk(&mut self, content: &[u8], resources: Option<&Dictionary>, depth: usize) -> Option<()> {
        if depth > MAX_FORM_DEPTH {
            return None;
        }
        let content = Content::decode(content).ok()?;
        let mut font: Option<bool> = None;
        let mut saved: Vec<Option<bool>> = Vec::new();
        for operation in &content.operations {
            self.operations += 1;
            if self.operations > MAX_FONT_WALK_OPERATIONS {
                return None;
            }
            match operation.operator.as_str() {
                "q" => saved.push(font),
                "Q" => {
                    if let Some(restored) = saved.pop() {
                        font = restored;
                    }
                }
                "Tf" => {
                    let Some(name) = operation.operands.first().and_then(|name| name.as_name().ok()) else { continue };
                    let monospaced = match self.known.get(name) {
                        Some(monospaced) => *monospaced,
                        None => {
                            let monospaced = font_is_monospaced(self.document, resources, name);
                            self.known.insert(name.to_vec(), monospaced);
                            monospaced
                        }
                    };
                    font = Some(monospaced);
                }
                "Tj" => {
                    if let Some(Object::String(..)) = operation.operands.first() {
                        self.strings.push(font.unwrap_or(false));
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = operation.operands.first() {
                        let shown = items.iter().filter(|item| matches!(item, Object::String(..))).count();
                        self.strings.extend(std::iter::repeat_n(font.unwrap_or(false), shown));
                    }
                }
                "Do" => {
                    let name = operation.operands.first().and_then(|name| name.as_name().ok())?;
                    let forms =
                        resources.and_then(|resources| entry_dictionary(self.document, resources, b"XObject"))?;
                    let form = forms.get(name).ok().and_then(|form| self.document.dereference(form).ok())?.1;
                    let Object::Stream(form) = form else { return None };
                    let inner = entry_dictionary(self.document, &form.dict, b"Resources").or(resources);
                    let content = if form.filters().is_ok() {
                        form.decompressed_content().unwrap_or_else(|_| form.content.clone())
                    } else {
                        form.content.clone()
                    };
                    self.walk(&content, inner, depth + 1)?;
                }
                _ => {}
            }
        }
        Some(())
    }
}

/// `key` of `dictionary`, looked up the page tree as PDF resources inherit.
fn inherited_dictionary<'a>(
    document: &'a pdf_extract::Document,
    mut dictionary: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Dictionary> {
    for _ in 0..64 {
        if let Some(found) = entry_dictionary(document, dictionary, key) {
            return Some(found);
        }
        dictionary = entry_dictionary(document, dictionary, b"Parent")?;
    }
    None
}

/// The dictionary at `key`, through references.
fn entry_dictionary<'a>(
    document: &'a pdf_extract::Document,
    dictionary: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Dictionary> {
    let object = dictionary.get(key).ok()?;
    document.dereference(object).ok()?.1.as_dict().ok()
}

/// The object at `key`, through references.
fn entry<'a>(document: &'a pdf_extract::Document, dictionary: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let object = dictionary.get(key).ok()?;
    Some(document.dereference(object).ok()?.1)
}

/// Whether the font named `name` in `resources` is monospaced: its name says
/// so ([`is_monospaced_name`]), its descriptor's flags have the fixed-pitch
/// bit (bit 1, PDF 32000-1 § 9.8.2), or all its glyph widths are equal.
fn font_is_monospaced(document: &pdf_extract::Document, resources: Option<&Dictionary>, name: &[u8]) -> bool {
    let Some(font) = resources
        .and_then(|resources| entry_dictionary(document, resources, b"Font"))
        .and_then(|fonts| entry_dictionary(document, fonts, name))
    else {
        return false;
    };
    let base = entry(document, font, b"BaseFont").and_then(|base| base.as_name().ok());
    if base.is_some_and(|base| is_monospaced_name(&String::from_utf8_lossy(base))) {
        return true;
    }
    // A composite (Type0) font describes its glyphs in its descendant.
    let descendant = entry(document, font, b"DescendantFonts")
        .and_then(|fonts| fonts.as_array().ok())
        .and_then(|fonts| fonts.first())
        .and_then(|first| document.dereference(first).ok())
        .and_then(|(_, first)| first.as_dict().ok());
    let flags = entry_dictionary(document, descendant.unwrap_or(font), b"FontDescriptor")
        .and_then(|descriptor| entry(document, descriptor, b"Flags"))
        .and_then(|flags| flags.as_i64().ok());
    flags.is_some_and(|flags| flags & 1 == 1) || has_equal_widths(document, font)
}

/// A simple font whose `Widths` are all the same (zeros, for unused codes,
/// aside): at least four glyphs, not only digits, which share one width in
/// most proportional fonts too (a subset holding only line numbers).
fn has_equal_widths(document: &pdf_extract::Document, font: &Dictionary) -> bool {
    let Some(widths) = entry(document, font, b"Widths").and_then(|widths| widths.as_array().ok()) else {
        return false;
    };
    let first = entry(document, font, b"FirstChar").and_then(|first| first.as_i64().ok()).unwrap_or(0);
    let (mut width, mut count, mut beyond_digits) = (None::<f64>, 0, false);
    for (offset, value) in (0i64..).zip(widths.iter().take(256)) {
        let value = match document.dereference(value).map(|(_, value)| value) {
            Ok(Object::Integer(value)) => *value as f64,
            Ok(Object::Real(value)) => f64::from(*value),
            _ => continue,
        };
        if value <= 0.0 {
            continue;
        }
        match width {
            None => width = Some(value),
            Some(seen) if (seen - value).abs() > 0.5 => return false,
            Some(_) => {}
        }
        count += 1;
        let code = first.saturating_add(offset);
        beyond_digits |= !(i64::from(b'0')..=i64::from(b'9')).contains(&code) && code != i64::from(b' ');
    }
    count >= 4 && beyond_digits
}

/// Font names of monospaced families: `Courier`, `*Mono*` (DejaVu Sans Mono,
/// LMMono10), Consolas, Menlo, Inconsolata, Source Code Pro / Fira Code
/// (`Code`, capitalised, so `ArialUnicodeMS` is not one), `Typewriter`, and
/// TeX's typewriter fonts, whose names have `tt` before the design size:
/// `CMTT10`, `SFTT1000`, `ectt1000`, `rm-lmtt10`. A subset tag (`ABCDEF+`) is
/// ignored.
fn is_monospaced_name(name: &str) -> bool {
    let name = match name.split_once('+') {
        Some((tag, rest)) if tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()) => rest,
        _ => name,
    };
    let lower = name.to_ascii_lowercase();
    ["mono", "courier", "typewriter", "consol", "menlo", "inconsolata", "nimbusmon"]
        .iter()
        .any(|family| lower.contains(family))
        || name.contains("Code")
        || lower.as_bytes().windows(3).any(|w| w[0] == b't' && w[1] == b't' && w[2].is_ascii_digit())
}

/// One glyph as drawn: top-left origin, y growing down the page.
#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    end: f64,
    size: f64,
    text: String,
    /// Which of the page's shown strings it is part of (from 0).
    string: usize,
    /// Set in a monospaced font; meaningful only where the page's fonts are
    /// known ([`Page::fonts_known`]).
    monospaced: bool,
}

#[derive(Debug, Default)]
struct Page {
    number: u32,
    width: f64,
    height: f64,
    glyphs: Vec<Glyph>,
    /// Strings shown so far: pdf-extract's `begin_word` calls.
    strings: usize,
    /// Whether [`page_fonts`] told the font of every string.
    fonts_known: bool,
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

    /// Marks the glyphs of page `number`, just read, with their strings'
    /// fonts: only when the font walk saw as many strings as pdf-extract
    /// showed, so that string `n` of one is string `n` of the other.
    fn apply_fonts(&mut self, number: u32, fonts: Option<Vec<bool>>) {
        let (Some(page), Some(fonts)) = (self.pages.last_mut(), fonts) else { return };
        if page.number != number || page.strings != fonts.len() {
            return;
        }
        for glyph in &mut page.glyphs {
            glyph.monospaced = fonts.get(glyph.string).copied().unwrap_or(false);
        }
        page.fonts_known = true;
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
        self.pages.push(Page { number: page_num, width: media_box.urx - media_box.llx, height, ..Page::default() });
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
        let string = page.strings.saturating_sub(1);
        page.glyphs.push(Glyph {
            x,
            y,
            end: x + width * size,
            size,
            text: text.to_string(),
            string,
            monospaced: false,
        });
        Ok(())
    }

    /// pdf-extract calls this once per string shown, before its glyphs.
    fn begin_word(&mut self) -> std::result::Result<(), OutputError> {
        if self.origin.is_some()
            && let Some(page) = self.pages.last_mut()
        {
            page.strings += 1;
        }
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
    /// The text as code: a gap between monospaced glyphs becomes as many
    /// spaces as it is glyphs wide, so aligned columns stay aligned.
    code_text: String,
    /// Characters other than spaces.
    chars: usize,
    /// How many of them are set in a monospaced font.
    monospaced: usize,
    /// The advance of one monospaced glyph (0 when there is none): a code
    /// line's column width, to turn its indentation into spaces.
    advance: f64,
    /// Whether the last glyph is monospaced.
    ends_monospaced: bool,
    /// Whether the fonts are known ([`Page::fonts_known`]).
    fonts_known: bool,
    /// Set beside a line number: a line of a listing.
    numbered: bool,
    role: Role,
    /// Where the first words end, to cut a margin name or a line number off
    /// the text it was drawn next to.
    breaks: Vec<Break>,
    /// Each glyph's size, for the line's size when it is finished.
    sizes: Vec<f64>,
}

/// A space between two words of a line, and the line's state before it.
#[derive(Debug, Clone, Copy)]
struct Break {
    /// Byte lengths of `text` and `code_text` before the space.
    text: usize,
    code: usize,
    /// Where the word before ends, and the next starts.
    before: f64,
    after: f64,
    /// [`Line::chars`], [`Line::monospaced`], [`Line::ends_monospaced`] and
    /// the number of glyphs before the space.
    chars: usize,
    monospaced: usize,
    ends_monospaced: bool,
    glyphs: usize,
}

/// Breaks kept per line: a margin name or a line number is among a line's
/// first words, so more would only cost memory on long lines.
const MAX_BREAKS: usize = 16;

/// What a line is to the layout, beside body text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Body text or code.
    Text,
    /// A listing's line number, printed beside the code: dropped.
    LineNumber,
    /// A name printed in the left margin beside the text (LaTeX `doc`'s
    /// `\DescribeMacro`, `macro` environments): a block of its own.
    MarginNote,
    /// An index entry (`\name . . . 12, 30`): no prose and no code, dropped.
    IndexEntry,
}

impl Line {
    fn start(glyph: &Glyph, text: String, fonts_known: bool) -> Line {
        let mut line = Line {
            x0: glyph.x,
            x1: glyph.end,
            y: glyph.y,
            size: glyph.size,
            code_text: text.clone(),
            text: String::new(),
            chars: 0,
            monospaced: 0,
            advance: 0.0,
            ends_monospaced: false,
            fonts_known,
            numbered: false,
            role: Role::Text,
            breaks: Vec::new(),
            sizes: Vec::new(),
        };
        line.count(glyph, &text);
        line.text = text;
        line
    }

    /// Cuts the line at `cut`: `self` keeps the words before it, the line
    /// returned has those after (without breaks: none is cut twice). `None`,
    /// and the line untouched, when `cut` is not a place in its text.
    fn split_off(&mut self, cut: Break) -> Option<Line> {
        let (Some(after), Some(code_after)) = (self.text.get(cut.text..), self.code_text.get(cut.code..)) else {
            return None;
        };
        let mut rest = self.clone();
        rest.text = after.trim().to_string();
        rest.code_text = code_after.trim().to_string();
        rest.x0 = cut.after;
        rest.chars = self.chars.saturating_sub(cut.chars);
        rest.monospaced = self.monospaced.saturating_sub(cut.monospaced);
        rest.breaks = Vec::new();
        rest.sizes = self.sizes.get(cut.glyphs..).unwrap_or(&[]).to_vec();
        rest.size = mode(&rest.sizes).unwrap_or(self.size);
        self.text.truncate(cut.text);
        self.code_text.truncate(cut.code);
        self.text = self.text.trim().to_string();
        self.code_text = self.code_text.trim().to_string();
        self.x1 = cut.before;
        self.chars = cut.chars;
        self.monospaced = cut.monospaced;
        self.ends_monospaced = cut.ends_monospaced;
        self.breaks.retain(|other| other.text < cut.text);
        self.sizes.truncate(cut.glyphs);
        self.size = mode(&self.sizes).unwrap_or(self.size);
        Some(rest)
    }

    /// Where to cut a line number off, when the line's last word is one
    /// and `glyph` (not a digit) starts the code it numbers: the number is
    /// in the text font and the code monospaced, or they differ in size
    /// (all that tells them apart where fonts are unknown). `Some(None)`:
    /// the number is the whole line; `Some(Some(cut))`: it follows words
    /// in a monospaced font, a margin name (a number after prose words is
    /// prose: "section 3 \ref").
    fn number_before(&self, glyph: &Glyph, text: &str) -> Option<Option<Break>> {
        let cut = self.breaks.last().copied();
        let word = self.text.get(cut.map_or(0, |cut| cut.text)..)?.trim();
        if !is_line_number(word) || text.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let number_size = *self.sizes.last()?;
        let number_monospaced = self.monospaced > cut.map_or(0, |cut| cut.monospaced);
        let resized = (glyph.size - number_size).abs() > number_size.min(glyph.size) * 0.15;
        let differs = if self.fonts_known { glyph.monospaced && (!number_monospaced || resized) } else { resized };
        let after_name = cut.is_none_or(|cut| cut.chars > 0 && cut.monospaced * 10 >= cut.chars * 7);
        (differs && after_name).then_some(cut)
    }

    /// Counts `glyph` (decoded as `text`) in the line's font statistics.
    fn count(&mut self, glyph: &Glyph, text: &str) {
        self.sizes.push(glyph.size);
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        self.chars += chars;
        if glyph.monospaced {
            self.monospaced += chars;
            let advance = (glyph.end - glyph.x) / chars.max(1) as f64;
            if chars > 0 && advance.is_finite() && advance > 0.0 {
                self.advance = advance;
            }
        }
        self.ends_monospaced = glyph.monospaced;
    }

    /// At least 70 % of the characters are in a monospaced font.
    fn mostly_monospaced(&self) -> bool {
        self.chars > 0 && self.monospaced * 10 >= self.chars * 7
    }

    /// Reads as a line of code: mostly monospaced where the fonts are known,
    /// mostly TeX by its text where they are not.
    fn reads_as_code(&self) -> bool {
        ((self.numbered || strip_line_number(&self.text).is_some()) && is_guard(&self.text))
            || if self.fonts_known { self.mostly_monospaced() } else { looks_like_tex(&self.text) }
    }
}

/// The widest run of spaces a gap inside a code line becomes.
const MAX_CODE_GAP: usize = 64;

/// The deepest indentation, in columns, a code line keeps.
const MAX_INDENT: usize = 120;

/// Glyphs to line segments, in drawing order.
fn lines_of(page: &Page) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut current: Option<Line> = None;
    for glyph in &page.glyphs {
        let text = expand_ligatures(&glyph.text);
        if let Some(mut line) = current.take() {
            let same_baseline = (glyph.y - line.y).abs() <= line.size.max(glyph.size) * 0.5;
            let gap = glyph.x - line.x1;
            // A list marker is often set apart from its text by more than a
            // column gutter; it still belongs to the line. So does code
            // aligned in columns (a comment after the statement).
            let marker_only = is_marker(&line.text);
            let aligned_code = glyph.monospaced && line.mostly_monospaced();
            let gutter = line.size.max(glyph.size)
                * if marker_only {
                    8.0
                } else if aligned_code {
                    12.0
                } else {
                    2.5
                };
            if same_baseline && gap > -line.size * 0.5 && gap < gutter {
                // A listing's line number is a segment of its own, cut from
                // the words before it (a margin name) and the code after.
                if let Some(cut) = line.number_before(glyph, &text) {
                    let number = cut.and_then(|cut| line.split_off(cut));
                    finish_line(&mut lines, line);
                    if let Some(number) = number {
                        finish_line(&mut lines, number);
                    }
                    current = Some(Line::start(glyph, text, page.fonts_known));
                    continue;
                }
                extend_line(&mut line, glyph, &text, gap);
                current = Some(line);
                continue;
            }
            finish_line(&mut lines, line);
        }
        current = Some(Line::start(glyph, text, page.fonts_known));
    }
    if let Some(line) = current {
        finish_line(&mut lines, line);
    }
    lines
}

/// Appends `glyph` (decoded as `text`), `gap` to the right of the line.
fn extend_line(line: &mut Line, glyph: &Glyph, text: &str, gap: f64) {
    let spaced = gap > glyph.size.min(line.size) * 0.15 && !line.text.ends_with(' ') && !text.starts_with(' ');
    if spaced && line.breaks.len() < MAX_BREAKS {
        line.breaks.push(Break {
            text: line.text.len(),
            code: line.code_text.len(),
            before: line.x1,
            after: glyph.x,
            chars: line.chars,
            monospaced: line.monospaced,
            ends_monospaced: line.ends_monospaced,
            glyphs: line.sizes.len(),
        });
    }
    if spaced {
        line.text.push(' ');
    }
    if glyph.monospaced && line.ends_monospaced && line.advance > 0.0 && gap > line.advance * 0.5 {
        let spaces = (gap / line.advance).round().clamp(1.0, MAX_CODE_GAP as f64) as usize;
        line.code_text.extend(std::iter::repeat_n(' ', spaces));
    } else if spaced {
        line.code_text.push(' ');
    }
    line.text.push_str(text);
    line.code_text.push_str(text);
    line.x1 = line.x1.max(glyph.end);
    line.count(glyph, text);
}

/// Keeps a line that has text, its size set to its most common glyph size
/// (a bold initial or a superscript does not make it a heading), its text
/// trimmed and its breaks moved with it.
fn finish_line(lines: &mut Vec<Line>, mut line: Line) {
    line.size = mode(&line.sizes).unwrap_or(line.size);
    if line.text.trim().is_empty() {
        return;
    }
    let lead = line.text.len() - line.text.trim_start().len();
    let code_lead = line.code_text.len() - line.code_text.trim_start().len();
    line.breaks.retain(|cut| cut.text > lead && cut.code > code_lead);
    for cut in &mut line.breaks {
        cut.text -= lead;
        cut.code -= code_lead;
    }
    line.text = line.text.trim().to_string();
    line.code_text = line.code_text.trim().to_string();
    lines.push(line);
}

/// The most common value, rounded to a tenth of a point.
fn mode(values: &[f64]) -> Option<f64> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for value in values {
        *counts.entry((value * 10.0).round() as i64).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(value, count)| (*count, -*value)).map(|(value, _)| value as f64 / 10.0)
}

/// Whether most lines sit in a left or a right half of the page.
fn two_columns(width: f64, lines: &[Line]) -> bool {
    let middle = width / 2.0;
    let margin = width * 0.02;
    let left = lines.iter().filter(|line| line.x1 <= middle + margin).count();
    let right = lines.iter().filter(|line| line.x0 >= middle - margin).count();
    left >= 3 && right >= 3 && (left + right) * 2 >= lines.len()
}

/// Reading order: bands separated by full-width lines; inside a band the
/// left column, then the right one. A page without two columns keeps the
/// top-to-bottom order.
fn reading_order(page: &Page, mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let lines = merge_markers(lines);
    let middle = page.width / 2.0;
    let margin = page.width * 0.02;
    if !two_columns(page.width, &lines) {
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
            && marker.role == Role::Text
            && line.role == Role::Text
            && is_marker(&marker.text)
            && (line.y - marker.y).abs() <= marker.size.max(line.size) * 0.5
            && line.x0 >= marker.x1 - marker.size * 0.5
            && line.x0 - marker.x1 < line.size * 8.0
        {
            marker.text = format!("{} {}", marker.text.trim(), line.text);
            marker.code_text = format!("{} {}", marker.code_text.trim(), line.code_text);
            marker.x1 = line.x1;
            marker.size = line.size;
            marker.chars += line.chars;
            marker.monospaced += line.monospaced;
            marker.ends_monospaced = line.ends_monospaced;
            continue;
        }
        merged.push(line);
    }
    merged
}

/// Gives a page's segments their [`Role`]: index entries, line numbers
/// beside code, and names in the left margin (cut off the text they were
/// drawn next to).
fn mark_roles(page: &Page, lines: &mut Vec<Line>) {
    for line in lines.iter_mut() {
        if is_index_entry(line) {
            line.role = Role::IndexEntry;
        }
    }
    // On a page of the index (or of a change history set like it), the
    // entries' wrapped page numbers and the entries with words are the
    // index too.
    let entries = lines.iter().filter(|line| line.role == Role::IndexEntry).count();
    if entries >= 8 && entries * 4 >= lines.len() {
        for line in lines.iter_mut().filter(|line| line.role == Role::Text && is_index_tail(&line.text)) {
            line.role = Role::IndexEntry;
        }
    }
    mark_line_numbers(page, lines);
    mark_margin_notes(lines);
}

/// How many segments either side (in top-to-bottom order) are searched for
/// the code beside a line number: a baseline holds a few segments, so this
/// bounds the work without missing one.
const BESIDE_SEARCH: usize = 16;

/// Marks bare numbers (1–5 digits) that have code on their baseline just to
/// their right (or a `doc` guard, `⟨*package⟩`): a listing's line numbers.
/// [`lines_of`] cuts them from the code when their font or size differs;
/// found here, they are dropped, and the code beside them is `numbered`.
fn mark_line_numbers(page: &Page, lines: &mut [Line]) {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&lines[a], &lines[b]);
        a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0))
    });
    let mut found = Vec::new();
    for (position, &index) in order.iter().enumerate() {
        let Some(number) = lines.get(index).filter(|line| line.role == Role::Text && is_line_number(&line.text)) else {
            continue;
        };
        let after = order.iter().skip(position + 1).take(BESIDE_SEARCH);
        let before = order.iter().take(position).rev().take(BESIDE_SEARCH);
        let beside = after.chain(before).copied().find(|&other| {
            lines.get(other).is_some_and(|code| {
                code.role == Role::Text
                    && !is_line_number(&code.text)
                    && (code.y - number.y).abs() <= number.size.max(code.size) * 0.5
                    && code.x0 >= number.x1 - number.size * 0.5
                    && code.x0 - number.x1 < page.width * 0.6
                    && (code.reads_as_code() || is_guard(&code.text))
            })
        });
        if let Some(code) = beside {
            found.push((index, code));
        }
    }
    // Set smaller than the code, or one of a column that counts up line
    // by line: a section number beside a title in a monospaced font is
    // neither.
    let value = |index: usize| lines.get(index).and_then(|line| line.text.parse::<u64>().ok());
    let accepted: Vec<(usize, usize)> = (0..found.len())
        .filter_map(|at| {
            let &(number, code) = found.get(at)?;
            let (number_line, code_line) = (lines.get(number)?, lines.get(code)?);
            let counts = |other: Option<&(usize, usize)>, step: i64| {
                other.is_some_and(|&(other, _)| {
                    let close = lines.get(other).is_some_and(|other| {
                        (other.y - number_line.y).abs() <= code_line.size * 2.5
                            && (other.y - number_line.y) * step as f64 > 0.0
                    });
                    close && value(other).zip(value(number)).is_some_and(|(a, b)| a as i64 - b as i64 == step)
                })
            };
            let smaller = number_line.size <= code_line.size * 0.9;
            let counting = counts(at.checked_sub(1).and_then(|at| found.get(at)), -1) || counts(found.get(at + 1), 1);
            (smaller || counting).then_some((number, code))
        })
        .collect();
    for (number, code) in accepted {
        if let Some(line) = lines.get_mut(number) {
            line.role = Role::LineNumber;
        }
        if let Some(line) = lines.get_mut(code) {
            line.numbered = true;
        }
    }
}

/// On an index page, a line of only leaders, numbers and letter groups
/// (`. 158, 255, 295`), or one with a run of leaders (`v0.1 \xdef not
/// \edef . . . . 10`).
fn is_index_tail(text: &str) -> bool {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let leaders = tokens.iter().filter(|token| token.bytes().all(|b| b == b'.')).count();
    leaders >= 3 || tokens.iter().all(|token| is_index_reference(token) || is_letter_group(token))
}

/// A token of an index's references: leader dots, or page or line numbers
/// (`26–30,`).
fn is_index_reference(token: &str) -> bool {
    token.bytes().all(|b| b == b'.')
        || (token.chars().any(|c| c.is_ascii_digit())
            && token.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | '–' | '-')))
}

/// An index's letter group heading: `A`, `Symbols`, `Numbers`.
fn is_letter_group(token: &str) -> bool {
    token == "Symbols" || token == "Numbers" || (token.len() == 1 && token.bytes().all(|b| b.is_ascii_uppercase()))
}

/// A `doc` guard line, `⟨*package⟩` or `⟨/driver⟩`: part of the listing.
/// Set in the text font, like its line number, the number may be drawn as
/// one segment with it (`1 ⟨*package⟩`).
fn is_guard(text: &str) -> bool {
    let text = strip_line_number(text).unwrap_or(text);
    text.starts_with('⟨') && text.ends_with('⟩') && text.chars().count() <= 40
}

/// Marks names printed in the left margin, beside the text column: short,
/// monospaced (or a control sequence by its text, where fonts are unknown),
/// ending left of where the column's lines start. A name drawn on the
/// baseline of a line of the column, close enough to be one segment with
/// it, is cut off it at the space that crosses the column's edge. On a page
/// in two columns the edge is the left column's.
fn mark_margin_notes(lines: &mut Vec<Line>) {
    let Some(edge) = column_left_edge(lines) else { return };
    let mut cut_off = Vec::new();
    for line in lines.iter_mut().filter(|line| line.role == Role::Text && line.x0 < edge - line.size * 0.5) {
        let named = |chars: usize, monospaced: usize, text: &str| {
            let name =
                if line.fonts_known { chars > 0 && monospaced * 10 >= chars * 7 } else { text.starts_with('\\') };
            name && text.chars().count() <= 60 && !is_line_number(text)
        };
        if line.x1 < edge - line.size * 0.4 {
            if named(line.chars, line.monospaced, &line.text) {
                line.role = Role::MarginNote;
            }
            continue;
        }
        let crossing = line
            .breaks
            .iter()
            .copied()
            .find(|cut| cut.before < edge - line.size * 0.3 && cut.after >= edge - line.size * 0.5);
        let Some(cut) = crossing else { continue };
        if named(cut.chars, cut.monospaced, line.text.get(..cut.text).unwrap_or(""))
            && let Some(rest) = line.split_off(cut)
        {
            line.role = Role::MarginNote;
            cut_off.push(rest);
        }
    }
    lines.append(&mut cut_off);
}

/// Where the text column starts: the leftmost x (rounded to a point) that
/// prose lines start at, three of them or two with a tenth of the prose's
/// characters; paragraph indents and lists start further right. Lines that
/// start with a name in a monospaced font do not count (a margin name drawn
/// as one segment with its line is one), nor lines set smaller than most
/// (notes in the margin). A page without such prose (all code) starts where
/// a fifth of its lines and line numbers start further left: margin names
/// are a few lines beside many.
fn column_left_edge(lines: &[Line]) -> Option<f64> {
    let starts_named = |line: &Line| match line.breaks.first() {
        Some(cut) if line.fonts_known => cut.chars > 0 && cut.monospaced * 10 >= cut.chars * 7,
        _ => line.mostly_monospaced() || (!line.fonts_known && line.text.starts_with('\\')),
    };
    let prose: Vec<&Line> =
        lines.iter().filter(|line| line.role == Role::Text && !line.reads_as_code() && !starts_named(line)).collect();
    let mut sizes: HashMap<i64, usize> = HashMap::new();
    for line in &prose {
        *sizes.entry((line.size * 10.0).round() as i64).or_default() += line.chars;
    }
    let usual =
        sizes.into_iter().max_by_key(|(size, chars)| (*chars, -*size)).map_or(0.0, |(size, _)| size as f64 / 10.0);
    let mut clusters: HashMap<i64, (usize, usize)> = HashMap::new();
    let mut total = 0;
    for line in prose.iter().filter(|line| line.size >= usual - 0.6) {
        let cluster = clusters.entry(line.x0.round() as i64).or_default();
        cluster.0 += 1;
        cluster.1 += line.chars;
        total += line.chars;
    }
    let edge = clusters
        .into_iter()
        .filter(|(_, (count, chars))| *count >= 3 || (*count >= 2 && chars * 10 >= total))
        .map(|(x, _)| x)
        .min();
    if let Some(edge) = edge {
        return Some(edge as f64);
    }
    let mut starts: Vec<f64> =
        lines.iter().filter(|line| matches!(line.role, Role::Text | Role::LineNumber)).map(|line| line.x0).collect();
    starts.sort_by(f64::total_cmp);
    starts.get(starts.len() / 5).copied()
}

/// A listing's line number: 1–5 ASCII digits and nothing else.
fn is_line_number(text: &str) -> bool {
    (1..=5).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// An index entry: control sequences with leader dots and page or line
/// numbers, several entries on one line where the index's columns run
/// together (`\@whilesw . . . 21, 162 \@ifstar . . . 415`), with the index's
/// letter groups (`A`, `Symbols`). Where fonts are known the entry ends in
/// the text font (its numbers), which tells it from a line of code that
/// ends in a number; where they are not, it needs leaders or a list of
/// numbers.
fn is_index_entry(line: &Line) -> bool {
    let (mut names, mut leaders, mut lists, mut numbers) = (0, 0, 0, 0);
    for token in line.text.split_whitespace() {
        if token.starts_with('\\') && token.len() >= 2 {
            names += 1;
        } else if token.bytes().all(|b| b == b'.') {
            leaders += 1;
        } else if is_index_reference(token) {
            numbers += 1;
            lists += usize::from(token.ends_with(','));
        } else if !is_letter_group(token) {
            return false;
        }
    }
    let referenced =
        if line.fonts_known { !line.ends_monospaced && leaders + numbers > 0 } else { leaders + lists > 0 };
    names > 0 && referenced
}

/// A line of TeX source by its text alone, for pages whose fonts are not
/// known: beside a leading line number, it has control sequences and few
/// prose words (fewer than control sequences), and a sign of code: an
/// internal `@` name (`\rc@newcommand`), a parameter (`#1`), braces, two
/// control sequences, or a `%` at the end. A line of only closing braces
/// (`}%`, `}}`) ends a definition.
fn looks_like_tex(text: &str) -> bool {
    let text = strip_line_number(text).unwrap_or(text);
    if text.contains('}') && text.chars().all(|c| matches!(c, '{' | '}' | '[' | ']' | '%' | ' ')) {
        return true;
    }
    let (mut controls, mut prose_words, mut internal) = (0usize, 0usize, false);
    for token in text.split_whitespace() {
        let names = control_sequences(token);
        internal |= names.iter().any(|name| name.contains('@'));
        internal |= token.as_bytes().windows(2).any(|pair| pair[0] == b'#' && pair[1].is_ascii_digit());
        if names.is_empty() {
            prose_words += usize::from(is_prose_word(token));
        }
        controls += names.len();
    }
    let braces = text.contains('{') || text.contains('}');
    controls > 0
        && (prose_words <= 1 || prose_words < controls)
        && (internal || braces || controls >= 2 || text.ends_with('%'))
}

/// The control sequences in `token`: `\` and letters or `@`s.
fn control_sequences(token: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = token;
    while let Some(at) = rest.find('\\') {
        let after = &rest[at + 1..];
        let length = after.find(|c: char| !(c.is_ascii_alphabetic() || c == '@')).unwrap_or(after.len());
        if length > 0 {
            names.push(&after[..length]);
        }
        rest = &after[length..];
        if length == 0 {
            // `\\` or `\{`: skip the escaped character.
            let skip = rest.chars().next().map_or(0, char::len_utf8);
            rest = &rest[skip..];
        }
    }
    names
}

/// A word of prose: two or more letters, punctuation around it aside.
fn is_prose_word(token: &str) -> bool {
    let word = token.trim_matches(|c: char| c.is_ascii_punctuation() || matches!(c, '’' | '‘' | '“' | '”'));
    word.chars().count() >= 2 && word.chars().all(char::is_alphabetic)
}

/// The text after a leading line number (`261 \rc@newcommand`): 1–5 digits
/// and a space, with text after them.
fn strip_line_number(text: &str) -> Option<&str> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    if !(1..=5).contains(&digits) {
        return None;
    }
    let rest = text[digits..].strip_prefix(' ')?.trim_start();
    (!rest.is_empty()).then_some(rest)
}

/// Which of a page's lines (in reading order) are code: those that read as
/// code and are not heading-sized, unless such a line (without a line
/// number) goes on a sentence: at line spacing below prose that does not
/// end a sentence (or ending in `.` or `,` itself, after an abbreviation),
/// or above prose that goes on in lower case, and not at line spacing from
/// code on its other side. A listing is set off from prose by extra space;
/// that line is prose that is mostly a macro name (`\listoftables.`).
fn code_lines(lines: &[Line], body_size: f64) -> Vec<bool> {
    let reads: Vec<bool> = lines
        .iter()
        .map(|line| line.role == Role::Text && line.reads_as_code() && line.size < body_size * 1.15)
        .collect();
    let text: Vec<usize> = (0..lines.len()).filter(|&index| lines[index].role == Role::Text).collect();
    let tight = |earlier: usize, later: usize| {
        let (Some(earlier), Some(later)) = (lines.get(earlier), lines.get(later)) else { return false };
        let gap = later.y - earlier.y;
        gap > 0.0 && gap <= earlier.size.max(later.size) * 1.3 && (earlier.size - later.size).abs() <= 0.6
    };
    let is_code = |index: usize| reads.get(index).copied().unwrap_or(false);
    let mut code = reads.clone();
    for (position, &index) in text.iter().enumerate() {
        let Some(line) = lines.get(index).filter(|line| is_code(index) && !line.numbered) else { continue };
        let before = position.checked_sub(1).and_then(|position| text.get(position)).copied();
        let after = text.get(position + 1).copied();
        let code_above = before.is_some_and(|before| is_code(before) && tight(before, index));
        let code_below = after.is_some_and(|after| is_code(after) && tight(index, after));
        let punctuated = line.text.ends_with(['.', ',', ';']);
        let below_sentence = before.is_some_and(|before| {
            !is_code(before)
                && tight(before, index)
                && lines.get(before).is_some_and(|before| punctuated || !ends_sentence(&before.text))
        });
        let above_sentence = after.is_some_and(|after| {
            !is_code(after)
                && tight(index, after)
                && lines.get(after).is_some_and(|after| after.text.chars().next().is_some_and(char::is_lowercase))
        });
        if (below_sentence && !code_below) || (above_sentence && !code_above) {
            code[index] = false;
        }
    }
    code
}

/// Whether the document is typewritten: nearly all its characters are in a
/// monospaced font, so the font does not tell code from prose (a text file
/// printed to PDF, an RFC); its lines are then read as if fonts were unknown.
fn typewritten(pages: &[Page]) -> bool {
    let (mut all, mut monospaced) = (0usize, 0usize);
    for glyph in pages.iter().filter(|page| page.fonts_known).flat_map(|page| page.glyphs.iter()) {
        let chars = glyph.text.chars().filter(|c| !c.is_whitespace()).count();
        all += chars;
        monospaced += if glyph.monospaced { chars } else { 0 };
    }
    all > 0 && monospaced * 5 > all * 4
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
fn layout(mut pages: Vec<Page>) -> DocumentBuilder {
    if typewritten(&pages) {
        pages.iter_mut().for_each(|page| page.fonts_known = false);
    }
    let ordered: Vec<(u32, f64, Vec<Line>)> = pages
        .iter()
        .map(|page| {
            let mut lines = lines_of(page);
            mark_roles(page, &mut lines);
            (page.number, page.height, reading_order(page, lines))
        })
        .collect();
    let repeated = if ordered.len() >= 2 { furniture(&ordered) } else { HashMap::new() };
    let body_size = body_size(&ordered);
    // Heading sizes, largest first: rank = level.
    let mut heading_sizes: Vec<i64> = ordered
        .iter()
        .flat_map(|(_, _, lines)| lines.iter())
        .filter(|line| line.role == Role::Text && line.size >= body_size * 1.15)
        .map(|line| (line.size * 10.0).round() as i64)
        .collect();
    heading_sizes.sort_unstable_by(|a, b| b.cmp(a));
    heading_sizes.dedup();

    let mut builder = DocumentBuilder::default();
    let mut block = BlockDraft::default();
    // Margin notes wait for the line they stand beside, and go before the
    // block that line is in.
    let mut notes: Vec<String> = Vec::new();
    for (number, height, lines) in &ordered {
        let code = code_lines(lines, body_size);
        let mut previous: Option<&Line> = None;
        for (line, &is_code) in lines.iter().zip(&code) {
            if in_margin(line, *height)
                && (is_page_number(&line.text) || repeated.contains_key(&mask_digits(&line.text)))
            {
                continue;
            }
            match line.role {
                Role::LineNumber | Role::IndexEntry => continue,
                Role::MarginNote => {
                    notes.push(line.text.clone());
                    continue;
                }
                Role::Text => {}
            }
            // A paragraph broken by a page or column end goes on when its
            // last line ends mid-sentence and the next starts in lower case,
            // even when that line is mostly a macro name.
            let continues = block.lines.last().is_some_and(|last| !ends_sentence(last))
                && line.text.chars().next().is_some_and(char::is_lowercase)
                && (line.size - block.size).abs() <= 0.6;
            let is_code = is_code && !(previous.is_none() && continues && !line.numbered);
            let is_heading = !is_code && line.size >= body_size * 1.15 && line.text.chars().count() <= 200;
            let list = if is_code { None } else { list_start(&line.text) };
            let starts_block = if is_code {
                block.code_breaks_at(line, previous)
            } else {
                match previous {
                    None => {
                        block.is_empty() || block.code || block.heading != is_heading || list.is_some() || !continues
                    }
                    Some(prev) => {
                        let gap = line.y - prev.y;
                        let line_height = prev.size.max(line.size) * 1.6;
                        (gap > line_height && !(is_heading && block.heading && gap < line_height * 1.5))
                            || (gap < -prev.size && !continues)
                            || (line.size - prev.size).abs() > 0.6
                            || block.code
                            || block.heading != is_heading
                            || list.is_some()
                    }
                }
            };
            if starts_block {
                block.flush(&mut builder, &heading_sizes);
                block.page = Some(*number);
                block.heading = is_heading;
                block.code = is_code;
                block.size = line.size;
                block.list = list.map(|(ordinal, _)| ordinal);
            }
            block.notes.append(&mut notes);
            if is_code {
                block.push_code(line, previous);
            } else {
                let text = match (starts_block, list) {
                    (true, Some((_, rest))) => rest,
                    _ => line.text.as_str(),
                };
                block.lines.push(text.to_string());
            }
            previous = Some(line);
        }
    }
    block.flush(&mut builder, &heading_sizes);
    for note in notes {
        builder.push(BlockKind::Code, 0, None, None, &note);
    }
    builder
}

/// The font size most characters of prose are set in (code, often set
/// smaller, does not count where fonts are known).
fn body_size(pages: &[(u32, f64, Vec<Line>)]) -> f64 {
    let mut weight: HashMap<i64, usize> = HashMap::new();
    let prose = pages
        .iter()
        .flat_map(|(_, _, lines)| lines.iter())
        .filter(|line| line.role == Role::Text && !(line.fonts_known && line.mostly_monospaced()));
    for line in prose {
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

/// One line of a code block as drawn.
struct CodeLine {
    x0: f64,
    /// One column's width ([`Line::advance`], or half the size without one).
    advance: f64,
    text: String,
    /// An empty line comes before it (the gap above is a line and more).
    blank_before: bool,
}

/// Lines gathered for one block.
#[derive(Default)]
struct BlockDraft {
    lines: Vec<String>,
    page: Option<u32>,
    heading: bool,
    size: f64,
    list: Option<Option<u32>>,
    /// A code block: its lines are in `code_lines`.
    code: bool,
    code_lines: Vec<CodeLine>,
    /// The smallest gap between the code lines so far: their line pitch.
    pitch: Option<f64>,
    /// Margin notes beside the block's lines, pushed before it.
    notes: Vec<String>,
    /// Inside an index or a change history ([`is_back_matter`]) under a
    /// heading of this level: blocks are dropped until a heading as high.
    back_matter: Option<u8>,
}

impl BlockDraft {
    fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.code_lines.is_empty()
    }

    /// Whether code `line` starts a new block: after prose, after more than
    /// one blank line's space, or in another size. A listing goes on over a
    /// page or column break.
    fn code_breaks_at(&self, line: &Line, previous: Option<&Line>) -> bool {
        if !self.code || self.code_lines.is_empty() {
            return true;
        }
        let Some(prev) = previous else { return false };
        let gap = line.y - prev.y;
        (line.size - prev.size).abs() > 0.6 || gap > self.pitch_for(line) * 2.6
    }

    /// The code line pitch: the smallest gap seen, and at most 1.3 × the
    /// size (a first gap may already hold a blank line).
    fn pitch_for(&self, line: &Line) -> f64 {
        let usual = line.size * 1.3;
        self.pitch.map_or(usual, |pitch| pitch.min(usual))
    }

    fn push_code(&mut self, line: &Line, previous: Option<&Line>) {
        let gap = previous.filter(|_| !self.code_lines.is_empty()).map(|prev| line.y - prev.y);
        let blank_before = gap.is_some_and(|gap| gap > self.pitch_for(line) * 1.5);
        if let Some(gap) = gap.filter(|gap| *gap > line.size * 0.5) {
            self.pitch = Some(self.pitch.map_or(gap, |pitch| pitch.min(gap)));
        }
        let advance = if line.advance > 0.0 { line.advance } else { line.size * 0.5 };
        // A line number drawn as one segment with the line: before a guard
        // (both in the text font), or, where fonts are unknown, before TeX.
        let (x0, text) = match strip_line_number(&line.code_text) {
            Some(rest) if is_guard(rest) || (!line.fonts_known && looks_like_tex(rest)) => {
                (line.breaks.first().map_or(line.x0, |cut| cut.after), rest)
            }
            _ => (line.x0, line.code_text.as_str()),
        };
        self.code_lines.push(CodeLine { x0, advance, text: text.to_string(), blank_before });
    }

    fn flush(&mut self, builder: &mut DocumentBuilder, heading_sizes: &[i64]) {
        let heading_level = (self.heading && self.code_lines.is_empty()).then(|| {
            let key = (self.size * 10.0).round() as i64;
            let rank = heading_sizes.iter().position(|size| *size == key).unwrap_or(0);
            (rank + 1).min(6) as u8
        });
        if let (Some(skipped), Some(level)) = (self.back_matter, heading_level)
            && level <= skipped
        {
            self.back_matter = None;
        }
        if self.back_matter.is_some() {
            self.lines.clear();
            self.code_lines.clear();
            self.notes.clear();
            self.pitch = None;
            self.list = None;
            return;
        }
        if self.is_empty() {
            builder.page = self.page.or(builder.page);
            for note in self.notes.drain(..) {
                builder.push(BlockKind::Code, 0, None, None, &note);
            }
            return;
        }
        builder.page = self.page;
        for note in self.notes.drain(..) {
            builder.push(BlockKind::Code, 0, None, None, &note);
        }
        if !self.code_lines.is_empty() {
            let text = code_text(&self.code_lines);
            self.code_lines.clear();
            self.pitch = None;
            builder.push(BlockKind::Code, 0, None, None, &text);
            return;
        }
        let text = tex_logos(&join_lines(&self.lines));
        self.lines.clear();
        if let Some(level) = heading_level.filter(|_| text.chars().count() <= 200) {
            if is_back_matter(&text) {
                self.back_matter = Some(level);
                return;
            }
            builder.push(BlockKind::Heading, level, None, None, &text);
        } else if let Some(ordinal) = self.list.take() {
            builder.push(BlockKind::ListItem, 1, ordinal, None, &tex_in_prose(&text));
        } else {
            builder.push(BlockKind::Paragraph, 0, None, None, &tex_in_prose(&text));
        }
    }
}

/// The title of an index, a change history or a table of contents: lists
/// of names and page or line numbers, set in several columns that run
/// together when read as lines, with no prose to make questions of.
fn is_back_matter(title: &str) -> bool {
    ["index", "change history", "changes", "contents", "table of contents"]
        .iter()
        .any(|name| title.trim().eq_ignore_ascii_case(name))
}

/// A code block's text: one line per line drawn, indented by how far right
/// of the block's leftmost line it starts (in columns), an empty line where
/// the gap above holds one. Line numbers drawn in the code's own font and
/// size, which [`lines_of`] cannot cut off, go when every line starts with
/// one and they count up by one (two over an empty line); the indentation
/// is then the spacing after them. Common leading spaces are removed.
fn code_text(lines: &[CodeLine]) -> String {
    let left = lines.iter().map(|line| line.x0).fold(f64::INFINITY, f64::min);
    let numbered = lines.len() >= 2 && {
        let numbers: Vec<Option<u64>> = lines.iter().map(|line| leading_number(&line.text)).collect();
        numbers.iter().all(Option::is_some)
            && numbers.windows(2).zip(lines.iter().skip(1)).all(|(pair, line)| match pair {
                [Some(a), Some(b)] => *b == a + 1 || (line.blank_before && *b == a + 2),
                _ => false,
            })
    };
    let mut rows: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        if line.blank_before {
            rows.push(String::new());
        }
        let row = if numbered {
            line.text.trim_start_matches(|c: char| c.is_ascii_digit()).to_string()
        } else {
            let columns = ((line.x0 - left) / line.advance).round();
            let indent = if columns.is_finite() { columns.clamp(0.0, MAX_INDENT as f64) as usize } else { 0 };
            format!("{}{}", " ".repeat(indent), line.text)
        };
        rows.push(row);
    }
    let common = rows
        .iter()
        .filter(|row| !row.trim().is_empty())
        .map(|row| row.len() - row.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let rows: Vec<&str> = rows.iter().map(|row| row.get(common..).unwrap_or("").trim_end()).collect();
    rows.join("\n")
}

/// The line number a code line starts with: digits, then a space.
fn leading_number(text: &str) -> Option<u64> {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    if !(1..=5).contains(&digits) || !text[digits..].starts_with(' ') {
        return None;
    }
    text[..digits].parse().ok()
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

/// The TeX logos as their names are written: the LaTeX logo is drawn as
/// "L", a raised small "A", "T", a lowered "E" and "X", which reads back as
/// "LATEX" (and "TEX", "LATEX2ε", "XELATEX").
fn tex_logos(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // "LATEX2ε": the logo, then its version, is one word here.
        let word_end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        if word_end == 0 {
            let length = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..length]);
            rest = &rest[length..];
            continue;
        }
        let word = &rest[..word_end];
        let logo = match word {
            "LATEX" => Some("LaTeX"),
            "TEX" => Some("TeX"),
            "LATEX2" => Some("LaTeX2"),
            "BIBTEX" => Some("BibTeX"),
            "XELATEX" => Some("XeLaTeX"),
            "LUALATEX" => Some("LuaLaTeX"),
            "PDFLATEX" => Some("pdfLaTeX"),
            _ => None,
        };
        out.push_str(logo.unwrap_or(word));
        rest = &rest[word_end..];
    }
    out
}

/// Prose of a TeX manual made readable: TeX's control sequences and their
/// arguments (`\newfloat{⟨type⟩}[⟨within⟩]`) set as inline code, as they
/// are set in a typewriter font on the page, and a meta-variable's opening
/// angle bracket, which Computer Modern's symbol font often maps to `∗`
/// when the PDF has no Unicode map for it (`∗type⟩`), restored.
fn tex_in_prose(text: &str) -> String {
    let text = meta_variables(text);
    if !text.contains('\\') {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text.as_str();
    while let Some(at) = rest.find('\\') {
        let after = &rest[at + 1..];
        let name = after.find(|c: char| !(c.is_ascii_alphabetic() || c == '@')).unwrap_or(after.len());
        // `\\`, `\{`, `\,`: one escaped character (TeX's control symbols).
        let symbol =
            if name == 0 { after.chars().next().filter(|c| !c.is_whitespace()).map_or(0, char::len_utf8) } else { 0 };
        if name + symbol == 0 {
            out.push_str(&rest[..=at]);
            rest = after;
            continue;
        }
        let end = at + 1 + name + symbol + tex_arguments(&after[name + symbol..]);
        let code = &rest[at..end];
        // Already in backticks, or the whole paragraph is a listing's line.
        if rest[..at].ends_with('`') {
            out.push_str(&rest[..end]);
        } else {
            out.push_str(&rest[..at]);
            out.push('`');
            out.push_str(code);
            out.push('`');
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The length of what belongs to a control sequence after its name: a star
/// (`\\section*`), a meta-variable (`\\fps@⟨float⟩`) and argument groups,
/// `{...}` and `[...]`, nested or not (`\\newfloat{⟨type⟩}[⟨within⟩]`). A
/// group left open within 200 bytes is not taken.
fn tex_arguments(text: &str) -> usize {
    let mut end = 0;
    loop {
        let rest = &text[end..];
        let taken = match rest.chars().next() {
            Some('*') => 1,
            Some('⟨') => rest.find('⟩').filter(|close| *close <= 60).map_or(0, |close| close + '⟩'.len_utf8()),
            Some('{' | '[') => group_length(rest).unwrap_or(0),
            _ => 0,
        };
        if taken == 0 {
            return end;
        }
        end += taken;
    }
}

/// The length of the bracketed group `text` starts with, if it closes
/// within 200 bytes.
fn group_length(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        if at > 200 {
            return None;
        }
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// `∗type⟩` as `⟨type⟩`: an asterisk operator, then letters (and spaces,
/// hyphens, digits), then a closing angle bracket.
fn meta_variables(text: &str) -> String {
    if !text.contains('∗') || !text.contains('⟩') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('∗') {
        let after = &rest[at + '∗'.len_utf8()..];
        let inner = after.find(|c: char| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))).unwrap_or(after.len());
        let is_meta =
            inner > 0 && inner <= 40 && after[inner..].starts_with('⟩') && after.starts_with(char::is_alphabetic);
        out.push_str(&rest[..at]);
        out.push(if is_meta { '⟨' } else { '∗' });
        rest = after;
    }
    out.push_str(rest);
    out
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

#[cfg(test)]
#[path = "pdf_tests.rs"]
mod tests;
