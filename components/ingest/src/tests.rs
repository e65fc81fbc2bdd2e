use super::*;

/// The one document `ingest` makes of `bytes`, with default settings.
fn ingest_one(name: &str, media_type: Option<&str>, bytes: &[u8]) -> Result<Document> {
    let ingested = ingest(name, media_type, bytes, &IngestConfig::default())?;
    assert_eq!(ingested.documents.len(), 1, "{name} gives one document");
    Ok(ingested.documents.into_iter().next().expect("one document"))
}

fn blocks(doc: &Document) -> Vec<(BlockKind, u8, Option<u32>, &str)> {
    doc.blocks
        .iter()
        .map(|block| (block.kind, block.level, block.ordinal, block.span.slice(&doc.text).unwrap_or("<bad span>")))
        .collect()
}

#[test]
fn decodes_markdown_structure_with_offsets_into_normalised_text() {
    let source = "# Cache guide\n\nThe **cache** keeps [results](http://x) close.\n\n\
                  ## Steps\n\n1. Stop the `worker`.\n2. Clear the cache.\n\n\
                  - loose\n  item\n\n> Quoted *words*.\n\n\
                  ```rust\nfn main() {}\n\nlet x = 1;\n```\n\n\
                  | Key | Value |\n|-----|-------|\n| a | 1 |\n| b | 2 |\n";
    let doc = ingest_one("guide.md", None, source.as_bytes()).expect("valid markdown");
    assert_eq!(doc.format, SourceFormat::Markdown);
    assert_eq!(doc.title, "Cache guide");
    assert_eq!(
        blocks(&doc),
        vec![
            (BlockKind::Heading, 1, None, "Cache guide"),
            (BlockKind::Paragraph, 0, None, "The cache keeps results close."),
            (BlockKind::Heading, 2, None, "Steps"),
            (BlockKind::ListItem, 1, Some(1), "Stop the `worker`."),
            (BlockKind::ListItem, 1, Some(2), "Clear the cache."),
            (BlockKind::ListItem, 1, None, "loose item"),
            (BlockKind::Quote, 0, None, "Quoted words."),
            (BlockKind::Code, 0, None, "fn main() {}\n\nlet x = 1;"),
            (BlockKind::TableRow, 1, None, "Key | Value"),
            (BlockKind::TableRow, 1, None, "a | 1"),
            (BlockKind::TableRow, 1, None, "b | 2"),
        ]
    );
    assert_eq!(doc.blocks[7].language.as_deref(), Some("rust"));
}

#[test]
fn keeps_nested_list_items_as_separate_blocks() {
    let doc = ingest_one("n.md", None, b"- outer\n  - inner one\n  - inner two\n- last\n").expect("valid");
    assert_eq!(
        blocks(&doc),
        vec![
            (BlockKind::ListItem, 1, None, "outer"),
            (BlockKind::ListItem, 2, None, "inner one"),
            (BlockKind::ListItem, 2, None, "inner two"),
            (BlockKind::ListItem, 1, None, "last"),
        ]
    );
}

#[test]
fn decodes_plain_text_conventions() {
    let source = "Operations Handbook\n===================\n\nOn-call duties\n\n\
                  The on-call engineer answers pages.\nThey keep notes.\n\n\
                  Before you start:\n1. Open the dashboard.\n2. Check alerts.\n\n    make deploy\n    make verify\n";
    let doc = ingest_one("handbook.txt", None, source.as_bytes()).expect("valid text");
    assert_eq!(doc.format, SourceFormat::PlainText);
    assert_eq!(
        blocks(&doc),
        vec![
            (BlockKind::Heading, 1, None, "Operations Handbook"),
            (BlockKind::Heading, 2, None, "On-call duties"),
            (BlockKind::Paragraph, 0, None, "The on-call engineer answers pages. They keep notes."),
            (BlockKind::Paragraph, 0, None, "Before you start:"),
            (BlockKind::ListItem, 1, Some(1), "Open the dashboard."),
            (BlockKind::ListItem, 1, Some(2), "Check alerts."),
            (BlockKind::Code, 0, None, "make deploy\nmake verify"),
        ]
    );
}

