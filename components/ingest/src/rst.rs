//! reStructuredText (docutils and Sphinx sources), read by a parser written
//! here by hand because no maintained Rust reStructuredText parser exists (the
//! `rst_parser` crate is incomplete and unmaintained).
//!
//! The decoder reads a document the way docutils does: a body is a run of
//! constructs, each recognised by its first line (explicit markup, lists,
//! field and option lists, tables, titles, paragraphs), and everything nested
//! (a list item's body, a directive's content, a block quote) is a body again,
//! found by its indentation. So one function reads the document, a list item
//! and a note alike.
//!
//! The normalised text is what a reader of the rendered page sees, because
//! later stages ask and answer questions about it: roles become their titles,
//! references their link text, substitutions their replacement, and footnote
//! references, targets, comments and directive options disappear. Literal
//! blocks keep their text exactly. Directives are sorted by what they hold
//! for a reader: code (kept as code), prose (admonitions, kept as
//! paragraphs), object descriptions (Sphinx's `function`, `confval`, ...: a
//! heading one level below the section, then the description), tables, and
//! machinery (toctrees, index entries, version notes: dropped).

use std::collections::HashMap;

use brightrun_types::BlockKind;

use crate::DocumentBuilder;

/// How deep bodies may nest (a list in a quote in a note ...) before the rest
/// is read as plain paragraphs. Real documents stay under ten; the bound keeps
/// hostile indentation from recursing without end.
const MAX_NESTING: usize = 24;
/// Lines [`looks_like`] reads: a title, a docinfo block and the first sections.
const SNIFF_LINES: usize = 400;
/// docutils expands tabs to every eighth column.
const TAB_WIDTH: usize = 8;
/// The longest role name or footnote label looked for; a longer run is text.
const MAX_NAME_CHARS: usize = 64;
/// How many substitutions inside substitutions (or `:ref:` titles inside
/// titles) are expanded before a name is left as it is, so cycles end.
const MAX_INLINE_DEPTH: u8 = 3;

// ---- Detection -------------------------------------------------------------

/// Whether `text` reads as reStructuredText by its content: several kinds of
/// docutils tell-tale (directives, roles, hyperlink targets and references,
/// over- and underlined titles, `::` literal blocks, docinfo fields) and
/// clearly more of them than of AsciiDoc's (`linkgit:`, `[verse]`, `----`
/// listing delimiters, `{attribute}` references, `NAME` man sections) or
/// Markdown's (`#` headings, fences, `](` links). An underlined title alone
/// says nothing, since AsciiDoc, Markdown and plain text use it too.
pub(crate) fn looks_like(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().take(SNIFF_LINES).collect();
    Tells::count(&lines).say_rst()
}

/// Counts of lines showing each format's tell-tales.
#[derive(Default, Debug)]
struct Tells {
    directives: u32,
    targets: u32,
    substitutions: u32,
    footnotes: u32,
    roles: u32,
    references: u32,
    literal_blocks: u32,
    overlined_titles: u32,
    underlined_titles: u32,
    inline_literals: u32,
    docinfo: u32,
    asciidoc: u32,
    markdown: u32,
}

impl Tells {
    fn count(lines: &[&str]) -> Tells {
        let mut tells = Tells::default();
        let mut in_fence = false;
        for (index, line) in lines.iter().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                in_fence = !in_fence;
                tells.markdown += 3;
                continue;
            }
            if in_fence {
                continue;
            }
            tells.count_rst(lines, index);
            tells.asciidoc += asciidoc_weight(lines, index);
            tells.markdown += markdown_weight(line);
        }
        tells
    }

    fn count_rst(&mut self, lines: &[&str], index: usize) {
        let Some(line) = lines.get(index) else { return };
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix(".. ") {
            if rest.starts_with('_') {
                self.targets += 1;
            } else if rest.starts_with('[') {
                self.footnotes += 1;
            } else if rest.starts_with('|') && rest.contains("::") {
                self.substitutions += 1;
            } else if directive_start(rest).is_some() {
                self.directives += 1;
            }
        }
        if trimmed.starts_with("__ ") {
            self.targets += 1;
        }
        if has_role(line) {
            self.roles += 1;
        }
        if has_phrase_reference(line) {
            self.references += 1;
        }
        if has_inline_literal(line) {
            self.inline_literals += 1;
        }
        if introduces_literal_block(lines, index) {
            self.literal_blocks += 1;
        }
        if is_docinfo_line(line) {
            self.docinfo += 1;
        }
        match title_shape(lines, index) {
            Some(TitleShape::Overlined) => self.overlined_titles += 1,
            Some(TitleShape::Underlined) => self.underlined_titles += 1,
            None => {}
        }
    }

    fn say_rst(&self) -> bool {
        let strong = [
            self.directives,
            self.targets,
            self.substitutions,
            self.footnotes,
            self.roles,
            self.references,
            self.literal_blocks,
            self.overlined_titles,
        ];
        let weak = [self.underlined_titles, self.inline_literals, self.docinfo];
        let kinds = strong.iter().chain(weak.iter()).filter(|count| **count > 0).count();
        let score = 3 * (self.directives + self.targets + self.substitutions + self.overlined_titles)
            + 2 * (self.roles + self.references + self.literal_blocks + self.footnotes + self.docinfo)
            + self.underlined_titles.min(3)
            + self.inline_literals.min(3);
        let rivals = self.asciidoc + self.markdown;
        strong.iter().any(|count| *count > 0) && kinds >= 2 && score >= 5 && score > 2 * rivals
    }
}

#[derive(Debug, PartialEq, Eq)]
enum TitleShape {
    Overlined,
    Underlined,
}

/// The title that starts at `index`: an overline, a title and an identical
/// underline, or an unindented line between blank lines underlined at least as
/// long as itself.
fn title_shape(lines: &[&str], index: usize) -> Option<TitleShape> {
    let line = lines.get(index)?.trim_end();
    let next = lines.get(index + 1)?.trim_end();
    if is_adornment(line) && line.len() >= 3 {
        let under = lines.get(index + 2)?.trim_end();
        let title = next.trim();
        return (under == line && !title.is_empty() && !is_adornment(title)).then_some(TitleShape::Overlined);
    }
    let before_is_blank = index == 0 || lines.get(index - 1).is_some_and(|before| before.trim().is_empty());
    let after_is_blank = lines.get(index + 2).is_none_or(|after| after.trim().is_empty());
    let underlined = !line.is_empty()
        && !line.starts_with(char::is_whitespace)
        && !is_adornment(line)
        && is_adornment(next)
        && next.len() >= 3
        && next.chars().count() >= line.chars().count();
    (underlined && before_is_blank && after_is_blank).then_some(TitleShape::Underlined)
}

/// A paragraph line ending in `::` (prose, so with a space, or `::` alone)
/// followed by a blank line and a more indented line: a literal block. An
/// AsciiDoc labelled list (`--all::` then its text) has no blank line.
fn introduces_literal_block(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index) else { return false };
    let trimmed = line.trim();
    if !trimmed.ends_with("::") || trimmed.starts_with("..") || !(trimmed == "::" || trimmed.contains(' ')) {
        return false;
    }
    if !lines.get(index + 1).is_some_and(|next| next.trim().is_empty()) {
        return false;
    }
    let indent = indentation(line);
    lines.iter().skip(index + 1).find(|next| !next.trim().is_empty()).is_some_and(|next| indentation(next) > indent)
}

fn indentation(line: &str) -> usize {
    line.len().saturating_sub(line.trim_start().len())
}

fn is_docinfo_line(line: &str) -> bool {
    const NAMES: [&str; 8] =
        [":Author:", ":Authors:", ":Contact:", ":Date:", ":Revision:", ":Version:", ":Copyright:", ":Organization:"];
    NAMES.iter().any(|name| line.starts_with(name))
}

/// `:role:` followed by a backquote, at the start of a word.
fn has_role(line: &str) -> bool {
    let chars: Vec<char> = line.chars().collect();
    chars.iter().enumerate().any(|(index, c)| {
        *c == ':'
            && index.checked_sub(1).and_then(|before| chars.get(before)).is_none_or(|before| !before.is_alphanumeric())
            && {
                let name = simplename_len(&chars, index + 1, MAX_NAME_CHARS);
                name > 0 && chars.get(index + 1 + name) == Some(&':') && chars.get(index + 2 + name) == Some(&'`')
            }
    })
}

/// `` `text`_ `` or `` `text <url>`__ ``.
fn has_phrase_reference(line: &str) -> bool {
    line.match_indices("`_").any(|(offset, _)| {
        let after = line.get(offset + 2..).unwrap_or("");
        let after = after.strip_prefix('_').unwrap_or(after);
        after.chars().next().is_none_or(|c| c.is_whitespace() || ".,;:!?)'\"".contains(c))
    })
}

/// ``` ``literal`` ```; AsciiDoc's ``` ``quoted'' ``` closes with quotes.
fn has_inline_literal(line: &str) -> bool {
    let mut parts = line.split("``");
    parts.next();
    let mut inside = parts.collect::<Vec<_>>();
    // An odd piece count means an unclosed pair; a closing `` must follow the content.
    inside.pop();
    inside.iter().step_by(2).any(|content| !content.is_empty() && !content.starts_with(' ') && !content.ends_with('\''))
}

fn asciidoc_weight(lines: &[&str], index: usize) -> u32 {
    let Some(line) = lines.get(index) else { return 0 };
    let trimmed = line.trim();
    let mut weight = 0;
    if line.contains("linkgit:") {
        weight += 3;
    }
    const BLOCK_ATTRIBUTES: [&str; 14] = [
        "[verse]",
        "[source",
        "[listing",
        "[literal]",
        "[example]",
        "[sidebar]",
        "[quote",
        "[NOTE]",
        "[TIP]",
        "[WARNING]",
        "[IMPORTANT]",
        "[CAUTION]",
        "[horizontal]",
        "[[",
    ];
    if BLOCK_ATTRIBUTES.iter().any(|attribute| trimmed.starts_with(attribute)) {
        weight += 3;
    }
    if is_asciidoc_macro_line(trimmed) {
        weight += 3;
    }
    if is_asciidoc_delimiter(lines, index) {
        weight += 3;
    }
    if *line == trimmed && has_attribute_reference(line) {
        weight += 1;
    }
    if ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"].contains(&trimmed)
        && lines
            .get(index + 1)
            .is_some_and(|next| next.trim_end().len() == trimmed.len() && is_adornment(next.trim_end()))
    {
        weight += 2;
    }
    if is_labelled_list_line(lines, index) {
        weight += 2;
    }
    if trimmed == "+" || trimmed.starts_with("= ") || trimmed.starts_with("== ") || trimmed.starts_with("=== ") {
        weight += 2;
    }
    weight
}

/// `ifdef::x[]`, `include::file[]`, `image::path[alt]`: a block macro.
fn is_asciidoc_macro_line(trimmed: &str) -> bool {
    let Some((name, rest)) = trimmed.split_once("::") else { return false };
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase())
        && rest.ends_with(']')
        && rest.contains('[')
        && !rest.starts_with(' ')
}

/// A `----` (or `....`, `====`, `****`) line opening a delimited block: after
/// a blank line or an attribute line, before content, and not the overline of
/// a title (whose underline repeats it two lines down).
fn is_asciidoc_delimiter(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index).map(|line| line.trim_end()) else { return false };
    if line.len() < 4 || !line.chars().all(|c| matches!(c, '-' | '.' | '=' | '*' | '+' | '_')) || !is_adornment(line) {
        return false;
    }
    let before_opens = index == 0
        || lines.get(index - 1).is_some_and(|before| before.trim().is_empty() || before.trim().starts_with('['));
    let next_is_content = lines.get(index + 1).is_some_and(|next| !next.trim().is_empty());
    let is_overline = lines.get(index + 2).is_some_and(|under| under.trim_end() == line);
    before_opens && next_is_content && !is_overline
}

/// `{name}` where name is an attribute name, outside indented code.
fn has_attribute_reference(line: &str) -> bool {
    line.split('{').skip(1).any(|after| {
        after.split_once('}').is_some_and(|(name, _)| {
            name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        })
    })
}

/// `term::` with its description on the very next line.
fn is_labelled_list_line(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index) else { return false };
    let trimmed = line.trim_end();
    trimmed.ends_with("::")
        && trimmed.len() > 2
        && !trimmed.starts_with(char::is_whitespace)
        && !trimmed.starts_with("..")
        && lines.get(index + 1).is_some_and(|next| !next.trim().is_empty())
}

fn markdown_weight(line: &str) -> u32 {
    let trimmed = line.trim_start();
    let heading = trimmed.starts_with('#') && {
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        hashes <= 6 && trimmed.chars().nth(hashes) == Some(' ')
    };
    let mut weight = 0;
    if heading {
        weight += 2;
    }
    if line.contains("](") {
        weight += 2;
    }
    if trimmed.starts_with('[') && trimmed.contains("]: ") {
        weight += 2;
    }
    if trimmed.starts_with('|') && trimmed.contains("---") {
        weight += 2;
    }
    weight
}

