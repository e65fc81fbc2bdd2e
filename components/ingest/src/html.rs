//! HTML: the page's main content as blocks.
//!
//! Parsing is html5ever's (through `scraper`), the same algorithm browsers
//! use, so broken markup, entities and implied tags come out as a browser
//! would show them. What is written here is the part no crate does for us:
//! picking the main content and turning the tree into blocks. The walk is
//! iterative (`traverse` yields open/close edges), so a page nested thousands
//! of levels deep cannot overflow the component's stack.

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use brightrun_types::BlockKind;

use crate::DocumentBuilder;

/// Elements whose whole subtree is never content.
const NEVER_CONTENT: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "aside", "form", "button", "iframe", "svg", "canvas", "select",
    "textarea", "head", "title", "object", "embed", "dialog", "menu",
];

/// `role` values of page furniture.
const FURNITURE_ROLES: &[&str] = &["navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"];

/// Words in a class or id that mark page furniture.
const FURNITURE_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "sidebar",
    "footer",
    "breadcrumb",
    "breadcrumbs",
    "cookie",
    "cookies",
    "banner",
    "advert",
    "advertisement",
    "ads",
    "share",
    "social",
    "skip",
    "toc",
    "masthead",
    "pagination",
    "related",
    "comments",
];

/// Elements that start and end a block of their own.
const BLOCK_ELEMENTS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "li",
    "dt",
    "dd",
    "dl",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "table",
    "tr",
    "figure",
    "figcaption",
    "caption",
    "address",
    "details",
    "summary",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "body",
    "center",
];

/// Deepest nesting of container elements accepted. The HTML tree builder's
/// scope checks walk the stack of open elements, so parsing time grows with
/// the square of the depth; real pages stay far below this.
pub(crate) const MAX_DEPTH: usize = 4096;

/// Container elements that nest without closing each other implicitly.
const NESTING: &[&str] = &[
    "div",
    "span",
    "section",
    "article",
    "main",
    "aside",
    "nav",
    "header",
    "footer",
    "blockquote",
    "ul",
    "ol",
    "table",
    "font",
    "b",
    "i",
    "u",
    "em",
    "strong",
    "small",
    "big",
    "center",
    "details",
    "figure",
    "form",
    "object",
];

/// How deep container elements nest, from a scan of the tags (no tree).
pub(crate) fn nesting_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|b| *b == b'<') {
        let start = at + offset + 1;
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = if closing { start + 1 } else { start };
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |end| name_start + end);
        let name = &text[name_start..name_end];
        if NESTING.iter().any(|tag| tag.eq_ignore_ascii_case(name)) {
            let tag_end = bytes[name_end..].iter().position(|b| *b == b'>').map_or(bytes.len(), |end| name_end + end);
            let self_closing = tag_end > 0 && bytes.get(tag_end - 1) == Some(&b'/');
            if closing {
                depth = depth.saturating_sub(1);
            } else if !self_closing {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
        at = name_end.max(start);
    }
    deepest
}

/// Decodes an HTML page (already decoded to a string) into blocks. Returns
/// the builder and the page's `<title>`, if any.
pub(crate) fn parse(text: &str) -> (DocumentBuilder, Option<String>) {
    let page = Html::parse_document(text);
    let title = page
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .find(|element| element.value().name() == "title")
        .map(|element| collapse_whitespace(&element.text().collect::<String>()))
        .filter(|title| !title.is_empty());
    let root = main_content(&page);
    let mut walker = Walker::default();
    walker.walk(root);
    (walker.builder, title)
}

/// The element holding the page's main content: `<main>` or `role=main`,
/// else the `<article>` with the most text, else `<body>`.
fn main_content(page: &Html) -> ElementRef<'_> {
    let elements = || page.root_element().descendants().filter_map(ElementRef::wrap);
    if let Some(main) = elements().find(|e| e.value().name() == "main" || e.value().attr("role") == Some("main")) {
        return main;
    }
    let articles: Vec<ElementRef<'_>> = elements().filter(|e| e.value().name() == "article").collect();
    if !articles.is_empty() {
        // Several articles side by side (a blog index) are all content; one
        // article next to teasers is the page.
        let sizes: Vec<usize> = articles.iter().map(|a| a.text().map(str::len).sum()).collect();
        let total: usize = sizes.iter().sum();
        if let Some((index, &largest)) = sizes.iter().enumerate().max_by_key(|(_, size)| **size)
            && largest * 2 > total
        {
            return articles[index];
        }
    }
    elements().find(|e| e.value().name() == "body").unwrap_or_else(|| page.root_element())
}