#[test]
fn detects_markdown_from_content_when_the_name_says_nothing() {
    let text = "# Title\n\nSome text with a [link](x).\n\n## More\n";
    assert_eq!(detect_format("notes", None, text), SourceFormat::Markdown);
    assert_eq!(detect_format("notes", None, "Just words.\n\nMore words.\n"), SourceFormat::PlainText);
    assert_eq!(detect_format("a.txt", None, text), SourceFormat::PlainText);
    assert_eq!(detect_format("a", Some("text/markdown"), "plain"), SourceFormat::Markdown);
}

#[test]
fn normalises_bom_and_line_endings() {
    let doc = ingest_one("w.txt", None, b"\xEF\xBB\xBFFirst line\r\nsecond line.\r\n\r\nNext.").expect("valid");
    assert_eq!(doc.text, "First line second line.\n\nNext.");
}

#[test]
fn decodes_utf16_with_bom() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Hello, world.".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let doc = ingest_one("u16.txt", None, &bytes).expect("valid utf-16");
    assert_eq!(doc.text, "Hello, world.");
}

#[test]
fn errors_name_the_document_and_the_problem() {
    let cases: Vec<(&str, &[u8], &str)> = vec![
        ("empty.txt", b"", "empty.txt: empty input: 0 bytes"),
        ("blank.md", b"  \n\n \t\n", "blank.md: empty input: 7 bytes, no text"),
        ("bad.txt", b"ok\xff\xfe rest", "bad.txt: invalid encoding: not valid UTF-8: byte 0xff at offset 2"),
        (
            "image.txt",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "image.txt: unsupported format: binary data, not text (control byte 0x00 at offset 8)",
        ),
        (
            "comment.md",
            b"<!-- nothing but a comment -->\n",
            "comment.md: no content: decoded as markdown but no text block was found",
        ),
        (
            "odd16.txt",
            b"\xFF\xFEa\x00b",
            "odd16.txt: invalid encoding: UTF-16 byte order mark but an odd number of bytes (5)",
        ),
    ];
    for (name, bytes, expected) in cases {
        let error = ingest_one(name, None, bytes).expect_err(name);
        assert_eq!(error.to_string(), expected, "{name}");
    }
}

#[test]
fn every_block_span_lies_on_char_boundaries() {
    let source = "# Überblick\n\nCafé — naïve façade. 日本語のテキスト。\n\n- ünïcödé item\n";
    let doc = ingest_one("u.md", None, source.as_bytes()).expect("valid");
    for block in &doc.blocks {
        assert!(block.span.slice(&doc.text).is_some(), "{block:?}");
    }
}

/// A tiny deterministic generator (xorshift64*) for the robustness tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn never_panics_and_keeps_spans_valid_on_arbitrary_input() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF0);
    let pieces = [
        "#",
        "## ",
        "- ",
        "1. ",
        "| a | b |\n|---|---|\n",
        "```",
        "> ",
        "\n",
        "\n\n",
        " ",
        "word",
        "*",
        "[x](y)",
        "\t",
        "\r\n",
        "é",
        "日本",
        "<b>",
        "    code",
        "?",
        ": ",
        "\u{feff}",
    ];
    for round in 0..2000 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            (0..rng.next() % 300).map(|_| rng.next() as u8).collect()
        } else {
            (0..rng.next() % 80).flat_map(|_| pieces[(rng.next() % pieces.len() as u64) as usize].bytes()).collect()
        };
        let name = if round % 3 == 0 { "fuzz.md" } else { "fuzz.txt" };
        if let Ok(ingested) = ingest(name, None, &bytes, &IngestConfig::default()) {
            for doc in &ingested.documents {
                for block in &doc.blocks {
                    let text = block.span.slice(&doc.text);
                    assert!(text.is_some_and(|t| !t.trim().is_empty()), "{bytes:?}: {block:?}");
                }
            }
        }
    }
}

#[test]
fn survives_deeply_nested_quotes_and_lists() {
    let quotes = format!("{}deep text\n", "> ".repeat(5000));
    let doc = ingest_one("quotes.md", None, quotes.as_bytes()).expect("nested quotes decode");
    assert!(doc.text.contains("deep text"));
    let mut lists = String::new();
    for depth in 0..500 {
        lists.push_str(&"  ".repeat(depth));
        lists.push_str("- item\n");
    }
    let doc = ingest_one("lists.md", None, lists.as_bytes()).expect("nested lists decode");
    assert!(!doc.blocks.is_empty());
}

