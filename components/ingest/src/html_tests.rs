use brightrun_types::{BlockKind, Document, IngestConfig, SourceFormat};

use super::*;

use BlockKind::{Code, Heading, ListItem, Paragraph, TableRow};

/// The blocks `parse` makes of a page whose body is `body`.
fn blocks(body: &str) -> Vec<(BlockKind, u8, String)> {
    let (builder, _) = parse(&format!("<!doctype html><html><body><main>{body}</main></body></html>"));
    builder
        .blocks
        .iter()
        .map(|block| (block.kind, block.level, block.span.slice(&builder.text).unwrap_or("<bad span>").to_string()))
        .collect()
}

fn block(kind: BlockKind, level: u8, text: &str) -> (BlockKind, u8, String) {
    (kind, level, text.to_string())
}

#[test]
fn permalink_anchors_never_enter_headings_or_terms() {
    let body = r##"<h1>Models<a class="headerlink" href="#models" title="Permalink to this heading">¶</a></h1>
        <h2>Proxy models¶</h2>
        <h2 id="x">Fields <a href="#x">#</a></h2>
        <h3><a class="anchor" href="#y"><svg></svg></a>Options</h3>
        <h3>Links <a href="#z">🔗</a></h3>
        <dl><dt>term <a href="#t">§</a></dt><dd><p>definition</p></dd></dl>
        <p>A paragraph with <a href="#p">#</a> kept.</p>"##;
    assert_eq!(
        blocks(body),
        vec![
            block(Heading, 1, "Models"),
            block(Heading, 2, "Proxy models"),
            block(Heading, 2, "Fields"),
            block(Heading, 3, "Options"),
            block(Heading, 3, "Links"),
            block(ListItem, 1, "term: definition"),
            block(Paragraph, 0, "A paragraph with # kept."),
        ]
    );
}

#[test]
fn a_sphinx_function_is_a_heading_below_its_section_with_its_description() {
    let body = r##"<section><h2>Path functions<a class="headerlink" href="#p">¶</a></h2>
        <dl class="py function">
        <dt class="sig sig-object py" id="os.path.join">
        <span class="sig-prename descclassname"><span class="pre">os.path.</span></span><span class="sig-name descname"><span class="pre">join</span></span><span class="sig-paren">(</span><em class="sig-param"><span class="n"><span class="pre">path</span></span></em>, <em class="sig-param"><span class="o"><span class="pre">*</span></span><span class="n"><span class="pre">paths</span></span></em><span class="sig-paren">)</span><a class="reference internal" href="_modules/os.html#join"><span class="viewcode-link"><span class="pre">[source]</span></span></a><a class="headerlink" href="#os.path.join" title="Permalink to this definition">¶</a></dt>
        <dd><p>Join one or more path segments.</p>
        <div class="versionchanged"><p><span class="versionmodified changed">Changed in version 3.6: </span>Accepts a path-like object.</p></div>
        <dl class="field-list simple">
        <dt class="field-odd">Parameters<span class="colon">:</span></dt>
        <dd class="field-odd"><ul class="simple">
        <li><p><strong>path</strong> – the first segment</p></li>
        <li><p><strong>paths</strong> – more segments</p></li></ul></dd>
        <dt class="field-even">Returns<span class="colon">:</span></dt>
        <dd class="field-even"><p>the joined path</p></dd>
        </dl></dd></dl>
        <p>More about paths.</p></section>"##;
    assert_eq!(
        blocks(body),
        vec![
            block(Heading, 2, "Path functions"),
            block(Heading, 3, "os.path.join(path, *paths)"),
            block(Paragraph, 0, "Join one or more path segments."),
            block(ListItem, 1, "path: the first segment"),
            block(ListItem, 1, "paths: more segments"),
            block(ListItem, 1, "Returns: the joined path"),
            // After the description, the text is the section's again.
            block(Heading, 2, "Path functions"),
            block(Paragraph, 0, "More about paths."),
        ]
    );
}

