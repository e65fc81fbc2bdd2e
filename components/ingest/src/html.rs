//! HTML: the page's main content as blocks.
//!
//! Parsing is html5ever's (through `scraper`), the same algorithm browsers
//! use, so broken markup, entities and implied tags come out as a browser
//! would show them. What is written here is the part no crate does for us:
//! picking the main content and turning the tree into blocks. The walk is
//! iterative (`traverse` yields open/close edges), so a page nested thousands
//! of levels deep cannot overflow the component's stack.
//!
//! Documentation generators (Sphinx and docutils, Django's theme, DocBook
//! for PostgreSQL and the Debian Handbook) add text that is not content:
//! permalink signs, `[source]` links, line numbers, changelog notes,
//! navigation bars. The walk drops those where they are generated, so the
//! normalised text never holds them. Their description lists are read for
//! what they are: a Sphinx object description (`<dl class="py function">`)
//! is a heading one level below its section, with its description under it;
//! a field list (`Parameters:`) gives one item per field; any other `<dl>`
//! gives one item per entry, `term: definition`.

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use brightrun_types::BlockKind;

use crate::{DocumentBuilder, PageTitles};

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
/// the builder and the page's titles: its `<title>` and its home link's.
pub(crate) fn parse(text: &str) -> (DocumentBuilder, PageTitles) {
    let page = Html::parse_document(text);
    let elements = || page.root_element().descendants().filter_map(ElementRef::wrap);
    let title = elements()
        .find(|element| element.value().name() == "title")
        .map(|element| collapse_whitespace(&element.text().collect::<String>()))
        .filter(|title| !title.is_empty());
    // DocBook and Sphinx name the documentation set on the link home:
    // `<link rel="home" title="...">`, `<a accesskey="h" title="...">`.
    let home = elements()
        .find(|element| {
            let value = element.value();
            (value.name() == "link" && value.attr("rel") == Some("home"))
                || (value.name() == "a" && value.attr("accesskey") == Some("h"))
        })
        .and_then(|element| element.value().attr("title"))
        .map(collapse_whitespace)
        .filter(|title| !title.is_empty());
    let root = main_content(&page);
    let mut walker = Walker::default();
    walker.walk(root);
    (walker.builder, PageTitles { page: title, home })
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
    // YUI grids (Django's documentation theme) name the page header and
    // footer `hd` and `ft`; Publican (the Debian Handbook) puts its logo
    // links in `<p id="title">`.
    if element.id().is_some_and(|id| FURNITURE_IDS.contains(&id)) || (name == "p" && element.id() == Some("title")) {
        return true;
    }
    let words = element.attr("class").into_iter().chain(element.id()).flat_map(|value| {
        value.split(|c: char| c.is_whitespace() || c == '-' || c == '_').filter(|word| !word.is_empty())
    });
    words.into_iter().any(|word| FURNITURE_WORDS.iter().any(|furniture| word.eq_ignore_ascii_case(furniture)))
}

/// Ids of page furniture in documentation themes.
const FURNITURE_IDS: &[&str] = &["hd", "ft"];

/// What documentation generators add around content, by class: permalinks,
/// `[source]` links, line numbers, changelog notes (`versionadded`: a
/// version note read alone states a false fact about today), "See also"
/// boxes, tables of contents, footnote markers, navigation bars, and the
/// authors' own to-do notes (`sphinx.ext.todo`).
const GENERATED_CLASSES: &[&str] = &[
    "headerlink",
    "viewcode-link",
    "viewcode-back",
    "linenos",
    "linenodiv",
    "versionadded",
    "versionchanged",
    "versionremoved",
    "deprecated",
    "versionmodified",
    "seealso",
    "toctree-wrapper",
    "footnote-reference",
    "fn-backref",
    "navheader",
    "navfooter",
    "docnav",
    "admonition-todo",
];

/// The whole text of a permalink anchor.
const PERMALINK_TEXTS: &[&str] = &["¶", "#", "🔗", "§", "#¶"];

/// Texts of links that say only what they point at ("xindy (doc)"), which
/// read as debris once the link is text; the brackets around them go too.
const LINK_LABELS: &[&str] = &["doc", "docs", "source", "link", "pdf", "html", "here"];