// ---- Formats beyond text: fixtures made by tests/fixtures/make-format-fixtures.sh ----

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/formats/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn ingest_fixture(name: &str) -> Ingested {
    ingest(name, None, &fixture(name), &IngestConfig::default()).unwrap_or_else(|error| panic!("{error}"))
}

fn texts(doc: &Document, kind: BlockKind) -> Vec<&str> {
    doc.blocks.iter().filter(|b| b.kind == kind).filter_map(|b| b.span.slice(&doc.text)).collect()
}

/// Every block's span is a non-empty slice of the text, in order, without overlap.
fn assert_spans_valid(doc: &Document) {
    let mut end = 0;
    for block in &doc.blocks {
        assert!(block.span.start >= end, "{}: overlapping {block:?}", doc.name);
        let text = block.span.slice(&doc.text);
        assert!(text.is_some_and(|t| !t.trim().is_empty()), "{}: bad span {block:?}", doc.name);
        end = block.span.end;
    }
}

#[test]
fn html_keeps_the_main_content_and_drops_page_furniture() {
    let ingested = ingest_fixture("rate-limiting-wiki.html");
    assert!(ingested.warnings.is_empty(), "{:?}", ingested.warnings);
    let doc = &ingested.documents[0];
    assert_eq!(doc.format, SourceFormat::Html);
    assert_eq!(doc.title, "Rate Limiting with Token Buckets");
    assert_spans_valid(doc);
    for furniture in ["Team Wiki", "Signed in", "Recent changes", "Pager rota", "tracking code", "Privacy", "Home"] {
        assert!(!doc.text.contains(furniture), "kept page furniture {furniture:?}");
    }
    let headings = texts(doc, BlockKind::Heading);
    assert!(headings.contains(&"The token bucket") && headings.contains(&"Tuning the limits"), "{headings:?}");
    let rows = texts(doc, BlockKind::TableRow);
    assert_eq!(rows[0], "Plan | Average rate | Burst capacity");
    assert!(rows.contains(&"Free | 10 requests per second | 50 requests"), "{rows:?}");
    let code = doc.blocks.iter().find(|b| b.kind == BlockKind::Code).expect("a code block");
    assert_eq!(code.language.as_deref(), Some("python"));
    assert!(code.span.slice(&doc.text).is_some_and(|t| t.contains("class TokenBucket:\n")), "code keeps its lines");
}

#[test]
fn html_reads_the_declared_legacy_charset() {
    let doc = &ingest_fixture("legacy-cp1252.html").documents[0];
    assert_eq!(doc.title, "Café opening procedure");
    assert!(doc.text.contains("The café’s espresso machine needs 20 minutes to reach 93 °C"), "{}", doc.text);
    assert_eq!(
        blocks(doc)[2..],
        [
            (BlockKind::ListItem, 1, Some(1), "Switch on the machine."),
            (BlockKind::ListItem, 1, Some(2), "Flush the group head."),
        ]
    );
}

#[test]
fn html_structure_entities_lists_quotes_and_hidden_parts() {
    let page = r#"<html><head><title>Fallback</title><style>p { color: red }</style></head><body>
        <p>Fish &amp; chips&nbsp;cost &lt;5&gt; euros.<br>Second line with <b>bold</b>text and <img alt="a diagram"> here.</p>
        <ol start="3"><li>Third <ul><li>nested bullet</li></ul></li><li><p>Fourth, in a paragraph</p></li></ol>
        <blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote>
        <pre><code class="language-rust">fn main() {
    println!("hi");
}</code></pre>
        <div hidden>secret hidden text</div><div class="cookie-banner">Accept cookies</div>
        <table><tr><th>K</th><th>V</th></tr><tr><td>a|b</td><td>1</td></tr></table>
    </body></html>"#;
    let doc = ingest_one("page.html", None, page.as_bytes()).expect("decodes");
    assert_eq!(doc.title, "Fallback", "no heading: the <title> is the title");
    assert_eq!(
        blocks(&doc),
        vec![
            (
                BlockKind::Paragraph,
                0,
                None,
                "Fish & chips cost <5> euros. Second line with boldtext and a diagram here."
            ),
            (BlockKind::ListItem, 1, Some(3), "Third"),
            (BlockKind::ListItem, 2, None, "nested bullet"),
            (BlockKind::ListItem, 1, Some(4), "Fourth, in a paragraph"),
            (BlockKind::Quote, 0, None, "Quoted one."),
            (BlockKind::Quote, 0, None, "Quoted two."),
            (BlockKind::Code, 0, None, "fn main() {\n    println!(\"hi\");\n}"),
            (BlockKind::TableRow, 1, None, "K | V"),
            (BlockKind::TableRow, 1, None, "a\\|b | 1"),
        ]
    );
    assert_eq!(doc.blocks[6].language.as_deref(), Some("rust"));
}

