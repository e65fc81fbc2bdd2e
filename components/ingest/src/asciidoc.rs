//! AsciiDoc, as Git's documentation writes it (and Asciidoctor reads it).
//!
//! The decoder works in two passes over lines. The first is AsciiDoc's own
//! preprocessor: `ifdef::`/`ifndef::`/`endif::` keep or drop lines by the
//! attributes the document defines (`:git-commit: 1`), and `include::` lines
//! are dropped, since the included file is not here. The second reads blocks
//! the way Asciidoctor does: titles, delimited blocks, lists, labelled lists,
//! tables and paragraphs. Inline markup is then reduced to the text a reader
//! sees (`linkgit:git-add[1]` reads `git-add(1)`), so that no AsciiDoc syntax
//! reaches the questions later stages write; listing blocks keep their code
//! verbatim.
//!
//! Every loop advances by at least one line, every search for a closing mark
//! resumes where the last one stopped, and nothing recurses, so hostile input
//! (unclosed blocks, megabyte lines, deep nesting) costs linear time and no
//! stack.

use std::borrow::Cow;
use std::collections::HashMap;

use brightrun_types::BlockKind;

use crate::DocumentBuilder;

/// Whether `text` reads as AsciiDoc by its content: at least two different
/// tell-tales of AsciiDoc (a `linkgit:` macro, a preprocessor line, a block
/// attribute line such as `[verse]`, an attribute entry, a `== Title` line, a
/// man-page title, labelled-list terms, delimited blocks) or `linkgit:` on
/// three lines, and fewer Markdown tell-tales (outside listing blocks) than
/// AsciiDoc ones. One tell-tale once is not enough: prose may mention
/// `linkgit:` once, and Markdown has underlined titles too.
pub(crate) fn looks_like(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().take(2000).map(str::trim_end).collect();
    let mut tells = 0u32;
    let (mut delimiters, mut terms, mut markdown, mut linkgit_lines) = (0usize, 0usize, 0usize, 0usize);
    // The delimiter of the listing block being read: a shell comment in it
    // (`# hack hack hack`) is not a Markdown heading.
    let mut listing: Option<&str> = None;
    for (index, line) in lines.iter().enumerate() {
        let previous = index.checked_sub(1).and_then(|i| lines.get(i)).copied().unwrap_or("");
        let next = lines.get(index + 1).copied().unwrap_or("");
        if let Some(open) = listing {
            if *line == open {
                listing = None;
            }
            continue;
        }
        if matches!(delimiter(line), Some(Delimited::Listing | Delimited::Literal)) && !is_underline_of(previous, line)
        {
            listing = Some(line);
            delimiters += 1;
            continue;
        }
        if line.contains("linkgit:") && line.contains('[') {
            tells |= 1;
            linkgit_lines += 1;
        }
        if preprocessor_line(line) {
            tells |= 1 << 1;
        }
        if attribute_entry(line).is_some() {
            tells |= 1 << 2;
        }
        if let Some(inner) = block_attribute_line(line) {
            let style = inner.split([',', '#', '.', '%']).next().unwrap_or("").trim().to_ascii_lowercase();
            let known = ["verse", "source", "quote", "literal", "listing", "note", "tip", "important", "warning"];
            if inner.starts_with('[') || known.contains(&style.as_str()) || inner.starts_with("cols=") {
                tells |= 1 << 3;
            }
        }
        if one_line_title(line).is_some_and(|(level, _)| level >= 2) {
            tells |= 1 << 4;
        }
        if is_man_page_name(previous) && !line.is_empty() && line.bytes().all(|b| b == b'=') {
            tells |= 1 << 5;
        }
        if !line.starts_with("..")
            && labelled_term(line).is_some()
            && (previous.is_empty() || labelled_term(previous).is_some())
            && !next.trim().is_empty()
        {
            terms += 1;
        }
        if matches!(
            delimiter(line),
            Some(
                Delimited::Listing
                    | Delimited::Literal
                    | Delimited::Sidebar
                    | Delimited::Passthrough
                    | Delimited::Quote
                    | Delimited::Table(_)
                    | Delimited::Comment
            )
        ) && !is_underline_of(previous, line)
        {
            delimiters += 1;
        }
        if line.starts_with("# ") || line.starts_with("## ") || line.starts_with("```") || line.contains("](") {
            markdown += 1;
        }
    }
    if terms >= 2 {
        tells |= 1 << 6;
    }
    if delimiters >= 2 {
        tells |= 1 << 7;
    }
    let kinds = tells.count_ones() as usize;
    // `linkgit:` is Git's own macro: on several lines it is a tell alone.
    (kinds >= 2 || linkgit_lines >= 3) && markdown < kinds.max(2)
}

/// Splits `text` into blocks: section titles become headings (levels 1 to
/// 5, `=` to `+` underlines or `=` to `=====` prefixes), listing and literal
/// blocks and indented paragraphs become code, `[verse]` synopses become code
/// and other verses quotes, list and labelled-list entries become list items
/// (`--all, -a: definition`), tables become rows, and comments,
/// passthroughs and attribute lines are dropped.
pub(crate) fn parse(text: &str) -> DocumentBuilder {
    let source = preprocess(text);
    let mut parser = Parser::new(&source.lines, &source.attributes);
    parser.run();
    parser.builder
}

// ---- Preprocessor ----

/// The document's lines after the preprocessor, and the attributes it defines.
struct Source<'t> {
    lines: Vec<Cow<'t, str>>,
    attributes: HashMap<String, String>,
}

/// Runs AsciiDoc's preprocessor: conditionals are evaluated against the
/// attributes defined above them, `include::` lines are dropped (the file they
/// name is not part of this input), and attribute entries are recorded.
fn preprocess(text: &str) -> Source<'_> {
    let mut attributes = HashMap::new();
    let mut lines = Vec::new();
    // One entry per open conditional: whether its lines are kept.
    let mut conditions: Vec<bool> = Vec::new();
    let mut dropping = 0usize;
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(directive) = conditional(line) {
            match directive {
                Conditional::Open { negated, names } => {
                    let keep = dropping == 0 && (condition_holds(names, &attributes) != negated);
                    if !keep {
                        dropping += 1;
                    }
                    conditions.push(keep);
                }
                Conditional::Inline { negated, names, content } => {
                    if dropping == 0 && condition_holds(names, &attributes) != negated {
                        lines.push(Cow::Borrowed(content));
                    }
                }
                Conditional::Close => {
                    if conditions.pop() == Some(false) {
                        dropping = dropping.saturating_sub(1);
                    }
                }
            }
            continue;
        }
        if dropping > 0 {
            continue;
        }
        if line.starts_with("include::") && line.trim_end().ends_with(']') {
            continue;
        }
        // An escaped directive is text: `\include::x[]` reads `include::x[]`.
        if let Some(rest) = line.strip_prefix('\\')
            && (preprocessor_line(rest) || rest.starts_with("include::"))
        {
            lines.push(Cow::Borrowed(rest));
            continue;
        }
        if let Some((name, value)) = attribute_entry(line) {
            match value {
                Some(value) => attributes.insert(name.to_ascii_lowercase(), value.to_string()),
                None => attributes.remove(&name.to_ascii_lowercase()),
            };
        }
        lines.push(Cow::Borrowed(line));
    }
    Source { lines, attributes }
}

/// A preprocessor conditional line.
enum Conditional<'l> {
    /// `ifdef::a,b[]` or `ifndef::a+b[]`: lines up to the matching `endif::`.
    Open { negated: bool, names: &'l str },
    /// `ifdef::a[text]`: one line of text.
    Inline { negated: bool, names: &'l str, content: &'l str },
    /// `endif::a[]`.
    Close,
}