#[test]
fn methods_inside_a_class_are_one_level_below_it() {
    let body = r##"<h2>Requests</h2>
        <dl class="py class"><dt class="sig sig-object py"><em class="property"><span class="pre">class</span> </em><span class="sig-name descname"><span class="pre">HttpRequest</span></span></dt>
        <dd><p>A request.</p>
        <dl class="py method"><dt class="sig sig-object py"><span class="sig-name descname"><span class="pre">get_host</span></span><span class="sig-paren">(</span><span class="sig-paren">)</span></dt><dd><p>The host.</p></dd></dl>
        <dl class="py method"><dt class="sig sig-object py"><span class="sig-name descname"><span class="pre">get_port</span></span><span class="sig-paren">(</span><span class="sig-paren">)</span></dt><dd><p>The port.</p></dd></dl>
        <p>More about requests.</p>
        </dd></dl>"##;
    assert_eq!(
        blocks(body),
        vec![
            block(Heading, 2, "Requests"),
            block(Heading, 3, "class HttpRequest"),
            block(Paragraph, 0, "A request."),
            block(Heading, 4, "get_host()"),
            block(Paragraph, 0, "The host."),
            block(Heading, 4, "get_port()"),
            block(Paragraph, 0, "The port."),
            block(Heading, 3, "class HttpRequest"),
            block(Paragraph, 0, "More about requests."),
        ]
    );
}

#[test]
fn a_confval_type_and_default_make_one_paragraph() {
    let body = r##"<h2>Options for HTML output</h2>
        <dl class="std confval"><dt class="sig sig-object std" id="confval-html_static_path">
        <span class="sig-name descname"><span class="pre">html_static_path</span></span><a class="headerlink" href="#confval-html_static_path">¶</a></dt>
        <dd><dl class="field-list simple">
        <dt class="field-odd">Type<span class="colon">:</span></dt><dd class="field-odd"><p>list of paths</p></dd>
        <dt class="field-even">Default<span class="colon">:</span></dt><dd class="field-even"><p><code class="docutils literal notranslate"><span class="pre">()</span></code></p></dd>
        </dl>
        <p>A list of paths that contain custom static files.</p></dd></dl>"##;
    assert_eq!(
        blocks(body),
        vec![
            block(Heading, 2, "Options for HTML output"),
            block(Heading, 3, "html_static_path"),
            block(Paragraph, 0, "Type: list of paths. Default: `()`"),
            block(Paragraph, 0, "A list of paths that contain custom static files."),
        ]
    );
}

#[test]
fn rst_directive_role_and_option_signatures_read_as_names() {
    let body = r##"<h1>Directives</h1>
        <dl class="rst directive"><dt class="sig sig-object rst"><span class="sig-name descname"><span class="pre">..</span> <span class="pre">toctree::</span></span></dt>
        <dd><p>Inserts a tree.</p>
        <dl class="rst directive:option"><dt class="sig sig-object rst"><span class="sig-name descname"><span class="pre">:maxdepth:</span></span><em class="property"> <span class="pre">number</span></em></dt><dd><p>How deep.</p></dd></dl>
        </dd></dl>
        <dl class="rst role"><dt class="sig sig-object rst"><span class="sig-name descname"><span class="pre">:doc:</span></span></dt><dd><p>Links a document.</p></dd></dl>
        <dl class="std setting"><dt id="std-setting-DEBUG"><code class="sig-name descname"><span class="pre">DEBUG</span></code></dt><dd><p>Debug mode.</p></dd></dl>"##;
    assert_eq!(
        blocks(body),
        vec![
            block(Heading, 1, "Directives"),
            block(Heading, 2, "toctree"),
            block(Paragraph, 0, "Inserts a tree."),
            block(Heading, 3, "maxdepth: number"),
            block(Paragraph, 0, "How deep."),
            block(Heading, 2, "doc"),
            block(Paragraph, 0, "Links a document."),
            block(Heading, 2, "DEBUG"),
            block(Paragraph, 0, "Debug mode."),
        ]
    );
}