/// Admonition titles that are a label, not text.
const ADMONITION_WORDS: &[&str] = &[
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "todo",
    "see also",
    "example",
];

/// Sphinx domains whose `<dl class="DOMAIN OBJTYPE">` describes one object
/// (a function, a setting, a directive).
const API_DOMAINS: &[&str] = &["py", "c", "cpp", "js", "rst", "std", "http", "php", "rb", "cmake", "dj", "django"];

/// Object types old Sphinx wrote alone (`<dl class="function">`).
const API_OBJECT_TYPES: &[&str] = &[
    "function",
    "method",
    "classmethod",
    "staticmethod",
    "class",
    "attribute",
    "data",
    "exception",
    "describe",
    "confval",
    "setting",
    "envvar",
    "directive",
    "role",
];

/// DocBook's sidebars (the Debian Handbook's boxes) are content with a
/// title, unlike a site's navigation sidebar.
fn is_docbook_sidebar(element: ElementRef<'_>) -> bool {
    let value = element.value();
    value.name() == "div"
        && has_class(value, "sidebar")
        && element.children().filter_map(ElementRef::wrap).any(|child| has_class(child.value(), "titlepage"))
}

fn has_class(element: &scraper::node::Element, class: &str) -> bool {
    element.classes().any(|c| c == class)
}

fn text_of(element: ElementRef<'_>) -> String {
    collapse_whitespace(&element.text().collect::<String>())
}

/// What a `<dl>` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DlKind {
    /// Sphinx's description of one object: the `<dt>` is its signature, a
    /// heading; the `<dd>` its description.
    Api(Signature),
    /// A docutils field list (`Parameters:`, `Returns:`, `Type:`).
    Fields,
    /// Terms and definitions: one list item per entry.
    Plain,
}

/// How a signature's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    /// `.. toctree::` reads `toctree`.
    Directive,
    /// `:name: argument` reads `name: argument`.
    DirectiveOption,
    /// `:index:` reads `index`.
    Role,
    /// As written: `os.path.join(path, *paths)`.
    Plain,
}

fn dl_kind(element: &scraper::node::Element) -> DlKind {
    let classes: Vec<&str> = element.classes().collect();
    if classes.contains(&"field-list") {
        return DlKind::Fields;
    }
    let domain = classes.iter().find(|class| API_DOMAINS.contains(class));
    let object_type = classes.iter().find(|class| !API_DOMAINS.contains(class));
    let api = match (domain, object_type) {
        (Some(_), Some(_)) => true,
        (None, Some(object_type)) => classes.len() == 1 && API_OBJECT_TYPES.contains(object_type),
        _ => false,
    };
    if !api {
        return DlKind::Plain;
    }
    let signature = match (domain.copied(), object_type.copied()) {
        (Some("rst"), Some("directive")) => Signature::Directive,
        (Some("rst"), Some("directive:option")) => Signature::DirectiveOption,
        (Some("rst"), Some("role")) => Signature::Role,
        _ => Signature::Plain,
    };
    DlKind::Api(signature)
}

/// An open `<dl>`.
struct Dl {
    kind: DlKind,
    depth: usize,
    /// Terms read since the last definition (plain and field lists).
    terms: Vec<String>,
    /// Whether a `<dd>` of this list is open.
    in_definition: bool,
    /// `Type: x` and `Default: y` fields, said together as one paragraph.
    summary: Vec<String>,
}

/// An element that scopes the heading it holds (an object description, a
/// custom admonition, a sidebar): when it closes, later content belongs to
/// the heading that was current before it.
struct Scope {
    depth: usize,
    level: u8,
    heading: Option<String>,
}

/// What an open block element's text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A block of its own.
    Block,
    /// A `<dt>` term, kept for the definition that follows.
    Term,
    /// A Sphinx signature, a heading.
    Signature(Signature),
}

/// An open block element and what its text becomes.
struct Frame {
    kind: BlockKind,
    level: u8,
    ordinal: Option<u32>,
    language: Option<String>,
    role: Role,
}