fn conditional(line: &str) -> Option<Conditional<'_>> {
    let line = line.trim_end();
    let (negated, rest) = if let Some(rest) = line.strip_prefix("ifdef::") {
        (false, rest)
    } else if let Some(rest) = line.strip_prefix("ifndef::") {
        (true, rest)
    } else if let Some(rest) = line.strip_prefix("ifeval::") {
        // An expression cannot be evaluated without the build's attributes;
        // its lines are kept.
        return rest.starts_with('[').then_some(Conditional::Open { negated: false, names: "" });
    } else if let Some(rest) = line.strip_prefix("endif::") {
        return rest.ends_with(']').then_some(Conditional::Close);
    } else {
        return None;
    };
    let (names, bracket) = rest.split_once('[')?;
    let content = bracket.strip_suffix(']')?;
    if content.is_empty() {
        Some(Conditional::Open { negated, names })
    } else {
        Some(Conditional::Inline { negated, names, content })
    }
}

fn preprocessor_line(line: &str) -> bool {
    conditional(line).is_some()
}

/// `a,b` holds when any is defined, `a+b` when all are; an empty list (from
/// `ifeval`) holds.
fn condition_holds(names: &str, attributes: &HashMap<String, String>) -> bool {
    let defined = |name: &str| attributes.contains_key(&name.trim().to_ascii_lowercase());
    if names.trim().is_empty() {
        true
    } else if names.contains('+') {
        names.split('+').all(defined)
    } else {
        names.split(',').any(defined)
    }
}

/// `:name: value` (set), `:name!:` or `:!name:` (unset).
fn attribute_entry(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix(':')?;
    let (name, value) = rest.split_once(':')?;
    let (name, unset) = match (name.strip_prefix('!'), name.strip_suffix('!')) {
        (Some(name), _) | (_, Some(name)) => (name, true),
        _ => (name, false),
    };
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid || !(value.is_empty() || value.starts_with([' ', '\t'])) {
        return None;
    }
    Some((name, (!unset).then(|| value.trim().trim_end_matches('\\').trim_end())))
}

// ---- Line classification ----

/// What a delimiter line opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimited {
    /// `////`: dropped.
    Comment,
    /// `----`: code.
    Listing,
    /// `....`: code.
    Literal,
    /// `++++`: raw output for one backend, dropped.
    Passthrough,
    /// `|===` (or `,===`, `:===`, `!===`): a table with that cell separator.
    Table(u8),
    /// A Markdown-style fence, which Asciidoctor also reads: code.
    Fenced,
    /// `____`: a quote (or, after `[verse]`, a verse).
    Quote,
    /// `====`: an example; its contents are ordinary blocks.
    Example,
    /// `****`: a sidebar; its contents are ordinary blocks.
    Sidebar,
    /// `--`: an open block; its contents are ordinary blocks.
    Open,
}

fn delimiter(line: &str) -> Option<Delimited> {
    let line = line.trim_end();
    if line == "--" {
        return Some(Delimited::Open);
    }
    if line.starts_with("```") {
        return Some(Delimited::Fenced);
    }
    let mut bytes = line.bytes();
    let first = bytes.next()?;
    if line.len() >= 4
        && matches!(first, b'|' | b',' | b':' | b'!')
        && line.get(1..).is_some_and(|rest| rest.bytes().all(|b| b == b'='))
    {
        return Some(Delimited::Table(first));
    }
    if line.len() < 4 || !bytes.all(|b| b == first) {
        return None;
    }
    match first {
        b'/' => Some(Delimited::Comment),
        b'-' => Some(Delimited::Listing),
        b'.' => Some(Delimited::Literal),
        b'+' => Some(Delimited::Passthrough),
        b'_' => Some(Delimited::Quote),
        b'=' => Some(Delimited::Example),
        b'*' => Some(Delimited::Sidebar),
        _ => None,
    }
}

/// The inside of a block attribute line (`[verse]`, `[source,c]`,
/// `[[anchor]]`, `[caption="Rule: "]`), by Asciidoctor's rule: the first
/// character inside the brackets is a word character or one of `.#%{,"'[`,
/// so a synopsis line such as `[--quiet]` is not one.
fn block_attribute_line(line: &str) -> Option<&str> {
    let line = line.trim_end();
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    match inner.chars().next() {
        None => Some(inner),
        Some(c) if c.is_alphanumeric() || "_.#%{,\"'[".contains(c) => Some(inner),
        Some(_) => None,
    }
}

/// `= Title` to `====== Title` (and the symmetric `== Title ==`).
fn one_line_title(line: &str) -> Option<(u8, &str)> {
    let marks = line.bytes().take_while(|b| *b == b'=').count();
    if !(1..=6).contains(&marks) {
        return None;
    }
    let rest = line.get(marks..)?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let title = rest.trim().trim_end_matches('=').trim_end();
    if title.is_empty() {
        return None;
    }
    Some((u8::try_from(marks).unwrap_or(6), title))
}

/// The level of a two-line title's underline: `=` 1, `-` 2, `~` 3, `^` 4,
/// `+` 5.
fn underline_level(line: &str) -> Option<u8> {
    let line = line.trim_end();
    let first = line.bytes().next()?;
    if line.len() < 2 || !line.bytes().all(|b| b == first) {
        return None;
    }
    match first {
        b'=' => Some(1),
        b'-' => Some(2),
        b'~' => Some(3),
        b'^' => Some(4),
        b'+' => Some(5),
        _ => None,
    }
}

/// Whether `underline` underlines `title`: the same length, give or take two
/// characters, and `title` is text that could be a title.
fn is_underline_of(title: &str, underline: &str) -> bool {
    let title = title.trim_end();
    let (title_length, underline_length) = (title.chars().count(), underline.trim_end().chars().count());
    underline_level(underline).is_some()
        && title_length.abs_diff(underline_length) <= 2
        && title.chars().any(char::is_alphanumeric)
        && !title.starts_with([' ', '\t', '.', '[', '+', '/', '|', '<'])
        && list_marker(title).is_none()
        && labelled_term(title).is_none()
        && delimiter(title).is_none()
        && attribute_entry(title).is_none()
}

/// `git-commit(1)`: the title of a Git man page.
fn is_man_page_name(line: &str) -> bool {
    line.strip_suffix(')').and_then(|rest| rest.rsplit_once('(')).is_some_and(|(name, section)| {
        !name.is_empty() && !name.contains(' ') && section.len() == 1 && section.bytes().all(|b| b.is_ascii_digit())
    })
}

/// A labelled-list term: `term::`, `term:::`, `term::::` or `term;;`,
/// optionally followed by the definition on the same line. Returns the term,
/// the nesting level (1 to 3) and the rest of the line.
fn labelled_term(line: &str) -> Option<(&str, u8, &str)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return None;
    }
    let bytes = trimmed.as_bytes();
    let mut at = 1;
    while at < bytes.len() {
        let byte = bytes.get(at).copied().unwrap_or(0);
        let run = match byte {
            b':' => bytes.get(at..).map_or(0, |rest| rest.iter().take_while(|b| **b == b':').count()),
            b';' if bytes.get(at + 1) == Some(&b';') => 2,
            _ => {
                at += 1;
                continue;
            }
        };
        let after = at + run;
        let followed_by_space = bytes.get(after).is_none_or(|b| *b == b' ' || *b == b'\t');
        let level = match (byte, run) {
            (b':', 2) => Some(1),
            (b':', 3) => Some(2),
            (b':', 4) => Some(3),
            (b';', 2) => Some(2),
            _ => None,
        };
        if let Some(level) = level
            && followed_by_space
        {
            let term = trimmed.get(..at)?.trim_end();
            let rest = trimmed.get(after..).unwrap_or("").trim();
            return (!term.is_empty()).then_some((term, level, rest));
        }
        at = after.max(at + 1);
    }
    None
}

/// A list item's marker.
struct Marker<'l> {
    /// Nesting level from the marker (`*` 1, `**` 2, `.` 1, `..` 2).
    level: u8,
    /// `Some` for numbered items: the explicit number, or `None` inside for
    /// `.` items, numbered by position.
    numbered: Option<Option<u32>>,
    text: &'l str,
}

