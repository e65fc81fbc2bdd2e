use super::*;
use brightrun_types::Block;

/// A chunk of (kind, ordinal, text) blocks joined by blank lines, starting at
/// document offset 100 so tests catch chunk/document offset mix-ups.
fn chunk(section: &[&str], blocks: &[(BlockKind, Option<u32>, &str)]) -> Chunk {
    const BASE: usize = 100;
    let mut text = String::new();
    let mut out = Vec::new();
    for (kind, ordinal, content) in blocks {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let start = BASE + text.len();
        text.push_str(content);
        let level = if *kind == BlockKind::Heading || *kind == BlockKind::ListItem { 1 } else { 0 };
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
        document: "doc.md".to_string(),
        index: 0,
        section_path: section.iter().map(|s| s.to_string()).collect(),
        subject: None,
        span: Span::new(BASE, BASE + text.len()),
        body_start: BASE as u32,
        token_count: 0,
        text,
        blocks: out,
    }
}

fn para(text: &str) -> (BlockKind, Option<u32>, &str) {
    (BlockKind::Paragraph, None, text)
}

#[test]
fn finds_definitions_by_pattern() {
    let cases = [
        (
            "A write-ahead log is a file that records every change before it is applied.",
            Some(("write-ahead log", "a file that records every change before it is applied")),
        ),
        (
            "Checkpointing means copying pages from the log back into the database.",
            Some(("Checkpointing", "copying pages from the log back into the database")),
        ),
        (
            "The error budget refers to the downtime a service may have in a quarter.",
            Some(("error budget", "the downtime a service may have in a quarter")),
        ),
        ("It is a good idea to restart the service first.", None),
        ("This is the most common mistake people make.", None),
        ("When the disk is full, writes fail with an error.", None),
        ("Certificates are renewed automatically 30 days before they expire.", None),
        ("Chat messages are easy to miss at night.", None),
        ("The most common cause is a full message queue.", None),
        ("The unix VFS is the only one that refers to locks.", None),
        ("The developers of SQLite are confident that it is robust.", None),
        ("The previous example is a specific case of a more general problem.", None),
        (
            "Checkpoints are copies of the log folded back into the database file.",
            Some(("Checkpoints", "copies of the log folded back into the database file")),
        ),
    ];
    for (sentence, expected) in cases {
        let analysis = analyze(&chunk(&[], &[para(sentence)])).expect("analyses");
        let found = analysis.definitions.first().map(|d| (d.term.as_str(), d.meaning.as_str()));
        assert_eq!(found, expected, "{sentence}");
    }
}

#[test]
fn splits_reasoning_into_premise_and_explanation() {
    let cases = [
        (
            "Writers block readers because the lock is held for the whole transaction.",
            ReasoningKind::Cause,
            "Writers block readers",
            "the lock is held for the whole transaction",
        ),
        (
            "Because the lock is held for the whole transaction, writers block readers.",
            ReasoningKind::Cause,
            "writers block readers",
            "the lock is held for the whole transaction",
        ),
        (
            "Never delete the journal unless the database has been closed cleanly.",
            ReasoningKind::Condition,
            "Never delete the journal",
            "the database has been closed cleanly",
        ),
        (
            "The cache is shared, therefore every worker sees the same entries.",
            ReasoningKind::Consequence,
            "The cache is shared",
            "every worker sees the same entries",
        ),
    ];
    for (sentence, kind, premise, explanation) in cases {
        let analysis = analyze(&chunk(&[], &[para(sentence)])).expect("analyses");
        let found = analysis.reasoning.first().expect(sentence);
        assert_eq!((found.kind, found.premise.as_str(), found.explanation.as_str()), (kind, premise, explanation));
    }
}

#[test]
fn reads_numbered_lists_as_procedures_with_their_goal() {
    let c = chunk(
        &["Runbook", "Rotate keys"],
        &[
            para("To rotate the signing key:"),
            (BlockKind::ListItem, Some(1), "Generate a new key pair."),
            (BlockKind::ListItem, Some(2), "Upload the public key."),
            (BlockKind::ListItem, Some(3), "Restart the signer."),
        ],
    );
    let analysis = analyze(&c).expect("analyses");
    assert_eq!(analysis.procedures.len(), 1);
    let procedure = &analysis.procedures[0];
    assert_eq!(procedure.goal, "To rotate the signing key");
    let steps: Vec<&str> = procedure.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(steps, ["Generate a new key pair.", "Upload the public key.", "Restart the signer."]);
    for step in &procedure.steps {
        assert_eq!(c.text_at(step.span), Some(step.text.as_str()));
    }
    assert_eq!(analysis.content_type, ContentType::Procedural);
}

#[test]
fn pairs_questions_with_their_answers() {
    let c = chunk(
        &["FAQ"],
        &[
            (BlockKind::Heading, None, "Can I use it offline?"),
            para("Yes. Every stage runs locally and needs no network."),
            (BlockKind::Paragraph, None, "(2) Is it free?"),
            para("It is licensed under Apache 2.0."),
        ],
    );
    let analysis = analyze(&c).expect("analyses");
    let entries: Vec<(&str, &str)> = analysis.faq.iter().map(|f| (f.question.as_str(), f.answer.as_str())).collect();
    assert_eq!(
        entries,
        [
            ("Can I use it offline?", "Yes. Every stage runs locally and needs no network."),
            ("Is it free?", "It is licensed under Apache 2.0.")
        ]
    );
    assert_eq!(analysis.content_type, ContentType::Faq);
}