#[test]
fn an_ordinary_definition_list_gives_one_item_per_entry() {
    let body = r##"<dl class="simple glossary">
        <dt>builder</dt><dd><p>A class that turns parsed documents into output.</p><p>A second paragraph.</p></dd>
        <dt>source</dt><dt>source directory</dt><dd>The directory with the sources.</dd>
        <dt>orphan</dt>
        <dt>environment:</dt><dd><pre>env = 1</pre></dd>
        <dt>last</dt>
        </dl>"##;
    assert_eq!(
        blocks(body),
        vec![
            block(ListItem, 1, "builder: A class that turns parsed documents into output."),
            block(Paragraph, 0, "A second paragraph."),
            block(ListItem, 1, "source, source directory: The directory with the sources."),
            block(ListItem, 1, "orphan, environment"),
            block(Code, 0, "env = 1"),
            block(ListItem, 1, "last"),
        ]
    );
}

#[test]
fn docbook_terms_separated_by_line_breaks_are_joined() {
    let body = r##"<div class="variablelist"><dl class="variablelist">
        <dt><span class="term"><code class="literal">NULLS DISTINCT</code></span><br /><span class="term"><code class="literal">NULLS NOT DISTINCT</code></span></dt>
        <dd><p>Whether nulls are distinct.</p></dd></dl></div>"##;
    assert_eq!(
        blocks(body),
        vec![block(ListItem, 1, "`NULLS DISTINCT`, `NULLS NOT DISTINCT`: Whether nulls are distinct.")]
    );
}

#[test]
fn version_notes_are_dropped_whole() {
    let body = r##"<p>Kept.</p>
        <div class="versionadded"><p><span class="versionmodified added">New in version 3.1: </span>caption option added.</p></div>
        <div class="versionchanged"><span class="title">Changed in Django 3.1:</span> <p>The argument was added.</p></div>
        <div class="deprecated"><p><span class="versionmodified deprecated">Deprecated since version 4.0: </span>Use other.</p></div>
        <p><span class="versionmodified">New in version 0.5.</span> Old style note.</p>
        <p>Also kept.</p>"##;
    assert_eq!(blocks(body), vec![block(Paragraph, 0, "Kept."), block(Paragraph, 0, "Also kept.")]);
}

#[test]
fn generated_furniture_is_dropped() {
    let body = r##"<div class="admonition seealso"><p class="admonition-title">See also</p><p>Other page.</p></div>
        <div class="contents topic" id="contents"><p class="topic-title">Table of Contents</p><ul><li><a href="#a">A</a></li></ul></div>
        <nav class="contents local"><ul><li><a href="#b">B</a></li></ul></nav>
        <div class="toctree-wrapper compound"><ul><li><a href="x.html">X</a></li></ul></div>
        <div class="admonition-todo admonition"><p class="admonition-title">Todo</p><p>Update this link.</p></div>
        <p>Text<a class="footnote-reference brackets" href="#f1" id="id1">1</a> and more<a class="footnote-reference" href="#f2">[2]</a>.</p>
        <div class="highlight-python notranslate"><div class="highlight"><pre><span></span><span class="linenos">1</span>x = 1
<span class="linenos">2</span>y = 2
</pre></div></div>
        <table class="highlighttable"><tr><td class="linenos"><div class="linenodiv"><pre>1</pre></div></td><td class="code"><div class="highlight"><pre>z = 3</pre></div></td></tr></table>"##;
    let (builder, _) = parse(&format!("<html><body><main>{body}</main></body></html>"));
    let languages: Vec<Option<&str>> = builder.blocks.iter().map(|block| block.language.as_deref()).collect();
    assert_eq!(
        blocks(body),
        vec![block(Paragraph, 0, "Text and more."), block(Code, 0, "x = 1\ny = 2"), block(Code, 0, "z = 3")]
    );
    assert_eq!(languages, vec![None, Some("python"), None]);
}