fn list_marker(line: &str) -> Option<Marker<'_>> {
    let trimmed = line.trim_start();
    let first = trimmed.chars().next()?;
    let (level, numbered, rest) = match first {
        '*' | '.' => {
            let run = trimmed.bytes().take_while(|b| *b == first as u8).count();
            if run > 5 {
                return None;
            }
            let numbered = (first == '.').then_some(None);
            (u8::try_from(run).unwrap_or(5), numbered, trimmed.get(run..)?)
        }
        '-' | '•' => (1, None, trimmed.get(first.len_utf8()..)?),
        '0'..='9' => {
            let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
            let rest = trimmed.get(digits..)?.strip_prefix('.')?;
            (1, Some(trimmed.get(..digits)?.parse().ok()), rest)
        }
        '<' => {
            // A callout list: `<1> text`.
            let inner = trimmed.get(1..)?;
            let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
            let rest = inner.get(digits..)?.strip_prefix('>')?;
            (1, Some(inner.get(..digits)?.parse().ok()), rest)
        }
        _ => return None,
    };
    if !rest.starts_with([' ', '\t']) || rest.trim().is_empty() {
        return None;
    }
    Some(Marker { level, numbered, text: rest.trim() })
}

fn is_list_start(line: &str) -> bool {
    list_marker(line).is_some() || labelled_term(line).is_some()
}

fn is_line_comment(line: &str) -> bool {
    line.starts_with("//") && !line.starts_with("///")
}

/// A block macro on a line of its own (`image::x.png[]`, `toc::[]`): no text.
fn is_block_macro(line: &str) -> bool {
    let line = line.trim_end();
    line.split_once("::").is_some_and(|(name, rest)| {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !rest.starts_with([' ', '\t'])
            && !rest.is_empty()
            && line.ends_with(']')
            && rest.contains('[')
    })
}

/// An admonition label opening a paragraph (`NOTE: text`): a label, not text.
fn strip_admonition_label(text: &str) -> &str {
    for label in ["NOTE:", "TIP:", "IMPORTANT:", "WARNING:", "CAUTION:"] {
        if let Some(rest) = text.strip_prefix(label)
            && rest.starts_with([' ', '\t'])
        {
            return rest.trim_start();
        }
    }
    text
}

/// Block attributes waiting for the block they apply to.
#[derive(Default)]
struct Pending {
    /// The first positional attribute, lower case: `verse`, `source`, `note`.
    style: Option<String>,
    /// The language of a `[source,lang]` block.
    language: Option<String>,
    /// Column count from `cols="..."`.
    columns: Option<usize>,
}

impl Pending {
    fn read(&mut self, inner: &str) {
        if inner.starts_with('[') {
            // An anchor, `[[id]]`: nothing for the reader.
            return;
        }
        let mut positional = 0;
        for part in split_attributes(inner) {
            let part = part.trim();
            if let Some((name, value)) = part.split_once('=') {
                if name.trim() == "cols" {
                    self.columns = column_count(value.trim().trim_matches(['"', '\'']));
                }
                continue;
            }
            let value = part.trim_matches(['"', '\'']);
            match positional {
                0 => {
                    let style = value.split(['#', '.', '%']).next().unwrap_or("").to_ascii_lowercase();
                    if !style.is_empty() {
                        self.style = Some(style);
                    }
                }
                1 if matches!(self.style.as_deref(), Some("source") | None) && !value.is_empty() => {
                    self.language = Some(value.to_string());
                }
                _ => {}
            }
            positional += 1;
        }
    }
}

/// Splits attribute list text at commas outside double quotes.
fn split_attributes(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (at, c) in inner.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(inner.get(start..at).unwrap_or(""));
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(inner.get(start..).unwrap_or(""));
    parts
}

/// Columns in a `cols` spec: `"1,2,3"` is 3, `"3*"` is 3, `"2*,1"` is 3.
fn column_count(spec: &str) -> Option<usize> {
    let count: usize = spec
        .split([',', ';'])
        .filter(|part| !part.trim().is_empty())
        .map(|part| match part.split_once('*') {
            Some((repeat, _)) => repeat.trim().parse::<usize>().unwrap_or(1).min(1000),
            None => 1,
        })
        .sum();
    (count > 0).then_some(count)
}

// ---- Blocks ----

/// An open example, sidebar, open or quote block: its contents are ordinary
/// blocks, so they are read in the main loop, not recursively.
struct Frame {
    delimiter: String,
    quote: bool,
    /// The level of the list item this block is attached to (by a `+`
    /// line), so that lists inside it nest below that item.
    list_level: u8,
}

/// Compound blocks nested deeper than this are read as if not nested.
const MAX_FRAMES: usize = 256;

struct Parser<'s> {
    lines: &'s [Cow<'s, str>],
    at: usize,
    attributes: &'s HashMap<String, String>,
    builder: DocumentBuilder,
    frames: Vec<Frame>,
    pending: Pending,
    /// The last section title's level, for block titles below it.
    section_level: u8,
    /// Whether the last section title was SYNOPSIS.
    in_synopsis: bool,
    /// A `+` line was read: the next block belongs to the list item above.
    attached: bool,
    /// Next ordinal of `.` lists, per level.
    ordinals: [u32; 6],
    tables: u8,
    /// The level of the last list item, while the blocks attached to it
    /// (by `+` lines) follow.
    last_item_level: u8,
}