// ---- Lines -----------------------------------------------------------------

/// One input line: its indentation in columns (tabs expanded) and its text
/// without the indentation or trailing whitespace.
#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    indent: usize,
    text: &'t str,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    text.split('\n').map(read_line).collect()
}

fn read_line(raw: &str) -> Line<'_> {
    let content = raw.trim_start_matches([' ', '\t', '\u{b}', '\u{c}']);
    let lead = raw.get(..raw.len().saturating_sub(content.len())).unwrap_or("");
    let indent = lead.chars().fold(0usize, |column, c| {
        if c == '\t' {
            (column / TAB_WIDTH).saturating_add(1).saturating_mul(TAB_WIDTH)
        } else {
            column.saturating_add(1)
        }
    });
    Line { indent, text: content.trim_end() }
}

/// The indentation of the least indented non-blank line.
fn base_indent(lines: &[Line<'_>]) -> usize {
    lines.iter().filter(|line| !line.is_blank()).map(|line| line.indent).min().unwrap_or(0)
}

/// Where the block indented deeper than `base` that starts at `from` ends:
/// at the first non-blank line indented `base` or less, blank lines at its
/// end left out.
fn indented_end(lines: &[Line<'_>], from: usize, base: usize) -> usize {
    let mut end = from;
    for (index, line) in lines.iter().enumerate().skip(from) {
        if line.is_blank() {
            continue;
        }
        if line.indent <= base {
            break;
        }
        end = index + 1;
    }
    end
}

/// Where the block whose lines are indented at least `column` that starts at
/// `from` ends, blank lines at its end left out.
fn known_indent_end(lines: &[Line<'_>], from: usize, column: usize) -> usize {
    let mut end = from;
    for (index, line) in lines.iter().enumerate().skip(from) {
        if line.is_blank() {
            continue;
        }
        if line.indent < column {
            break;
        }
        end = index + 1;
    }
    end
}

fn skip_blank(lines: &[Line<'_>], from: usize) -> usize {
    let mut index = from;
    while lines.get(index).is_some_and(Line::is_blank) {
        index += 1;
    }
    index
}

fn slice<T>(items: &[T], from: usize, to: usize) -> &[T] {
    items.get(from..to).unwrap_or(&[])
}

/// A construct's body: the text after its marker on the first line, then the
/// lines indented under it. The first line sits at the indentation of the rest
/// (docutils strips the two separately), or at the marker's width.
fn marker_body<'t>(first: &'t str, rest: &[Line<'t>], marker_end: usize) -> Vec<Line<'t>> {
    let indent = rest.iter().filter(|line| !line.is_blank()).map(|line| line.indent).min().unwrap_or(marker_end);
    let mut body = Vec::with_capacity(rest.len() + 1);
    if !first.is_empty() {
        body.push(Line { indent, text: first });
    }
    body.extend_from_slice(rest);
    body
}

/// Code lines with their common indentation removed, relative indentation
/// and inner blank lines kept.
fn dedent(lines: &[Line<'_>]) -> String {
    let base = base_indent(lines);
    let first = lines.iter().position(|line| !line.is_blank()).unwrap_or(lines.len());
    let mut code = String::new();
    for (index, line) in lines.iter().enumerate().skip(first) {
        if index > first {
            code.push('\n');
        }
        if !line.is_blank() {
            code.extend(std::iter::repeat_n(' ', line.indent.saturating_sub(base)));
            code.push_str(line.text);
        }
    }
    code.trim_end_matches('\n').to_string()
}

/// A line of one repeated punctuation character: a title adornment or a
/// transition.
fn is_adornment(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|first| first.is_ascii_punctuation() && chars.all(|c| c == first))
}

fn is_long_adornment(text: &str) -> bool {
    is_adornment(text) && text.len() >= 4
}

/// An underline fits a title when it is at least as long, or at least four
/// characters (docutils warns about a short one but still makes a title).
fn underline_fits(title: &str, underline: &str) -> bool {
    let length = underline.chars().count();
    length >= 4 || length >= title.chars().count()
}

// ---- Decoding --------------------------------------------------------------

/// Splits `text` into blocks: section titles, paragraphs, list items, table
/// rows, code and quotes, with all markup outside code reduced to text.
pub(crate) fn parse(text: &str) -> DocumentBuilder {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = split_lines(text);
    let mut decoder = Decoder::new(Definitions::collect(&lines));
    let blocks = decoder.parse_body(&lines, Scope::document());
    let mut builder = DocumentBuilder::default();
    for block in blocks {
        builder.push(block.kind, block.level, block.ordinal, block.language, &block.text);
    }
    builder
}

/// A block decoded but not yet written: list items gather their paragraphs
/// before they are.
#[derive(Debug)]
struct Decoded {
    kind: BlockKind,
    level: u8,
    ordinal: Option<u32>,
    language: Option<String>,
    text: String,
}

impl Decoded {
    fn new(kind: BlockKind, level: u8, text: String) -> Decoded {
        Decoded { kind, level, ordinal: None, language: None, text }
    }

    fn code(language: Option<String>, text: String) -> Decoded {
        Decoded { kind: BlockKind::Code, level: 0, ordinal: None, language, text }
    }

    fn is_prose(&self) -> bool {
        matches!(self.kind, BlockKind::Paragraph | BlockKind::Quote)
    }
}

/// Where a body is read.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// What a plain paragraph is here: a paragraph, or a quote in a block quote.
    prose: BlockKind,
    /// Whether titles here are sections of the document (its body, an `only`
    /// directive) rather than stray titles in a nested body.
    sections: bool,
    depth: usize,
}

impl Scope {
    fn document() -> Scope {
        Scope { prose: BlockKind::Paragraph, sections: true, depth: 0 }
    }

    fn nested(self, prose: BlockKind) -> Scope {
        Scope { prose, sections: false, depth: self.depth + 1 }
    }
}

/// What the construct before this one was: `#.` counts on from the item
/// before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    Other,
    Enumerated(u32),
}

/// A construct's first line and the body it sits in.
#[derive(Clone, Copy)]
struct Here<'l, 't> {
    lines: &'l [Line<'t>],
    at: usize,
    base: usize,
}

impl<'l, 't> Here<'l, 't> {
    fn line(&self) -> Line<'t> {
        self.lines.get(self.at).copied().unwrap_or(Line { indent: 0, text: "" })
    }

    fn next(&self) -> Option<&'l Line<'t>> {
        self.lines.get(self.at + 1)
    }

    /// The lines indented under the first one.
    fn indented_rest(&self) -> (&'l [Line<'t>], usize) {
        let end = indented_end(self.lines, self.at + 1, self.base);
        (slice(self.lines, self.at + 1, end), end)
    }
}

/// Parse state that outlives one body.
struct Decoder {
    definitions: Definitions,
    /// Title adornment styles (character, overlined) in order of first use:
    /// docutils' rule for section levels.
    title_styles: Vec<(char, bool)>,
    /// Level of the innermost heading: the section, or the object being
    /// described.
    heading_level: u8,
    /// `.. highlight::` language, for `::` literal blocks.
    highlight: Option<String>,
    /// `.. module::` name, prefixed to top-level Python object signatures as
    /// Sphinx shows them.
    module: Option<String>,
    object_depth: usize,
    /// The parameters of the object being described (`tag` of `-t tag`,
    /// `document` of `hasdoc(document)`): Sphinx sets them in emphasis in
    /// the description, where they read as code.
    parameters: Vec<String>,
    list_depth: u8,
    tables: u8,
    /// Whether a field list here would be the docinfo (at the top, after at
    /// most the title and subtitle).
    docinfo_open: bool,
    headings: usize,
}

impl Decoder {
    fn new(definitions: Definitions) -> Decoder {
        Decoder {
            definitions,
            title_styles: Vec::new(),
            heading_level: 0,
            highlight: None,
            module: None,
            object_depth: 0,
            parameters: Vec::new(),
            list_depth: 0,
            tables: 0,
            docinfo_open: true,
            headings: 0,
        }
    }

    fn inline(&self, raw: &str) -> String {
        let raw = parameters_as_literals(raw, &self.parameters);
        collapse_spaces(&Inline::render(&raw, &self.definitions, 0))
    }

