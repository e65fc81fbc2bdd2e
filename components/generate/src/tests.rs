use super::*;
use brightrun_types::{Block, Difficulty};

fn chunk(section: &[&str], blocks: &[(BlockKind, Option<u32>, &str)]) -> Chunk {
    const BASE: usize = 40;
    let mut text = String::new();
    let mut out = Vec::new();
    for (kind, ordinal, content) in blocks {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let start = BASE + text.len();
        text.push_str(content);
        let level = if matches!(kind, BlockKind::Heading | BlockKind::ListItem) { 1 } else { 0 };
        out.push(Block {
            kind: *kind,
            level,
            ordinal: *ordinal,
            span: Span::new(start, BASE + text.len()),
            language: None,
            page: None,
        });
    }
    Chunk {
        document: "guide.md".to_string(),
        index: 3,
        section_path: section.iter().map(|s| s.to_string()).collect(),
        span: Span::new(BASE, BASE + text.len()),
        body_start: BASE as u32,
        token_count: 0,
        text,
        blocks: out,
    }
}

fn config() -> GenerateConfig {
    GenerateConfig { seed: 7, max_pairs_per_chunk: 8, tasks: Vec::new() }
}

fn sample() -> Chunk {
    chunk(
        &["Storage", "Journaling"],
        &[
            (
                BlockKind::Paragraph,
                None,
                "A rollback journal is a file that holds the original content of changed pages. SQLite writes the journal before it changes the database because a crash must not corrupt the file. The journal is deleted when the transaction commits. Readers never see a half-written page.",
            ),
            (BlockKind::Paragraph, None, "To recover after a crash:"),
            (BlockKind::ListItem, Some(1), "Open the database."),
            (BlockKind::ListItem, Some(2), "Let SQLite find the hot journal."),
            (BlockKind::ListItem, Some(3), "Wait for the rollback to finish."),
        ],
    )
}

#[test]
fn every_pair_cites_evidence_that_is_the_source_text() {
    let c = sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    let tasks: Vec<TaskType> = pairs.iter().map(|p| p.task).collect();
    for task in
        [TaskType::DefinitionQa, TaskType::ProcedureInstruction, TaskType::ReasoningWhy, TaskType::SectionSummary]
    {
        assert!(tasks.contains(&task), "{task} missing from {tasks:?}");
    }
    for pair in &pairs {
        assert_eq!(pair.turns.len(), 2);
        assert_eq!(pair.turns[0].role, Role::User);
        assert_eq!(pair.turns[1].role, Role::Assistant);
        assert!(!pair.evidence.is_empty());
        for evidence in &pair.evidence {
            assert_eq!(c.text_at(evidence.span), Some(evidence.text.as_str()), "{}", pair.id);
            assert!(pair.turns[1].content.contains(evidence.text.trim()), "{pair:?}");
        }
        assert_eq!(pair.chunk_index, 3);
    }
}

#[test]
fn answers_a_procedure_with_numbered_steps() {
    let c = sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let config = GenerateConfig { tasks: vec![TaskType::ProcedureInstruction], ..config() };
    let pairs = generate(&c, &analysis, &config).expect("generates");
    assert_eq!(pairs.len(), 1);
    assert!(pairs[0].turns[0].content.contains("recover after a crash"), "{}", pairs[0].turns[0].content);
    assert_eq!(
        pairs[0].turns[1].content,
        "1. Open the database.\n2. Let SQLite find the hot journal.\n3. Wait for the rollback to finish."
    );
    assert_eq!(pairs[0].evidence.len(), 3);
}

#[test]
fn is_deterministic_for_a_seed_and_varies_phrasing_across_terms() {
    let c = sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let first = generate(&c, &analysis, &config()).expect("generates");
    let second = generate(&c, &analysis, &config()).expect("generates");
    assert_eq!(first, second);
    let mut openings: Vec<String> = Vec::new();
    for term in ["cache", "journal", "page", "lock", "checkpoint", "cursor", "schema", "index", "vacuum", "pragma"] {
        let phrase = Phrasing { seed: 7, section: "Storage".to_string() };
        let pick = phrase.pick(TaskType::DefinitionQa, term, template_count(TaskType::DefinitionQa));
        openings.push(templates::definition("X", "S", false, pick));
    }
    openings.sort();
    openings.dedup();
    assert!(openings.len() >= 4, "only {} phrasings over ten terms: {openings:?}", openings.len());
}

#[test]
fn skips_the_overlap_it_repeats_from_the_previous_chunk() {
    let mut c = sample();
    c.body_start = c.blocks[1].span.start;
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    for pair in &pairs {
        for evidence in &pair.evidence {
            assert!(evidence.span.start >= c.body_start, "{pair:?}");
        }
    }
    assert!(!pairs.is_empty());
}

#[test]
fn caps_pairs_per_chunk_and_rejects_a_zero_cap() {
    let c = sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let capped = generate(&c, &analysis, &GenerateConfig { max_pairs_per_chunk: 2, ..config() }).expect("generates");
    assert_eq!(capped.len(), 2);
    assert_ne!(capped[0].task, capped[1].task, "round robin over tasks");
    let error = generate(&c, &analysis, &GenerateConfig { max_pairs_per_chunk: 0, ..config() }).expect_err("zero");
    assert_eq!(
        error.to_string(),
        "guide.md: invalid config: max-pairs-per-chunk 0 for chunk 3 with the analysis of chunk 3"
    );
}

#[test]
fn copies_difficulty_and_content_type_from_the_analysis() {
    let c = sample();
    let mut analysis = brightrun_analyze::analyze(&c).expect("analyses");
    analysis.difficulty = Difficulty::Hard;
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    assert!(pairs.iter().all(|p| p.difficulty == Difficulty::Hard && p.content_type == analysis.content_type));
}