#[test]
fn postgresql_and_handbook_navigation_is_dropped() {
    let postgresql = r##"<html><body id="docContent"><div class="navheader"><table><tr><th>CREATE INDEX</th></tr><tr><td><a href="p.html">Prev</a></td><td><a href="u.html">Up</a></td></tr></table><hr /></div>
        <div class="refentry"><div class="refnamediv"><h2><span class="refentrytitle">CREATE INDEX</span></h2><p>CREATE INDEX — define a new index</p></div></div>
        <div class="navfooter"><hr /><table><tr><td><a href="p.html">Prev</a></td><td><a href="index.html">Home</a></td></tr></table></div></body></html>"##;
    let handbook = r##"<html><body><div id="banner"><a href="http://debian-handbook.info/get/"><span class="text">Download the ebook</span></a></div>
        <p id="title"><a class="left" href="http://www.debian.org"><img alt="Product Site" src="l.png" /></a><a class="right" href="index.html"><img alt="Documentation Site" src="r.png" /></a></p>
        <ul class="docnav top"><li class="previous"><a href="a.html"><strong>Prev</strong></a></li><li class="home">The Debian Administrator's Handbook</li></ul>
        <div class="section"><div class="titlepage"><div><div><h2 class="title">9.2. Remote Login</h2></div></div></div><div class="para">It is essential.</div>
        <div class="sidebar"><a id="sb"></a><div class="titlepage"><div><div><p class="title"><strong><span class="emphasis"><em>BACK TO BASICS</em></span> Client, <span class="emphasis"><em>server</em></span></strong></p></div></div></div><div class="para">A system where processes communicate.</div></div>
        <div class="para">After the box.</div></div>
        <ul class="docnav"><li class="previous"><a href="a.html"><strong>Prev</strong>Chapter 9</a></li></ul></body></html>"##;
    let decode = |page: &str| {
        let (builder, _) = parse(page);
        builder
            .blocks
            .iter()
            .map(|block| (block.kind, block.level, block.span.slice(&builder.text).unwrap_or("").to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        decode(postgresql),
        vec![block(Heading, 2, "CREATE INDEX"), block(Paragraph, 0, "CREATE INDEX — define a new index")]
    );
    assert_eq!(
        decode(handbook),
        vec![
            block(Heading, 2, "9.2. Remote Login"),
            block(Paragraph, 0, "It is essential."),
            block(Heading, 3, "Client, server"),
            block(Paragraph, 0, "A system where processes communicate."),
            block(Heading, 2, "9.2. Remote Login"),
            block(Paragraph, 0, "After the box."),
        ]
    );
}

#[test]
fn admonitions_keep_their_body_and_drop_the_label() {
    let body = r##"<h2>Setup</h2>
        <div class="admonition note"><p class="admonition-title">Note</p><p>Mind the gap.</p></div>
        <div class="tip"><h3 class="title">Tip</h3><p>Vacuum often.</p></div>
        <div class="admonition-table-name-quoting-for-oracle admonition"><p class="first admonition-title">Table name quoting for Oracle</p><p class="last">Names are shortened.</p></div>
        <p>After.</p>"##;
    assert_eq!(
        blocks(body),
        vec![
            block(Heading, 2, "Setup"),
            block(Paragraph, 0, "Mind the gap."),
            block(Paragraph, 0, "Vacuum often."),
            block(Heading, 3, "Table name quoting for Oracle"),
            block(Paragraph, 0, "Names are shortened."),
            block(Heading, 2, "Setup"),
            block(Paragraph, 0, "After."),
        ]
    );
}

#[test]
fn inline_code_stays_inline_and_sphinx_code_blocks_keep_their_language() {
    let body = r##"<p>Call <code class="docutils literal notranslate"><span class="pre">os.path.join()</span></code> first.</p>
        <div class="highlight-console notranslate"><div class="highlight"><pre><span></span><span class="gp">$ </span>make html
</pre></div></div>
        <div class="highlight-default notranslate"><div class="highlight"><pre>x = 1</pre></div></div>"##;
    let (builder, _) = parse(&format!("<html><body><main>{body}</main></body></html>"));
    assert_eq!(
        blocks(body),
        vec![
            block(Paragraph, 0, "Call `os.path.join()` first."),
            block(Code, 0, "$ make html"),
            block(Code, 0, "x = 1")
        ]
    );
    let languages: Vec<Option<&str>> = builder.blocks.iter().map(|block| block.language.as_deref()).collect();
    assert_eq!(languages, vec![None, Some("console"), Some("python")]);
}

#[test]
fn paragraphs_inside_table_cells_make_one_row() {
    let body = r##"<table><tbody><tr><td><p><code>environment.BuildEnvironment</code>([app])</p></td><td><p>The environment.</p><p>More.</p></td></tr></tbody></table>"##;
    assert_eq!(blocks(body), vec![block(TableRow, 1, "environment.BuildEnvironment([app]) | The environment. More.")]);
}

// ---- Real pages (tests/fixtures/html/SOURCES.md) ----

const FIXTURES: [&str; 4] = [
    "sphinx_usage_extensions_autosummary.html",
    "django_ref_models_options.html",
    "postgresql_sql-createindex.html",
    "handbook_sect.remote-login.html",
];

fn decode_fixture(name: &str) -> Document {
    let path = format!("{}/../../tests/fixtures/html/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let ingested = crate::ingest(name, None, &bytes, &IngestConfig::default()).expect("fixture decodes");
    ingested.documents.into_iter().next().expect("one document")
}

fn block_texts(doc: &Document) -> Vec<(BlockKind, u8, &str)> {
    doc.blocks.iter().map(|block| (block.kind, block.level, block.span.slice(&doc.text).unwrap_or(""))).collect()
}

/// The block after the first one equal to `(kind, text)`.
fn after<'d>(blocks: &[(BlockKind, u8, &'d str)], kind: BlockKind, text: &str) -> Option<(BlockKind, u8, &'d str)> {
    let at = blocks.iter().position(|(k, _, t)| *k == kind && *t == text)?;
    blocks.get(at + 1).copied()
}