    /// Decodes one body: the document, or anything nested in it.
    fn parse_body(&mut self, lines: &[Line<'_>], scope: Scope) -> Vec<Decoded> {
        let mut out = Vec::new();
        if scope.depth > MAX_NESTING {
            self.flat_paragraphs(lines, scope, &mut out);
            return out;
        }
        let base = base_indent(lines);
        let mut at = 0;
        let mut previous = Previous::Other;
        while let Some(line) = lines.get(at) {
            if line.is_blank() {
                at += 1;
                continue;
            }
            let before = out.len();
            let (next, construct) = self.construct(Here { lines, at, base }, scope, previous, &mut out);
            if scope.depth == 0
                && out.get(before..).is_some_and(|new| new.iter().any(|block| block.kind != BlockKind::Heading))
            {
                self.docinfo_open = false;
            }
            previous = construct;
            at = next.max(at + 1);
        }
        out
    }

    /// Past the nesting bound: each run of lines is a paragraph.
    fn flat_paragraphs(&self, lines: &[Line<'_>], scope: Scope, out: &mut Vec<Decoded>) {
        for run in lines.split(Line::is_blank) {
            let joined: Vec<&str> = run.iter().map(|line| line.text).collect();
            let text = self.inline(&joined.join(" "));
            if !text.is_empty() {
                out.push(Decoded::new(scope.prose, 0, text));
            }
        }
    }

    /// Decodes the construct starting at `here`, in docutils' order of
    /// recognition; returns where the next one starts.
    fn construct(
        &mut self,
        here: Here<'_, '_>,
        scope: Scope,
        previous: Previous,
        out: &mut Vec<Decoded>,
    ) -> (usize, Previous) {
        let line = here.line();
        let text = line.text;
        if line.indent > here.base {
            return (self.block_quote(here, scope, out), Previous::Other);
        }
        if text == ".." || text.starts_with(".. ") {
            return (self.explicit_markup(here, scope, out), Previous::Other);
        }
        if text == "__" || text.starts_with("__ ") {
            return (here.indented_rest().1, Previous::Other);
        }
        if let Some((rest, width)) = bullet(text) {
            return (self.list_item(here, rest, width, None, scope, out), Previous::Other);
        }
        if let Some(enumerator) = enumerator(text)
            && enumeration_continues(here)
        {
            let ordinal = enumerator.ordinal(previous);
            let next = self.list_item(here, enumerator.rest, enumerator.width, Some(ordinal), scope, out);
            return (next, Previous::Enumerated(ordinal));
        }
        if field_marker(text).is_some() {
            return (self.field_list(here, scope, out), Previous::Other);
        }
        if let Some(option) = option_marker(text)
            && (!option.description.is_empty()
                || here.next().is_some_and(|next| !next.is_blank() && next.indent > here.base))
        {
            return (self.option_item(here, option, scope, out), Previous::Other);
        }
        if text == ">>>" || text.starts_with(">>> ") {
            return (self.doctest_block(here, out), Previous::Other);
        }
        if is_line_block_line(text) {
            return (self.line_block(here, scope, out), Previous::Other);
        }
        if is_grid_table_top(text)
            && let Some(next) = self.grid_table(here, scope, out)
        {
            return (next, Previous::Other);
        }
        if is_simple_table_top(text) {
            return (self.simple_table(here, scope, out), Previous::Other);
        }
        if is_adornment(text)
            && let Some(next) = self.adornment_line(here, scope, out)
        {
            return (next, Previous::Other);
        }
        (self.text_block(here, scope, out), Previous::Other)
    }

    /// An indented block that no construct owns: a quotation. (A directive's
    /// indented content is its own, and read as ordinary prose.)
    fn block_quote(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let end = indented_end(here.lines, here.at, here.base);
        let body = slice(here.lines, here.at, end);
        out.extend(self.parse_body(body, scope.nested(BlockKind::Quote)));
        end
    }

    /// A body one list level deeper, and that level.
    fn list_body(&mut self, body: &[Line<'_>], scope: Scope) -> (u8, Vec<Decoded>) {
        self.list_depth = self.list_depth.saturating_add(1);
        let level = self.list_depth;
        let blocks = self.parse_body(body, scope.nested(BlockKind::Paragraph));
        self.list_depth = self.list_depth.saturating_sub(1);
        (level, blocks)
    }

    fn list_item(
        &mut self,
        here: Here<'_, '_>,
        rest: &str,
        width: usize,
        ordinal: Option<u32>,
        scope: Scope,
        out: &mut Vec<Decoded>,
    ) -> usize {
        let (body, end) = if rest.is_empty() {
            let (indented, end) = here.indented_rest();
            (marker_body(rest, indented, here.base + width), end)
        } else {
            // docutils indents the whole body at the text's column: a line
            // indented less ends the item.
            let column = here.base + width;
            let end = known_indent_end(here.lines, here.at + 1, column);
            let mut body = vec![Line { indent: column, text: rest }];
            body.extend_from_slice(slice(here.lines, here.at + 1, end));
            (body, end)
        };
        let (level, blocks) = self.list_body(&body, scope);
        push_item(out, level, ordinal, None, blocks);
        end
    }

    /// A field list: fields may be separated by blank lines. At the top of a
    /// document it is the docinfo, whose bibliographic fields are dropped.
    fn field_list(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let docinfo = scope.depth == 0 && self.docinfo_open;
        let mut fields = Vec::new();
        let mut end = here.at;
        let mut at = here.at;
        while let Some(line) = here.lines.get(at)
            && line.indent == here.base
            && let Some((name, first)) = field_marker(line.text)
        {
            let field = Here { at, ..here };
            let (indented, field_end) = field.indented_rest();
            let body = marker_body(first, indented, here.base + 2);
            let (level, blocks) = self.list_body(&body, scope);
            fields.push(Field { name: name.to_string(), level, blocks });
            end = field_end.max(at + 1);
            at = skip_blank(here.lines, end);
        }
        if scope.depth == 0 {
            self.docinfo_open = false;
        }
        self.push_fields(fields, docinfo, out);
        end
    }

    /// Fields as list items `name: body`; Sphinx's info fields read as Sphinx
    /// shows them (`path (str): The path.`, `Returns: ...`).
    fn push_fields(&self, fields: Vec<Field>, docinfo: bool, out: &mut Vec<Decoded>) {
        let types = field_types(&fields);
        let described: Vec<String> = fields.iter().filter_map(|field| field.described_name()).collect();
        for field in fields {
            let words: Vec<&str> = field.name.split_whitespace().collect();
            let kind = words.first().map(|word| word.to_ascii_lowercase()).unwrap_or_default();
            let argument = words.get(1..).unwrap_or(&[]);
            if docinfo && is_bibliographic(&field.name) {
                continue;
            }
            let label = match (kind.as_str(), argument) {
                ("meta", _) => continue,
                ("type" | "kwtype" | "vartype", [name]) if described.iter().any(|other| other == name) => continue,
                (
                    "param" | "parameter" | "arg" | "argument" | "key" | "keyword" | "kwarg" | "kwparam" | "var"
                    | "ivar" | "cvar",
                    [.., name],
                ) => {
                    let written_type = argument.get(..argument.len().saturating_sub(1)).unwrap_or(&[]).join(" ");
                    let field_type = if written_type.is_empty() {
                        types.get(*name).cloned()
                    } else {
                        Some(self.inline(&written_type))
                    };
                    match field_type {
                        Some(field_type) => format!("{name} ({field_type})"),
                        None => name.to_string(),
                    }
                }
                ("returns" | "return", _) => "Returns".to_string(),
                ("rtype" | "returntype", _) => "Return type".to_string(),
                ("yields" | "yield", _) => "Yields".to_string(),
                ("ytype", _) => "Yield type".to_string(),
                ("raises" | "raise" | "except" | "exception", []) => "Raises".to_string(),
                ("raises" | "raise" | "except" | "exception", names) => format!("Raises {}", names.join(" ")),
                _ => self.inline(&field.name),
            };
            push_item(out, field.level, None, Some(label), field.blocks);
        }
    }

    fn option_item(
        &mut self,
        here: Here<'_, '_>,
        option: OptionMarker<'_>,
        scope: Scope,
        out: &mut Vec<Decoded>,
    ) -> usize {
        let (indented, end) = here.indented_rest();
        let body = marker_body(option.description, indented, here.base + option.options.chars().count() + 2);
        let (level, blocks) = self.list_body(&body, scope);
        push_item(out, level, None, Some(option.options.to_string()), blocks);
        end
    }

    /// `>>>` lines up to the next blank line: an interactive Python session.
    fn doctest_block(&mut self, here: Here<'_, '_>, out: &mut Vec<Decoded>) -> usize {
        let mut end = here.at;
        while here.lines.get(end).is_some_and(|line| !line.is_blank()) {
            end += 1;
        }
        out.push(Decoded::code(Some("pycon".to_string()), dedent(slice(here.lines, here.at, end))));
        end
    }

    /// `| ` lines: each stanza (split by empty `|` lines) one paragraph, its
    /// lines kept as lines; an indented line continues the one above.
    fn line_block(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let mut stanza: Vec<String> = Vec::new();
        let mut at = here.at;
        while let Some(line) = here.lines.get(at) {
            if line.is_blank() || line.indent < here.base {
                break;
            }
            if line.indent == here.base && is_line_block_line(line.text) {
                let content = line.text.get(1..).unwrap_or("").trim();
                if content.is_empty() {
                    self.push_stanza(&mut stanza, scope, out);
                } else {
                    stanza.push(self.inline(content));
                }
            } else if line.indent > here.base
                && let Some(last) = stanza.last_mut()
            {
                last.push(' ');
                last.push_str(&self.inline(line.text));
            } else {
                break;
            }
            at += 1;
        }
        self.push_stanza(&mut stanza, scope, out);
        at
    }

    fn push_stanza(&self, stanza: &mut Vec<String>, scope: Scope, out: &mut Vec<Decoded>) {
        if !stanza.is_empty() {
            out.push(Decoded::new(scope.prose, 0, stanza.join("\n")));
            stanza.clear();
        }
    }

    /// A line of adornment at the start of a construct: the overline of a
    /// title, or a transition (which has no text).
    fn adornment_line(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> Option<usize> {
        let over = here.line().text;
        if let (Some(title), Some(under)) = (here.next(), here.lines.get(here.at + 2))
            && !title.is_blank()
            && !is_adornment(title.text)
            && is_adornment(under.text)
            && under.text.chars().next() == over.chars().next()
        {
            let style = (over.chars().next().unwrap_or('='), true);
            self.section_title(style, title.text, scope, out);
            return Some(here.at + 3);
        }
        (over.len() >= 4).then_some(here.at + 1)
    }

    fn section_title(&mut self, style: (char, bool), raw: &str, scope: Scope, out: &mut Vec<Decoded>) {
        let text = self.inline(raw);
        let level = if scope.sections {
            let index = match self.title_styles.iter().position(|known| *known == style) {
                Some(index) => index,
                None => {
                    self.title_styles.push(style);
                    self.title_styles.len() - 1
                }
            };
            let level = u8::try_from(index + 1).unwrap_or(u8::MAX);
            self.heading_level = level;
            self.headings += 1;
            if self.headings > 2 {
                self.docinfo_open = false;
            }
            level
        } else {
            self.heading_level.saturating_add(1)
        };
        out.push(Decoded::new(BlockKind::Heading, level, text));
    }

    /// A line of text: an underlined title, a definition list item (the next
    /// line is indented) or a paragraph.
    fn text_block(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let line = here.line();
        if let Some(under) = here.next()
            && under.indent == here.base
            && is_adornment(under.text)
            && underline_fits(line.text, under.text)
        {
            let style = (under.text.chars().next().unwrap_or('='), false);
            self.section_title(style, line.text, scope, out);
            return here.at + 2;
        }
        if here.next().is_some_and(|next| !next.is_blank() && next.indent > here.base) {
            return self.definition_item(here, scope, out);
        }
        self.paragraph(here, scope, out)
    }

    /// `term : classifier` then an indented definition: one list item
    /// `term (classifier): definition`.
    fn definition_item(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let (indented, end) = here.indented_rest();
        let mut parts = here.line().text.split(" : ");
        let term = self.inline(parts.next().unwrap_or(""));
        let classifiers: Vec<String> = parts.map(|classifier| self.inline(classifier)).collect();
        let label = if classifiers.is_empty() { term } else { format!("{term} ({})", classifiers.join(", ")) };
        let (level, blocks) = self.list_body(indented, scope);
        push_item(out, level, None, Some(label), blocks);
        end
    }

    /// Lines up to a blank line or a change of indentation, joined by spaces.
    /// A paragraph ending in `::` introduces a literal block; the marker
    /// becomes `:` after text, or goes when it stands apart.
    fn paragraph(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let mut end = here.at + 1;
        while here.lines.get(end).is_some_and(|line| !line.is_blank() && line.indent == here.base) {
            end += 1;
        }
        let texts: Vec<&str> = slice(here.lines, here.at, end)
            .iter()
            .map(|line| line.text)
            .filter(|text| !is_long_adornment(text))
            .collect();
        let joined = texts.join(" ");
        let (prose, literal_follows) = match joined.strip_suffix("::") {
            Some(before) if before.is_empty() || before.ends_with(char::is_whitespace) => (before.trim_end(), true),
            Some(_) => (joined.get(..joined.len().saturating_sub(1)).unwrap_or(""), true),
            None => (joined.as_str(), false),
        };
        if !prose.is_empty() {
            let mut text = self.inline(prose);
            if scope.prose == BlockKind::Quote
                && let Some(source) = ["--- ", "-- ", "\u{2014} "].iter().find_map(|dash| text.strip_prefix(dash))
            {
                text = format!("\u{2014} {source}");
            }
            out.push(Decoded::new(scope.prose, 0, text));
        }
        if literal_follows {
            return self.literal_block(here.lines, end, here.base, out);
        }
        end
    }

    /// The literal block after `::`: the indented block that follows, or
    /// unindented lines all starting with the same punctuation (a quoted
    /// literal block).
    fn literal_block(&mut self, lines: &[Line<'_>], from: usize, base: usize, out: &mut Vec<Decoded>) -> usize {
        let start = skip_blank(lines, from);
        let Some(first) = lines.get(start) else { return from };
        if first.indent > base {
            let end = indented_end(lines, start, base);
            out.push(Decoded::code(self.highlight.clone(), dedent(slice(lines, start, end))));
            return end;
        }
        let quote = first.text.chars().next().filter(|c| c.is_ascii_punctuation());
        if let Some(quote) = quote
            && first.indent == base
            && !first.text.starts_with("..")
        {
            let mut end = start;
            while lines.get(end).is_some_and(|line| line.indent == base && line.text.starts_with(quote)) {
                end += 1;
            }
            out.push(Decoded::code(self.highlight.clone(), dedent(slice(lines, start, end))));
            return end;
        }
        from
    }

    // ---- Explicit markup ---------------------------------------------------

    /// `..` constructs: a directive, or something with no text for a reader
    /// (a comment, hyperlink target, footnote or citation body, substitution
    /// definition), which is dropped with its indented body.
    fn explicit_markup(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let text = here.line().text;
        let rest = text.get(2..).unwrap_or("").trim_start();
        // An empty comment followed by a blank line does not swallow the indented block after it.
        let end = if rest.is_empty() && here.next().is_none_or(Line::is_blank) {
            here.at + 1
        } else {
            here.indented_rest().1
        };
        if let Some((name, argument)) = directive_start(rest) {
            self.directive(&name, argument, slice(here.lines, here.at + 1, end), here.base, scope, out);
        }
        end
    }

    fn directive(
        &mut self,
        name: &str,
        argument: &str,
        body: &[Line<'_>],
        base: usize,
        scope: Scope,
        out: &mut Vec<Decoded>,
    ) {
        let kind = DirectiveKind::of(name, argument);
        let parts = DirectiveParts::split(argument, body, base, kind.arguments());
        match kind {
            DirectiveKind::Code(language) => {
                let language = match language {
                    CodeLanguage::Argument => parts
                        .arguments
                        .first()
                        .and_then(|argument| argument.split_whitespace().next())
                        .map(str::to_string)
                        .or_else(|| parts.option("language"))
                        .or_else(|| self.highlight.clone()),
                    CodeLanguage::Fixed(language) => Some(language.to_string()),
                    CodeLanguage::Unnamed => None,
                };
                out.push(Decoded::code(language.filter(|language| language != "none"), dedent(&parts.content)));
            }
            DirectiveKind::CodeInArguments(language) => {
                let mut code = parts.arguments.join("\n");
                let content = dedent(&parts.content);
                if !code.is_empty() && !content.is_empty() {
                    code.push('\n');
                }
                code.push_str(&content);
                out.push(Decoded::code(language.map(str::to_string), code));
            }
            DirectiveKind::ParsedLiteral => out.push(Decoded::code(None, self.parsed_literal(&parts.content))),
            DirectiveKind::Prose => out.extend(self.parse_body(&parts.content, scope.nested(BlockKind::Paragraph))),
            DirectiveKind::TitledProse => {
                let title = self.inline(&parts.arguments.join(" "));
                if !title.is_empty() {
                    out.push(Decoded::new(BlockKind::Paragraph, 0, title));
                }
                out.extend(self.parse_body(&parts.content, scope.nested(BlockKind::Paragraph)));
            }
            DirectiveKind::Container { sections } => {
                let nested = Scope { sections: sections && scope.sections, ..scope.nested(scope.prose) };
                out.extend(self.parse_body(&parts.content, nested));
            }
            DirectiveKind::Epigraph => out.extend(self.parse_body(&parts.content, scope.nested(BlockKind::Quote))),
            DirectiveKind::Drop => {}
            DirectiveKind::Module => self.module = first_word(&parts.arguments).filter(|module| module != "None"),
            DirectiveKind::Highlight => {
                self.highlight = first_word(&parts.arguments).filter(|language| language != "none");
            }
            DirectiveKind::Rubric => {
                let text = self.inline(&parts.arguments.join(" "));
                out.push(Decoded::new(BlockKind::Heading, self.heading_level.saturating_add(1), text));
            }
            DirectiveKind::Object(signature) => self.object(signature, &parts, scope, out),
            DirectiveKind::Figure => {
                let caption = self.parse_body(&parts.content, scope.nested(BlockKind::Paragraph)).into_iter().next();
                if let Some(caption) = caption.filter(|caption| {
                    caption.kind == BlockKind::Paragraph && caption.text.split_whitespace().count() >= 3
                }) {
                    out.push(caption);
                }
            }
            DirectiveKind::ListTable => self.list_table(&parts, scope, out),
            DirectiveKind::CsvTable => self.csv_table(&parts, out),
            DirectiveKind::Centered => {
                let text = self.inline(&parts.arguments.join(" "));
                if !text.is_empty() {
                    out.push(Decoded::new(scope.prose, 0, text));
                }
            }
            DirectiveKind::LineBlock => {
                let lines: Vec<String> =
                    parts.content.iter().filter(|line| !line.is_blank()).map(|line| self.inline(line.text)).collect();
                if !lines.is_empty() {
                    out.push(Decoded::new(scope.prose, 0, lines.join("\n")));
                }
            }
        }
    }

    /// A `parsed-literal` block: code whose inline markup is rendered, line by
    /// line so the layout stays.
    fn parsed_literal(&self, content: &[Line<'_>]) -> String {
        let base = base_indent(content);
        let lines: Vec<String> = content
            .iter()
            .map(|line| {
                if line.is_blank() {
                    String::new()
                } else {
                    let indent = " ".repeat(line.indent.saturating_sub(base));
                    let mut inline = Inline::new(line.text, &self.definitions, 0);
                    inline.mark_code = false;
                    format!("{indent}{}", inline.run())
                }
            })
            .collect();
        lines.join("\n").trim_matches('\n').to_string()
    }

    /// A Sphinx object description: its signatures as a heading one level
    /// below the current one, then its body under that heading.
    fn object(&mut self, signature: Signature, parts: &DirectiveParts<'_>, scope: Scope, out: &mut Vec<Decoded>) {
        let level = self.heading_level.saturating_add(1);
        let signatures: Vec<String> = joined_signatures(&parts.arguments)
            .iter()
            .map(|written| self.signature_text(signature, written))
            .filter(|text| !text.is_empty())
            .collect();
        if !signatures.is_empty() {
            out.push(Decoded::new(BlockKind::Heading, level, signatures.join("; ")));
        }
        if signature == Signature::Confval {
            let described: Vec<String> = [("type", "Type"), ("default", "Default")]
                .iter()
                .filter_map(|(option, label)| {
                    parts.option(option).map(|value| format!("{label}: {}.", self.inline(&value).trim_end_matches('.')))
                })
                .collect();
            if !described.is_empty() {
                out.push(Decoded::new(BlockKind::Paragraph, 0, described.join(" ")));
            }
        }
        let saved_level = self.heading_level;
        self.heading_level = level;
        self.object_depth += 1;
        let parameters = signature_parameters(&signatures);
        let saved_parameters = std::mem::replace(&mut self.parameters, parameters);
        let blocks = self.parse_body(&parts.content, scope.nested(BlockKind::Paragraph));
        self.parameters = saved_parameters;
        self.object_depth -= 1;
        self.heading_level = saved_level;
        out.extend(blocks);
    }

    /// A signature as Sphinx shows it: escapes resolved, a top-level Python
    /// object qualified by its module, `.. name::` of an `rst:directive` read
    /// as the name.
    fn signature_text(&self, signature: Signature, written: &str) -> String {
        if signature == Signature::Plain {
            return self.inline(written);
        }
        let written = unescape(written.trim());
        match signature {
            Signature::Python => match &self.module {
                Some(module) if self.object_depth == 0 && !written.starts_with(&format!("{module}.")) => {
                    format!("{module}.{written}")
                }
                _ => written,
            },
            Signature::Plain | Signature::Confval => written,
            Signature::RstDirective => {
                let bare = written.strip_prefix("..").map(str::trim_start).unwrap_or(&written);
                match bare.split_once("::") {
                    Some((name, arguments)) => format!("{} {}", name.trim(), arguments.trim()).trim().to_string(),
                    None => bare.to_string(),
                }
            }
            Signature::RstDirectiveOption => {
                let bare = written.trim_start_matches(':');
                match bare.split_once(':') {
                    Some((name, value)) if value.trim().is_empty() => name.to_string(),
                    Some((name, value)) => format!("{name}: {}", value.trim()),
                    None => bare.to_string(),
                }
            }
            Signature::RstRole => written.trim_matches(':').to_string(),
        }
    }

    // ---- Tables -------------------------------------------------------------

    fn next_table(&mut self) -> u8 {
        self.tables = self.tables.saturating_add(1);
        self.tables
    }

    fn push_row(&self, table: u8, cells: &[String], out: &mut Vec<Decoded>) {
        if cells.iter().any(|cell| !cell.is_empty()) {
            out.push(Decoded::new(BlockKind::TableRow, table, cells.join(" | ")));
        }
    }

    /// A cell's text: its lines decoded as a body, the blocks joined, `|`
    /// escaped as the other decoders escape it.
    fn cell_text(&mut self, source: &str, scope: Scope) -> String {
        let lines = split_lines(source);
        self.cell_lines_text(&lines, scope)
    }

    fn cell_lines_text(&mut self, lines: &[Line<'_>], scope: Scope) -> String {
        let blocks = self.parse_body(lines, scope.nested(BlockKind::Paragraph));
        let texts: Vec<&str> = blocks.iter().map(|block| block.text.as_str()).collect();
        collapse_whitespace(&texts.join(" ")).replace('|', "\\|")
    }

    /// A grid table (`+---+` borders, `|` between cells): one row per band
    /// between borders; a cell spanning columns is one cell.
    fn grid_table(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> Option<usize> {
        let mut end = here.at;
        while here
            .lines
            .get(end)
            .is_some_and(|line| line.indent == here.base && (line.text.starts_with('+') || line.text.starts_with('|')))
        {
            end += 1;
        }
        let table = slice(here.lines, here.at, end);
        if table.len() < 3 || !table.last().is_some_and(|line| line.text.starts_with('+')) {
            return None;
        }
        let boundaries: Vec<usize> =
            here.line().text.chars().enumerate().filter(|(_, c)| *c == '+').map(|(index, _)| index).collect();
        let number = self.next_table();
        let mut band: Vec<Vec<char>> = Vec::new();
        for line in table.iter().skip(1) {
            if line.text.starts_with('+') {
                let cells = self.grid_cells(&boundaries, &band, scope);
                self.push_row(number, &cells, out);
                band.clear();
            } else {
                band.push(line.text.chars().collect());
            }
        }
        Some(end)
    }

    fn grid_cells(&mut self, boundaries: &[usize], band: &[Vec<char>], scope: Scope) -> Vec<String> {
        if band.is_empty() {
            return Vec::new();
        }
        let separators: Vec<usize> = boundaries
            .iter()
            .copied()
            .filter(|column| band.iter().all(|line| matches!(line.get(*column), Some('|' | '+'))))
            .collect();
        let mut cells = Vec::new();
        for pair in separators.windows(2) {
            let (Some(&from), Some(&to)) = (pair.first(), pair.get(1)) else { continue };
            let source: Vec<String> = band
                .iter()
                .map(|line| {
                    let segment: String = line.iter().skip(from + 1).take(to.saturating_sub(from + 1)).collect();
                    let is_border =
                        !segment.trim().is_empty() && segment.trim().chars().all(|c| matches!(c, '-' | '=' | '+'));
                    if is_border { String::new() } else { segment }
                })
                .collect();
            cells.push(self.cell_text(&source.join("\n"), scope));
        }
        cells
    }

    /// A simple table (`=====  =====` borders): columns from the top border,
    /// one row per line except lines whose first column is blank, which
    /// continue the row above.
    fn simple_table(&mut self, here: Here<'_, '_>, scope: Scope, out: &mut Vec<Decoded>) -> usize {
        let top = here.line().text;
        let columns = simple_columns(top);
        let bottom = simple_table_bottom(here);
        let number = self.next_table();
        let mut rows: Vec<Vec<String>> = Vec::new();
        for line in slice(here.lines, here.at + 1, bottom) {
            if line.is_blank() || is_simple_border(line.text) {
                continue;
            }
            let mut chars: Vec<char> = std::iter::repeat_n(' ', line.indent.saturating_sub(here.base)).collect();
            chars.extend(line.text.chars());
            if is_span_underline(line.text) {
                if let Some(row) = rows.last_mut() {
                    merge_spans(row, &columns, &chars);
                }
                continue;
            }
            let cells: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(index, start)| {
                    let to = columns.get(index + 1).copied().unwrap_or(usize::MAX);
                    chars.iter().skip(*start).take(to.saturating_sub(*start)).collect::<String>().trim_end().to_string()
                })
                .collect();
            let continues = cells.first().is_some_and(String::is_empty);
            match rows.last_mut() {
                Some(row) if continues => {
                    for (cell, more) in row.iter_mut().zip(cells) {
                        cell.push('\n');
                        cell.push_str(&more);
                    }
                }
                _ => rows.push(cells),
            }
        }
        for row in rows {
            // docutils reads each cell as a body of its own.
            let cells: Vec<String> = row.iter().map(|cell| self.cell_text(cell, scope)).collect();
            self.push_row(number, &cells, out);
        }
        bottom + 1
    }

    /// `list-table`: a bullet list of rows, each a bullet list of cells.
    fn list_table(&mut self, parts: &DirectiveParts<'_>, scope: Scope, out: &mut Vec<Decoded>) {
        let number = self.next_table();
        for row in bullet_items(&parts.content) {
            let cells: Vec<String> = bullet_items(&row).iter().map(|cell| self.cell_lines_text(cell, scope)).collect();
            self.push_row(number, &cells, out);
        }
    }

    /// `csv-table` with inline data (a `:file:` or `:url:` table has none):
    /// the `:header:` row, then the records.
    fn csv_table(&mut self, parts: &DirectiveParts<'_>, out: &mut Vec<Decoded>) {
        let delimiter = match parts.option("delim").as_deref() {
            Some("tab") => '\t',
            Some("space") => ' ',
            Some(other) => other.chars().next().unwrap_or(','),
            None => ',',
        };
        let quote = parts.option("quote").and_then(|quote| quote.chars().next()).unwrap_or('"');
        let number = self.next_table();
        let header = parts.option("header").unwrap_or_default();
        for source in [header, dedent(&parts.content)] {
            for record in csv_records(&source, delimiter, quote) {
                let cells: Vec<String> =
                    record.iter().map(|cell| collapse_whitespace(&self.inline(cell)).replace('|', "\\|")).collect();
                self.push_row(number, &cells, out);
            }
        }
    }
}

/// One field of a field list, its body decoded.
struct Field {
    name: String,
    level: u8,
    blocks: Vec<Decoded>,
}

impl Field {
    /// The parameter or variable this field describes, for `:type x:` to join.
    fn described_name(&self) -> Option<String> {
        let words: Vec<&str> = self.name.split_whitespace().collect();
        let kind = words.first()?.to_ascii_lowercase();
        let describes = matches!(
            kind.as_str(),
            "param"
                | "parameter"
                | "arg"
                | "argument"
                | "key"
                | "keyword"
                | "kwarg"
                | "kwparam"
                | "var"
                | "ivar"
                | "cvar"
        );
        (describes && words.len() >= 2).then(|| words.last().map(|word| word.to_string())).flatten()
    }

    fn prose(&self) -> String {
        let texts: Vec<&str> =
            self.blocks.iter().filter(|block| block.is_prose()).map(|block| block.text.as_str()).collect();
        texts.join(" ")
    }
}

/// `:type x: T` fields, by the name they give a type.
fn field_types(fields: &[Field]) -> HashMap<String, String> {
    fields
        .iter()
        .filter_map(|field| {
            let words: Vec<&str> = field.name.split_whitespace().collect();
            match words.as_slice() {
                [kind, name] if matches!(kind.to_ascii_lowercase().as_str(), "type" | "kwtype" | "vartype") => {
                    Some((name.to_string(), field.prose()))
                }
                _ => None,
            }
        })
        .collect()
}

/// docutils' bibliographic fields and Sphinx's file-wide metadata: facts
/// about the file, not its subject.
fn is_bibliographic(name: &str) -> bool {
    const NAMES: [&str; 15] = [
        "author",
        "authors",
        "organization",
        "address",
        "contact",
        "version",
        "revision",
        "status",
        "date",
        "copyright",
        "tocdepth",
        "nocomments",
        "orphan",
        "nosearch",
        "fulltoc",
    ];
    NAMES.contains(&name.to_ascii_lowercase().as_str())
}

/// Writes a list item (bullet, enumerated, field, option, definition): its
/// label and the paragraphs its body opens with become one item; the rest of
/// the body (nested lists, code) follows it.
fn push_item(out: &mut Vec<Decoded>, level: u8, ordinal: Option<u32>, label: Option<String>, body: Vec<Decoded>) {
    let mut blocks = body.into_iter().peekable();
    let mut prose = Vec::new();
    while let Some(block) = blocks.next_if(Decoded::is_prose) {
        prose.push(block.text);
    }
    let prose = prose.join(" ");
    let text = match label {
        Some(label) if !prose.is_empty() && label.ends_with(':') => format!("{label} {prose}"),
        Some(label) if !prose.is_empty() => format!("{label}: {prose}"),
        Some(label) => label,
        None => prose,
    };
    if !text.trim().is_empty() {
        out.push(Decoded { kind: BlockKind::ListItem, level, ordinal, language: None, text });
    }
    out.extend(blocks);
}

/// The parameter names of an object's signatures: the identifiers after
/// its name ("-t tag" → `tag`, "hasdoc(document)" → `document`,
/// "-D setting=value" → `setting`, `value`).
fn signature_parameters(signatures: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for signature in signatures {
        let tokens = signature.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'));
        for token in tokens.filter(|t| !t.is_empty()).skip(1) {
            let name = token.trim_matches('-');
            if name.len() >= 2 && !token.starts_with('-') && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// `*tag*` as ``` ``tag`` ``` where `tag` is a parameter of the object
/// described: "Define the tag *tag*" would read "Define the tag tag" once
/// the emphasis goes. Strong emphasis (`**tag**`) is left alone.
fn parameters_as_literals(raw: &str, parameters: &[String]) -> String {
    if parameters.is_empty() || !raw.contains('*') {
        return raw.to_string();
    }
    let mut text = raw.to_string();
    for name in parameters {
        let emphasised = format!("*{name}*");
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(&emphasised) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + emphasised.len()..].chars().next();
            let bounded = before.is_none_or(|c| !c.is_alphanumeric() && c != '*' && c != '\\')
                && after.is_none_or(|c| !c.is_alphanumeric() && c != '*');
            out.push_str(&rest[..at]);
            if bounded {
                out.push_str(&format!("``{name}``"));
            } else {
                out.push_str(&emphasised);
            }
            rest = &rest[at + emphasised.len()..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// Signature lines, one per signature except where a line ends in a
/// backslash, which Sphinx reads as continued on the next.
fn joined_signatures(lines: &[&str]) -> Vec<String> {
    let mut signatures: Vec<String> = Vec::new();
    let mut continues = false;
    for line in lines {
        let trailing = line.chars().rev().take_while(|c| *c == '\\').count();
        let text =
            if trailing % 2 == 1 { line.get(..line.len().saturating_sub(1)).unwrap_or(line).trim_end() } else { line };
        match signatures.last_mut() {
            Some(last) if continues => {
                last.push(' ');
                last.push_str(text);
            }
            _ => signatures.push(text.to_string()),
        }
        continues = trailing % 2 == 1;
    }
    signatures
}

fn first_word(arguments: &[&str]) -> Option<String> {
    arguments.first().and_then(|argument| argument.split_whitespace().next()).map(str::to_string)
}

// ---- Directives ------------------------------------------------------------

/// `name::` (or `name ::`) and the rest of the line, for a directive line's
/// text after `.. `; the name lowercased, as directive names are.
fn directive_start(rest: &str) -> Option<(String, &str)> {
    let chars: Vec<char> = rest.chars().take(MAX_NAME_CHARS + 4).collect();
    let length = simplename_len(&chars, 0, MAX_NAME_CHARS);
    if length == 0 {
        return None;
    }
    let name: String = chars.iter().take(length).collect();
    let after = rest.get(name.len()..)?;
    let after = after.strip_prefix(' ').unwrap_or(after);
    let argument = after.strip_prefix("::")?;
    if !(argument.is_empty() || argument.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((name.to_lowercase(), argument.trim()))
}

/// How many argument lines a directive takes before its options and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArgumentLines {
    /// None: text on the directive line is content (`.. note:: Text`).
    None,
    /// One, on the directive line (a code block's language).
    One,
    /// Up to the first option or blank line (signatures, titles).
    Many,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeLanguage {
    /// The first argument, else `:language:`, else the `highlight` language.
    Argument,
    Fixed(&'static str),
    Unnamed,
}

/// How a Sphinx object's signature is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    Python,
    Plain,
    Confval,
    RstDirective,
    RstDirectiveOption,
    RstRole,
}

/// What a directive holds for a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DirectiveKind {
    Code(CodeLanguage),
    /// Code given in the arguments and content alike (`math`, `productionlist`).
    CodeInArguments(Option<&'static str>),
    ParsedLiteral,
    /// An admonition: its body is ordinary prose.
    Prose,
    /// An admonition with a title argument (`admonition`, `topic`, `sidebar`).
    TitledProse,
    /// A wrapper whose content is read as if it were not there.
    Container {
        sections: bool,
    },
    Epigraph,
    Drop,
    Module,
    Highlight,
    Rubric,
    Object(Signature),
    Figure,
    ListTable,
    CsvTable,
    Centered,
    LineBlock,
}

impl DirectiveKind {
    fn of(name: &str, argument: &str) -> DirectiveKind {
        if let Some((domain, objtype)) = name.split_once(':') {
            return match objtype {
                "module" | "currentmodule" => DirectiveKind::Module,
                "directive" => DirectiveKind::Object(Signature::RstDirective),
                "directive:option" => DirectiveKind::Object(Signature::RstDirectiveOption),
                "role" => DirectiveKind::Object(Signature::RstRole),
                "confval" => DirectiveKind::Object(Signature::Confval),
                other if other.starts_with("namespace") || other == "alias" || other.starts_with("auto") => {
                    DirectiveKind::Drop
                }
                other if domain == "py" && is_python_object(other) => DirectiveKind::Object(Signature::Python),
                _ => DirectiveKind::Object(Signature::Plain),
            };
        }
        match name {
            "code-block" | "sourcecode" | "code" => DirectiveKind::Code(CodeLanguage::Argument),
            "doctest" => DirectiveKind::Code(CodeLanguage::Fixed("pycon")),
            "testcode" | "testsetup" | "testcleanup" | "jupyter-execute" | "code-cell" => {
                DirectiveKind::Code(CodeLanguage::Fixed("python"))
            }
            "ipython" => DirectiveKind::Code(CodeLanguage::Fixed("ipython")),
            "graphviz" | "graph" | "digraph" => DirectiveKind::Code(CodeLanguage::Fixed("dot")),
            "testoutput" | "prompt" => DirectiveKind::Code(CodeLanguage::Unnamed),
            "math" => DirectiveKind::CodeInArguments(Some("latex")),
            "productionlist" => DirectiveKind::CodeInArguments(None),
            "parsed-literal" => DirectiveKind::ParsedLiteral,
            "note" | "warning" | "tip" | "important" | "caution" | "hint" | "attention" | "danger" | "error"
            | "seealso" | "todo" | "impl-detail" => DirectiveKind::Prose,
            "admonition" | "topic" | "sidebar" | "tab" | "tab-item" | "dropdown" | "card" => DirectiveKind::TitledProse,
            "only" | "ifconfig" => DirectiveKind::Container { sections: true },
            "container" | "compound" | "hlist" | "glossary" | "rst-class" | "cssclass" | "tabs" | "tab-set"
            | "grid" | "grid-item" | "table" => DirectiveKind::Container { sections: false },
            "epigraph" | "highlights" | "pull-quote" => DirectiveKind::Epigraph,
            "module" | "currentmodule" => DirectiveKind::Module,
            "highlight" => DirectiveKind::Highlight,
            "rubric" => DirectiveKind::Rubric,
            "figure" => DirectiveKind::Figure,
            "list-table" => DirectiveKind::ListTable,
            "csv-table" => DirectiveKind::CsvTable,
            "centered" => DirectiveKind::Centered,
            "line-block" => DirectiveKind::LineBlock,
            "class" if looks_like_class_name(argument) => DirectiveKind::Object(Signature::Python),
            // docutils' `class` sets a CSS class on its content.
            "class" => DirectiveKind::Container { sections: false },
            "confval" => DirectiveKind::Object(Signature::Confval),
            other if is_python_object(other) => DirectiveKind::Object(Signature::Python),
            "option"
            | "cmdoption"
            | "envvar"
            | "describe"
            | "object"
            | "event"
            | "macro"
            | "member"
            | "var"
            | "struct"
            | "union"
            | "enum"
            | "enumerator"
            | "concept"
            | "django-admin"
            | "django-admin-option" => DirectiveKind::Object(Signature::Plain),
            // Changelog notes are never stand-alone facts; autodoc content
            // comes from code, not this file; the rest is machinery.
            _ if name.starts_with("auto") => DirectiveKind::Drop,
            "versionadded"
            | "versionchanged"
            | "deprecated"
            | "versionremoved"
            | "deprecated-removed"
            | "toctree"
            | "index"
            | "audit-event"
            | "contents"
            | "sectnum"
            | "section-numbering"
            | "raw"
            | "image"
            | "include"
            | "literalinclude"
            | "default-role"
            | "role"
            | "meta"
            | "tabularcolumns"
            | "moduleauthor"
            | "sectionauthor"
            | "codeauthor"
            | "program"
            | "title"
            | "header"
            | "footer"
            | "target-notes"
            | "unicode"
            | "date"
            | "replace"
            | "todolist"
            | "inheritance-diagram"
            | "acks"
            | "setting"
            | "templatetag"
            | "templatefilter"
            | "fieldlookup" => DirectiveKind::Drop,
            // Unknown directives are usually wrappers around prose.
            _ => DirectiveKind::Container { sections: false },
        }
    }

    fn arguments(self) -> ArgumentLines {
        match self {
            DirectiveKind::Prose
            | DirectiveKind::Epigraph
            | DirectiveKind::LineBlock
            | DirectiveKind::ParsedLiteral => ArgumentLines::None,
            DirectiveKind::Code(_) => ArgumentLines::One,
            _ => ArgumentLines::Many,
        }
    }
}

fn is_python_object(objtype: &str) -> bool {
    matches!(
        objtype,
        "function"
            | "method"
            | "staticmethod"
            | "classmethod"
            | "attribute"
            | "property"
            | "data"
            | "exception"
            | "decorator"
            | "decoratormethod"
            | "class"
            | "type"
    )
}

/// Sphinx's `class` describes a class (`Sphinx`, `sphinx.Foo(arg)`);
/// docutils' names CSS classes, which are lower case words.
fn looks_like_class_name(argument: &str) -> bool {
    argument.starts_with(|c: char| c.is_uppercase()) || argument.contains(['.', '('])
}

/// A directive's block split as docutils splits it: arguments, `:option:`
/// lines, then content after the first blank line.
struct DirectiveParts<'t> {
    arguments: Vec<&'t str>,
    options: Vec<(String, String)>,
    content: Vec<Line<'t>>,
}

impl<'t> DirectiveParts<'t> {
    fn split(first: &'t str, body: &[Line<'t>], base: usize, arguments: ArgumentLines) -> DirectiveParts<'t> {
        let lines = marker_body(first, body, base + 3);
        let blank = lines.iter().position(Line::is_blank).unwrap_or(lines.len());
        let head = slice(&lines, 0, blank);
        let tail = slice(&lines, blank, lines.len());
        // The directive line's own text is never an option.
        let skip = usize::from(!first.is_empty());
        let option_start = head
            .iter()
            .enumerate()
            .skip(skip)
            .find(|(_, line)| field_marker(line.text).is_some())
            .map_or(head.len(), |(index, _)| index);
        let options = parse_options(slice(head, option_start, head.len()));
        let leading = slice(head, 0, option_start);
        let (argument_lines, content_lead): (&[Line<'t>], &[Line<'t>]) = match arguments {
            ArgumentLines::None => (&[], leading),
            ArgumentLines::One if !first.is_empty() => (slice(leading, 0, 1), slice(leading, 1, leading.len())),
            ArgumentLines::One => (&[], leading),
            ArgumentLines::Many => (leading, &[]),
        };
        let mut content = content_lead.to_vec();
        content.extend_from_slice(tail);
        DirectiveParts { arguments: argument_lines.iter().map(|line| line.text).collect(), options, content }
    }

    fn option(&self, name: &str) -> Option<String> {
        self.options.iter().find(|(option, _)| option == name).map(|(_, value)| value.clone())
    }
}

/// `:name: value` lines, a value continued on more indented lines.
fn parse_options(lines: &[Line<'_>]) -> Vec<(String, String)> {
    let mut options: Vec<(String, String, usize)> = Vec::new();
    for line in lines {
        match (field_marker(line.text), options.last_mut()) {
            (Some((name, value)), _) => options.push((name.to_ascii_lowercase(), value.to_string(), line.indent)),
            (None, Some((_, value, indent))) if line.indent > *indent => {
                value.push(' ');
                value.push_str(line.text);
            }
            _ => {}
        }
    }
    options.into_iter().map(|(name, value, _)| (name, value)).collect()
}

// ---- Markers ---------------------------------------------------------------

/// A bullet (`-`, `*`, `+`, `•`, `‣`, `⁃`) and a space: the item's text and
/// the marker's width in columns.
fn bullet(text: &str) -> Option<(&str, usize)> {
    let mut chars = text.chars();
    let marker = chars.next()?;
    if !matches!(marker, '-' | '*' | '+' | '\u{2022}' | '\u{2023}' | '\u{2043}') {
        return None;
    }
    let after = chars.as_str();
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    let rest = after.trim_start();
    Some((rest, text.chars().count().saturating_sub(rest.chars().count())))
}

/// An enumerator (`1.`, `#.`, `(a)`, `iv)`) and a space.
struct Enumerator<'t> {
    value: EnumeratorValue,
    rest: &'t str,
    width: usize,
}

#[derive(Debug, Clone, Copy)]
enum EnumeratorValue {
    Auto,
    Number(u32),
    /// A letter, also a Roman numeral when it is one (`i`, `v`, `x`).
    Letter {
        alphabetic: u32,
        roman: Option<u32>,
    },
    Roman(u32),
}

impl Enumerator<'_> {
    /// The item's number: `#` counts on from the item before; a letter that
    /// is also the next Roman numeral continues a Roman list.
    fn ordinal(&self, previous: Previous) -> u32 {
        let next = match previous {
            Previous::Enumerated(number) => number.saturating_add(1),
            _ => 1,
        };
        match self.value {
            EnumeratorValue::Auto => next,
            EnumeratorValue::Number(number) | EnumeratorValue::Roman(number) => number,
            EnumeratorValue::Letter { roman: Some(roman), .. } if roman == next => roman,
            EnumeratorValue::Letter { alphabetic, .. } => alphabetic,
        }
    }
}

fn enumerator(text: &str) -> Option<Enumerator<'_>> {
    let (inner, after) = match text.strip_prefix('(') {
        Some(body) => {
            let close = body.find(')')?;
            (body.get(..close)?, body.get(close + 1..)?)
        }
        None => {
            let close = text.find(['.', ')'])?;
            (text.get(..close)?, text.get(close + 1..)?)
        }
    };
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    let value = enumerator_value(inner)?;
    let rest = after.trim_start();
    Some(Enumerator { value, rest, width: text.chars().count().saturating_sub(rest.chars().count()) })
}

fn enumerator_value(inner: &str) -> Option<EnumeratorValue> {
    if inner == "#" {
        return Some(EnumeratorValue::Auto);
    }
    if !inner.is_empty() && inner.len() <= 9 && inner.chars().all(|c| c.is_ascii_digit()) {
        return inner.parse().ok().map(EnumeratorValue::Number);
    }
    let mut chars = inner.chars();
    if let (Some(letter), None) = (chars.next(), chars.next())
        && letter.is_ascii_alphabetic()
    {
        let alphabetic = u32::from(letter.to_ascii_lowercase()).saturating_sub(u32::from('a')) + 1;
        let roman = roman_value(inner);
        return Some(if letter.eq_ignore_ascii_case(&'i') {
            EnumeratorValue::Roman(1)
        } else {
            EnumeratorValue::Letter { alphabetic, roman }
        });
    }
    (inner.len() <= 8).then(|| roman_value(inner)).flatten().map(EnumeratorValue::Roman)
}

/// The value of a Roman numeral written in one case.
fn roman_value(numeral: &str) -> Option<u32> {
    let upper = numeral.chars().all(|c| c.is_ascii_uppercase());
    let lower = numeral.chars().all(|c| c.is_ascii_lowercase());
    if numeral.is_empty() || !(upper || lower) {
        return None;
    }
    let values: Option<Vec<u32>> = numeral
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            'i' => Some(1),
            'v' => Some(5),
            'x' => Some(10),
            'l' => Some(50),
            'c' => Some(100),
            'd' => Some(500),
            'm' => Some(1000),
            _ => None,
        })
        .collect();
    let values = values?;
    let mut total = 0u32;
    for (index, value) in values.iter().enumerate() {
        if values.get(index + 1).is_some_and(|next| next > value) {
            total = total.saturating_sub(*value);
        } else {
            total = total.saturating_add(*value);
        }
    }
    Some(total)
}

/// docutils reads `A. Smith wrote` as text, not a list: an item's next line
/// must be blank, indented, or another item.
fn enumeration_continues(here: Here<'_, '_>) -> bool {
    match here.next() {
        None => true,
        Some(next) => next.is_blank() || next.indent > here.base || enumerator(next.text).is_some(),
    }
}

/// `:name: body`: the field name (escapes allowed, no `:` before a space or
/// backquote) and the body's first line.
fn field_marker(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix(':')?;
    if body.is_empty() || body.starts_with([':', ' ']) {
        return None;
    }
    let mut escaped = false;
    for (offset, c) in body.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ':' => {
                let after = body.get(offset + 1..)?;
                if after.starts_with('`') {
                    return None;
                }
                if after.is_empty() || after.starts_with([' ', '\t']) {
                    let name = body.get(..offset)?;
                    return (!name.ends_with(' ')).then_some((name, after.trim_start()));
                }
            }
            _ => {}
        }
    }
    None
}

/// An option list item's marker: options (`-a`, `--all`, `-f FILE`,
/// `--file=<path>`, `/V`) separated by `, `, then two spaces and the
/// description (or nothing, the description on the next lines).
struct OptionMarker<'t> {
    options: &'t str,
    description: &'t str,
}

fn option_marker(text: &str) -> Option<OptionMarker<'_>> {
    let mut end = option_end(text, 0)?;
    while let Some(rest) = text.get(end..)
        && rest.starts_with(", ")
    {
        end = option_end(text, end + 2)?;
    }
    let options = text.get(..end)?;
    let rest = text.get(end..)?;
    if rest.is_empty() {
        return Some(OptionMarker { options, description: "" });
    }
    (rest.starts_with("  ") || rest.starts_with('\t')).then(|| OptionMarker { options, description: rest.trim_start() })
}

/// The end of one option (with its argument) starting at `start`.
fn option_end(text: &str, start: usize) -> Option<usize> {
    let rest = text.get(start..)?;
    let bytes = rest.as_bytes();
    let name_end = if rest.starts_with("--") {
        let length =
            bytes.iter().skip(2).take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_').count();
        if !bytes.get(2).is_some_and(u8::is_ascii_alphanumeric) {
            return None;
        }
        2 + length
    } else if matches!(bytes.first(), Some(b'-' | b'+' | b'/')) && bytes.get(1).is_some_and(u8::is_ascii_alphanumeric) {
        2
    } else {
        return None;
    };
    let argument_start = match bytes.get(name_end) {
        Some(b'=') if name_end > 2 => name_end + 1,
        Some(b' ') => name_end + 1,
        _ if name_end == 2 => name_end,
        _ => return Some(start + name_end),
    };
    match option_argument_len(rest.get(argument_start..).unwrap_or("")) {
        Some(length) => Some(start + argument_start + length),
        None => Some(start + name_end),
    }
}

/// `FILE`, `file-name` or `<path>`.
fn option_argument_len(text: &str) -> Option<usize> {
    if let Some(inner) = text.strip_prefix('<') {
        let close = inner.find('>')?;
        return (!inner.get(..close)?.contains('<')).then_some(close + 2);
    }
    let bytes = text.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    Some(bytes.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_').count())
}

fn is_line_block_line(text: &str) -> bool {
    text == "|" || text.starts_with("| ")
}

fn is_grid_table_top(text: &str) -> bool {
    (text.starts_with("+-") || text.starts_with("+="))
        && text.ends_with('+')
        && text.chars().all(|c| matches!(c, '+' | '-' | '='))
}

fn is_simple_table_top(text: &str) -> bool {
    text.starts_with('=') && text.chars().all(|c| c == '=' || c == ' ') && text.split_whitespace().count() >= 2
}

fn is_simple_border(text: &str) -> bool {
    text.starts_with('=') && text.chars().all(|c| c == '=' || c == ' ')
}

/// `-----  --------`: a header cell spanning the columns underlined.
fn is_span_underline(text: &str) -> bool {
    text.starts_with('-') && text.chars().all(|c| c == '-' || c == ' ')
}

/// Merges the cells of a simple table's row that an underline of `-` spans
/// (`-----------  -----` under a header spanning columns).
fn merge_spans(row: &mut Vec<String>, columns: &[usize], underline: &[char]) {
    let mut spans = Vec::new();
    let mut start = None;
    for (index, c) in underline.iter().chain(std::iter::once(&' ')).enumerate() {
        match (c, start) {
            ('-', None) => start = Some(index),
            (' ', Some(from)) => {
                spans.push((from, index));
                start = None;
            }
            _ => {}
        }
    }
    if spans.len() >= columns.len() {
        return;
    }
    let merged: Vec<String> = spans
        .iter()
        .map(|(from, to)| {
            let parts: Vec<&str> = columns
                .iter()
                .zip(row.iter())
                .filter(|(column, _)| (*from..*to).contains(*column))
                .map(|(_, cell)| cell.trim())
                .filter(|cell| !cell.is_empty())
                .collect();
            parts.join(" ")
        })
        .collect();
    *row = merged;
}

/// The start columns of a simple table's columns.
fn simple_columns(top: &str) -> Vec<usize> {
    let mut columns = Vec::new();
    let mut previous = ' ';
    for (index, c) in top.chars().enumerate() {
        if c == '=' && previous == ' ' {
            columns.push(index);
        }
        previous = c;
    }
    columns
}

/// The bottom border, as docutils finds it: the second border after the top,
/// or a border followed by a blank line; failing both, the line before the
/// first blank line.
fn simple_table_bottom(here: Here<'_, '_>) -> usize {
    let mut borders = 0;
    for (index, line) in here.lines.iter().enumerate().skip(here.at + 1) {
        if line.indent == here.base && is_simple_border(line.text) {
            borders += 1;
            if borders == 2 || here.lines.get(index + 1).is_none_or(Line::is_blank) {
                return index;
            }
        }
    }
    let first_blank = here.lines.iter().enumerate().skip(here.at).find(|(_, line)| line.is_blank());
    first_blank.map_or(here.lines.len(), |(index, _)| index).saturating_sub(1).max(here.at)
}

/// The items of a bullet list (a `list-table` and its rows), each as its
/// body's lines.
fn bullet_items<'t>(lines: &[Line<'t>]) -> Vec<Vec<Line<'t>>> {
    let base = base_indent(lines);
    let mut items = Vec::new();
    let mut at = 0;
    while let Some(line) = lines.get(at) {
        match bullet(line.text).filter(|_| line.indent == base) {
            Some((rest, width)) => {
                let end = indented_end(lines, at + 1, base);
                items.push(marker_body(rest, slice(lines, at + 1, end), base + width));
                at = end.max(at + 1);
            }
            None => at += 1,
        }
    }
    items
}

/// CSV records: `delimiter` between fields, `quote` around fields that hold
/// delimiters or line breaks (doubled inside), space after a delimiter skipped.
fn csv_records(source: &str, delimiter: char, quote: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut at_field_start = true;
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == quote {
                if chars.peek() == Some(&quote) {
                    field.push(quote);
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        if at_field_start && c == ' ' && delimiter != ' ' {
            continue;
        }
        if at_field_start && c == quote {
            quoted = true;
            at_field_start = false;
        } else if c == delimiter {
            record.push(std::mem::take(&mut field));
            at_field_start = true;
        } else if c == '\n' {
            record.push(std::mem::take(&mut field));
            if record.iter().any(|cell| !cell.trim().is_empty()) {
                records.push(std::mem::take(&mut record));
            }
            record.clear();
            at_field_start = true;
        } else {
            field.push(c);
            at_field_start = false;
        }
    }
    record.push(field);
    if record.iter().any(|cell| !cell.trim().is_empty()) {
        records.push(record);
    }
    records
}

// ---- Definitions -----------------------------------------------------------

/// What a document defines once and uses anywhere, collected before it is
/// decoded: substitutions (often defined at the end) and the section titles
/// behind internal targets, for `:ref:` without a title.
#[derive(Default)]
struct Definitions {
    /// By lowercased name, as docutils falls back to matching case-insensitively.
    substitutions: HashMap<String, Substitution>,
    titles: HashMap<String, String>,
}

struct Substitution {
    text: String,
    /// Whether `text` is reStructuredText (a `replace::`) to render.
    markup: bool,
    trim_left: bool,
    trim_right: bool,
}

impl Definitions {
    fn collect(lines: &[Line<'_>]) -> Definitions {
        let mut definitions = Definitions::default();
        let mut labels: Vec<String> = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            if line.is_blank() {
                continue;
            }
            if let Some(rest) = line.text.strip_prefix(".. |") {
                definitions.add_substitution(rest, lines, index);
            } else if let Some(label) = internal_target(line.text) {
                labels.push(label);
                continue;
            } else if !labels.is_empty()
                && let Some(title) = title_text(lines, index)
            {
                for label in labels.drain(..) {
                    definitions.titles.insert(label, title.to_string());
                }
            }
            labels.clear();
        }
        definitions
    }

    fn add_substitution(&mut self, rest: &str, lines: &[Line<'_>], index: usize) {
        let Some((name, after)) = rest.split_once('|') else { return };
        let Some((directive, data)) = directive_start(after.trim_start()) else { return };
        let indent = lines.get(index).map_or(0, |line| line.indent);
        let mut data_lines = vec![data];
        let mut options = Vec::new();
        for line in lines.iter().skip(index + 1).take_while(|line| !line.is_blank() && line.indent > indent) {
            match field_marker(line.text) {
                Some((option, value)) => options.push((option.to_ascii_lowercase(), value)),
                None if options.is_empty() => data_lines.push(line.text),
                None => {}
            }
        }
        let has = |wanted: &str| options.iter().any(|(option, _)| option == wanted);
        let data = data_lines.join(" ");
        let name = collapse_whitespace(name);
        let (text, markup) = match directive.as_str() {
            "replace" => (data, true),
            "unicode" => (unicode_text(&data), false),
            "image" => {
                let alt = options.iter().find(|(option, _)| option == "alt").map(|(_, alt)| alt.to_string());
                (alt.unwrap_or_else(|| name.clone()), false)
            }
            _ => (name.clone(), false),
        };
        let substitution = Substitution {
            text,
            markup,
            trim_left: has("trim") || has("ltrim"),
            trim_right: has("trim") || has("rtrim"),
        };
        self.substitutions.insert(name.to_lowercase(), substitution);
    }

    fn substitution(&self, name: &str) -> Option<&Substitution> {
        self.substitutions.get(&name.to_lowercase())
    }
}

/// `.. _label:` with no URL: a target for the element that follows.
fn internal_target(text: &str) -> Option<String> {
    let label = text.strip_prefix(".. _")?.strip_suffix(':')?;
    let label = label.trim_matches('`');
    (!label.is_empty() && !label.contains(": ")).then(|| collapse_whitespace(label).to_lowercase())
}

/// The text of the title starting at `index`, if one does.
fn title_text<'t>(lines: &[Line<'t>], index: usize) -> Option<&'t str> {
    let line = lines.get(index)?;
    let next = lines.get(index + 1)?;
    if is_adornment(line.text) {
        let under = lines.get(index + 2)?;
        return (under.text == line.text && !next.is_blank()).then_some(next.text);
    }
    (is_adornment(next.text) && next.indent == line.indent && underline_fits(line.text, next.text)).then_some(line.text)
}