impl Frame {
    fn block(kind: BlockKind, level: u8, ordinal: Option<u32>, language: Option<String>) -> Self {
        Frame { kind, level, ordinal, language, role: Role::Block }
    }
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
    /// Depth of the element being opened or closed.
    depth: usize,
    /// Open description lists.
    dls: Vec<Dl>,
    /// Open elements that scope a heading.
    scopes: Vec<Scope>,
    /// The last section heading (`<h1>` to `<h6>`): level and text.
    section: Option<(u8, String)>,
    /// A heading to repeat before the next block: the section a scope
    /// (an object description) was in, once the scope has closed.
    reheading: Option<(u8, String)>,
    /// Languages of open `<div class="highlight-LANG">` (Sphinx), by depth.
    highlights: Vec<(usize, Option<String>)>,
    /// Depth of open Pygments line-number tables (`table.highlighttable`).
    code_tables: usize,
    /// Depth of the open table cell, whose blocks are its text.
    cell_depth: Option<usize>,
    /// Open inline code elements (`<code>`, `<tt>`, `<kbd>`, `<samp>`), and
    /// where the text of the outermost begins, after its opening backtick.
    inline_code: usize,
    code_start: Option<usize>,
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
                        let element_ref = ElementRef::wrap(node);
                        let dropped = || element_ref.is_some_and(|element| self.is_generated(element));
                        let furniture = || {
                            is_furniture(element, self.content_depth > 0)
                                && !element_ref.is_some_and(is_docbook_sidebar)
                        };
                        if self.skipping > 0 || furniture() || dropped() {
                            self.skipping += 1;
                        } else {
                            self.depth += 1;
                            self.open(element, element_ref);
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
                            self.depth = self.depth.saturating_sub(1);
                        }
                    }
                }
            }
        }
        self.flush();
        self.finish_terms();
    }

    /// Whether `element` is something a documentation generator added
    /// around the content (see [`GENERATED_CLASSES`]), a permalink in a
    /// heading or term, an admonition's label, or a paragraph that opens
    /// with a version note.
    fn is_generated(&self, element: ElementRef<'_>) -> bool {
        let value = element.value();
        if value.classes().any(|class| GENERATED_CLASSES.contains(&class)) {
            return true;
        }
        let name = value.name();
        if name == "div" && (has_class(value, "contents") || has_class(value, "topic") && has_class(value, "contents"))
        {
            return true;
        }
        if name == "a" {
            if has_class(value, "anchor") {
                return true;
            }
            let in_title =
                self.frames.iter().any(|frame| frame.kind == BlockKind::Heading || frame.role != Role::Block);
            if in_title && PERMALINK_TEXTS.contains(&text_of(element).as_str()) {
                return true;
            }
            // "xindy (<a>doc</a>)": a link labelled only as where it goes.
            if LINK_LABELS.contains(&text_of(element).trim().to_lowercase().as_str()) {
                return true;
            }
        }
        let titled = has_class(value, "admonition-title")
            || (has_class(value, "title") && matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "p" | "div"));
        if titled && ADMONITION_WORDS.contains(&text_of(element).trim_end_matches(':').to_lowercase().as_str()) {
            return true;
        }
        // Older Sphinx writes a version note as a bare paragraph.
        if name == "p"
            && element
                .children()
                .filter_map(ElementRef::wrap)
                .next()
                .is_some_and(|first| has_class(first.value(), "versionmodified"))
        {
            return true;
        }
        // A sidebar title's category (`BACK TO BASICS`, `CULTURE`) is a label.
        if name == "span"
            && has_class(value, "emphasis")
            && self.inline.trim().is_empty()
            && self.frames.last().is_some_and(|frame| frame.kind == BlockKind::Heading)
            && self.scopes.last().is_some()
        {
            let text = text_of(element);
            return !text.is_empty() && text.chars().all(|c| c.is_uppercase() || c.is_whitespace());
        }
        false
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

    /// A word boundary, once, never at the start of a block or of inline code.
    fn space(&mut self) {
        if self.code_start == Some(self.inline.len()) {
            return;
        }
        if !self.inline.is_empty() && !self.inline.ends_with([' ', '\n']) {
            self.inline.push(' ');
        }
    }

    /// The level one below the innermost heading scope, or below the last
    /// section heading.
    fn scoped_level(&self) -> u8 {
        let base = self.scopes.last().map(|scope| scope.level).or(self.section.as_ref().map(|(level, _)| *level));
        base.unwrap_or(0).saturating_add(1).clamp(1, 6)
    }

    fn open_scope(&mut self) {
        let level = self.scoped_level();
        self.scopes.push(Scope { depth: self.depth, level, heading: None });
    }

    fn open(&mut self, element: &scraper::node::Element, element_ref: Option<ElementRef<'_>>) {
        let name = element.name();
        if matches!(name, "article" | "main") {
            self.content_depth += 1;
        }
        if name == "div"
            && let Some(language) = element.classes().find_map(|class| class.strip_prefix("highlight-"))
        {
            let language = match language {
                "default" => Some("python".to_string()),
                "none" | "text" => None,
                other => Some(other.to_string()),
            };
            self.highlights.push((self.depth, language));
        }
        if name == "table" && has_class(element, "highlighttable") {
            self.code_tables += 1;
            return;
        }
        if matches!(name, "tr" | "td" | "th" | "tbody" | "thead") && self.code_tables > 0 {
            return;
        }
        match name {
            "br" => {
                // DocBook separates the terms of one entry with line breaks.
                if self.frames.last().is_some_and(|frame| frame.role == Role::Term) && !self.inline.trim().is_empty() {
                    self.inline.push_str(", ");
                } else {
                    self.inline.push(if self.preformatted > 0 { '\n' } else { ' ' });
                }
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
            // Inline code stays code, in backticks as Markdown writes it (and
            // as ingest writes reStructuredText's literals), so questions and
            // answers name code as code. A heading's or signature's code is
            // its text: signatures are parsed from it.
            "code" | "tt" | "kbd" | "samp" if self.preformatted == 0 => {
                let in_heading = self.frames.iter().any(|frame| frame.kind == BlockKind::Heading);
                self.inline_code += 1;
                if self.inline_code == 1 && !in_heading && self.cell_depth.is_none() {
                    self.inline.push('`');
                    self.code_start = Some(self.inline.len());
                }
                return;
            }
            "code" if self.preformatted > 0 => {
                if let Some(frame) = self.frames.last_mut().filter(|frame| frame.language.is_none()) {
                    frame.language = code_language(element);
                }
                return;
            }
            "td" | "th" if self.cell_depth.is_none() => {
                self.inline.clear();
                self.cell_depth = Some(self.depth);
                return;
            }
            _ => {}
        }
        if !BLOCK_ELEMENTS.contains(&name) {
            return;
        }
        // Paragraphs (and nested tables) in a cell are the cell's text.
        if self.cell_depth.is_some() {
            self.space();
            return;
        }
        self.flush();
        let frame = match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name.as_bytes().get(1).map_or(1, |digit| digit.saturating_sub(b'0'));
                Frame::block(BlockKind::Heading, level, None, None)
            }
            "ul" | "ol" | "menu" => {
                let start = element.attr("start").and_then(|s| s.trim().parse().ok()).unwrap_or(1);
                self.lists.push((name == "ol", start));
                Frame::block(BlockKind::Paragraph, 0, None, None)
            }
            "li" => {
                let depth = self.list_depth().clamp(1, 255);
                let ordinal = match self.lists.last_mut() {
                    Some((true, next)) => {
                        let ordinal = element.attr("value").and_then(|v| v.trim().parse().ok()).unwrap_or(*next);
                        *next = ordinal.saturating_add(1);
                        Some(ordinal)
                    }
                    _ => None,
                };
                Frame::block(BlockKind::ListItem, depth, ordinal, None)
            }
            "pre" => {
                self.preformatted += 1;
                let language = code_language(element).or_else(|| self.highlights.last().and_then(|(_, l)| l.clone()));
                Frame::block(BlockKind::Code, 0, None, language)
            }
            "blockquote" => Frame::block(BlockKind::Quote, 0, None, None),
            "table" => {
                self.tables = self.tables.saturating_add(1);
                Frame::block(BlockKind::Paragraph, 0, None, None)
            }
            "tr" => {
                self.cells = Some(Vec::new());
                Frame::block(BlockKind::TableRow, self.tables, None, None)
            }
            "dl" => {
                let kind = dl_kind(element);
                if let DlKind::Api(_) = kind {
                    self.open_scope();
                }
                self.dls.push(Dl {
                    kind,
                    depth: self.depth,
                    terms: Vec::new(),
                    in_definition: false,
                    summary: Vec::new(),
                });
                Frame::block(BlockKind::Paragraph, 0, None, None)
            }
            "dt" => {
                // Several terms before one definition share it.
                if self.dls.last().is_some_and(|dl| dl.in_definition) {
                    self.end_definition();
                }
                match self.dls.last().map(|dl| dl.kind) {
                    Some(DlKind::Api(signature)) => {
                        let level = self.scopes.last().map_or_else(|| self.scoped_level(), |scope| scope.level);
                        Frame {
                            role: Role::Signature(signature),
                            ..Frame::block(BlockKind::Heading, level, None, None)
                        }
                    }
                    _ => Frame { role: Role::Term, ..Frame::block(BlockKind::Paragraph, 0, None, None) },
                }
            }
            "dd" => {
                if let Some(dl) = self.dls.last_mut() {
                    dl.in_definition = true;
                }
                self.inherited_frame()
            }
            _ => {
                let classes: Vec<&str> = element.classes().collect();
                let custom_admonition = name == "div"
                    && classes.contains(&"admonition")
                    && classes.iter().any(|class| class.starts_with("admonition-"));
                if custom_admonition || element_ref.is_some_and(is_docbook_sidebar) {
                    self.open_scope();
                }
                let in_scope_title =
                    self.scopes.last().is_some_and(|scope| scope.heading.is_none() && scope.depth < self.depth);
                if in_scope_title
                    && (classes.contains(&"admonition-title") || (name == "p" && classes.contains(&"title")))
                {
                    let level = self.scopes.last().map_or(1, |scope| scope.level);
                    Frame::block(BlockKind::Heading, level, None, None)
                } else {
                    self.inherited_frame()
                }
            }
        };
        self.frames.push(frame);
    }

    /// Lists and definition lists open around the current node (a field
    /// list's items are its parameters, at the level of the list around it).
    fn list_depth(&self) -> u8 {
        let definitions = self.dls.iter().filter(|dl| dl.kind == DlKind::Plain).count();
        u8::try_from(self.lists.len() + definitions).unwrap_or(u8::MAX)
    }

    /// A container's frame: inside a quote or list item, nested paragraphs
    /// keep the enclosing kind.
    fn inherited_frame(&mut self) -> Frame {
        let inherited = self.frames.last_mut().filter(|f| matches!(f.kind, BlockKind::Quote | BlockKind::ListItem));
        match inherited {
            Some(parent) => Frame::block(parent.kind, parent.level, parent.ordinal.take(), None),
            None => Frame::block(BlockKind::Paragraph, 0, None, None),
        }
    }

    /// Closes the backticks `open` wrote: around the code's text without its
    /// surrounding spaces, or not at all when the element held no text (or
    /// the block it was in ended inside it).
    fn close_inline_code(&mut self) {
        let Some(start) = self.code_start.take() else { return };
        // A cell or block that cleared the text inside the code leaves no
        // backtick at `start` to close.
        let opened =
            start >= 1 && self.inline.is_char_boundary(start) && self.inline.get(start - 1..start) == Some("`");
        if !opened {
            return;
        }
        let trimmed = self.inline.trim_end().len();
        self.inline.truncate(trimmed.max(start));
        let Some(code) = self.inline.get(start..).map(str::to_string) else { return };
        if code.is_empty() {
            self.inline.truncate(start - 1);
            return;
        }
        if code.contains('`') {
            self.inline.truncate(start - 1);
            self.inline.push_str(&crate::markdown::inline_code(&code));
        } else {
            self.inline.push('`');
        }
    }

    fn close(&mut self, element: &scraper::node::Element) {
        let name = element.name();
        if matches!(name, "article" | "main") {
            self.content_depth = self.content_depth.saturating_sub(1);
        }
        if self.highlights.last().is_some_and(|(depth, _)| *depth == self.depth) {
            self.highlights.pop();
        }
        if name == "table" && has_class(element, "highlighttable") {
            self.code_tables = self.code_tables.saturating_sub(1);
            return;
        }
        if matches!(name, "tr" | "td" | "th" | "tbody" | "thead") && self.code_tables > 0 {
            return;
        }
        if matches!(name, "td" | "th") && self.cell_depth == Some(self.depth) {
            self.cell_depth = None;
            let cell = collapse_whitespace(&std::mem::take(&mut self.inline)).replace('|', "\\|");
            if let Some(cells) = self.cells.as_mut() {
                cells.push(cell);
            }
            return;
        }
        if matches!(name, "code" | "tt" | "kbd" | "samp") && self.preformatted == 0 {
            self.inline_code = self.inline_code.saturating_sub(1);
            if self.inline_code == 0 {
                self.close_inline_code();
            }
            return;
        }
        if !BLOCK_ELEMENTS.contains(&name) {
            return;
        }
        if self.cell_depth.is_some() {
            self.space();
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
            "dd" => self.end_definition(),
            "dl" if self.dls.last().is_some_and(|dl| dl.depth == self.depth) => {
                self.end_definition();
                if let Some(dl) = self.dls.pop()
                    && !dl.summary.is_empty()
                {
                    self.push(BlockKind::Paragraph, 0, None, None, &dl.summary.join(". "));
                }
            }
            _ => {}
        }
        if self.scopes.last().is_some_and(|scope| scope.depth == self.depth)
            && let Some(scope) = self.scopes.pop()
            && scope.heading.is_some()
        {
            // Content after an object's description is about the section
            // around it: say that section's heading again before it.
            self.reheading = match self.scopes.last() {
                Some(Scope { level, heading: Some(heading), .. }) => Some((*level, heading.clone())),
                _ => self.section.clone(),
            };
        }
    }

    /// Ends a definition: terms without one become an item of their own.
    fn end_definition(&mut self) {
        let Some(dl) = self.dls.last_mut() else { return };
        dl.in_definition = false;
        if dl.terms.is_empty() {
            return;
        }
        let terms = std::mem::take(&mut dl.terms).join(", ");
        if dl.kind == DlKind::Plain {
            let level = self.list_depth().max(1);
            self.push(BlockKind::ListItem, level, None, None, &terms);
        }
    }

    /// Terms whose definition starts with a block that cannot carry them
    /// (code, a table) become an item of their own before it.
    fn terms_alone(&mut self) {
        if self.dls.last().is_some_and(|dl| dl.in_definition && dl.kind == DlKind::Plain) {
            self.end_definition();
            if let Some(dl) = self.dls.last_mut() {
                dl.in_definition = true;
            }
        }
    }

    /// Terms still waiting at the end of the page.
    fn finish_terms(&mut self) {
        while !self.dls.is_empty() {
            self.end_definition();
            if let Some(dl) = self.dls.pop()
                && !dl.summary.is_empty()
            {
                self.push(BlockKind::Paragraph, 0, None, None, &dl.summary.join(". "));
            }
        }
    }

    /// Ends the current block: the gathered text becomes a block of the
    /// innermost open element's kind.
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.inline);
        self.code_start = None;
        if text.trim().is_empty() {
            return;
        }
        let (kind, level, ordinal, language, role) = match self.frames.last_mut() {
            Some(frame) => (frame.kind, frame.level, frame.ordinal.take(), frame.language.clone(), frame.role),
            None => (BlockKind::Paragraph, 0, None, None, Role::Block),
        };
        if kind == BlockKind::Code {
            self.terms_alone();
            let code = text.trim_matches('\n');
            self.push(kind, level, ordinal, language, code);
            return;
        }
        // A dropped link label leaves its brackets: "xindy () rather".
        let text = collapse_whitespace(&text).replace(" ()", "").replace(" ( )", "");
        match role {
            Role::Term => {
                if let Some(dl) = self.dls.last_mut() {
                    dl.terms.push(text.trim_end_matches(':').trim_end().to_string());
                }
                return;
            }
            Role::Signature(signature) => {
                let text = signature_text(&text, signature);
                self.push(kind, level, ordinal, language, &text);
                return;
            }
            Role::Block => {}
        }
        let (kind, level, text) = self.with_term(kind, level, text);
        if !text.is_empty() {
            self.push(kind, level, ordinal, language, &text);
        }
    }

    /// The first block of a definition carries its terms: `term: text`. In a
    /// field list, `name – description` (a parameter) reads `name:
    /// description`, and `Type:`/`Default:` fields are kept for one summary
    /// paragraph.
    fn with_term(&mut self, kind: BlockKind, level: u8, text: String) -> (BlockKind, u8, String) {
        let list_level = self.list_depth().max(1);
        let Some(dl) = self.dls.last_mut().filter(|dl| dl.in_definition) else {
            return (kind, level, text);
        };
        let fields = dl.kind == DlKind::Fields;
        let text = if fields { parameter_text(&text).unwrap_or(text) } else { text };
        if dl.terms.is_empty() {
            return (kind, level, text);
        }
        if !matches!(kind, BlockKind::Paragraph | BlockKind::ListItem) {
            self.terms_alone();
            return (kind, level, text);
        }
        let terms = std::mem::take(&mut dl.terms).join(", ");
        if fields {
            let name = terms.to_lowercase();
            if matches!(name.as_str(), "type" | "default") {
                dl.summary.push(format!("{terms}: {}", text.trim_end_matches('.')));
                return (kind, level, String::new());
            }
            if parameter_text(&text).is_some() || kind == BlockKind::ListItem {
                return (BlockKind::ListItem, list_level, text);
            }
        }
        if let Some(stripped) = text.strip_prefix(&format!("{terms}:")) {
            return (BlockKind::ListItem, list_level, format!("{terms}:{stripped}"));
        }
        (BlockKind::ListItem, list_level, format!("{terms}: {text}"))
    }

    /// Pushes a block; a heading ends any pending repeat of the section
    /// heading, other blocks say it first.
    fn push(&mut self, kind: BlockKind, level: u8, ordinal: Option<u32>, language: Option<String>, text: &str) {
        if kind == BlockKind::Heading {
            // A permalink sign that escaped as text (no anchor around it).
            let text = text.trim_end_matches(|c: char| c == '¶' || c.is_whitespace());
            self.reheading = None;
            if text.is_empty() {
                return;
            }
            if let Some(scope) = self.scopes.last_mut().filter(|scope| scope.heading.is_none() && scope.level == level)
            {
                scope.heading = Some(text.to_string());
            } else if self.frames.iter().all(|frame| frame.role == Role::Block) && self.scopes.is_empty() {
                self.section = Some((level, text.to_string()));
            }
            self.builder.push(kind, level, ordinal, language, text);
            return;
        }
        if let Some((level, heading)) = self.reheading.take() {
            self.builder.push(BlockKind::Heading, level, None, None, &heading);
        }
        self.builder.push(kind, level, ordinal, language, text);
    }
}