#[test]
fn html_nested_thousands_deep_decodes_and_deeper_is_a_limit_error() {
    let doc = ingest_one("deep.html", None, &hostile::deeply_nested_html(4000)).expect("decodes");
    assert_eq!(texts(&doc, BlockKind::Paragraph), vec!["Deep text survives."]);
    let error = ingest_one("deeper.html", None, &hostile::deeply_nested_html(50_000)).expect_err("too deep");
    assert_eq!(
        error.to_string(),
        "deeper.html: limit exceeded: HTML nested 50000 elements deep, more than the 4096 the decoder accepts"
    );
}

#[test]
fn docx_headings_numbered_lists_and_code_from_pandoc() {
    let ingested = ingest_fixture("incident-runbook.docx");
    let doc = &ingested.documents[0];
    assert_eq!(doc.format, SourceFormat::Docx);
    assert_eq!(doc.title, "Delivery API Incident Runbook");
    assert_spans_valid(doc);
    let headings: Vec<(u8, &str)> = doc
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Heading)
        .map(|b| (b.level, b.span.slice(&doc.text).unwrap_or("")))
        .collect();
    assert_eq!(
        headings[..3],
        [(1, "Delivery API Incident Runbook"), (2, "Before you start"), (2, "High error rate on POST /messages")]
    );
    let steps: Vec<(Option<u32>, &str)> = doc
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::ListItem)
        .take(5)
        .map(|b| (b.ordinal, b.span.slice(&doc.text).unwrap_or("")))
        .collect();
    assert_eq!(steps[0], (Some(1), "Log in to the bastion host with your own account."));
    assert_eq!(steps[3].0, Some(4));
    assert_eq!(steps[4], (Some(1), "Open the queue dashboard and read the depth panel."), "each list restarts at 1");
}

#[test]
fn docx_quotes_and_code_paragraphs() {
    let doc = &ingest_fixture("sqlite-faq.docx").documents[0];
    assert!(texts(doc, BlockKind::Code).contains(&"CREATE TABLE t1(\n  a INTEGER PRIMARY KEY,\n  b INTEGER\n);"));
    assert!(texts(doc, BlockKind::Quote).iter().any(|q| q.starts_with("Short answer: A column declared INTEGER")));
}

#[test]
fn json_gives_one_document_per_record_and_warns_about_records_without_text() {
    let ingested = ingest_fixture("cms-export.json");
    assert_eq!(ingested.documents.len(), 12);
    assert_eq!(ingested.documents[0].name, "cms-export.json#/data/articles/0");
    assert!(ingested.documents.iter().all(|d| d.format == SourceFormat::Json));
    assert_eq!(ingested.warnings.len(), 1, "{:?}", ingested.warnings);
    assert_eq!(ingested.warnings[0].document, "cms-export.json#/data/articles/12");
    for doc in &ingested.documents {
        assert_spans_valid(doc);
        assert_eq!(doc.blocks[0].kind, BlockKind::Heading, "the record's title is its first heading");
        assert!(!doc.text.contains("<p>") && !doc.text.contains("**"), "markup decoded in {}", doc.name);
    }
}

#[test]
fn json_lines_skip_a_broken_line_and_keep_the_rest() {
    let ingested = ingest_fixture("runbook-sections.jsonl");
    assert_eq!(ingested.documents.len(), 6);
    assert_eq!(ingested.documents[1].name, "runbook-sections.jsonl#L2");
    assert_eq!(ingested.documents[2].name, "runbook-sections.jsonl#L4");
    assert_eq!(ingested.warnings.len(), 1);
    assert!(ingested.warnings[0].document.ends_with("#L3") && ingested.warnings[0].detail.starts_with("invalid JSON"));
    let first = &ingested.documents[0];
    assert_eq!(first.title, "Before you start");
    assert!(first.text.contains("Export the cluster name with `export CLUSTER=relay-prod`."), "inline code decoded");
}

