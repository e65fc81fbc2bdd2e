use brightrun_types::{BlockKind, Document, IngestConfig, SourceFormat};

use super::*;

// ---- Helpers ---------------------------------------------------------------

const TOOLS: &str = include_str!("../../../tests/fixtures/rst/docutils-tools.txt");
const HACKING: &str = include_str!("../../../tests/fixtures/rst/docutils-hacking.txt");
const DOCTEST: &str = include_str!("../../../tests/fixtures/rst/sphinx-doctest.rst.txt");
const APPAPI: &str = include_str!("../../../tests/fixtures/rst/sphinx-appapi.rst.txt");
const ASCIIDOC: &str = include_str!("../../../tests/fixtures/rst/not-rst-asciidoc.txt");

/// Every fixture with the name it is ingested under: the docutils files are
/// `.txt`, so they reach the decoder through content detection.
const FIXTURES: [(&str, &str); 4] = [
    ("docutils-tools.txt", TOOLS),
    ("docutils-hacking.txt", HACKING),
    ("sphinx-doctest.rst.txt", DOCTEST),
    ("sphinx-appapi.rst.txt", APPAPI),
];

fn ingest_one(name: &str, text: &str) -> Document {
    let ingested = crate::ingest(name, None, text.as_bytes(), &IngestConfig::default()).expect("decodes");
    assert_eq!(ingested.documents.len(), 1, "{name} gives one document");
    ingested.documents.into_iter().next().expect("one document")
}

/// A decoded block: kind, level, ordinal, language and text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    kind: BlockKind,
    level: u8,
    ordinal: Option<u32>,
    language: Option<String>,
    text: String,
}

fn seen(doc: &Document) -> Vec<Seen> {
    doc.blocks
        .iter()
        .map(|block| Seen {
            kind: block.kind,
            level: block.level,
            ordinal: block.ordinal,
            language: block.language.clone(),
            text: block.span.slice(&doc.text).expect("span inside the text").to_string(),
        })
        .collect()
}

fn fixture_blocks(name: &str, text: &str) -> Vec<Seen> {
    let doc = ingest_one(name, text);
    assert_eq!(doc.format, SourceFormat::RestructuredText, "{name} is read as reStructuredText");
    seen(&doc)
}

/// Decodes an inline reStructuredText string through the public entry.
fn decode(source: &str) -> Vec<(BlockKind, u8, Option<u32>, String)> {
    seen(&ingest_one("inline.rst", source))
        .into_iter()
        .map(|block| (block.kind, block.level, block.ordinal, block.text))
        .collect()
}

fn texts(source: &str) -> Vec<String> {
    decode(source).into_iter().map(|(_, _, _, text)| text).collect()
}

fn paragraph(text: &str) -> (BlockKind, u8, Option<u32>, String) {
    (BlockKind::Paragraph, 0, None, text.to_string())
}

fn heading(level: u8, text: &str) -> (BlockKind, u8, Option<u32>, String) {
    (BlockKind::Heading, level, None, text.to_string())
}

fn item(level: u8, ordinal: Option<u32>, text: &str) -> (BlockKind, u8, Option<u32>, String) {
    (BlockKind::ListItem, level, ordinal, text.to_string())
}

fn code(text: &str) -> (BlockKind, u8, Option<u32>, String) {
    (BlockKind::Code, 0, None, text.to_string())
}

fn find<'b>(blocks: &'b [Seen], kind: BlockKind, text: &str) -> (usize, &'b Seen) {
    blocks
        .iter()
        .enumerate()
        .find(|(_, block)| block.kind == kind && block.text == text)
        .unwrap_or_else(|| panic!("no {kind:?} block {text:?} in {blocks:#?}"))
}

fn find_starting<'b>(blocks: &'b [Seen], kind: BlockKind, start: &str) -> (usize, &'b Seen) {
    blocks
        .iter()
        .enumerate()
        .find(|(_, block)| block.kind == kind && block.text.starts_with(start))
        .unwrap_or_else(|| panic!("no {kind:?} block starting {start:?} in {blocks:#?}"))
}

/// Stands for a code span in [`without_code_spans`].
const SPAN: char = '\u{1}';

