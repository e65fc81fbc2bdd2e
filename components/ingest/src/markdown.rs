//! Markdown (CommonMark + GitHub tables) through pulldown-cmark's event
//! stream. Inline markup (emphasis, links, inline code) is reduced to its
//! text, so the normalised text is what a reader sees, not the syntax.

use brightrun_types::BlockKind;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::DocumentBuilder;

/// A block being filled by inline events.
struct OpenBlock {
    kind: BlockKind,
    level: u8,
    ordinal: Option<u32>,
    language: Option<String>,
    text: String,
}

/// Parse state: the open block, the stack of lists (next ordinal of each
/// ordered list) and how deep inside block quotes we are.
#[derive(Default)]
struct State {
    builder: DocumentBuilder,
    open: Option<OpenBlock>,
    lists: Vec<Option<u32>>,
    quote_depth: usize,
    table_index: u8,
    cells_in_row: usize,
    /// Inside an inline `<a class="headerlink">` (a permalink that pandoc
    /// carries over from Sphinx HTML): its text ("¶") is furniture.
    in_permalink: bool,
}

impl State {
    fn begin(&mut self, kind: BlockKind, level: u8, ordinal: Option<u32>, language: Option<String>) {
        self.flush();
        self.open = Some(OpenBlock { kind, level, ordinal, language, text: String::new() });
    }

    fn flush(&mut self) {
        if let Some(block) = self.open.take() {
            self.builder.push(block.kind, block.level, block.ordinal, block.language, &block.text);
        }
    }

    /// Appends inline text, opening a paragraph (or quote) when text arrives
    /// outside any block.
    fn text(&mut self, text: &str) {
        if self.open.is_none() {
            let kind = if self.quote_depth > 0 { BlockKind::Quote } else { BlockKind::Paragraph };
            self.begin(kind, 0, None, None);
        }
        if let Some(block) = self.open.as_mut() {
            block.text.push_str(text);
        }
    }