impl<'s> Parser<'s> {
    fn new(lines: &'s [Cow<'s, str>], attributes: &'s HashMap<String, String>) -> Self {
        Parser {
            lines,
            at: 0,
            attributes,
            builder: DocumentBuilder::default(),
            frames: Vec::new(),
            pending: Pending::default(),
            section_level: 0,
            in_synopsis: false,
            attached: false,
            ordinals: [0; 6],
            tables: 0,
            last_item_level: 0,
        }
    }

    fn line(&self, index: usize) -> Option<&'s str> {
        self.lines.get(index).map(|line| line.as_ref())
    }

    fn inline(&self) -> Inline<'s> {
        Inline { attributes: self.attributes }
    }

    fn push(&mut self, kind: BlockKind, level: u8, ordinal: Option<u32>, language: Option<String>, text: &str) {
        if kind == BlockKind::Heading || (kind == BlockKind::Paragraph && !self.attached) {
            self.ordinals = [0; 6];
        }
        if kind == BlockKind::ListItem {
            self.last_item_level = level;
        } else if !self.attached {
            self.last_item_level = 0;
        }
        self.attached = false;
        self.builder.push(kind, level, ordinal, language, text);
    }

    fn run(&mut self) {
        while let Some(line) = self.line(self.at) {
            let before = self.at;
            self.block(line);
            // Every branch consumes a line; this guards the loop regardless.
            if self.at == before {
                self.at += 1;
            }
        }
    }

    /// Reads the block starting at the current line.
    fn block(&mut self, line: &str) {
        if line.trim().is_empty() {
            self.at += 1;
            return;
        }
        if is_line_comment(line) {
            self.at += 1;
            return;
        }
        if attribute_entry(line).is_some() {
            self.skip_attribute_entry();
            return;
        }
        if let Some(inner) = block_attribute_line(line) {
            self.pending.read(inner);
            self.at += 1;
            return;
        }
        if is_block_macro(line) {
            self.at += 1;
            return;
        }
        if let Some(kind) = delimiter(line) {
            self.delimited(kind, line.trim_end());
            return;
        }
        // Inside a block, the block's closing delimiter is not an underline.
        if let Some(next) = self.line(self.at + 1)
            && is_underline_of(line, next)
            && !self.frames.iter().any(|frame| frame.delimiter == next.trim_end())
            && let Some(level) = underline_level(next)
        {
            self.at += 2;
            self.heading(level, line);
            return;
        }
        if let Some((level, title)) = one_line_title(line) {
            self.at += 1;
            self.heading(level, title);
            return;
        }
        let trimmed = line.trim();
        if trimmed == "+" {
            self.attached = true;
            self.at += 1;
            return;
        }
        if matches!(trimmed, "'''" | "<<<" | "---" | "***" | "- - -" | "* * *") {
            self.at += 1;
            return;
        }
        if let Some(title) = block_title(line) {
            self.at += 1;
            let level = self.section_level.saturating_add(1).clamp(1, 6);
            let text = self.inline().render(title);
            self.push(BlockKind::Heading, level, None, None, &collapse_whitespace(&text));
            return;
        }
        let style = self.pending.style.clone();
        match style.as_deref() {
            Some("verse") => return self.verse_paragraph(),
            Some("literal" | "listing" | "source") => return self.code_paragraph(),
            Some("comment" | "pass") => {
                self.pending = Pending::default();
                self.paragraph_lines(false);
                return;
            }
            _ => {}
        }
        if labelled_term(line).is_some() {
            self.labelled_item();
            return;
        }
        if let Some(marker) = list_marker(line) {
            let (level, numbered, text) = (marker.level, marker.numbered, marker.text.to_string());
            self.list_item(level, numbered, &text);
            return;
        }
        if line.starts_with([' ', '\t']) {
            self.literal_paragraph();
            return;
        }
        self.paragraph(style.as_deref() == Some("quote"));
    }

    fn heading(&mut self, level: u8, title: &str) {
        self.pending = Pending::default();
        let text = collapse_whitespace(&self.inline().render(title));
        self.section_level = level;
        self.in_synopsis = text.eq_ignore_ascii_case("synopsis");
        self.push(BlockKind::Heading, level, None, None, &text);
    }

    /// Skips an attribute entry, with the lines a trailing ` \` continues it on.
    fn skip_attribute_entry(&mut self) {
        while let Some(line) = self.line(self.at) {
            self.at += 1;
            if !line.trim_end().ends_with(" \\") {
                break;
            }
        }
    }

    /// The content lines of a verbatim block opened by the current line, up
    /// to the line equal to `closing` (or the end, for an unclosed block).
    /// Leaves the cursor after the closing line.
    fn verbatim(&mut self, closing: &str) -> Vec<String> {
        let mut content = Vec::new();
        self.at += 1;
        while let Some(line) = self.line(self.at) {
            self.at += 1;
            if line.trim_end() == closing {
                return content;
            }
            content.push(line.to_string());
        }
        content
    }

    fn delimited(&mut self, kind: Delimited, line: &str) {
        let pending = std::mem::take(&mut self.pending);
        match kind {
            Delimited::Comment | Delimited::Passthrough => {
                self.verbatim(line);
            }
            Delimited::Listing | Delimited::Literal => {
                let content = self.verbatim(line);
                let language = pending.language.filter(|_| kind == Delimited::Listing);
                self.push_code(&content, language);
            }
            Delimited::Fenced => {
                let language = line.trim_start_matches('`').trim();
                let language = (!language.is_empty()).then(|| language.to_string()).or(pending.language);
                let content = self.verbatim("```");
                self.push_code(&content, language);
            }
            Delimited::Table(separator) => {
                let content = self.verbatim(line);
                self.table(&content, separator, pending.columns);
            }
            Delimited::Quote if pending.style.as_deref() == Some("verse") => {
                let content = self.verbatim(line);
                self.verse(&content);
            }
            Delimited::Quote | Delimited::Example | Delimited::Sidebar | Delimited::Open => {
                self.at += 1;
                if let Some(open) = self.frames.iter().rposition(|frame| frame.delimiter == line) {
                    self.frames.truncate(open);
                } else if pending.style.as_deref() == Some("comment") {
                    self.verbatim_from_here(line);
                } else if self.frames.len() < MAX_FRAMES {
                    let quote = kind == Delimited::Quote || pending.style.as_deref() == Some("quote");
                    let list_level = if self.attached { self.last_item_level } else { 0 };
                    self.attached = false;
                    self.frames.push(Frame { delimiter: line.to_string(), quote, list_level });
                }
            }
        }
    }

    /// Skips to the line after the one equal to `closing`, the cursor being
    /// already past the opening line.
    fn verbatim_from_here(&mut self, closing: &str) {
        while let Some(line) = self.line(self.at) {
            self.at += 1;
            if line.trim_end() == closing {
                break;
            }
        }
    }

    fn push_code(&mut self, content: &[String], language: Option<String>) {
        let start = content.iter().position(|line| !line.trim().is_empty()).unwrap_or(content.len());
        let code = content.get(start..).unwrap_or_default().join("\n");
        self.push(BlockKind::Code, 0, None, language, code.trim_end());
    }

    fn in_quote(&self) -> bool {
        self.frames.iter().any(|frame| frame.quote)
    }

    /// A list item's level: its marker's, below the item the enclosing
    /// attached block belongs to.
    fn item_level(&self, marker_level: u8) -> u8 {
        let base = self.frames.iter().rev().map(|frame| frame.list_level).find(|level| *level > 0).unwrap_or(0);
        base.saturating_add(marker_level).min(6)
    }

    /// Lines of a paragraph from the current line: up to a blank line, a `+`
    /// continuation, a delimiter or a block attribute line, and, where the
    /// paragraph is a list item's text, the next list item. Comment lines are
    /// skipped. Leaves the cursor after the last line.
    fn paragraph_lines(&mut self, in_list: bool) -> Vec<String> {
        let mut lines = Vec::new();
        let start = self.at;
        while let Some(line) = self.line(self.at) {
            if line.trim().is_empty()
                || (self.at > start
                    && (line.trim() == "+"
                        || delimiter(line).is_some()
                        || block_attribute_line(line).is_some()
                        || (in_list && is_list_start(line))))
            {
                break;
            }
            self.at += 1;
            if !is_line_comment(line) {
                lines.push(line.to_string());
            }
        }
        lines
    }

    fn paragraph(&mut self, quote_style: bool) {
        self.pending = Pending::default();
        let attached = self.attached;
        let lines = self.paragraph_lines(attached);
        let text = self.prose(&lines);
        let text = strip_admonition_label(&text);
        let kind = if quote_style || self.in_quote() { BlockKind::Quote } else { BlockKind::Paragraph };
        self.push(kind, 0, None, None, text);
    }

    /// Joins paragraph lines into text: hard line breaks (` +`) become spaces,
    /// inline markup is reduced to text and whitespace collapses.
    fn prose(&self, lines: &[String]) -> String {
        let joined: Vec<&str> = lines
            .iter()
            .map(|line| {
                let line = line.trim();
                line.strip_suffix(" +").unwrap_or(line)
            })
            .collect();
        collapse_whitespace(&self.inline().render(&joined.join(" ")))
    }

    /// An indented paragraph: literal text, kept as code without the common
    /// indentation.
    fn literal_paragraph(&mut self) {
        let language = std::mem::take(&mut self.pending).language;
        let mut lines = Vec::new();
        while let Some(line) = self.line(self.at) {
            if line.trim().is_empty() {
                break;
            }
            self.at += 1;
            lines.push(line.to_string());
        }
        let indent = common_indent(&lines);
        let code: Vec<&str> = lines.iter().map(|line| line.get(indent..).unwrap_or(line.trim_start())).collect();
        self.push(BlockKind::Code, 0, None, language, &code.join("\n"));
    }

    /// A paragraph under `[literal]`, `[listing]` or `[source]`: code, read
    /// as an indented paragraph is.
    fn code_paragraph(&mut self) {
        self.literal_paragraph();
    }

    fn verse_paragraph(&mut self) {
        self.pending = Pending::default();
        let mut lines = Vec::new();
        let start = self.at;
        while let Some(line) = self.line(self.at) {
            if line.trim().is_empty() || (self.at > start && (line.trim() == "+" || delimiter(line).is_some())) {
                break;
            }
            self.at += 1;
            if !is_line_comment(line) {
                lines.push(line.to_string());
            }
        }
        self.verse(&lines);
    }

    /// A verse: in Git's documentation, `[verse]` holds a command synopsis,
    /// which is code (its line breaks and alignment matter); any other verse
    /// is a quote.
    fn verse(&mut self, lines: &[String]) {
        let first = lines.iter().find(|line| !line.trim().is_empty()).map_or("", |line| line.trim());
        let unquoted = first.trim_start_matches(['\'', '*', '_', '`']);
        let synopsis =
            self.in_synopsis || unquoted.starts_with("git ") || unquoted.starts_with("git-") || first.contains(" [-");
        if synopsis {
            let inline = self.inline();
            let rendered: Vec<String> = lines
                .iter()
                .filter(|line| !is_line_comment(line))
                .map(|line| {
                    let indent = line.len() - line.trim_start().len();
                    let body = line.get(indent..).unwrap_or("").trim_end();
                    let body = body.strip_suffix(" +").unwrap_or(body);
                    format!("{}{}", line.get(..indent).unwrap_or(""), inline.render(body))
                })
                .collect();
            let start = rendered.iter().position(|line| !line.trim().is_empty()).unwrap_or(rendered.len());
            let code = rendered.get(start..).unwrap_or_default().join("\n");
            self.push(BlockKind::Code, 0, None, None, code.trim_end());
        } else {
            let text = self.prose(lines);
            self.push(BlockKind::Quote, 0, None, None, &text);
        }
    }

    /// A list item: the marker's text and the lines that continue it.
    fn list_item(&mut self, level: u8, numbered: Option<Option<u32>>, first: &str) {
        self.pending = Pending::default();
        self.at += 1;
        let mut lines = vec![first.to_string()];
        lines.extend(self.paragraph_lines_after_first());
        let text = self.prose(&lines);
        let depth = usize::from(level.clamp(1, 6)) - 1;
        let ordinal = numbered.map(|explicit| {
            let ordinal = explicit.unwrap_or_else(|| self.ordinals.get(depth).map_or(1, |n| n.saturating_add(1)));
            if let Some(slot) = self.ordinals.get_mut(depth) {
                *slot = ordinal;
            }
            for deeper in self.ordinals.iter_mut().skip(depth + 1) {
                *deeper = 0;
            }
            ordinal
        });
        let level = self.item_level(level);
        self.push(BlockKind::ListItem, level, ordinal, None, &text);
    }

    /// Continuation lines of a list item's text, the first line being read.
    fn paragraph_lines_after_first(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.line(self.at) {
            if line.trim().is_empty()
                || line.trim() == "+"
                || delimiter(line).is_some()
                || block_attribute_line(line).is_some()
                || is_list_start(line)
            {
                break;
            }
            self.at += 1;
            if !is_line_comment(line) {
                lines.push(line.to_string());
            }
        }
        lines
    }

    /// A labelled-list entry: its terms (`-a::` then `--all::`), joined by
    /// ", ", and its definition's first paragraph, on the same line as the
    /// last term, on the lines after it, or after blank lines.
    fn labelled_item(&mut self) {
        self.pending = Pending::default();
        let mut terms: Vec<String> = Vec::new();
        let mut level = 1;
        let mut definition: Vec<String> = Vec::new();
        while let Some(line) = self.line(self.at) {
            let Some((term, term_level, rest)) = labelled_term(line) else { break };
            let (term, rest) = (term.to_string(), rest.to_string());
            if !terms.is_empty() && term_level != level {
                break;
            }
            level = term_level;
            terms.push(term);
            self.at += 1;
            if !rest.is_empty() {
                definition.push(rest);
                break;
            }
        }
        if definition.is_empty() {
            let mut next = self.at;
            while self.line(next).is_some_and(|line| line.trim().is_empty()) {
                next += 1;
            }
            if let Some(line) = self.line(next)
                && self.starts_definition(next, line)
            {
                self.at = next;
                definition = self.paragraph_lines(true);
            }
        } else {
            definition.extend(self.paragraph_lines_after_first());
        }
        let inline = self.inline();
        let terms: Vec<String> = terms.iter().map(|term| collapse_whitespace(&inline.render(term))).collect();
        let definition = self.prose(&definition);
        let text = if definition.is_empty() {
            terms.join(", ")
        } else {
            format!("{}: {}", terms.join(", "), strip_admonition_label(&definition))
        };
        let level = self.item_level(level);
        self.push(BlockKind::ListItem, level, None, None, &text);
    }

    /// Whether the line at `index` (after a term) is the definition's text
    /// rather than a block of its own.
    fn starts_definition(&self, index: usize, line: &str) -> bool {
        let trimmed = line.trim();
        !(trimmed == "+"
            || is_line_comment(line)
            || delimiter(line).is_some()
            || block_attribute_line(line).is_some()
            || attribute_entry(line).is_some()
            || is_list_start(line)
            || one_line_title(line).is_some()
            || block_title(line).is_some()
            || self.line(index + 1).is_some_and(|next| is_underline_of(line, next)))
    }

    /// Table rows from `|===` content: cells start at each unescaped `|`;
    /// a line without one continues the previous cell. Rows hold as many
    /// cells as the `cols` attribute says, else as the first line holds.
    fn table(&mut self, content: &[String], separator: u8, columns: Option<usize>) {
        let separator = char::from(separator);
        let mut cells: Vec<String> = Vec::new();
        let mut first_line_cells = None;
        for line in content {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if separator == ',' || separator == ':' {
                // Delimiter-separated values: one row per line.
                let row: Vec<&str> = line.split(separator).collect();
                first_line_cells.get_or_insert(row.len());
                cells.extend(row.iter().map(|cell| cell.trim().to_string()));
                continue;
            }
            let pieces = split_cells(line, separator);
            let mut pieces = pieces.into_iter();
            let lead = pieces.next().unwrap_or_default();
            let mut count = 0;
            if !lead.trim().is_empty() && !is_cell_spec(lead.trim()) {
                match cells.last_mut() {
                    Some(cell) => {
                        cell.push(' ');
                        cell.push_str(lead.trim());
                    }
                    None => cells.push(lead.trim().to_string()),
                }
            }
            for piece in pieces {
                cells.push(strip_trailing_spec(&piece).trim().to_string());
                count += 1;
            }
            if count > 0 {
                first_line_cells.get_or_insert(count);
            }
        }
        let width = columns.or(first_line_cells).unwrap_or(1).max(1);
        self.tables = self.tables.saturating_add(1);
        let inline = self.inline();
        let rows: Vec<String> = cells
            .chunks(width)
            .map(|row| {
                row.iter().map(|cell| collapse_whitespace(&inline.render(cell)).replace('|', "\\|")).collect::<Vec<_>>()
            })
            .filter(|row| row.iter().any(|cell| !cell.is_empty()))
            .map(|row| row.join(" | "))
            .collect();
        let level = self.tables;
        for row in rows {
            self.push(BlockKind::TableRow, level, None, None, &row);
        }
    }
}