/// A signature as a reader names the object: `.. toctree::` is `toctree`,
/// `:linenos: number` is `linenos: number`, `:index:` is `index`.
fn signature_text(text: &str, signature: Signature) -> String {
    let text = text.trim();
    match signature {
        Signature::Directive => {
            let text = text.strip_prefix("..").unwrap_or(text).trim_start();
            match text.split_once("::") {
                Some((name, argument)) if argument.trim().is_empty() => name.trim().to_string(),
                Some((name, argument)) => format!("{} {}", name.trim(), argument.trim()),
                None => text.to_string(),
            }
        }
        Signature::DirectiveOption => match text.strip_prefix(':').and_then(|rest| rest.split_once(':')) {
            Some((name, argument)) if argument.trim().is_empty() => name.trim().to_string(),
            Some((name, argument)) => format!("{}: {}", name.trim(), argument.trim()),
            None => text.to_string(),
        },
        Signature::Role => text.trim_matches(':').to_string(),
        Signature::Plain => text.to_string(),
    }
}

/// `path – description` (docutils' parameter item, with an en dash) as
/// `path: description`; `None` when the text is not one.
fn parameter_text(text: &str) -> Option<String> {
    let (name, description) = text.split_once(" – ")?;
    let short = !name.is_empty() && name.len() <= 80 && name.split_whitespace().count() <= 6;
    short.then(|| format!("{}: {}", name.trim(), description.trim()))
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

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