/// Whether `element` (and all it holds) is page furniture rather than content.
fn is_furniture(element: &scraper::node::Element, inside_content: bool) -> bool {
    let name = element.name();
    if NEVER_CONTENT.contains(&name) {
        return true;
    }
    // A page-level header or footer is furniture; one inside an article holds
    // its title or byline, and is kept.
    if (name == "header" || name == "footer") && !inside_content {
        return true;
    }
    if element.attr("hidden").is_some() || element.attr("aria-hidden") == Some("true") {
        return true;
    }
    if element.attr("role").is_some_and(|role| FURNITURE_ROLES.contains(&role)) {
        return true;
    }
    let words = element.attr("class").into_iter().chain(element.id()).flat_map(|value| {
        value.split(|c: char| c.is_whitespace() || c == '-' || c == '_').filter(|word| !word.is_empty())
    });
    words.into_iter().any(|word| FURNITURE_WORDS.iter().any(|furniture| word.eq_ignore_ascii_case(furniture)))
}

/// An open block element and what its text becomes.
struct Frame {
    kind: BlockKind,
    level: u8,
    ordinal: Option<u32>,
    language: Option<String>,
}

#[derive(Default)]
struct Walker {
    builder: DocumentBuilder,
    /// Inline text gathered since the last block boundary.
    inline: String,
    /// Block elements open above the current node.
    frames: Vec<Frame>,
    /// Open lists: whether ordered, and the next ordinal.
    lists: Vec<(bool, u32)>,
    /// Cells of the table row being read.
    cells: Option<Vec<String>>,
    /// Depth of open `<pre>` elements (whitespace is kept inside).
    preformatted: usize,
    /// Depth of skipped (furniture) subtrees.
    skipping: usize,
    /// Depth of open `<article>`/`<main>` elements.
    content_depth: usize,
    /// Tables seen, for the row blocks' `level`.
    tables: u8,
}