/// A `unicode::` substitution's text: character codes (`0x2014`, `U+2014`,
/// `&#x2014;`, `8212`) as characters, other words as written, up to a `..`
/// comment.
fn unicode_text(data: &str) -> String {
    let mut text = String::new();
    for token in data.split_whitespace() {
        if token == ".." {
            break;
        }
        match code_point(token) {
            Some(c) => text.push(c),
            None => text.push_str(token),
        }
    }
    text
}

fn code_point(token: &str) -> Option<char> {
    let lower = token.to_ascii_lowercase();
    let hex = ["0x", "\\x", "x", "\\u", "u+", "u"]
        .iter()
        .find_map(|prefix| lower.strip_prefix(prefix))
        .or_else(|| lower.strip_prefix("&#x").and_then(|rest| rest.strip_suffix(';')));
    let value = match hex {
        Some(digits) => u32::from_str_radix(digits, 16).ok()?,
        None => {
            let digits = lower.strip_prefix("&#").and_then(|rest| rest.strip_suffix(';')).unwrap_or(&lower);
            digits.parse().ok()?
        }
    };
    char::from_u32(value)
}

// ---- Inline markup -----------------------------------------------------------

/// The kinds of end-string searched for; see [`Inline::find_end`].
#[derive(Debug, Clone, Copy)]
enum EndString {
    Literal = 0,
    Interpreted = 1,
    Backquote = 2,
    Strong = 3,
    Emphasis = 4,
    Substitution = 5,
}