#[test]
fn json_text_and_title_fields_are_configurable() {
    let config = IngestConfig {
        text_fields: vec!["answer".to_string()],
        title_fields: vec!["question".to_string()],
        ..IngestConfig::default()
    };
    let source = br#"[{"question": "Why cache?", "answer": "Caching avoids recomputing results."}]"#;
    let ingested = ingest("qa.json", None, source, &config).expect("decodes");
    assert_eq!(ingested.documents[0].text, "Why cache?\n\nCaching avoids recomputing results.");
    let error = ingest("qa.json", None, source, &IngestConfig::default()).expect_err("no default field");
    assert!(matches!(error, StageError::NoContent { .. }), "{error}");
}

#[test]
fn json_nested_thousands_deep_is_a_limit_error() {
    let error = ingest("deep.json", None, &hostile::deeply_nested_json(50_000), &IngestConfig::default())
        .expect_err("too deep");
    assert!(matches!(error, StageError::LimitExceeded { .. }), "{error}");
    assert!(error.to_string().starts_with("deep.json: limit exceeded: JSON nested deeper than 128 levels"), "{error}");
}

#[test]
fn pdf_pages_headings_and_no_running_headers_or_page_numbers() {
    let ingested = ingest_fixture("sqlite-atomic-commit.pdf");
    let doc = &ingested.documents[0];
    assert_eq!(doc.format, SourceFormat::Pdf);
    assert_spans_valid(doc);
    assert!(!doc.text.contains("SQLite: Atomic Commit"), "running header removed");
    assert!(!doc.text.contains("Page 1 of") && !doc.text.contains("Page 2 of"), "page-number footer removed");
    for artefact in ['\u{2010}', '\u{fb01}', '\u{ad}'] {
        let at = doc.text.find(artefact);
        let context = at.map(|at| &doc.text[doc.text.floor_char_boundary(at.saturating_sub(60))..at]);
        assert!(at.is_none(), "hyphens joined, ligatures expanded: {artefact:?} after {context:?}");
    }
    assert!(doc.text.contains("in both directions, both reading and writing"), "hyphenated word joined");
    let pages: Vec<u32> = doc.blocks.iter().map(|b| b.page.expect("every PDF block has a page")).collect();
    assert!(pages.windows(2).all(|w| w[0] <= w[1]) && pages[0] == 1 && *pages.last().unwrap_or(&0) >= 10);
    let headings = texts(doc, BlockKind::Heading);
    assert!(
        headings.contains(&"Hardware Assumptions") && headings.contains(&"3.2. Acquiring A Read Lock"),
        "{headings:?}"
    );
    let levels: Vec<u8> = doc.blocks.iter().filter(|b| b.kind == BlockKind::Heading).map(|b| b.level).collect();
    assert!(levels.contains(&1) && levels.contains(&2), "heading levels from font sizes: {levels:?}");
}

#[test]
fn pdf_two_columns_read_left_column_first() {
    let doc = &ingest_fixture("sqlite-wal-two-column.pdf").documents[0];
    let text = &doc.text;
    let position = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle:?} missing"));
    assert!(position("Advantages include:") < position("WAL is significantly faster"));
    assert!(position("WAL is significantly faster") < position("But there are also disadvantages"));
    let items: Vec<(Option<u32>, &str)> = doc
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::ListItem)
        .take(2)
        .map(|b| (b.ordinal, b.span.slice(text).unwrap_or("")))
        .collect();
    assert_eq!(items[0], (Some(1), "WAL is significantly faster in most scenarios."));
    assert_eq!(items[1].0, Some(2));
}