/// `.Title` at the start of a block: the title of the block below.
fn block_title(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('.')?;
    let first = rest.chars().next()?;
    (!first.is_whitespace() && first != '.' && !rest.trim().is_empty()).then_some(rest.trim())
}

/// Bytes of leading whitespace all non-blank lines share.
fn common_indent(lines: &[String]) -> usize {
    let mut shared: Option<&str> = None;
    for line in lines.iter().filter(|line| !line.trim().is_empty()) {
        let indent = line.get(..line.len() - line.trim_start().len()).unwrap_or("");
        shared = Some(match shared {
            None => indent,
            Some(previous) => {
                let common = previous.bytes().zip(indent.bytes()).take_while(|(a, b)| a == b).count();
                previous.get(..common).unwrap_or("")
            }
        });
    }
    shared.map_or(0, str::len)
}

/// Splits a table line at unescaped separators.
fn split_cells(line: &str, separator: char) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut escaped = false;
    for c in line.chars() {
        if c == separator && !escaped {
            pieces.push(String::new());
        } else if let Some(piece) = pieces.last_mut() {
            if escaped && c != separator {
                piece.push('\\');
            }
            if c != '\\' || escaped {
                piece.push(c);
            }
        }
        escaped = c == '\\' && !escaped;
    }
    pieces
}

/// A cell specifier before a `|`: `2+`, `3*`, `^.^`, `a`, `.2+^.^h`.
fn is_cell_spec(text: &str) -> bool {
    !text.is_empty() && text.len() <= 10 && text.chars().all(|c| "0123456789.+*<^>aehlmdsv".contains(c))
}