const END_STRINGS: usize = 6;

/// Renders one paragraph's inline markup to plain text, by docutils'
/// recognition rules: markup starts after whitespace or opening punctuation
/// and ends before whitespace or closing punctuation, so `2*3*4` and
/// `snake_case` stay text.
struct Inline<'d> {
    chars: Vec<char>,
    /// Whether each character is escaped by an unescaped backslash before it.
    escaped: Vec<bool>,
    out: String,
    /// For each kind of end-string, a position from which none is found: an
    /// end-string is recognised by its surroundings alone, so after one failed
    /// search later ones fail too, and unclosed starts cost one scan in all.
    no_end_from: [usize; END_STRINGS],
    definitions: &'d Definitions,
    depth: u8,
    /// Whether inline literals are written as Markdown code (in prose), or
    /// bare (inside a `parsed-literal` code block).
    mark_code: bool,
}

impl<'d> Inline<'d> {
    fn render(text: &str, definitions: &'d Definitions, depth: u8) -> String {
        Inline::new(text, definitions, depth).run()
    }

    fn new(text: &str, definitions: &'d Definitions, depth: u8) -> Inline<'d> {
        let chars: Vec<char> = text.chars().collect();
        let mut escaped = Vec::with_capacity(chars.len());
        let mut escapes_next = false;
        for c in &chars {
            escaped.push(escapes_next);
            escapes_next = *c == '\\' && !escapes_next;
        }
        Inline {
            out: String::with_capacity(text.len()),
            no_end_from: [chars.len(); END_STRINGS],
            chars,
            escaped,
            definitions,
            depth,
            mark_code: true,
        }
    }

    fn run(mut self) -> String {
        let mut index = 0;
        while index < self.chars.len() {
            index = self.step(index).max(index + 1);
        }
        self.out
    }

    fn at(&self, index: usize) -> Option<char> {
        self.chars.get(index).copied()
    }

    fn before(&self, index: usize) -> Option<char> {
        index.checked_sub(1).and_then(|before| self.at(before))
    }

    fn is_escaped(&self, index: usize) -> bool {
        self.escaped.get(index).copied().unwrap_or(false)
    }

    fn text(&self, from: usize, to: usize) -> String {
        slice(&self.chars, from, to).iter().collect()
    }

    fn step(&mut self, index: usize) -> usize {
        let Some(c) = self.at(index) else { return index + 1 };
        if self.is_escaped(index) {
            if !c.is_whitespace() {
                self.out.push(c);
            }
            return index + 1;
        }
        let handled = match c {
            // A backslash escapes the next character, which the next step writes.
            '\\' => Some(index + 1),
            '`' if self.at(index + 1) == Some('`') => self.inline_literal(index),
            '`' => self.interpreted(index),
            ':' => self.prefixed_role(index),
            '*' => self.emphasis(index),
            '|' => self.substitution_reference(index),
            '[' => self.footnote_reference(index),
            '_' => self.inline_target(index),
            c if c.is_alphanumeric() => Some(self.word(index)),
            _ => None,
        };
        handled.unwrap_or_else(|| {
            self.out.push(c);
            index + 1
        })
    }

    /// Whether a start-string of `width` characters at `index` opens markup:
    /// after whitespace or opening punctuation, before a non-space, and not
    /// quoted (`'*'`, `(*)`).
    fn opens(&self, index: usize, width: usize) -> bool {
        let before = self.before(index);
        let after = self.at(index + width);
        let before_fits = before
            .is_none_or(|b| b.is_whitespace() || "-:/'\"<([{".contains(b) || (!b.is_ascii() && !b.is_alphanumeric()));
        let quoted = matches!(
            (before, after),
            (Some('\''), Some('\''))
                | (Some('"'), Some('"'))
                | (Some('('), Some(')'))
                | (Some('['), Some(']'))
                | (Some('{'), Some('}'))
                | (Some('<'), Some('>'))
        );
        before_fits && after.is_some_and(|a| !a.is_whitespace()) && !quoted
    }

    /// Whether an end-string of `width` characters at `index` closes markup.
    fn closes(&self, index: usize, width: usize) -> bool {
        self.before(index).is_some_and(|b| !b.is_whitespace())
            && !self.is_escaped(index)
            && ends_word(self.at(index + width))
    }

    /// The first end-string from `from` that `accepts`, remembering failures.
    fn find_end(&mut self, kind: EndString, from: usize, accepts: impl Fn(&Self, usize) -> bool) -> Option<usize> {
        let slot = kind as usize;
        let no_end_from = self.no_end_from.get(slot).copied().unwrap_or(0);
        if from >= no_end_from {
            return None;
        }
        let found = (from..no_end_from).find(|index| accepts(self, *index));
        if found.is_none()
            && let Some(limit) = self.no_end_from.get_mut(slot)
        {
            *limit = from;
        }
        found
    }

    /// Characters with backslash escapes resolved and escaped spaces removed.
    fn unescaped(&self, from: usize, to: usize) -> String {
        let mut text = String::new();
        for index in from..to.min(self.chars.len()) {
            let Some(c) = self.at(index) else { break };
            let is_escape = c == '\\' && !self.is_escaped(index);
            let is_escaped_space = self.is_escaped(index) && c.is_whitespace();
            if !is_escape && !is_escaped_space {
                text.push(c);
            }
        }
        text
    }

    /// Text inside markup, itself rendered (docutils does not nest markup,
    /// but a role left inside emphasis is still markup to a reader).
    fn nested(&self, from: usize, to: usize) -> String {
        if self.depth >= MAX_INLINE_DEPTH {
            return self.unescaped(from, to);
        }
        Inline::render(&self.text(from, to), self.definitions, self.depth + 1)
    }

    /// ``` ``code`` ```: written as Markdown inline code, backslashes kept.
    fn inline_literal(&mut self, index: usize) -> Option<usize> {
        if !self.opens(index, 2) {
            return None;
        }
        let end = self.find_end(EndString::Literal, index + 3, |inline, at| {
            inline.at(at) == Some('`')
                && inline.at(at + 1) == Some('`')
                && inline.before(at).is_some_and(|b| !b.is_whitespace())
                && ends_word(inline.at(at + 2))
        })?;
        let content = self.text(index + 2, end);
        if !self.mark_code {
            self.out.push_str(&content);
        } else if content.contains('`') {
            // Markdown's form for code holding a backquote.
            self.out.push_str("`` ");
            self.out.push_str(&content);
            self.out.push_str(" ``");
        } else {
            self.out.push('`');
            self.out.push_str(&content);
            self.out.push('`');
        }
        Some(end + 2)
    }

    /// `` `text` `` with a suffix: a reference (`_`, `__`), a role
    /// (`:role:`), or none (the default role, read as its text).
    fn interpreted(&mut self, index: usize) -> Option<usize> {
        if !self.opens(index, 1) {
            return None;
        }
        let end = self.find_end(EndString::Interpreted, index + 2, |inline, at| {
            inline.at(at) == Some('`')
                && !inline.is_escaped(at)
                && inline.before(at).is_some_and(|b| !b.is_whitespace())
                && inline.suffix(at + 1).is_some()
        })?;
        let (suffix, length) = self.suffix(end + 1)?;
        let raw = self.text(index + 1, end);
        let text = match suffix {
            Suffix::Reference => reference_text(&raw),
            Suffix::Role(role) => self.role_text(&role, &raw),
            Suffix::Plain => self.nested(index + 1, end),
        };
        self.out.push_str(&text);
        Some(end + 1 + length)
    }

    /// What follows an interpreted text's closing backquote, and its length,
    /// when what follows that ends the word.
    fn suffix(&self, at: usize) -> Option<(Suffix, usize)> {
        match self.at(at) {
            Some('_') => {
                let length = if self.at(at + 1) == Some('_') { 2 } else { 1 };
                ends_word(self.at(at + length)).then_some((Suffix::Reference, length))
            }
            Some(':') => {
                let name = simplename_len(&self.chars, at + 1, MAX_NAME_CHARS);
                if name > 0 && self.at(at + 1 + name) == Some(':') && ends_word(self.at(at + 2 + name)) {
                    Some((Suffix::Role(self.text(at + 1, at + 1 + name)), name + 2))
                } else {
                    Some((Suffix::Plain, 0))
                }
            }
            other => ends_word(other).then_some((Suffix::Plain, 0)),
        }
    }

    /// `:role:`text``.
    fn prefixed_role(&mut self, index: usize) -> Option<usize> {
        if !self.before(index).is_none_or(starts_word) {
            return None;
        }
        let name = simplename_len(&self.chars, index + 1, MAX_NAME_CHARS);
        let colon = index + 1 + name;
        let open = colon + 1;
        if name == 0 || self.at(colon) != Some(':') || self.at(open) != Some('`') {
            return None;
        }
        if self.at(open + 1).is_none_or(char::is_whitespace) {
            return None;
        }
        let end = self.closing_backquote(open + 2)?;
        let role = self.text(index + 1, colon);
        let text = self.role_text(&role, &self.text(open + 1, end));
        self.out.push_str(&text);
        Some(end + 1)
    }

    /// A backquote closing a role's text or an inline target.
    fn closing_backquote(&mut self, from: usize) -> Option<usize> {
        self.find_end(EndString::Backquote, from, |inline, at| inline.at(at) == Some('`') && inline.closes(at, 1))
    }

    /// `*emphasis*` and `**strong**`: their text.
    fn emphasis(&mut self, index: usize) -> Option<usize> {
        if self.at(index + 1) == Some('*') {
            if !self.opens(index, 2) {
                return None;
            }
            let end = self.find_end(EndString::Strong, index + 3, |inline, at| {
                inline.at(at) == Some('*') && inline.at(at + 1) == Some('*') && inline.closes(at, 2)
            })?;
            let text = self.nested(index + 2, end);
            self.out.push_str(&text);
            return Some(end + 2);
        }
        if !self.opens(index, 1) {
            return None;
        }
        let end = self.find_end(EndString::Emphasis, index + 2, |inline, at| {
            inline.at(at) == Some('*') && inline.closes(at, 1)
        })?;
        let text = self.nested(index + 1, end);
        self.out.push_str(&text);
        Some(end + 1)
    }

    /// `|name|`: the substitution's text (trimming the spaces around it when
    /// it says so), or the name when it is not defined.
    fn substitution_reference(&mut self, index: usize) -> Option<usize> {
        if !self.opens(index, 1) {
            return None;
        }
        let end = self.find_end(EndString::Substitution, index + 2, |inline, at| {
            inline.at(at) == Some('|')
                && inline.before(at).is_some_and(|b| !b.is_whitespace())
                && !inline.is_escaped(at)
                && {
                    let suffix = reference_suffix_len(inline, at + 1);
                    ends_word(inline.at(at + 1 + suffix))
                }
        })?;
        let mut next = end + 1 + reference_suffix_len(self, end + 1);
        let name = collapse_whitespace(&self.text(index + 1, end));
        let definitions = self.definitions;
        match definitions.substitution(&name) {
            Some(substitution) => {
                if substitution.trim_left {
                    let kept = self.out.trim_end().len();
                    self.out.truncate(kept);
                }
                let text = if !substitution.markup {
                    substitution.text.clone()
                } else if self.depth < MAX_INLINE_DEPTH {
                    Inline::render(&substitution.text, definitions, self.depth + 1)
                } else {
                    name
                };
                self.out.push_str(&text);
                if substitution.trim_right {
                    while self.at(next).is_some_and(char::is_whitespace) {
                        next += 1;
                    }
                }
            }
            None => self.out.push_str(&name),
        }
        Some(next)
    }

    /// `[1]_`, `[#]_`, `[#note]_`, `[*]_`, `[CIT2002]_`: removed, with the
    /// space before when punctuation or a space follows.
    fn footnote_reference(&mut self, index: usize) -> Option<usize> {
        if !self.opens(index, 1) {
            return None;
        }
        let limit = (index + 2 + MAX_NAME_CHARS).min(self.chars.len());
        let close = (index + 1..limit).find(|at| self.at(*at) == Some(']'))?;
        let label = self.text(index + 1, close);
        if !is_footnote_label(&label) || self.at(close + 1) != Some('_') || !ends_word(self.at(close + 2)) {
            return None;
        }
        if self.at(close + 2).is_none_or(|after| after.is_whitespace() || ".,;:!?)".contains(after)) {
            let kept = self.out.trim_end_matches(' ').len();
            self.out.truncate(kept);
        }
        Some(close + 2)
    }

    /// `` _`target` ``: an inline target reads as its text.
    fn inline_target(&mut self, index: usize) -> Option<usize> {
        if self.at(index + 1) != Some('`') || !self.opens(index, 2) {
            return None;
        }
        let end = self.closing_backquote(index + 3)?;
        let text = self.unescaped(index + 2, end);
        self.out.push_str(&text);
        Some(end + 1)
    }

    /// A word: a URI (kept whole), a reference `name_` / `name__` (its
    /// name), or plain text.
    fn word(&mut self, index: usize) -> usize {
        let at_start = self.before(index).is_none_or(starts_word);
        if at_start && let Some(end) = self.uri_end(index) {
            let uri = self.text(index, end);
            self.out.push_str(&uri);
            return end;
        }
        let end = index + simplename_len(&self.chars, index, usize::MAX).max(1);
        let name = self.text(index, end);
        self.out.push_str(&name);
        if at_start && self.at(end) == Some('_') {
            let marker = if self.at(end + 1) == Some('_') { 2 } else { 1 };
            if ends_word(self.at(end + marker)) {
                return end + marker;
            }
        }
        end
    }

    /// The end of a URI (`scheme://...`, `mailto:...`) starting at `index`:
    /// the next space.
    fn uri_end(&self, index: usize) -> Option<usize> {
        let scheme = self
            .chars
            .iter()
            .skip(index)
            .take(32)
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
            .count();
        let colon = index + scheme;
        let is_uri = scheme > 0
            && self.at(colon) == Some(':')
            && ((self.at(colon + 1) == Some('/') && self.at(colon + 2) == Some('/'))
                || matches!(self.text(index, colon).to_ascii_lowercase().as_str(), "mailto" | "news" | "tel"));
        if !is_uri {
            return None;
        }
        let length =
            self.chars.iter().skip(index).take_while(|c| !c.is_whitespace() && !matches!(c, '<' | '>' | '`')).count();
        Some(index + length)
    }

    /// A role's text as Sphinx renders it.
    fn role_text(&self, role: &str, raw: &str) -> String {
        let role = role.to_ascii_lowercase();
        let short = role.rsplit(':').next().unwrap_or(&role);
        match short {
            // LaTeX keeps its backslashes.
            "math" | "m" | "latex" => raw.to_string(),
            "pep" => numbered_reference("PEP", raw),
            "rfc" => numbered_reference("RFC", raw),
            "samp" | "file" => without_braces(raw),
            "guilabel" => without_accelerators(&unescape(raw)),
            "menuselection" => without_accelerators(&unescape(raw)).replace("-->", "\u{2192}"),
            "abbr" | "kbd" | "code" | "literal" | "sub" | "sup" | "subscript" | "superscript" | "emphasis"
            | "strong" | "dfn" | "mailheader" | "makevar" | "regexp" | "manpage" | "title-reference" | "title"
            | "t" | "command" | "program" | "newsgroup" => unescape(raw),
            _ => self.cross_reference(short, raw),
        }
    }

    /// A cross-reference: its explicit title, else its target (`~` keeps the
    /// last component, a leading `.` or `!` goes, functions get `()`).
    fn cross_reference(&self, role: &str, raw: &str) -> String {
        let text = unescape(raw);
        let text = text.strip_prefix('!').unwrap_or(&text);
        let target = match embedded_target(text) {
            Some((title, _)) if !title.is_empty() => return collapse_whitespace(title),
            Some((_, target)) => target,
            None => text,
        };
        let target = target.trim();
        match role {
            "ref" => self.section_title(target),
            "doc" => target.trim_end_matches('/').rsplit('/').next().unwrap_or(target).to_string(),
            "func" | "meth" => {
                let name = short_target(target);
                if name.ends_with(')') { name } else { format!("{name}()") }
            }
            _ => short_target(target),
        }
    }

    /// The title of the section a label marks, else the label in words.
    fn section_title(&self, label: &str) -> String {
        match self.definitions.titles.get(&label.to_lowercase()) {
            Some(title) if self.depth < MAX_INLINE_DEPTH => {
                collapse_spaces(&Inline::render(title, self.definitions, self.depth + 1))
            }
            _ => label.replace(['-', '_'], " "),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Suffix {
    Reference,
    Role(String),
    Plain,
}

/// Characters after which inline markup may start.
fn starts_word(before: char) -> bool {
    before.is_whitespace() || "-:/'\"<([{".contains(before) || (!before.is_ascii() && !before.is_alphanumeric())
}

/// Whether `after` (the character after an end-string) ends the markup:
/// whitespace, closing punctuation or the end of the text.
fn ends_word(after: Option<char>) -> bool {
    after
        .is_none_or(|a| a.is_whitespace() || "-.,:;!?\\/'\")]}>".contains(a) || (!a.is_ascii() && !a.is_alphanumeric()))
}

fn reference_suffix_len(inline: &Inline<'_>, at: usize) -> usize {
    match (inline.at(at), inline.at(at + 1)) {
        (Some('_'), Some('_')) => 2,
        (Some('_'), _) => 1,
        _ => 0,
    }
}

/// The length of docutils' "simple name" at `from` (words joined by single
/// `-._+:`), at most `limit` characters (0 when longer).
fn simplename_len(chars: &[char], from: usize, limit: usize) -> usize {
    let is_word = |index: usize| chars.get(index).is_some_and(|c| c.is_alphanumeric());
    if !is_word(from) {
        return 0;
    }
    let mut end = from + 1;
    loop {
        if is_word(end) {
            end += 1;
        } else if chars.get(end).is_some_and(|c| matches!(c, '-' | '.' | '_' | '+' | ':')) && is_word(end + 1) {
            end += 2;
        } else {
            break;
        }
        if end - from > limit {
            return 0;
        }
    }
    end - from
}

fn is_footnote_label(label: &str) -> bool {
    let chars: Vec<char> = label.chars().collect();
    let is_name = |from: usize| simplename_len(&chars, from, MAX_NAME_CHARS) == chars.len().saturating_sub(from);
    label == "#"
        || label == "*"
        || (!label.is_empty() && label.chars().all(|c| c.is_ascii_digit()))
        || (label.starts_with('#') && chars.len() > 1 && is_name(1))
        || (!chars.is_empty() && is_name(0))
}

/// A phrase reference's link text: `text <url>` gives `text`; a bare `<url>`
/// gives the URL.
fn reference_text(raw: &str) -> String {
    let text = unescape(raw);
    let shown = match embedded_target(&text) {
        Some(("", target)) => target.trim_end_matches('_').to_string(),
        Some((title, _)) => title.to_string(),
        None => text.clone(),
    };
    collapse_whitespace(&shown)
}

/// `title <target>` split in two; the title may be empty.
fn embedded_target(text: &str) -> Option<(&str, &str)> {
    let inner = text.trim_end().strip_suffix('>')?;
    let open = inner.rfind('<')?;
    let title = inner.get(..open)?;
    let target = inner.get(open + 1..)?;
    (title.is_empty() || title.ends_with(char::is_whitespace)).then_some((title.trim(), target.trim()))
}

/// `~a.b.c` is `c`; `.c` and `a.b.c` are written as given, less the dot.
fn short_target(target: &str) -> String {
    let (last_only, rest) = match target.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, target),
    };
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let shown = if last_only { rest.rsplit('.').next().unwrap_or(rest) } else { rest };
    shown.to_string()
}

/// `:pep:`8`` is `PEP 8`; a title wins.
fn numbered_reference(prefix: &str, raw: &str) -> String {
    let text = unescape(raw);
    match embedded_target(&text) {
        Some((title, _)) if !title.is_empty() => collapse_whitespace(title),
        _ => {
            let number = text.split('#').next().unwrap_or(&text).trim();
            format!("{prefix} {number}")
        }
    }
}

/// `:samp:` and `:file:` mark variable parts with braces; `\{` is a brace.
fn without_braces(raw: &str) -> String {
    let mut text = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.extend(chars.next()),
            '{' | '}' => {}
            other => text.push(other),
        }
    }
    text
}

/// `&Cancel` marks an accelerator key; `&&` is an ampersand.
fn without_accelerators(text: &str) -> String {
    text.replace("&&", "\u{0}").replace('&', "").replace('\u{0}', "&")
}

/// Backslash escapes resolved; an escaped space is removed.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next().filter(|next| !next.is_whitespace()) {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs of spaces and tabs as one space, line breaks kept, ends trimmed.
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c == ' ' || c == '\t' {
            space = true;
            continue;
        }
        if space && !out.is_empty() && !out.ends_with('\n') && c != '\n' {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "rst_tests.rs"]
mod tests;
