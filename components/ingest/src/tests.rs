use super::*;

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
    let doc = ingest("guide.md", None, source.as_bytes()).expect("valid markdown");
    assert_eq!(doc.format, SourceFormat::Markdown);
    assert_eq!(doc.title, "Cache guide");
    assert_eq!(
        blocks(&doc),
        vec![
            (BlockKind::Heading, 1, None, "Cache guide"),
            (BlockKind::Paragraph, 0, None, "The cache keeps results close."),
            (BlockKind::Heading, 2, None, "Steps"),
            (BlockKind::ListItem, 1, Some(1), "Stop the worker."),
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
    let doc = ingest("n.md", None, b"- outer\n  - inner one\n  - inner two\n- last\n").expect("valid");
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
    let doc = ingest("handbook.txt", None, source.as_bytes()).expect("valid text");
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
    let doc = ingest("w.txt", None, b"\xEF\xBB\xBFFirst line\r\nsecond line.\r\n\r\nNext.").expect("valid");
    assert_eq!(doc.text, "First line second line.\n\nNext.");
}

#[test]
fn decodes_utf16_with_bom() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Hello, world.".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let doc = ingest("u16.txt", None, &bytes).expect("valid utf-16");
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
        let error = ingest(name, None, bytes).expect_err(name);
        assert_eq!(error.to_string(), expected, "{name}");
    }
}

#[test]
fn every_block_span_lies_on_char_boundaries() {
    let source = "# Überblick\n\nCafé — naïve façade. 日本語のテキスト。\n\n- ünïcödé item\n";
    let doc = ingest("u.md", None, source.as_bytes()).expect("valid");
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
        if let Ok(doc) = ingest(name, None, &bytes) {
            for block in &doc.blocks {
                assert!(block.span.slice(&doc.text).is_some_and(|t| !t.trim().is_empty()), "{bytes:?}: {block:?}");
            }
        }
    }
}

#[test]
fn survives_deeply_nested_quotes_and_lists() {
    let quotes = format!("{}deep text\n", "> ".repeat(5000));
    let doc = ingest("quotes.md", None, quotes.as_bytes()).expect("nested quotes decode");
    assert!(doc.text.contains("deep text"));
    let mut lists = String::new();
    for depth in 0..500 {
        lists.push_str(&"  ".repeat(depth));
        lists.push_str("- item\n");
    }
    let doc = ingest("lists.md", None, lists.as_bytes()).expect("nested lists decode");
    assert!(!doc.blocks.is_empty());
}