/// A cell's text without the next cell's specifier at its end (`a 2+` in
/// `|a 2+|b`), when the specifier has a digit or an alignment sign.
fn strip_trailing_spec(cell: &str) -> &str {
    match cell.trim_end().rsplit_once(' ') {
        Some((text, spec)) if is_cell_spec(spec) && spec.contains(|c: char| "0123456789+*<^>".contains(c)) => text,
        _ => cell,
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---- Inline markup ----

/// Marks a span already reduced to its final text (code, a URL, a macro's
/// output), which later passes must leave alone: the span is replaced by
/// `PROTECT_OPEN`, its index and `PROTECT_CLOSE` until the end.
const PROTECT_OPEN: char = '\u{E000}';
const PROTECT_CLOSE: char = '\u{E001}';

/// Attribute references Git's documentation uses without defining them, and
/// AsciiDoc's built-in character replacements.
const BUILT_IN_ATTRIBUTES: &[(&str, &str)] = &[
    ("litdd", "--"),
    ("plus", "+"),
    ("caret", "^"),
    ("startsb", "["),
    ("endsb", "]"),
    ("tilde", "~"),
    ("empty", ""),
    ("sp", " "),
    ("nbsp", " "),
    ("zwsp", ""),
    ("wj", ""),
    ("asterisk", "*"),
    ("backtick", "`"),
    ("apos", "'"),
    ("quot", "\""),
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("vbar", "|"),
    ("brvbar", "|"),
    ("backslash", "\\"),
    ("two-colons", "::"),
    ("two-semicolons", ";;"),
    ("cpp", "C++"),
    ("pp", "++"),
    ("deg", "°"),
    ("git-default-pager", "less"),
    ("git-default-editor", "vi"),
];

/// The longest macro target or URL read; longer ones are left as text.
const MAX_TARGET: usize = 2048;
/// The longest footnote scanned for its balanced closing bracket.
const MAX_FOOTNOTE: usize = 1024;

/// Reduces inline markup to text, with the document's attributes.
struct Inline<'a> {
    attributes: &'a HashMap<String, String>,
}

impl Inline<'_> {
    /// The text a reader sees for `text`: quotes and emphasis marks go,
    /// macros become their text, attribute references their values, and code
    /// keeps its backticks.
    fn render(&self, text: &str) -> String {
        let mut protected: Vec<String> = Vec::new();
        let text: Cow<'_, str> = if text.contains([PROTECT_OPEN, PROTECT_CLOSE]) {
            Cow::Owned(text.replace([PROTECT_OPEN, PROTECT_CLOSE], ""))
        } else {
            Cow::Borrowed(text)
        };
        let text = double_quotes(&text);
        let text = protect_literals(&text, &mut protected);
        // Attribute values go in before macros read their targets
        // (`linkgit:git-web{litdd}browse[1]`), but are not themselves markup.
        let text = self.attribute_references(&text, &mut protected);
        let text = macros(&text, &mut protected);
        let text = unconstrained(&text, "**", &mut protected);
        let text = constrained(&text, b'*');
        let text = constrained(&text, b'_');
        let text = constrained(&text, b'\'');
        let text = unescape(&text);
        restore(&text, &protected)
    }

    /// `{name}`: the document's value, else a built-in one, else the name
    /// without braces. After `@`, `^` or `$` braces are Git or shell syntax
    /// (`@{upstream}`, `^{tree}`, `${VAR}`) and stay.
    fn attribute_references(&self, text: &str, protected: &mut Vec<String>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut previous: Option<char> = None;
        while let Some(open) = rest.find('{') {
            let before = rest.get(..open).unwrap_or("");
            out.push_str(before);
            let last = before.chars().next_back().or(previous);
            let after = rest.get(open + 1..).unwrap_or("");
            let name_length =
                after.bytes().take(64).take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_').count();
            let name = after.get(..name_length).unwrap_or("");
            let closed = after.get(name_length..).is_some_and(|tail| tail.starts_with('}'));
            let starts_well = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
            if !closed || !starts_well || matches!(last, Some('\\' | '@' | '^' | '$' | '%')) {
                out.push('{');
                previous = Some('{');
                rest = after;
                continue;
            }
            let key = name.to_ascii_lowercase();
            // The document's values may hold macros (`footnote:[..]`), read
            // by the passes after this one; a built-in value is a character
            // as text (`{plus}` is a plus sign, not a mark).
            let value = match self.attributes.get(&key) {
                Some(value) => {
                    out.push_str(value);
                    value.as_str()
                }
                None => {
                    let value =
                        BUILT_IN_ATTRIBUTES.iter().find(|(known, _)| *known == key).map_or(name, |(_, value)| *value);
                    if value.contains(|c: char| !c.is_alphanumeric() && c != ' ' && c != '-') {
                        out.push_str(&protect(protected, value.to_string()));
                    } else {
                        out.push_str(value);
                    }
                    value
                }
            };
            previous = value.chars().next_back().or(last);
            rest = after.get(name_length + 1..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }
}

/// Stores `text` as protected and returns its placeholder.
fn protect(protected: &mut Vec<String>, text: String) -> String {
    let index = protected.len();
    protected.push(text);
    format!("{PROTECT_OPEN}{index}{PROTECT_CLOSE}")
}

/// Puts the protected spans back.
fn restore(text: &str, protected: &[String]) -> String {
    if protected.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(PROTECT_OPEN) {
        out.push_str(rest.get(..open).unwrap_or(""));
        let after = rest.get(open + PROTECT_OPEN.len_utf8()..).unwrap_or("");
        match after.split_once(PROTECT_CLOSE) {
            Some((index, tail)) => {
                if let Some(span) = index.parse::<usize>().ok().and_then(|index| protected.get(index)) {
                    out.push_str(span);
                }
                rest = tail;
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|before| before.chars().next_back())
}

fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|after| after.chars().next())
}

/// Finds the next occurrence of a pattern at or after a position, for
/// positions that only grow: a search resumes where the last one ended, so
/// all searches together read the text once.
struct Finder<'p> {
    pattern: &'p str,
    found: Option<usize>,
    exhausted: bool,
}

impl<'p> Finder<'p> {
    fn new(pattern: &'p str) -> Self {
        Finder { pattern, found: None, exhausted: false }
    }

    fn next(&mut self, text: &str, from: usize) -> Option<usize> {
        if self.exhausted {
            return None;
        }
        if let Some(found) = self.found
            && found >= from
        {
            return Some(found);
        }
        match text.get(from..).and_then(|rest| rest.find(self.pattern)) {
            Some(offset) => {
                self.found = Some(from + offset);
                self.found
            }
            None => {
                self.exhausted = true;
                None
            }
        }
    }
}

/// Finds the next whitespace or `[` at or after a position, for positions
/// that only grow (see [`Finder`]): where a macro's target ends.
#[derive(Default)]
struct TargetEnd {
    found: Option<usize>,
}

impl TargetEnd {
    fn next(&mut self, text: &str, from: usize) -> usize {
        if let Some(found) = self.found
            && found >= from
        {
            return found;
        }
        let end = text
            .as_bytes()
            .get(from..)
            .and_then(|rest| rest.iter().position(|b| b.is_ascii_whitespace() || *b == b'['))
            .map_or(text.len(), |offset| from + offset);
        self.found = Some(end);
        end
    }
}

/// ``` ``text'' ``` (AsciiDoc's typographic double quotes) reads `"text"`.
fn double_quotes(text: &str) -> String {
    if !text.contains("``") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("``") {
        let after = rest.get(open + 2..).unwrap_or("");
        match after.find("''") {
            Some(mut close) if close > 0 => {
                // ```` ``a `b''' ````: a single quote closes inside the double one.
                if after.get(close + 2..).is_some_and(|tail| tail.starts_with('\'')) {
                    close += 1;
                }
                out.push_str(rest.get(..open).unwrap_or(""));
                out.push('"');
                out.push_str(&single_quotes(after.get(..close).unwrap_or("")));
                out.push('"');
                rest = after.get(close + 2..).unwrap_or("");
            }
            _ => break,
        }
    }
    out.push_str(rest);
    out
}

/// `` `text' `` (a typographic single quote, inside a double one) reads
/// `'text'`.
fn single_quotes(text: &str) -> String {
    match text.split_once('`') {
        Some((before, after)) if !after.contains('`') && after.ends_with('\'') => {
            format!("{before}'{after}")
        }
        _ => text.to_string(),
    }
}

