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
    GenerateConfig { seed: 7, max_pairs_per_chunk: 8, tasks: Vec::new(), llm: None }
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
        assert_grounded(&c, pair);
    }
}

/// The rules every pair keeps: user and assistant alternate from the user,
/// an even number of turns, every assistant turn cites evidence that is
/// the source text at its span, and (but for a quoted code block) the
/// answer repeats it.
fn assert_grounded(c: &Chunk, pair: &Pair) {
    assert!(pair.turns.len() >= 2 && pair.turns.len().is_multiple_of(2), "{pair:?}");
    for (index, turn) in pair.turns.iter().enumerate() {
        let expected = if index % 2 == 0 { Role::User } else { Role::Assistant };
        assert_eq!(turn.role, expected, "{pair:?}");
        if turn.role == Role::Assistant {
            assert!(pair.evidence.iter().any(|e| e.turn as usize == index), "turn {index} cites nothing: {pair:?}");
        }
    }
    for evidence in &pair.evidence {
        assert_eq!(c.text_at(evidence.span), Some(evidence.text.as_str()), "{}", pair.id);
        let turn = &pair.turns[evidence.turn as usize];
        assert_eq!(turn.role, Role::Assistant, "{pair:?}");
        let quoted_code =
            pair.task == TaskType::CodeExplanation && pair.turns[0].content.contains(evidence.text.trim());
        let table = pair.task == TaskType::TableLookup;
        assert!(quoted_code || table || turn.content.contains(evidence.text.trim()), "{pair:?}");
    }
    assert_eq!(pair.chunk_index, c.index);
}

/// A chunk with a comparison, a code block and its introduction, and a table.
fn structured_sample() -> Chunk {
    chunk(
        &["Rate limits"],
        &[
            (
                BlockKind::Paragraph,
                None,
                "A token bucket is a counter that fills at a steady rate up to a fixed capacity. A fixed window counter is a counter that resets at the start of every window. A fixed window counter, by contrast, allows twice the limit at the boundary between two windows, unlike a token bucket.",
            ),
            (
                BlockKind::Paragraph,
                None,
                "The function below refills the bucket lazily, adding the tokens earned since the last request before it takes one.",
            ),
            (BlockKind::Code, None, "def allow(bucket, now):\n    bucket.refill(now)\n    return bucket.take(1)"),
            (BlockKind::TableRow, None, "Plan | Requests per second | Burst"),
            (BlockKind::TableRow, None, "Free | 10 | 50"),
            (BlockKind::TableRow, None, "Team | 100 | 500"),
        ],
    )
}

#[test]
fn compares_explains_code_and_looks_up_tables() {
    let mut c = structured_sample();
    if let Some(code) = c.blocks.iter_mut().find(|b| b.kind == BlockKind::Code) {
        code.language = Some("python".into());
    }
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let all = GenerateConfig { max_pairs_per_chunk: 32, ..config() };
    let pairs = generate(&c, &analysis, &all).expect("generates");
    for pair in &pairs {
        assert_grounded(&c, pair);
    }
    let of = |task: TaskType| pairs.iter().filter(move |p| p.task == task);

    let comparisons: Vec<&Pair> = of(TaskType::CompareContrast).collect();
    assert!(!comparisons.is_empty(), "{pairs:#?}");
    let question = comparisons[0].question().to_lowercase();
    assert!(question.contains("token bucket") && question.contains("fixed window counter"), "{question}");

    let code = of(TaskType::CodeExplanation).next().expect("a code explanation");
    assert!(code.turns[0].content.contains("```python\ndef allow(bucket, now):"), "{}", code.turns[0].content);
    assert!(code.turns[1].content.starts_with("The function below refills the bucket lazily"));

    let lookups: Vec<&Pair> = of(TaskType::TableLookup).collect();
    assert_eq!(lookups.len(), 2, "one per data row: {lookups:#?}");
    for lookup in &lookups {
        let answer = &lookup.turns[1].content;
        let row = &lookup.evidence[1].text;
        let cells: Vec<&str> = row.split(" | ").collect();
        assert!(
            answer.contains(cells[0]) && cells[1..].iter().any(|cell| answer.ends_with(&format!(" is {cell}."))),
            "{answer} from {row}"
        );
        assert_eq!(lookup.evidence[0].text, "Plan | Requests per second | Burst");
    }
}

#[test]
fn a_conversation_follows_the_chunk_with_evidence_per_answer() {
    let c = sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(
        &c,
        &analysis,
        &GenerateConfig {
            tasks: vec![TaskType::MultiTurn, TaskType::SectionSummary, TaskType::DefinitionQa, TaskType::ReasoningWhy],
            ..config()
        },
    )
    .expect("generates");
    let conversation = pairs.iter().find(|p| p.task == TaskType::MultiTurn).expect("a multi-turn pair");
    assert!(matches!(conversation.turns.len(), 4 | 6), "{conversation:#?}");
    assert_grounded(&c, conversation);
    let cited: std::collections::BTreeSet<u32> = conversation.evidence.iter().map(|e| e.turn).collect();
    let assistant_turns: std::collections::BTreeSet<u32> = (1..conversation.turns.len() as u32).step_by(2).collect();
    assert_eq!(cited, assistant_turns, "every answer cites its own evidence");
}

#[test]
fn a_table_continued_from_the_previous_chunk_is_not_asked_about() {
    let c = chunk(
        &["Plans"],
        &[(BlockKind::TableRow, None, "Team | 100 | 500"), (BlockKind::TableRow, None, "Scale | 1000 | 5000")],
    );
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    assert!(pairs.iter().all(|p| p.task != TaskType::TableLookup), "no header, no lookup: {pairs:#?}");
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

#[test]
fn a_chunk_that_continues_its_section_asks_about_its_own_focus() {
    let summaries = |c: &Chunk| -> Vec<String> {
        let analysis = brightrun_analyze::analyze(c).expect("analyses");
        let config = GenerateConfig { tasks: vec![TaskType::SectionSummary], ..config() };
        generate(c, &analysis, &config).expect("generates").into_iter().map(|p| p.turns[0].content.clone()).collect()
    };
    let continued = sample();
    let questions = summaries(&continued);
    assert_eq!(questions.len(), 1, "{questions:?}");
    let question = questions[0].to_lowercase();
    assert!(question.contains("journaling"), "names the section: {questions:?}");
    let analysis = brightrun_analyze::analyze(&continued).expect("analyses");
    let named = analysis.concepts.iter().any(|c| c.term.contains(' ') && question.contains(&c.term.to_lowercase()));
    assert!(named, "names a concept of the chunk as its focus: {questions:?}");

    // The chunk that opens the section asks about the section as a whole.
    let mut blocks = vec![(BlockKind::Heading, None, "Journaling")];
    blocks.push((
        BlockKind::Paragraph,
        None,
        "A rollback journal is a file that holds the original content of changed pages. SQLite writes the journal before it changes the database because a crash must not corrupt the file. The journal is deleted when the transaction commits. Readers never see a half-written page.",
    ));
    let opening = chunk(&["Storage", "Journaling"], &blocks);
    let opening_questions = summaries(&opening);
    assert_eq!(opening_questions.len(), 1);
    let pick = Phrasing { seed: 7, section: "Journaling".into() }.pick(
        TaskType::SectionSummary,
        "Journaling",
        templates::template_count(TaskType::SectionSummary),
    );
    assert_eq!(opening_questions[0], templates::summary("Journaling", pick));
    assert_ne!(opening_questions[0], questions[0]);
}