    fn open_kind(&self) -> Option<BlockKind> {
        self.open.as_ref().map(|block| block.kind)
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The text without permalink anchors (`<a ... class="headerlink" ...>¶</a>`).
/// pandoc's Markdown of Sphinx HTML wraps them over two lines, which breaks
/// the tag for CommonMark inside a one-line heading, so they go before parsing.
fn without_permalinks(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("headerlink") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<a ") {
        let tail = &rest[at..];
        let tag_end = tail.find('>').unwrap_or(tail.len());
        let close = tail.find("</a>");
        match close {
            Some(close) if tail[..tag_end].contains("headerlink") && close > tag_end => {
                out.push_str(&rest[..at]);
                rest = &tail[close + "</a>".len()..];
            }
            _ => {
                out.push_str(&rest[..at + 3]);
                rest = &tail[3..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `text` as Markdown inline code: in single backticks, or in double ones
/// with spaces when it holds a backtick itself.
pub(crate) fn inline_code(text: &str) -> String {
    if text.contains('`') { format!("`` {text} ``") } else { format!("`{text}`") }
}

pub(crate) fn parse(text: &str) -> DocumentBuilder {
    let mut state = State::default();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let text = without_permalinks(text);
    for event in Parser::new_ext(&text, options) {
        match event {
            Event::Start(tag) => start(&mut state, tag),
            Event::End(tag) => end(&mut state, tag),
            Event::Text(text) => {
                if !state.in_permalink {
                    state.text(&text);
                }
            }
            // Inline code stays code (`os.path.join`), as reStructuredText's
            // literals do: questions and answers name code as code. A
            // heading's code is its text (signature headings are parsed).
            Event::Code(text) if !state.in_permalink => {
                if state.open_kind() == Some(BlockKind::Heading) {
                    state.text(&text);
                } else {
                    state.text(&inline_code(&text));
                }
            }
            Event::Code(_) => {}
            Event::InlineMath(text) | Event::DisplayMath(text) => state.text(&text),
            Event::SoftBreak => state.text(" "),
            Event::HardBreak => state.text("\n"),
            Event::InlineHtml(tag) => inline_html(&mut state, &tag),
            // Block HTML (pandoc's `<div>` wrappers) is markup; footnote
            // markers and rules carry no text.
            Event::Html(_) | Event::FootnoteReference(_) | Event::Rule | Event::TaskListMarker(_) => {}
        }
    }
    state.flush();
    state.builder
}

/// Inline HTML: tags are markup and go, but a permalink anchor's text goes
/// with them, and `<code>` keeps its content marked as inline code.
fn inline_html(state: &mut State, tag: &str) {
    let lower = tag.trim().to_ascii_lowercase();
    if lower.starts_with("<a ") && (lower.contains("headerlink") || lower.contains("permalink")) {
        state.in_permalink = true;
    } else if lower.starts_with("</a") {
        state.in_permalink = false;
    } else if (lower.starts_with("<code") || lower.starts_with("</code")) && state.open.is_some() {
        state.text("`");
    }
}

fn start(state: &mut State, tag: Tag<'_>) {
    match tag {
        Tag::Heading { level, .. } => {
            state.in_permalink = false;
            state.begin(BlockKind::Heading, heading_level(level), None, None);
        }
        Tag::Paragraph => match state.open_kind() {
            // A loose list item wraps its text in paragraphs: keep filling the item.
            Some(BlockKind::ListItem) => {
                if let Some(block) = state.open.as_mut().filter(|block| !block.text.is_empty()) {
                    block.text.push(' ');
                }
            }
            _ => {
                let kind = if state.quote_depth > 0 { BlockKind::Quote } else { BlockKind::Paragraph };
                state.begin(kind, 0, None, None);
            }
        },
        Tag::List(first) => {
            // A nested list ends the item that holds it.
            state.flush();
            state.lists.push(first.map(|n| u32::try_from(n).unwrap_or(u32::MAX)));
        }
        Tag::Item => {
            let depth = u8::try_from(state.lists.len()).unwrap_or(u8::MAX);
            let ordinal = match state.lists.last_mut() {
                Some(Some(next)) => {
                    let ordinal = *next;
                    *next = next.saturating_add(1);
                    Some(ordinal)
                }
                _ => None,
            };
            state.begin(BlockKind::ListItem, depth, ordinal, None);
        }
        Tag::CodeBlock(kind) => {
            let language = match kind {
                // pandoc writes a DocBook listing's element class as the info
                // string (```` ```programlisting ````): no language.
                CodeBlockKind::Fenced(info) => {
                    info.split_whitespace().next().map(str::to_string).filter(|lang| !lang.is_empty()).filter(|lang| {
                        !["programlisting", "screen", "synopsis", "literallayout"].contains(&lang.as_str())
                    })
                }
                CodeBlockKind::Indented => None,
            };
            state.begin(BlockKind::Code, 0, None, language);
        }
        Tag::BlockQuote(_) => {
            state.flush();
            state.quote_depth += 1;
        }
        Tag::Table(_) => {
            state.flush();
            state.table_index = state.table_index.saturating_add(1);
        }
        Tag::TableHead | Tag::TableRow => {
            let table = state.table_index;
            state.begin(BlockKind::TableRow, table, None, None);
            state.cells_in_row = 0;
        }
        Tag::TableCell => {
            if state.cells_in_row > 0 {
                state.text(" | ");
            }
            state.cells_in_row += 1;
        }
        Tag::HtmlBlock
        | Tag::FootnoteDefinition(_)
        | Tag::DefinitionList
        | Tag::DefinitionListTitle
        | Tag::DefinitionListDefinition
        | Tag::Emphasis
        | Tag::Strong
        | Tag::Strikethrough
        | Tag::Superscript
        | Tag::Subscript
        | Tag::Link { .. }
        | Tag::Image { .. }
        | Tag::MetadataBlock(_) => {}
    }
}

fn end(state: &mut State, tag: TagEnd) {
    match tag {
        TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::Item | TagEnd::TableHead | TagEnd::TableRow => state.flush(),
        TagEnd::Paragraph => {
            if state.open_kind() != Some(BlockKind::ListItem) {
                state.flush();
            }
        }
        TagEnd::List(_) => {
            state.flush();
            state.lists.pop();
        }
        TagEnd::BlockQuote(_) => {
            state.flush();
            state.quote_depth = state.quote_depth.saturating_sub(1);
        }
        TagEnd::Table => state.flush(),
        TagEnd::TableCell
        | TagEnd::HtmlBlock
        | TagEnd::FootnoteDefinition
        | TagEnd::DefinitionList
        | TagEnd::DefinitionListTitle
        | TagEnd::DefinitionListDefinition
        | TagEnd::Emphasis
        | TagEnd::Strong
        | TagEnd::Strikethrough
        | TagEnd::Superscript
        | TagEnd::Subscript
        | TagEnd::Link
        | TagEnd::Image
        | TagEnd::MetadataBlock(_) => {}
    }
}