/// Whether a constrained mark at byte `at` opens a span: not after a word
/// character (or `;`, `:`, `}`, a backslash), and before a non-space.
fn opens_constrained(text: &str, at: usize) -> bool {
    let before_ok = char_before(text, at).is_none_or(|c| !is_word(c) && !matches!(c, ';' | ':' | '}' | '\\'));
    let after_ok = char_at(text, at + 1).is_some_and(|c| !c.is_whitespace());
    before_ok && after_ok
}

/// Whether a constrained mark at byte `at` closes a span: after a
/// non-space, and not before a word character.
fn closes_constrained(text: &str, at: usize) -> bool {
    char_before(text, at).is_some_and(|c| !c.is_whitespace()) && char_at(text, at + 1).is_none_or(|c| !is_word(c))
}

/// The first byte at or after `from` holding `mark` that closes a
/// constrained span, resuming from the last search (see [`Finder`]).
struct Closer {
    mark: u8,
    found: Option<usize>,
    exhausted: bool,
}

impl Closer {
    fn new(mark: u8) -> Self {
        Closer { mark, found: None, exhausted: false }
    }

    fn next(&mut self, text: &str, from: usize) -> Option<usize> {
        if self.exhausted {
            return None;
        }
        if let Some(found) = self.found
            && found >= from
        {
            return Some(found);
        }
        let bytes = text.as_bytes();
        let mut at = from;
        while let Some(offset) = bytes.get(at..).and_then(|rest| rest.iter().position(|b| *b == self.mark)) {
            let candidate = at + offset;
            if closes_constrained(text, candidate) {
                self.found = Some(candidate);
                return self.found;
            }
            at = candidate + 1;
        }
        self.exhausted = true;
        None
    }
}