#[test]
fn hostile_files_give_typed_errors_naming_the_file() {
    let cases: &[(&str, &str)] = &[
        ("corrupt.pdf", "corrupt.pdf: corrupt: not a readable PDF"),
        ("truncated.pdf", "truncated.pdf: corrupt: not a readable PDF"),
        ("encrypted.pdf", "encrypted.pdf: encrypted: needs a password"),
        ("scanned-no-text.pdf", "scanned-no-text.pdf: no text layer: 1 page(s) and no text"),
        ("not-a-zip.docx", "not-a-zip.docx: corrupt: named as docx but the content is not"),
        ("truncated-zip.docx", "truncated-zip.docx: corrupt: starts like a zip archive"),
        ("image-named.txt", "image-named.txt: unsupported format: binary data"),
        ("latin1.txt", "latin1.txt: invalid encoding: not valid UTF-8: byte 0xe9 at offset 3"),
        ("empty.md", "empty.md: empty input: 0 bytes"),
    ];
    for (name, expected) in cases {
        let error = ingest(name, None, &fixture(name), &IngestConfig::default()).expect_err(name);
        assert!(error.to_string().starts_with(expected), "{name}: {error}");
    }
}

#[test]
fn decompression_bombs_stop_at_the_inflation_cap() {
    let config = IngestConfig { max_inflated_bytes: 4 << 20, ..IngestConfig::default() };
    let error = ingest("bomb.pdf", None, &hostile::flate_bomb_pdf(64 << 20), &config).expect_err("bomb");
    assert!(matches!(error, StageError::LimitExceeded { .. }), "{error}");
    let error = ingest("bomb.docx", None, &hostile::zip_bomb_docx(64 << 20), &config).expect_err("bomb");
    assert!(error.to_string().starts_with("bomb.docx: limit exceeded: word/document.xml inflates past"), "{error}");
}

#[test]
fn content_decides_and_a_misleading_extension_is_a_warning() {
    let ingested = ingest("report.txt", None, &fixture("incident-runbook.docx"), &IngestConfig::default())
        .expect("decoded as docx");
    assert_eq!(ingested.documents[0].format, SourceFormat::Docx);
    assert_eq!(ingested.warnings[0].detail, "named as plain-text but the content is docx; read as docx");
    let zip = hostile::zip_bomb_docx(0);
    let mut not_word = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    not_word.start_file("readme.txt", zip::write::SimpleFileOptions::default()).expect("entry");
    let not_word = not_word.finish().expect("zip").into_inner();
    let error = ingest("archive.docx", None, &not_word, &IngestConfig::default()).expect_err("not word");
    assert!(error.to_string().contains("without word/document.xml"), "{error}");
    assert!(ingest("empty-body.docx", None, &zip, &IngestConfig::default()).is_err(), "no text");
}

/// Inputs the fuzz targets (fuzz/) once crashed on, kept as regressions: each
/// decodes or fails with a typed error, named as its target names it.
#[test]
fn fuzz_regressions_decode_or_fail_with_a_typed_error() {
    let root = format!("{}/../../tests/fixtures/fuzz", env!("CARGO_MANIFEST_DIR"));
    let targets = [
        ("ingest_pdf", "report.pdf"),
        ("ingest_docx", "report.docx"),
        ("ingest_html", "page.html"),
        ("ingest_json", "records.json"),
        ("ingest_text", "notes.md"),
    ];
    let config = IngestConfig { max_inflated_bytes: 16 << 20, ..IngestConfig::default() };
    let mut checked = 0;
    for (target, name) in targets {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{target}")) else { continue };
        for entry in entries {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("readable");
            if let Ok(ingested) = ingest(name, None, &bytes, &config) {
                ingested.documents.iter().for_each(assert_spans_valid);
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no regression inputs found under {root}");
}

#[test]
fn markdown_from_pandoc_keeps_no_permalink_or_inline_html() {
    // pandoc's Markdown of Sphinx HTML keeps the permalink anchor and inline tags.
    let text = "# Signals<a href=\"#module-django.dispatch\" class=\"headerlink\"\ntitle=\"Permalink to this heading\">¶</a>\n\nDjango provides a\n<a href=\"../ref/signals.html\" class=\"reference internal\"><span\nclass=\"doc\">set of built-in signals</span></a> that let user code get notified.\n\n-   <a href=\"x.html\" class=\"reference internal\"><code\n    class=\"sourceCode python\">pre_save</code></a> is sent before a save.\n";
    let doc = ingest_one("signals.md", None, text.as_bytes()).expect("decodes");
    let got = blocks(&doc);
    assert_eq!(got[0], (BlockKind::Heading, 1, None, "Signals"));
    assert_eq!(got[1].3, "Django provides a set of built-in signals that let user code get notified.");
    assert_eq!(got[2].3, "`pre_save` is sent before a save.");
}