#[test]
fn documentation_pages_decode_without_generator_residue() {
    for name in FIXTURES {
        let doc = decode_fixture(name);
        assert_eq!(doc.format, SourceFormat::Html, "{name}");
        for (kind, _, text) in block_texts(&doc) {
            if kind == Code {
                continue;
            }
            for residue in
                ["¶", "[source]", "Changed in version", "New in version", "Deprecated since version", "<", ">"]
            {
                assert!(!text.contains(residue), "{name}: {residue:?} in {kind:?} {text:?}");
            }
        }
    }
}

#[test]
fn sphinx_autosummary_page_has_object_headings_followed_by_their_descriptions() {
    let doc = decode_fixture("sphinx_usage_extensions_autosummary.html");
    let blocks = block_texts(&doc);
    assert_eq!(doc.title, "sphinx.ext.autosummary – Generate autodoc summaries");
    assert_eq!(
        after(&blocks, Heading, "autosummary"),
        Some((
            Paragraph,
            0,
            "Insert a table that contains links to documented items, and a short summary blurb (the first sentence \
             of the docstring) for each of them."
        ))
    );
    assert!(blocks.contains(&(Heading, 2, "autosummary")), "an rst directive one level below the h1");
    assert!(blocks.contains(&(Heading, 3, "autosummary_generate")), "a confval one level below its h2");
    let escape = after(&blocks, Heading, "escape(s)");
    assert!(
        escape.is_some_and(|(kind, _, text)| kind == Paragraph && text.starts_with("Escape any special characters"))
    );
    assert!(blocks.contains(&(Heading, 3, "underline(s, line='=')")));
    assert!(blocks.contains(&(
        TableRow,
        1,
        "environment.BuildEnvironment([app]) | The environment in which the ReST files are translated."
    )));
    assert!(
        blocks.iter().any(|(kind, _, text)| *kind == Code && text.starts_with("$ sphinx-autogen -o generated *.rst"))
    );
    assert!(
        blocks.contains(&(Paragraph, 0, "You can use the `autosummary` directive in the stub pages. Stub pages are generated also based on these directives.")),
        "the note's body, without its label"
    );
    assert!(!blocks.iter().any(|(_, _, text)| *text == "Note"));
}