/// Text with each Markdown code span (`` `x` `` and ``` `` x `` ```) replaced
/// by [`SPAN`]: what they hold is code, quoted as the document quotes it, but
/// a role or reference mark next to one is markup left over.
fn without_code_spans(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let fence = if after.starts_with("`` ") { "``" } else { "`" };
        let inner = &after[fence.len()..];
        match inner.find(fence) {
            Some(close) => {
                out.push(SPAN);
                rest = &inner[close + fence.len()..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The reStructuredText markup left in a prose block's text, if any.
fn markup_residue(kind: BlockKind, text: &str) -> Option<String> {
    let prose = without_code_spans(text);
    let chars: Vec<char> = prose.chars().collect();
    let role = chars.iter().enumerate().any(|(index, c)| {
        *c == ':' && {
            let name = chars[index + 1..].iter().take_while(|c| c.is_ascii_lowercase() || **c == ':').count();
            name > 1
                && chars.get(index + name) == Some(&':')
                && chars.get(index + name + 1).is_some_and(|c| *c == '`' || *c == SPAN)
        }
    });
    if role {
        return Some("a :role:`".to_string());
    }
    for line in prose.lines() {
        let trimmed = line.trim();
        if trimmed == "::" {
            return Some("a line of ::".to_string());
        }
        if let Some(rest) = trimmed.strip_prefix(".. ")
            && rest.split_whitespace().next().is_some_and(|word| word.ends_with("::"))
        {
            return Some("a directive line".to_string());
        }
    }
    // ``` ``literal`` ``` left as it was written; Markdown's ``` `` x `` ``` has spaces inside.
    let raw: Vec<char> = text.chars().collect();
    let doubled = raw.windows(2).enumerate().any(|(index, pair)| {
        pair == ['`', '`']
            && (raw.get(index + 2).is_some_and(|c| c.is_alphanumeric())
                || index.checked_sub(1).and_then(|before| raw.get(before)).is_some_and(|c| c.is_alphanumeric()))
    });
    if doubled {
        return Some("a ``literal``".to_string());
    }
    for needle in ["`_", "\u{1}_", "]_"] {
        if prose.contains(needle) {
            return Some(format!("{needle:?}"));
        }
    }
    let escape = chars.windows(2).any(|pair| {
        pair[0] == '\\' && pair[1].is_ascii_punctuation() && !(kind == BlockKind::TableRow && pair[1] == '|')
    });
    if escape {
        return Some("a backslash escape".to_string());
    }
    let adornment = chars.windows(4).any(|run| "=-~^*#".contains(run[0]) && run.iter().all(|c| *c == run[0]));
    if adornment {
        return Some("an adornment line".to_string());
    }
    let substitution = prose.split('|').collect::<Vec<_>>().windows(3).any(|parts| {
        let name = parts[1];
        !name.is_empty()
            && !name.starts_with(' ')
            && !name.ends_with(' ')
            && name.len() < 40
            && (parts[0].is_empty() || parts[0].ends_with(char::is_whitespace))
            && parts[2].chars().next().is_none_or(|c| c.is_whitespace() || ".,;:".contains(c))
    });
    if substitution {
        return Some("a |substitution|".to_string());
    }
    None
}

fn assert_no_markup(name: &str, blocks: &[Seen]) {
    for block in blocks.iter().filter(|block| block.kind != BlockKind::Code) {
        if let Some(residue) = markup_residue(block.kind, &block.text) {
            panic!("{name}: {residue} left in {:?} block {:?}", block.kind, block.text);
        }
    }
}

// ---- Real documents ------------------------------------------------------------

#[test]
fn decodes_every_fixture_as_restructured_text_without_markup_left_in_prose() {
    for (name, text) in FIXTURES {
        let blocks = fixture_blocks(name, text);
        assert!(blocks.len() > 20, "{name} gives its blocks");
        assert_no_markup(name, &blocks);
    }
}

#[test]
fn residue_check_catches_each_kind_of_markup() {
    let leaks = [
        "see :func:`join`",
        "a\n::",
        ".. note:: text",
        "see `this`_ link",
        "a note [1]_ here",
        "a |name| here",
        "an \\* escape",
        "a title\n=====",
        "a ``literal``",
    ];
    for leak in leaks {
        assert!(markup_residue(BlockKind::Paragraph, leak).is_some(), "{leak:?} is caught");
    }
    assert_eq!(markup_residue(BlockKind::Paragraph, "Run `make` and `` a`b `` then stop."), None);
    assert_eq!(markup_residue(BlockKind::TableRow, "a \\| b | c"), None);
}

#[test]
fn decodes_docutils_tools_guide() {
    let doc = ingest_one("docutils-tools.txt", TOOLS);
    assert_eq!(doc.title, "Docutils Front-End Tools");
    let blocks = seen(&doc);
    assert_eq!(blocks[0].text, "Docutils Front-End Tools");
    assert_eq!((blocks[0].kind, blocks[0].level), (BlockKind::Heading, 1));
    // Overlined `----` titles are level 2, underlined `====` level 3.
    assert_eq!(find(&blocks, BlockKind::Heading, "Introduction").1.level, 2);
    assert_eq!(find(&blocks, BlockKind::Heading, "Getting Help").1.level, 3);
    assert_eq!(find(&blocks, BlockKind::Heading, "buildhtml.py").1.level, 4);
    assert_eq!(find(&blocks, BlockKind::Heading, "Stylesheets").1.level, 5);
    // The docinfo (author, revision, date) is about the file, not the tools.
    assert!(!doc.text.contains("David Goodger") && !doc.text.contains("$Revision"));
    // `::` after text becomes `:`, the literal block is code, the footnote reference goes.
    let (at, _) = find(
        &blocks,
        BlockKind::Paragraph,
        "Most front ends have common options and the same command-line usage pattern \
         (see the tools below for concrete examples):",
    );
    assert_eq!(blocks[at + 1].kind, BlockKind::Code);
    assert_eq!(blocks[at + 1].text, "toolname [options] [<source> [<destination>]]");
    // `Pseudo-XML_ ::` loses the marker entirely.
    find(&blocks, BlockKind::Paragraph, "For example, to process a Markdown file \"`test.md`\" into Pseudo-XML");
    // A note's body is prose.
    find_starting(&blocks, BlockKind::Paragraph, "Docutils front-end tool support is currently under discussion.");
    // Field lists and a definition list holding field lists.
    find(&blocks, BlockKind::ListItem, "Config: See [docutils application]");
    let (at, _) = find(&blocks, BlockKind::ListItem, "`default`: This is a simplified version of S5's default theme.");
    assert_eq!(blocks[at + 1].text, "Main content: black serif text on a white background");
    assert_eq!(blocks[at + 1].level, 2);
    // An option list.
    find(&blocks, BlockKind::ListItem, "--pretty: Pretty-printed pseudo-XML (default)");
    find(
        &blocks,
        BlockKind::ListItem,
        "--test: Test data (Python list of input and pseudo-XML output strings; useful for creating new test cases)",
    );
    // Roles.
    find_starting(&blocks, BlockKind::Paragraph, "`quicktest.py` uses Python's default encoding.");
    assert!(doc.text.contains("(cf. PEP 540, PEP 538, PEP 597, and PEP 686)."));
    // The trailing Emacs comment is dropped.
    assert!(!doc.text.contains("Local Variables"));
}

#[test]
fn decodes_docutils_hackers_guide() {
    let doc = ingest_one("docutils-hacking.txt", HACKING);
    assert_eq!(doc.title, "Docutils Hacker's Guide");
    let blocks = seen(&doc);
    // Bibliographic fields go; the abstract stays.
    assert!(!doc.text.contains("Lea Wiemann"));
    find_starting(&blocks, BlockKind::ListItem, "Abstract: This is the introduction to Docutils");
    // A `unicode::` substitution with `:trim:`.
    assert!(doc.text.contains("replaced by a `refuri` attribute\u{2014}the reference has been resolved."));
    // `parsed-literal` is code with its inline markup rendered.
    let (_, parsed) = find_starting(&blocks, BlockKind::Code, "$ rst2pseudoxml.py test.txt");
    assert!(parsed.text.contains("<reference name=\"Python\" refuri=\"https://www.python.org/\">"));
    assert!(!parsed.text.contains("**") && !parsed.text.contains('`'));
    // A literal block keeps its markup verbatim.
    find(&blocks, BlockKind::Code, "My *favorite* language is Python_.\n\n.. _Python: https://www.python.org/");
    // A comment is dropped.
    assert!(!doc.text.contains("XXX"));
    assert_eq!(find(&blocks, BlockKind::Heading, "Reading the Document").1.level, 3);
}

#[test]
fn decodes_sphinx_doctest_extension_page() {
    let doc = ingest_one("sphinx-doctest.rst.txt", DOCTEST);
    assert_eq!(doc.title, "sphinx.ext.doctest -- Test snippets in the documentation");
    let blocks = seen(&doc);
    // `rst:directive` objects: the directive as a heading below its section.
    assert_eq!(find(&blocks, BlockKind::Heading, "Directives").1.level, 2);
    let (at, directive) = find(&blocks, BlockKind::Heading, "testsetup [group]");
    assert_eq!(directive.level, 3);
    assert_eq!(
        blocks[at + 1].text,
        "A setup code block. This code is not shown in the output for other builders, but executed before the \
         doctests of the group(s) it belongs to."
    );
    // Version notes are dropped with their bodies.
    assert!(!doc.text.contains("Supported PEP-440 operands"));
    // A role with a title and a target.
    find(&blocks, BlockKind::Paragraph, "`pyversion` option is followed PEP-440: Version Specifiers.");
    // `::` blocks take the `highlight` language; `code-block` its own.
    let (at, _) = find_starting(&blocks, BlockKind::ListItem, "`pyversion`, a string option");
    assert_eq!(blocks[at + 1].text, ".. doctest::\n   :pyversion: > 3.3");
    assert_eq!(blocks[at + 1].language.as_deref(), Some("rest"));
    let (_, conf) = find_starting(&blocks, BlockKind::Code, "extensions = ['sphinx.ext.doctest']");
    assert_eq!(conf.language.as_deref(), Some("py"));
    // A confval: its name, then its description.
    let (at, confval) = find(&blocks, BlockKind::Heading, "doctest_default_flags");
    assert_eq!(confval.level, 3);
    assert_eq!(blocks[at + 1].text, "By default, these options are enabled:");
    // `:rst:dir:` roles in a nested list.
    let (at, _) = find(&blocks, BlockKind::ListItem, "testsetup and testcleanup");
    assert_eq!(
        blocks[at + 1],
        Seen {
            kind: BlockKind::ListItem,
            level: 2,
            ordinal: None,
            language: None,
            text: "conditionally skip test setup and/or cleanup".to_string()
        }
    );
    // Module and index directives leave nothing.
    assert!(!doc.text.contains("synopsis") && !doc.text.contains("pair:"));
}

#[test]
fn decodes_sphinx_application_api() {
    let doc = ingest_one("sphinx-appapi.rst.txt", APPAPI);
    assert_eq!(doc.title, "Application API");
    let blocks = seen(&doc);
    // A class under `.. module:: sphinx.application`, one level below the title.
    let (at, class) = find(&blocks, BlockKind::Heading, "sphinx.application.Sphinx");
    assert_eq!(class.level, 2);
    assert_eq!(blocks[at + 1].text, "This application object has the public API described in the following.");
    let (at, attribute) = find(&blocks, BlockKind::Heading, "sphinx.application.Sphinx.project");
    assert_eq!(attribute.level, 3);
    assert_eq!(blocks[at + 1].text, "Target project. See Project.");
    // An event with a field list of parameters.
    let (at, event) = find(&blocks, BlockKind::Heading, "missing-reference (app, env, node, contnode)");
    assert_eq!(event.level, 3);
    assert_eq!(blocks[at + 1].kind, BlockKind::Paragraph);
    find(&blocks, BlockKind::ListItem, "env: The build environment (`app.builder.env`).");
    // After the objects, the next section has its own level again.
    assert_eq!(find(&blocks, BlockKind::Heading, "Checking the Sphinx version").1.level, 2);
    // `:meth:` with a leading dot; autodoc directives hold nothing here.
    assert!(doc.text.contains("Use Sphinx.connect() in an extension's `setup` function"));
    assert!(!doc.text.contains("setup_extension") && !doc.text.contains("automethod"));
    let (_, handler) = find_starting(&blocks, BlockKind::Code, "def source_read_handler(app, docname, source):");
    assert_eq!(handler.language.as_deref(), Some("python"));
}

// ---- Inline markup -----------------------------------------------------------

#[test]
fn renders_roles_as_sphinx_shows_them() {
    let cases = [
        (":func:`os.path.join`", "os.path.join()"),
        (":meth:`Sphinx.connect()`", "Sphinx.connect()"),
        (":py:func:`~os.path.join`", "join()"),
        (":class:`~foo.Bar`", "Bar"),
        (":class:`foo.Bar`", "foo.Bar"),
        (":mod:`!sphinx.ext`", "sphinx.ext"),
        (":ref:`Title <label>`", "Title"),
        (":ref:`my-long_label`", "my long label"),
        (":doc:`/usage/quickstart`", "quickstart"),
        (":doc:`the guide <usage/quickstart>`", "the guide"),
        (":option:`sphinx-build -b`", "sphinx-build -b"),
        (":envvar:`SPHINXOPTS`", "SPHINXOPTS"),
        (":confval:`html_theme`", "html_theme"),
        (":data:`sys.path`", "sys.path"),
        (":attr:`.Sphinx.srcdir`", "Sphinx.srcdir"),
        (":exc:`ValueError`", "ValueError"),
        (":program:`sphinx-build`", "sphinx-build"),
        (":file:`conf.py`", "conf.py"),
        (":samp:`print({x})`", "print(x)"),
        (":command:`make`", "make"),
        (":kbd:`Control-x`", "Control-x"),
        (":term:`builder`", "builder"),
        (":term:`builders <builder>`", "builders"),
        (":abbr:`LIFO (last-in, first-out)`", "LIFO (last-in, first-out)"),
        (":pep:`8`", "PEP 8"),
        (":PEP:`540`", "PEP 540"),
        (":pep:`docstrings <287>`", "docstrings"),
        (":rfc:`2822`", "RFC 2822"),
        (":math:`a^2 + \\alpha`", "a^2 + \\alpha"),
        (":guilabel:`&Cancel`", "Cancel"),
        (":any:`target <path.to.thing>`", "target"),
        (":custom-role:`shown`", "shown"),
        ("`shown`:custom:", "shown"),
        (":rst:dir:`toctree`", "toctree"),
    ];
    for (source, expected) in cases {
        assert_eq!(texts(&format!("Read {source} now.")), vec![format!("Read {expected} now.")], "{source}");
    }
}

#[test]
fn reduces_emphasis_literals_and_references_to_text() {
    let source = "A *light* and **strong** word, ``code here``, a `default role` text, \
                  `a link <https://example.com>`_, `Another link`_, `anonymous`__, word_ and \
                  two__ references, an inline _`target`, and an escaped \\*star\\* and \\`tick.";
    assert_eq!(
        texts(source),
        vec![
            "A light and strong word, `code here`, a default role text, a link, Another link, anonymous, word and \
             two references, an inline target, and an escaped *star* and `tick."
                .to_string()
        ]
    );
}

#[test]
fn leaves_text_that_only_looks_like_markup() {
    let source = "Compute 2*3*4 or a * b, keep snake_case_names and __init__, the path /tmp/x_, \
                  http://example.com/a_b_ and 'quoted *' marks.";
    assert_eq!(
        texts(source),
        vec![
            "Compute 2*3*4 or a * b, keep snake_case_names and __init__, the path /tmp/x, \
             http://example.com/a_b_ and 'quoted *' marks."
                .to_string()
        ]
    );
}

#[test]
fn writes_a_literal_holding_a_backquote_as_markdown_does() {
    assert_eq!(texts("Write ``:math:`x``` here."), vec!["Write `` :math:`x` `` here.".to_string()]);
}

#[test]
fn replaces_substitutions_and_drops_their_definitions() {
    let source = "The |project| tool is |version|; |undefined| stays a name and |dash| joins.\n\n\
                  .. |project| replace:: *Bright* run\n\
                  .. |version| replace:: version 2\n\
                  .. |dash| unicode:: U+2014 .. em dash\n   :trim:\n";
    assert_eq!(texts(source), vec!["The Bright run tool is version 2; undefined stays a name and\u{2014}joins."]);
}

#[test]
fn expands_a_self_referencing_substitution_a_bounded_number_of_times() {
    let source = "Loop |a| ends.\n\n.. |a| replace:: x |a|\n";
    assert_eq!(texts(source), vec!["Loop x x x a ends."]);
}

#[test]
fn removes_footnote_and_citation_references_and_bodies() {
    let source = "One [1]_, two [#]_, three [#note]_ and a citation [CIT2002]_.\n\n\
                  .. [1] First footnote.\n.. [#] Second\n   footnote.\n.. [#note] Third.\n\
                  .. [CIT2002] A citation.\n";
    assert_eq!(texts(source), vec!["One, two, three and a citation."]);
}

#[test]
fn uses_a_section_title_for_a_reference_to_its_label() {
    let source = "See :ref:`setup`.\n\n.. _setup:\n\nSetting *up*\n============\n\nText.\n";
    assert_eq!(texts(source), vec!["See Setting up.", "Setting up", "Text."]);
}

// ---- Sections ----------------------------------------------------------------

#[test]
fn levels_sections_by_the_order_adornment_styles_appear() {
    let source = "=====\nTitle\n=====\n\nIntro.\n\nFirst\n=====\n\nSub\n---\n\nText.\n\nSecond\n======\n\n\
                  Deeper\n~~~~~~\n\nMore.\n";
    assert_eq!(
        decode(source),
        vec![
            heading(1, "Title"),
            paragraph("Intro."),
            heading(2, "First"),
            heading(3, "Sub"),
            paragraph("Text."),
            heading(2, "Second"),
            heading(4, "Deeper"),
            paragraph("More."),
        ]
    );
}

#[test]
fn drops_transitions_and_keeps_inline_markup_out_of_titles() {
    let source = "The ``code`` *title*\n====================\n\nBefore.\n\n----------\n\nAfter.\n";
    assert_eq!(decode(source), vec![heading(1, "The `code` title"), paragraph("Before."), paragraph("After.")]);
}

#[test]
fn makes_a_rubric_a_heading_below_the_current_section() {
    let source = "Section\n=======\n\n.. rubric:: Footnotes\n\nText.\n";
    assert_eq!(decode(source), vec![heading(1, "Section"), heading(2, "Footnotes"), paragraph("Text.")]);
}

// ---- Directives --------------------------------------------------------------

#[test]
fn keeps_code_directives_and_literal_blocks_as_code() {
    let source = "Example::\n\n    x = *not emphasis*\n\n      indented\n\nAlone:\n\n::\n\n    raw `text`_\n\n\
                  Spaced ::\n\n    spaced\n\n.. code-block:: python\n   :caption: demo.py\n   :linenos:\n\n   \
                  print('hi')\n\n.. code:: sh\n\n   make\n\n.. sourcecode:: rust\n\n   fn main() {}\n\n\
                  .. literalinclude:: example.py\n   :lines: 1-3\n";
    let blocks = seen(&ingest_one("code.rst", source));
    let shown: Vec<(BlockKind, &str, Option<&str>)> =
        blocks.iter().map(|block| (block.kind, block.text.as_str(), block.language.as_deref())).collect();
    assert_eq!(
        shown,
        vec![
            (BlockKind::Paragraph, "Example:", None),
            (BlockKind::Code, "x = *not emphasis*\n\n  indented", None),
            (BlockKind::Paragraph, "Alone:", None),
            (BlockKind::Code, "raw `text`_", None),
            (BlockKind::Paragraph, "Spaced", None),
            (BlockKind::Code, "spaced", None),
            (BlockKind::Code, "print('hi')", Some("python")),
            (BlockKind::Code, "make", Some("sh")),
            (BlockKind::Code, "fn main() {}", Some("rust")),
        ]
    );
}

#[test]
fn gives_literal_blocks_the_highlight_language() {
    let source = ".. highlight:: console\n\nRun::\n\n   $ make\n";
    let blocks = seen(&ingest_one("highlight.rst", source));
    assert_eq!(blocks[1].language.as_deref(), Some("console"));
}

#[test]
fn reads_quoted_literal_blocks_and_doctest_blocks_as_code() {
    let source = "Mail::\n\n> quoted\n> lines\n\n>>> 1 + 1\n2\n";
    assert_eq!(decode(source), vec![paragraph("Mail:"), code("> quoted\n> lines"), code(">>> 1 + 1\n2")]);
}

#[test]
fn keeps_admonition_bodies_as_paragraphs() {
    let source = ".. note:: First line\n   continues.\n\n   Second paragraph.\n\n.. warning::\n\n   Careful.\n\n\
                  .. admonition:: Why it matters\n\n   Because.\n\n.. seealso:: The *other* page.\n\n\
                  .. Caution:: Capitals work too.\n";
    assert_eq!(
        decode(source),
        vec![
            paragraph("First line continues."),
            paragraph("Second paragraph."),
            paragraph("Careful."),
            paragraph("Why it matters"),
            paragraph("Because."),
            paragraph("The other page."),
            paragraph("Capitals work too."),
        ]
    );
}

#[test]
fn drops_machinery_directives_comments_and_targets() {
    let source = ".. toctree::\n   :maxdepth: 2\n\n   intro\n   usage\n\n.. index:: single: thing\n\n\
                  .. contents:: Table\n   :local:\n\n.. image:: logo.png\n   :alt: Logo\n\n\
                  .. versionadded:: 1.2\n   The feature arrived.\n\n.. versionchanged:: 2.0\n\n   Changed.\n\n\
                  .. deprecated:: 3.0\n.. _target:\n.. _named: https://example.com\n__ https://example.com\n\n\
                  .. a comment\n   spanning lines\n\n..\n   an indented comment body\n\n\
                  .. raw:: html\n\n   <b>raw</b>\n\n.. include:: other.rst\n.. meta::\n   :keywords: a, b\n\n\
                  .. currentmodule:: os\n.. default-role:: code\n.. tabularcolumns:: |l|l|\n\n\
                  .. audit-event:: open path os.open\n\nOnly this stays.\n";
    assert_eq!(decode(source), vec![paragraph("Only this stays.")]);
}

#[test]
fn keeps_the_body_of_only_and_containers() {
    let source = ".. only:: html\n\n   Shown in HTML.\n\n.. container:: box\n\n   Boxed.\n";
    assert_eq!(decode(source), vec![paragraph("Shown in HTML."), paragraph("Boxed.")]);
}

#[test]
fn keeps_a_figure_caption_only_when_it_is_prose() {
    let source = ".. figure:: a.png\n   :width: 50%\n\n   The build pipeline, stage by stage.\n\n   Legend text.\n\n\
                  .. figure:: b.png\n\n   b.png\n";
    assert_eq!(decode(source), vec![paragraph("The build pipeline, stage by stage.")]);
}

#[test]
fn reads_block_quotes_as_quotes_with_their_attribution() {
    let source = "Para.\n\n   A real quotation.\n\n   -- Someone\n\n..\n\n   After an empty comment.\n";
    assert_eq!(
        decode(source),
        vec![
            paragraph("Para."),
            (BlockKind::Quote, 0, None, "A real quotation.".to_string()),
            (BlockKind::Quote, 0, None, "\u{2014} Someone".to_string()),
            (BlockKind::Quote, 0, None, "After an empty comment.".to_string()),
        ]
    );
}

#[test]
fn reads_the_indented_body_of_a_removed_directive_as_paragraphs() {
    let source = ".. ifconfig:: releaselevel in ('alpha',)\n\n   Indented prose.\n\n.. unknown-directive:: arg\n   \
                  :option: x\n\n   More prose.\n";
    assert_eq!(decode(source), vec![paragraph("Indented prose."), paragraph("More prose.")]);
}

// ---- Object descriptions ---------------------------------------------------------

#[test]
fn makes_object_signatures_headings_below_the_section() {
    let source = "Paths\n=====\n\n.. module:: os.path\n\n.. function:: join(path, *paths)\n\n   \
                  Join paths.\n\n   :param path: The first path.\n   :type path: str\n   \
                  :param paths: More paths.\n   :returns: The joined path.\n   :rtype: str\n   \
                  :raises ValueError: When empty.\n\n.. class:: Walker(top)\n\n   A walker.\n\n   \
                  .. method:: step()\n\n      One step.\n\nAfter the objects.\n\nNext\n====\n\nEnd.\n";
    assert_eq!(
        decode(source),
        vec![
            heading(1, "Paths"),
            heading(2, "os.path.join(path, *paths)"),
            paragraph("Join paths."),
            item(1, None, "path (str): The first path."),
            item(1, None, "paths: More paths."),
            item(1, None, "Returns: The joined path."),
            item(1, None, "Return type: str"),
            item(1, None, "Raises ValueError: When empty."),
            heading(2, "os.path.Walker(top)"),
            paragraph("A walker."),
            heading(3, "step()"),
            paragraph("One step."),
            paragraph("After the objects."),
            heading(1, "Next"),
            paragraph("End."),
        ]
    );
}

#[test]
fn names_rst_directives_roles_options_and_confvals_plainly() {
    let source = "Ref\n===\n\n.. rst:directive:: .. toctree::\n\n   Makes a tree.\n\n\
                  .. rst:directive:option:: maxdepth: number\n\n   How deep.\n\n.. rst:role:: ref\n\n   Links.\n\n\
                  .. option:: -a, --all\n\n   Everything.\n\n.. envvar:: HOME\n\n   Home.\n\n\
                  .. confval:: html_theme\n   :type: ``str``\n   :default: ``'alabaster'``\n\n   The theme.\n\n\
                  .. py:function:: spam(eggs)\n                 spam(eggs, ham)\n\n   Spam.\n\n\
                  .. c:function:: int main(void)\n\n   Entry.\n";
    assert_eq!(
        decode(source),
        vec![
            heading(1, "Ref"),
            heading(2, "toctree"),
            paragraph("Makes a tree."),
            heading(2, "maxdepth: number"),
            paragraph("How deep."),
            heading(2, "ref"),
            paragraph("Links."),
            heading(2, "-a, --all"),
            paragraph("Everything."),
            heading(2, "HOME"),
            paragraph("Home."),
            heading(2, "html_theme"),
            paragraph("Type: `str`. Default: `'alabaster'`."),
            paragraph("The theme."),
            heading(2, "spam(eggs); spam(eggs, ham)"),
            paragraph("Spam."),
            heading(2, "int main(void)"),
            paragraph("Entry."),
        ]
    );
}

#[test]
fn tells_a_sphinx_class_from_a_docutils_class_directive() {
    let source = ".. class:: special\n\n   Styled paragraph.\n\n.. class:: Parser\n\n   Parses.\n";
    assert_eq!(decode(source), vec![paragraph("Styled paragraph."), heading(1, "Parser"), paragraph("Parses.")]);
}

// ---- Lists ---------------------------------------------------------------------

#[test]
fn decodes_bullet_and_enumerated_lists() {
    let source = "- one\n  continued\n- two\n\n  second paragraph\n\n  * nested\n\n+ plus\n\n\
                  1. first\n2. second\n\n#. auto\n#. auto again\n\n(a) alpha\n(b) beta\n\ni) roman\nii) two\n";
    assert_eq!(
        decode(source),
        vec![
            item(1, None, "one continued"),
            item(1, None, "two second paragraph"),
            item(2, None, "nested"),
            item(1, None, "plus"),
            item(1, Some(1), "first"),
            item(1, Some(2), "second"),
            // `#.` continues the list above, as in docutils.
            item(1, Some(3), "auto"),
            item(1, Some(4), "auto again"),
            item(1, Some(1), "alpha"),
            item(1, Some(2), "beta"),
            item(1, Some(1), "roman"),
            item(1, Some(2), "two"),
        ]
    );
}

#[test]
fn keeps_a_literal_block_inside_a_list_item() {
    let source = "* Run this::\n\n     make\n\n* Then stop.\n";
    assert_eq!(decode(source), vec![item(1, None, "Run this:"), code("make"), item(1, None, "Then stop.")]);
}

#[test]
fn reads_a_sentence_starting_like_an_enumerator_as_text() {
    assert_eq!(texts("A. Smith wrote this\nand more.\n"), vec!["A. Smith wrote this and more."]);
}

#[test]
fn decodes_definition_lists_as_term_and_definition() {
    let source = "term\n    The definition,\n    on two lines.\n\nother : classifier\n    Another.\n\n\
                  ``code``\n    Code term.\n";
    assert_eq!(
        decode(source),
        vec![
            item(1, None, "term: The definition, on two lines."),
            item(1, None, "other (classifier): Another."),
            item(1, None, "`code`: Code term."),
        ]
    );
}

#[test]
fn decodes_field_and_option_lists() {
    let source = "Intro.\n\n:Version: 1.0\n:Web site: https://example.com\n:Body: spans\n  two lines\n\n\
                  -a, --all     Show all.\n-f FILE       Read FILE.\n--output=<path>\n              Write there.\n";
    assert_eq!(
        decode(source),
        vec![
            paragraph("Intro."),
            item(1, None, "Version: 1.0"),
            item(1, None, "Web site: https://example.com"),
            item(1, None, "Body: spans two lines"),
            item(1, None, "-a, --all: Show all."),
            item(1, None, "-f FILE: Read FILE."),
            item(1, None, "--output=<path>: Write there."),
        ]
    );
}

#[test]
fn drops_the_docinfo_but_keeps_its_other_fields() {
    let source = "=====\nGuide\n=====\n\n:Author: Someone\n:Contact: a@b.c\n:Revision: $Revision: 1 $\n\
                  :Date: 2020-01-01\n:Copyright: Public domain.\n:Abstract: What this is.\n\nBody.\n";
    assert_eq!(decode(source), vec![heading(1, "Guide"), item(1, None, "Abstract: What this is."), paragraph("Body.")]);
}

#[test]
fn decodes_line_blocks_as_one_paragraph_per_stanza() {
    let source = "| First line\n| second *line*\n|\n| new stanza\n   continued\n";
    assert_eq!(decode(source), vec![paragraph("First line\nsecond line"), paragraph("new stanza continued")]);
}

// ---- Tables --------------------------------------------------------------------

fn row(table: u8, text: &str) -> (BlockKind, u8, Option<u32>, String) {
    (BlockKind::TableRow, table, None, text.to_string())
}

#[test]
fn decodes_grid_tables_one_row_per_band() {
    let source = "+--------+----------+\n| Key    | Value    |\n+========+==========+\n| a      | multi    |\n\
                  |        | line     |\n+--------+----------+\n| spans both        |\n+-------------------+\n";
    assert_eq!(decode(source), vec![row(1, "Key | Value"), row(1, "a | multi line"), row(1, "spans both")]);
}

#[test]
fn decodes_simple_tables_with_continuation_lines_and_spans() {
    let source = "=====  =====\n  Both heads\n------------\nA      B\n=====  =====\n1      one\n       more\n\
                  2      ``two``\n=====  =====\n\nAfter.\n";
    assert_eq!(
        decode(source),
        vec![row(1, "Both heads"), row(1, "A | B"), row(1, "1 | one more"), row(1, "2 | `two`"), paragraph("After.")]
    );
}

#[test]
fn decodes_list_and_csv_tables() {
    let source = ".. list-table:: Caption\n   :header-rows: 1\n\n   * - Name\n     - Role\n   * - Ada\n     - \
                  *Author*\n\n.. csv-table:: Scores\n   :header: \"Team\", \"Score\"\n\n   \"Reds, United\", 3\n   \
                  Blues, 1\n";
    assert_eq!(
        decode(source),
        vec![
            row(1, "Name | Role"),
            row(1, "Ada | Author"),
            row(2, "Team | Score"),
            row(2, "Reds, United | 3"),
            row(2, "Blues | 1"),
        ]
    );
}

#[test]
fn escapes_a_bar_inside_a_cell_as_the_other_decoders_do() {
    let source = "=====  =====\na      ``x|y``\n=====  =====\n";
    assert_eq!(decode(source), vec![row(1, "a | `x\\|y`")]);
}

// ---- Detection ------------------------------------------------------------------

#[test]
fn detects_docutils_and_sphinx_sources() {
    for (name, text) in FIXTURES {
        assert!(looks_like(text), "{name} looks like reStructuredText");
    }
    let dev_corpus_style = "=======================\n README: Docutils 0.19\n=======================\n\n\
                            :Author: David Goodger\n:Contact: goodger@python.org\n\n.. contents::\n\n\
                            Quick-Start\n===========\n\nUse a shell command like::\n\n    rst2html FAQ.txt FAQ.html\n\n\
                            See Usage_ below.\n\n.. _Usage: #usage\n";
    assert!(looks_like(dev_corpus_style));
    let sphinx_style = "Templating\n==========\n\nSphinx uses :program:`Jinja` and the :confval:`templates_path`.\n\n\
                        .. note::\n\n   Read :doc:`theming` first.\n";
    assert!(looks_like(sphinx_style));
}

#[test]
fn detects_neither_markdown_asciidoc_nor_prose() {
    let markdown = "# Title\n\nSome *text* with a [link](http://x.org) and `code`.\n\n## Section\n\n\
                    ```sh\n.. code-block:: not rst, inside a fence\n.. note:: neither\n```\n\nSetext\n======\n";
    assert!(!looks_like(markdown));
    assert!(!looks_like(ASCIIDOC), "Git's git-commit.txt is AsciiDoc");
    let prose = "Meeting notes\n=============\n\nWe agreed to ship on Friday. Everyone: bring snacks.\n\n\
                 Next steps\n----------\n\nAlice writes the notes; Bob reviews them.\n";
    assert!(!looks_like(prose));
    assert!(!looks_like(""));
}

#[test]
fn routes_a_txt_file_by_its_content() {
    assert_eq!(ingest_one("tools.txt", TOOLS).format, SourceFormat::RestructuredText);
    assert_ne!(ingest_one("git-commit.txt", ASCIIDOC).format, SourceFormat::RestructuredText);
}

// ---- Robustness -------------------------------------------------------------------

#[test]
fn survives_every_prefix_of_every_fixture() {
    for (_, text) in FIXTURES {
        for cut in (0..text.len()).step_by(97) {
            let prefix = &text[..text.floor_char_boundary(cut)];
            let builder = parse(prefix);
            for block in &builder.blocks {
                assert!(block.span.slice(&builder.text).is_some());
            }
        }
    }
}

#[test]
fn survives_hostile_shapes() {
    let deep_indent: String = (0..5_000).map(|depth| format!("{}text {depth}\n", " ".repeat(depth))).collect();
    let deep_bullets: String = (0..3_000).map(|depth| format!("{}- item\n\n", "  ".repeat(depth))).collect();
    let deep_quotes: String = (0..3_000).map(|depth| format!("{}quote\n\n", " ".repeat(depth))).collect();
    let nested_markers = "- ".repeat(20_000);
    let long_line = "*a `b :c: |d [e _`f ``g **h \\".repeat(40_000);
    let unclosed = "``a *b **c `d |e _`f ".repeat(50_000);
    let tabs = format!("{}x\n", "\t".repeat(100_000));
    let tables = "+--+\n|  |\n| +\n+==\n=====  ===\n  x\n===\n.. list-table::\n\n   * - a\n     * b\n".repeat(2_000);
    let directives = ".. note::\n   .. warning::\n      .. tip::\n         ".repeat(500);
    for hostile in
        [deep_indent, deep_bullets, deep_quotes, nested_markers, long_line, unclosed, tabs, tables, directives]
    {
        let builder = parse(&hostile);
        for block in &builder.blocks {
            assert!(block.span.slice(&builder.text).is_some());
        }
    }
}

#[test]
fn decodes_ten_megabytes_in_one_pass() {
    let big = TOOLS.repeat(10 * 1024 * 1024 / TOOLS.len() + 1);
    let builder = parse(&big);
    assert!(builder.blocks.len() > 100_000);
}

#[test]
fn a_parameter_in_emphasis_in_its_objects_description_reads_as_code() {
    let text = ".. option:: -t tag\n\n   Define the tag *tag*.  This is relevant for *only* **tag** uses.\n\n\
                .. function:: hasdoc(document)\n\n   Check if a document with the name *document* exists.\n\n\
                Outside, *tag* is emphasis.\n";
    let decoded: Vec<String> = decode(text).into_iter().map(|(_, _, _, text)| text).collect();
    let decoded = decoded.join("\n");
    assert!(decoded.contains("Define the tag `tag`. This is relevant for only tag uses."), "{decoded}");
    assert!(decoded.contains("Check if a document with the name `document` exists."), "{decoded}");
    assert!(decoded.contains("Outside, tag is emphasis."), "{decoded}");
}