/// Removes a constrained mark pair (`*strong*`, `_emphasis_`, `'emphasis'`)
/// around text, keeping the text.
fn constrained(text: &str, mark: u8) -> String {
    if !text.as_bytes().contains(&mark) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut closer = Closer::new(mark);
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(offset) = bytes.get(at..).and_then(|rest| rest.iter().position(|b| *b == mark)) {
        let open = at + offset;
        if opens_constrained(text, open) {
            let Some(close) = closer.next(text, open + 2) else { break };
            out.push_str(text.get(copied..open).unwrap_or(""));
            out.push_str(text.get(open + 1..close).unwrap_or(""));
            copied = close + 1;
            at = close + 1;
        } else {
            at = open + 1;
        }
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// Removes an unconstrained mark pair (`**strong**`) around text.
fn unconstrained(text: &str, mark: &str, protected: &mut Vec<String>) -> String {
    if !text.contains(mark) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(mark) {
        // `\**` is the two characters, and `/**/` is a glob, not emphasis.
        if let Some(before @ ('\\' | '/')) = char_before(rest, open) {
            let kept = if before == '\\' { open - 1 } else { open };
            out.push_str(rest.get(..kept).unwrap_or(""));
            out.push_str(&protect(protected, mark.to_string()));
            rest = rest.get(open + mark.len()..).unwrap_or("");
            continue;
        }
        let after = rest.get(open + mark.len()..).unwrap_or("");
        let first = after.chars().next().map_or(1, char::len_utf8);
        match after.get(first..).and_then(|tail| tail.find(mark)).map(|close| close + first) {
            Some(close) if !after.starts_with(char::is_whitespace) => {
                out.push_str(rest.get(..open).unwrap_or(""));
                out.push_str(after.get(..close).unwrap_or(""));
                rest = after.get(close + mark.len()..).unwrap_or("");
            }
            Some(_) => {
                out.push_str(rest.get(..open + mark.len()).unwrap_or(""));
                rest = after;
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Protects spans whose text is final: `` `code` `` (kept with its
/// backticks), `+code+` (given backticks), `pass:[text]`, `+++text+++` and
/// `$$text$$` (kept as written).
fn protect_literals(text: &str, protected: &mut Vec<String>) -> String {
    if !text.contains(['`', '+', '$', 'p']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let (mut backticks, mut pluses) = (Closer::new(b'`'), Closer::new(b'+'));
    let (mut triple_plus, mut dollars, mut bracket) = (Finder::new("+++"), Finder::new("$$"), Finder::new("]"));
    let mut double_backticks = Finder::new("``");
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escaped = char_before(text, at) == Some('\\');
        let span: Option<(usize, String)> = match byte {
            b'+' if !escaped && text.get(at..).is_some_and(|rest| rest.starts_with("+++")) => triple_plus
                .next(text, at + 3)
                .map(|close| (close + 3, passthrough(text.get(at + 3..close).unwrap_or("")))),
            b'`' if !escaped && text.get(at..).is_some_and(|rest| rest.starts_with("``")) => double_backticks
                .next(text, at + 3)
                .map(|close| (close + 2, format!("`{}`", text.get(at + 2..close).unwrap_or("")))),
            b'$' if !escaped && text.get(at..).is_some_and(|rest| rest.starts_with("$$")) => {
                dollars.next(text, at + 2).map(|close| (close + 2, passthrough(text.get(at + 2..close).unwrap_or(""))))
            }
            b'p' if text.get(at..).is_some_and(|rest| rest.starts_with("pass:"))
                && char_before(text, at).is_none_or(|c| !is_word(c)) =>
            {
                let subs = text.get(at + 5..).map_or(0, |rest| {
                    rest.bytes().take(8).take_while(|b| b.is_ascii_alphabetic() || *b == b',').count()
                });
                let open = at + 5 + subs;
                if bytes.get(open) == Some(&b'[') {
                    bracket
                        .next(text, open)
                        .map(|close| (close + 1, passthrough(text.get(open + 1..close).unwrap_or(""))))
                } else {
                    None
                }
            }
            b'`' if !escaped && opens_constrained(text, at) => {
                backticks.next(text, at + 2).map(|close| (close + 1, text.get(at..=close).unwrap_or("").to_string()))
            }
            b'+' if !escaped && opens_constrained(text, at) => pluses
                .next(text, at + 2)
                .map(|close| (close + 1, format!("`{}`", text.get(at + 1..close).unwrap_or("")))),
            _ => None,
        };
        match span {
            Some((end, literal)) => {
                out.push_str(text.get(copied..at).unwrap_or(""));
                out.push_str(&protect(protected, literal));
                copied = end;
                at = end;
            }
            None => at += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// Passthrough text as a reader sees it: as written, except that an anchor
/// written out to name it (`+++[[dco]]+++`) reads as its name.
fn passthrough(text: &str) -> String {
    match text.strip_prefix("[[").and_then(|inner| inner.strip_suffix("]]")) {
        Some(id) if is_anchor_id(id) => id.to_string(),
        _ => text.to_string(),
    }
}

/// URL schemes AsciiDoc links automatically.
const SCHEMES: &[&str] = &["https://", "http://", "ftp://", "irc://", "file://", "mailto:"];

/// Replaces macros and cross references with their text: `linkgit:x[1]`
/// reads `x(1)`, `link:url[text]` and `url[text]` read `text`, `<<id,text>>`
/// reads `text` and `<<id>>` the id in words; footnotes, index terms and
/// anchors go. Bare URLs are protected from the emphasis passes.
fn macros(text: &str, protected: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let (mut bracket, mut angle, mut double_bracket, mut triple_bracket) =
        (Finder::new("]"), Finder::new(">>"), Finder::new("]]"), Finder::new("]]]"));
    let (mut double_paren, mut triple_paren) = (Finder::new("))"), Finder::new(")))"));
    let mut target_end = TargetEnd::default();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if !matches!(byte, b'l' | b'h' | b'f' | b'i' | b'm' | b'k' | b'b' | b'a' | b'x' | b'<' | b'[' | b'(') {
            at += 1;
            continue;
        }
        let rest = text.get(at..).unwrap_or("");
        let at_word_start = char_before(text, at).is_none_or(|c| !is_word(c) && c != '\\');
        // (end of the macro, its replacement, whether to protect it)
        let mut found: Option<(usize, String, bool)> = None;
        if byte == b'<' && rest.starts_with("<<") && char_before(text, at) != Some('<') {
            if let Some(close) = angle.next(text, at + 2) {
                let inner = text.get(at + 2..close).unwrap_or("");
                if let Some(replacement) = cross_reference(inner) {
                    found = Some((close + 2, replacement, false));
                }
            }
        } else if byte == b'[' && rest.starts_with("[[[") {
            // A bibliography anchor, `[[[1]]]` or `[[[ref]]]`.
            if let Some(close) = triple_bracket.next(text, at + 3)
                && is_anchor_id(&format!("_{}", text.get(at + 3..close).unwrap_or("")))
            {
                found = Some((close + 3, String::new(), false));
            }
        } else if byte == b'[' && rest.starts_with("[[") {
            if let Some(close) = double_bracket.next(text, at + 2)
                && is_anchor_id(text.get(at + 2..close).unwrap_or(""))
            {
                found = Some((close + 2, String::new(), false));
            }
        } else if byte == b'(' && rest.starts_with("(((") {
            if let Some(close) = triple_paren.next(text, at + 3)
                && close - at <= MAX_TARGET
            {
                found = Some((close + 3, String::new(), false));
            }
        } else if byte == b'(' && rest.starts_with("((") {
            if let Some(close) = double_paren.next(text, at + 2) {
                let inner = text.get(at + 2..close).unwrap_or("");
                if !inner.is_empty() && !inner.contains(['(', ')']) && inner.len() <= MAX_TARGET {
                    found = Some((close + 2, inner.to_string(), false));
                }
            }
        } else if at_word_start || rest.starts_with("footnote") {
            // A footnote follows the word it annotates (`maintainerfootnote:[..]`).
            found = named_macro(text, at, rest, &mut bracket, &mut target_end);
        }
        match found {
            Some((end, replacement, protect_it)) => {
                out.push_str(text.get(copied..at).unwrap_or(""));
                if protect_it {
                    out.push_str(&protect(protected, replacement));
                } else {
                    out.push_str(&replacement);
                }
                copied = end;
                at = end.max(at + 1);
            }
            None => at += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// `<<id,text>>` reads `text`; `<<id>>` reads the id with `-` and `_` as
/// spaces. Anything else between `<<` and `>>` is not a reference.
fn cross_reference(inner: &str) -> Option<String> {
    if inner.is_empty() || inner.len() > MAX_TARGET || inner.contains("<<") || inner.starts_with(char::is_whitespace) {
        return None;
    }
    let (id, text) = match inner.split_once(',') {
        Some((id, text)) => (id.trim(), Some(text.trim())),
        None => (inner.trim(), None),
    };
    let id_ok = !id.is_empty() && id.chars().all(|c| is_word(c) || matches!(c, '-' | '.' | ':' | '#' | '/'));
    if !id_ok {
        return None;
    }
    Some(match text.filter(|text| !text.is_empty()) {
        Some(text) => text.trim_matches('"').to_string(),
        None => {
            let id = id.rsplit('#').next().unwrap_or(id);
            id.trim_end_matches(".adoc").replace(['-', '_'], " ").trim().to_string()
        }
    })
}

fn is_anchor_id(inner: &str) -> bool {
    let id = inner.split(',').next().unwrap_or("").trim();
    !id.is_empty()
        && inner.len() <= MAX_TARGET
        && id.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
        && id.chars().all(|c| is_word(c) || matches!(c, '-' | '.' | ':'))
}

/// A named inline macro or a URL at byte `at` (`rest` is the text from
/// there): its end, its replacement and whether to protect it.
fn named_macro(
    text: &str,
    at: usize,
    rest: &str,
    bracket: &mut Finder<'_>,
    target_end: &mut TargetEnd,
) -> Option<(usize, String, bool)> {
    if let Some(after) = rest.strip_prefix("linkgit:") {
        let name_length = after
            .bytes()
            .take(MAX_TARGET)
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            .count();
        let name = after.get(..name_length).filter(|name| !name.is_empty())?;
        let open = at + "linkgit:".len() + name_length;
        if text.as_bytes().get(open) != Some(&b'[') {
            return None;
        }
        let close = bracket.next(text, open)?;
        let section = text.get(open + 1..close).unwrap_or("").trim();
        let replacement = if section.is_empty() { name.to_string() } else { format!("{name}({section})") };
        return Some((close + 1, replacement, true));
    }
    for scheme in SCHEMES {
        if rest.starts_with(scheme) {
            return url(text, at, bracket);
        }
    }
    if let Some(after) = rest.strip_prefix("link:").or_else(|| rest.strip_prefix("xref:")) {
        let prefix = rest.len() - after.len();
        let open = target_end.next(text, at + prefix);
        let target_length = open - (at + prefix);
        if target_length == 0 || target_length > MAX_TARGET || text.as_bytes().get(open) != Some(&b'[') {
            return None;
        }
        let close = bracket.next(text, open)?;
        let target = after.get(..target_length).unwrap_or("");
        let label = text.get(open + 1..close).unwrap_or("").split(",role=").next().unwrap_or("").trim();
        let label = label.trim_matches('"');
        let replacement = if label.is_empty() { target.to_string() } else { label.to_string() };
        return Some((close + 1, replacement, label.is_empty()));
    }
    for (name, keep) in [
        ("footnote:", false),
        ("footnoteref:", false),
        ("indexterm:", false),
        ("indexterm2:", true),
        ("anchor:", false),
        ("image:", true),
        ("kbd:", true),
        ("btn:", true),
        ("menu:", true),
    ] {
        let Some(after) = rest.strip_prefix(name) else { continue };
        let open = target_end.next(text, at + name.len());
        let target_length = open - (at + name.len());
        if target_length > MAX_TARGET || text.as_bytes().get(open) != Some(&b'[') {
            return None;
        }
        let close = if name.starts_with("footnote") { balanced_close(text, open) } else { bracket.next(text, open) }?;
        let inner = text.get(open + 1..close).unwrap_or("");
        let target = after.get(..target_length).unwrap_or("");
        let replacement = match name {
            _ if !keep => String::new(),
            "image:" => inner.split(',').next().unwrap_or("").trim().to_string(),
            "menu:" if !inner.is_empty() => format!("{target} > {inner}"),
            "menu:" => target.to_string(),
            _ => inner.trim().to_string(),
        };
        return Some((close + 1, replacement, false));
    }
    None
}

/// A URL, with `[text]` after it (reads `text`) or bare (kept, protected).
fn url(text: &str, at: usize, bracket: &mut Finder<'_>) -> Option<(usize, String, bool)> {
    let rest = text.get(at..)?;
    let length = rest
        .char_indices()
        .take_while(|(offset, c)| {
            *offset < MAX_TARGET && !c.is_whitespace() && !matches!(c, '[' | '<' | '>' | '"') && *c != PROTECT_OPEN
        })
        .last()
        .map_or(0, |(offset, c)| offset + c.len_utf8());
    let mut end = at + length;
    if text.as_bytes().get(end) == Some(&b'[') {
        let close = bracket.next(text, end)?;
        let target = text.get(at..end).unwrap_or("");
        let label = text.get(end + 1..close).unwrap_or("").split(",role=").next().unwrap_or("").trim();
        let label = label.trim_matches('"');
        let replacement = if label.is_empty() { target.to_string() } else { label.to_string() };
        return Some((close + 1, replacement, label.is_empty()));
    }
    while end > at && text.get(..end).is_some_and(|head| head.ends_with(['.', ',', ';', ':', '!', '?', ')', '\''])) {
        end -= 1;
    }
    let target = text.get(at..end).unwrap_or("");
    (target.len() > "http://".len()).then(|| (end, target.to_string(), true))
}

/// The `]` closing the `[` at `open`, counting nested brackets, within
/// [`MAX_FOOTNOTE`] bytes.
fn balanced_close(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, byte) in text.as_bytes().get(open..)?.iter().enumerate().take(MAX_FOOTNOTE) {
        match byte {
            b'[' => depth += 1,
            b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + offset);
                }
            }
            _ => {}
        }
    }
    None
}

/// Drops the backslash of an escaped mark (`\*`, `\--`, `\{x}`), which
/// AsciiDoc prints without it.
fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && "*_'+`{}[<#~^-".contains(next)
        {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "asciidoc_tests.rs"]
mod tests;