#[test]
fn django_meta_options_are_attribute_headings_under_their_sections() {
    let doc = decode_fixture("django_ref_models_options.html");
    let blocks = block_texts(&doc);
    assert_eq!(doc.title, "Model Meta options");
    assert_eq!(after(&blocks, Heading, "abstract"), Some((Heading, 4, "Options.abstract")));
    assert_eq!(
        after(&blocks, Heading, "Options.abstract"),
        Some((Paragraph, 0, "If `abstract = True`, this model will be an abstract base class."))
    );
    let code = blocks.iter().position(|(kind, _, text)| *kind == Code && *text == "app_label = 'myapp'");
    assert_eq!(code.and_then(|at| doc.blocks.get(at)).and_then(|b| b.language.as_deref()), Some("python"));
    assert!(blocks.contains(&(Heading, 5, "Table name quoting for Oracle")), "a custom admonition's title");
    assert!(!blocks.iter().any(|(_, _, text)| text.contains("Django 3.2.25 documentation") || *text == "previous"));
}

#[test]
fn postgresql_reference_page_has_parameters_as_items_and_no_navigation() {
    let doc = decode_fixture("postgresql_sql-createindex.html");
    let blocks = block_texts(&doc);
    assert_eq!(blocks.first().copied(), Some((Heading, 2, "CREATE INDEX")));
    assert!(blocks.iter().any(|(kind, _, text)| *kind == ListItem
        && text.starts_with("`UNIQUE`: Causes the system to check for duplicate values in the table")));
    assert!(blocks.iter().any(|(kind, _, text)| *kind == ListItem
        && text.starts_with("`NULLS DISTINCT`, `NULLS NOT DISTINCT`: Specifies whether for a unique index")));
    assert!(
        blocks
            .iter()
            .any(|(kind, _, text)| *kind == Code && text.starts_with("CREATE [ UNIQUE ] INDEX [ CONCURRENTLY ]"))
    );
    assert!(!blocks.iter().any(|(_, _, text)| ["Prev", "Next", "Home", "Up"].iter().any(|nav| text.starts_with(nav))));
}

#[test]
fn handbook_page_keeps_its_boxes_and_drops_its_furniture() {
    let doc = decode_fixture("handbook_sect.remote-login.html");
    let blocks = block_texts(&doc);
    assert_eq!(doc.title, "9.2. Remote Login");
    let client = after(&blocks, Heading, "Client, server");
    assert!(
        client.is_some_and(|(kind, _, text)| kind == Paragraph && text.starts_with("A system where several processes"))
    );
    assert!(blocks.contains(&(Heading, 3, "9.2.1. Secure Remote Login: SSH")));
    for furniture in ["Download the ebook", "Product Site", "Documentation Site", "Prev"] {
        assert!(!blocks.iter().any(|(_, _, text)| text.contains(furniture)), "{furniture}");
    }
    // A box's category is a label; the text may still name a box by it.
    assert!(
        !blocks
            .iter()
            .any(|(kind, _, text)| *kind == Heading && (text.contains("BACK TO BASICS") || text.contains("CULTURE")))
    );
}

#[test]
fn a_link_labelled_only_doc_goes_with_its_brackets() {
    let body = r#"<p>The build will use <strong>xindy</strong> (<a href="http://xindy.sourceforge.net/">doc</a>) rather than makeindex.</p>"#;
    assert_eq!(blocks(body), [(Paragraph, 0, "The build will use xindy rather than makeindex.".to_string())]);
}