#[test]
fn finds_claims_numbers_and_concepts() {
    let c = chunk(
        &["Page cache"],
        &[para(
            "The page cache holds 2000 pages by default. Each page is 4 KiB. The page cache must be flushed before a checkpoint. Pages stay in the page cache until evicted.",
        )],
    );
    let analysis = analyze(&c).expect("analyses");
    assert_eq!(analysis.numbers, ["2000 pages", "4 KiB"]);
    assert!(analysis.claims.iter().any(|claim| claim.text.starts_with("The page cache must be flushed")));
    assert_eq!(analysis.concepts.first().map(|c| c.term.as_str()), Some("page cache"));
    let first = &analysis.concepts[0];
    assert_eq!(c.text_at(first.span), Some("page cache"));
}

#[test]
fn rates_difficulty_by_grade_level() {
    let easy = chunk(&[], &[para("The cat sat. The dog ran. We went home. It was fun.")]);
    assert_eq!(analyze(&easy).expect("analyses").difficulty, Difficulty::Easy);
    let hard = chunk(
        &[],
        &[para(
            "Serializable isolation guarantees that concurrently executing transactions produce outcomes indistinguishable from some sequential ordering, notwithstanding considerable implementation complexity regarding predicate locking.",
        )],
    );
    assert_eq!(analyze(&hard).expect("analyses").difficulty, Difficulty::Hard);
}

#[test]
fn errors_when_chunk_text_does_not_match_its_span() {
    let mut c = chunk(&[], &[para("Some text here.")]);
    c.span.end += 5;
    let error = analyze(&c).expect_err("mismatch");
    assert_eq!(error.to_string(), "doc.md: no content: chunk 0 has 15 bytes of text for a span of 20 bytes");
}

#[test]
fn ends_an_faq_answer_at_the_next_labelled_question() {
    let c = chunk(
        &["FAQ"],
        &[
            para("(2) What datatypes does it support?"),
            para("It uses dynamic typing."),
            para("(3) It lets me insert a string into an integer column!"),
            para("This is a feature, not a bug."),
        ],
    );
    let analysis = analyze(&c).expect("analyses");
    let entries: Vec<(&str, &str)> = analysis.faq.iter().map(|f| (f.question.as_str(), f.answer.as_str())).collect();
    assert_eq!(
        entries,
        [
            ("What datatypes does it support?", "It uses dynamic typing."),
            ("It lets me insert a string into an integer column!", "This is a feature, not a bug."),
        ]
    );
}

#[test]
fn does_not_take_numbered_headings_for_questions() {
    let c = chunk(&["Intro"], &[(BlockKind::Heading, None, "1. Introduction"), para("Some text follows here.")]);
    assert!(analyze(&c).expect("analyses").faq.is_empty());
}

#[test]
fn reads_a_numbered_list_of_reasons_as_no_procedure() {
    let c = chunk(
        &["Exclusive mode"],
        &[
            para("The advantage of exclusive mode is that disk I/O is reduced in three ways:"),
            (BlockKind::ListItem, Some(1), "The change counter is not incremented."),
            (BlockKind::ListItem, Some(2), "The shared memory is not used."),
        ],
    );
    assert!(analyze(&c).expect("analyses").procedures.is_empty());
}

#[test]
fn does_not_read_a_numbered_list_of_questions_as_a_procedure() {
    let c = chunk(
        &["FAQ"],
        &[
            (BlockKind::ListItem, Some(1), "How do I create a table?"),
            (BlockKind::ListItem, Some(2), "What types are supported?"),
            (BlockKind::ListItem, Some(3), "Is it thread-safe?"),
        ],
    );
    assert!(analyze(&c).expect("analyses").procedures.is_empty());
}

#[test]
fn looks_words_up_in_the_sets_as_lowercasing_them_would() {
    let sets = [&text::STOPWORDS, &OBLIGATION_WORDS, &UNITS, &CLAUSE_WORDS, &NOT_A_TERM, &IMPERATIVE_VERBS];
    for set in sets {
        for entry in set.iter() {
            assert_eq!(entry.to_lowercase(), *entry, "a set entry is not lowercase");
            assert!(entry.len() <= text::LONGEST_LISTED_WORD, "raise LONGEST_LISTED_WORD for {entry}");
            assert!(lowercase_in(set, entry) && lowercase_in(set, &entry.to_uppercase()), "{entry}");
        }
    }
    // The Kelvin sign lowercases to an ASCII "k": only the slow path sees it.
    for word in [
        "The",
        "THE",
        "the",
        "Thé",
        "MUST",
        "Must",
        "Kb",
        "\u{212A}b",
        "KiB",
        "Don't",
        "don’t",
        "x",
        "a".repeat(30).as_str(),
    ] {
        for set in sets {
            assert_eq!(lowercase_in(set, word), set.contains(word.to_lowercase().as_str()), "{word}");
        }
    }
}

#[test]
/// The rule counts a-e-i-o-u-y groups only, so "é" is no vowel.
fn counts_syllables_of_any_case_alike() {
    for (word, expected) in
        [("table", 2), ("TABLE", 2), ("make", 1), ("Make", 1), ("the", 1), ("e", 1), ("rhythm", 1), ("Éclair", 1)]
    {
        assert_eq!(syllables(word), expected, "{word}");
    }
}
