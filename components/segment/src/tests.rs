use super::*;
use std::sync::OnceLock;

fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(Tokenizer::cl100k)
}

/// Builds a document from (kind, level, text) blocks the way ingest does.
fn document(blocks: &[(BlockKind, u8, &str)]) -> Document {
    let mut text = String::new();
    let mut out = Vec::new();
    for (kind, level, content) in blocks {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let start = text.len();
        text.push_str(content);
        out.push(Block {
            kind: *kind,
            level: *level,
            ordinal: None,
            span: Span::new(start, text.len()),
            language: None,
            page: None,
        });
    }
    Document {
        name: "doc.md".to_string(),
        format: brightrun_types::SourceFormat::Markdown,
        title: "Doc".to_string(),
        subject: None,
        text,
        blocks: out,
    }
}

fn config(max_tokens: u32, overlap_tokens: u32) -> SegmentConfig {
    SegmentConfig { max_tokens, overlap_tokens }
}

#[test]
fn counts_tokens_with_cl100k() {
    assert_eq!(tokenizer().count("hello world"), 2);
    assert_eq!(tokenizer().count(""), 0);
}

#[test]
fn starts_a_chunk_at_each_section_and_records_the_path() {
    let doc = document(&[
        (BlockKind::Heading, 1, "Guide"),
        (BlockKind::Paragraph, 0, "Intro sentence one. Intro sentence two."),
        (BlockKind::Heading, 2, "Install"),
        (BlockKind::Paragraph, 0, "Run the installer."),
        (BlockKind::Heading, 2, "Configure"),
        (BlockKind::Heading, 3, "Files"),
        (BlockKind::Paragraph, 0, "Edit the file."),
    ]);
    let chunks = segment(&doc, &config(512, 32), tokenizer()).expect("segments");
    let summary: Vec<(Vec<&str>, &str)> = chunks
        .iter()
        .map(|chunk| (chunk.section_path.iter().map(String::as_str).collect(), chunk.text.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (vec!["Guide"], "Guide\n\nIntro sentence one. Intro sentence two."),
            (vec!["Guide", "Install"], "Install\n\nRun the installer."),
            (vec!["Guide", "Configure", "Files"], "Configure\n\nFiles\n\nEdit the file."),
        ]
    );
    for chunk in &chunks {
        assert_eq!(chunk.span.slice(&doc.text), Some(chunk.text.as_str()));
        assert_eq!(chunk.token_count as usize, tokenizer().count(&chunk.text));
    }
}

#[test]
fn never_cuts_a_sentence_code_block_or_table_row() {
    let prose = "The first sentence is here, and it goes on for a while. The second one follows it closely, and is long too. A third closes the paragraph.";
    let code = "fn main() {\n    println!(\"a long line of code that must stay together\");\n}";
    let doc = document(&[
        (BlockKind::Paragraph, 0, prose),
        (BlockKind::Code, 0, code),
        (BlockKind::TableRow, 1, "name | value | description of the value"),
    ]);
    let chunks = segment(&doc, &config(16, 0), tokenizer()).expect("segments");
    let units: Vec<&str> = chunks.iter().map(|chunk| chunk.text.as_str()).collect();
    assert_eq!(
        units,
        vec![
            "The first sentence is here, and it goes on for a while.",
            "The second one follows it closely, and is long too.",
            "A third closes the paragraph.",
            code,
            "name | value | description of the value",
        ]
    );
}

#[test]
fn repeats_trailing_sentences_as_overlap() {
    let doc = document(&[(
        BlockKind::Paragraph,
        0,
        "Alpha beta gamma delta. Epsilon zeta eta theta. Iota kappa lambda mu. Nu xi omicron pi.",
    )]);
    let chunks = segment(&doc, &config(24, 8), tokenizer()).expect("segments");
    assert!(chunks.len() >= 2, "{chunks:?}");
    for pair in chunks.windows(2) {
        let (previous, next) = (&pair[0], &pair[1]);
        assert!(next.span.start < previous.span.end, "overlap expected: {previous:?} {next:?}");
        assert!(next.body_start >= previous.span.end, "body starts after the previous chunk");
    }
    for chunk in &chunks {
        assert!(chunk.token_count <= 24, "{chunk:?}");
    }
}

#[test]
fn clips_blocks_to_the_chunk() {
    let doc = document(&[(
        BlockKind::Paragraph,
        0,
        "One two three four five six seven eight nine. Ten eleven twelve thirteen fourteen fifteen.",
    )]);
    let chunks = segment(&doc, &config(16, 0), tokenizer()).expect("segments");
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[1].blocks.len(), 1);
    assert_eq!(chunks[1].blocks[0].span, chunks[1].span);
}

#[test]
fn errors_on_bad_budget_and_on_headings_only() {
    let doc = document(&[(BlockKind::Paragraph, 0, "Text.")]);
    let error = segment(&doc, &config(8, 0), tokenizer()).expect_err("budget too small");
    assert_eq!(
        error.to_string(),
        "doc.md: invalid config: max-tokens 8 and overlap-tokens 0: need max-tokens >= 16 and overlap-tokens < max-tokens"
    );
    let error = segment(&doc, &config(64, 64), tokenizer()).expect_err("overlap too big");
    assert!(error.to_string().contains("overlap-tokens 64"), "{error}");
    let headings = document(&[(BlockKind::Heading, 1, "Only"), (BlockKind::Heading, 2, "Headings")]);
    let error = segment(&headings, &config(64, 0), tokenizer()).expect_err("no body");
    assert_eq!(error.to_string(), "doc.md: no content: no text outside headings to make a chunk of");
}