impl Walker {
    fn walk(&mut self, root: ElementRef<'_>) {
        let root_is_content = matches!(root.value().name(), "main" | "article");
        if root_is_content {
            self.content_depth += 1;
        }
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => match node.value() {
                    Node::Element(element) => {
                        if self.skipping > 0 || is_furniture(element, self.content_depth > 0) {
                            self.skipping += 1;
                        } else {
                            self.open(element);
                        }
                    }
                    Node::Text(text) if self.skipping == 0 => self.text(text),
                    _ => {}
                },
                Edge::Close(node) => {
                    if let Node::Element(element) = node.value() {
                        if self.skipping > 0 {
                            self.skipping -= 1;
                        } else {
                            self.close(element);
                        }
                    }
                }
            }
        }
        self.flush();
    }

    fn text(&mut self, text: &str) {
        if self.preformatted > 0 {
            self.inline.push_str(text);
            return;
        }
        if text.starts_with(char::is_whitespace) {
            self.space();
        }
        for (index, word) in text.split_whitespace().enumerate() {
            if index > 0 {
                self.inline.push(' ');
            }
            self.inline.push_str(word);
        }
        if text.ends_with(char::is_whitespace) {
            self.space();
        }
    }

    /// A word boundary, once, never at the start of a block.
    fn space(&mut self) {
        if !self.inline.is_empty() && !self.inline.ends_with([' ', '\n']) {
            self.inline.push(' ');
        }
    }

    fn open(&mut self, element: &scraper::node::Element) {
        let name = element.name();
        if matches!(name, "article" | "main") {
            self.content_depth += 1;
        }
        match name {
            "br" => {
                self.inline.push(if self.preformatted > 0 { '\n' } else { ' ' });
                return;
            }
            "img" => {
                if let Some(alt) = element.attr("alt").map(str::trim).filter(|alt| !alt.is_empty()) {
                    self.space();
                    self.inline.push_str(alt);
                    self.space();
                }
                return;
            }
            "code" if self.preformatted > 0 => {
                if let Some(frame) = self.frames.last_mut().filter(|frame| frame.language.is_none()) {
                    frame.language = code_language(element);
                }
                return;
            }
            "td" | "th" => {
                self.inline.clear();
                return;
            }
            _ => {}
        }
        if !BLOCK_ELEMENTS.contains(&name) {
            return;
        }
        self.flush();
        let frame = match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                Frame { kind: BlockKind::Heading, level: name.as_bytes()[1] - b'0', ordinal: None, language: None }
            }
            "ul" | "ol" | "menu" => {
                let start = element.attr("start").and_then(|s| s.trim().parse().ok()).unwrap_or(1);
                self.lists.push((name == "ol", start));
                Frame { kind: BlockKind::Paragraph, level: 0, ordinal: None, language: None }
            }
            "li" => {
                let depth = self.lists.len().clamp(1, 255) as u8;
                let ordinal = match self.lists.last_mut() {
                    Some((true, next)) => {
                        let ordinal = element.attr("value").and_then(|v| v.trim().parse().ok()).unwrap_or(*next);
                        *next = ordinal.saturating_add(1);
                        Some(ordinal)
                    }
                    _ => None,
                };
                Frame { kind: BlockKind::ListItem, level: depth, ordinal, language: None }
            }
            "pre" => {
                self.preformatted += 1;
                Frame { kind: BlockKind::Code, level: 0, ordinal: None, language: code_language(element) }
            }
            "blockquote" => Frame { kind: BlockKind::Quote, level: 0, ordinal: None, language: None },
            "table" => {
                self.tables = self.tables.saturating_add(1);
                Frame { kind: BlockKind::Paragraph, level: 0, ordinal: None, language: None }
            }
            "tr" => {
                self.cells = Some(Vec::new());
                Frame { kind: BlockKind::TableRow, level: self.tables, ordinal: None, language: None }
            }
            _ => {
                // Inside a quote or list item, nested paragraphs keep the
                // enclosing kind.
                let inherited =
                    self.frames.last_mut().filter(|f| matches!(f.kind, BlockKind::Quote | BlockKind::ListItem));
                match inherited {
                    Some(parent) => {
                        Frame { kind: parent.kind, level: parent.level, ordinal: parent.ordinal.take(), language: None }
                    }
                    None => Frame { kind: BlockKind::Paragraph, level: 0, ordinal: None, language: None },
                }
            }
        };
        self.frames.push(frame);
    }

    fn close(&mut self, element: &scraper::node::Element) {
        let name = element.name();
        if matches!(name, "article" | "main") {
            self.content_depth = self.content_depth.saturating_sub(1);
        }
        if let ("td" | "th", Some(cells)) = (name, self.cells.as_mut()) {
            cells.push(collapse_whitespace(&std::mem::take(&mut self.inline)).replace('|', "\\|"));
            return;
        }
        if !BLOCK_ELEMENTS.contains(&name) {
            return;
        }
        if name == "tr"
            && let Some(cells) = self.cells.take()
            && cells.iter().any(|cell| !cell.is_empty())
        {
            self.inline = cells.join(" | ");
        }
        self.flush();
        self.frames.pop();
        match name {
            "ul" | "ol" | "menu" => {
                self.lists.pop();
            }
            "pre" => self.preformatted = self.preformatted.saturating_sub(1),
            _ => {}
        }
    }

    /// Ends the current block: the gathered text becomes a block of the
    /// innermost open element's kind.
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.inline);
        if text.trim().is_empty() {
            return;
        }
        let (kind, level, ordinal, language) = match self.frames.last_mut() {
            Some(frame) => (frame.kind, frame.level, frame.ordinal.take(), frame.language.clone()),
            None => (BlockKind::Paragraph, 0, None, None),
        };
        if kind == BlockKind::Code {
            let code = text.trim_matches('\n');
            self.builder.push(kind, level, ordinal, language, code);
        } else {
            self.builder.push(kind, level, ordinal, language, &collapse_whitespace(&text));
        }
    }
}

/// The language of a code block from `class="language-x"` (or `lang-x`) on
/// its `<pre>` or the `<code>` inside.
fn code_language(element: &scraper::node::Element) -> Option<String> {
    let tagged = element
        .classes()
        .find_map(|class| class.strip_prefix("language-").or_else(|| class.strip_prefix("lang-")).map(str::to_string));
    // pandoc and Pygments write `class="sourceCode python"`.
    tagged.or_else(|| {
        let classes: Vec<&str> = element.classes().collect();
        classes
            .contains(&"sourceCode")
            .then(|| classes.iter().find(|class| **class != "sourceCode").map(|class| class.to_string()))
            .flatten()
    })
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
